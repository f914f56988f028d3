"""keras.io example "Simple MNIST convnet", run unchanged but for the import.

Source: https://keras.io/examples/vision/mnist_convnet/ (F. Chollet; Keras 3, TF backend;
Apache-2.0).  Changes: `import jaxtape as tf` (and `keras` from it); MNIST replaced by 120
random 28x28 images with labels that depend on them; a seed; 2 epochs, `shuffle=False` (the
shuffle order is not TF's) and `verbose=0` with the history printed.
"""

import numpy as np

import jaxtape as tf  # noqa: F401
from jaxtape import keras
from jaxtape.keras import layers

keras.utils.set_random_seed(21)

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

# Load the data and split it between train and test sets
rng = np.random.RandomState(0)
x_train = rng.randint(0, 256, (100, 28, 28)).astype("uint8")
y_train = (x_train[:, :, :14].mean(axis=(1, 2)) // 13).astype("uint8") % 10
x_test = rng.randint(0, 256, (20, 28, 28)).astype("uint8")
y_test = (x_test[:, :, :14].mean(axis=(1, 2)) // 13).astype("uint8") % 10

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
# Make sure images have shape (28, 28, 1)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")


# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()

batch_size = 32
epochs = 2

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                    validation_split=0.1, shuffle=False, verbose=0)  # fmt: skip
print({k: [round(v, 5) for v in vs] for k, vs in history.history.items()})

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
