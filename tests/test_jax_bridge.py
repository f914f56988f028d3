"""The JAX side of the bridge: traced indices in compiled steps, JAX arrays as arguments, JAX
arrays as results, Variables under JAX's tree utilities, and the errors where the two meet."""

import logging

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxtape as tf


@pytest.fixture
def p():
    return tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


X = tf.constant([0.1, 0.9, 0.3])


@pytest.mark.parametrize(
    "index",
    [
        lambda p, i: p[i],
        lambda p, i: p[i:i + 2],
        lambda p, i: p[i - 1:i + 1, 1],
        lambda p, i: p[:, tf.cast(i - 1, tf.int32)],
        lambda p, i: p[i - 3],
        lambda p, i: tf.gather(p, i),
        lambda p, i: tf.gather(p, tf.stack([i, i - 1])),
        lambda p, i: tf.nn.embedding_lookup(p, i),
    ],
)  # fmt: skip
def test_traced_indices_inside_function_match_eager(p, index):
    def f(x):
        return index(p, tf.argmax(x))

    np.testing.assert_array_equal(tf.function(f)(X).numpy(), f(X).numpy())


def test_traced_slice_gradient(p):
    @tf.function
    def grad(x):
        with tf.GradientTape() as t:
            i = tf.argmax(x)
            y = tf.reduce_sum(p[i : i + 2] ** 2) + p[i, 0]
        return t.gradient(y, p)

    np.testing.assert_array_equal(grad(X).numpy(), [[0, 0], [7, 8], [10, 12]])


def test_traced_slice_of_unknown_size_says_what_to_do(p):
    with pytest.raises(TypeError, match="tf.slice"):
        tf.function(lambda x: p[tf.argmax(x) :])(X)


def test_embedding_layer_in_function():
    emb = tf.keras.layers.Embedding(10, 3)
    f = tf.function(lambda ids: emb(ids))
    np.testing.assert_array_equal(f(tf.constant([1, 2])).numpy(), emb(tf.constant([1, 2])).numpy())


def test_jax_array_arguments_are_keyed_by_shape_and_dtype():
    f = tf.function(lambda x: x * 2)
    for _ in range(5):
        f(jnp.ones((3,), jnp.float32))
    assert f.experimental_get_tracing_count() == 1
    f(jnp.ones((3,), jnp.int32))
    f(jnp.ones((4,), jnp.float32))
    assert f.experimental_get_tracing_count() == 3


def test_function_returning_jax_arrays():
    @tf.function
    def f(x):
        return tf.to_jax(x * 2), {"t": x}

    a, rest = f(tf.constant(1.0))
    assert isinstance(a, jax.Array) and not isinstance(a, jax.core.Tracer)
    assert float(a) == 2.0 and isinstance(rest["t"], tf.Tensor)


def test_assign_inside_users_jit_raises_and_keeps_the_value():
    v = tf.Variable(1.0)

    @jax.jit
    def step(a):
        v.assign(a)
        return a

    with pytest.raises(RuntimeError, match="JAX transformation"):
        step(2.0)
    assert float(v) == 1.0


def test_variables_under_jax_tree_utilities():
    v = tf.Variable([1.0, 2.0])
    layer = tf.keras.layers.Dense(2)
    layer(tf.ones((1, 2)))
    put = jax.device_put(v)
    assert isinstance(put, tf.Tensor) and put.numpy().tolist() == [1.0, 2.0]
    state = optax.adam(0.1).init([v, layer.kernel])
    assert state[0].mu[0].numpy().tolist() == [0.0, 0.0]
    chex.assert_trees_all_close(v, tf.Variable([1.0, 2.0]))
    assert jax.tree_util.tree_leaves([v])[0].shape == (2,)


def test_to_jax_over_nests():
    v, t = tf.Variable([1.0]), tf.constant(2)
    out = tf.to_jax({"a": v, "b": [t, (t,)]})
    assert isinstance(out["a"], jax.Array) and isinstance(out["b"][1][0], jax.Array)
    assert jnp.sin(tf.to_jax(v)).shape == (1,)


def test_retracing_warning_as_tf(caplog):
    def f(x):
        return x * 2

    g = tf.function(f)
    with caplog.at_level(logging.WARNING, logger="jaxtape"):
        for i in range(8):
            g(tf.ones([i + 1]))
    msgs = [r.getMessage() for r in caplog.records if "retracing" in r.getMessage()]
    assert len(msgs) == 2  # at most twice per function, as TF
    assert msgs[0].startswith("5 out of the last 5 calls to <function") and "6 out of" in msgs[1]


def test_no_retracing_warning_for_a_steady_loop(caplog):
    g = tf.function(lambda x: x + 1)
    with caplog.at_level(logging.WARNING, logger="jaxtape"):
        for i in range(30):
            g(tf.ones([1 + i % 2]))
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
