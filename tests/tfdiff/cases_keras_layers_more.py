"""Conv1D, pooling 1D, Conv2DTranspose, DepthwiseConv2D, ReLU, Softmax, Lambda, SimpleRNN, LSTM,
GRU and MultiHeadAttention against Keras 3 on TF: seeded weights, outputs, gradients, names."""

import numpy as np


def _x(tf, shape, seed=0):
    return tf.constant(np.random.RandomState(seed).randn(*shape).astype(np.float32))


def _run(tf, make, x, seed=1, **call):
    tf.keras.utils.set_random_seed(seed)
    layer = make(tf.keras.layers)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, **call)
        flat = y if isinstance(y, (list, tuple)) else [y]
        loss = sum(tf.reduce_sum(t * t) for t in flat)
    grads = tape.gradient(loss, [x] + layer.trainable_weights)
    names = [w.path if hasattr(w, "path") else w.name for w in layer.weights]
    return {"y": y, "weights": [w.numpy() for w in layer.weights], "names": names,
            "grads": grads}  # fmt: skip


def case_conv1d(tf):
    x = _x(tf, (2, 7, 3))
    return [_run(tf, lambda L: L.Conv1D(4, 3), x),
            _run(tf, lambda L: L.Conv1D(2, 2, strides=2, padding="same", activation="relu"), x),
            _run(tf, lambda L: L.Conv1D(2, 3, padding="causal", dilation_rate=2), x)]  # fmt: skip


def case_pooling_1d(tf):
    x = _x(tf, (2, 7, 3))
    L = tf.keras.layers
    return [L.MaxPooling1D()(x), L.AveragePooling1D(3, strides=2, padding="same")(x),
            L.MaxPool1D(2, padding="same")(x), L.GlobalAveragePooling1D()(x),
            L.GlobalMaxPooling1D(keepdims=True)(x), L.GlobalAvgPool1D()(x)]  # fmt: skip


def case_conv2d_transpose(tf):
    x = _x(tf, (1, 4, 5, 3))
    return [_run(tf, lambda L: L.Conv2DTranspose(2, 3), x),
            _run(tf, lambda L: L.Conv2DTranspose(2, 3, strides=2), x),
            _run(tf, lambda L: L.Conv2DTranspose(2, (2, 3), strides=(2, 1), padding="same"), x)]  # fmt: skip


def case_depthwise_conv2d(tf):
    x = _x(tf, (1, 5, 5, 3))
    return [_run(tf, lambda L: L.DepthwiseConv2D(3), x),
            _run(tf, lambda L: L.DepthwiseConv2D(3, strides=2, padding="same",
                                                 depth_multiplier=2, use_bias=False), x)]  # fmt: skip


def case_relu_softmax_lambda(tf):
    x = _x(tf, (2, 5)) * 4.0
    L = tf.keras.layers
    return [L.ReLU()(x), L.ReLU(max_value=6.0)(x), L.ReLU(negative_slope=0.1)(x),
            L.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.5)(x),
            L.Softmax()(x), L.Softmax(axis=0)(x), L.Lambda(lambda t: t * 2.0 + 1.0)(x),
            tf.keras.activations.relu(x, negative_slope=0.3, max_value=3.0)]  # fmt: skip


def case_simple_rnn(tf):
    x = _x(tf, (2, 4, 3))
    return [_run(tf, lambda L: L.SimpleRNN(5), x),
            _run(tf, lambda L: L.SimpleRNN(2, return_sequences=True, return_state=True), x)]  # fmt: skip


def case_lstm(tf):
    x = _x(tf, (2, 4, 3))
    return [_run(tf, lambda L: L.LSTM(5), x),
            _run(tf, lambda L: L.LSTM(3, return_sequences=True, return_state=True), x, seed=2),
            _run(tf, lambda L: L.LSTM(2, go_backwards=True, unit_forget_bias=False), x)]  # fmt: skip


def case_gru(tf):
    x = _x(tf, (2, 4, 3))
    return [_run(tf, lambda L: L.GRU(5), x),
            _run(tf, lambda L: L.GRU(3, return_sequences=True, return_state=True), x, seed=3)]  # fmt: skip


def case_orthogonal(tf):
    init = tf.keras.initializers.Orthogonal(seed=4)
    return [
        init((3, 5)),
        init((6, 2)),
        tf.keras.initializers.Orthogonal(gain=2.0, seed=1)((2, 2, 3)),
    ]


def case_multi_head_attention(tf):
    q, v = _x(tf, (2, 3, 4)), _x(tf, (2, 5, 6), seed=1)
    tf.keras.utils.set_random_seed(5)
    mha = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    with tf.GradientTape() as tape:
        tape.watch(q)
        out, scores = mha(q, v, return_attention_scores=True)
        loss = tf.reduce_sum(out * out)
    grads = tape.gradient(loss, [q] + mha.trainable_weights)
    names = [w.path if hasattr(w, "path") else w.name for w in mha.weights]
    tf.keras.utils.set_random_seed(6)
    self_att = tf.keras.layers.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4)
    causal = self_att(q, q, use_causal_mask=True)
    masked = self_att(q, q, attention_mask=tf.constant([[[1, 1, 0]] * 3, [[1, 0, 0]] * 3]))
    return out, scores, grads, names, [w.shape for w in mha.weights], causal, masked


def case_layers_in_functional_model_and_function(tf):
    tf.keras.utils.set_random_seed(7)
    keras = tf.keras
    inp = keras.Input(shape=(6, 3))
    h = keras.layers.Conv1D(4, 3, padding="same", activation="relu")(inp)
    h = keras.layers.LSTM(5, return_sequences=True)(h)
    h = keras.layers.MultiHeadAttention(2, 4)(h, h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    out = keras.layers.Dense(2)(h)
    model = keras.Model(inp, out)
    x = _x(tf, (2, 6, 3))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(x) ** 2)
        return loss, tape.gradient(loss, model.trainable_variables)

    return model(x), step(), model.count_params(), [type(layer).__name__ for layer in model.layers]
