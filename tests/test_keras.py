import numpy as np
import pytest

import jaxtape as tf


def test_dense_names_paths_and_tape():
    layer = tf.keras.layers.Dense(2, name="dense_1", kernel_initializer="ones")
    with tf.GradientTape() as t:
        y = layer(tf.constant([[1.0, 2.0, 3.0]]))
    assert [v.name for v in layer.trainable_variables] == ["kernel", "bias"]
    assert [v.path for v in layer.trainable_variables] == ["dense_1/kernel", "dense_1/bias"]
    assert [v.name for v in t.watched_variables()] == ["dense_1/kernel:0", "dense_1/bias:0"]
    assert type(layer.kernel).__name__ == "Variable" and layer.kernel.dtype == "float32"
    assert not isinstance(layer.kernel, tf.Variable) and tf.is_tensor(layer.kernel)
    assert (
        repr(layer.bias) == "<Variable path=dense_1/bias, shape=(2,), dtype=float32, value=[0. 0.]>"
    )
    np.testing.assert_array_equal(y.numpy(), [[6.0, 6.0]])


def test_auto_names_count_per_class():
    from jaxtape._src.keras import layers

    layers._NAME_COUNTS.clear()
    names = [
        tf.keras.layers.Dense(1).name,
        tf.keras.layers.Dense(1).name,
        tf.keras.layers.Dense(1, name="custom").name,
        tf.keras.layers.Dense(1).name,
        tf.keras.layers.Dropout(0.5).name,
    ]
    assert names == ["dense", "dense_1", "custom", "dense_2", "dropout"]


def _mlp():
    init = tf.keras.initializers.Constant
    model = tf.keras.Sequential(
        [
            tf.keras.Input((2,)),
            tf.keras.layers.Dense(
                3,
                activation="tanh",
                name="hidden",
                kernel_initializer=init([[0.5, -0.3, 0.8], [0.2, 0.4, -0.6]]),
                bias_initializer=init([0.1, 0.0, -0.1]),
            ),
            tf.keras.layers.Dense(
                1,
                name="out",
                kernel_initializer=init([[1.0], [-0.5], [0.25]]),
                bias_initializer=init([0.05]),
            ),
        ],
        name="mlp",
    )
    x = tf.constant([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7], [2.0, 1.0]])
    y = tf.constant([[1.0], [0.0], [-1.0], [2.0]])
    return model, x, y


def test_sequential_sgd_training_matches_tf():
    model, x, y = _mlp()
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    loss_fn = tf.keras.losses.MeanSquaredError()
    losses = []
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    # recorded from TensorFlow 2.21 / Keras 3
    np.testing.assert_allclose(
        losses, [0.8871487, 0.6775453, 0.5435257, 0.44673002, 0.37364212], rtol=1e-5
    )
    assert int(opt.iterations.numpy()) == 5 and opt.iterations.path == "sgd/iteration"
    assert [v.path for v in model.trainable_variables][0] == "mlp/hidden/kernel"
    assert model.count_params() == 13


def test_optimizer_none_gradients():
    a, b = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b")
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['b:0'\]"):
        opt.apply_gradients(zip([tf.constant(2.0), None], [a, b]))
    assert float(a) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients(zip([None], [a]))


def test_input_shape_warns():
    with pytest.warns(UserWarning, match="Do not pass an `input_shape`"):
        tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(3,))])


def test_unsupported_weight_options_raise_instead_of_being_ignored():
    with pytest.raises(NotImplementedError, match="kernel_constraint"):
        tf.keras.layers.Dense(2, kernel_constraint=lambda w: w)
    with pytest.raises(NotImplementedError, match="recurrent_regularizer"):
        tf.keras.layers.LSTM(2, recurrent_regularizer="l2")
    with pytest.raises(NotImplementedError, match="kernel_regularizer"):
        tf.keras.layers.MultiHeadAttention(2, 4, kernel_regularizer="l2")
    layer = tf.keras.layers.Conv2D(2, 3, kernel_regularizer="l2")  # supported
    layer(tf.ones((1, 5, 5, 1)))
    assert len(layer.losses) == 1


def test_mixed_policies_raise_rather_than_being_ignored():
    mp = tf.keras.mixed_precision
    with pytest.raises(NotImplementedError, match="mixed_float16"):
        mp.set_global_policy("mixed_float16")
    assert mp.global_policy().name == "float32"
