"""The hot path compiles nothing: a training loop reuses one compiled backward pass."""

import jax

import jaxtape as tf


class CompileCounter:
    """Counts XLA backend compilations with JAX's own monitoring events."""

    def __init__(self):
        self.count = 0

    def __call__(self, name, duration, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            self.count += 1

    def __enter__(self):
        jax.monitoring.register_event_duration_secs_listener(self)
        return self

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self)


def _model():
    tf.random.set_seed(0)
    w = tf.Variable(tf.random.normal((3, 4)), name="w")
    b = tf.Variable(tf.zeros(4), name="b")
    x = tf.random.normal((8, 3))
    y = tf.random.normal((8, 4))
    return w, b, x, y


def test_eager_training_loop_compiles_nothing_after_first_steps():
    w, b, x, y = _model()

    def step():
        with tf.GradientTape() as tape:
            pred = tf.tanh(x @ w + b)
            loss = tf.reduce_mean((pred - y) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss

    first = [float(step()) for _ in range(3)]
    before = tf.cache_info()["compiles"]
    with CompileCounter() as jax_compiles:
        losses = [float(step()) for _ in range(97)]
    assert jax_compiles.count == 0, "JAX compiled %d times on the hot path" % jax_compiles.count
    assert tf.cache_info()["compiles"] == before
    assert losses[-1] < first[0]


def test_function_training_loop_compiles_nothing_after_first_step():
    w, b, x, y = _model()

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.tanh(x @ w + b) - y) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw)
        b.assign_sub(0.1 * gb)
        return loss

    first = float(step())
    with CompileCounter() as jax_compiles:
        losses = [float(step()) for _ in range(20)]
    assert jax_compiles.count == 0
    assert step.experimental_get_tracing_count() <= 2
    assert losses[-1] < first


def test_cache_is_bounded_and_clearable():
    tf.clear_caches()
    assert tf.cache_info()["size"] == 0
    x = tf.Variable(1.0)
    with tf.GradientTape() as t:
        y = x * x
    t.gradient(y, x)
    info = tf.cache_info()
    assert info["size"] == 1 and info["maxsize"] >= 1
