"""Jacobians, Hessians, custom gradients, recompute_grad and forward mode."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose, check_gradients


def test_jacobian_shapes_and_unconnected():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    u = tf.Variable([[1.0, 2.0, 3.0]])
    w = tf.constant([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]])
    with tf.GradientTape(persistent=True) as g:
        y = x @ w
    j = g.jacobian(y, x)
    assert tuple(j.shape) == (2, 3, 2, 2)
    expected = jax.jacrev(lambda a: a @ w.numpy())(x.numpy())
    assert_allclose(j, expected)
    assert g.jacobian(y, u) is None
    assert tuple(g.jacobian(y, u, unconnected_gradients="zero").shape) == (2, 3, 1, 3)
    assert_allclose(g.jacobian(y, x, experimental_use_pfor=False), expected)


def test_jacobian_nonpersistent_once():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as g:
        y = x * x
    assert_allclose(g.jacobian(y, x), [[2.0, 0.0], [0.0, 4.0]])
    with pytest.raises(RuntimeError, match="non-persistent"):
        g.jacobian(y, x)
    with tf.GradientTape() as g:
        y = x * x
    with pytest.raises(RuntimeError, match="persistent=True"):
        g.jacobian(y, x, experimental_use_pfor=False)


def test_batch_jacobian():
    x = tf.Variable([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]])
    w = tf.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with tf.GradientTape(persistent=True) as g:
        y = tf.tanh(x @ w)
        g.watch(w)
    bj = g.batch_jacobian(y, x)
    assert tuple(bj.shape) == (2, 2, 3)
    ref = jax.vmap(jax.jacrev(lambda r: jnp.tanh(r @ w.numpy())))(x.numpy())
    assert_allclose(bj, ref, rtol=1e-5)
    with pytest.raises(ValueError, match="rank at least 2"):
        g.batch_jacobian(tf.reduce_sum(y, axis=1), x)
    z = tf.constant([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert_allclose(g.batch_jacobian(y, tf.Variable(z)), np.zeros((2, 2, 3)))  # zeros, never None


def _mlp_loss_jax(params, x, y):
    w1, b1, w2, b2 = params
    h = jnp.tanh(x @ w1 + b1)
    return jnp.mean((h @ w2 + b2 - y) ** 2)


def test_hessian_of_mlp_loss_matches_jax():
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(3, 4)).astype(np.float32)
    w2 = rng.normal(size=(4, 1)).astype(np.float32)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    y = rng.normal(size=(5, 1)).astype(np.float32)
    v1 = tf.Variable(w1)
    b1, b2 = np.zeros(4, np.float32), np.zeros(1, np.float32)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            h = tf.tanh(tf.constant(x) @ v1 + b1)
            loss = tf.reduce_mean((h @ w2 + b2 - y) ** 2)
        g = inner.gradient(loss, v1)
    hess = outer.jacobian(g, v1)
    ref = jax.hessian(lambda a: _mlp_loss_jax([a, b1, w2, b2], x, y))(w1)
    assert_allclose(hess, ref, rtol=1e-4, atol=1e-6)


def test_third_derivative_and_sqrt_second_derivative():
    x = tf.Variable(1.5)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = tf.sin(x) * x**2
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    f = lambda a: jnp.sin(a) * a**2  # noqa: E731
    assert float(d3) == pytest.approx(float(jax.grad(jax.grad(jax.grad(f)))(1.5)), rel=1e-5)
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            s = tf.reduce_sum(tf.sqrt(v))
        g = t1.gradient(s, v)
    assert_allclose(t2.gradient(g, v), -0.25 * v.numpy() ** -1.5, rtol=1e-6)


def test_custom_gradient_clipping_matches_hand_computation():
    @tf.custom_gradient
    def clip_gradient(x):
        def grad(dy):
            return tf.clip_by_value(dy, -0.5, 0.5)

        return tf.identity(x), grad

    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as t:
        y = clip_gradient(x) * tf.constant([0.1, 3.0, -2.0])
    assert_allclose(t.gradient(y, x), [0.1, 0.5, -0.5])


def test_custom_gradient_forms():
    w = tf.Variable(2.0)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            return dy * w * 1000.0, [dy * x * 7.0]

        return x * w, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as t:
        t.watch(x)
        y = scale(x)
    gx, gw = t.gradient(y, [x, w])
    assert float(gx) == 2000.0 and float(gw) == 21.0

    @tf.custom_gradient
    def two(a, b):
        return a * b, lambda dy: (dy * 2.0, None)

    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = two(a, b)
    ga, gb = t.gradient(y, [a, b])
    assert float(ga) == 2.0 and gb is None

    @tf.custom_gradient
    def wrong(a, b):
        return a + b, lambda dy: dy

    with pytest.raises(ValueError, match="expected to return 2 gradients"):
        with tf.GradientTape() as t:
            t.watch([a, b])
            y = wrong(a, b)
        t.gradient(y, [a, b])

    @tf.custom_gradient
    def no_kwarg(x):
        return x * w, lambda dy: dy * w

    with pytest.raises(TypeError, match="must accept keyword argument 'variables'"):
        no_kwarg(tf.constant(1.0))


def test_custom_gradient_second_order_and_checker():
    @tf.custom_gradient
    def cube(x):
        return x * x * x, lambda dy: dy * 3.0 * x * x

    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = cube(x)
        g = t1.gradient(y, x)
    assert float(g) == 12.0 and float(t2.gradient(g, x)) == 12.0
    check_gradients(cube, [[0.5, 1.5]])


def test_recompute_grad_same_gradients():
    w = tf.Variable([[0.5, -1.0], [2.0, 0.25]])

    def block(x):
        return tf.tanh(x @ w)

    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(tf.recompute_grad(block)(x))
    gx, gw = t.gradient(y, [x, w])
    with tf.GradientTape() as t:
        t.watch(x)
        y2 = tf.reduce_sum(block(x))
    ex, ew = t.gradient(y2, [x, w])
    assert_allclose([gx, gw], [ex, ew], rtol=1e-6)


def test_forward_accumulator_matches_jax_jvp():
    x = tf.constant([1.0, 2.0, 0.5])
    v = tf.constant([1.0, -0.5, 2.0])
    f = lambda a: jnp.sum(jnp.sin(a) * a**2)  # noqa: E731
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        y = tf.reduce_sum(tf.sin(x) * x**2)
    assert float(acc.jvp(y)) == pytest.approx(
        float(jax.jvp(f, (x.numpy(),), (v.numpy(),))[1]), rel=1e-5
    )
    # Hessian-vector product: forward over reverse (sqrt's TF-style derivative is custom_vjp:
    # forward mode falls back to double backprop there, as TF computes JVPs)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(x**3 + tf.sqrt(x))
        g = tape.gradient(y, x)
    ref = jax.jvp(jax.grad(lambda a: jnp.sum(a**3 + jnp.sqrt(a))), (x.numpy(),), (v.numpy(),))[1]
    assert_allclose(acc.jvp(g), ref, rtol=1e-5)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        unrelated = tf.constant(3.0) * 2.0
    assert acc.jvp(unrelated) is None
