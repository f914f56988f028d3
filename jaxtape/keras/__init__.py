"""`tf.keras`: the Keras 3 subset used by tape-based training loops (re-exports)."""

from jaxtape._src.keras import api as _api  # noqa: F401
from jaxtape._src.registry import namespace as _namespace

globals().update(_namespace("keras"))
from jaxtape.keras import (  # noqa: E402,F401
    activations,
    applications,
    backend,
    callbacks,
    config,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    optimizers,
    random,
    regularizers,
    utils,
)

del _namespace, _api
