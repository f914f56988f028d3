"""`tf.data`: re-exports (see jaxtape/_src/data.py)."""

from jaxtape._src import api as _api  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("data"))
del _namespace, _api

from jaxtape.data import experimental  # noqa: E402,F401
