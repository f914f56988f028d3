"""The digits MLP trained with tf.distribute: helpers for tests/test_distribute.py and the
scripts here (each runs in its own process: the number of devices is fixed when JAX starts)."""

import numpy as np


def digits(n=512):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:n] / 16.0).astype("float32"), y[:n].astype("int64")


def build(tf):
    model = tf.keras.Sequential(
        [
            tf.keras.Input((64,)),
            tf.keras.layers.Dense(64, activation="relu"),
            tf.keras.layers.Dense(10),
        ]
    )
    rng = np.random.RandomState(0)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.weights])
    return model


def distributed_training(tf, strategy, steps=12, batch=64, use_function=True):
    """A TF custom-training-loop step as TF's distribution tutorial writes it."""
    x, y = digits(steps * batch)
    with strategy.scope():
        model = build(tf)
        optimizer = tf.keras.optimizers.Adam(0.01)
        loss_object = tf.keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="none"
        )
        accuracy = tf.keras.metrics.SparseCategoricalAccuracy()

    def train_step(inputs):
        images, labels = inputs
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = tf.nn.compute_average_loss(loss_object(labels, predictions))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        accuracy.update_state(labels, predictions)
        return loss

    def distributed_train_step(inputs):
        per_replica_losses = strategy.run(train_step, args=(inputs,))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_losses, axis=None)

    step = tf.function(distributed_train_step) if use_function else distributed_train_step
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
    losses = [float(step(b)) for b in strategy.experimental_distribute_dataset(dataset)]
    return model, optimizer, step, losses, float(accuracy.result())


def single_device_training(tf, steps=12, batch=64):
    """The same steps without a strategy, on the global batch."""
    x, y = digits(steps * batch)
    model = build(tf)
    optimizer = tf.keras.optimizers.Adam(0.01)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_object(labels, model(images, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    losses = [float(step(a, b)) for a, b in tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)]
    return model, losses
