"""`tf.config.experimental`: re-exports (see jaxtape/_src/config.py)."""

from jaxtape._src import config as _config  # noqa: F401  (fills the table)
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("config.experimental"))
del _namespace, _config
