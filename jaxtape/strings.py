"""`tf.strings`: re-exports from jaxtape's op table (see jaxtape/_src/registry.py)."""

from jaxtape._src import ops as _ops  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("strings"))
del _namespace, _ops
