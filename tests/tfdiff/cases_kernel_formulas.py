"""Ops whose TF kernel has a formula of its own, matched term for term: tf.range of floats is
start + i * delta in the output dtype (not an accumulated sum), elu/selu use exp(x) - 1 (not
expm1), eagerly and inside function."""

import numpy as np

X = np.concatenate([np.linspace(-3, 3, 61), np.linspace(-1e-2, 1e-2, 21)]).astype(np.float32)


def case_float_ranges(tf):
    return (
        tf.range(0.3, 50.0, 0.7), tf.range(10.0, -3.0, -0.3), tf.range(0.0, 1.0, 0.1),
        tf.range(1.5, 9.0, 0.25, dtype=tf.float64), tf.range(2.0, 3.0, 0.1, dtype=tf.float16),
        tf.function(lambda: tf.range(0.3, 50.0, 0.7))(),
    )  # fmt: skip


def case_elu_selu_formulas(tf):
    x = tf.constant(X)
    return (
        tf.nn.elu(x), tf.nn.selu(x), tf.nn.elu(tf.cast(x, tf.float64)),
        tf.keras.activations.elu(x), tf.function(tf.nn.selu)(x),
    )  # fmt: skip
