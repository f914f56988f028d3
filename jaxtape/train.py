"""`tf.train`: re-exports from jaxtape's op table."""

from jaxtape._src import ops as _ops  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("train"))
del _namespace, _ops
