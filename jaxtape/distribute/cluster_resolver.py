"""`tf.distribute.cluster_resolver`: re-exports (see jaxtape/_src/distribute.py)."""

from jaxtape._src import api as _api  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("distribute.cluster_resolver"))
del _namespace, _api
