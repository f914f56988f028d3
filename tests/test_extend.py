import jax
import jax.numpy as jnp
import numpy as np

import jaxtape as tf
from jaxtape.testing import assert_allclose


def mlp_apply(params, x):
    h = jnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"]


def test_registered_jax_function_differentiates_like_a_builtin():
    rng = np.random.default_rng(0)
    raw = {
        "w1": rng.normal(size=(3, 4)).astype(np.float32),
        "b1": np.zeros(4, np.float32),
        "w2": rng.normal(size=(4, 2)).astype(np.float32),
    }
    params = {k: tf.Variable(v, name=k) for k, v in raw.items()}
    x = rng.normal(size=(5, 3)).astype(np.float32)
    mlp = tf.extend.op(mlp_apply, name="MlpApply")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(mlp(params, tf.constant(x)) ** 2)
    grads = tape.gradient(loss, params)
    ref = jax.grad(lambda p: jnp.mean(mlp_apply(p, x) ** 2))(raw)
    assert list(grads) == list(params)
    for k in raw:
        assert_allclose(grads[k], ref[k], rtol=1e-5, atol=1e-6)


def test_registered_op_higher_order_and_in_function():
    cube = tf.extend.op(lambda a: a**3, name="Cube")
    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = cube(x)
        g = t1.gradient(y, x)
    assert float(g) == 12.0 and float(t2.gradient(g, x)) == 12.0
    f = tf.function(lambda: cube(x) + 1.0)
    assert float(f()) == 9.0


def test_static_arguments():
    power = tf.extend.op(lambda a, n: a**n, static_argnames=("n",))
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y = power(x, n=2)
    assert float(t.gradient(y, x)) == 6.0
