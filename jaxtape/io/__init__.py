"""`tf.io` (files and image decoding): re-exports (see jaxtape/_src/io_ops.py)."""

from jaxtape._src import api as _api  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("io"))
del _namespace, _api
