"""Threads, memory, bounded caches and numerics checking."""

import gc
import threading
import weakref

import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src import backward


def _train(seed, steps=15):
    rng = np.random.default_rng(seed)
    w = tf.Variable(rng.normal(size=(4, 3)).astype(np.float32))
    b = tf.Variable(np.zeros(3, np.float32))
    x = tf.constant(rng.normal(size=(8, 4)).astype(np.float32))
    y = tf.constant(rng.normal(size=(8, 3)).astype(np.float32))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.tanh(x @ w + b) - y) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
    return w.numpy(), float(loss)


def test_eight_threads_match_sequential():
    sequential = [_train(s) for s in range(8)]
    results = [None] * 8

    def work(i):
        results[i] = _train(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (w1, l1), (w2, l2) in zip(sequential, results):
        np.testing.assert_array_equal(w1, w2)
        assert l1 == l2


def test_tapes_free_their_record():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = x * x
    rec = weakref.ref(t._recorder)
    t.gradient(y, x)
    assert rec() is None, "a non-persistent tape keeps its record after gradient()"
    with tf.GradientTape(persistent=True) as t:
        y = x * x
    rec = weakref.ref(t._recorder)
    t.gradient(y, x)
    assert rec() is not None
    del t
    assert rec() is None, "a persistent tape's record outlives `del tape`"
    gc.collect()


def test_compile_cache_is_an_lru(monkeypatch):
    monkeypatch.setattr(backward._cache, "maxsize", 3)
    backward.clear_caches()
    x = tf.Variable(1.5)

    def grad(f):
        with tf.GradientTape() as t:
            y = f(x)
        return t.gradient(y, x)

    for f in [tf.sin, tf.cos, tf.tanh]:
        grad(f)
    before = tf.cache_info()["compiles"]
    grad(tf.sin)  # a hit refreshes sin: the next miss evicts cos, the oldest
    grad(tf.exp)
    assert tf.cache_info()["size"] == 3
    grad(tf.sin)
    assert tf.cache_info()["compiles"] == before + 1  # sin survived (FIFO would evict it)
    grad(tf.cos)
    assert tf.cache_info()["compiles"] == before + 2
    backward.clear_caches()


def test_check_numerics_forward_and_backward():
    with pytest.raises(tf.errors.InvalidArgumentError, match="bad value : Tensor had NaN"):
        tf.debugging.check_numerics(tf.constant([1.0, float("nan")]), "bad value")
    assert float(tf.debugging.check_numerics(tf.constant(1.0), "ok")) == 1.0
    tf.debugging.enable_check_numerics()
    try:
        x = tf.Variable([1.0, 0.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="'Log'"):
            tf.math.log(x - 1.0)
        with tf.GradientTape() as t:
            y = tf.reduce_sum(tf.sqrt(x) * 2.0)
        with pytest.raises(tf.errors.InvalidArgumentError, match="'Sqrt'"):
            t.gradient(y, x)
    finally:
        tf.debugging.disable_check_numerics()


def _entry(i):
    return "jit_fn-%064x-cache" % i


def test_the_cache_is_pruned_when_a_process_exits(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import jaxtape as tf\n"
        "from jaxtape._src import compile_cache\n"
        "print(float(tf.reduce_sum(tf.sin(tf.range(7.0)))))\n"
        "compile_cache.BUDGET = {budget}\n"
    )
    env = dict(os.environ, JAXTAPE_CACHE_DIR=str(tmp_path / "c"))
    for budget in (2**40, 0):
        subprocess.run(
            [sys.executable, "-c", code.format(budget=budget)], env=env, check=True, timeout=120
        )
        entries = [n for n in os.listdir(tmp_path / "c") if n.endswith("-cache")]
        if budget:
            assert entries  # the run wrote entries, and a large budget keeps them
    assert entries == []  # pruned to the budget at exit


def test_compilation_cache_pruning_and_opt_out(tmp_path):
    import os
    import subprocess
    import sys
    from jaxtape._src import compile_cache

    for i in range(5):
        p = tmp_path / _entry(i)
        p.write_bytes(b"x" * 1000)
        os.utime(p, (1000 + i, 1000 + i))
    compile_cache.prune(str(tmp_path), 2500)
    assert sorted(os.listdir(tmp_path)) == [_entry(3), _entry(4)]  # least recently used first
    code = "import jax, jaxtape; print(repr(jax.config.jax_compilation_cache_dir))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, JAXTAPE_CACHE_DIR=""),
        check=True,
    )
    assert out.stdout.strip() in ("None", "''")
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, JAXTAPE_CACHE_DIR=str(tmp_path / "c")),
        check=True,
    )
    assert str(tmp_path / "c") in out.stdout
    assert os.stat(tmp_path / "c").st_mode & 0o777 == 0o700


def _import_with_cache(
    path, code="import jax, jaxtape; print(repr(jax.config.jax_compilation_cache_dir))"
):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-W", "always", "-c", code],
        capture_output=True,
        text=True,
        env=dict(os.environ, JAXTAPE_CACHE_DIR=str(path)),
        check=True,
        timeout=120,
    )


def test_compilation_cache_never_deletes_user_files(tmp_path):
    """A cache directory pointed at a folder of data is refused: nothing in it is touched."""
    import os

    data = tmp_path / "data"
    data.mkdir()
    for i in range(6):
        (data / ("file%d.bin" % i)).write_bytes(b"d" * 4096)
    (data / _entry(1)).write_bytes(b"looks like an entry")
    from jaxtape._src import compile_cache

    with __import__("pytest").warns(RuntimeWarning, match="did not write"):
        assert compile_cache.prepare(str(data)) is None
    compile_cache.prune(str(data), 0)  # even pruning to nothing keeps the user's files
    assert sorted(os.listdir(data)) == sorted(["file%d.bin" % i for i in range(6)])
    out = _import_with_cache(data)
    assert "did not write" in out.stderr and str(data) not in out.stdout
    assert len(os.listdir(data)) == 6


def test_compilation_cache_refuses_unsafe_directories(tmp_path):
    import os
    from jaxtape._src import compile_cache

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with __import__("pytest").warns(RuntimeWarning, match="other users can write"):
        assert compile_cache.prepare(str(shared)) is None
    link = tmp_path / "link"
    os.symlink(tmp_path / "elsewhere", link)
    (tmp_path / "elsewhere").mkdir()
    with __import__("pytest").warns(RuntimeWarning, match="not a plain directory"):
        assert compile_cache.prepare(str(link)) is None
    old = os.umask(0)
    try:  # under umask 000 the cache is still created private
        assert compile_cache.prepare(str(tmp_path / "new")) is not None
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o700


def test_compilation_cache_entries_are_verified(tmp_path):
    """An entry whose bytes changed after the process that compiled it exited is removed before
    JAX can load it (a swapped entry once turned tf.sin into cosine)."""
    import os

    cache = tmp_path / "cache"
    run = (
        "import jaxtape as tf; import numpy as np; "
        "print(float(tf.reduce_sum(tf.sin(tf.constant([0.5, 1.0])))))"
    )
    first = _import_with_cache(cache, run).stdout.strip()
    from jaxtape._src import compile_cache

    entries = [n for n in os.listdir(cache) if compile_cache.is_entry(n)]
    assert entries and "manifest.json" in os.listdir(cache)
    victim = cache / entries[0]
    victim.write_bytes(b"tampered" + victim.read_bytes()[8:])
    planted = cache / _entry(7)  # never recorded by an exiting process
    planted.write_bytes(b"planted")
    again = _import_with_cache(cache, run).stdout.strip()
    assert again == first
    assert not planted.exists()
    assert not victim.exists() or victim.read_bytes()[:8] != b"tampered"


def _threads(n, target, *args):
    import threading

    ts = [threading.Thread(target=target, args=args) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def test_variable_updates_are_atomic_under_threads():
    v = tf.Variable(0.0)

    def work():
        for _ in range(1500):
            v.assign_add(1.0)
            v.assign_sub(0.5)

    _threads(8, work)
    assert float(v) == 8 * 1500 * 0.5


def test_one_function_called_from_many_threads_is_exact():
    import numpy as np

    w = tf.Variable(np.ones((32, 32), np.float32))

    @tf.function
    def step(x):
        w.assign(w * 0.999 + x)
        return tf.reduce_sum(w)

    errors = []

    def run():
        try:
            for _ in range(100):
                step(tf.constant(0.001))
                w.read_value()  # a snapshot a donating step must not invalidate
        except Exception as e:  # noqa: BLE001 - any error is the failure
            errors.append(repr(e))

    _threads(8, run)
    ref = np.ones((32, 32), np.float32)
    for _ in range(800):
        ref = ref * np.float32(0.999) + np.float32(0.001)
    assert errors == []
    np.testing.assert_array_equal(w.numpy(), ref)


def test_concurrent_first_traces_read_variables_at_call_time():
    vs = [tf.Variable(float(i)) for i in range(40)]
    fns = [tf.function(lambda i=i: vs[i] * 1.0) for i in range(40)]
    import threading

    ts = [threading.Thread(target=f) for f in fns]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for v in vs:
        v.assign_add(100.0)
    assert [float(f()) for f in fns] == [float(v) for v in vs]


def test_function_methods_do_not_keep_their_instances_alive():
    import gc
    import weakref

    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function
        def f(self):
            return self.v * 2.0

    ms = [M() for _ in range(5)]
    assert [float(m.f()) for m in ms] == [2.0] * 5
    refs = [weakref.ref(m) for m in ms]
    del ms
    gc.collect()
    assert sum(r() is not None for r in refs) == 0


def test_keyboard_interrupt_swallowed_by_a_gc_callback_still_reaches_the_user():
    """Python ignores a KeyboardInterrupt raised inside a gc callback (JAX has one); jaxtape
    delivers it again, and the library stays usable afterwards."""
    import subprocess
    import sys

    code = (
        # a process that takes Ctrl-C: one started from a background job inherits SIGINT ignored
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import gc, jaxtape as tf\n"
        "fired = []\n"
        "def cb(phase, info):\n"
        "    if not fired:\n"
        "        fired.append(1)\n"
        "        raise KeyboardInterrupt\n"
        "gc.callbacks.append(cb)\n"
        "try:\n"
        "    gc.collect()\n"
        "    import time; time.sleep(5)\n"
        "    print('lost')\n"
        "except KeyboardInterrupt:\n"
        "    print('delivered')\n"
        "x = tf.Variable(2.0)\n"
        "with tf.GradientTape() as t:\n"
        "    y = x * x\n"
        "print(float(t.gradient(y, x)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["delivered", "4.0"], out.stdout + out.stderr


DEEP = r"""
import sys
sys.setrecursionlimit(100000)
import numpy as np
import jaxtape as tf
kind, n = sys.argv[1], int(sys.argv[2])
x = tf.Variable(0.3)
with tf.GradientTape() as t:
    if kind == "chain":
        y = x
        for i in range(n):
            y = y * 1.00001 if i % 2 else y + 0.5
    else:
        def rec(v, d):          # fan-out: every level uses v twice, recorded 5,000 deep
            if d == 0:
                return v
            return rec((v * 1.0001 + tf.sin(v) * 0.001) * 0.999, d - 1)
        y = rec(x, n // 5)
ops = len(t._recorder.nodes)
g = t.gradient(y, x)
print(ops, float(g))
"""


@pytest.mark.parametrize("kind,n", [("fanout", 20000), ("chain", 100000)])
def test_deep_and_long_tapes_differentiate_without_crashing(kind, n):
    """A 20,000-op tape built by a 5,000-deep recursion once crashed XLA's compiler (SIGSEGV);
    long tapes are differentiated op by op, with each distinct op's VJP compiled once."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", DEEP, kind, str(n)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    ops, g = out.stdout.split()
    assert int(ops) >= n
    if kind == "chain":  # d/dx of 50,000 multiplications by 1.00001
        np.testing.assert_allclose(float(g), 1.00001 ** (n // 2), rtol=1e-2)
    else:
        assert np.isfinite(float(g)) and float(g) > 0.5


def test_op_by_op_gradients_equal_the_compiled_pass(monkeypatch):
    """The long-tape tier gives the compiled pass's values, None pattern and IndexedSlices."""
    from jaxtape._src import backward

    x = tf.Variable([0.5, -1.0, 2.0])
    p = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    c = tf.constant(3.0)

    def grads():
        with tf.GradientTape(persistent=True) as t:
            t.watch(c)
            h = tf.tanh(x) * c
            e = tf.gather(p, [2, 0, 2])
            y = tf.reduce_sum(h * h) + tf.reduce_sum(e**2) + tf.reduce_sum(tf.round(x))
            z = tf.stop_gradient(y) * 2.0
        g = t.gradient(y, [x, p, c, h])
        return g + [t.gradient(z, x), t.gradient([y, h], x, output_gradients=[2.0, tf.ones([3])])]

    compiled = grads()
    monkeypatch.setattr(backward, "OP_BY_OP_LIMIT", 0)
    op_by_op = grads()
    assert type(op_by_op[1]).__name__ == "IndexedSlices" and op_by_op[4] is None
    for a, b in zip(compiled, op_by_op):
        if a is None:
            assert b is None
        else:
            np.testing.assert_allclose(
                tf.convert_to_tensor(a).numpy(), tf.convert_to_tensor(b).numpy(), rtol=1e-6
            )


SHAPES = r"""
import os, sys
import numpy as np
import jaxtape as tf
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2 ** 20
w = tf.Variable(np.linspace(-1, 1, 64, dtype=np.float32).reshape(16, 4))
def step(n):
    x = tf.reshape(tf.range(n * 16, dtype=tf.float32) / (n * 16.0), [n, 16])
    with tf.GradientTape() as t:
        y = tf.reduce_mean(tf.tanh(x @ w) ** 2)
    return t.gradient(y, w)
step(1)
m0 = rss()
for n in range(2, 62):
    g = step(n)
    float(g[0, 0])  # a loop reads its results (lazy eager runs each step's segment here)
ref = np.asarray(step(61))
print(rss() - m0, tf.cache_info()["flushes"], float(np.abs(np.asarray(g) - ref).max()))
"""


def test_changing_shapes_stay_under_the_executable_budget():
    """Every new batch size compiles new kernels (~9 MB each time here); past
    $JAXTAPE_MAX_EXECUTABLES the compiled code is dropped, so memory stays bounded (60 shapes:
    ~550 MB unbounded, ~100 MB with a budget of 40) and results are unchanged."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, JAXTAPE_MAX_EXECUTABLES="40", JAXTAPE_CACHE_DIR="")
    out = subprocess.run(
        [sys.executable, "-c", SHAPES], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    growth, flushes, diff = out.stdout.split()
    assert int(flushes) >= 3 and float(diff) == 0.0
    assert int(growth) < 350, growth
