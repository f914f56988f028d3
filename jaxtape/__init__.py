"""jaxtape: TensorFlow's eager autodiff API on JAX.

    import jaxtape as tf

    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    print(tape.gradient(y, x))   # tf.Tensor(6.0, shape=(), dtype=float32)

This module only re-exports: the names come from the op table (`jaxtape/_src/registry.py`).
Importing jaxtape turns on JAX's 64-bit mode (`jax_enable_x64`) so float64/int64 tensors stay
64-bit as in TF; see docs/migration.md for what that means for other JAX code.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from jaxtape._src import compile_cache as _compile_cache  # noqa: E402
from jaxtape._src import context as _context  # noqa: E402

_context._deliver_swallowed_interrupts()

_compile_cache.enable_from_environment()

from jaxtape._src import ops as _ops  # noqa: E402,F401  (fills the op table)
from jaxtape._src import api as _api  # noqa: E402,F401  (non-op public names)
from jaxtape._src import module as _module  # noqa: E402,F401  (tf.Module)
from jaxtape._src.registry import namespace as _namespace  # noqa: E402

globals().update(_namespace(""))

from jaxtape import (  # noqa: E402,F401
    bitwise, debugging, dtypes, errors, image, linalg, math, nest, nn, random, sparse, strings)
from jaxtape import autodiff, config, extend, keras, testing, train  # noqa: E402,F401

__version__ = "0.1.0"
del _namespace, _jax, _ops, _api, _module, _compile_cache, _context
