"""`tf.keras.optimizers` (Keras 3 subset): re-exports."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras.optimizers"))
del _namespace, _api

import types as _types  # noqa: E402

from jaxtape._src.registry import namespace as _ns  # noqa: E402

schedules = _types.ModuleType("jaxtape.keras.optimizers.schedules")
schedules.__dict__.update(_ns("keras.optimizers.schedules"))
del _types, _ns
