"""Ops checked from one table of records: forward value vs a NumPy/jnp reference, `tape.gradient`
vs `jax.grad` of the reference, and finite differences for hand-written derivatives."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose, check_gradients

X = np.array([0.3, 0.7, 1.4, 2.1])
P = np.array([[0.5, -1.2, 2.0], [1.5, 0.25, -0.7]])

# (name, jaxtape fn, jnp reference, input, custom derivative?)
UNARY = [
    ("exp", tf.exp, jnp.exp, X, False),
    ("log", tf.math.log, jnp.log, X, False),
    ("sqrt", tf.sqrt, jnp.sqrt, X, True),
    ("rsqrt", tf.math.rsqrt, jax.lax.rsqrt, X, False),
    ("sin", tf.sin, jnp.sin, X, False),
    ("cos", tf.cos, jnp.cos, X, False),
    ("tan", tf.tan, jnp.tan, X, False),
    ("tanh", tf.tanh, jnp.tanh, X, False),
    ("sigmoid", tf.sigmoid, jax.nn.sigmoid, X, False),
    ("softplus", tf.nn.softplus, jax.nn.softplus, X, False),
    ("softsign", tf.nn.softsign, jax.nn.soft_sign, X, False),
    ("log1p", tf.math.log1p, jnp.log1p, X, False),
    ("expm1", tf.math.expm1, jnp.expm1, X, False),
    ("erf", tf.math.erf, jax.scipy.special.erf, X, False),
    ("lgamma", tf.math.lgamma, jax.scipy.special.gammaln, X, False),
    ("digamma", tf.math.digamma, jax.scipy.special.digamma, X, False),
    ("atan", tf.atan, jnp.arctan, X, False),
    ("asinh", tf.asinh, jnp.arcsinh, X, False),
    ("square", tf.square, jnp.square, X, False),
    ("abs", tf.abs, jnp.abs, X - 1.0, True),
    ("reciprocal", tf.math.reciprocal, lambda a: 1 / a, X, False),
    ("relu", tf.nn.relu, jax.nn.relu, X - 1.0, True),
    ("elu", tf.nn.elu, jax.nn.elu, X - 1.0, True),
    ("selu", tf.nn.selu, jax.nn.selu, X - 1.0, True),
    ("gelu", tf.nn.gelu, lambda a: jax.nn.gelu(a, approximate=False), X - 1.0, False),
    ("silu", tf.nn.silu, jax.nn.silu, X - 1.0, False),
    ("softmax", tf.nn.softmax, jax.nn.softmax, P, False),
    ("log_softmax", tf.nn.log_softmax, jax.nn.log_softmax, P, False),
    ("reduce_sum", tf.reduce_sum, jnp.sum, P, False),
    ("reduce_mean", lambda t: tf.reduce_mean(t, axis=1), lambda a: jnp.mean(a, axis=1), P, False),
    ("reduce_max", lambda t: tf.reduce_max(t, axis=0), lambda a: jnp.max(a, axis=0), P, False),
    ("reduce_prod", tf.reduce_prod, jnp.prod, P, False),
    ("logsumexp", tf.reduce_logsumexp, jax.nn.logsumexp, P, False),
    ("variance", tf.math.reduce_variance, jnp.var, P, False),
    ("std", tf.math.reduce_std, jnp.std, P, True),
    ("cumsum", lambda t: tf.cumsum(t, axis=1), lambda a: jnp.cumsum(a, axis=1), P, False),
    ("transpose", tf.transpose, jnp.transpose, P, False),
    ("reshape", lambda t: tf.reshape(t, (3, 2)), lambda a: a.reshape(3, 2), P, False),
    ("tile", lambda t: tf.tile(t, [2, 1]), lambda a: jnp.tile(a, (2, 1)), P, False),
    (
        "pad",
        lambda t: tf.pad(t, [[1, 0], [0, 2]]),
        lambda a: jnp.pad(a, ((1, 0), (0, 2))),
        P,
        False,
    ),
    ("reverse", lambda t: tf.reverse(t, [1]), lambda a: a[:, ::-1], P, False),
    ("slice", lambda t: t[:, 1:], lambda a: a[:, 1:], P, False),
    ("norm", tf.norm, jnp.linalg.norm, P, False),
    ("l2_loss", tf.nn.l2_loss, lambda a: jnp.sum(a * a) / 2, P, False),
    (
        "clip_by_value",
        lambda t: tf.clip_by_value(t, -1.0, 1.0),
        lambda a: jnp.clip(a, -1.0, 1.0),
        P,
        True,
    ),
    ("pow3", lambda t: t**3, lambda a: a**3, P, True),
    ("matmul_self", lambda t: tf.matmul(t, t, transpose_b=True), lambda a: a @ a.T, P, False),
    ("inv", tf.linalg.inv, jnp.linalg.inv, np.array([[2.0, 0.5], [0.3, 1.5]]), False),
    ("det", tf.linalg.det, jnp.linalg.det, np.array([[2.0, 0.5], [0.3, 1.5]]), False),
    (
        "cholesky",
        tf.linalg.cholesky,
        jnp.linalg.cholesky,
        np.array([[2.0, 0.5], [0.5, 1.5]]),
        False,
    ),
]

BINARY = [
    ("add", tf.add, jnp.add),
    ("subtract", tf.subtract, jnp.subtract),
    ("multiply", tf.multiply, jnp.multiply),
    ("divide", tf.divide, jnp.divide),
    ("maximum", tf.maximum, jnp.maximum),
    ("minimum", tf.minimum, jnp.minimum),
    ("pow", tf.pow, jnp.power),
    ("atan2", tf.math.atan2, jnp.arctan2),
    ("squared_difference", tf.math.squared_difference, lambda a, b: (a - b) ** 2),
    ("xlogy", tf.math.xlogy, jax.scipy.special.xlogy),
]
A = np.array([0.5, 1.5, 2.5])
B = np.array([1.25, 0.75, 3.0])


def _f32(a):
    return np.asarray(a, np.float32)


@pytest.mark.parametrize("name, fn, ref, x, custom", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_gradient(name, fn, ref, x, custom):
    t = tf.constant(_f32(x))
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    assert_allclose(y, ref(jnp.asarray(_f32(x))), rtol=2e-5, atol=1e-6)
    g = tape.gradient(y, t)
    expected = jax.grad(lambda a: jnp.sum(ref(a)))(jnp.asarray(_f32(x)))
    assert_allclose(g, expected, rtol=2e-4, atol=1e-5)
    if custom:
        check_gradients(fn, [x])


@pytest.mark.parametrize("name, fn, ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_value_and_gradients(name, fn, ref):
    a, b = tf.constant(_f32(A)), tf.constant(_f32(B))
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = fn(a, b)
    assert_allclose(y, ref(_f32(A), _f32(B)), rtol=1e-5)
    ga, gb = tape.gradient(y, [a, b])
    ea, eb = jax.grad(lambda u, v: jnp.sum(ref(u, v)), argnums=(0, 1))(_f32(A), _f32(B))
    assert_allclose([ga, gb], [ea, eb], rtol=1e-4, atol=1e-6)


def test_gradient_checker_catches_a_wrong_derivative():
    @tf.custom_gradient
    def wrong_square(x):
        def grad(dy):
            return dy * 3.0 * x  # should be 2x

        return x * x, grad

    check_gradients(lambda x: x * x, [[1.0, 2.0]])
    with pytest.raises(AssertionError):
        check_gradients(wrong_square, [[1.0, 2.0]])


# --- TF's conventions where JAX differs: small exact tests --------------------------------


def _grad(fn, x):
    t = tf.constant(np.asarray(x, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return tape.gradient(y, t)


def test_maximum_minimum_ties_go_to_first_argument():
    a, b = tf.Variable([1.0, 2.0, 3.0]), tf.Variable([1.0, 1.0, 4.0])
    with tf.GradientTape(persistent=True) as t:
        mx = tf.maximum(a, b)
        mn = tf.minimum(a, b)
    assert_allclose(t.gradient(mx, [a, b]), [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert_allclose(t.gradient(mn, [a, b]), [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def test_reduce_max_splits_ties():
    assert_allclose(_grad(tf.reduce_max, [3.0, 3.0, 3.0, 1.0]), [1 / 3, 1 / 3, 1 / 3, 0.0])


def test_abs_relu_sqrt_at_zero():
    assert_allclose(_grad(tf.abs, [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])
    assert_allclose(_grad(tf.nn.relu, [0.0]), [0.0])
    assert_allclose(_grad(lambda v: tf.nn.leaky_relu(v, 0.2), [0.0]), [0.2])
    assert float(_grad(tf.sqrt, [0.0])[0]) == np.inf
    assert_allclose(_grad(lambda v: tf.sqrt(v) * 0.0, [0.0]), [0.0])
    g = _grad(lambda v: tf.where(v > 0.0, tf.math.log(v), v), [0.0])
    assert np.isnan(g.numpy()[0])  # 0 * inf in the unselected branch, as TF


def test_clip_by_value_passes_gradient_at_bounds():
    assert_allclose(
        _grad(lambda v: tf.clip_by_value(v, -1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0]),
        [0.0, 1.0, 1.0, 1.0, 0.0],
    )


def test_round_is_half_to_even_and_not_differentiable():
    x = tf.Variable([-1.5, -0.5, 0.5, 2.5])
    with tf.GradientTape() as t:
        r = tf.round(x)
    assert r.numpy().tolist() == [-2.0, -0.0, 0.0, 2.0] and t.gradient(r, x) is None


def test_pow_exponent_gradient_and_norm_at_zero():
    e = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.pow(tf.constant([-2.0, 0.0, 2.0]), e))
    assert float(t.gradient(y, e)) == pytest.approx(4.0 * np.log(2.0))
    x = tf.Variable([0.0, 0.0])
    with tf.GradientTape() as t:
        n = tf.norm(x)
    assert np.isnan(t.gradient(n, x).numpy()).all()


def test_gather_gradient_is_indexed_slices():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.gather(v, [2, 0, 2]))
    g = t.gradient(y, v)
    assert type(g).__name__ == "IndexedSlices" and tf.is_tensor(g)
    assert g.indices.numpy().tolist() == [2, 0, 2]
    assert_allclose(tf.convert_to_tensor(g), [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])
    opt = tf.keras.optimizers.SGD(1.0)
    opt.apply_gradients([(g, v)])  # accepted wherever a dense gradient is
    assert_allclose(v, [[0.0, 1.0], [3.0, 4.0], [3.0, 4.0]])
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.gather(v, [0, 0])) + tf.reduce_sum(v * v)
    assert type(t.gradient(y, v)).__name__ == "EagerTensor"


def test_complex_and_integer_semantics():
    assert (tf.constant([7, -7, 5]) // tf.constant([2, 2, -3])).numpy().tolist() == [3, -4, -2]
    assert tf.truncatediv(tf.constant([-7]), tf.constant([2])).numpy().tolist() == [-3]
    assert (tf.constant([1, 0]) / tf.constant([0, 0])).dtype is tf.float64
    z = tf.Variable([2.0 - 1.0j], dtype=tf.complex128)
    with tf.GradientTape() as t:
        y = tf.reduce_sum(tf.math.real(z * tf.math.conj(z)))
    assert complex(t.gradient(y, z)[0]) == pytest.approx(4 - 2j)


def test_cross_entropies_match_references():
    logits = tf.Variable([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    labels = tf.constant([0, 2])
    with tf.GradientTape() as t:
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    ref = -jax.nn.log_softmax(logits.numpy())[[0, 1], [0, 2]]
    assert_allclose(ce, ref, rtol=1e-6)
    g = t.gradient(ce, logits)
    assert_allclose(g, jax.nn.softmax(logits.numpy()) - np.eye(3)[[0, 2]], rtol=1e-5, atol=1e-6)


def test_errors_are_tf_classes():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.ones((2, 3)) + tf.ones((3, 2))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.gather(tf.constant([1.0, 2.0]), [5])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reshape(tf.ones((2, 3)), (4, 2))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reduce_sum(tf.constant([True, False]))
