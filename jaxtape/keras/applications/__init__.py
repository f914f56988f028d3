"""`tf.keras.applications`: re-exports (see jaxtape/_src/keras/applications.py)."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.applications"))
del _namespace, _api

from jaxtape.keras.applications import (  # noqa: E402,F401
    imagenet_utils,
    inception_v3,
    mobilenet_v2,
    resnet,
    resnet50,
    vgg16,
    vgg19,
)
