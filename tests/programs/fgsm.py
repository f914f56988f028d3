"""TF tutorial "Adversarial example using FGSM", run unchanged but for the import.

Source: https://www.tensorflow.org/tutorials/generative/adversarial_fgsm (TF 2 docs,
Apache-2.0).  Changes: `import jaxtape as tf`; the pretrained MobileNetV2 (an ImageNet
download) is built with `weights=None` and a seed, at 96x96 with alpha 0.35 and 10 classes so
the test is quick, and the ImageNet labels (another download) are ten stand-in names; the
photo is a synthetic image; the plots print the label and confidence instead.  The gradient is
also taken inside `tf.function`, as the issue asks.
"""

import numpy as np

import jaxtape as tf

tf.keras.utils.set_random_seed(0)

pretrained_model = tf.keras.applications.MobileNetV2(
    input_shape=(96, 96, 3), alpha=0.35, include_top=True, weights=None, classes=10
)
pretrained_model.trainable = False

# ImageNet labels
NAMES = ["tench", "goldfish", "shark", "tiger_shark", "hammerhead", "ray", "stingray", "cock",
         "hen", "ostrich"]  # fmt: skip


def decode_predictions(probs, top=1):
    probs = np.asarray(probs)
    return [[("n%08d" % i, NAMES[i], p[i]) for i in p.argsort()[-top:][::-1]] for p in probs]


# Helper function to preprocess the image so that it can be inputted in MobileNetV2
def preprocess(image):
    image = tf.cast(image, tf.float32)
    image = tf.image.resize(image, (96, 96))
    image = tf.keras.applications.mobilenet_v2.preprocess_input(image)
    image = image[None, ...]
    return image


# Helper function to extract labels from probability vector
def get_imagenet_label(probs):
    return decode_predictions(probs, top=1)[0][0]


image = np.random.RandomState(0).randint(0, 256, (120, 140, 3)).astype(np.uint8)
image = preprocess(image)
image_probs = pretrained_model.predict(image, verbose=0)

_, image_class, class_confidence = get_imagenet_label(image_probs)
print("{} : {:.2f}% Confidence".format(image_class, class_confidence * 100))

loss_object = tf.keras.losses.CategoricalCrossentropy()


def create_adversarial_pattern(input_image, input_label):
    with tf.GradientTape() as tape:
        tape.watch(input_image)
        prediction = pretrained_model(input_image)
        loss = loss_object(input_label, prediction)

    # Get the gradients of the loss w.r.t to the input image.
    gradient = tape.gradient(loss, input_image)
    # Get the sign of the gradients to create the perturbation
    signed_grad = tf.sign(gradient)
    return signed_grad


# Get the input label of the image.
labrador_retriever_index = 3
label = tf.one_hot(labrador_retriever_index, image_probs.shape[-1])
label = tf.reshape(label, (1, image_probs.shape[-1]))

perturbations = create_adversarial_pattern(image, label)
print(perturbations.shape, int(tf.reduce_sum(perturbations)), perturbations[0, :2, :2, 0].numpy())

compiled = tf.function(create_adversarial_pattern)
print(int(tf.reduce_sum(tf.abs(compiled(image, label) - perturbations))))

epsilons = [0, 0.01, 0.1, 0.15]
descriptions = [("Epsilon = {:0.3f}".format(eps) if eps else "Input") for eps in epsilons]

for i, eps in enumerate(epsilons):
    adv_x = image + eps * perturbations
    adv_x = tf.clip_by_value(adv_x, -1, 1)
    _, label_name, confidence = get_imagenet_label(pretrained_model.predict(adv_x, verbose=0))
    print("{} \\n {} : {:.2f}% Confidence".format(descriptions[i], label_name, confidence * 100))
