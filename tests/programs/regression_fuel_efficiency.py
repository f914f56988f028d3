"""TF tutorial "Basic regression: Predict fuel efficiency", run unchanged but for the import.

Source: https://www.tensorflow.org/tutorials/keras/regression (TF 2 docs, Apache-2.0).
Changes: `import jaxtape as tf`; the Auto MPG CSV (a download, read with pandas) replaced by
120 synthetic cars with the tutorial's nine features and a linear-ish MPG; a seed; 20 epochs
instead of 100, `verbose=0` and the histories printed; `shuffle=False` in `fit` (jaxtape's
shuffle order is not TF's); plots left out.
"""

import numpy as np

import jaxtape as tf
from jaxtape import keras
from jaxtape.keras import layers

tf.keras.utils.set_random_seed(8)

rng = np.random.RandomState(0)
n = 120
horsepower = rng.uniform(50, 220, n).astype(np.float32)
weight = rng.uniform(1600, 5000, n).astype(np.float32)
others = rng.rand(n, 7).astype(np.float32) * [8, 400, 20, 12, 1, 1, 1]
features = np.concatenate([others[:, :2], horsepower[:, None], weight[:, None], others[:, 2:]],
                          axis=1).astype(np.float32)  # fmt: skip
mpg = (46.0 - 0.06 * horsepower - 0.004 * weight + rng.randn(n) * 2).astype(np.float32)
train_features, test_features = features[:96], features[96:]
train_labels, test_labels = mpg[:96], mpg[96:]

normalizer = tf.keras.layers.Normalization(axis=-1)
normalizer.adapt(np.array(train_features))
print(normalizer.mean.numpy() if hasattr(normalizer.mean, "numpy") else normalizer.mean)

first = np.array(train_features[:1])
print("First example:", first)
print("Normalized:", normalizer(first).numpy())

# Linear regression with one variable
horsepower = np.array(train_features[:, 2])
horsepower_normalizer = layers.Normalization(input_shape=[1], axis=None)
horsepower_normalizer.adapt(horsepower)

horsepower_model = tf.keras.Sequential([horsepower_normalizer, layers.Dense(units=1)])
print(horsepower_model.predict(horsepower[:10], verbose=0))

horsepower_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
                         loss="mean_absolute_error")  # fmt: skip
history = horsepower_model.fit(
    train_features[:, 2],
    train_labels,
    epochs=20,
    # Suppress logging.
    verbose=0,
    # Calculate validation results on 20% of the training data.
    validation_split=0.2,
    shuffle=False,
)
print({k: [round(v, 4) for v in vs[-3:]] for k, vs in history.history.items()})

test_results = {}
test_results["horsepower_model"] = horsepower_model.evaluate(
    test_features[:, 2], test_labels, verbose=0
)

# Linear regression with multiple inputs
linear_model = tf.keras.Sequential([normalizer, layers.Dense(units=1)])
print(linear_model.predict(train_features[:10], verbose=0))
print(linear_model.layers[1].kernel)
linear_model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.1),
                     loss="mean_absolute_error")  # fmt: skip
history = linear_model.fit(train_features, train_labels, epochs=20, verbose=0,
                           validation_split=0.2, shuffle=False)  # fmt: skip
test_results["linear_model"] = linear_model.evaluate(test_features, test_labels, verbose=0)


# Regression with a deep neural network (DNN)
def build_and_compile_model(norm):
    model = keras.Sequential(
        [
            norm,
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ]  # fmt: skip
    )

    model.compile(loss="mean_absolute_error", optimizer=tf.keras.optimizers.Adam(0.001))
    return model


dnn_model = build_and_compile_model(normalizer)
history = dnn_model.fit(train_features, train_labels, validation_split=0.2, verbose=0,
                        epochs=20, shuffle=False)  # fmt: skip
test_results["dnn_model"] = dnn_model.evaluate(test_features, test_labels, verbose=0)
print({k: round(v, 4) for k, v in test_results.items()})

test_predictions = dnn_model.predict(test_features, verbose=0).flatten()
print(test_predictions[:5])
