"""`tf.keras.regularizers`: re-exports."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.regularizers"))
del _namespace, _api
