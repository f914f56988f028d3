"""TF tutorial "Intro to Autoencoders", run unchanged but for the import.

Source: https://www.tensorflow.org/tutorials/generative/autoencoder (TF 2 docs, Apache-2.0).
Changes: `import jaxtape as tf`; Fashion-MNIST replaced by 64 random 28x28 images, the ECG CSV
by 40 synthetic 140-sample signals; a seed; 2 epochs, `shuffle=False` in place of the
tutorial's `shuffle=True` (jaxtape's order is not TF's), `verbose=0`; plots left out.
"""

import numpy as np

import jaxtape as tf
from jaxtape.keras import layers, losses
from jaxtape.keras.models import Model

tf.keras.utils.set_random_seed(5)

rng = np.random.RandomState(0)
x_train = rng.rand(48, 28, 28).astype("float32")
x_test = rng.rand(16, 28, 28).astype("float32")

print(x_train.shape)
print(x_test.shape)


class Autoencoder(Model):
    def __init__(self, latent_dim, shape):
        super(Autoencoder, self).__init__()
        self.latent_dim = latent_dim
        self.shape = shape
        self.encoder = tf.keras.Sequential(
            [layers.Flatten(), layers.Dense(latent_dim, activation="relu")]
        )
        self.decoder = tf.keras.Sequential(
            # (int(): Keras 3 refuses the tutorial's NumPy int32 `units` with a ValueError)
            [
                layers.Dense(int(tf.math.reduce_prod(shape).numpy()), activation="sigmoid"),
                layers.Reshape(shape),
            ]  # fmt: skip
        )

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


shape = x_test.shape[1:]
latent_dim = 64
autoencoder = Autoencoder(latent_dim, shape)

autoencoder.compile(optimizer="adam", loss=losses.MeanSquaredError())

history = autoencoder.fit(x_train, x_train, epochs=2, shuffle=False,
                          validation_data=(x_test, x_test), verbose=0)  # fmt: skip
print({k: [round(v, 6) for v in vs] for k, vs in history.history.items()})

encoded_imgs = autoencoder.encoder(x_test).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
print(decoded_imgs.shape, decoded_imgs[0, 14, :4])

# Image denoising
x_train = x_train[..., tf.newaxis]
x_test = x_test[..., tf.newaxis]

noise_factor = 0.2
x_train_noisy = x_train + noise_factor * tf.random.normal(shape=x_train.shape)
x_test_noisy = x_test + noise_factor * tf.random.normal(shape=x_test.shape)

x_train_noisy = tf.clip_by_value(x_train_noisy, clip_value_min=0.0, clip_value_max=1.0)
x_test_noisy = tf.clip_by_value(x_test_noisy, clip_value_min=0.0, clip_value_max=1.0)


class Denoise(Model):
    def __init__(self):
        super(Denoise, self).__init__()
        self.encoder = tf.keras.Sequential(
            [
                layers.Input(shape=(28, 28, 1)),
                layers.Conv2D(16, (3, 3), activation="relu", padding="same", strides=2),
                layers.Conv2D(8, (3, 3), activation="relu", padding="same", strides=2),
            ]
        )

        self.decoder = tf.keras.Sequential(
            [
                layers.Conv2DTranspose(
                    8, kernel_size=3, strides=2, activation="relu", padding="same"
                ),
                layers.Conv2DTranspose(
                    16, kernel_size=3, strides=2, activation="relu", padding="same"
                ),
                layers.Conv2D(1, kernel_size=(3, 3), activation="sigmoid", padding="same"),
            ]
        )

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


autoencoder = Denoise()
autoencoder.compile(optimizer="adam", loss=losses.MeanSquaredError())
history = autoencoder.fit(x_train_noisy, x_train, epochs=2, shuffle=False,
                          validation_data=(x_test_noisy, x_test), verbose=0)  # fmt: skip
print({k: [round(v, 6) for v in vs] for k, vs in history.history.items()})
autoencoder.encoder.summary()
autoencoder.decoder.summary()

# Anomaly detection (stand-in ECG: sine waves, anomalies with a spike)
t = np.linspace(0, 4 * np.pi, 140, dtype=np.float32)
normal = np.sin(t)[None] + rng.randn(30, 140).astype(np.float32) * 0.05
anomalous = normal[:10] + (np.abs(t - 6) < 0.3)[None] * 2.0
train_data = tf.cast(normal[:24], tf.float32)
test_data = tf.cast(np.concatenate([normal[24:], anomalous]), tf.float32)
min_val = tf.reduce_min(train_data)
max_val = tf.reduce_max(train_data)
train_data = (train_data - min_val) / (max_val - min_val)
test_data = (test_data - min_val) / (max_val - min_val)


class AnomalyDetector(Model):
    def __init__(self):
        super(AnomalyDetector, self).__init__()
        self.encoder = tf.keras.Sequential(
            [
                layers.Dense(32, activation="relu"),
                layers.Dense(16, activation="relu"),
                layers.Dense(8, activation="relu"),
            ]  # fmt: skip
        )

        self.decoder = tf.keras.Sequential(
            [
                layers.Dense(16, activation="relu"),
                layers.Dense(32, activation="relu"),
                layers.Dense(140, activation="sigmoid"),
            ]  # fmt: skip
        )

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


autoencoder = AnomalyDetector()
autoencoder.compile(optimizer="adam", loss="mae")
history = autoencoder.fit(train_data, train_data, epochs=3, batch_size=8,
                          validation_data=(test_data, test_data), shuffle=False, verbose=0)  # fmt: skip
print({k: [round(v, 6) for v in vs] for k, vs in history.history.items()})

reconstructions = autoencoder.predict(train_data, verbose=0)
train_loss = tf.keras.losses.mae(reconstructions, train_data)
threshold = np.mean(train_loss) + np.std(train_loss)
print("Threshold: ", threshold)


def predict(model, data, threshold):
    reconstructions = model(data)
    loss = tf.keras.losses.mae(reconstructions, data)
    return tf.math.less(loss, threshold)


def print_stats(predictions, labels):
    print("Accuracy = {}".format(np.mean(predictions.numpy() == labels)))


preds = predict(autoencoder, test_data, threshold)
print_stats(preds, np.array([True] * 6 + [False] * 10))
