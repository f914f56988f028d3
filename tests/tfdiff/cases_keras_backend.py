"""`tf.keras.backend` (Keras 3's legacy K.* functions) and `keras.config`."""

import numpy as np

from tfdiff.harness import catch


def _x(tf):
    return tf.constant([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])


def case_settings(tf):
    K = tf.keras.backend
    out = [K.epsilon(), K.floatx(), K.image_data_format(), K.backend()]
    K.set_epsilon(1e-5)
    out.append(K.epsilon())
    out.append(tf.keras.losses.BinaryCrossentropy()(tf.constant([[1.0]]), tf.constant([[1.0]])))
    K.set_epsilon(1e-7)
    out.append(catch(K.set_floatx, "int32"))
    out.append(catch(K.set_image_data_format, "nchw"))
    return out


def case_reductions(tf):
    K = tf.keras.backend
    x = _x(tf)
    return [K.sum(x), K.sum(x, axis=1), K.mean(x, axis=0, keepdims=True), K.max(x, 1),
            K.min(x), K.prod(x, 0), K.std(x), K.var(x, 1), K.mean(tf.constant([True, False])),
            K.all(tf.constant([True, False])), K.any(tf.constant([True, False])),
            K.argmax(x), K.argmin(x, 0), K.cumsum(x, 1), K.cumprod(x)]  # fmt: skip


def case_elementwise(tf):
    K = tf.keras.backend
    x = _x(tf)
    return [K.abs(x), K.square(x), K.sqrt(K.abs(x)), K.exp(x), K.log(K.abs(x) + 1.0),
            K.sign(x), K.round(x), K.sin(x), K.cos(x), K.tanh(x), K.sigmoid(x), K.softplus(x),
            K.softsign(x), K.pow(x, 2), K.clip(x, -1.0, 1.0), K.clip(x, 1.0, -1.0),
            K.maximum(x, 0.0), K.minimum(x, 0.0), K.equal(x, 0.0), K.greater(x, 0.0),
            K.less_equal(x, 0.0), K.hard_sigmoid(x), K.elu(x, 0.5), K.relu(x),
            K.relu(x, alpha=0.1), K.relu(x, max_value=2.0), K.relu(x, max_value=6.0),
            K.relu(x, threshold=0.7), K.relu(x, alpha=0.1, max_value=2.0, threshold=0.2),
            K.softmax(x), K.softmax(x, axis=0), catch(K.softmax, tf.constant([1.0, 2.0])),
            K.l2_normalize(x, 1)]  # fmt: skip


def case_shapes(tf):
    K = tf.keras.backend
    x = _x(tf)
    return [K.int_shape(x), K.ndim(x), K.dtype(x), K.count_params(x), K.shape(x),
            K.reshape(x, (3, 2)), K.flatten(x), K.batch_flatten(tf.ones((2, 3, 4))),
            K.expand_dims(x), K.squeeze(tf.ones((2, 1)), 1), K.stack([x, x], 1),
            K.concatenate([x, x]), K.concatenate([x, x], axis=0), K.transpose(x),
            K.permute_dimensions(tf.ones((1, 2, 3)), (2, 0, 1)), K.tile(x, (1, 2)),
            K.repeat(x, 2), K.repeat_elements(x, 2, 1), K.reverse(x, 1), K.one_hot([0, 2], 3),
            K.gather(x, [1]), K.arange(5), K.arange(1, 7, 2, dtype="float32"), K.arange(-3),
            K.temporal_padding(tf.ones((1, 2, 1))), K.spatial_2d_padding(tf.ones((1, 1, 1, 1))),
            catch(K.repeat, tf.ones((2,)), 2)]  # fmt: skip


def case_products(tf):
    K = tf.keras.backend
    a = tf.reshape(tf.range(6.0), (2, 3))
    b = tf.reshape(tf.range(12.0), (3, 4))
    c = tf.reshape(tf.range(24.0), (2, 3, 4))
    return [K.dot(a, b), K.dot(c, tf.reshape(tf.range(8.0), (4, 2))),
            K.batch_dot(a, a), K.batch_dot(c, tf.reshape(tf.range(40.0), (2, 4, 5))),
            K.batch_dot(c, c, axes=(2, 2)), K.batch_dot(c, c, axes=1)]  # fmt: skip


def case_losses(tf):
    K = tf.keras.backend
    t = tf.constant([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = tf.constant([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    return [K.binary_crossentropy(t, p), K.binary_crossentropy(t, p * 4 - 2, from_logits=True),
            K.categorical_crossentropy(t, p), K.categorical_crossentropy(t, p, from_logits=True),
            K.sparse_categorical_crossentropy(tf.constant([1, 0]), p),
            K.sparse_categorical_crossentropy(tf.constant([[1], [0]]), p, from_logits=True)]  # fmt: skip


def case_variables(tf):
    K = tf.keras.backend
    v = K.variable([1.0, 2.0])
    K.set_value(v, [3.0, 4.0])
    K.update_add(v, [1.0, 1.0])
    z = K.zeros((2, 2))
    e = K.eye(2)
    return [v, K.get_value(v), K.batch_get_value([v, z]), type(z).__name__,
            type(K.zeros((0, 2))).__name__, e, K.ones((2,), dtype="int32"),
            K.zeros_like(v), K.ones_like(v), K.constant([1, 2]), K.cast_to_floatx([1, 2]).dtype.name,
            K.cast(v, "int32"), K.is_keras_tensor(v), K.standardize_dtype("float64"),
            K.is_float_dtype("float16"), K.is_int_dtype("float16")]  # fmt: skip


def case_switch_and_top_k(tf):
    K = tf.keras.backend
    x = _x(tf)
    return [K.switch(tf.constant(True), x, -x), K.switch(tf.constant([True, False, True]), x, -x),
            K.switch(K.greater(x, 0.0), x, x * 0.0),
            K.in_top_k(tf.constant([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]]), tf.constant([2, 2]), 2),
            K.stop_gradient(x)]  # fmt: skip


def case_clear_session_names(tf):
    K = tf.keras.backend
    K.clear_session()
    a = tf.keras.layers.Dense(2).name
    b = tf.keras.layers.Dense(2).name
    K.clear_session()
    c = tf.keras.layers.Dense(2).name
    u = [K.get_uid("x"), K.get_uid("x"), K.get_uid("y")]
    K.clear_session()
    return a, b, c, u, K.get_uid("x")


def case_gradient_through_backend(tf):
    K = tf.keras.backend
    x = tf.Variable([[0.5, -1.0], [2.0, 0.1]])
    with tf.GradientTape() as t:
        y = K.sum(K.square(K.relu(x, alpha=0.1)) + K.categorical_crossentropy(
            tf.constant([[1.0, 0.0], [0.0, 1.0]]), K.softmax(x)))  # fmt: skip
    return t.gradient(y, x)


def case_mixed_precision_policies(tf):
    mp = tf.keras.mixed_precision
    first = repr(mp.global_policy())
    mixed = mp.Policy("mixed_float16")
    mp.set_global_policy("float64")
    try:
        layer = tf.keras.layers.Dense(2)
        out = layer(np.ones((1, 3)))
        seen = (repr(mp.global_policy()), layer.dtype, out.dtype.name, tf.keras.backend.floatx(),
                [str(w.dtype) for w in layer.weights])  # fmt: skip
    finally:
        mp.set_global_policy("float32")
    return (first, repr(mixed), mixed.compute_dtype, mixed.variable_dtype, seen,
            repr(mp.global_policy()), catch(mp.set_global_policy, "nonsense", match=True))  # fmt: skip
