"""keras.applications built with weights=None: Keras's layer names, weight paths and shapes,
parameter counts, and (same seed) the same forward values; argument errors as Keras's."""

import numpy as np

from tfdiff.harness import catch


def _structure(model):
    return (
        model.name,
        len(model.layers),
        model.count_params(),
        [layer.name for layer in model.layers][:40],
        [layer.name for layer in model.layers][-8:],
        [(w.path if hasattr(w, "path") else w.name, tuple(w.shape)) for w in model.weights][-12:],
        tuple(model.outputs[0].shape),
    )


def case_mobilenet_v2_structure(tf):
    tf.keras.backend.clear_session()  # layer names count from here
    tf.keras.utils.set_random_seed(0)
    full = tf.keras.applications.MobileNetV2(weights=None)
    small = tf.keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10
    )
    notop = tf.keras.applications.MobileNetV2(
        input_shape=(64, 80, 3), include_top=False, weights=None, pooling="avg"
    )
    return _structure(full), _structure(small), _structure(notop)


def case_mobilenet_v2_forward_and_fgsm_gradient(tf):
    tf.keras.utils.set_random_seed(1)
    model = tf.keras.applications.MobileNetV2(
        input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10
    )
    rng = np.random.RandomState(0)
    image = tf.keras.applications.mobilenet_v2.preprocess_input(
        rng.randint(0, 256, (1, 96, 96, 3)).astype("float32")
    )
    image = tf.convert_to_tensor(image)
    label = tf.one_hot([3], 10)
    loss_object = tf.keras.losses.CategoricalCrossentropy()
    with tf.GradientTape() as tape:
        tape.watch(image)
        prediction = model(image)
        loss = loss_object(label, prediction)
    gradient = tape.gradient(loss, image)
    return prediction, loss, gradient[0, :4, :4], tf.reduce_sum(tf.sign(gradient))


def case_resnet_vgg_inception_structure(tf):
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(0)
    return (
        _structure(tf.keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3),
                                                  classes=7)),
        _structure(tf.keras.applications.ResNet101(weights=None, include_top=False,
                                                   input_shape=(64, 64, 3))),
        _structure(tf.keras.applications.VGG16(weights=None, include_top=False,
                                               input_shape=(32, 32, 3), pooling="max")),
        _structure(tf.keras.applications.VGG19(weights=None, input_shape=(32, 32, 3),
                                               classes=5)),
        _structure(tf.keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3),
                                                     classes=3)),
    )  # fmt: skip


def case_resnet50_forward(tf):
    tf.keras.utils.set_random_seed(2)
    model = tf.keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=4)
    x = tf.keras.applications.resnet50.preprocess_input(
        np.random.RandomState(1).rand(2, 32, 32, 3).astype("float32") * 255
    )
    return model(x, training=False)


def case_applications_argument_errors(tf):
    apps = tf.keras.applications
    return (
        catch(apps.MobileNetV2, weights="nope"),
        catch(apps.MobileNetV2, weights="imagenet", classes=10),
        catch(apps.MobileNetV2, weights=None, input_shape=(16, 16, 3)),
        catch(apps.ResNet50, weights=None, input_shape=(64, 64)),
        catch(apps.VGG16, weights=None, include_top=True, input_shape=(None, None, 3)),
        catch(apps.InceptionV3, weights=None, input_shape=(60, 60, 3)),
    )


def case_preprocess_input_modes(tf):
    x = np.arange(2 * 2 * 3, dtype="float32").reshape(1, 2, 2, 3) * 20.0
    apps = tf.keras.applications
    return (
        apps.mobilenet_v2.preprocess_input(x.copy()),
        apps.resnet50.preprocess_input(x.copy()),
        apps.vgg16.preprocess_input(x.copy()),
        apps.inception_v3.preprocess_input(tf.constant(x)),
        apps.imagenet_utils.preprocess_input(x.copy(), mode="torch"),
    )
