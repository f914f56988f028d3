"""Importing this module fills the op table with the `keras.*` names."""

from jaxtape._src.keras import (  # noqa: F401
    activations,
    backend,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    random,
)
