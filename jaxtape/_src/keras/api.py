"""Importing this module fills the op table with the `keras.*` names."""

from jaxtape._src.keras import (  # noqa: F401
    activations,
    applications,
    backend,
    callbacks,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    more_layers,
    optimizers,
    preprocessing,
    random,
    regularizers,
    text,
)
