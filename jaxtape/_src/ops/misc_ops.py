"""Public names that are not ops: classes, tf.is_tensor, tf.print, tf.nest, tf.errors, ..."""

from __future__ import annotations

import sys

from jaxtape._src import errors, nest
from jaxtape._src.convert import is_tensor_like
from jaxtape._src.registry import export, export_value
from jaxtape._src.shape import TensorShape
from jaxtape._src.tape import GradientTape, UnconnectedGradients
from jaxtape._src.tensor import EagerTensor, Tensor
from jaxtape._src.variables import (
    Variable,
    VariableAggregation,
    VariableSynchronization,
    _NameScope,
)


@export("is_tensor", gradient="n/a")
def is_tensor(x) -> bool:
    """`tf.is_tensor`: True for Tensors, Variables and IndexedSlices."""
    return is_tensor_like(x) or type(x).__name__ == "IndexedSlices"


@export("print", gradient="n/a")
def print_(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """`tf.print`: prints tensors' values (not their reprs), numpy-style, to stderr by default."""
    import numpy as np
    from jaxtape._src.tensor import is_symbolic

    stream = (
        output_stream
        if output_stream is not None and hasattr(output_stream, "write")
        else sys.stderr
    )
    tensors = [x for x in inputs if isinstance(x, EagerTensor) or is_tensor_like(x)]
    if any(is_symbolic(getattr(t, "_value", None)) for t in tensors):
        # inside jaxtape.function: print when the compiled step runs, like TF's PrintV2 op
        import jax

        arrays = [
            x._value if isinstance(x, EagerTensor) else x._read_as_tensor()._value for x in tensors
        ]

        def emit(*vals):
            it = iter(vals)
            parts = [
                np.array2string(np.asarray(next(it)), separator=" ")
                if (isinstance(x, EagerTensor) or is_tensor_like(x))
                else str(x)
                for x in inputs
            ]
            stream.write(sep.join(parts) + end)

        jax.debug.callback(emit, *arrays)
        return
    parts = []
    for x in inputs:
        if isinstance(x, EagerTensor) or is_tensor_like(x):
            a = np.asarray(x)
            with np.printoptions(threshold=max(2 * summarize, 1), edgeitems=summarize):
                parts.append(np.array2string(a, separator=" ") if a.ndim else str(a))
        else:
            parts.append(str(x))
    stream.write(sep.join(parts) + end)


export_value("GradientTape", GradientTape)
export_value("UnconnectedGradients", UnconnectedGradients)
export_value("Tensor", Tensor)
export_value("Variable", Variable)
export_value("VariableAggregation", VariableAggregation)
export_value("VariableSynchronization", VariableSynchronization)
export_value("TensorShape", TensorShape)
export_value("name_scope", _NameScope)
for _n in (
    "OpError",
    "InvalidArgumentError",
    "NotFoundError",
    "UnimplementedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "OutOfRangeError",
    "AbortedError",
    "InternalError",
    "UnknownError",
    "CancelledError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "UnavailableError",
    "DataLossError",
    "DeadlineExceededError",
    "UnauthenticatedError",
):
    export_value("errors." + _n, getattr(errors, _n))
for _n in ("flatten", "pack_sequence_as", "map_structure", "is_nested"):
    export("nest." + _n, gradient="n/a")(getattr(nest, _n))
