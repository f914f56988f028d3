import os

import numpy as np
import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose


def _model_and_opt():
    model = tf.keras.Sequential(
        [
            tf.keras.Input((3,)),
            tf.keras.layers.Dense(4, activation="relu"),
            tf.keras.layers.Dense(1),
        ]
    )
    opt = tf.keras.optimizers.Adam(0.01)
    return model, opt


def _train(model, opt, steps=3):
    x = tf.constant(np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3))
    y = tf.constant(np.linspace(0, 1, 8, dtype=np.float32).reshape(8, 1))
    for _ in range(steps):
        with tf.GradientTape() as t:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        opt.apply_gradients(
            zip(t.gradient(loss, model.trainable_variables), model.trainable_variables)
        )
    return float(loss)


def test_round_trip_model_optimizer_and_variables(tmp_path):
    model, opt = _model_and_opt()
    v = tf.Variable([1.0, 2.0], name="v")
    _train(model, opt)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, extra={"v": v})
    path = ckpt.save(str(tmp_path / "ckpt"))
    assert path.endswith("ckpt-1") and os.path.exists(path + ".npz")
    weights = [w.numpy() for w in model.weights]
    slots = [s.numpy() for ss in opt._slots.values() for s in ss]
    _train(model, opt)
    v.assign([0.0, 0.0])
    ckpt.restore(path)
    assert_allclose([w.numpy() for w in model.weights], weights)
    assert_allclose([s.numpy() for ss in opt._slots.values() for s in ss], slots)
    assert int(opt.iterations.numpy()) == 3 and v.numpy().tolist() == [1.0, 2.0]
    # into fresh objects: optimizer slots are created on restore
    model2, opt2 = _model_and_opt()
    tf.train.Checkpoint(model=model2, optimizer=opt2, extra={"v": tf.Variable([0.0, 0.0])}).restore(
        path
    )
    assert_allclose([w.numpy() for w in model2.weights], weights)
    assert int(opt2.iterations.numpy()) == 3 and len(opt2._slots) == 4


def test_mismatch_is_a_clear_error(tmp_path):
    v = tf.Variable([1.0, 2.0])
    path = tf.train.Checkpoint(v=v).save(str(tmp_path / "c"))
    with pytest.raises(ValueError, match="shape"):
        tf.train.Checkpoint(v=tf.Variable([1.0, 2.0, 3.0])).restore(path)
    with pytest.raises(ValueError, match="dtype"):
        tf.train.Checkpoint(v=tf.Variable([1, 2])).restore(path)
    with pytest.raises(tf.errors.NotFoundError):
        tf.train.Checkpoint(v=v).restore(str(tmp_path / "missing-1"))


def test_crash_during_save_leaves_previous_checkpoint(tmp_path, monkeypatch):
    v = tf.Variable([1.0, 2.0])
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path), max_to_keep=2)
    first = manager.save()
    v.assign([5.0, 6.0])

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk died mid-save")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError):
        manager.save()
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.json", "ckpt-1.npz"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == first
    v.assign([0.0, 0.0])
    tf.train.Checkpoint(v=v).restore(first)
    assert v.numpy().tolist() == [1.0, 2.0]


def test_manager_keeps_max_and_reloads(tmp_path):
    v = tf.Variable(0.0)
    ckpt = tf.train.Checkpoint(v=v)
    m = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    for i in range(4):
        v.assign(float(i))
        m.save()
    assert [os.path.basename(p) for p in m.checkpoints] == ["ckpt-3", "ckpt-4"]
    m2 = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(0.0)), str(tmp_path))
    assert m2.latest_checkpoint == m.latest_checkpoint


def _saved(tmp_path, name="ckpts", n=3, keep=5):
    v = tf.Variable([0.0, 0.0])
    ckpt = tf.train.Checkpoint(v=v)
    mgr = tf.train.CheckpointManager(ckpt, str(tmp_path / name), max_to_keep=keep)
    for i in range(1, n + 1):
        v.assign([float(i), -float(i)])
        mgr.save()
    return v, ckpt, mgr


def test_moved_and_copied_folders_restore_from_themselves(tmp_path):
    import shutil

    _saved(tmp_path, n=3)
    shutil.copytree(tmp_path / "ckpts", tmp_path / "copy")
    shutil.move(str(tmp_path / "ckpts"), str(tmp_path / "moved"))
    for folder in ("copy", "moved"):
        v = tf.Variable([9.0, 9.0])
        mgr = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(tmp_path / folder))
        assert mgr.latest_checkpoint == str(tmp_path / folder / "ckpt-3")
        tf.train.Checkpoint(v=v).restore(mgr.latest_checkpoint).assert_consumed()
        assert v.numpy().tolist() == [3.0, -3.0]
    # the copy's manager deletes its own files only, never the original's
    v = tf.Variable([0.0, 0.0])
    ckpt = tf.train.Checkpoint(v=v)
    mgr = tf.train.CheckpointManager(ckpt, str(tmp_path / "copy"), max_to_keep=1)
    ckpt.restore(mgr.latest_checkpoint)
    mgr.save()
    assert sorted(os.listdir(tmp_path / "moved")) == [
        "checkpoint.json",
        "ckpt-1.npz",
        "ckpt-2.npz",
        "ckpt-3.npz",
    ]
    assert [f for f in sorted(os.listdir(tmp_path / "copy")) if f.endswith(".npz")] == [
        "ckpt-4.npz"
    ]


def test_state_file_cannot_make_the_manager_delete_outside(tmp_path):
    import json

    victim = tmp_path / "precious.npz"
    victim.write_bytes(b"user data")
    d = tmp_path / "ckpts"
    d.mkdir()
    (d / "checkpoint.json").write_text(
        json.dumps(
            {
                "latest": str(tmp_path / "precious"),
                "all": [str(tmp_path / "precious"), "../precious", "/etc/passwd"],
            }
        )
    )
    v, ckpt, mgr = _saved(tmp_path, n=3, keep=1)
    assert victim.read_bytes() == b"user data"
    assert mgr.checkpoints == [str(d / "ckpt-3")]


def test_stale_or_missing_state_file_finds_the_newest_complete_checkpoint(tmp_path):
    _saved(tmp_path, n=3)
    d = tmp_path / "ckpts"
    (d / "checkpoint.json").unlink()
    (d / "ckpt-7.npz").write_bytes(b"PK\x03\x04 torn write")  # not a whole archive
    v = tf.Variable([0.0, 0.0])
    mgr = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), str(d))
    assert mgr.latest_checkpoint == str(d / "ckpt-3")
    assert mgr.checkpoints == [str(d / ("ckpt-%d" % i)) for i in (1, 2, 3)]


def test_restore_is_lazy_bounded_and_reports_corruption(tmp_path):
    import zipfile

    v, ckpt, mgr = _saved(tmp_path, n=1)
    # a crafted archive: an entry that declares 1 GB for a 2-float Variable
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        header = np.lib.format.header_data_from_array_1_0(np.zeros(2**28, np.float32))
        with z.open("v.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, header)
            chunk = bytes(2**20)
            for _ in range(1024):
                f.write(chunk)
        z.writestr("save_counter.npy", b"")
    assert bomb.stat().st_size < 5 * 2**20
    with pytest.raises(tf.errors.DataLossError, match="declares"):
        tf.train.Checkpoint(v=v).restore(str(tmp_path / "bomb"))
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(tf.errors.DataLossError) as e:
        tf.train.Checkpoint(v=v).restore(str(tmp_path / "junk"))
    assert "allow_pickle" not in str(e.value)


def test_restore_status_assertions(tmp_path):
    v, w = tf.Variable(1.0), tf.Variable(2.0)
    only_v = tf.train.Checkpoint(v=v).save(str(tmp_path / "a" / "x"))
    both = tf.train.Checkpoint(v=v, w=w).save(str(tmp_path / "b" / "x"))
    st = tf.train.Checkpoint(v=v, w=w).restore(only_v)  # w not in the checkpoint
    with pytest.raises(AssertionError, match="not bound to checkpointed values"):
        st.assert_consumed()
    with pytest.raises(AssertionError, match="not bound"):
        st.assert_existing_objects_matched()
    st.assert_nontrivial_match()
    st = tf.train.Checkpoint(v=v).restore(both)  # the checkpoint has more
    with pytest.raises(AssertionError, match="Unresolved object in checkpoint"):
        st.assert_consumed()
    st.assert_existing_objects_matched()
    st.expect_partial()
    tf.train.Checkpoint(v=v).restore(only_v).assert_consumed()
    for bad in (0, -1):
        with pytest.raises(ValueError, match="positive integer or `None`"):
            tf.train.CheckpointManager(
                tf.train.Checkpoint(v=v), str(tmp_path / "m"), max_to_keep=bad
            )


def test_temporary_files_are_exclusive_and_cleaned(tmp_path):
    d = tmp_path / "ckpts"
    d.mkdir()
    target = tmp_path / "outside"
    target.write_bytes(b"keep")
    # a pre-placed link under the old predictable temporary name is never followed
    os.symlink(target, d / ("ckpt-1.npz.tmp-%d" % os.getpid()))
    (d / (".ckpt-1.npz" + ".jaxtape-tmp-" + "leftover")).write_bytes(b"x" * 100)
    _saved(tmp_path, n=2)
    assert target.read_bytes() == b"keep"
    assert not [f for f in os.listdir(d) if ".jaxtape-tmp-" in f]


KILL_DRIVER = r"""
import os, random, signal, sys, time
import numpy as np
import jaxtape as tf       # creates no array: each forked child can still use JAX
root = sys.argv[1]
rng = random.Random(0)
for trial in range(int(sys.argv[2])):
    d = os.path.join(root, "t%d" % trial)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        v = tf.Variable(np.zeros(1 << 20, np.float32))
        mgr = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), d, max_to_keep=1)
        for step in range(1, 10 ** 6):
            v.assign(np.full(1 << 20, step, np.float32))
            mgr.save()
            os.write(w, b"%d\n" % step)
    os.close(w)
    time.sleep(rng.uniform(0.3, 1.0))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    steps = data.split()
    print(trial, int(steps[-1]) if steps else 0, flush=True)
"""

KILL_CHECK = r"""
import os, sys
import numpy as np
import jaxtape as tf
root = sys.argv[1]
for line in sys.stdin:
    trial, reported = map(int, line.split())
    d = os.path.join(root, "t%d" % trial)
    v = tf.Variable(np.zeros(1 << 20, np.float32))
    mgr = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), d, max_to_keep=1)
    if reported == 0 and mgr.latest_checkpoint is None:
        print(trial, "none-yet")
        continue
    tf.train.Checkpoint(v=v).restore(mgr.latest_checkpoint).assert_consumed()
    got = float(v.numpy()[0])
    assert np.all(v.numpy() == got), "a mixed checkpoint"
    mgr.save()          # cleans what the killed save left
    left = [f for f in os.listdir(d) if ".jaxtape-tmp-" in f]
    print(trial, "ok" if got >= reported and not left else "BAD %s %s %s" % (got, reported, left))
"""


def test_kill_minus_nine_mid_save_always_leaves_a_complete_checkpoint(tmp_path):
    """30 trials: a child saves in a loop (4 MB, max_to_keep=1) and is SIGKILLed at a random
    moment; the manager then restores the last reported save or a newer one, whole."""
    import subprocess
    import sys

    env = dict(os.environ, JAXTAPE_CACHE_DIR="")
    runs = subprocess.run(
        [sys.executable, "-c", KILL_DRIVER, str(tmp_path), "30"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    check = subprocess.run(
        [sys.executable, "-c", KILL_CHECK, str(tmp_path)],
        input=runs.stdout,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    lines = check.stdout.split("\n")
    assert check.returncode == 0, check.stderr[-2000:]
    results = [ln.split(None, 1)[1] for ln in lines if ln.strip()]
    assert len(results) == 30 and all(r in ("ok", "none-yet") for r in results), results
    assert results.count("ok") >= 25, results


def test_deferred_restoration_of_variables_made_later(tmp_path):
    """TF restores entries whose Variables a module creates on its first call, when they are
    created; a model dropped before that drops its waiting entries."""

    class Lazy(tf.Module):
        def __init__(self):
            super().__init__()
            self.built = False

        def __call__(self, x):
            if not self.built:
                self.w = tf.Variable(tf.random.normal([2, 2], seed=1), name="w")
                self.built = True
            return tf.matmul(x, self.w)

    class Outer(tf.Module):
        def __init__(self):
            super().__init__()
            self.inner = Lazy()

    x = tf.constant([[1.0, 2.0]])
    original = Outer()
    want = original.inner(x).numpy()
    path = tf.train.Checkpoint(model=original).write(str(tmp_path / "c"))
    fresh = Outer()
    tf.train.Checkpoint(model=fresh).restore(path)  # the status and the checkpoint dropped
    assert fresh.inner(x * 1.0).numpy().tolist() == want.tolist()

    from jaxtape._src import checkpoint

    gone = Outer()
    tf.train.Checkpoint(model=gone).restore(path)
    assert checkpoint._PENDING
    del gone
    checkpoint._restore_pending()
    assert not checkpoint._PENDING
