"""`tf.distribute.experimental`: re-exports (see jaxtape/_src/distribute.py)."""

from jaxtape._src import api as _api  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("distribute.experimental"))
del _namespace, _api
