"""Allowed dtypes and TF's errors for the others; conversion edge cases; reprs."""

import numpy as np

from tfdiff.harness import catch

_I = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
_F = ["float16", "bfloat16", "float32", "float64"]


def _dtypes(tf, names):
    return [getattr(tf, n) for n in names]


def _apply(tf, fn, names, value=2):
    out = {}
    for d in _dtypes(tf, names):
        out[d.name] = catch(lambda: fn(tf.constant(value, d)))  # noqa: B023
    return out


def case_matmul_dtypes(tf):
    return _apply(
        tf,
        lambda x: tf.matmul(tf.reshape(x, [1, 1]), tf.reshape(x, [1, 1])),
        _I + _F + ["bool", "complex64"],
        value=1,
    )


def case_relu_dtypes(tf):
    return _apply(tf, tf.nn.relu, _I + _F)


def case_unary_math_int_dtypes(tf):
    out = {}
    for name in [
        "sin",
        "exp",
        "sqrt",
        "tanh",
        "sigmoid",
        "log",
        "abs",
        "square",
        "negative",
        "sign",
        "reciprocal",
        "round",
        "floor",
        "ceil",
        "softplus",
    ]:
        fn = getattr(tf.math, name) if hasattr(tf.math, name) else getattr(tf.nn, name)
        out[name] = _apply(tf, fn, ["int32", "int64", "uint8", "float16", "bool"], value=1)
    return out


def case_binary_int_dtypes(tf):
    out = {}
    for name in [
        "add",
        "subtract",
        "multiply",
        "divide",
        "truediv",
        "floordiv",
        "floormod",
        "maximum",
        "minimum",
        "pow",
        "squared_difference",
    ]:
        fn = getattr(tf.math, name)
        out[name] = _apply(
            tf,
            lambda x: fn(x, x),  # noqa: B023
            [
                "int8",
                "int16",
                "int32",
                "uint8",  # noqa: B023
                "uint32",
                "bool",
            ],
            value=3,
        )
    return out


def case_reduce_dtypes(tf):
    out = {}
    for name in [
        "reduce_sum",
        "reduce_mean",
        "reduce_max",
        "reduce_prod",
        "reduce_all",
        "argmax",
        "cumsum",
    ]:
        fn = getattr(tf.math, name)
        out[name] = _apply(
            tf,
            lambda x: fn(tf.reshape(x, [1])),  # noqa: B023
            ["int8", "int32", "uint8", "bool", "float16"],
            value=1,
        )
    return out


def case_compare_mixed_float(tf):
    a = tf.Variable(1.0, dtype=tf.float32)
    b = tf.Variable(1.0, dtype=tf.float64)
    return (
        catch(tf.equal, a, b),
        catch(tf.less, a, b),
        catch(tf.not_equal, a, b),
        catch(lambda: a == b),
    )


def case_compare_mixed_int(tf):
    a = tf.constant(1)
    b = tf.constant(1, tf.int64)
    return catch(tf.equal, a, b), catch(tf.greater, a, b)


def case_float_range(tf):
    r = tf.range(0.0, 8.0, 0.01)
    r2 = tf.range(0.1, 1.0, 0.3)
    r3 = tf.range(1.0, 0.0, -0.1)
    return r.shape, r2, r3.shape, tf.range(0.0, 1.0, 0.1, dtype=tf.float64).shape


def case_range_large_int(tf):
    return tf.range(2**31, 2**31 + 3), tf.range(3, dtype=tf.int64), tf.constant(2**31)


def case_convert_object_arrays(tf):
    return (
        catch(tf.constant, np.array([1, "a"], dtype=object)),
        catch(tf.constant, np.array([1.0, None], dtype=object)),
        catch(tf.constant, np.array([[1.0], [1.0, 2.0]], dtype=object)),
        catch(tf.convert_to_tensor, np.array([1.5, 2.5], dtype=object)),
    )


def case_convert_out_of_range(tf):
    return (
        catch(tf.constant, 1e40),
        catch(tf.constant, 2**64, tf.uint64),
        catch(tf.constant, 2**63),
        catch(tf.constant, -1, tf.uint8),
        catch(tf.constant, 1e40, tf.float64),
    )


def case_convert_ragged_empty(tf):
    return catch(tf.constant, [[], [1.0]]), catch(tf.constant, [[], []]), catch(tf.constant, [[]])


def case_int16_uniform_message(tf):
    return catch(tf.random.uniform, [2], dtype=tf.int16, match=True)


def case_bfloat16_repr(tf):
    x = tf.constant([1.5, 2.0], tf.bfloat16)
    # the NumPy part is NumPy's own repr, which spells bfloat16 `dtype(bfloat16)` or `bfloat16`
    # depending on the NumPy / ml_dtypes versions (TF and jaxtape alike)
    return (
        repr(x).replace("dtype(bfloat16)", "bfloat16"),
        str(x),
        repr(tf.constant(1.0, tf.float16)),
    )


def case_dtype_in_messages(tf):
    x = tf.constant(1.0)
    y = tf.constant(1, tf.int16)
    return catch(tf.add, x, y, match=True), catch(lambda: x + y, match=True)


def case_sparse_ce_out_of_range(tf):
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    logits = tf.constant([[1.0, 2.0, 3.0]])
    return (
        catch(loss, tf.constant([3]), logits),
        catch(loss, tf.constant([-1]), logits),
        loss(tf.constant([2]), logits),
    )


def case_sparse_ce_fn_out_of_range(tf):
    logits = tf.constant([[1.0, 2.0, 3.0]])
    return (
        catch(
            tf.keras.losses.sparse_categorical_crossentropy,
            tf.constant([5]),
            logits,
            from_logits=True,
        ),
        catch(
            tf.nn.sparse_softmax_cross_entropy_with_logits, labels=tf.constant([5]), logits=logits
        ),
    )


def case_operator_eq_conversions(tf):
    a = tf.constant([1.0, 2.0])
    return (
        catch(lambda: a == None),  # noqa: E711
        catch(lambda: a != None),  # noqa: E711
        catch(lambda: a == "a"),
        catch(lambda: a == object()),
        catch(lambda: a == [1, "a"]),
        catch(lambda: a == (1.0, 3.0)),
        catch(lambda: a == tf.ones([3])),
        catch(lambda: a != tf.ones([3])),
        catch(lambda: a == tf.constant([1, 2])),
        catch(lambda: tf.constant("x") == "x"),
    )


def case_python_ints_past_int32(tf):
    return (
        tf.fill([2], 2**31),
        tf.constant([1, 2**33]),
        tf.range(0, 2**32, 2**31),
        tf.range(2**31 - 1, 2**31 + 1),
        catch(tf.fill, [2], 2**64),
        tf.constant(-(2**31)),
        tf.constant(-(2**31) - 1),
        tf.convert_to_tensor(2**40) + 1,
        tf.cast(tf.constant(2**31), tf.float32),
    )
