"""Keras layers and utilities of the long tail: Rescaling, Normalization (given statistics,
adapt on an array and on batches, invert), Identity, Permute, RepeatVector, Cropping2D,
GaussianNoise (seeded stream), to_categorical."""

import numpy as np

from tfdiff.harness import catch

RNG = np.random.RandomState(11)
X = RNG.rand(6, 4).astype(np.float32) * 10
IMG = RNG.rand(2, 5, 6, 3).astype(np.float32)


def case_rescaling_identity_permute_repeat_crop(tf):
    L = tf.keras.layers
    return (
        L.Rescaling(1.0 / 255)(np.arange(6, dtype=np.uint8).reshape(2, 3)),
        L.Rescaling(2.0, offset=-1.0)(IMG)[0, 0],
        L.Identity()(X),
        L.Permute((2, 1))(tf.reshape(tf.range(24.0), (2, 3, 4))),
        catch(L.Permute, (1, 3)),
        L.RepeatVector(3)(X[:2]),
        L.Cropping2D(((1, 2), (2, 1)))(IMG),
        L.Cropping2D(1)(IMG).shape.as_list(),
    )


def case_normalization(tf):
    L = tf.keras.layers
    given = L.Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[1.0, 4.0, 0.25, 9.0])
    adapted = L.Normalization(axis=-1)
    adapted.adapt(X)
    batched = L.Normalization()
    batched.adapt(tf.data.Dataset.from_tensor_slices(X).batch(4))
    scalar = L.Normalization(axis=None)
    scalar.adapt(X)
    inverse = L.Normalization(mean=3.0, variance=4.0, invert=True)
    return (
        given(X), adapted(X), [w.numpy() for w in adapted.weights], batched(X), scalar(X),
        inverse(X), catch(L.Normalization, mean=1.0),
    )  # fmt: skip


def case_gaussian_noise_and_to_categorical(tf):
    tf.keras.utils.set_random_seed(3)
    g = tf.keras.layers.GaussianNoise(0.5)
    return (
        g(X, training=True), g(X), g(X, training=True),
        tf.keras.utils.to_categorical([0, 2, 1, 2]),
        tf.keras.utils.to_categorical(np.array([[1], [0]]), num_classes=3),
    )  # fmt: skip


def case_text_vectorization(tf):
    texts = np.array(
        ["The cat sat on the mat!", "A dog; the DOG barked.", "cat, cat, cat?", "zebra"]
    )
    v = tf.keras.layers.TextVectorization(max_tokens=8, output_sequence_length=6)
    v.adapt(texts)
    w = tf.keras.layers.TextVectorization()
    w.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(2))
    m = tf.keras.layers.TextVectorization(output_mode="multi_hot", max_tokens=6)
    m.adapt(texts)
    c = tf.keras.layers.TextVectorization(output_mode="count", vocabulary=["cat", "dog", "the"])
    low = tf.keras.layers.TextVectorization(standardize="lower", max_tokens=5)
    low.adapt(texts)
    return (
        [str(t) for t in v.get_vocabulary()], v.vocabulary_size(), v(texts),
        v(tf.constant(["unknown words the cat"])), [str(t) for t in w.get_vocabulary()],
        w(texts[:2]), m(texts), [str(t) for t in c.get_vocabulary()], c(texts),
        [str(t) for t in low.get_vocabulary()],
        catch(tf.keras.layers.TextVectorization, output_mode="bogus", match=True),
    )  # fmt: skip
