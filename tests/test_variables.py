import numpy as np
import pytest

import jaxtape as tf


def test_names_and_attributes():
    assert tf.Variable(1.0).name == "Variable:0" and tf.Variable(1.0, name="w").name == "w:0"
    assert tf.Variable(1.0, name="v:0").name == "v:0:0"
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            assert tf.Variable(1.0, name="b").name == "outer/inner/b:0"
    v = tf.Variable([[1.0, 2.0]], name="attrs")
    assert type(v).__name__ == "ResourceVariable" and isinstance(v, tf.Variable)
    assert tf.is_tensor(v) and not isinstance(v, tf.Tensor) and v.dtype is tf.float32
    assert tf.Variable(3).trainable and tf.Variable(3).dtype is tf.int32
    assert repr(tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="m")) == (
        "<tf.Variable 'm:0' shape=(2, 2) dtype=float32, numpy=\narray([[1., 2.],\n       "
        "[3., 4.]], dtype=float32)>"
    )


def test_assign_family():
    v = tf.Variable([5.0, 6.0], name="s")
    r = v.assign_sub([1.0, 2.0])
    assert isinstance(r, tf.Variable) and r.name == "UnreadVariable"
    assert (
        repr(r)
        == "<tf.Variable 'UnreadVariable' shape=(2,) dtype=float32, numpy=array([4., 4.], dtype=float32)>"
    )
    assert v.assign_add([1.0, 1.0], read_value=False) is None
    np.testing.assert_array_equal(v.numpy(), [5.0, 5.0])
    with pytest.raises(ValueError):
        v.assign(tf.constant([1.0, 2.0], tf.float64))
    with pytest.raises(ValueError):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="Cannot convert 2.5 to EagerTensor of dtype int32"):
        tf.Variable(1).assign(2.5)
    v.assign(np.array([1.9, 2.0]))  # numpy float64 is cast silently
    w = tf.Variable([1.0, 2.0], shape=tf.TensorShape(None))
    w.assign([1.0, 2.0, 3.0])
    assert repr(w.shape) == "TensorShape(None)" and w.numpy().shape == (3,)


def test_read_value_is_a_snapshot_and_numpy_a_copy():
    v = tf.Variable(1.0)
    r = v.read_value()
    a = v.numpy()
    v.assign(7.0)
    assert float(r) == 1.0 and a == 1.0 and not isinstance(r, tf.Variable)


def test_inplace_operators_raise():
    v = tf.Variable(1.0)
    with pytest.raises(RuntimeError, match="assign_add"):
        v += 1.0
    with pytest.raises(RuntimeError):
        v *= 2.0
    with pytest.raises(TypeError, match="Variable is unhashable"):
        hash(v)
    with pytest.raises(TypeError, match="has no len"):
        len(tf.Variable([1.0, 2.0]))


def test_arithmetic_gives_tensors_and_slices_assign():
    v = tf.Variable([1.0, -2.0])
    for r in (v + 1.0, 1.0 - v, v * v, -v, abs(v), v**2, v / 2.0, v // 1.5, v % 1.5):
        assert isinstance(r, tf.Tensor) and not isinstance(r, tf.Variable)
    w = tf.Variable([1.0, 2.0, 3.0, 4.0])
    w[1].assign(20.0)
    w[2:].assign([30.0, 40.0])
    np.testing.assert_array_equal(w.numpy(), [1.0, 20.0, 30.0, 40.0])
