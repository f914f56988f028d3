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
    bitwise,
    debugging,
    dtypes,
    errors,
    image,
    linalg,
    math,
    nest,
    nn,
    random,
    sparse,
    strings,
)
from jaxtape import (  # noqa: E402,F401
    autodiff,
    config,
    data,
    distribute,
    extend,
    io,
    keras,
    summary,
    testing,
    train,
)

__version__ = "0.1.0"
del _namespace, _jax, _ops, _api, _module, _compile_cache, _context

# TF modules jaxtape does not provide: a clear AttributeError (hasattr() stays False) that
# names the JAX route (docs/migration.md, "Not there").
_NOT_PROVIDED = {
    "saved_model": "to save a compiled step, export it with jax.export (see docs/migration.md)",
    "lite": "TF Lite is TensorFlow's own runtime; export with jax.export instead",
    "compat": "tf.compat.v1 graphs and sessions do not exist in TF 2 eager code, which jaxtape "
    "runs",
    "estimator": "use a Keras model or a GradientTape loop",
    "tpu": "JAX runs on TPUs itself: install jax[tpu]",
    "experimental": "no tf.experimental APIs are provided",
}


from jaxtape._src.errors import NotProvidedError as _NotProvidedError  # noqa: E402


def __getattr__(name):
    route = _NOT_PROVIDED.get(name)
    if route is not None:
        raise _NotProvidedError("tf.%s is not provided by jaxtape: %s." % (name, route))
    raise AttributeError("module 'jaxtape' has no attribute %r" % (name,))
