"""TF's argument validation, declared per op in one table and checked before the op runs.

Each entry is a function with the op's own signature that raises what TF 2.21's kernel (or its
Python wrapper) raises for that argument: the class, and a message in TF's words ending with
`[Op:Name]` where TF's does.  `install()` puts each check in front of the public function in
the op table, so the op bodies stay about computing.  Every check here was measured against
TF 2.21 (tests/tfdiff/cases_bad_input.py).  Only concrete (eager) values are checked: inside
`jaxtape.function` an index known only when the step runs is not (see docs/migration.md).
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.registry import API
from jaxtape._src.tensor import is_tracer

CHECKS: dict = {}


def check(*paths):
    def deco(fn):
        for p in paths:
            CHECKS[p] = fn
        return fn

    return deco


def install():
    """Put each declared check in front of its public op (once, when the ops are loaded)."""
    import dataclasses

    made: dict = {}  # one checked function per op, whatever the number of its TF names
    for path, chk in CHECKS.items():
        entry = API[path]
        fn = entry.fn
        validated = made.get(id(fn))
        if validated is None:

            def validated(*args, _fn=fn, _chk=chk, **kwargs):
                _chk(*args, **kwargs)
                return _fn(*args, **kwargs)

            functools.update_wrapper(validated, fn)
            made[id(fn)] = validated
        API[path] = dataclasses.replace(entry, fn=validated)


def _iae(op, msg):
    return InvalidArgumentError(None, None, "%s [Op:%s]" % (msg, op))


def _values(x):
    """NumPy values of an argument known now (None for a traced value)."""
    if is_tensor_like(x):
        t = convert_to_tensor(x)
        return None if is_tracer(t._value) else np.asarray(t._value)
    if hasattr(x, "as_list"):
        x = x.as_list()
    try:
        return np.asarray(x)
    except (TypeError, ValueError):
        return None


def _dims(op, shape, cls=InvalidArgumentError):
    v = _values(shape)
    if v is None:
        return
    if v.dtype.kind == "f" and v.size:
        if cls is TypeError:
            raise TypeError("Expected int32, but got %r of type 'float'." % (v.tolist(),))
        raise _iae(
            op,
            "Value for attr 'Tshape' of float is not in the list of allowed values: int32, int64",
        )
    if v.dtype.kind in "iu" and v.size and v.min() < 0:
        bad = int(v.min())
        raise _iae(op, "Dimension %d must be >= 0" % bad)


def _rank(x):
    t = convert_to_tensor(x)
    return t.shape.rank, t


@check("zeros", "ones")
def _zeros(shape, dtype=None, name=None, layout=None):
    _dims("Fill", shape, cls=TypeError)


@check("fill")
def _fill(dims, value, name=None, layout=None):
    _dims("Fill", dims)
    v = convert_to_tensor(value)
    if v.shape.rank != 0:
        raise _iae("Fill", "value must be a scalar, got a tensor with shape %s" % (v.shape,))


@check("eye", "linalg.eye")
def _eye(num_rows, num_columns=None, batch_shape=None, dtype=None, name=None):
    for n in (num_rows, num_columns):
        if n is not None and not is_tensor_like(n) and not isinstance(n, numbers.Integral):
            raise TypeError("Argument `num_rows` must be an integer, got %r" % (n,))


@check("reshape")
def _reshape(tensor_, shape, name=None):
    if type(shape) in (list, tuple) and all(type(d) is int for d in shape):
        # the common call, checked in Python (NumPy on a 2-element shape costs ~8 us)
        if shape.count(-1) < 2 and min(shape, default=0) >= -1:
            return
    v = _values(shape)
    if v is None:
        return
    if v.dtype.kind == "f" and v.size:
        raise _iae(
            "Reshape",
            "Value for attr 'Tshape' of float is not in the list of allowed values: int32, int64",
        )
    if v.size and int(np.sum(v == -1)) > 1:
        raise _iae(
            "Reshape",
            "Only one input size may be -1, not both %d and %d"
            % tuple(np.flatnonzero(v == -1)[:2]),
        )
    if v.size and v.min() < -1:
        raise _iae(
            "Reshape", "Size %d must be non-negative, not %d" % (int(np.argmin(v)), int(v.min()))
        )


@check("tile")
def _tile(input, multiples, name=None):  # noqa: A002
    rank, _ = _rank(input)
    v = _values(multiples)
    if v is None:
        return
    if v.dtype.kind == "f" and v.size:
        raise _iae(
            "Tile",
            "Value for attr 'Tmultiples' of float is not in the list of allowed "
            "values: int32, int64",
        )
    if v.ndim != 1 or v.size != rank:
        raise _iae(
            "Tile",
            "Expected multiples argument to be a vector of length %d but got "
            "length %d" % (rank, v.size),
        )
    if v.size and v.min() < 0:
        i = int(np.argmin(v))
        raise _iae("Tile", "Expected multiples[%d] >= 0, but got %d" % (i, int(v[i])))


@check("pad")
def _pad(tensor_, paddings, mode="CONSTANT", constant_values=0, name=None):
    rank, t = _rank(tensor_)
    v = _values(paddings)
    if v is None:
        return
    if v.ndim != 2 or v.shape != (rank, 2):
        raise _iae(
            "PadV2",
            "The first dimension of paddings must be the rank of inputs%s, "
            "input shape: %s" % (list(v.shape), list(t.shape)),
        )
    if v.size and v.min() < 0:
        raise _iae("PadV2", "Paddings must be non-negative: %d %d" % tuple(v[v.min(1) < 0][0]))
    m = str(mode).upper()
    if m in ("REFLECT", "SYMMETRIC"):
        off = 0 if m == "SYMMETRIC" else 1
        for d, (lo, hi) in enumerate(v.tolist()):
            size = t.shape[d]
            if lo > size - off or hi > size - off:
                raise _iae(
                    "MirrorPad",
                    "paddings must be less than the dimension size: %d, %d "
                    "not less than %d" % (lo, hi, size),
                )


@check("split")
def _split(value, num_or_size_splits, axis=0, num=None, name="split"):
    rank, t = _rank(value)
    ax = int(_values(axis)) if _values(axis) is not None else None
    if ax is None:
        return
    if not -rank <= ax < rank:
        raise _iae("Split", "-%d <= split_dim < %d, but got %d" % (rank, rank, ax))
    size = t.shape[ax]
    v = _values(num_or_size_splits)
    if v is None or size is None:
        return
    if v.ndim == 0:
        n = int(v)
        if n <= 0:
            raise (
                ValueError(
                    "Rank-0 tensors are not supported as the num_or_size_splits "
                    "argument to split. Argument provided: %d" % n
                )
                if n < 0
                else _iae("Split", "Number of ways to split should be > 0, but got %d" % n)
            )
        if size % n:
            raise _iae(
                "Split",
                "Number of ways to split should evenly divide the split "
                "dimension, but got split_dim %d (size = %d) and num_split %d" % (ax, size, n),
            )
    elif v.size and (-1 not in v.tolist()) and int(v.sum()) != size:
        raise _iae(
            "SplitV",
            "Determined shape must either match input shape along split_dim "
            "exactly if fully specified, or be less than the size of the input along "
            "split_dim if not fully specified.  Got: %d" % int(v.sum()),
        )


@check("stack")
def _stack(values, axis=0, name="stack"):
    if len(values) == 0:
        return
    rank = convert_to_tensor(values[0]).shape.rank
    if not -(rank + 1) <= int(axis) < rank + 1:
        raise ValueError(
            "Argument `axis` = %d not in range [%d, %d)" % (axis, -(rank + 1), rank + 1)
        )


@check("unstack")
def _unstack(value, num=None, axis=0, name="unstack"):
    rank, t = _rank(value)
    if not -rank <= int(axis) < rank:
        raise ValueError("Argument `axis` = %d not in range [%d, %d)" % (axis, -rank, rank))
    if num is not None and t.shape[axis] is not None and num != t.shape[axis]:
        raise _iae(
            "Unpack", "Input shape axis %d must equal %d, got shape %s" % (axis, num, list(t.shape))
        )


CHECK_INDICES = {"enabled": False}


def enable_check_indices():
    """jaxtape's own switch (TF has no counterpart because its CPU kernels always check):
    inside `jaxtape.function`, indices known only when the step runs are range-checked at run
    time (a host callback), so an out-of-range `gather` / `gather_nd` / `scatter_nd` raises
    InvalidArgumentError as TF on CPU does, instead of XLA's clamping.  Costs a device-to-host
    copy of the indices per op: for debugging."""
    CHECK_INDICES["enabled"] = True


def disable_check_indices():
    CHECK_INDICES["enabled"] = False


def _bad_row(params_shape, idx, depth):
    flat = idx.reshape(-1, depth) if depth else idx.reshape(-1, 1)
    for k, row in enumerate(flat):
        for i, n in zip(row, params_shape):
            if n is not None and not 0 <= int(i) < n:
                return k, [int(v) for v in row]
    return None


def _index_range(op, params_shape, indices, depth):
    idx = _values(indices)
    if idx is None:
        if CHECK_INDICES["enabled"] and is_tensor_like(indices):
            _runtime_index_check(op, params_shape, convert_to_tensor(indices), depth)
        return
    if idx.size == 0 or idx.dtype.kind not in "iu":
        return
    bad = _bad_row(params_shape, idx, depth)
    if bad is not None:
        raise _iae(
            op,
            "indices%s = %s does not index into param shape %s"
            % ("[%d]" % bad[0] if depth else "", bad[1], list(params_shape)),
        )


def _runtime_index_check(op, params_shape, indices, depth):
    import jax

    def host(idx):
        bad = _bad_row(params_shape, np.asarray(idx), depth)
        if bad is not None:
            raise _iae(
                op,
                "indices%s = %s does not index into param shape %s"
                % ("[%d]" % bad[0] if depth else "", bad[1], list(params_shape)),
            )

    jax.debug.callback(host, indices._value)


@check("gather_nd")
def _gather_nd(params, indices, batch_dims=0, name=None):
    _, p = _rank(params)
    idx = _values(indices)
    if idx is None or batch_dims:
        return
    depth = idx.shape[-1] if idx.ndim else 0
    if depth > p.shape.rank:
        raise _iae(
            "GatherNd",
            "index innermost dimension length must be <= params rank; saw: "
            "%d vs. %d" % (depth, p.shape.rank),
        )
    _index_range("GatherNd", list(p.shape), idx, depth)


@check("scatter_nd")
def _scatter_nd(indices, updates, shape, name=None):
    sh = _values(shape)
    idx = _values(indices)
    if sh is None or idx is None:
        return
    depth = idx.shape[-1] if idx.ndim else 0
    _index_range("ScatterNd", sh.tolist(), idx, depth)


@check(
    "tensor_scatter_nd_update",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_sub",
    "tensor_scatter_nd_max",
    "tensor_scatter_nd_min",
)
def _tensor_scatter(tensor, indices, updates, name=None):
    _, t = _rank(tensor)
    idx = _values(indices)
    if idx is None:
        return
    depth = idx.shape[-1] if idx.ndim else 0
    _index_range("TensorScatterUpdate", list(t.shape), idx, depth)


@check("boolean_mask")
def _boolean_mask(tensor_, mask, axis=None, name="boolean_mask"):
    _, t = _rank(tensor_)
    m = convert_to_tensor(mask)
    ax = 0 if axis is None else int(axis)
    want = list(t.shape)[ax : ax + m.shape.rank]
    if list(m.shape) != want:
        raise ValueError("Shapes %s and %s are incompatible" % (list(want), list(m.shape)))


@check("one_hot")
def _one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    i = convert_to_tensor(indices)
    if i.dtype.name not in ("uint8", "int8", "int32", "int64"):
        raise _iae(
            "OneHot",
            "Value for attr 'TI' of %s is not in the list of allowed values: "
            "uint8, int8, int32, int64" % i.dtype.name,
        )
    d = _values(depth)
    if d is not None and int(d) < 0:
        raise _iae("OneHot", "depth must be non-negative, got: %d" % int(d))


@check("linspace", "lin_space")
def _linspace(start, stop, num, name=None, axis=0):
    n = _values(num)
    if n is not None and int(n) < 0:
        raise _iae("LinSpace", "Requires num > 0: %d" % int(n))


@check("math.top_k", "nn.top_k")
def _top_k(input, k=1, sorted=True, index_type=None, name=None):  # noqa: A002
    rank, t = _rank(input)
    kv = _values(k)
    if rank == 0:
        raise _iae("TopKV2", "input must be >= 1-D, got shape []")
    if kv is None:
        return
    if int(kv) < 0:
        raise _iae("TopKV2", "Need k >= 0, got %d" % int(kv))
    if t.shape[-1] is not None and int(kv) > t.shape[-1]:
        raise _iae(
            "TopKV2",
            "input must have at least k columns. Had %d, needed %d" % (t.shape[-1], int(kv)),
        )


@check("argmax", "math.argmax", "argmin", "math.argmin")
def _arg(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    if _dt.as_dtype(output_type) not in (_dt.int16, _dt.uint16, _dt.int32, _dt.int64):
        raise _iae(
            "ArgMin",
            "Value for attr 'output_type' of %s is not in the list of allowed "
            "values: int16, uint16, int32, int64" % _dt.as_dtype(output_type).name,
        )
    if isinstance(axis, (list, tuple)):
        raise TypeError("Expected int32 for argument 'dimension', got %r." % (axis,))


@check(
    "reduce_sum",
    "math.reduce_sum",
    "reduce_mean",
    "math.reduce_mean",
    "reduce_max",
    "math.reduce_max",
    "reduce_min",
    "math.reduce_min",
    "reduce_prod",
    "math.reduce_prod",
    "reduce_all",
    "math.reduce_all",
    "reduce_any",
    "math.reduce_any",
)
def _reduce(input_tensor, axis=None, keepdims=False, name=None):
    if isinstance(axis, float) or (
        isinstance(axis, (list, tuple)) and any(isinstance(a, float) for a in axis)
    ):
        raise TypeError(
            "Value passed to parameter 'reduction_indices' has DataType float32 not "
            "in list of allowed values: int32, int64"
        )
    if isinstance(axis, (list, tuple)) and len(set(axis)) != len(axis):
        raise _iae("Sum", "Axes contains duplicate dimension: %d" % axis[0])


@check("norm", "linalg.norm")
def _norm(tensor_, ord="euclidean", axis=None, keepdims=None, name=None):
    if ord not in ("euclidean", "fro", 1, 2, np.inf, -np.inf) and not (
        isinstance(ord, numbers.Real) and ord > 0
    ):
        raise ValueError("'ord' must be a supported vector norm, got %r." % (ord,))


@check("clip_by_value")
def _clip(t, clip_value_min, clip_value_max, name=None):
    x = convert_to_tensor(t)
    for b in (clip_value_min, clip_value_max):
        if is_tensor_like(b) or isinstance(b, (list, tuple, np.ndarray)):
            bs = list(np.shape(_values(b))) if _values(b) is not None else None
            if bs and not _broadcasts(bs, list(x.shape)):
                raise _iae("ClipByValue", "Incompatible shapes: %s vs. %s" % (list(x.shape), bs))


def _broadcasts(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and 1 not in (x, y):
            return False
    return len(a) <= len(b)


@check("einsum", "linalg.einsum")
def _einsum(equation, *inputs, **kwargs):
    eq = equation.replace(" ", "")
    lhs, _, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(inputs):
        raise ValueError(
            "Number of einsum subscripts, %d, must be equal to the number of "
            "operands, %d." % (len(terms), len(inputs))
        )
    letters = set(lhs.replace(",", "").replace(".", ""))
    for c in rhs.replace(".", ""):
        if c not in letters:
            raise ValueError(
                "Output subscript contains label '%s' which does not appear in the inputs" % c
            )


@check("linalg.inv")
def _inv(input, adjoint=False, name=None):  # noqa: A002
    _square("MatrixInverse", input, floats=True)
    _invertible("MatrixInverse", input)


@check("linalg.solve")
def _solve(matrix, rhs, adjoint=False, name=None):
    _square("MatrixSolve", matrix, floats=True)
    _invertible("MatrixSolve", matrix)


def _invertible(op, x):
    """TF's CPU kernels refuse a singular matrix (an exactly zero LU pivot) where XLA would
    return inf/NaN: the LU determinant's sign is 0 exactly then."""
    import jax.numpy as jnp

    t = convert_to_tensor(x)
    if is_tracer(t._value) or not t.shape.num_elements():
        return
    sign, _ = jnp.linalg.slogdet(t._value)
    if bool(jnp.any(sign == 0)):
        raise _iae(op, "Input is not invertible.")


@check("linalg.qr")
def _qr(input, full_matrices=False, name=None):  # noqa: A002
    _square("Qr", input, floats=True, square=False)


def _square(op, x, floats=False, square=True):
    t = convert_to_tensor(x)
    if floats and not (t.dtype.is_floating or t.dtype.is_complex):
        raise _iae(
            op,
            "Value for attr 'T' of %s is not in the list of allowed values: double, "
            "float, half, complex64, complex128" % t.dtype.name,
        )
    if t.shape.rank is not None and t.shape.rank < 2:
        raise _iae(op, "Input must have rank >= 2, got %d" % t.shape.rank)
    if square and t.shape[-1] != t.shape[-2]:
        raise _iae(op, "Input matrices must be squares, got %d != %d" % (t.shape[-2], t.shape[-1]))


@check("nn.l2_loss")
def _l2_loss(t, name=None):
    x = convert_to_tensor(t)
    if not x.dtype.is_floating:
        raise _iae(
            "L2Loss",
            "Value for attr 'T' of %s is not in the list of allowed values: "
            "half, bfloat16, float, double" % x.dtype.name,
        )


@check("nn.bias_add")
def _bias_add(value, bias, data_format=None, name=None):
    b = convert_to_tensor(bias)
    if b.shape.rank != 1:
        raise _iae("BiasAdd", "Biases must be 1D: %s" % list(b.shape))


def _padding(op, padding):
    if isinstance(padding, str) and padding.upper() not in ("SAME", "VALID"):
        raise _iae(
            op,
            "Value for attr 'padding' of \"%s\" is not in the list of allowed values: "
            '"SAME", "VALID", "EXPLICIT"' % padding,
        )


def _strides(op, strides):
    v = _values(strides)
    if v is not None and v.size and v.min() <= 0:
        raise _iae(op, "Sliding window strides field must specify 4 dimensions")


@check("nn.conv2d")
def _conv2d(
    input,
    filters,
    strides,
    padding,
    data_format="NHWC",
    dilations=None,  # noqa: A002
    name=None,
):
    _padding("Conv2D", padding)
    _strides("Conv2D", strides)
    x, w = convert_to_tensor(input), convert_to_tensor(filters)
    if x.shape.rank == 4 and w.shape.rank == 4:
        c = x.shape[-1] if data_format == "NHWC" else x.shape[1]
        if c is not None and w.shape[2] and c % w.shape[2]:
            raise _iae(
                "Conv2D",
                "input depth must be evenly divisible by filter depth: %d vs %d" % (c, w.shape[2]),
            )


@check("nn.max_pool2d", "nn.avg_pool2d", "nn.max_pool", "nn.avg_pool")
def _pool2d(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    _padding("MaxPool", padding)


@check("nn.sigmoid_cross_entropy_with_logits")
def _sigmoid_xent(labels=None, logits=None, name=None):
    a, b = convert_to_tensor(labels), convert_to_tensor(logits)
    if a._ashape != b._ashape:
        raise ValueError(
            "`logits` and `labels` must have the same shape, received (%s vs %s)."
            % (tuple(b.shape), tuple(a.shape))
        )


@check("nn.sparse_softmax_cross_entropy_with_logits")
def _sparse_xent(labels, logits, name=None):
    lb, lg = convert_to_tensor(labels), convert_to_tensor(logits)
    if lb.dtype not in (_dt.int32, _dt.int64):
        raise _iae(
            "SparseSoftmaxCrossEntropyWithLogits",
            "Value for attr 'Tlabels' of %s is "
            "not in the list of allowed values: int32, int64" % lb.dtype.name,
        )
    if lb.ndim != lg.ndim - 1:
        raise ValueError(
            "Rank mismatch: Rank of labels (received %d) should equal rank of "
            "logits minus 1 (received %d)." % (lb.ndim, lg.ndim)
        )


@check("gather")
def _gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    i = convert_to_tensor(indices)
    if i.dtype not in (_dt.int16, _dt.int32, _dt.int64):
        raise _iae(
            "GatherV2",
            "Value for attr 'Tindices' of %s is not in the list of allowed "
            "values: int16, int32, int64" % i.dtype.name,
        )
    if is_tracer(i._value) and CHECK_INDICES["enabled"] and not batch_dims:
        p = convert_to_tensor(params)
        ax = 0 if axis is None else int(_values(axis))
        _runtime_index_check("GatherV2", [p.shape[ax]], i, 0)


from jaxtape._src.registry import export_value  # noqa: E402

export_value("debugging.enable_check_indices", enable_check_indices)
export_value("debugging.disable_check_indices", disable_check_indices)


@check("range")
def _range(start, limit=None, delta=1, dtype=None, name="range"):
    for v in (start, limit, delta):
        if v is not None and is_tensor_like(v) and convert_to_tensor(v).shape.rank != 0:
            raise _iae(
                "Range", "start must be a scalar, not shape %s" % (convert_to_tensor(v).shape,)
            )
    if dtype is not None and _dt.as_dtype(dtype).is_integer:
        for v in (start, limit, delta):
            if isinstance(v, float) and not float(v).is_integer():
                raise TypeError(
                    "Cannot convert %r to EagerTensor of dtype %s" % (v, _dt.as_dtype(dtype).name)
                )
