"""Helpers shared by the op modules: argument conversion with TF's rules, dtype checks, errors."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax

from jaxtape._src import caches
from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.errors import InvalidArgumentError, NotFoundError
from jaxtape._src.tensor import EAGER_TYPES, EagerTensor, is_tracer, make

FLOAT = frozenset(("float16", "bfloat16", "float32", "float64"))
COMPLEX = frozenset(("complex64", "complex128"))
FLOATC = FLOAT | COMPLEX
INT = frozenset(("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"))
SIGNED = frozenset(("int8", "int16", "int32", "int64"))
NUMERIC = FLOATC | INT
REAL = FLOAT | INT


class _Constants(dict):
    """Python scalars converted once (`x * 2.0`), at most 4,096."""

    def info(self):
        return {"size": len(self), "maxsize": 4096}


_const_cache = _Constants()
caches.register("constants", _const_cache)


def tensor(x, dtype=None) -> EagerTensor:
    """convert_to_tensor with a cache for Python scalars: `x * 2.0` reuses one constant Tensor
    (one device upload, and one argument of a compiled backward pass however often it is used)."""
    if type(x) in EAGER_TYPES and dtype is None:
        return x
    tx = type(x)
    # No caching while jaxtape.function traces: an array created during a trace and reused by a
    # later trace makes JAX 0.10 hoist it as an extra executable argument that its fast call
    # path then fails to supply ("Execution supplied 1 arguments but ... expected 2").
    if (tx is float or tx is int) and dtype is not None and STATE.trace is None:
        if tx is float and (x == 0.0 or not math.isfinite(x)):
            return convert_to_tensor(x, dtype)
        key = (tx, x, dtype)
        t = _const_cache.get(key)
        if t is None:
            t = convert_to_tensor(x, dtype)
            # a constant made while JAX traces (a custom gradient's body re-run inside a
            # compiled backward pass) is a tracer: caching it would leak it into later calls
            if len(_const_cache) < 4096 and not is_tracer(t._value):
                _const_cache[key] = t
        return t
    return convert_to_tensor(x, dtype)


def binary_args(x, y, strict: bool = True):
    """Convert the two operands of a binary op.

    TF converts a non-tensor operand to the tensor operand's dtype: strictly for most ops
    (`i32 * 2.5` -> TypeError), with a soft hint for `add`/`truediv` (`i32 + 1.5` converts 1.5 to
    float32 and then fails in the kernel with InvalidArgumentError).
    """
    xt = type(x) in EAGER_TYPES or is_tensor_like(x)
    yt = type(y) in EAGER_TYPES or is_tensor_like(y)
    if xt:
        x = tensor(x)
        if not yt:
            y = tensor(y, x._dtype) if strict else soft(y, x._dtype)
        else:
            y = tensor(y)
    elif yt:
        y = tensor(y)
        x = tensor(x, y._dtype) if strict else soft(x, y._dtype)
    else:
        x = tensor(x)
        y = tensor(y, x._dtype) if strict else soft(y, x._dtype)
    return x, y


def soft(v, dtype):
    try:
        return tensor(v, dtype)
    except (TypeError, ValueError):
        return tensor(v)


def kernel_name(d: _dt.DType) -> str:
    return d._tf_kernel_name


def check_same_dtype(op: str, *ts):
    d0 = ts[0]._dtype
    for i, t in enumerate(ts[1:], 1):
        if t._dtype is not d0:
            raise InvalidArgumentError(
                None,
                None,
                "cannot compute %s as input #%d(zero-based) was expected to be a %s tensor but is "
                "a %s tensor [Op:%s]" % (op, i, kernel_name(d0), kernel_name(t._dtype), op),
            )


def check_dtype(op: str, t, allowed, attr="T"):
    if t._dtype._name not in allowed:
        raise InvalidArgumentError(
            None,
            None,
            "Value for attr '%s' of %s is not in the list of allowed values: %s ; NodeDef: "
            "{{node %s}}; Op<name=%s> [Op:%s]"
            % (
                attr,
                t._dtype.name,
                ", ".join(sorted(kernel_name(_dt.as_dtype(a)) for a in allowed)),
                op,
                op,
                op,
            ),
        )


def check_kernel(op: str, t, no_kernel):
    """TF registers the op for these dtypes but has no CPU kernel: NotFoundError, as TF's
    placer raises it."""
    if t._dtype._name in no_kernel:
        raise NotFoundError(
            None,
            None,
            "Could not find device for node: {{node %s}} = %s[T=DT_%s]"
            % (op, op, t._dtype._name.upper()),
        )


def incompatible(op: str, a, b) -> InvalidArgumentError:
    return InvalidArgumentError(
        None,
        None,
        "Incompatible shapes: [%s] vs. [%s] [Op:%s]"
        % (",".join(str(d) for d in a.shape), ",".join(str(d) for d in b.shape), op),
    )


def broadcastable(a, b) -> bool:
    sa, sb = a.shape, b.shape
    for x, y in zip(reversed(sa), reversed(sb)):
        if x != y and x != 1 and y != 1:
            return False
    return True


def axis_param(axis, ndim: int | None = None):
    """A static axis argument: None, an int, or a tuple of ints (tensors are read)."""
    if axis is None:
        return None
    if isinstance(axis, EagerTensor) or hasattr(axis, "_read_as_tensor"):
        axis = convert_to_tensor(axis).numpy()
        axis = axis.tolist()
    if isinstance(axis, (list, tuple)):
        out = tuple(int(a) for a in axis)
    else:
        out = int(axis)
    if ndim is not None:
        check = out if isinstance(out, tuple) else (out,)
        for a in check:
            if not -ndim <= a < max(ndim, 1):
                raise InvalidArgumentError(
                    None,
                    None,
                    "Invalid reduction dimension (%d for input with %d dimension(s)" % (a, ndim),
                )
    return out


def shape_param(shape):
    """A static shape argument: list/tuple/TensorShape/int/tensor -> tuple of ints."""
    if isinstance(shape, EagerTensor) or hasattr(shape, "_read_as_tensor"):
        known = STATE.trace.shape_of(shape) if STATE.trace is not None else None
        if known is not None:  # tf.shape of a tensor with a symbolic dimension
            return known
        shape = convert_to_tensor(shape).numpy().tolist()
        if isinstance(shape, int):
            shape = [shape]
    if isinstance(shape, int):
        return (shape,)
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    out = []
    for s in shape:
        if isinstance(s, EagerTensor):
            s = int(s)
        out.append(int(s) if s is not None else -1)
    return tuple(out)


def dtype_param(dtype, default=None):
    if dtype is None:
        return default
    return _dt.as_dtype(dtype)


def np_dtype(d: _dt.DType):
    return d.as_numpy_dtype


def zeros(shape, d: _dt.DType):
    return make(jnp.zeros(shape, d.as_numpy_dtype), d)


def ieee_divide(x, y):
    """`x / y` correctly rounded, element by element, as TF's CPU and GPU kernels divide.

    XLA rewrites a division by a broadcast or constant operand (a scalar, a row, a count) into
    a multiplication by its reciprocal, which is an ulp off for most divisors: `x / 3.0` under
    `jax.jit` differs from TF (and from IEEE) in about a third of the elements.  So the
    operands are broadcast to the result's shape and the divisor put behind an optimization
    barrier, where XLA sees two arrays of one shape and divides."""
    if not jnp.issubdtype(jnp.result_type(x, y), jnp.inexact):
        return x / y
    shape = jnp.broadcast_shapes(jnp.shape(x), jnp.shape(y))
    if jnp.shape(x) != shape:  # `c / y` too: a broadcast numerator is rewritten as c * (1 / y)
        x = lax.optimization_barrier(jnp.broadcast_to(x, shape))
    # the divisor always behind the barrier: a divisor XLA knows at compile time (a constant
    # inside a compiled step) is otherwise replaced by its reciprocal as well
    return x / lax.optimization_barrier(jnp.broadcast_to(y, shape))
