"""`tf.keras.mixed_precision`: re-exports."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.mixed_precision"))
del _namespace, _api
