"""`tf.debugging.check_numerics` and `tf.debugging.enable_check_numerics`.

With checking enabled, every op's float outputs are checked as it runs (one check path, a
`context.HOOKS.post_op` hook, for single- and multi-output ops), as TF's check-numerics callback
does: ops that only move data (TF's `SAFE_OPS`: Reshape, ConcatV2, Unpack, StridedSlice,
Maximum, ...) and Identity are not checked, so `tf.reshape` of a NaN passes and `tf.split` of
one raises, as in TF 2.21.  Inside `jaxtape.function` the checks are compiled into the step
(a host callback per checked op) and the function's outputs are checked when it returns, as TF
checks a function call as one eager op.  A gradient that comes out non-finite is traced back:
the backward pass is replayed one recorded op at a time (only then, on the slow path) to name
the TF op whose backward step first produced a NaN or Inf.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.context import HOOKS
from jaxtape._src.dispatch import NUMERICS as FLAGS
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.registry import export_value
from jaxtape._src.tensor import is_tracer

# TF 2.21's check_numerics_callback.SAFE_OPS, and Identity (op_callbacks_common's skip list)
SAFE_OPS = frozenset(
    (
        "Concat",
        "ConcatV2",
        "ExpandDims",
        "Fill",
        "Gather",
        "Maximum",
        "Minimum",
        "Reshape",
        "Slice",
        "Squeeze",
        "Stack",
        "StridedSlice",
        "StridedSliceGrad",
        "TensorListConcatV2",
        "TensorListGather",
        "TensorListGetItem",
        "TensorListPopBack",
        "TensorListStack",
        "Transpose",
        "Unpack",
        "Identity",
        # one kernel here, Minimum and Maximum ops in TF's clip_by_value: not checked either
        "ClipByValue",
    )
)


def _bad(a):
    if not jnp.issubdtype(a.dtype, jnp.inexact):
        return None
    arr = np.asarray(a)
    if np.isnan(arr).any():
        return "NaN"
    if np.isinf(arr).any():
        return "Inf"
    return None


def check_numerics(tensor, message, name=None):
    """Returns `tensor`, or raises InvalidArgumentError if it holds a NaN or an Inf."""
    from jaxtape._src.convert import convert_to_tensor

    t = convert_to_tensor(tensor)
    kind = _bad(t._value)
    if kind is not None:
        raise InvalidArgumentError(None, None, "%s : Tensor had %s values" % (message, kind))
    return t


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Check every op's output (and every gradient) for NaN/Inf, naming the op that made it.

    Functions traced while it is off keep running unchecked (as TF's: its callback instruments
    graphs when they are built)."""
    FLAGS["enabled"] = True
    if check_op_outputs not in HOOKS.post_op:
        HOOKS.post_op.append(check_op_outputs)


def disable_check_numerics():
    FLAGS["enabled"] = False
    while check_op_outputs in HOOKS.post_op:
        HOOKS.post_op.remove(check_op_outputs)


def _message(kind, k, n, op):
    return (
        "Detected %s in output %d of op %r (# of outputs: %d): the first non-finite value "
        "in the forward pass was produced here (tf.debugging.enable_check_numerics)."
        % (kind, k, op, n)
    )


def _raise_if_bad(ok, nan, op, k, n):
    if not ok:
        raise FloatingPointError(
            "InvalidArgumentError: " + _message("NaN" if nan else "Infinity", int(k), int(n), op)
        )


def check_op_outputs(kernel, inputs, outputs, name=None):
    """The post-op hook: raise InvalidArgumentError if a float output of a checked op holds a
    NaN or an Inf (compiled in as a host callback when the values are traced)."""
    op = name or kernel.name
    if op in SAFE_OPS:
        return
    check_values(op, [o._value for o in outputs])


def check_values(op, values):
    n = len(values)
    for k, v in enumerate(values):
        if not jnp.issubdtype(v.dtype, jnp.inexact):
            continue
        if is_tracer(v):
            jax.debug.callback(
                functools.partial(_raise_if_bad, op=op, k=k, n=n),
                jnp.isfinite(v).all(),
                jnp.isnan(v).any(),
            )
            continue
        kind = _bad(v)
        if kind is not None:
            raise InvalidArgumentError(None, None, _message(kind, k, n, op))


for _f in (check_numerics, enable_check_numerics, disable_check_numerics):
    export_value("debugging." + _f.__name__, _f)
