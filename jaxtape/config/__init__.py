"""`tf.config`: re-exports (see jaxtape/_src/config.py)."""

from jaxtape._src import config as _config  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("config"))
del _namespace, _config

from jaxtape.config import experimental, optimizer, threading  # noqa: E402,F401
