"""Wrong calls across the public API: each raises TF's exception class with a message that says
what is wrong (never a raw JAX traceback, never a silent wrong result)."""

import numpy as np
import pytest

import jaxtape as tf

IAE = tf.errors.InvalidArgumentError
v = tf.Variable([1.0, 2.0], name="v")
iv = tf.Variable([1, 2], name="iv")
f32 = tf.constant([1.0, 2.0])
f64 = tf.constant([1.0, 2.0], tf.float64)
i32 = tf.constant([1, 2])
m23 = tf.ones((2, 3))


def _used_tape():
    with tf.GradientTape() as t:
        y = v * v
    t.gradient(y, v)
    return t, y


def _tape():
    with tf.GradientTape(persistent=True) as t:
        y = v * v
    return t, y


CASES = [
    # conversion and constructors
    ("constant ragged", lambda: tf.constant([[1, 2], [3]]), ValueError, "non-rectangular"),
    ("constant None", lambda: tf.constant(None), ValueError, "unsupported type"),
    ("constant mixed", lambda: tf.constant([1, "a"]), ValueError, "mixed types"),
    ("constant too big", lambda: tf.constant(2**64), ValueError, "out-of-range"),
    ("constant float->int", lambda: tf.constant(1.5, tf.int32), TypeError, "Cannot convert 1.5"),
    ("constant object", lambda: tf.constant(object()), ValueError, "unsupported type"),
    (
        "convert tensor dtype",
        lambda: tf.convert_to_tensor(f64, tf.float32),
        ValueError,
        "requested dtype float32",
    ),
    ("as_dtype bad", lambda: tf.as_dtype("float31"), TypeError, "Cannot convert"),
    ("range bad order", lambda: tf.range(5, 0), IAE, "start <= limit"),
    ("range zero delta", lambda: tf.range(0, 5, 0), IAE, "delta != 0"),
    ("reshape bad size", lambda: tf.reshape(m23, (4, 2)), IAE, "6 values"),
    ("zeros bad dtype", lambda: tf.zeros((2,), "float31"), TypeError, "Cannot convert"),
    # dtype strictness
    ("f32 + f64", lambda: f32 + f64, IAE, "expected to be a float tensor"),
    ("i32 + 1.5", lambda: i32 + 1.5, IAE, "AddV2"),
    ("i32 * 2.5", lambda: i32 * 2.5, TypeError, "Cannot convert 2.5"),
    ("1.5 + i32", lambda: 1.5 + i32, TypeError, "Cannot convert 1.5"),
    ("i32 @ f32", lambda: tf.matmul(tf.constant([[1, 2]]), tf.ones((2, 1))), IAE, "MatMul"),
    ("truediv mixed", lambda: tf.divide(i32, f32), TypeError, "same dtype"),
    ("concat dtypes", lambda: tf.concat([f32, f64], 0), IAE, "ConcatV2"),
    ("where dtypes", lambda: tf.where(f32 > 0, f32, f64), IAE, "SelectV2"),
    ("sqrt of int", lambda: tf.sqrt(i32), IAE, "not in the list of allowed values"),
    ("sum of bool", lambda: tf.reduce_sum(tf.constant([True])), IAE, "allowed values"),
    ("int pow negative", lambda: i32**-1, IAE, "negative integer powers"),
    ("int floordiv zero", lambda: i32 // tf.constant([0, 1]), IAE, "division by zero"),
    ("int mod zero", lambda: tf.math.floormod(i32, tf.constant([1, 0])), IAE, "division by zero"),
    # shapes
    ("broadcast", lambda: m23 + tf.ones((3, 2)), IAE, "Incompatible shapes"),
    ("matmul rank 1", lambda: tf.matmul(f32, f32), IAE, "ndims must be >= 2"),
    ("matmul inner", lambda: tf.matmul(m23, m23), IAE, "size-incompatible"),
    ("concat shapes", lambda: tf.concat([tf.ones((1, 2)), tf.ones((1, 3))], 0), IAE, "ConcatOp"),
    ("stack shapes", lambda: tf.stack([tf.ones(2), tf.ones(3)]), IAE, "Shapes of all inputs"),
    ("squeeze non-1", lambda: tf.squeeze(m23, 0), IAE, "Can not squeeze"),
    ("split uneven", lambda: tf.split(tf.ones(5), 2), IAE, "evenly divide"),
    ("broadcast_to", lambda: tf.broadcast_to(m23, (3, 3)), IAE, "Incompatible shapes"),
    ("reduce axis", lambda: tf.reduce_sum(f32, axis=3), IAE, "Invalid reduction dimension"),
    ("index oob", lambda: f32[5], IAE, "out of bounds"),
    ("too many indices", lambda: f32[0, 0], IAE, "Index out of range"),
    ("float index", lambda: f32[1.0], TypeError, "Only integers, slices"),
    ("gather oob", lambda: tf.gather(f32, [5]), IAE, "not in \\[0, 2\\)"),
    # TF 2.21 eager: InvalidArgumentError (its graph-mode wrapper raises TypeError)
    ("gather float idx", lambda: tf.gather(f32, tf.constant([0.0])), IAE, "Tindices"),
    (
        "sparse xent label",
        lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.constant([5]), logits=tf.ones((1, 3))
        ),
        IAE,
        "outside the valid range",
    ),
    # Python protocol
    ("bool of vector", lambda: bool(f32), ValueError, "truth value"),
    ("float of vector", lambda: float(f32), TypeError, "0-dimensional"),
    ("len of scalar", lambda: len(tf.constant(1.0)), TypeError, "Scalar tensor has no"),
    ("iterate scalar", lambda: list(tf.constant(1.0)), TypeError, "Cannot iterate"),
    ("hash tensor", lambda: hash(f32), TypeError, "ref\\(\\) as the key"),
    (
        "format vector",
        lambda: "%.2f" % f32 if False else f"{f32:.2f}",
        TypeError,
        "unsupported format string",
    ),
    ("float tensor index", lambda: [1, 2][tf.constant(1.0)], TypeError, "integer tensors"),
    # Variables
    ("variable +=", lambda: v.__iadd__(1.0), RuntimeError, "assign_add"),
    ("variable *=", lambda: v.__imul__(2.0), RuntimeError, "var.assign"),
    ("variable hash", lambda: hash(v), TypeError, "Variable is unhashable"),
    ("variable len", lambda: len(v), TypeError, "has no len"),
    ("assign shape", lambda: v.assign([1.0, 2.0, 3.0]), ValueError, "Shape mismatch"),
    ("assign dtype", lambda: v.assign(f64), ValueError, "requested dtype float32"),
    ("assign float to int", lambda: iv.assign(2.5), TypeError, "Cannot convert 2.5"),
    ("variable None", lambda: tf.Variable(None), ValueError, "must be specified"),
    # tapes used wrongly
    (
        "second gradient",
        lambda: _used_tape()[0].gradient(_used_tape()[1], v),
        RuntimeError,
        "non-persistent",
    ),
    ("never entered", lambda: tf.GradientTape().gradient(f32, f32), RuntimeError, "non-persistent"),
    ("watch float", lambda: _tape()[0].watch(3.0), ValueError, "Passed in object 3.0"),
    ("target None", lambda: _tape()[0].gradient(None, v), TypeError, "Argument `target`"),
    ("source float", lambda: _tape()[0].gradient(_tape()[1], 3.0), TypeError, "sources must be"),
    (
        "source numpy",
        lambda: _tape()[0].gradient(_tape()[1], np.ones(2)),
        TypeError,
        "sources must be",
    ),
    ("target float", lambda: _tape()[0].gradient(2.0, v), TypeError, "targets must be"),
    (
        "bad unconnected",
        lambda: _tape()[0].gradient(_tape()[1], v, unconnected_gradients="zeros"),
        ValueError,
        "Unknown value for unconnected_gradients",
    ),
    (
        "output_gradients short",
        lambda: _tape()[0].gradient([_tape()[1], _tape()[1]], v, output_gradients=[f32]),
        ValueError,
        "one upstream gradient per",
    ),
    (
        "output_gradients None",
        lambda: _tape()[0].gradient(_tape()[1], v, output_gradients=[None]),
        ValueError,
        "unsupported type",
    ),
    ("reset after exit", lambda: _tape()[0].reset(), ValueError, "not recording"),
    (
        "stop_recording unused",
        lambda: tf.GradientTape().stop_recording().__enter__(),
        RuntimeError,
        "not recording",
    ),
    (
        "batch_jacobian rank",
        lambda: _tape()[0].batch_jacobian(_tape()[1], v),
        ValueError,
        "rank at least 2",
    ),
    (
        "jacobian pfor False",
        lambda: _used_tape()[0].jacobian(f32, f32, experimental_use_pfor=False),
        RuntimeError,
        "non-persistent",
    ),
    # ops arguments
    (
        "uniform int maxval",
        lambda: tf.random.uniform((2,), dtype=tf.int32),
        ValueError,
        "Must specify maxval",
    ),
    (
        "uniform dtype",
        lambda: tf.random.uniform((2,), maxval=3, dtype=tf.int16),
        ValueError,
        "Accepted dtypes",
    ),
    ("sort direction", lambda: tf.sort(f32, direction="UP"), ValueError, "Unknown direction"),
    ("pad mode", lambda: tf.pad(f32, [[1, 1]], mode="WRAP"), ValueError, "CONSTANT"),
    ("dropout rate", lambda: tf.nn.dropout(f32, 1.5), ValueError, "range \\[0, 1\\)"),
    (
        "stateless seed",
        lambda: tf.random.stateless_uniform((2,), seed=[1]),
        ValueError,
        "shape \\[2\\]",
    ),
    ("cond missing fn", lambda: tf.cond(True, lambda: 1), TypeError, "required"),
    (
        "bad optimizer grads",
        lambda: tf.keras.optimizers.SGD(0.1).apply_gradients([(None, v)]),
        ValueError,
        "No gradients provided",
    ),
    (
        "unknown activation",
        lambda: tf.keras.layers.Dense(2, activation="swirl"),
        ValueError,
        "activation",
    ),
    (
        "unknown initializer",
        lambda: tf.keras.layers.Dense(2, kernel_initializer="magic")(tf.ones((1, 2))),
        ValueError,
        "initializer",
    ),
    (
        "layer kwarg",
        lambda: tf.keras.layers.Dense(2, colour="red"),
        TypeError,
        "Unrecognized keyword",
    ),
    (
        "checkpoint missing",
        lambda: tf.train.Checkpoint(v=v).restore("/nonexistent/ckpt-1"),
        tf.errors.NotFoundError,
        "Failed to find",
    ),
    (
        "function python if",
        lambda: tf.function(lambda x: x if x > 0 else -x)(f32[0]),
        TypeError,
        "jaxtape.cond",
    ),
    ("custom_gradient count", None, ValueError, "expected to return 2 gradients"),
]


def _custom_gradient_count():
    @tf.custom_gradient
    def f(a, b):
        return a + b, lambda dy: dy

    a, b = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as t:
        t.watch([a, b])
        y = f(a, b)
    t.gradient(y, [a, b])


def test_table_has_at_least_60_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize("name, fn, exc, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input(name, fn, exc, message):
    fn = fn or _custom_gradient_count
    with pytest.raises(exc, match=message) as info:
        fn()
    assert "jax._src" not in type(info.value).__module__
