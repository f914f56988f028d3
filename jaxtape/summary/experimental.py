"""`tf.summary.experimental`: re-exports (see jaxtape/_src/summary.py)."""

from jaxtape._src import api as _api  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("summary.experimental"))
del _namespace, _api
