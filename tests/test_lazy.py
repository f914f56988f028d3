"""Lazy eager (`tf.config.experimental.set_lazy_eager`): ops recorded into segments that run as
one compiled call; values, errors and Variable semantics as op-by-op execution."""

from __future__ import annotations

import jax
import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src import lazy


def _mlp(seed=0):
    rs = np.random.RandomState(seed)
    params = []
    for a, b in zip((8, 16, 16), (16, 16, 1)):
        params.append(tf.Variable(rs.normal(0, 0.3, (a, b)).astype("float32")))
        params.append(tf.Variable(np.zeros(b, "float32")))
    x = tf.constant(rs.normal(size=(32, 8)).astype("float32"))
    y = tf.constant(rs.normal(size=(32, 1)).astype("float32"))
    return params, x, y


def _step(params, opt, x, y):
    with tf.GradientTape() as tape:
        h = x
        for i in range(3):
            h = tf.matmul(h, params[2 * i]) + params[2 * i + 1]
            if i < 2:
                h = tf.nn.relu(h)
        loss = tf.reduce_mean((h - y) ** 2)
    grads = tape.gradient(loss, params)
    opt.apply_gradients(zip(grads, params))
    return loss


class _Compiles:
    """Counts XLA backend compilations (JAX's own monitoring events)."""

    def __init__(self):
        self.n = 0
        jax.monitoring.register_event_duration_secs_listener(self._on)

    def _on(self, event, secs, **kw):
        if event == "/jax/core/compile/backend_compile_duration":
            self.n += 1


_COMPILES = _Compiles()


def test_a_100_step_loop_compiles_once_and_runs_one_call_per_step(lazy_on):
    params, x, y = _mlp()
    opt = tf.keras.optimizers.Adam(1e-2)
    for _ in range(3):  # first steps: the structure is new, then compiled
        float(_step(params, opt, x, y))
    c0, s0 = _COMPILES.n, dict(lazy.STATS)
    losses = [float(_step(params, opt, x, y)) for _ in range(100)]
    assert _COMPILES.n == c0  # nothing compiled after the first steps
    assert lazy.STATS["compiled_calls"] - s0["compiled_calls"] == 100  # one call per step
    assert lazy.STATS["segments"] - s0["segments"] == 100
    assert losses[-1] < losses[0]


def test_lazy_training_matches_op_by_op():
    results = []
    for on in (False, True, True):
        tf.config.experimental.set_lazy_eager(on)
        try:
            params, x, y = _mlp()
            opt = tf.keras.optimizers.Adam(1e-2)
            losses = [_step(params, opt, x, y).numpy() for _ in range(6)]
            results.append((np.array(losses), [p.numpy() for p in params]))
        finally:
            tf.config.experimental.set_lazy_eager(False)
    (l0, p0), (l1, p1), (l2, p2) = results
    np.testing.assert_array_equal(l1, l2)  # lazy is deterministic run to run
    # Segments are compiled as one XLA program: every op keeps its own values (no fusion or
    # FMA across ops, see lazy._opaque), but a reduction fused with its producer may sum in
    # another order, a last-bit difference (measured: <= 2 ulp of float32 here).
    np.testing.assert_allclose(l1, l0, rtol=3e-7, atol=0)
    for a, b in zip(p0, p1):
        np.testing.assert_allclose(b, a, rtol=2e-6, atol=1e-7)


def test_elementwise_values_are_op_by_op_values(lazy_on):
    # no FMA contraction or simplification across op boundaries: bit-exact
    rs = np.random.RandomState(1)
    xs = [tf.constant(rs.randn(64).astype("float32")) for _ in range(3)]

    def f(x):
        y = x * 1.7 + 0.3
        z = tf.math.log(tf.exp(y * 40.0))  # overflows to inf, as op by op
        return tf.sin(y) * y - 2.5 / (y + 3.0), z

    got = [[t.numpy() for t in f(x)] for x in xs for _ in range(2)]
    tf.config.experimental.set_lazy_eager(False)
    ref = [[t.numpy() for t in f(x)] for x in xs for _ in range(2)]
    for a, b in zip(got, ref):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    assert np.isinf(ref[0][1]).any()


def test_errors_are_raised_at_the_call(lazy_on):
    a = tf.ones((2, 3))
    b = tf.ones((2, 3))
    c = a * 2.0  # pending
    assert type(c).__name__ == "EagerTensor"
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(c, b)
    with pytest.raises(tf.errors.InvalidArgumentError):
        c + tf.ones((4,))
    np.testing.assert_array_equal(c.numpy(), np.full((2, 3), 2.0, "float32"))


def test_shapes_and_dtypes_without_running(lazy_on):
    x = tf.ones((4, 5))
    y = tf.cast(tf.reduce_sum(x * 3.0, axis=1), tf.int32)
    seg = lazy.current()
    assert seg is not None and not seg.done
    assert y.shape == (4,) and y.dtype == tf.int32 and y.ndim == 1
    assert not seg.done  # shape and dtype did not run the segment
    assert y.numpy().tolist() == [15, 15, 15, 15]
    assert seg.done


def test_variable_reads_see_program_order(lazy_on):
    v = tf.Variable([1.0, 2.0])
    before = v.read_value() * 1.0
    v.assign_add(tf.constant([10.0, 10.0]) * 1.0)
    after = v * 1.0
    v.assign([0.0, 0.0])
    np.testing.assert_array_equal(before.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(after.numpy(), [11.0, 12.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])


def test_updated_variable_buffers_are_donated_unless_held(lazy_on):
    params, x, y = _mlp()
    opt = tf.keras.optimizers.Adam(1e-2)
    for _ in range(3):
        _step(params, opt, x, y)
    lazy.flush()  # the last step's segment runs now, not in the step measured
    d0 = lazy.STATS["donated"]
    _step(params, opt, x, y).numpy()
    # 6 Variables, their 12 Adam slots and the step counter are updated in place
    assert lazy.STATS["donated"] - d0 == 19
    # what a user holds is never donated: a snapshot, a raw array, a persistent tape's inputs
    for _ in range(2):  # the second time, this step's structure runs compiled
        snap = params[0].read_value()
        raw = tf.to_jax(params[2])
        want_snap, want_raw = snap.numpy().copy(), np.asarray(raw).copy()
        with tf.GradientTape(persistent=True) as tape:
            loss = tf.reduce_sum(tf.matmul(x, params[0]))
        d0, c0 = lazy.STATS["donated"], lazy.STATS["compiled_calls"]
        _step(params, opt, x, y).numpy()
    assert lazy.STATS["compiled_calls"] == c0 + 1
    assert lazy.STATS["donated"] - d0 == 19 - 2  # params[0] (snapshot, tape) and params[2]
    np.testing.assert_array_equal(snap.numpy(), want_snap)
    np.testing.assert_array_equal(np.asarray(raw), want_raw)
    assert tape.gradient(loss, params[0]).shape == (8, 16)  # the tape's inputs are alive
    assert not np.array_equal(params[0].numpy(), want_snap)


def test_manual_sgd_with_assign_sub(lazy_on):
    w = tf.Variable(5.0)
    ref = 5.0
    for _ in range(20):
        with tf.GradientTape() as t:
            loss = w * w
        w.assign_sub(0.1 * t.gradient(loss, w))
        ref = ref - 0.1 * (2 * ref)
    np.testing.assert_allclose(w.numpy(), ref, rtol=1e-5)


def test_seeded_random_stays_bit_exact(lazy_on):
    tf.random.set_seed(7)
    a = [tf.random.uniform((5,), -3.0, 4.0).numpy() for _ in range(3)]
    b = tf.keras.initializers.GlorotUniform(seed=3)((16, 16)).numpy()
    tf.config.experimental.set_lazy_eager(False)
    tf.random.set_seed(7)
    ra = [tf.random.uniform((5,), -3.0, 4.0).numpy() for _ in range(3)]
    rb = tf.keras.initializers.GlorotUniform(seed=3)((16, 16)).numpy()
    for u, v in zip(a, ra):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(b, rb)


def test_changing_shapes_compile_per_bucket_not_per_step(lazy_on, pin_ladder):
    # a loop whose batch size changes every step: its first step is compiled (a training step),
    # the others run in their bucket's compiled segment (sizes 2..12: buckets 8 and 16)
    pin_ladder()
    w = tf.Variable(np.ones((3, 1), "float32"))
    opt = tf.keras.optimizers.SGD(0.01)
    s0 = dict(lazy.STATS)
    for n in range(1, 13):
        x = tf.ones((n, 3))
        with tf.GradientTape() as t:
            loss = tf.reduce_mean(tf.matmul(x, w))
        opt.apply_gradients([(t.gradient(loss, w), w)])
    lazy.flush()
    d = {k: lazy.STATS[k] - s0[k] for k in s0}
    assert d["compiles"] <= 1 and d["bucket_compiles"] == 2 and d["bucketed_calls"] == 11


def test_a_step_that_changes_structure_every_time_runs_op_by_op(lazy_on):
    # training steps are compiled the first time they are seen, until FIRST_SIGHT_WASTE of them
    # never came back: then a structure seen once runs op by op (per-op kernels compiled once)
    w = tf.Variable(np.ones((3, 1), "float32"))
    opt = tf.keras.optimizers.SGD(0.01)
    x = tf.ones((4, 3))
    s0 = dict(lazy.STATS)
    for k in range(1, 8):
        with tf.GradientTape() as t:
            h = tf.matmul(x, w)
            for _ in range(k):  # one more op each step: a new structure every step
                h = h * 0.5
            loss = tf.reduce_mean(h)
        opt.apply_gradients([(t.gradient(loss, w), w)])
    lazy.flush()
    d = {k: lazy.STATS[k] - s0[k] for k in s0}
    assert d["compiles"] <= lazy.FIRST_SIGHT_WASTE and d["op_by_op_runs"] >= 5
    np.testing.assert_allclose(w.numpy(), np.ones((3, 1)) - 0.01 * sum(0.5**k for k in range(1, 8)))


def test_a_segment_without_reads_is_bounded(lazy_on, monkeypatch):
    monkeypatch.setattr(lazy, "MAX_OPS", 500)
    x = tf.constant(1.0)
    s0 = lazy.STATS["segments"]
    for _ in range(2600):
        x = x * 1.0001
        seg = lazy.current()
        assert seg is None or len(seg.sig) < 500
    assert lazy.STATS["segments"] - s0 >= 5
    np.testing.assert_allclose(x.numpy(), 1.0001**2600, rtol=1e-4)


def test_nested_tapes_and_jacobians(lazy_on):
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.reduce_sum(x**3)
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0, 27.0])
    np.testing.assert_allclose(h.numpy(), np.diag([6.0, 12.0, 18.0]))


def test_function_sees_pending_variables(lazy_on):
    v = tf.Variable(2.0)
    v.assign(v * 3.0)

    @tf.function
    def f():
        v.assign_add(1.0)
        return v * 2.0

    assert float(f()) == 14.0
    assert float(v) == 7.0


def test_switch_is_public():
    assert tf.config.experimental.get_lazy_eager() in (True, False)


def test_pending_values_recorded_before_the_switch_is_turned_off():
    v = tf.Variable([1.0, 1.0])
    tf.config.experimental.set_lazy_eager(True)
    try:
        x = tf.constant([1.0, 2.0]) * 3.0  # pending: a leaf of the tapes below
        with tf.GradientTape(persistent=True) as t:
            y = tf.reduce_sum(x * v)
        with tf.autodiff.ForwardAccumulator(v, tf.constant([1.0, 0.0])) as acc:
            z = tf.reduce_sum(x * v)
    finally:
        tf.config.experimental.set_lazy_eager(False)
    for _ in range(2):  # the second time from the plan memo
        np.testing.assert_array_equal(t.gradient(y, v).numpy(), [3.0, 6.0])
    assert float(acc.jvp(z)) == 3.0


def test_a_step_ends_at_apply_gradients(lazy_on):
    params, x, y = _mlp()
    opt = tf.keras.optimizers.SGD(0.1)
    loss = _step(params, opt, x, y)
    assert lazy.current() is None  # the step's segment is closed ...
    s0 = lazy.STATS["segments"]
    z = x * 2.0  # ... and runs before the next op starts a new segment
    assert lazy.STATS["segments"] == s0 + 1
    assert float(loss) > 0 and lazy.STATS["segments"] == s0 + 1  # the loss was computed then
    np.testing.assert_array_equal(z.numpy(), x.numpy() * 2.0)


def test_only_values_still_referenced_are_outputs(lazy_on):
    """A segment computes as outputs only the values something still holds (a Tensor, a
    Variable, a tape); the intermediates of `c` below are not written out."""
    x = tf.constant([1.0, 2.0])
    lazy.flush()
    for _ in range(lazy.COMPILE_AT):  # seen COMPILE_AT times: compiled
        a = x * 2.0
        b = a + 1.0
        kept = b * 3.0
        del a, b
        np.testing.assert_array_equal(kept.numpy(), [9.0, 15.0])
    sig, _, live, _ = list(lazy._compiled._data)[-1]
    assert len(sig) == 3 and live == ((2, 0),)
    a = x * 2.0
    kept = a + 1.0  # both held: both outputs, both right
    np.testing.assert_array_equal(kept.numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(a.numpy(), [2.0, 4.0])
