"""`keras.config`: Keras 3's settings (floatx, epsilon, image data format)."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.config"))
del _namespace, _api
