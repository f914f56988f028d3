"""TF tutorial "TensorFlow 2 quickstart for experts", run unchanged but for the import.

Source: https://www.tensorflow.org/tutorials/quickstart/advanced (TF 2 docs, Apache-2.0).
Changes: `import jaxtape as tf`; MNIST (a download) replaced by 96 random 28x28 images with
labels that depend on them; a seed; `shuffle` left out of the input pipeline (jaxtape's shuffle
order is not TF's, so the numbers could not be compared); 2 epochs instead of 5.
"""

import numpy as np

import jaxtape as tf
from jaxtape.keras import Model
from jaxtape.keras.layers import Conv2D, Dense, Flatten

tf.keras.utils.set_random_seed(3)

rng = np.random.RandomState(0)
x_train = rng.randint(0, 256, size=(64, 28, 28)).astype(np.uint8)
y_train = (x_train[:, :14].mean(axis=(1, 2)) > 127.5).astype(np.uint8) * 3
x_test = rng.randint(0, 256, size=(32, 28, 28)).astype(np.uint8)
y_test = (x_test[:, :14].mean(axis=(1, 2)) > 127.5).astype(np.uint8) * 3
x_train, x_test = x_train / 255.0, x_test / 255.0

# Add a channels dimension
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(32)

test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)


class MyModel(Model):
    def __init__(self):
        super().__init__()
        self.conv1 = Conv2D(32, 3, activation="relu")
        self.flatten = Flatten()
        self.d1 = Dense(128, activation="relu")
        self.d2 = Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


# Create an instance of the model
model = MyModel()

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

optimizer = tf.keras.optimizers.Adam()

train_loss = tf.keras.metrics.Mean(name="train_loss")
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")

test_loss = tf.keras.metrics.Mean(name="test_loss")
test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    train_loss(loss)
    train_accuracy(labels, predictions)


@tf.function
def test_step(images, labels):
    # training=False is only needed if there are layers with different
    # behavior during training versus inference (e.g. Dropout).
    predictions = model(images, training=False)
    t_loss = loss_object(labels, predictions)

    test_loss(t_loss)
    test_accuracy(labels, predictions)


EPOCHS = 2

for epoch in range(EPOCHS):
    # Reset the metrics at the start of the next epoch
    train_loss.reset_state()
    train_accuracy.reset_state()
    test_loss.reset_state()
    test_accuracy.reset_state()

    for images, labels in train_ds:
        train_step(images, labels)

    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)

    print(
        f"Epoch {epoch + 1}, "
        f"Loss: {train_loss.result():0.5f}, "
        f"Accuracy: {train_accuracy.result() * 100:0.2f}, "
        f"Test Loss: {test_loss.result():0.5f}, "
        f"Test Accuracy: {test_accuracy.result() * 100:0.2f}"
    )
