"""`keras.applications`: the image models TF tutorials reach for, built as Keras 3 builds them.

MobileNetV2, ResNet50/101/152, VGG16/19 and InceptionV3 are functional models with Keras's
layer graph, layer names, weight shapes and order (so `count_params()` and `model.weights`
paths are Keras's).  `weights=None` builds them with fresh (seeded) initial weights;
`weights="imagenet"` reads Keras's pretrained file from Keras's cache
(`~/.keras/models`, or `$KERAS_HOME/models`) — jaxtape does not download it, and says where
to get it — and `weights=<path>` loads a weights file (`model.load_weights`).

`preprocess_input` is Keras's (modes "tf", "caffe", "torch"); `decode_predictions` needs
ImageNet's class index, read from the same cache.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras import layers as L
from jaxtape._src.keras import more_layers as ML
from jaxtape._src.keras.models import Input, Model
from jaxtape._src.registry import export_value

_ORIGINS = {
    "mobilenet_v2": "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/",
    "resnet": "https://storage.googleapis.com/tensorflow/keras-applications/resnet/",
    "vgg16": "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/",
    "vgg19": "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/",
    "inception_v3": "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/",
}
_CLASS_INDEX = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)


def _cache_dir():
    base = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(base, "models")


def _cached(file_name, origin):
    path = os.path.join(_cache_dir(), file_name)
    if not os.path.exists(path):
        raise ValueError(
            "This needs Keras's file %s, which jaxtape does not download: fetch %s%s into %s "
            "(for weights, pip install h5py to read it), or build the model with "
            "weights=None." % (file_name, origin, "" if origin.endswith(".json") else file_name,
                               _cache_dir())
        )  # fmt: skip
    return path


# -- argument checks, as Keras's -----------------------------------------------------------------
def _check_weights(weights, include_top, classes):
    if not (weights in {"imagenet", None} or os.path.exists(str(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            "loaded.  Received `weights=%s`" % (weights,)
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            'If using `weights="imagenet"` with `include_top` as true, `classes` should be '
            "1000. Received `classes=%s`" % (classes,)
        )


def _input_shape(input_shape, default_size, min_size, require_flatten, weights):
    """Keras's `imagenet_utils.obtain_input_shape` (channels_last)."""
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                "input_shape with %s input channels." % (input_shape[-1],),
                stacklevel=3,
            )
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                "`input_shape` should be %s.  Received: input_shape=%s"
                % (default_shape, input_shape)
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(
                "The input must have 3 channels; Received `input_shape=%s`" % (input_shape,)
            )
        if (input_shape[0] is not None and input_shape[0] < min_size) or (
            input_shape[1] is not None and input_shape[1] < min_size
        ):
            raise ValueError(
                "Input size must be at least %dx%d; Received: input_shape=%s"
                % (min_size, min_size, input_shape)
            )
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            "Received: input_shape=%s" % (input_shape,)
        )
    return tuple(input_shape)


def _validate_activation(classifier_activation, weights):
    if weights is None:
        return
    if classifier_activation not in {"softmax", None}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            "classifier_activation=%s" % (classifier_activation,)
        )


def _inputs(input_tensor, input_shape):
    return Input(shape=input_shape) if input_tensor is None else input_tensor


def _head(x, include_top, pooling, classes, classifier_activation, weights, pool_name=None):
    if include_top:
        x = L.GlobalAveragePooling2D(name=pool_name)(x)
        _validate_activation(classifier_activation, weights)
        return L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return L.GlobalAveragePooling2D(name=pool_name)(x)
    if pooling == "max":
        return L.GlobalMaxPooling2D(name=pool_name and "max_pool")(x)
    return x


def _load(model, weights, family, file_name):
    if weights == "imagenet":
        model.load_weights(_cached(file_name, _ORIGINS[family]))
    elif weights is not None:
        model.load_weights(weights)
    return model


# -- MobileNetV2 ------------------------------------------------------------------------------------
def _make_divisible(v, divisor, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _correct_pad(x, kernel_size):
    size = tuple(x.shape.as_list())[1:3]
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    c = kernel_size // 2
    return ((c - adjust[0], c), (c - adjust[1], c))


def _bn(name):
    return L.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = "block_%d_" % block_id
    if block_id:
        x = L.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                     activation=None, name=prefix + "expand")(x)  # fmt: skip
        x = _bn(prefix + "expand_BN")(x)
        x = ML.ReLU(6.0, name=prefix + "expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = L.ZeroPadding2D(padding=_correct_pad(x, 3), name=prefix + "pad")(x)
    x = ML.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                           padding="same" if stride == 1 else "valid",
                           name=prefix + "depthwise")(x)  # fmt: skip
    x = _bn(prefix + "depthwise_BN")(x)
    x = ML.ReLU(6.0, name=prefix + "depthwise_relu")(x)
    x = L.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                 activation=None, name=prefix + "project")(x)  # fmt: skip
    x = _bn(prefix + "project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return L.Add(name=prefix + "add")([inputs, x])
    return x


_MOBILENET_V2_BLOCKS = [  # (filters, stride, expansion)
    (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6),
    (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6),
    (160, 1, 6), (160, 1, 6), (320, 1, 6),
]  # fmt: skip


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):  # noqa: N802  # fmt: skip
    """`keras.applications.MobileNetV2` (Sandler et al. 2018), Keras's graph and names."""
    _check_weights(weights, include_top, classes)
    if input_shape is None and input_tensor is not None:
        rows = tuple(input_tensor.shape.as_list())[1]
        cols = tuple(input_tensor.shape.as_list())[2]
        default_size = rows if rows == cols and rows in (96, 128, 160, 192, 224) else 224
    elif input_shape is None:
        default_size = 224
    else:
        rows, cols = input_shape[0], input_shape[1]
        default_size = rows if rows == cols and rows in (96, 128, 160, 192, 224) else 224
    input_shape = _input_shape(input_shape, default_size, 32, include_top, weights)
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if alpha not in (0.35, 0.50, 0.75, 1.0, 1.3, 1.4):
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                "`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha=%s`" % (alpha,)
            )
        if rows != cols or rows not in (96, 128, 160, 192, 224):
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in [96, 128, "
                "160, 192, 224]. Weights for input shape (224, 224) will be loaded as the "
                "default.",
                stacklevel=2,
            )
    img_input = _inputs(input_tensor, input_shape)
    x = L.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
                 use_bias=False, name="Conv1")(img_input)  # fmt: skip
    x = _bn("bn_Conv1")(x)
    x = ML.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_MOBILENET_V2_BLOCKS):
        x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                expansion=expansion, block_id=block_id)  # fmt: skip
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = L.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = _bn("Conv_1_bn")(x)
    x = ML.ReLU(6.0, name="out_relu")(x)
    x = _head(x, include_top, pooling, classes, classifier_activation, weights)
    model = Model(img_input, x, name=name or "mobilenetv2_%0.2f_%s" % (alpha, rows))
    file_name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_%s_%s%s.h5" % (
        float(alpha),
        rows,
        "" if include_top else "_no_top",
    )
    return _load(model, weights, "mobilenet_v2", file_name)


# -- ResNet -----------------------------------------------------------------------------------------
def _resnet_bn(name):
    return L.BatchNormalization(axis=3, epsilon=1.001e-5, name=name)


def _residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    if conv_shortcut:
        shortcut = L.Conv2D(4 * filters, 1, strides=stride, name=name + "_0_conv")(x)
        shortcut = _resnet_bn(name + "_0_bn")(shortcut)
    else:
        shortcut = x
    x = L.Conv2D(filters, 1, strides=stride, name=name + "_1_conv")(x)
    x = _resnet_bn(name + "_1_bn")(x)
    x = L.Activation("relu", name=name + "_1_relu")(x)
    x = L.Conv2D(filters, kernel_size, padding="SAME", name=name + "_2_conv")(x)
    x = _resnet_bn(name + "_2_bn")(x)
    x = L.Activation("relu", name=name + "_2_relu")(x)
    x = L.Conv2D(4 * filters, 1, name=name + "_3_conv")(x)
    x = _resnet_bn(name + "_3_bn")(x)
    x = L.Add(name=name + "_add")([shortcut, x])
    return L.Activation("relu", name=name + "_out")(x)


def _stack_v1(x, filters, blocks, stride1=2, name=None):
    x = _residual_block_v1(x, filters, stride=stride1, name=name + "_block1")
    for i in range(2, blocks + 1):
        x = _residual_block_v1(x, filters, conv_shortcut=False, name="%s_block%d" % (name, i))
    return x


def _resnet(blocks, weights_name, include_top, weights, input_tensor, input_shape, pooling,
            classes, classifier_activation, name):  # fmt: skip
    _check_weights(weights, include_top, classes)
    input_shape = _input_shape(input_shape, 224, 32, include_top, weights)
    img_input = _inputs(input_tensor, input_shape)
    x = L.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = L.Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    x = _resnet_bn("conv1_bn")(x)
    x = L.Activation("relu", name="conv1_relu")(x)
    x = L.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = L.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for i, (filters, n) in enumerate(zip((64, 128, 256, 512), blocks)):
        x = _stack_v1(x, filters, n, stride1=1 if i == 0 else 2, name="conv%d" % (i + 2))
    x = _head(x, include_top, pooling, classes, classifier_activation, weights, "avg_pool")
    model = Model(img_input, x, name=name)
    file_name = "%s_weights_tf_dim_ordering_tf_kernels%s.h5" % (
        weights_name,
        "" if include_top else "_notop",
    )
    return _load(model, weights, "resnet", file_name)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax",
             name="resnet50"):  # noqa: N802  # fmt: skip
    """`keras.applications.ResNet50` (He et al. 2015), Keras's graph and names."""
    return _resnet((3, 4, 6, 3), "resnet50", include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, name)  # fmt: skip


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name="resnet101"):  # noqa: N802  # fmt: skip
    """`keras.applications.ResNet101`."""
    return _resnet((3, 4, 23, 3), "resnet101", include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, name)  # fmt: skip


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax",
              name="resnet152"):  # noqa: N802  # fmt: skip
    """`keras.applications.ResNet152`."""
    return _resnet((3, 8, 36, 3), "resnet152", include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, name)  # fmt: skip


# -- VGG --------------------------------------------------------------------------------------------
def _vgg(convs, family, include_top, weights, input_tensor, input_shape, pooling, classes,
         classifier_activation, name):  # fmt: skip
    _check_weights(weights, include_top, classes)
    input_shape = _input_shape(input_shape, 224, 32, include_top, weights)
    img_input = _inputs(input_tensor, input_shape)
    x = img_input
    for block, (filters, n) in enumerate(zip((64, 128, 256, 512, 512), convs), start=1):
        for i in range(1, n + 1):
            x = L.Conv2D(filters, (3, 3), activation="relu", padding="same",
                         name="block%d_conv%d" % (block, i))(x)  # fmt: skip
        x = L.MaxPooling2D((2, 2), strides=(2, 2), name="block%d_pool" % block)(x)
    if include_top:
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(4096, activation="relu", name="fc1")(x)
        x = L.Dense(4096, activation="relu", name="fc2")(x)
        _validate_activation(classifier_activation, weights)
        x = L.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = L.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = L.GlobalMaxPooling2D()(x)
    model = Model(img_input, x, name=name)
    file_name = "%s_weights_tf_dim_ordering_tf_kernels%s.h5" % (
        family,
        "" if include_top else "_notop",
    )
    return _load(model, weights, family, file_name)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax",
          name="vgg16"):  # noqa: N802  # fmt: skip
    """`keras.applications.VGG16` (Simonyan & Zisserman 2014), Keras's graph and names."""
    return _vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
                pooling, classes, classifier_activation, name)  # fmt: skip


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax",
          name="vgg19"):  # noqa: N802  # fmt: skip
    """`keras.applications.VGG19`."""
    return _vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
                pooling, classes, classifier_activation, name)  # fmt: skip


# -- InceptionV3 ------------------------------------------------------------------------------------
def _conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    x = L.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                 name=None if name is None else name + "_conv")(x)  # fmt: skip
    x = L.BatchNormalization(axis=3, scale=False, name=None if name is None else name + "_bn")(x)
    return L.Activation("relu", name=name)(x)


def _avg_branch(x, filters):
    b = L.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return _conv2d_bn(b, filters, 1, 1)


def _concat(parts, name=None):
    return L.Concatenate(axis=3, name=name)(parts)


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):  # noqa: N802  # fmt: skip
    """`keras.applications.InceptionV3` (Szegedy et al. 2015), Keras's graph and names."""
    _check_weights(weights, include_top, classes)
    input_shape = _input_shape(input_shape, 299, 75, include_top, weights)
    img_input = _inputs(input_tensor, input_shape)
    x = _conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = _conv2d_bn(x, 32, 3, 3, padding="valid")
    x = _conv2d_bn(x, 64, 3, 3)
    x = L.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _conv2d_bn(x, 80, 1, 1, padding="valid")
    x = _conv2d_bn(x, 192, 3, 3, padding="valid")
    x = L.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):  # mixed 0, 1, 2: 35 x 35 x 256/288
        b1 = _conv2d_bn(x, 64, 1, 1)
        b5 = _conv2d_bn(_conv2d_bn(x, 48, 1, 1), 64, 5, 5)
        b3 = _conv2d_bn(_conv2d_bn(_conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
        x = _concat([b1, b5, b3, _avg_branch(x, pool_filters)], "mixed%d" % i)
    # mixed 3: 17 x 17 x 768
    b3 = _conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    bd = _conv2d_bn(_conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    bd = _conv2d_bn(bd, 96, 3, 3, strides=(2, 2), padding="valid")
    x = _concat([b3, bd, L.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed3")
    for i, c in enumerate((128, 160, 160, 192)):  # mixed 4, 5, 6, 7: 17 x 17 x 768
        b1 = _conv2d_bn(x, 192, 1, 1)
        b7 = _conv2d_bn(_conv2d_bn(_conv2d_bn(x, c, 1, 1), c, 1, 7), 192, 7, 1)
        bd = _conv2d_bn(x, c, 1, 1)
        bd = _conv2d_bn(_conv2d_bn(bd, c, 7, 1), c, 1, 7)
        bd = _conv2d_bn(_conv2d_bn(bd, c, 7, 1), 192, 1, 7)
        x = _concat([b1, b7, bd, _avg_branch(x, 192)], "mixed%d" % (4 + i))
    # mixed 8: 8 x 8 x 1280
    b3 = _conv2d_bn(_conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = _conv2d_bn(_conv2d_bn(_conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    b7 = _conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    x = _concat([b3, b7, L.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed8")
    for i in range(2):  # mixed 9, 10: 8 x 8 x 2048
        b1 = _conv2d_bn(x, 320, 1, 1)
        b3 = _conv2d_bn(x, 384, 1, 1)
        b3 = _concat([_conv2d_bn(b3, 384, 1, 3), _conv2d_bn(b3, 384, 3, 1)], "mixed9_%d" % i)
        bd = _conv2d_bn(_conv2d_bn(x, 448, 1, 1), 384, 3, 3)
        bd = _concat([_conv2d_bn(bd, 384, 1, 3), _conv2d_bn(bd, 384, 3, 1)])
        x = _concat([b1, b3, bd, _avg_branch(x, 192)], "mixed%d" % (9 + i))
    x = _head(x, include_top, pooling, classes, classifier_activation, weights, "avg_pool")
    model = Model(img_input, x, name=name)
    file_name = "inception_v3_weights_tf_dim_ordering_tf_kernels%s.h5" % (
        "" if include_top else "_notop"
    )
    return _load(model, weights, "inception_v3", file_name)


# -- preprocessing and decoding ---------------------------------------------------------------------
def preprocess_input(x, data_format=None, mode="caffe"):
    """Keras's `imagenet_utils.preprocess_input` (channels_last): "tf" scales to [-1, 1],
    "torch" to ImageNet's mean/std, "caffe" RGB->BGR and subtracts ImageNet's mean.  A NumPy
    array is returned as a float NumPy array (Keras changes it in place), a Tensor as a
    Tensor."""
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            "Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode=%s" % (mode,)
        )
    if data_format not in (None, "channels_last"):
        raise NotImplementedError("jaxtape's preprocess_input handles channels_last images.")
    if isinstance(x, np.ndarray):
        if not issubclass(x.dtype.type, np.floating):
            x = x.astype("float32")
        return _preprocess(x, mode, np)
    from jaxtape._src.ops import math_ops

    return _preprocess(convert_to_tensor(x), mode, math_ops)


def _preprocess(x, mode, ops):
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        x = x / 255.0
        mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    else:
        x = x[..., ::-1]
        mean, std = [103.939, 116.779, 123.68], None
    dtype = x.dtype if ops is np else x.dtype.as_numpy_dtype
    x = x - np.asarray(mean, dtype)
    if std is not None:
        x = x / np.asarray(std, dtype)
    return x


def decode_predictions(preds, top=5):
    """Keras's `decode_predictions`: the `top` (class id, name, score) of each row of
    ImageNet predictions; reads `imagenet_class_index.json` from Keras's cache."""
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            "(samples, 1000)). Received array with shape: %s" % (preds.shape,)
        )
    with open(_cached("imagenet_class_index.json", _CLASS_INDEX)) as f:
        index = json.load(f)
    out = []
    for pred in preds:
        ids = pred.argsort()[-top:][::-1]
        out.append([tuple(index[str(i)]) + (pred[i],) for i in ids])
    return out


def _mode(mode):
    def pre(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)

    pre.__name__ = "preprocess_input"
    pre.__doc__ = "Keras's preprocess_input for this family (mode %r)." % mode
    return pre


_FAMILIES = {
    "mobilenet_v2": ([MobileNetV2], "tf"),
    "resnet": ([ResNet50, ResNet101, ResNet152], "caffe"),
    "resnet50": ([ResNet50], "caffe"),
    "vgg16": ([VGG16], "caffe"),
    "vgg19": ([VGG19], "caffe"),
    "inception_v3": ([InceptionV3], "tf"),
}
for _family, (_builders, _m) in _FAMILIES.items():
    for _b in _builders:
        export_value("keras.applications.%s.%s" % (_family, _b.__name__), _b)
        if _family != "resnet50":
            export_value("keras.applications." + _b.__name__, _b)
    export_value("keras.applications.%s.preprocess_input" % _family, _mode(_m))
    export_value("keras.applications.%s.decode_predictions" % _family, decode_predictions)
export_value("keras.applications.imagenet_utils.preprocess_input", preprocess_input)
export_value("keras.applications.imagenet_utils.decode_predictions", decode_predictions)
