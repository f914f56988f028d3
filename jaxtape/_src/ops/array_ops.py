"""Constructors and array ops: constant, zeros/ones, range, linspace, reshape, transpose, concat,
stack, indexing, gather, where, ... (`tf.*`)."""

from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src import buckets
from jaxtape._src import caches
from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.dispatch import bind, host_op_done
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.ops._common import (
    FLOAT,
    axis_param,
    check_same_dtype,
    dtype_param,
    shape_param,
    tensor,
)
from jaxtape._src.registry import Kernel, define_operator, export, export_value, operator
from jaxtape._src.shape import TensorShape
from jaxtape._src.tensor import EagerTensor, affine_of, is_symbolic, is_tracer, make

# ------------------------------------------------------------------------------------------
# constructors
# ------------------------------------------------------------------------------------------


def _concrete(fn):
    """Constructors make concrete arrays even while jaxtape.function traces, so their results
    can initialise Variables created on the first call."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if STATE.trace is None or _symbolic_shape_arg(args, kwargs):
            return fn(*args, **kwargs)
        with jax.ensure_compile_time_eval():
            return fn(*args, **kwargs)

    return wrapper


def _symbolic_shape_arg(args, kwargs):
    """A shape argument with a dimension a jaxtape.function signature leaves open."""
    scope = STATE.trace
    for a in (*args, *kwargs.values()):
        if scope.shape_of(a) is not None or jax.export.is_symbolic_dim(a):
            return True
        if isinstance(a, (list, tuple)) and any(jax.export.is_symbolic_dim(d) for d in a):
            return True
    return False


@export("constant", gradient="n/a")
def constant(value, dtype=None, shape=None, name="Const"):
    """`tf.constant`: TF's dtype inference (see convert.py); `shape` broadcasts a scalar."""
    t = (
        convert_to_tensor(value, dtype=dtype)
        if not isinstance(value, EagerTensor)
        else (value if dtype is None else _cast_to(value, dtype))
    )
    if shape is not None:
        shp = shape_param(shape)
        n = int(np.prod(shp)) if shp else 1
        if t._asize not in (1, n):
            raise TypeError(
                "Eager execution of tf.constant with unsupported shape. Tensor %s "
                "(converted from %r) has %d elements, but got `shape` %s with %d "
                "elements)." % (np.asarray(t._value), value, t._asize, tuple(shp), n)
            )
        if t.ndim == 0 or t._asize == 1:
            t = make(jnp.broadcast_to(t._value.reshape(()), shp), t._dtype)
        else:
            t = make(t._value.reshape(shp), t._dtype)
    return t


def _cast_to(t, dtype):
    return operator("cast")(t, dtype)  # math_ops defines it (and imports this module)


define_operator("constant")(constant)
export("convert_to_tensor", gradient="yes")(convert_to_tensor)


@export("zeros", gradient="n/a")
@_concrete
def zeros(shape, dtype=_dt.float32, name=None, layout=None):
    d = _dt.as_dtype(dtype)
    if d is _dt.string:
        return make(np.full(shape_param(shape), b"", dtype=object), d)
    return make(jnp.zeros(shape_param(shape), d.as_numpy_dtype), d)


@export("ones", gradient="n/a")
@_concrete
def ones(shape, dtype=_dt.float32, name=None, layout=None):
    d = _dt.as_dtype(dtype)
    return make(jnp.ones(shape_param(shape), d.as_numpy_dtype), d)


# TF's ZerosLike / OnesLike ops (not differentiable): ops on their input, so a pending input keeps
# them in its lazy segment, padded rows and all (a dropout's `where(keep, x, zeros_like(x))`
# compiled a zeros kernel per batch size)
_zeros_like_k = Kernel(
    "ZerosLike", lambda x, dtype: jnp.zeros(x.shape, dtype), grad="nondiff", rows=buckets.MAP
)
_ones_like_k = Kernel(
    "OnesLike", lambda x, dtype: jnp.ones(x.shape, dtype), grad="nondiff", rows=buckets.MAP
)


def _filled_like(kernel, fill, input, dtype):  # noqa: A002
    x = tensor(input)
    d = dtype_param(dtype, x._dtype)
    if d is _dt.string or x._dtype is _dt.string:
        return make(fill(x._ashape, d.as_numpy_dtype), d)
    return bind(kernel, (x,), {"dtype": np.dtype(d.as_numpy_dtype)})


@export("zeros_like", gradient="n/a")
def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    return _filled_like(_zeros_like_k, jnp.zeros, input, dtype)


@export("ones_like", gradient="n/a")
def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    return _filled_like(_ones_like_k, jnp.ones, input, dtype)


@export("fill", gradient="yes")
def fill(dims, value, name=None, layout=None):
    v = tensor(value)
    return bind(_fill_k, (v,), {"shape": shape_param(dims)})


_fill_k = Kernel("Fill", lambda v, shape: jnp.broadcast_to(v, shape))


@export("eye", "linalg.eye", gradient="n/a")
@_concrete
def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    d = _dt.as_dtype(dtype)
    m = jnp.eye(
        int(num_rows), None if num_columns is None else int(num_columns), dtype=d.as_numpy_dtype
    )
    if batch_shape is not None:
        m = jnp.broadcast_to(m, shape_param(batch_shape) + m.shape)
    return make(m, d)


def _scalar_of(v):
    if is_tensor_like(v):
        t = convert_to_tensor(v)
        return t.numpy(), t._dtype
    if isinstance(v, (np.ndarray, np.generic)):
        return v, _dt.as_dtype(v.dtype)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("range() arguments must be numbers or scalar tensors, got %r" % (v,))
    if isinstance(v, float):
        return v, _dt.float32
    return v, (_dt.int32 if -(2**31) <= v < 2**31 else _dt.int64)  # TF: int64 past int32


@export("range", gradient="n/a")
@_concrete
def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """`tf.range`: int32 for Python ints, float32 for Python floats, the tensors' dtype else."""
    if limit is None:
        start, limit = 0, start
    vals = [_scalar_of(v) for v in (start, limit, delta)]
    if dtype is None:
        order = ["int32", "int64", "float16", "bfloat16", "float32", "float64"]
        d = builtins.max(
            (dt for _, dt in vals), key=lambda x: order.index(x.name) if x.name in order else 0
        )
    else:
        d = _dt.as_dtype(dtype)
    s, lim, dl = (np.asarray(v).astype(d.as_numpy_dtype).item() for v, _ in vals)
    if dl == 0:
        raise InvalidArgumentError(None, None, "Requires delta != 0: %s [Op:Range]" % dl)
    if dl > 0 and s > lim:
        raise InvalidArgumentError(
            None, None, "Requires start <= limit when delta > 0: %s/%s [Op:Range]" % (s, lim)
        )
    if dl < 0 and s < lim:
        raise InvalidArgumentError(
            None, None, "Requires start >= limit when delta < 0: %s/%s [Op:Range]" % (s, lim)
        )
    if d.is_integer:
        n = -(-(lim - s) // dl)
        arr = (s + dl * np.arange(builtins.max(n, 0), dtype=np.int64)).astype(d.as_numpy_dtype)
    else:
        npd = d.as_numpy_dtype
        # TF's size: ceil(|(limit - start) / delta|) computed in the output dtype (in float64
        # 8.0 / 0.01 is 800.00002 and would give one element more)
        with np.errstate(all="ignore"):
            n = int(np.ceil(np.abs((npd(lim) - npd(s)) / npd(dl))))
        # TF 2.21's kernel: start + i * delta, in the output dtype (measured: accumulating
        # `val += delta` differs from it by an ulp in most elements of a long range)
        arr = (npd(s) + np.arange(n, dtype=npd) * npd(dl)).astype(npd)
    return make(jnp.asarray(arr, d.as_numpy_dtype), d)


@export("linspace", "lin_space", gradient="n/a")
@_concrete
def linspace(start, stop, num, name=None, axis=0):
    """`tf.linspace`: `start + i * step` in the output dtype, last element exactly `stop`;
    integer arguments give float64 (as TF)."""
    st = convert_to_tensor(start)
    d = st._dtype if st._dtype.is_floating else _dt.float64
    sp = convert_to_tensor(stop, dtype=d) if not is_tensor_like(stop) else convert_to_tensor(stop)
    if sp._dtype is not d:
        if sp._dtype.is_integer:
            sp = make(sp._value.astype(d.as_numpy_dtype), d)
        else:
            raise InvalidArgumentError(
                None,
                None,
                "cannot compute LinSpace as input #1(zero-based) "
                "was expected to be a %s tensor but is a %s tensor"
                % (d._tf_kernel_name, sp._dtype._tf_kernel_name),
            )
    n = int(convert_to_tensor(num).numpy())
    npd = d.as_numpy_dtype
    a = np.asarray(st.numpy(), dtype=npd)
    b = np.asarray(sp.numpy(), dtype=npd)
    if n == 0:
        arr = np.zeros((0,), npd)
    elif n == 1:
        arr = np.asarray([a], dtype=npd)
    else:
        step = (b - a) / npd(n - 1)
        arr = a + step * np.arange(n, dtype=npd)
        arr = arr.astype(npd)
        arr[n - 1] = b
    return make(jnp.asarray(arr, npd), d)


# ------------------------------------------------------------------------------------------
# shape ops
# ------------------------------------------------------------------------------------------


def _reshape_impl(x, shape):
    return jnp.reshape(x, shape)


reshape_k = Kernel("Reshape", _reshape_impl, host=np.reshape)


@export("reshape", kernel="Reshape")
def reshape(tensor_, shape, name=None):
    x = tensor(tensor_)
    shp = shape_param(shape)
    n = x._asize
    known = 1
    for s in shp:
        if s != -1:
            known *= s
    if (-1 not in shp and known != n) or (-1 in shp and (known == 0 or n % known)):
        raise InvalidArgumentError(
            None,
            None,
            "Input to reshape is a tensor with %d values, but "
            "the requested shape has %d [Op:Reshape]" % (n, known),
        )
    if x._dtype is _dt.string:
        return make(np.reshape(x._value, shp), x._dtype)
    return bind(reshape_k, (x,), {"shape": shp})


@export("transpose", "linalg.matrix_transpose" if False else "transpose", kernel="Transpose")
def transpose(a, perm=None, conjugate=False, name="transpose"):
    x = tensor(a)
    p = None if perm is None else tuple(shape_param(perm))
    out = bind(_transpose_k, (x,), {"perm": p})
    if conjugate and x._dtype.is_complex:
        out = operator("conj")(out)
    return out


_transpose_k = Kernel("Transpose", lambda x, perm: jnp.transpose(x, perm), rows=buckets.TRANSPOSE)


@export("linalg.matrix_transpose", "linalg.transpose", kernel="Transpose")
def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    x = tensor(a)
    perm = tuple(builtins.range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return transpose(x, perm, conjugate=conjugate)


_expand_k = Kernel(
    "ExpandDims", lambda x, axis: jnp.expand_dims(x, axis), rows=buckets.INSERTS_AXIS("axis")
)
_squeeze_k = Kernel("Squeeze", lambda x, axis: jnp.squeeze(x, axis), rows=buckets.SQUEEZE)


@export("expand_dims", kernel="ExpandDims")
def expand_dims(input, axis, name=None):  # noqa: A002
    x = tensor(input)
    return bind(_expand_k, (x,), {"axis": int(axis_param(axis))})


@export("squeeze", kernel="Squeeze")
def squeeze(input, axis=None, name=None):  # noqa: A002
    x = tensor(input)
    ax = axis_param(axis)
    if isinstance(ax, int):
        ax = (ax,)
    if ax is not None:
        for a in ax:
            if x._ashape[a] != 1:
                raise InvalidArgumentError(
                    None,
                    None,
                    "Can not squeeze dim[%d], expected a dimension "
                    "of 1, got %d [Op:Squeeze]" % (a, x._ashape[a]),
                )
    return bind(_squeeze_k, (x,), {"axis": ax})


def _shape_value(dims, dtype):
    """A shape as a tensor: a constant whenever it is known, also while jaxtape.function
    traces (TF folds it there too, so `tf.zeros(tf.shape(x))` and `tf.shape(x)[0]` work); with a
    dimension a signature leaves open, a traced value that shape arguments read back as the
    symbolic dimension."""
    np_dtype = dtype.as_numpy_dtype
    if all(type(n) is int for n in (dims if isinstance(dims, tuple) else (dims,))):
        with jax.ensure_compile_time_eval():
            return make(jnp.asarray(dims, np_dtype), dtype)
    value = jnp.asarray(dims, np_dtype)
    if STATE.trace is not None and isinstance(dims, tuple):
        STATE.trace.remember_shape(value, dims)
    return make(value, dtype)


@export("shape", gradient="n/a")
def shape(input, out_type=_dt.int32, name=None):  # noqa: A002
    x = tensor(input)
    return _shape_value(tuple(x._ashape), _dt.as_dtype(out_type))


@export("size", gradient="n/a")
def size(input, out_type=_dt.int32, name=None):  # noqa: A002
    x = tensor(input)
    return _shape_value(x._asize, _dt.as_dtype(out_type))


@export("rank", gradient="n/a")
def rank(input, name=None):  # noqa: A002
    x = tensor(input)
    return _shape_value(x.ndim, _dt.int32)


@export("identity", kernel="Identity")
def identity(input, name=None):  # noqa: A002
    x = tensor(input)
    if x._dtype is _dt.string:
        return make(x._value, x._dtype)
    return bind(_identity_k, (x,))


_identity_k = Kernel(
    "Identity",
    lambda x: x + jnp.zeros((), x.dtype) if x.dtype != jnp.bool_ else x,
    rows=buckets.MAP,
)


@export("stop_gradient", gradient="none (not differentiable)", kernel="StopGradient")
def stop_gradient(input, name=None):  # noqa: A002
    x = tensor(input)
    return bind(_stop_k, (x,))


_stop_k = Kernel("StopGradient", lax.stop_gradient, grad="nondiff")


def _concat_impl(*xs, axis):
    return jnp.concatenate(xs, axis=axis)


_concat_k = Kernel("ConcatV2", _concat_impl, rows=buckets.CONCAT)


@export("concat", kernel="ConcatV2")
def concat(values, axis, name="concat"):
    ts = [tensor(v) for v in values]
    if len(ts) == 1:
        return identity(ts[0])
    check_same_dtype("ConcatV2", *ts)
    ax = int(axis_param(axis))
    r = ts[0].ndim
    a = ax % r if r else 0
    for i, t in enumerate(ts[1:], 1):
        s0, s1 = ts[0]._ashape, t._ashape
        if len(s0) != len(s1) or any(x != y for k, (x, y) in enumerate(zip(s0, s1)) if k != a):
            raise InvalidArgumentError(
                None,
                None,
                "ConcatOp : Dimension %d in both shapes must be equal: shape[0] = %s "
                "vs. shape[%d] = %s [Op:ConcatV2]"
                % (
                    next((k for k, (x, y) in enumerate(zip(s0, s1)) if k != a and x != y), 0),
                    list(s0),
                    i,
                    list(s1),
                ),
            )
    if ts[0]._dtype is _dt.string:
        return make(np.concatenate([t._value for t in ts], axis=ax), _dt.string)
    return bind(_concat_k, tuple(ts), {"axis": ax})


_stack_k = Kernel("Pack", lambda *xs, axis: jnp.stack(xs, axis=axis))


@export("stack", kernel="Pack")
def stack(values, axis=0, name="stack"):
    if len(values) == 0:  # TF: an empty float32 vector
        return make(jnp.zeros((0,), jnp.float32), _dt.float32)
    ts = [tensor(v) for v in values]
    check_same_dtype("Pack", *ts)
    for i, t in enumerate(ts[1:], 1):
        if t._ashape != ts[0]._ashape:
            raise InvalidArgumentError(
                None,
                None,
                "Shapes of all inputs must match: values[0].shape = %s != values[%d]"
                ".shape = %s [Op:Pack]" % (list(ts[0]._ashape), i, list(t._ashape)),
            )
    if ts and ts[0]._dtype is _dt.string:
        return make(np.stack([t._value for t in ts], axis=axis), _dt.string)
    return bind(_stack_k, tuple(ts), {"axis": int(axis)})


@define_operator("pack")
def _pack(values, dtype=None):
    """Auto-packing in convert_to_tensor: a (nested) list holding tensors."""

    def conv(v):
        if isinstance(v, (list, tuple)):
            return stack([conv(x) for x in v])
        return tensor(v, dtype) if not is_tensor_like(v) else convert_to_tensor(v, dtype)

    return conv(values)


def _unstack_impl(x, axis, num):
    return tuple(jnp.take(x, i, axis=axis) for i in builtins.range(num))


_unstack_k = Kernel("Unpack", _unstack_impl, multi=True)


@export("unstack", kernel="Unpack")
def unstack(value, num=None, axis=0, name="unstack"):
    x = tensor(value)
    n = x._ashape[axis]
    if n == 0:
        return []
    return list(bind(_unstack_k, (x,), {"axis": int(axis), "num": int(n)}))


define_operator("unstack")(unstack)


def _split_impl(x, sizes, axis):
    idx = np.cumsum(sizes)[:-1].tolist()
    return tuple(jnp.split(x, idx, axis=axis))


_split_k = Kernel("SplitV", _split_impl, multi=True)


@export("split", kernel="SplitV")
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    x = tensor(value)
    ax = int(axis_param(axis))
    dim = x._ashape[ax]
    if isinstance(num_or_size_splits, int):
        if dim % num_or_size_splits:
            raise InvalidArgumentError(
                None,
                None,
                "Number of ways to split should evenly divide "
                "the split dimension, but got split_dim %d (size = %d) and "
                "num_split %d [Op:Split]" % (ax, dim, num_or_size_splits),
            )
        sizes = (dim // num_or_size_splits,) * num_or_size_splits
    else:
        sizes = list(shape_param(num_or_size_splits))
        if -1 in sizes:
            k = sizes.index(-1)
            sizes[k] = dim - (sum(sizes) + 1)
        sizes = tuple(sizes)
    return list(bind(_split_k, (x,), {"sizes": sizes, "axis": ax}))


@export("tile", kernel="Tile")
def tile(input, multiples, name=None):  # noqa: A002
    x = tensor(input)
    return bind(_tile_k, (x,), {"reps": shape_param(multiples)})


_tile_k = Kernel("Tile", lambda x, reps: jnp.tile(x, reps))


@export("broadcast_to", kernel="BroadcastTo")
def broadcast_to(input, shape, name=None):  # noqa: A002
    x = tensor(input)
    shp = shape_param(shape)
    try:
        np.broadcast_shapes(x._ashape, shp)
    except ValueError:
        raise InvalidArgumentError(
            None,
            None,
            "Incompatible shapes: [%s] vs. [%s] [Op:BroadcastTo]"
            % (",".join(map(str, x._ashape)), ",".join(map(str, shp))),
        ) from None
    return bind(_bcast_k, (x,), {"shape": shp})


_bcast_k = Kernel("BroadcastTo", lambda x, shape: jnp.broadcast_to(x, shape))


@export("reverse", kernel="ReverseV2")
def reverse(tensor_, axis, name=None):
    x = tensor(tensor_)
    return bind(_rev_k, (x,), {"axis": tuple(shape_param(axis))})


_rev_k = Kernel("ReverseV2", lambda x, axis: jnp.flip(x, axis))


@export("roll", kernel="Roll")
def roll(input, shift, axis, name=None):  # noqa: A002
    x = tensor(input)
    sh = shape_param(shift) if not isinstance(shift, int) else shift
    ax = shape_param(axis) if not isinstance(axis, int) else axis
    return bind(_roll_k, (x,), {"shift": sh, "axis": ax})


_roll_k = Kernel("Roll", lambda x, shift, axis: jnp.roll(x, shift, axis))


def _pad_impl(x, paddings, mode, cval):
    if mode == "CONSTANT":
        return jnp.pad(x, paddings, constant_values=jnp.asarray(cval, x.dtype))
    return jnp.pad(x, paddings, mode={"REFLECT": "reflect", "SYMMETRIC": "symmetric"}[mode])


_pad_k = Kernel("PadV2", _pad_impl)


@export("pad", kernel="PadV2")
def pad(tensor_, paddings, mode="CONSTANT", constant_values=0, name=None):
    x = tensor(tensor_)
    p = convert_to_tensor(paddings).numpy().tolist()
    mode = mode.upper()
    if mode not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(
            'Value of argument `mode` expected to be one of "CONSTANT", '
            '"REFLECT", or "SYMMETRIC". Received `mode` = %s' % mode
        )
    cv = (
        constant_values.numpy().item()
        if isinstance(constant_values, EagerTensor)
        else constant_values
    )
    return bind(
        _pad_k,
        (x,),
        {"paddings": tuple(tuple(int(a) for a in r) for r in p), "mode": mode, "cval": cv},
    )


def _slice_impl(x, begin, size):
    return lax.slice(x, begin, tuple(b + s for b, s in zip(begin, size)))


_slice_k = Kernel("Slice", _slice_impl)


@export("slice", kernel="Slice")
def slice(input_, begin, size, name=None):  # noqa: A001
    x = tensor(input_)
    b = shape_param(begin)
    s = list(shape_param(size))
    shp = x._ashape
    if len(b) != len(shp) or len(s) != len(shp):
        raise InvalidArgumentError(
            None,
            None,
            "Expected begin and size arguments to be 1-D "
            "tensors of size %d, but got shapes [%d] and [%d] instead. "
            "[Op:Slice]" % (len(shp), len(b), len(s)),
        )
    for i, v in enumerate(s):
        if v == -1:
            s[i] = shp[i] - b[i]
    for i, (bi, si) in enumerate(zip(b, s)):
        if bi < 0 or si < 0 or bi + si > shp[i]:
            raise InvalidArgumentError(
                None,
                None,
                "Expected begin[%d] in [0, %d], but got %d "
                "and size[%d] in [0, %d], but got %d [Op:Slice]"
                % (i, shp[i], bi, i, shp[i] - max(bi, 0), si),
            )
    return bind(_slice_k, (x,), {"begin": tuple(b), "size": tuple(s)})


# ------------------------------------------------------------------------------------------
# indexing
# ------------------------------------------------------------------------------------------

_INDEX_ERROR = (
    "Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
    "tf.int32/tf.int64 tensors are valid indices, got %r"
)


def _traced_int(v):
    return (isinstance(v, EagerTensor) or hasattr(v, "_read_as_tensor")) and is_tracer(
        convert_to_tensor(v)._value
    )


def _norm_key(key, shp, dyn=None):
    """A hashable static index: tuple of ('i', n) | ('s', a, b, c) | ('e',) | ('n',), and inside a
    trace ('d', j) for a traced integer index and ('ds', j, size) for a slice `i:i + size` with a
    traced start (its size known); `dyn` collects those traced Tensors (position j)."""
    if not isinstance(key, tuple):
        key = tuple(key) if isinstance(key, list) else (key,)
    out = []
    dim = 0
    n_real = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > len(shp):
        raise InvalidArgumentError(
            None,
            None,
            "Index out of range using input dim %d; input has "
            "only %d dims [Op:StridedSlice]" % (len(shp), len(shp)),
        )
    for k in key:
        if k is None:
            out.append(("n",))
        elif k is Ellipsis:
            out.append(("e",))
            dim += len(shp) - n_real
        elif (
            isinstance(k, builtins.slice)
            and dyn is not None
            and (_traced_int(k.start) or _traced_int(k.stop))
        ):
            out.append(_dynamic_slice(k, dyn))
            dim += 1
        elif isinstance(k, builtins.slice):
            parts = []
            for v in (k.start, k.stop, k.step):
                if isinstance(v, EagerTensor):
                    v = int(v)
                parts.append(v)
            if dim >= len(shp):
                raise InvalidArgumentError(
                    None,
                    None,
                    "Index out of range using input dim %d; input "
                    "has only %d dims [Op:StridedSlice]" % (dim, len(shp)),
                )
            out.append(("s",) + tuple(parts))
            dim += 1
        else:
            if isinstance(k, EagerTensor) or hasattr(k, "_read_as_tensor"):
                t = convert_to_tensor(k)
                if not t._dtype.is_integer or t.ndim != 0:
                    raise TypeError(_INDEX_ERROR % (k,))
                if dyn is not None and is_tracer(t._value):
                    if dim >= len(shp):
                        raise InvalidArgumentError(
                            None, None, "Index out of range using input dim %d; input has only "
                            "%d dims [Op:StridedSlice]" % (dim, len(shp)))  # fmt: skip
                    dyn.append(t)
                    out.append(("d", len(dyn) - 1))
                    dim += 1
                    continue
                k = int(t.numpy())
            elif isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
                raise TypeError(_INDEX_ERROR % (k,))
            k = int(k)
            if dim >= len(shp):
                raise InvalidArgumentError(
                    None,
                    None,
                    "Index out of range using input dim %d; input "
                    "has only %d dims [Op:StridedSlice]" % (dim, len(shp)),
                )
            if not -shp[dim] <= k < shp[dim]:
                raise InvalidArgumentError(
                    None,
                    None,
                    "slice index %d of dimension %d out of bounds. "
                    "[Op:StridedSlice] name: strided_slice/" % (k, dim),
                )
            out.append(("i", k))
            dim += 1
    return tuple(out)


def _dynamic_slice(k, dyn):
    """('ds', j, size) for `x[i:i + size]` with a traced `i` (step 1)."""
    if k.step not in (None, 1) or not (_traced_int(k.start) and _traced_int(k.stop)):
        raise TypeError(
            "A slice with a traced bound inside jaxtape.function needs a size known when the "
            "step is traced (XLA compiles static shapes): write x[i:i + k] with a Python int k, "
            "or use tf.slice(x, [i], [k]) / tf.gather. Got %r." % (k,)
        )
    start, stop = convert_to_tensor(k.start), convert_to_tensor(k.stop)
    (b1, o1), (b2, o2) = affine_of(start), affine_of(stop)
    if b1 != b2 or o2 < o1:
        raise TypeError(
            "The size of the slice %r is not known when the step is traced: jaxtape knows "
            "x[i:i + k] for a traced i and a Python int k; use tf.slice(x, [i], [size]) or "
            "tf.gather instead." % (k,)
        )
    dyn.append(start)
    return ("ds", len(dyn) - 1, o2 - o1)


def _dyn_getitem_impl(x, *dyn, key):
    return _getitem_impl(x, key, *dyn)


def _getitem_impl(x, key, *dyn):
    if dyn:
        # dynamic slices first (they keep the rank), on the input axis each entry indexes
        axis, n_real = 0, builtins.sum(1 for k in key if k[0] not in ("n", "e"))
        fixed = []
        for k in key:
            if k[0] == "ds":
                i = dyn[k[1]]
                i = jnp.where(i < 0, i + x.shape[axis], i)
                x = lax.dynamic_slice_in_dim(x, i, k[2], axis=axis)
                fixed.append(("s", None, None, None))
            elif k[0] == "d":
                i = dyn[k[1]]
                fixed.append(("i", jnp.where(i < 0, i + x.shape[axis], i)))
            else:
                fixed.append(k)
            if k[0] == "e":
                axis += x.ndim - n_real
            elif k[0] != "n":
                axis += 1
        key = fixed
    idx = []
    for k in key:
        tag = k[0]
        if tag == "i":
            idx.append(k[1])
        elif tag == "s":
            idx.append(builtins.slice(k[1], k[2], k[3]))
        elif tag == "e":
            idx.append(Ellipsis)
        else:
            idx.append(None)
    return x[tuple(idx)]


_getitem_k = Kernel("StridedSlice", _getitem_impl)
_dyn_getitem_k = Kernel("StridedSlice", _dyn_getitem_impl, diff_args=(0,))


@define_operator("getitem")
def getitem(x, key):
    """`t[key]`: TF's strided-slice semantics (a list index is a tuple; a bool tensor masks)."""
    x = tensor(x)
    if (isinstance(key, EagerTensor) or hasattr(key, "_read_as_tensor")) and convert_to_tensor(
        key
    )._dtype is _dt.bool_:
        k = convert_to_tensor(key)
        want = tuple(x._ashape[: k.ndim])
        if tuple(k._ashape) != want:
            raise ValueError("Shapes %s and %s are incompatible" % (list(want), list(k._ashape)))
        return boolean_mask(x, key)
    dyn = [] if STATE.trace is not None and x._dtype is not _dt.string else None
    nk = _norm_key(key, x._ashape, dyn)
    if x._dtype is _dt.string:
        return make(np.asarray(_getitem_impl(x._value, nk), dtype=object), _dt.string)
    if dyn:
        return bind(_dyn_getitem_k, (x, *dyn), {"key": nk})
    if dyn is None and builtins.any(k[0] == "i" for k in nk) and _many_indices(x, nk):
        # integer indices as run-time arguments of one kernel per shape and key structure: as
        # static parameters each new index compiles anew (x[i] in a loop over i paid ~50 ms
        # of XLA compile per i).  A few distinct indices keep the static kernel (~5 us faster
        # per call, for `x[:, 1]` in a training step).
        nk, ints = _ints_as_arguments(nk)
        return bind(_dyn_getitem_k, (x, *ints), {"key": nk})
    return bind(_getitem_k, (x,), {"key": nk})


_STATIC_INDICES = 4  # distinct integer indices per (shape, key structure) compiled statically


class _StaticIndices(dict):
    """(shape, dtype, key) -> True for the indexings that keep their static kernel, and
    (shape, dtype, key structure) -> how many such keys it has; cleared past 4,096 entries."""

    def info(self):
        return {"size": len(self), "maxsize": 4096}


_static_indices = _StaticIndices()
caches.register("getitem.static_indices", _static_indices)


def _many_indices(x, nk):
    known = (x._ashape, x._dtype, nk)
    if known in _static_indices:
        return False
    sig = (x._ashape, x._dtype, tuple(("i",) if k[0] == "i" else k for k in nk))
    n = _static_indices.get(sig, 0)
    if n >= _STATIC_INDICES:
        return True
    if len(_static_indices) > 4096:
        _static_indices.clear()
    _static_indices[sig] = n + 1
    _static_indices[known] = True
    return False


def _ints_as_arguments(nk):
    key, ints = [], []
    for k in nk:
        if k[0] == "i":
            ints.append(make(np.asarray(k[1], np.int64), _dt.int64))
            key.append(("d", len(ints) - 1))
        else:
            key.append(k)
    return tuple(key), ints


def _gather_impl(params, indices, axis, batch_dims):
    if batch_dims == 0:
        return jnp.take(params, indices, axis=axis, mode="clip")
    fn = lambda p, i: _gather_impl(p, i, axis - 1, batch_dims - 1)  # noqa: E731
    return jax.vmap(fn)(params, indices)


gather_k = Kernel("GatherV2", _gather_impl, diff_args=(0,), sparse_arg0=True, rows=buckets.GATHER)


@export("gather", kernel="GatherV2")
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """`tf.gather`: out-of-range indices raise InvalidArgumentError (on CPU, as TF)."""
    p = tensor(params)
    i = tensor(indices)
    if not i._dtype.is_integer:
        raise TypeError(
            "Value passed to parameter 'indices' has DataType %s not in list of allowed "
            "values: int16, int32, int64" % i._dtype.name
        )
    ax = 0 if axis is None else int(axis_param(axis))
    if ax < 0:
        ax += p.ndim
    bd = int(batch_dims)
    if bd < 0:
        bd += i.ndim
    n = p._ashape[ax]
    if is_tracer(i._value) or is_symbolic(i._value):
        # indices known when a compiled step runs: not checked here (see
        # tf.debugging.enable_check_indices); XLA clamps them
        return bind(gather_k, (p, i), {"axis": ax, "batch_dims": bd})
    iv = np.asarray(i._value)
    if iv.size and (iv.min() < 0 or iv.max() >= n):
        bad = iv[(iv < 0) | (iv >= n)].reshape(-1)[0]
        pos = np.argwhere((iv < 0) | (iv >= n))[0].tolist()
        raise InvalidArgumentError(
            None, None, "indices%s = %d is not in [0, %d) [Op:GatherV2]" % (pos, bad, n)
        )
    return bind(gather_k, (p, i), {"axis": ax, "batch_dims": bd})


def _gather_nd_impl(params, indices, batch_dims):
    if batch_dims:
        return jax.vmap(lambda p, i: _gather_nd_impl(p, i, batch_dims - 1))(params, indices)
    idx = tuple(jnp.moveaxis(indices, -1, 0))
    return params[idx]


_gather_nd_k = Kernel("GatherNd", _gather_nd_impl, diff_args=(0,))


@export("gather_nd", kernel="GatherNd")
def gather_nd(params, indices, batch_dims=0, name=None):
    p = tensor(params)
    i = tensor(indices)
    return bind(_gather_nd_k, (p, i), {"batch_dims": int(batch_dims)})


def _scatter_nd_impl(indices, updates, shape):
    z = jnp.zeros(shape, updates.dtype)
    return z.at[tuple(jnp.moveaxis(indices, -1, 0))].add(updates)


_scatter_nd_k = Kernel("ScatterNd", _scatter_nd_impl, diff_args=(1,))


@export("scatter_nd", kernel="ScatterNd")
def scatter_nd(indices, updates, shape, name=None):
    i = tensor(indices)
    u = tensor(updates)
    return bind(_scatter_nd_k, (i, u), {"shape": shape_param(shape)})


def _tsu_impl(t, indices, updates, how):
    idx = tuple(jnp.moveaxis(indices, -1, 0))
    at = t.at[idx]
    return {
        "update": at.set,
        "add": at.add,
        "sub": lambda u: at.add(-u),
        "max": at.max,
        "min": at.min,
    }[how](updates)


_tsu_k = Kernel("TensorScatterUpdate", _tsu_impl, diff_args=(0, 2))


def _tensor_scatter(how):
    def fn(tensor_, indices, updates, name=None):
        t = tensor(tensor_)
        i = tensor(indices)
        u = tensor(updates, t._dtype) if not is_tensor_like(updates) else tensor(updates)
        check_same_dtype("TensorScatterUpdate", t, u)
        return bind(_tsu_k, (t, i, u), {"how": how})

    fn.__name__ = "tensor_scatter_nd_" + how
    return fn


for _how in ("update", "add", "sub", "max", "min"):
    export("tensor_scatter_nd_" + _how, kernel="TensorScatter")(_tensor_scatter(_how))


def _where_impl(c, x, y):
    return jnp.where(c, x, y)


_where_k = Kernel("SelectV2", _where_impl, diff_args=(1, 2), rows=buckets.MAP)


@export("where", kernel="SelectV2")
def where(condition, x=None, y=None, name=None):
    """`tf.where`: with x and y, select with broadcasting (the unselected branch gets a zero
    upstream); with neither, the int64 coordinates of True elements."""
    c = tensor(condition)
    if x is None and y is None:
        idx = np.argwhere(np.asarray(c._value))
        return make(jnp.asarray(idx, jnp.int64), _dt.int64)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    if is_tensor_like(x) or not is_tensor_like(y):
        xt = tensor(x)
        yt = tensor(y, xt._dtype) if not is_tensor_like(y) else tensor(y)
    else:
        yt = tensor(y)
        xt = tensor(x, yt._dtype)
    check_same_dtype("SelectV2", xt, yt)
    if c._dtype is not _dt.bool_:
        raise InvalidArgumentError(
            None,
            None,
            "cannot compute SelectV2 as input #0(zero-based) "
            "was expected to be a bool tensor but is a %s tensor" % c._dtype._tf_kernel_name,
        )
    return bind(_where_k, (c, xt, yt))


_bmask_k = Kernel("BooleanMask", lambda x, idx: x[idx], diff_args=(0,))


@export("boolean_mask", kernel="BooleanMask")
def boolean_mask(tensor_, mask, axis=None, name="boolean_mask"):
    x = tensor(tensor_)
    m = np.asarray(tensor(mask)._value)
    ax = 0 if axis is None else int(axis)
    shp = x._ashape
    flat = np.nonzero(m.reshape(-1))[0]
    lead = shp[:ax]
    xr = make(x._value.reshape(lead + (-1,) + shp[ax + m.ndim :]), x._dtype) if m.ndim != 1 else x
    if m.ndim != 1:
        xr = reshape(x, lead + (int(np.prod(shp[ax : ax + m.ndim])),) + shp[ax + m.ndim :])
    idx = jnp.asarray(flat)
    return bind(_bmask_k_axis, (xr, make(idx, _dt.int64)), {"axis": ax})


_bmask_k_axis = Kernel(
    "BooleanMask", lambda x, idx, axis: jnp.take(x, idx, axis=axis), diff_args=(0,)
)


_onehot_k = Kernel(
    "OneHot",
    lambda i, depth, on, off, axis, dtype: jnp.where(
        jax.nn.one_hot(i, depth, axis=axis, dtype=jnp.bool_),
        jnp.asarray(on, dtype),
        jnp.asarray(off, dtype),
    ),
    grad="nondiff",
    rows=buckets.INSERTS_AXIS("axis"),
)


@export("one_hot", gradient="none (not differentiable)", kernel="OneHot")
def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    i = tensor(indices)
    d = (
        _dt.as_dtype(dtype)
        if dtype is not None
        else (convert_to_tensor(on_value).dtype if on_value is not None else _dt.float32)
    )
    on = 1 if on_value is None else convert_to_tensor(on_value).numpy().item()
    off = 0 if off_value is None else convert_to_tensor(off_value).numpy().item()
    return bind(
        _onehot_k,
        (i,),
        {
            "depth": int(depth),
            "on": on,
            "off": off,
            "axis": -1 if axis is None else int(axis),
            "dtype": np.dtype(d.as_numpy_dtype),
        },
    )


def _sort_impl(x, axis, descending):
    if descending:
        idx = jnp.argsort(
            -x if not jnp.issubdtype(x.dtype, jnp.unsignedinteger) else ~x, axis=axis, stable=True
        )
    else:
        idx = jnp.argsort(x, axis=axis, stable=True)
    return jnp.take_along_axis(x, idx, axis=axis)


_sort_k = Kernel("Sort", _sort_impl)


def _direction(direction):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError("Unknown direction: %s" % direction)
    return direction == "DESCENDING"


@export("sort", kernel="Sort")
def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`tf.sort`: stable (ties keep their order); the gradient goes to the chosen elements."""
    x = tensor(values)
    return bind(_sort_k, (x,), {"axis": int(axis), "descending": _direction(direction)})


@export("argsort", gradient="none (not differentiable)", kernel="ArgSort")
def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    x = tensor(values)
    desc = _direction(direction)
    v = x._value
    if desc:
        idx = jnp.argsort(
            -v if not jnp.issubdtype(v.dtype, jnp.unsignedinteger) else ~v, axis=axis, stable=True
        )
    else:
        idx = jnp.argsort(v, axis=axis, stable=True)
    return make(idx.astype(jnp.int32), _dt.int32)


def _top_k_impl(x, k):
    idx = jnp.argsort(-x, axis=-1, stable=True)[..., :k]
    return jnp.take_along_axis(x, idx, axis=-1), idx.astype(jnp.int32)


_topk_k = Kernel("TopKV2", _top_k_impl, multi=True)


class TopKV2(tuple):
    """`tf.math.top_k`'s result: a namedtuple-like `(values, indices)`."""

    _fields = ("values", "indices")

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


@export("math.top_k", "nn.top_k", kernel="TopKV2")
def top_k(input, k=1, sorted=True, index_type=_dt.int32, name=None):  # noqa: A002
    x = tensor(input)
    v, i = bind(_topk_k, (x,), {"k": int(k)})
    return TopKV2(v, i)


@export("unique", gradient="none (not differentiable)")
def unique(x, out_idx=_dt.int32, name=None):
    """`tf.unique`: values in order of first occurrence and the index of each element."""
    t = tensor(x)
    a = np.asarray(t._value)
    _, first, inv = np.unique(a, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(len(order))
    y = a[np.sort(first)]
    idx = rank_of[inv.reshape(-1)]
    d = _dt.as_dtype(out_idx)

    class Unique(tuple):
        _fields = ("y", "idx")
        y = property(lambda s: s[0])
        idx = property(lambda s: s[1])

    return Unique(
        host_op_done(
            "Unique", (make(jnp.asarray(y), t._dtype), make(jnp.asarray(idx, d.as_numpy_dtype), d))
        )
    )


@export("repeat", kernel="Repeat")
def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    x = tensor(input)
    r = convert_to_tensor(repeats).numpy()
    r = int(r) if np.ndim(r) == 0 else tuple(int(v) for v in r)
    return bind(_repeat_k, (x,), {"repeats": r, "axis": None if axis is None else int(axis)})


_repeat_k = Kernel(
    "Repeat",
    lambda x, repeats, axis: jnp.repeat(
        x, np.asarray(repeats) if isinstance(repeats, tuple) else repeats, axis=axis
    ),
)


@export("meshgrid", kernel="Meshgrid")
def meshgrid(*args, **kwargs):
    ts = [tensor(a) for a in args]
    out = bind(_mesh_k, tuple(ts), {"indexing": kwargs.get("indexing", "xy")})
    return list(out)


_mesh_k = Kernel(
    "Meshgrid", lambda *xs, indexing: tuple(jnp.meshgrid(*xs, indexing=indexing)), multi=True
)


@export("sequence_mask", gradient="n/a")
def sequence_mask(lengths, maxlen=None, dtype=_dt.bool_, name=None):
    ln = tensor(lengths)
    m = int(jnp.max(ln._value)) if maxlen is None else int(maxlen)
    r = jnp.arange(m) < ln._value[..., None]
    d = _dt.as_dtype(dtype)
    return make(r.astype(d.as_numpy_dtype), d)


@export("linalg.diag", "linalg.tensor_diag" if False else "linalg.diag", kernel="MatrixDiag")
def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0, align="RIGHT_LEFT"):
    x = tensor(diagonal)
    return bind(_diag_k, (x,))


_diag_k = Kernel("MatrixDiag", lambda x: x[..., :, None] * jnp.eye(x.shape[-1], dtype=x.dtype))


@export(
    "linalg.diag_part",
    "linalg.tensor_diag_part" if False else "linalg.diag_part",
    kernel="MatrixDiagPart",
)
def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    x = tensor(input)
    return bind(_diag_part_k, (x,))


_diag_part_k = Kernel("MatrixDiagPart", lambda x: jnp.diagonal(x, axis1=-2, axis2=-1))


@export("linalg.trace", kernel="Trace")
def trace(x, name=None):
    t = tensor(x)
    return bind(_trace_k, (t,))


_trace_k = Kernel("Trace", lambda x: jnp.trace(x, axis1=-2, axis2=-1))

# dtypes and classes exported at the top level
for _d in _dt.ALL:
    export_value(_d.name, _d)
    export_value("dtypes." + _d.name, _d)
export_value("half", _dt.float16)
export_value("double", _dt.float64)
export_value("dtypes.half", _dt.float16)
export_value("dtypes.double", _dt.float64)
export_value("DType", _dt.DType)
export_value("dtypes.DType", _dt.DType)
export("as_dtype", "dtypes.as_dtype", gradient="n/a")(_dt.as_dtype)
export_value("TensorShape", TensorShape)
export_value("newaxis", None)
_ = (FLOAT, builtins)
