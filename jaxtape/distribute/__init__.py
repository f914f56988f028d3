"""`tf.distribute`: re-exports (see jaxtape/_src/distribute.py)."""

from jaxtape._src import api as _api  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("distribute"))
del _namespace, _api

from jaxtape.distribute import cluster_resolver, experimental  # noqa: E402,F401
