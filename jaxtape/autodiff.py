"""`tf.autodiff`: re-exports from jaxtape's op table."""

from jaxtape._src import ops as _ops  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("autodiff"))
del _namespace, _ops
