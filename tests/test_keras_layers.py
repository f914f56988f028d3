"""The rest of the Keras subset: each layer builds, runs, differentiates and names its weights."""

import numpy as np
import pytest

import jaxtape as tf


@pytest.mark.parametrize(
    "make, shape, n_weights",
    [
        (lambda: tf.keras.layers.Conv2D(4, 3, padding="same", activation="relu"), (2, 8, 8, 3), 2),
        (lambda: tf.keras.layers.MaxPooling2D(2), (2, 8, 8, 3), 0),
        (lambda: tf.keras.layers.Flatten(), (2, 4, 4), 0),
        (lambda: tf.keras.layers.LayerNormalization(), (2, 5), 2),
        (lambda: tf.keras.layers.BatchNormalization(), (4, 5), 4),
        (lambda: tf.keras.layers.Dropout(0.5), (4, 5), 0),
    ],
)
def test_layer_runs_and_differentiates(make, shape, n_weights):
    layer = make()
    x = tf.constant(np.linspace(-1, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape))
    with tf.GradientTape() as t:
        t.watch(x)
        y = (
            layer(x, training=True)
            if isinstance(layer, (tf.keras.layers.Dropout, tf.keras.layers.BatchNormalization))
            else layer(x)
        )
        loss = tf.reduce_sum(y * y)
    assert len(layer.weights) == n_weights
    g = t.gradient(loss, [x] + layer.trainable_variables)
    assert all(v is not None for v in g)


def test_embedding_gradient_is_sparse_and_model_subclassing():
    class Tiny(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.emb = tf.keras.layers.Embedding(10, 3)
            self.out = tf.keras.layers.Dense(1)

        def call(self, ids):
            return self.out(tf.reduce_mean(self.emb(ids), axis=1))

    m = Tiny()
    ids = tf.constant([[1, 2], [3, 1]])
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(m(ids))
    grads = t.gradient(loss, m.trainable_variables)
    assert m.name == "tiny" and len(m.trainable_variables) == 3
    assert type(grads[0]).__name__ == "IndexedSlices"
    opt = tf.keras.optimizers.SGD(0.1)
    opt.apply_gradients(zip(grads, m.trainable_variables))


def test_losses_and_metrics_values():
    y_true = tf.constant([[0.0, 1.0], [1.0, 0.0]])
    y_pred = tf.constant([[0.2, 0.8], [0.6, 0.4]])
    bce = tf.keras.losses.BinaryCrossentropy()(y_true, y_pred)
    expected = -np.mean([np.log(0.8), np.log(0.8), np.log(0.6), np.log(0.6)])
    assert float(bce) == pytest.approx(expected, rel=1e-5)
    cce = tf.keras.losses.CategoricalCrossentropy()(y_true, y_pred)
    assert float(cce) == pytest.approx(-np.mean([np.log(0.8), np.log(0.6)]), rel=1e-5)
    scce = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        tf.constant([1, 0]), tf.constant([[0.0, 2.0], [1.0, 0.0]])
    )
    ref = -np.mean([2 - np.log(1 + np.exp(2)), 1 - np.log(np.e + 1)])
    assert float(scce) == pytest.approx(ref, rel=1e-5)
    assert float(tf.keras.losses.MeanAbsoluteError()(y_true, y_pred)) == pytest.approx(0.3)
    acc = tf.keras.metrics.SparseCategoricalAccuracy()
    acc.update_state(tf.constant([1, 1]), y_pred)
    mean = tf.keras.metrics.Mean()
    mean.update_state([1.0, 3.0])
    assert float(acc.result()) == 0.5 and float(mean.result()) == 2.0


def test_module_walks_attributes():
    class Block(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(1.0, name="w")
            self.frozen = tf.Variable(2.0, trainable=False, name="frozen")

    class Net(tf.Module):
        def __init__(self):
            super().__init__(name="net")
            self.blocks = [Block(), Block()]
            self.extra = {"b": tf.Variable(3.0, name="b")}

    n = Net()
    assert len(n.variables) == 5 and len(n.trainable_variables) == 3
    assert len(n.submodules) == 2 and n.name == "net"
