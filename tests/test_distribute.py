"""tf.distribute on several devices and several processes.

The number of devices is fixed when JAX starts, so each scenario runs in its own process
(tests/distributed/): 8 simulated CPU devices (`tf.config.set_logical_device_configuration`,
as a TF user simulates them), and a 2-worker cluster of local processes joined by
`MultiWorkerMirroredStrategy` through TF_CONFIG.  One-replica behaviour is compared with TF
2.21 in tests/tfdiff/cases_distribute.py.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import jaxtape as tf

HERE = os.path.join(os.path.dirname(__file__), "distributed")


def _script(name, *args, env=None, timeout=300):
    run = subprocess.run(
        [sys.executable, os.path.join(HERE, name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def eight():
    return _script("mirrored_8.py")


def test_mirrored_8_devices_trains_as_one_device_on_the_global_batch(eight):
    assert eight["replicas"] == 8
    # the replicas' gradients are summed in another order than one device sums the batch:
    # float32 rounding, after 12 Adam steps
    assert eight["weight_diff"] < 5e-6
    assert eight["loss_diff"] < 5e-6
    assert 0.0 < eight["accuracy"] <= 1.0
    # strategy.run without tf.function: the same program, compiled per replica function
    assert eight["eager_weight_diff"] < 5e-6


def test_mirrored_step_is_one_xla_program_with_the_all_reduce(eight):
    assert eight["all_reduce_in_hlo"]
    assert eight["compiles_after_warmup"] == 0
    assert eight["traces"] == 2  # as TF: the first call also creates the optimizer's slots


def test_mirrored_shardings(eight):
    assert eight["batch_sharding"] == "P('replica',)"
    assert eight["batch_shape"] == [8, 8, 64]  # (replicas, per-replica batch, features)
    assert eight["variable_sharding"] == ["P()"]  # replicated
    assert eight["variable_devices"] == [8]


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_worker_processes_end_with_the_single_process_weights(tmp_path):
    cluster = {"worker": ["localhost:%d" % _free_port(), "localhost:%d" % _free_port()]}
    procs = []
    for i in range(2):
        config = {"cluster": cluster, "task": {"type": "worker", "index": i}}
        out = open(tmp_path / ("worker%d.txt" % i), "w+")
        env = dict(os.environ, TF_CONFIG=json.dumps(config))
        cmd = [sys.executable, os.path.join(HERE, "worker.py"), str(tmp_path / "ckpt")]
        procs.append((subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT), out))
    reports = []
    for p, out in procs:
        try:
            p.wait(timeout=300)
        finally:
            if p.poll() is None:
                p.kill()
        out.seek(0)
        text = out.read()
        out.close()
        assert p.returncode == 0, text[-3000:]
        reports.append(json.loads(text.strip().splitlines()[-1]))
    single = _script("worker.py", str(tmp_path / "single"), env={"TF_CONFIG": ""})
    a, b = reports
    assert a["replicas"] == b["replicas"] == 2 and single["replicas"] == 1
    assert a["task"] == ["worker", 0] and b["task"] == ["worker", 1]
    for x, y, z in zip(a["weights"], b["weights"], single["weights"]):
        assert np.array_equal(x, y)  # one replicated array: identical on both workers
        np.testing.assert_allclose(x, z, atol=5e-6)  # float32 summation order, as above
    assert a["restored_equal"] and b["restored_equal"]
    assert a["files"] == ["checkpoint.json", "ckpt-1.npz"]  # written once, by the first worker


def test_one_replica_strategy_runs_eagerly():
    s = tf.distribute.MirroredStrategy()
    seen = []

    def fn(x):
        seen.append(float(x))  # a value, not a trace: the function runs eagerly
        return x * 2.0

    assert float(s.run(fn, args=(tf.constant(3.0),))) == 6.0
    assert seen == [3.0]


def test_uneven_global_batch_is_refused_clearly():
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import jaxtape as tf\n"
            "c = tf.config.list_physical_devices('CPU')\n"
            "tf.config.set_logical_device_configuration(c[0], "
            "[tf.config.LogicalDeviceConfiguration()] * 4)\n"
            "s = tf.distribute.MirroredStrategy(tf.config.list_logical_devices('CPU'))\n"
            "ds = tf.data.Dataset.range(6).batch(6)\n"
            "next(iter(s.experimental_distribute_dataset(ds)))\n",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "cannot be split evenly among 4 replicas" in run.stderr


def test_mixing_strategies_and_late_virtual_devices_raise():
    a, b = tf.distribute.MirroredStrategy(), tf.distribute.OneDeviceStrategy("/cpu:0")
    with a.scope():
        with pytest.raises(ValueError, match="Mixing different tf.distribute.Strategy"):
            with b.scope():
                pass
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.constant(1.0) + 1.0  # JAX's devices have started
    with pytest.raises(RuntimeError, match="Virtual devices cannot be modified"):
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )


def test_distributed_digits_example_on_two_simulated_devices(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            os.path.join(os.path.dirname(HERE), "..", "examples", "distributed_digits.py"),
            "--devices",
            "2",
            "--epochs",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, CHECKPOINT_DIR=str(tmp_path)),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0] == "replicas: 2"
    accuracy = float(lines[-2].split()[-1].rstrip("%"))
    assert accuracy > 90.0, run.stdout
    assert (tmp_path / "ckpt-1.npz").exists()
