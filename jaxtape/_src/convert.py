"""TF's conversion and dtype rules, in one place.

* Python values: `1` -> int32 (int64 past int32), `1.0` -> float32, `True` -> bool, `1j` ->
  complex128, `"a"` -> string; mixed kinds and ragged lists raise TF's `ValueError`s.
* numpy values keep their dtype (float64 stays float64); a requested dtype casts them.
* Tensors are never converted to another dtype (`ValueError`), and ops never promote.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import registry
from jaxtape._src.context import STATE
from jaxtape._src.tensor import EAGER_TYPES, EagerTensor, make

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _unsupported(value):
    return ValueError(
        "Attempt to convert a value (%r) with an unsupported type (%s) to a Tensor."
        % (value, type(value))
    )


def _scan(value, shape_out, kinds):
    """Walk a nested Python sequence: record its shape and the kinds of its scalars.

    TF's converter: the shape is read off the first element at each depth; a shape with no
    elements is accepted as it is (`[[], [1.0]]` has shape (2, 0): nothing else is read), any
    other sequence must match it exactly."""
    obj = value
    while isinstance(obj, (list, tuple)):
        shape_out.append(len(obj))
        if not obj:
            break
        obj = obj[0]
    if 0 in shape_out:
        return
    _check_rectangular(value, shape_out, kinds, 0)


def _check_rectangular(value, shape, kinds, depth):
    if depth == len(shape):
        if isinstance(value, (list, tuple)):
            raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
        kinds.append(value)
        return
    if not isinstance(value, (list, tuple)) or len(value) != shape[depth]:
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    for v in value:
        _check_rectangular(v, shape, kinds, depth + 1)


def _kind(v):
    if isinstance(v, (bool, np.bool_)):
        return "b"
    if isinstance(v, (numbers.Integral, np.integer)):
        return "i"
    if isinstance(v, (numbers.Real, np.floating)):
        return "f"
    if isinstance(v, (numbers.Complex, np.complexfloating)):
        return "c"
    if isinstance(v, (str, bytes)):
        return "s"
    return None


def _infer_python(value):
    """(numpy array, DType) for a Python scalar or nested sequence, with TF's inference."""
    shape: list = []
    scalars: list = []
    _scan(value, shape, scalars)
    kinds = set()
    for s in scalars:
        k = _kind(s)
        if k is None:
            if s is None or not isinstance(value, (list, tuple)):
                raise _unsupported(s)
            raise ValueError(
                "Attempt to convert a value (%r) with an unsupported type (%s) to a "
                "Tensor." % (s, type(s))
            )
        kinds.add(k)
    if not kinds:
        return np.zeros(shape, np.float32), _dt.float32
    if "s" in kinds:
        if len(kinds) > 1:
            raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
        arr = np.empty(len(scalars), dtype=object)
        arr[:] = [s.encode("utf-8") if isinstance(s, str) else bytes(s) for s in scalars]
        return arr.reshape(shape), _dt.string
    if "b" in kinds and len(kinds) > 1:
        raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
    if kinds == {"b"}:
        return np.array(scalars, dtype=np.bool_).reshape(shape), _dt.bool_
    if "c" in kinds:
        return np.array(scalars, dtype=np.complex128).reshape(shape), _dt.complex128
    if "f" in kinds:
        wide = np.array(scalars, dtype=np.float64)
        with np.errstate(over="ignore"):
            arr = wide.astype(np.float32)
        if np.any(np.isinf(arr) & np.isfinite(wide)):
            # TF's message, although the value is out of float32's range, not float64's
            raise ValueError(
                "Can't convert Python sequence with a value out of range for a "
                "double-precision float."
            )
        return arr.reshape(shape), _dt.float32
    ints = [int(s) for s in scalars]
    lo, hi = min(ints), max(ints)
    if lo >= _INT32_MIN and hi <= _INT32_MAX:
        return np.array(ints, dtype=np.int32).reshape(shape), _dt.int32
    if lo >= _INT64_MIN and hi <= _INT64_MAX:
        return np.array(ints, dtype=np.int64).reshape(shape), _dt.int64
    raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")


def _python_to_dtype(value, dtype: _dt.DType):
    """A Python value converted to an explicitly requested dtype, with TF's strictness."""
    shape: list = []
    scalars: list = []
    _scan(value, shape, scalars)
    kinds = {_kind(s) for s in scalars}
    if None in kinds:
        bad = next(s for s in scalars if _kind(s) is None)
        raise _unsupported(bad)
    if "s" in kinds and len(kinds) > 1:
        raise ValueError("Can't convert Python sequence with mixed types to Tensor.")
    bad = False
    if dtype is _dt.string:
        bad = bool(kinds - {"s"})
    elif "s" in kinds:
        bad = True
    elif dtype.is_integer:
        bad = bool(kinds & {"f", "c"})
    elif dtype.is_bool:
        bad = bool(kinds - {"b"})
    elif dtype.is_floating:
        bad = "c" in kinds
    if bad:
        raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (value, dtype.name))
    if dtype is _dt.string:
        arr, _ = _infer_python(value)
        return arr
    if not scalars:
        return np.zeros(shape, dtype.as_numpy_dtype)
    if dtype.is_integer:
        ints = [int(s) for s in scalars]
        if dtype is _dt.uint64 and (min(ints) < 0 or max(ints) >= 2**64):
            # TF 2.21's converter fails inside its C extension here (an exception set while
            # returning a result), which Python reports as SystemError; jaxtape raises the
            # same class so `except` clauses written against TF behave alike
            raise SystemError(
                "<class 'tensorflow.python.framework.ops.EagerTensor'> returned a "
                "result with an exception set"
            )
        # TF wraps silently: tf.constant(300, tf.int8) == 44.
        arr = (
            np.array([i & ((1 << 64) - 1) for i in ints], dtype=np.uint64)
            if (min(ints) < _INT64_MIN or max(ints) > _INT64_MAX)
            else np.array(ints, dtype=np.int64)
        )
        return arr.astype(dtype.as_numpy_dtype).reshape(shape)
    src = np.array(scalars, dtype=np.complex128 if "c" in kinds else np.float64)
    with np.errstate(over="ignore"):  # an explicit narrow float dtype overflows to inf
        return src.astype(dtype.as_numpy_dtype).reshape(shape)


def _from_numpy(arr: np.ndarray, dtype):
    if arr.dtype.kind == "O":
        for v in arr.reshape(-1):
            if not isinstance(v, (str, bytes)):
                raise ValueError(
                    "Failed to convert a NumPy array to a Tensor (Unsupported "
                    "object type %s)." % type(v).__name__
                )
    if arr.dtype.kind in "OSU":
        out = np.empty(arr.shape, dtype=object)
        flat = [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in arr.reshape(-1)]
        out.reshape(-1)[:] = flat if flat else []
        if dtype is not None and dtype is not _dt.string:
            raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (arr, dtype.name))
        return out, _dt.string
    try:
        own = _dt.as_dtype(arr.dtype)
    except TypeError:
        raise ValueError(
            "Failed to convert a NumPy array to a Tensor (Unsupported numpy type: %s)." % arr.dtype
        ) from None
    if dtype is None or dtype is own:
        return arr, own
    if dtype is _dt.string:
        raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (arr, dtype.name))
    return arr.astype(dtype.as_numpy_dtype), dtype


def to_device(arr: np.ndarray, dtype: _dt.DType):
    if dtype is _dt.string:
        return arr
    if STATE.trace is not None:
        # a constant stays concrete inside jaxtape.function (it may initialise a Variable)
        with jax.ensure_compile_time_eval():
            return jnp.asarray(arr, dtype=dtype.as_numpy_dtype)
    return jnp.asarray(arr, dtype=dtype.as_numpy_dtype)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None, preferred_dtype=None):
    """`tf.convert_to_tensor`: a Tensor from a Tensor, Variable, numpy value or Python value."""
    if type(value) in EAGER_TYPES:
        if dtype is not None:
            dtype = _dt.as_dtype(dtype)
            if dtype is not value._dtype:
                raise ValueError(
                    "Tensor conversion requested dtype %s for Tensor with dtype %s: %r"
                    % (dtype.name, value._dtype.name, value)
                )
        return value
    if dtype is not None:
        dtype = _dt.as_dtype(dtype)
    read = getattr(value, "_read_as_tensor", None) or getattr(value, "_as_dense", None)
    if read is not None:
        t = read()
        if dtype is not None and dtype is not t._dtype:
            raise ValueError(
                "Tensor conversion requested dtype %s for Tensor with dtype %s: %r"
                % (dtype.name, t._dtype.name, t)
            )
        return t
    if isinstance(value, EagerTensor):  # subclasses (sliced-variable views) keep their identity
        if dtype is not None and dtype is not value._dtype:
            raise ValueError(
                "Tensor conversion requested dtype %s for Tensor with dtype %s: %r"
                % (dtype.name, value._dtype.name, value)
            )
        return value
    hint = dtype_hint if dtype_hint is not None else preferred_dtype
    if dtype is None and hint is not None:
        try:
            return convert_to_tensor(value, dtype=hint)
        except (TypeError, ValueError):
            return convert_to_tensor(value)
    if isinstance(value, jax.Array):
        own = _dt.as_dtype(value.dtype)
        if dtype is not None and dtype is not own:
            value = value.astype(dtype.as_numpy_dtype)
            own = dtype
        return make(value, own)
    if isinstance(value, (np.ndarray, np.generic)):
        arr, dt = _from_numpy(np.asarray(value), dtype)
        return make(to_device(arr, dt), dt)
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        return registry.operator("pack")(value, dtype)
    if dtype is None:
        arr, dt = _infer_python(value)
    else:
        arr, dt = _python_to_dtype(value, dtype), dtype
    return make(to_device(arr, dt), dt)


def _contains_tensor(value) -> bool:
    for v in value:
        if isinstance(v, (list, tuple)):
            if _contains_tensor(v):
                return True
        elif isinstance(v, EagerTensor) or hasattr(v, "_read_as_tensor"):
            return True
    return False


def is_tensor_like(x) -> bool:
    return isinstance(x, EagerTensor) or hasattr(x, "_read_as_tensor")
