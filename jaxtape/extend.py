"""`jaxtape.extend`: register your own JAX functions as tape-recorded ops (re-exports)."""

from jaxtape._src import extend as _extend  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("extend"))
del _namespace, _extend
