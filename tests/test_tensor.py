import numpy as np
import pytest

import jaxtape as tf


def test_str_and_repr():
    assert str(tf.constant(3.0)) == "tf.Tensor(3.0, shape=(), dtype=float32)"
    assert (
        repr(tf.constant(0.1)) == "<tf.Tensor: shape=(), dtype=float32, numpy=0.10000000149011612>"
    )
    assert str(tf.cast(tf.constant(3), tf.bfloat16)) == "tf.Tensor(3, shape=(), dtype=bfloat16)"
    assert str(tf.constant("hello")) == "tf.Tensor(b'hello', shape=(), dtype=string)"
    assert repr(tf.constant([[1.0, 2.0], [3.0, 4.0]])) == (
        "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\narray([[1., 2.],\n       [3., 4.]], "
        "dtype=float32)>"
    )
    assert str(tf.range(1001)).startswith("tf.Tensor([   0    1    2 ...  998  999 1000]")
    assert repr(tf.zeros((0, 3))) == (
        "<tf.Tensor: shape=(0, 3), dtype=float32, numpy=array([], shape=(0, 3), dtype=float32)>"
    )


def test_numpy_and_protocols():
    t = tf.constant([[1.0, 2.0]])
    assert type(t).__name__ == "EagerTensor" and isinstance(t, tf.Tensor)
    assert isinstance(t.numpy(), np.ndarray) and type(tf.constant(2.5).numpy()) is np.float32
    assert np.asarray(t).dtype == np.float32 and tf.constant("abc").numpy() == b"abc"
    assert bool(tf.constant([1.0])) and not bool(tf.constant([], tf.float32))
    with pytest.raises(ValueError, match="truth value of an array with more than one element"):
        bool(tf.constant([1.0, 2.0]))
    assert int(tf.constant(-2.9)) == -2 and float(tf.constant(3)) == 3.0
    with pytest.raises(TypeError):
        float(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="Scalar tensor has no `len"):
        len(tf.constant(1.0))
    with pytest.raises(TypeError, match="Cannot iterate over a scalar tensor"):
        list(tf.constant(1.0))
    assert f"{tf.constant(1.23456):.2f}" == "1.23" and [10, 20, 30][tf.constant(1)] == 20
    with pytest.raises(TypeError, match="unhashable"):
        hash(t)
    assert t.ref().deref() is t and (t == None) is False  # noqa: E711


def test_shapes():
    s = tf.zeros((2, 3)).shape
    assert repr(s) == "TensorShape([2, 3])" and str(s) == "(2, 3)" and s == (2, 3)
    assert s == [2, 3] and isinstance(s[0], int) and s.rank == 2 and s.as_list() == [2, 3]
    assert str(tf.zeros(4).shape) == "(4,)" and repr(tf.constant(1.0).shape) == "TensorShape([])"


def test_equality_semantics():
    b = tf.constant([1.0, 2.0])
    r = b == tf.constant([1.0, 2.0, 3.0])  # incompatible shapes: a scalar False, no error
    assert r.shape == () and not bool(r)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.math.equal(b, tf.constant([1.0, 2.0, 3.0]))
    assert bool(tf.constant("a") == "a")


def test_indexing():
    t = tf.reshape(tf.range(24), (2, 3, 4))
    np_t = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(t[:, 1:, ::2], np_t[:, 1:, ::2])
    np.testing.assert_array_equal(t[..., 1], np_t[..., 1])
    np.testing.assert_array_equal(t[0, 0, ::-1], np_t[0, 0, ::-1])
    assert t[None, 1, 2].shape.as_list() == [1, 4]
    np.testing.assert_array_equal(t[[0, 1]], np_t[0, 1])  # a list index is a tuple, as TF
    np.testing.assert_array_equal(t[t > 20], np_t[np_t > 20])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of bounds"):
        t[5]
    with pytest.raises(TypeError, match="Only integers, slices"):
        t[1.0]


def test_pytree_and_chex_interop():
    import chex
    import jax

    nest = {"a": tf.constant([1.0, 2.0]), "b": [tf.constant(3)]}
    leaves = jax.tree_util.tree_leaves(nest)
    assert all(isinstance(x, jax.Array) for x in leaves)
    doubled = jax.tree_util.tree_map(lambda a: a * 2, nest)
    assert isinstance(doubled["a"], tf.Tensor) and float(doubled["a"][1]) == 4.0
    chex.assert_trees_all_close(nest, {"a": tf.constant([1.0, 2.0]), "b": [tf.constant(3)]})
    assert jax.numpy.sum(tf.to_jax(nest["a"])) == 3.0


def test_device_is_tf_style():
    assert tf.constant(1.0).device.startswith("/job:localhost/replica:0/task:0/device:")


def _compiles(fn):
    """How many XLA compilations `fn()` triggers (JAX's compile events)."""
    import jax

    count = [0]

    def listen(name, duration, **kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            count[0] += 1

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        fn()
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    return count[0]


def test_iteration_and_int_indexing_do_not_compile_per_element():
    import numpy as np

    x = tf.constant(np.linspace(0, 1, 3001, dtype=np.float32))
    rows = []
    assert _compiles(lambda: rows.extend(float(v) for v in x)) == 0  # host rows, as TF
    assert rows[:2] == [0.0, float(np.float32(1 / 3000))] and len(rows) == 3001
    m = tf.constant(np.arange(300, dtype=np.float32).reshape(100, 3))
    picked = []
    n = _compiles(lambda: picked.extend(float(m[i, 1]) for i in range(100)))
    assert n <= 6, n  # a few static kernels, then one with the index as an argument
    assert picked == [float(3 * i + 1) for i in range(100)]
    assert [float(v) for v in m[-1]] == [297.0, 298.0, 299.0]


def test_iteration_under_a_tape_still_records_the_rows():
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = sum(v * v for v in x)
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[2] * x[0] + x[1]
    assert tape.gradient(y, x).numpy().tolist() == [3.0, 1.0, 1.0]


def test_compile_stats_name_what_compiled():
    import numpy as np

    tf.debugging.compile_stats(reset=True)
    x = tf.constant(np.ones((7, 13), np.float32))
    tf.reduce_sum(tf.sin(x) * 3.0).numpy()  # read: lazy eager runs it here
    stats = tf.debugging.compile_stats()
    assert stats["count"] >= 1 and stats["seconds"] > 0
    assert sum(n for n, _ in stats["by_function"].values()) == stats["count"]
    assert "Sin" in stats["by_function"], stats["by_function"]  # the op's TF name
    tf.reduce_sum(tf.sin(x) * 3.0)  # warm: nothing new
    assert tf.debugging.compile_stats()["count"] == stats["count"]
