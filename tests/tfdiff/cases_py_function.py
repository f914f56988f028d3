"""`tf.numpy_function` and `tf.py_function`: eager, inside `tf.function`, and their gradients."""

import numpy as np

from tfdiff.harness import catch


def _np_step(x, n):
    return (x * 2.0).astype(np.float32), np.int32(n + 1)


def case_numpy_function_eager(tf):
    y, n = tf.numpy_function(_np_step, [tf.constant([1.0, 2.0]), tf.constant(3)],
                             [tf.float32, tf.int32])  # fmt: skip
    return y, n


def case_numpy_function_single_tout(tf):
    y = tf.numpy_function(lambda x: x + 1, [tf.constant([1, 2])], tf.int32)
    return y, type(y).__name__ == "list"


def case_numpy_function_gets_numpy(tf):
    seen = []
    tf.numpy_function(lambda x: seen.append(type(x).__name__) or x, [tf.constant(1.0)], tf.float32)
    return seen


def case_numpy_function_in_function(tf):
    calls = []

    def host(x):
        calls.append(1)
        return np.sort(x)

    @tf.function
    def f(x):
        y = tf.numpy_function(host, [x * 2.0], tf.float32)
        return tf.reduce_sum(y) + y[0]

    a = f(tf.constant([3.0, 1.0, 2.0]))
    b = f(tf.constant([5.0, 4.0, 6.0]))
    return a, b, len(calls)


def case_numpy_function_gradient_is_none(tf):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.numpy_function(lambda a: a * 3.0, [x], tf.float32)
        z = tf.reduce_sum(y * x)
    return t.gradient(z, x)


def case_numpy_function_wrong_dtype(tf):
    return catch(lambda: tf.numpy_function(lambda a: a, [tf.constant([1.0])], tf.int32))


def case_numpy_function_error_in_body(tf):
    def bad(a):
        raise ValueError("boom")

    return catch(lambda: tf.numpy_function(bad, [tf.constant([1.0])], tf.float32))


def case_py_function_eager(tf):
    y = tf.py_function(lambda a, b: a * b + 1.0, [tf.constant([1.0, 2.0]), 3.0], tf.float32)
    return y


def case_py_function_gets_tensors(tf):
    seen = []
    tf.py_function(lambda x: seen.append(hasattr(x, "numpy")) or x, [tf.constant(1.0)], tf.float32)
    return seen


def case_py_function_gradient(tf):
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as t:
        t.watch(x)
        y = tf.py_function(lambda a: tf.sin(a) * a, [x], tf.float32)
    return t.gradient(y, x)


def case_py_function_gradient_variable(tf):
    v = tf.Variable([0.5, -1.0])
    with tf.GradientTape() as t:
        y = tf.py_function(lambda a: tf.reduce_sum(a * a), [v], tf.float32)
    return t.gradient(y, v)


def case_py_function_list_tout(tf):
    out = tf.py_function(lambda a: (a + 1, tf.cast(a, tf.int32)), [tf.constant([1.5])],
                         [tf.float32, tf.int32])  # fmt: skip
    return out


def case_py_function_in_function(tf):
    @tf.function
    def f(x):
        y = tf.py_function(lambda a: a.numpy() * 2.0, [x], tf.float32)
        return y + 1.0

    return f(tf.constant([1.0, 2.0])), f(tf.constant([3.0, 4.0]))


def case_py_function_gradient_in_function(tf):
    @tf.function
    def f(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.py_function(lambda a: a * a * a, [x], tf.float32)
        return t.gradient(y, x)

    return f(tf.constant([1.0, 2.0])), f(tf.constant([3.0, 4.0]))


def case_py_function_none_tout(tf):
    calls = []
    r = tf.py_function(lambda a: calls.append(float(a)), [tf.constant(2.0)], [])
    return r, calls
