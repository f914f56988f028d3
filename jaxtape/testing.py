"""`jaxtape.testing`: assertions and a gradient checker for tests (re-exports)."""

from jaxtape._src import testing as _testing  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("testing"))
del _namespace, _testing
