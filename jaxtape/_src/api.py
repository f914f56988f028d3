"""Public names that belong to jaxtape itself rather than to an op: caches, interop, function."""

from __future__ import annotations

from jaxtape._src import backward
from jaxtape._src.registry import export_value
from jaxtape._src.tensor import to_jax

export_value("clear_caches", backward.clear_caches)
export_value("cache_info", backward.cache_info)
export_value("debugging.compile_stats", backward.compile_stats)
export_value("to_jax", to_jax)

from jaxtape._src.custom_gradient import custom_gradient, recompute_grad  # noqa: E402

export_value("custom_gradient", custom_gradient)
export_value("recompute_grad", recompute_grad)

from jaxtape._src.function import (  # noqa: E402
    Function,
    TensorSpec,
    function,
    gradients,
    init_scope,
)

export_value("function", function)
export_value("gradients", gradients)
export_value("init_scope", init_scope)
export_value("TensorSpec", TensorSpec)
export_value("types.experimental.GenericFunction", Function)

from jaxtape._src import forward as _forward  # noqa: E402,F401  (tf.autodiff)

from jaxtape._src import checkpoint as _checkpoint  # noqa: E402,F401  (tf.train)

from jaxtape._src import explain as _explain  # noqa: E402,F401  (tf.debugging explain switches)

from jaxtape._src import numerics as _numerics  # noqa: E402,F401  (tf.debugging numerics)

from jaxtape._src import data as _data  # noqa: E402,F401  (tf.data)

from jaxtape._src import summary as _summary  # noqa: E402,F401  (tf.summary)

from jaxtape._src import distribute as _distribute  # noqa: E402,F401  (tf.distribute)

from jaxtape._src import tensor_array as _tensor_array  # noqa: E402,F401  (tf.TensorArray)

from jaxtape._src import io_ops as _io_ops  # noqa: E402,F401  (tf.io files, image decoding)
