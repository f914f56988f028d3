"""TF tutorial "Integrated gradients", run unchanged but for the import.

Source: https://www.tensorflow.org/tutorials/interpretability/integrated_gradients (TF 2 docs,
Apache-2.0).  Changes: `import jaxtape as tf`; the TF-Hub Inception V1 (a download) replaced by
a small seeded Keras classifier over 32x32 images, and the two photos by synthetic images; the
plots left out, the attribution sums printed.
"""

import numpy as np

import jaxtape as tf

tf.keras.utils.set_random_seed(6)

model = tf.keras.Sequential(
    [
        tf.keras.layers.InputLayer(shape=(32, 32, 3)),
        tf.keras.layers.Conv2D(8, 3, activation="relu"),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(5),
    ]
)

rng = np.random.RandomState(0)
img_name_tensors = {
    "Fireboat": tf.convert_to_tensor(rng.rand(32, 32, 3).astype("float32")),
    "Giant Panda": tf.convert_to_tensor(rng.rand(32, 32, 3).astype("float32")),
}
imagenet_labels = np.array(["background", "fireboat", "panda", "tabby", "tiger"])


def top_k_predictions(img, k=3):
    image_batch = tf.expand_dims(img, 0)
    predictions = model(image_batch)
    probs = tf.nn.softmax(predictions, axis=-1)
    top_probs, top_idxs = tf.math.top_k(input=probs, k=k)
    top_labels = imagenet_labels[tuple(top_idxs)]
    return top_labels, top_probs[0]


for name, img_tensor in img_name_tensors.items():
    pred_label, pred_prob = top_k_predictions(img_tensor)
    for label, prob in zip(pred_label, pred_prob):
        print(f"{name}: {label}: {prob:0.1%}")

baseline = tf.zeros(shape=(32, 32, 3))

m_steps = 50
alphas = tf.linspace(start=0.0, stop=1.0, num=m_steps + 1)  # Generate m_steps intervals


def interpolate_images(baseline, image, alphas):
    alphas_x = alphas[:, tf.newaxis, tf.newaxis, tf.newaxis]
    baseline_x = tf.expand_dims(baseline, axis=0)
    input_x = tf.expand_dims(image, axis=0)
    delta = input_x - baseline_x
    images = baseline_x + alphas_x * delta
    return images


interpolated_images = interpolate_images(
    baseline=baseline, image=img_name_tensors["Fireboat"], alphas=alphas
)


def compute_gradients(images, target_class_idx):
    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = model(images)
        probs = tf.nn.softmax(logits, axis=-1)[:, target_class_idx]
    return tape.gradient(probs, images)


path_gradients = compute_gradients(images=interpolated_images, target_class_idx=1)
print(path_gradients.shape)

pred = model(interpolated_images)
pred_proba = tf.nn.softmax(pred, axis=-1)[:, 1]
print(pred_proba[::10].numpy())


def integral_approximation(gradients):
    # riemann_trapezoidal
    grads = (gradients[:-1] + gradients[1:]) / tf.constant(2.0)
    integrated_gradients = tf.math.reduce_mean(grads, axis=0)
    return integrated_gradients


ig = integral_approximation(gradients=path_gradients)
print(ig.shape)


def integrated_gradients(baseline, image, target_class_idx, m_steps=50, batch_size=32):
    # Generate alphas.
    alphas = tf.linspace(start=0.0, stop=1.0, num=m_steps + 1)

    # Collect gradients.
    gradient_batches = []

    # Iterate alphas range and batch computation for speed, memory efficiency, and scaling to
    # larger m_steps.
    for alpha in tf.range(0, len(alphas), batch_size):
        from_ = alpha
        to = tf.minimum(from_ + batch_size, len(alphas))
        alpha_batch = alphas[from_:to]

        gradient_batch = one_batch(baseline, image, alpha_batch, target_class_idx)
        gradient_batches.append(gradient_batch)

    # Concatenate path gradients together row-wise into single tensor.
    total_gradients = tf.concat(gradient_batches, axis=0)

    # Integral approximation through averaging gradients.
    avg_gradients = integral_approximation(gradients=total_gradients)

    # Scale integrated gradients with respect to input.
    integrated_gradients = (image - baseline) * avg_gradients

    return integrated_gradients


@tf.function
def one_batch(baseline, image, alpha_batch, target_class_idx):
    # Generate interpolated inputs between baseline and input.
    interpolated_path_input_batch = interpolate_images(
        baseline=baseline, image=image, alphas=alpha_batch
    )

    # Compute gradients between model outputs and interpolated inputs.
    gradient_batch = compute_gradients(
        images=interpolated_path_input_batch, target_class_idx=target_class_idx
    )
    return gradient_batch


ig_attributions = integrated_gradients(
    baseline=baseline, image=img_name_tensors["Fireboat"], target_class_idx=1, m_steps=240
)
print(ig_attributions.shape)
# completeness: the attributions sum to the change in the target's probability
print("%.6f" % tf.reduce_sum(ig_attributions).numpy())
attribution_mask = tf.reduce_sum(tf.math.abs(ig_attributions), axis=-1)
print(attribution_mask[:2, :4].numpy())
