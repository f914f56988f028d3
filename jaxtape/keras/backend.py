"""`tf.keras.backend`: Keras's legacy `K.*` functions and settings (re-exports)."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.backend"))
del _namespace, _api
