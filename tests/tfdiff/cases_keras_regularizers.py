"""Keras regularizers and `add_loss`: `layer.losses` / `model.losses` (weight penalties on
current values, activity penalties divided by the batch size, cleared at each top-level call),
and the loss `fit` minimises including them."""

import numpy as np

from tfdiff.harness import catch


def _model(tf):
    tf.keras.utils.set_random_seed(4)
    R = tf.keras.regularizers
    inp = tf.keras.Input((3,))
    h = tf.keras.layers.Dense(4, activation="relu", kernel_regularizer=R.l2(0.01),
                              bias_regularizer="l1",
                              activity_regularizer=R.L1L2(l1=0.001, l2=0.002))(inp)  # fmt: skip
    out = tf.keras.layers.Dense(1, kernel_regularizer=R.L1(0.05))(h)
    return tf.keras.Model(inp, out)


def case_losses_after_calls(tf):
    model = _model(tf)
    x = np.random.RandomState(0).rand(5, 3).astype(np.float32)
    before = [float(v) for v in model.losses]
    model(x)
    after_one = [float(v) for v in model.losses]
    model(x)
    after_two = [float(v) for v in model.losses]  # the activity loss is not accumulated
    return before, after_one, after_two, len(model.layers[1].losses)


def case_fit_with_regularization(tf):
    model = _model(tf)
    rng = np.random.RandomState(1)
    x, y = rng.rand(8, 3).astype(np.float32), rng.rand(8, 1).astype(np.float32)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.1), loss="mse")
    hist = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    return hist.history["loss"], model.evaluate(x, y, verbose=0), model.get_weights()


def case_custom_loop_and_add_loss(tf):
    class Penalized(tf.keras.layers.Layer):
        def call(self, x):
            self.add_loss(0.5 * tf.reduce_sum(tf.square(x)))
            return x * 2.0

    tf.keras.utils.set_random_seed(5)
    inner = tf.keras.layers.Dense(2, kernel_regularizer=tf.keras.regularizers.l2(0.1))
    pen = Penalized()
    x = tf.constant([[1.0, 2.0], [0.5, -1.0]])
    with tf.GradientTape() as tape:
        y = pen(inner(x))
        loss = tf.reduce_mean(y) + tf.add_n(inner.losses + pen.losses)
    grads = tape.gradient(loss, inner.trainable_variables)
    R = tf.keras.regularizers
    v = tf.constant([[1.0, -2.0], [3.0, 0.5]])
    return (loss, grads, list(pen.losses), R.l1_l2(0.1, 0.2)(v), R.get("l2")(v),
            R.L1(0.3)(v), type(R.get("l1l2")).__name__, catch(R.get, "l1_l2", match=True))  # fmt: skip
