"""The models of the Keras weight-file tests, written once for TF (tools/record_keras_weights.py
writes the files with Keras on TF) and jaxtape (tests/test_keras_weights.py loads them)."""

import numpy as np


def functional(tf):
    inp = tf.keras.Input((4,), name="features")
    x = tf.keras.layers.Dense(3, name="d1")(inp)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.Dense(3, activation="relu")(x)
    sub = tf.keras.Sequential([tf.keras.layers.Dense(2)], name="sub")
    model = tf.keras.Model(inp, sub(x))
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
    return model


def subclassed(tf):
    class Net(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = tf.keras.layers.Conv2D(2, 3)
            self.blocks = [tf.keras.layers.Dense(3), tf.keras.layers.Dense(3)]
            self.head = tf.keras.layers.Dense(1)
            self.flat = tf.keras.layers.Flatten()

        def call(self, x):
            x = self.flat(self.conv(x))
            for b in self.blocks:
                x = b(x)
            return self.head(x)

    model = Net()
    model(np.zeros((1, 5, 5, 1), np.float32))
    return model


def data():
    rng = np.random.RandomState(0)
    return rng.rand(6, 4).astype(np.float32), rng.rand(6, 2).astype(np.float32)


def image():
    return np.random.RandomState(1).rand(2, 5, 5, 1).astype(np.float32)
