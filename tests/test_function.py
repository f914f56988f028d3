"""jaxtape.function: results are the eager results; tracing and Variable lifting follow TF."""

import os
import subprocess
import sys

import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose


def _model():
    w = tf.Variable([[0.5, -0.25], [0.1, 0.3]], name="w")
    b = tf.Variable([0.0, 0.1], name="b")
    x = tf.constant([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    y = tf.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    return w, b, x, y


def test_train_step_agrees_with_eager(run):
    w, b, x, y = _model()

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.nn.sigmoid(x @ w + b) - y) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss

    losses = [float(run(step)) for _ in range(1)]
    w2, b2, _, _ = _model()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.nn.sigmoid(x @ w2 + b2) - y) ** 2)
    assert losses[0] == pytest.approx(float(loss), rel=1e-6)
    gw, gb = tape.gradient(loss, [w2, b2])
    assert_allclose(w, w2.numpy() - 0.1 * gw.numpy(), rtol=1e-6)


def test_behaviours_agree(run):
    v, u = tf.Variable(1.0), tf.Variable(5.0)

    def none_and_higher_order():
        x = tf.constant([1.0, 2.0])
        with tf.GradientTape() as t2:
            t2.watch(x)
            with tf.GradientTape() as t1:
                t1.watch(x)
                y = tf.reduce_sum(x**3)
            g = t1.gradient(y, x)
        h = t2.jacobian(g, x)
        with tf.GradientTape() as t:
            z = v * 2.0
        return t.gradient(z, [v, u]), g, h

    (gv, gu), g, h = run(none_and_higher_order)
    assert float(gv) == 2.0 and gu is None
    assert_allclose(g, [3.0, 12.0])
    assert_allclose(h, [[6.0, 0.0], [0.0, 12.0]])


def test_custom_gradient_and_control_flow_ops(run):
    @tf.custom_gradient
    def clip_grad(x):
        return tf.identity(x), lambda dy: tf.clip_by_value(dy, -0.5, 0.5)

    x = tf.Variable([1.0, 2.0, 3.0])

    def fn():
        with tf.GradientTape() as t:
            y = clip_grad(x) * tf.constant([0.1, 3.0, -2.0])
            z = tf.cond(tf.reduce_sum(x) > 0.0, lambda: x * x, lambda: x)
        return t.gradient([y, z], x)

    assert_allclose(run(fn), [0.1 + 2.0, 0.5 + 4.0, -0.5 + 6.0])


def test_retracing_rules():
    calls = []

    @tf.function
    def f(x, scale=2.0):
        calls.append(1)
        return x * scale

    f(tf.constant(1.0))
    f(tf.constant(2.0))  # same shape and dtype: no trace
    f(tf.constant([1.0, 2.0]))  # new shape: new trace
    f(tf.constant(1.0), scale=3.0)  # new Python value: new trace
    assert len(calls) == 3 and f.experimental_get_tracing_count() == 3
    assert float(f(tf.constant(2.0), scale=3.0)) == 6.0 and len(calls) == 3


def test_python_control_flow_on_tensors_is_a_clear_error():
    @tf.function
    def f(x):
        return x if x > 0 else -x  # a conditional expression: not converted

    with pytest.raises(TypeError, match="jaxtape.cond"):
        f(tf.constant(1.0))


def test_variable_creation_first_call_only():
    class Lazy:
        def __init__(self):
            self.v = None

        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(tf.ones((2,)))
            return x * self.v

    lazy = Lazy()
    f = tf.function(lazy)
    assert_allclose(f(tf.constant([1.0, 2.0])), [1.0, 2.0])
    assert_allclose(f(tf.constant([3.0, 4.0])), [3.0, 4.0])

    @tf.function
    def creates_every_time(x):
        v = tf.Variable(1.0)
        return x * v

    # TF traces a second time when the first trace created variables; an unguarded creation
    # then raises, on the first call already.
    with pytest.raises(ValueError, match="singleton tf.Variables"):
        creates_every_time(tf.constant(1.0))


def test_donation_keeps_snapshots_valid():
    v = tf.Variable([1.0, 2.0])
    snapshot = v.read_value()

    @tf.function
    def bump():
        v.assign_add([1.0, 1.0])
        return v.read_value()

    bump()
    out = bump()
    assert snapshot.numpy().tolist() == [1.0, 2.0]  # the pre-call buffer was not donated away
    assert out.numpy().tolist() == [3.0, 4.0] and v.numpy().tolist() == [3.0, 4.0]


def test_variables_sharing_one_array_stay_distinct():
    # tf.Variable(v) starts from v's array: both are read, written and donated separately
    v1 = tf.Variable([1.0, 2.0])
    v2 = tf.Variable(v1)
    snapshot = v1.read_value()

    @tf.function
    def step():
        v1.assign_add([1.0, 1.0])
        v2.assign_sub([1.0, 1.0])
        return v1 + v2

    step()
    assert step().numpy().tolist() == [2.0, 4.0]
    assert v1.numpy().tolist() == [3.0, 4.0] and v2.numpy().tolist() == [-1.0, 0.0]
    assert snapshot.numpy().tolist() == [1.0, 2.0]


def test_steps_without_results_or_state():
    calls = []

    @tf.function
    def nothing():
        calls.append(1)

    assert nothing() is None and nothing() is None
    assert calls == [1] and nothing.experimental_get_tracing_count() == 1


def test_keras_model_and_optimizer_inside_function():
    model = tf.keras.Sequential(
        [tf.keras.layers.Dense(4, activation="relu"), tf.keras.layers.Dense(1)]
    )
    opt = tf.keras.optimizers.Adam(0.01)
    x = tf.random.normal((8, 3))
    y = tf.random.normal((8, 1))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    losses = [float(step()) for _ in range(30)]
    assert losses[-1] < losses[0] and int(opt.iterations.numpy()) == 30
    assert step.experimental_get_tracing_count() == 2  # TF also traces twice when it creates


def test_function_called_under_an_eager_tape():
    w = tf.Variable(3.0)
    f = tf.function(lambda x: x * w * w)
    x = tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = f(x)
    gx, gw = t.gradient(y, [x, w])
    assert float(gx) == 9.0 and float(gw) == 12.0


def test_input_shardings_are_kept():
    code = (
        "import jax, numpy as np, jaxtape as tf\n"
        "from jax.sharding import Mesh, NamedSharding, PartitionSpec as P\n"
        "mesh = Mesh(np.array(jax.devices()), ('d',))\n"
        "x = jax.device_put(np.ones((8, 4), np.float32), NamedSharding(mesh, P('d')))\n"
        "w = tf.Variable(np.ones((4, 2), np.float32))\n"
        "f = tf.function(lambda t: tf.tanh(t @ w))\n"
        "y = f(tf.convert_to_tensor(x))\n"
        "assert len(tf.to_jax(y).sharding.device_set) == 4, tf.to_jax(y).sharding\n"
        # and through a trace with an open batch dimension (jax.export)
        "g = tf.function(lambda t: tf.tanh(t @ w),\n"
        "                input_signature=[tf.TensorSpec([None, 4], tf.float32)])\n"
        "for n in (8, 12):\n"
        "    xn = jax.device_put(np.ones((n, 4), np.float32), NamedSharding(mesh, P('d')))\n"
        "    y = g(tf.convert_to_tensor(xn))\n"
        "    assert len(tf.to_jax(y).sharding.device_set) == 4, tf.to_jax(y).sharding\n"
        "assert g.experimental_get_tracing_count() == 1\n"
        "print('ok')\n"
    )
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]


def test_tf_print_inside_function(capfd):
    @tf.function
    def f(x):
        tf.print("value:", x)
        return x + 1.0

    f(tf.constant([1.0, 2.0]))
    import jax

    jax.effects_barrier()
    assert "value: [1. 2.]" in capfd.readouterr().err


def test_one_trace_when_the_step_only_uses_existing_variables(capsys):
    # TF runs Python side effects once per trace; Variables need no second trace to be found
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        print("tracing f")
        v.assign_add(x)
        return v * 2

    assert float(f(tf.constant(1.0))) == 4.0 and float(f(tf.constant(1.0))) == 6.0
    assert capsys.readouterr().out.count("tracing f") == 1
    assert f.experimental_get_tracing_count() == 1 and float(v) == 3.0


def test_optimizer_slots_built_in_the_first_trace_trace_it_again():
    w = tf.Variable([1.0, 2.0])
    opt = tf.keras.optimizers.Adam(0.1)

    @tf.function
    def step():
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(w * w)
        opt.apply_gradients([(t.gradient(loss, w), w)])
        return loss

    step()
    step()
    step()
    # measured under TF 2.21 + Keras 3 (tests/tfdiff cases_function::lazy_slots_trace_count):
    # the first call builds the slots and traces twice; later calls trace nothing
    assert step.experimental_get_tracing_count() == 2
    assert int(opt.iterations.numpy()) == 3 and len(opt.variables) == 4


def test_variables_are_read_at_call_time_by_every_path():
    v = tf.Variable([1.0, 2.0])
    snapshot = v.read_value()  # shares v's buffer now; must stay the old value

    @tf.function
    def f():
        import jax.numpy as jnp

        return tf.reduce_sum((v - snapshot) ** 2) + jnp.sum(tf.to_jax(v))

    assert float(f()) == 3.0
    v.assign([2.0, 4.0])
    assert float(f()) == 1.0 + 4.0 + 6.0
    assert snapshot.numpy().tolist() == [1.0, 2.0]


def test_numpy_of_a_variable_inside_function_is_an_error():
    v = tf.Variable(1.0)

    @tf.function
    def f():
        return v.numpy() * 2

    with pytest.raises(NotImplementedError, match="eager execution"):
        f()
    with pytest.raises(TypeError, match="jaxtape.cond"):
        tf.function(lambda: float(v.read_value()))()


def test_nested_function_is_inlined():
    v = tf.Variable(2.0)
    inner = tf.function(lambda x: x * v)
    outer = tf.function(lambda x: inner(x) + 1.0)
    assert float(outer(tf.constant(3.0))) == 7.0
    v.assign(5.0)
    assert float(outer(tf.constant(3.0))) == 16.0


def test_variables_found_when_jax_inlines_array_constants():
    # Newer JAX may inline closed-over arrays as jaxpr literals; such a Variable is then passed
    # as an explicit input (a retrace) instead of being found among the constants.
    code = (
        "import jax\n"
        "try:\n"
        "    jax.config.update('jax_use_simplified_jaxpr_constants', True)\n"
        "except Exception:\n"
        "    pass\n"
        "import jaxtape as tf\n"
        "v = tf.Variable([1.0, 2.0])\n"
        "f = tf.function(lambda: tf.reduce_sum(v * 3.0))\n"
        "assert float(f()) == 9.0\n"
        "v.assign([2.0, 2.0])\n"
        "assert float(f()) == 12.0, float(f())\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]


def test_input_signature_traces_once_for_open_dimensions(capsys):
    # TF 2.21: one trace, the open dimension shows as None, other shapes bind to the same trace
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(x):
        print("tracing", x.shape, x.shape[0])
        return tf.reduce_sum(x) + tf.cast(tf.shape(x)[0], tf.float32)

    f.get_concrete_function()  # TF: traces the signature, no arguments needed
    assert float(f(tf.constant([1.0, 2.0]))) == 5.0
    assert float(f(tf.constant([1.0, 2.0, 3.0]))) == 9.0
    assert f.experimental_get_tracing_count() == 1
    assert capsys.readouterr().out == "tracing (None,) None\n"
    with pytest.raises(TypeError) as e:
        f(tf.constant([[1.0]]))
    assert str(e.value).startswith(  # TF 2.21's text
        "Binding inputs to tf.function failed due to `Can not cast TensorSpec(shape=(1, 1), "
        "dtype=tf.float32, name=None) to TensorSpec(shape=(None,), dtype=tf.float32, "
        "name=None)`. Received args: (<tf.Tensor: shape=(1, 1), dtype=float32, numpy=array("
        "[[1.]], dtype=float32)>,) and kwargs: {} for signature: (x: TensorSpec(shape=(None,), "
        "dtype=tf.float32, name=None))."
    )
    with pytest.raises(TypeError, match="due to `too many positional arguments`"):
        f(tf.constant([1.0]), tf.constant([1.0]))


def test_reduce_retracing_opens_the_dimensions_that_differ(capsys):
    @tf.function(reduce_retracing=True)
    def g(x):
        print("tracing", x.shape)
        return x * 2

    for n in (1, 2, 3, 4):
        assert g(tf.ones([n])).numpy().tolist() == [2.0] * n
    assert g.experimental_get_tracing_count() == 2  # TF: (1,), then (None,)
    assert capsys.readouterr().out == "tracing (1,)\ntracing (None,)\n"
    g(tf.ones([1, 1]))
    g(tf.ones([1, 2]))
    # TF traces once more for an unknown rank; JAX needs the rank: all its dimensions open
    assert g.experimental_get_tracing_count() == 3
    assert capsys.readouterr().out == "tracing (None, None)\n"

    @tf.function(reduce_retracing=True)
    def h(x, n):  # Python values are never relaxed
        return x * n

    for n in (2, 3, 4):
        h(tf.constant(1.0), n)
    assert h.experimental_get_tracing_count() == 3


def test_training_step_with_an_open_batch_dimension():
    def make():
        w = tf.Variable([[0.5], [-0.25], [0.1]])
        return w, tf.keras.optimizers.SGD(0.1)

    def train(w, opt, x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.squeeze(x @ w, axis=1) - y) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        return loss

    w, opt = make()
    step = tf.function(
        lambda x, y: train(w, opt, x, y),
        input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([None], tf.float32)],
    )
    w_eager, opt_eager = make()
    for n in (4, 8, 5, 4):
        x = tf.reshape(tf.range(3 * n, dtype=tf.float32) / 10.0, [n, 3])
        y = tf.ones([n])
        assert_allclose(step(x, y), train(w_eager, opt_eager, x, y), rtol=1e-6)
    assert_allclose(w, w_eager, rtol=1e-6)
    assert step.experimental_get_tracing_count() == 1
    # sizes the trace took as equal must stay equal: TF's own error for a mismatch
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        step(tf.ones([2, 3]), tf.ones([3]))
    step(tf.ones([6, 3]), tf.ones([6]))
    assert step.experimental_get_tracing_count() == 2  # + the failed mismatched trace


def test_shape_arithmetic_inside_function(run):
    def f(x):
        b = tf.shape(x)[0]
        y = tf.reshape(x, [b, -1])
        z = tf.zeros(tf.shape(x))
        return (
            tf.reduce_sum(y) / tf.cast(tf.size(x), tf.float32)
            + tf.reduce_sum(z)
            + tf.cast(tf.rank(x) * b, tf.float32)
        )

    assert float(run(lambda: f(tf.ones((2, 3, 2))))) == 7.0

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def g(x):
        return tf.reduce_sum(x + tf.zeros(tf.shape(x))) / tf.cast(tf.size(x), tf.float32)

    assert float(g(tf.ones((2, 3)))) == 1.0 and float(g(tf.ones((5, 3)))) == 1.0
    assert g.experimental_get_tracing_count() == 1


def test_open_dimensions_fall_back_to_per_shape_traces():
    # random ops need the number of values when traced: such a step traces per shape instead
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def r(x):
        return x + tf.random.stateless_uniform(tf.shape(x), seed=[1, 2])

    for n in (2, 3):
        assert_allclose(r(tf.zeros([n])), tf.random.stateless_uniform([n], seed=[1, 2]))
    assert r.experimental_get_tracing_count() == 2


def test_calls_bind_to_the_python_signature_first(capsys):
    # TF 2.21: positional, keyword and default spellings of one call are one trace
    @tf.function
    def h(x, flag=True, scale=1.0):
        print("tracing", flag, scale)
        return x * scale if flag else -x

    c = tf.constant(1.0)
    for call in (
        lambda: h(c),
        lambda: h(c, True),
        lambda: h(c, flag=True),
        lambda: h(c, True, 1.0),
        lambda: h(x=c),
    ):
        assert float(call()) == 1.0
    assert h.experimental_get_tracing_count() == 1
    assert float(h(c, scale=2.0)) == 2.0 and float(h(c, True, 2.0)) == 2.0
    assert h.experimental_get_tracing_count() == 2
    assert capsys.readouterr().out == "tracing True 1.0\ntracing True 2.0\n"
    with pytest.raises(TypeError, match="missing a required argument"):
        h()


def test_variable_arguments_of_one_shape_share_a_trace():
    # TF keys a Variable argument by shape and dtype: the trace runs on the call's Variable
    @tf.function
    def bump(v, by):
        v.assign_add(by * tf.random.stateless_uniform(tf.shape(v), seed=[1, 1]))
        return v.read_value()

    a, b, c = tf.Variable(1.0), tf.Variable(10.0), tf.Variable([1.0, 2.0])
    r = float(tf.random.stateless_uniform([], seed=[1, 1]))
    assert float(bump(a, 1.0)) == pytest.approx(1.0 + r)
    assert float(bump(b, 1.0)) == pytest.approx(10.0 + r)
    assert float(bump(b, 1.0)) == pytest.approx(10.0 + 2 * r)
    assert float(a) == pytest.approx(1.0 + r)  # untouched by the calls on b
    assert bump.experimental_get_tracing_count() == 1
    bump(c, 1.0)
    assert bump.experimental_get_tracing_count() == 2  # another shape

    @tf.function
    def swap(x, y):
        x.assign(y + 1.0)
        return x.read_value()

    swap(a, b)
    assert swap(a, a).numpy() == pytest.approx(float(a.numpy()))  # f(v, v): its own trace
    assert swap.experimental_get_tracing_count() == 2


def test_variable_argument_also_used_from_a_closure():
    w = tf.Variable(1.0)

    @tf.function
    def step(v):
        v.assign_add(1.0)
        w.assign_add(10.0)
        return v + w

    other = tf.Variable(5.0)
    assert float(step(other)) == 6.0 + 11.0
    assert float(step(w)) == (11.0 + 1.0 + 10.0) * 2  # v is w: both writes land on w
    assert float(w) == 22.0 and float(other) == 6.0


def test_old_traces_are_released(monkeypatch):
    """Each trace holds a compiled executable: past `MAX_TRACES` the oldest are released
    (traced again if their signature comes back), so retracing does not grow memory forever."""
    import gc
    import weakref
    from jaxtape._src import function as F

    monkeypatch.setattr(F, "MAX_TRACES", 4)
    w = tf.Variable(2.0)

    @tf.function
    def f(x, k):
        return x * w + float(k)

    first = f._cache
    assert float(f(tf.constant(1.0), 0)) == 2.0
    ref = weakref.ref(next(iter(f._cache.values())))
    for k in range(1, 10):
        assert float(f(tf.constant(1.0), k)) == 2.0 + k
    assert len({id(c) for c in f._cache.values()}) == 4
    del first
    gc.collect()
    assert ref() is None
    assert float(f(tf.constant(1.0), 0)) == 2.0  # evicted signature: traced again
    assert f.experimental_get_tracing_count() == 11


def test_traced_indices_gather_and_the_checked_mode():
    """Inside a compiled step indices are known only when it runs: gather / gather_nd work on
    them (XLA clamps an out-of-range one, unlike TF's CPU kernel), and
    `tf.debugging.enable_check_indices()` checks them at run time, raising TF's error."""
    p = tf.constant([[1.0, 2.0], [3.0, 4.0]])

    @tf.function
    def f(i):
        return (
            tf.gather(p, i),
            tf.gather_nd(p, tf.stack([i, i], axis=1)),
            tf.nn.embedding_lookup(p, i),
        )

    a, b, c = f(tf.constant([1, 0]))
    assert a.numpy().tolist() == [[3.0, 4.0], [1.0, 2.0]] and b.numpy().tolist() == [4.0, 1.0]
    assert c.numpy().tolist() == a.numpy().tolist()
    tf.debugging.enable_check_indices()
    try:

        @tf.function
        def g(i):
            return tf.gather(p, i)

        assert g(tf.constant([1, 0])).numpy().tolist() == [[3.0, 4.0], [1.0, 2.0]]
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into"):
            g(tf.constant([5, 0]))
    finally:
        tf.debugging.disable_check_indices()
