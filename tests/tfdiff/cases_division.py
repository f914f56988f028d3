"""Division is correctly rounded, as TF's kernels: by a scalar, by a broadcast row, float
floordiv, div_no_nan, a mean (sum / count) and average pooling, eagerly and inside function.
(XLA turns a division by a broadcast operand into a multiplication by its reciprocal, an ulp
off in about a third of the elements; jaxtape divides.)  Compared bit for bit."""

import numpy as np

_RNG = np.random.RandomState(42)
X = _RNG.rand(3, 7, 11).astype(np.float32)
ROW = (_RNG.rand(1, 1, 11) + 0.5).astype(np.float32)
X64 = _RNG.rand(5, 13).astype(np.float64)


def _ops(tf):
    return {
        "by_python_scalar": lambda: tf.constant(X) / 3.0,
        "by_int_scalar": lambda: tf.constant(X) / 7,
        "scalar_by_tensor": lambda: 3.0 / tf.constant(X + 0.5),
        "by_row": lambda: tf.math.divide(X, ROW),
        "realdiv": lambda: tf.math.truediv(tf.constant(X), tf.constant(ROW)),
        "float64": lambda: tf.constant(X64) / 3.0,
        "floordiv": lambda: tf.math.floordiv(tf.constant(X * 10), tf.constant(ROW)),
        "div_no_nan": lambda: tf.math.divide_no_nan(tf.constant(X), tf.constant([[[0.0] + [1.3] * 10]])),
        "avg_pool_same": lambda: tf.nn.avg_pool2d(tf.constant(X[..., None]), 3, 1, "SAME"),
        "avg_pool_valid": lambda: tf.nn.avg_pool2d(tf.constant(X[..., None]), 3, 2, "VALID"),
    }  # fmt: skip


def case_division_eager(tf):
    return {k: f() for k, f in _ops(tf).items()}


def case_division_in_function(tf):
    ops = _ops(tf)
    return {k: tf.function(f)() for k, f in ops.items()}


def case_division_gradients(tf):
    x = tf.constant(X)
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.reduce_sum(x / 3.0)
    with tf.GradientTape() as t2:
        t2.watch(x)
        z = tf.reduce_sum(tf.nn.avg_pool2d(x[..., None], 3, 1, "SAME"))
    return t.gradient(y, x), t2.gradient(z, x)


def case_means(tf):
    """A mean is the sum divided by the count, as TF's; the sum's order of additions is XLA's
    (the last bit can differ from Eigen's: compared with the float32 tolerance)."""
    return (
        tf.reduce_mean(tf.constant(X[:, :3, :5]), axis=2),
        tf.reduce_mean(tf.constant(X[0, :2, :3])),
        tf.math.reduce_variance(tf.constant(X), axis=1),
        tf.function(lambda: tf.reduce_mean(tf.constant(X), axis=[0, 2]))(),
    )
