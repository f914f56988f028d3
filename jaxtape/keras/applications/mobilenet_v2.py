"""`tf.keras.applications.mobilenet_v2`: re-exports."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.applications.mobilenet_v2"))
del _namespace, _api
