import numpy as np
import pytest

import jaxtape as tf


def test_dtype_names_reprs_and_equality():
    assert repr(tf.float32) == "tf.float32" and str(tf.float32) == "<dtype: 'float32'>"
    assert repr(tf.bfloat16) == "tf.bfloat16" and repr(tf.string) == "tf.string"
    assert tf.float32 == "float32" and tf.float32 == np.float32 and tf.float32 != tf.float64
    assert tf.as_dtype("double") is tf.float64 and tf.as_dtype(np.int64) is tf.int64
    assert tf.float16.is_floating and tf.complex64.is_complex and tf.uint8.is_unsigned
    assert tf.int32.is_integer and not tf.bool.is_integer and tf.bool.is_bool
    assert tf.complex128.real_dtype is tf.float64
    assert tf.int8.min == -128 and tf.uint16.max == 65535


@pytest.mark.parametrize(
    "value, dtype, shape",
    [
        (1, "int32", []),
        (2**40, "int64", []),
        (1.0, "float32", []),
        ([1, 2.0], "float32", [2]),
        (True, "bool", []),
        ("a", "string", []),
        (1j, "complex128", []),
        ([], "float32", [0]),
        (np.array([1.0]), "float64", [1]),
        (np.int32(3), "int32", []),
        ((1, 2), "int32", [2]),
    ],
)
def test_constant_dtype_inference(value, dtype, shape):
    t = tf.constant(value)
    assert t.dtype.name == dtype and t.shape.as_list() == shape


@pytest.mark.parametrize(
    "value, exc",
    [
        ([[1, 2], [3]], ValueError),
        (2**64, ValueError),
        ([1, "a"], ValueError),
        ([True, 1], ValueError),
        (None, ValueError),
    ],
)
def test_constant_bad_values(value, exc):
    with pytest.raises(exc):
        tf.constant(value)


def test_explicit_dtype_rules():
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.constant(1.5, dtype=tf.int32)
    with pytest.raises(TypeError):
        tf.constant(1.0, dtype=tf.int32)
    assert int(tf.constant(300, dtype=tf.int8)) == 44  # wraps silently, as TF
    assert int(tf.constant(True, dtype=tf.int32)) == 1
    assert tf.constant(np.array([1.5]), dtype=tf.float32).dtype is tf.float32
    with pytest.raises(ValueError, match="requested dtype float32 for Tensor with dtype float64"):
        tf.convert_to_tensor(tf.constant([1.0], tf.float64), dtype=tf.float32)


def test_no_promotion_between_tensors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot compute AddV2"):
        tf.constant(1.0) + tf.constant(2.0, tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant([1, 2]) + 1.5  # add converts softly, then the kernel refuses
    with pytest.raises(TypeError):
        tf.constant([1, 2]) * 2.5  # mul converts strictly
    with pytest.raises(TypeError):
        1.5 + tf.constant([1, 2])  # reflected operators convert strictly
    assert (tf.constant([1.5]) + np.float64(1.0)).dtype is tf.float32
    assert (np.array([1.0]) + tf.constant([1.5])).dtype is tf.float32
    assert (tf.constant([1, 2]) / 2).dtype is tf.float64
    assert tf.constant([-7]) // 2 == -4 and tf.constant([-7]) % 2 == 1


def test_integer_wraparound_and_errors():
    assert int((tf.constant([100], tf.int8) + tf.constant([100], tf.int8))[0]) == -56
    assert int((tf.constant([3], tf.uint8) - tf.constant([5], tf.uint8))[0]) == 254
    with pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
        tf.constant([1]) // tf.constant([0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative integer powers"):
        tf.constant([2]) ** -1


def test_constructors_dtypes():
    assert tf.range(5).dtype is tf.int32 and tf.range(5.0).dtype is tf.float32
    assert tf.range(np.int64(3)).dtype is tf.int64
    assert tf.linspace(0, 1, 5).dtype is tf.float64
    assert tf.fill([2], 1).dtype is tf.int32 and tf.eye(2).dtype is tf.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="start <= limit"):
        tf.range(5, 0)
    x = tf.linspace(-15.0, 15.0, 151)
    assert x.dtype is tf.float32 and float(x[-1]) == 15.0
