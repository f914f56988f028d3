"""`tf.keras.backend` (and `keras.config`): what TF 2.21 + Keras 3 still export there.

Keras 3 keeps the TF-era `K.*` functions as a legacy module written in TF ops; each function
here is the same composition of jaxtape ops, so values, dtypes and errors follow the ops (checked
against TF 2.21 in tests/tfdiff/cases_keras_backend.py).  The global settings (`floatx`,
`epsilon`, `image_data_format`) are Keras's config: `set_epsilon` changes what the Keras losses
clip with, `set_floatx` the dtype Keras layers and `K.variable` default to, and `clear_session`
resets Keras's automatic names (`dense`, `dense_1`, ...) and `get_uid`.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras.variables import _NAME_COUNTS
from jaxtape._src.ops import array_ops as A
from jaxtape._src.ops import control_flow_ops as C
from jaxtape._src.ops import functional_ops as F
from jaxtape._src.ops import math_ops as M
from jaxtape._src.ops import nn_ops as N
from jaxtape._src.ops import random_ops as R
from jaxtape._src.registry import export_value

from jaxtape._src.keras.settings import CONFIG

_UIDS: dict = {}


def epsilon():
    return CONFIG["epsilon"]


def set_epsilon(value):
    CONFIG["epsilon"] = float(value)


def floatx():
    return CONFIG["floatx"]


def set_floatx(value):
    value = str(value)
    if value not in ("bfloat16", "float16", "float32", "float64"):
        raise ValueError(
            "Unknown `floatx` value: %s. Expected one of {'bfloat16', 'float16', 'float32', "
            "'float64'}" % value
        )
    CONFIG["floatx"] = value


def image_data_format():
    return CONFIG["image_data_format"]


def set_image_data_format(data_format):
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            "Received: data_format=%s" % data_format
        )
    CONFIG["image_data_format"] = data_format


def backend():
    """The name Keras reports for its backend: "tensorflow" (jaxtape stands in for TF)."""
    return "tensorflow"


def clear_session(free_memory=True):
    """Resets Keras's global state: automatic layer names and `get_uid` counters."""
    _NAME_COUNTS.clear()
    _UIDS.clear()


def get_uid(prefix=""):
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def standardize_dtype(dtype=None):
    if dtype is None:
        return floatx()
    return _dt.as_dtype(dtype).name


def result_type(*dtypes):
    """Keras's type promotion for `dtypes` (names or DTypes), via NumPy's rules limited to the
    widths Keras keeps (an int and a float give `floatx` unless the float is wider)."""
    if not dtypes:
        return floatx()
    names = [standardize_dtype(d) for d in dtypes]
    floats = [n for n in names if "float" in n]
    if floats:
        widest = max(floats, key=lambda n: np.dtype(n if n != "bfloat16" else "float16").itemsize)
        return widest
    return np.result_type(*names).name


def is_float_dtype(dtype):
    return _dt.as_dtype(dtype).is_floating


def is_int_dtype(dtype):
    return _dt.as_dtype(dtype).is_integer


def is_keras_tensor(x):
    """False: jaxtape has no symbolic Keras tensors outside a functional model's graph."""
    return bool(getattr(x, "_keras_history", None))


def is_sparse(tensor):
    return type(tensor).__name__ == "SparseTensor"


def to_dense(tensor):
    if is_sparse(tensor):
        from jaxtape._src.ops.sparse_ops import to_dense as _to_dense

        return _to_dense(tensor)
    return tensor


# -- variables and values -------------------------------------------------------------------


def variable(value, dtype=None, name=None, constraint=None):
    from jaxtape._src.variables import Variable

    return Variable(value, dtype=_dt.as_dtype(dtype or floatx()), name=name, constraint=constraint)


def constant(value, dtype=None, shape=None, name=None):
    return A.constant(value, dtype=dtype or floatx(), shape=shape, name=name)


def get_value(x):
    return x.numpy() if hasattr(x, "numpy") else x


def batch_get_value(tensors):
    return [x.numpy() for x in tensors]


def set_value(x, value):
    x.assign(np.asarray(value, dtype=x.dtype.name))


def batch_set_value(tuples):
    for x, value in tuples:
        set_value(x, value)


def eval(x):  # noqa: A001 - Keras's name
    return get_value(to_dense(x))


def update(x, new_x):
    return x.assign(new_x)


def update_add(x, increment):
    return x.assign_add(increment)


def update_sub(x, decrement):
    return x.assign_sub(decrement)


def moving_average_update(x, value, momentum):
    return x.assign_sub((x - value) * (1 - momentum))


def _filled(fn, shape, dtype, name):
    v = fn(shape, dtype=_dt.as_dtype(dtype or floatx()))
    if builtins.all(v.shape.as_list()):
        return variable(v, dtype=dtype or floatx(), name=name)
    return v


def zeros(shape, dtype=None, name=None):
    return _filled(A.zeros, shape, dtype, name)


def ones(shape, dtype=None, name=None):
    return _filled(A.ones, shape, dtype, name)


def eye(size, dtype=None, name=None):
    dtype = dtype or floatx()
    return variable(A.eye(size, dtype=_dt.as_dtype(dtype)), dtype, name)


def zeros_like(x, dtype=None, name=None):
    return A.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    return A.ones_like(x, dtype=dtype)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    seed = np.random.randint(10e6) if seed is None else seed
    return R.normal(shape, mean=mean, stddev=stddev, dtype=dtype or floatx(), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    seed = np.random.randint(10e6) if seed is None else seed
    return R.uniform(shape, minval=minval, maxval=maxval, dtype=dtype or floatx(), seed=seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    seed = np.random.randint(10e6) if seed is None else seed
    return R.truncated_normal(shape, mean=mean, stddev=stddev, dtype=dtype or floatx(), seed=seed)


def random_bernoulli(shape, p=0.0, dtype=None, seed=None):
    dtype = dtype or floatx()
    seed = np.random.randint(10e6) if seed is None else seed
    u = R.uniform(shape, dtype=dtype, seed=seed)
    return A.where(M.less_equal(u, p), A.ones(shape, dtype=dtype), A.zeros(shape, dtype=dtype))


# -- shapes --------------------------------------------------------------------------------


def int_shape(x):
    try:
        shape = x.shape
        return shape if isinstance(shape, tuple) else tuple(shape.as_list())
    except ValueError:
        return None


def ndim(x):
    return x.shape.rank


def dtype(x):
    return x.dtype.base_dtype.name


def count_params(x):
    return math.prod(x.shape.as_list())


def shape(x):
    return A.shape(x)


def reshape(x, shape):
    return A.reshape(x, shape)


def flatten(x):
    return A.reshape(x, [-1])


def batch_flatten(x):
    x = convert_to_tensor(x)
    return A.reshape(x, [-1, math.prod(x.shape.as_list()[1:])])


def expand_dims(x, axis=-1):
    return A.expand_dims(x, axis)


def squeeze(x, axis):
    return A.squeeze(x, [axis])


def stack(x, axis=0):
    return A.stack(x, axis=axis)


def concatenate(tensors, axis=-1):
    if axis < 0:
        rank = ndim(convert_to_tensor(tensors[0]))
        axis = axis % rank if rank else 0
    return A.concat([to_dense(t) for t in tensors], axis)


def transpose(x):
    return A.transpose(x)


def permute_dimensions(x, pattern):
    return A.transpose(x, perm=pattern)


def tile(x, n):
    if isinstance(n, int):
        n = [n]
    return A.tile(x, n)


def repeat(x, n):
    if ndim(x) != 2:
        raise ValueError("Expected input `x` to have rank 2. Received: rank(x)=%s" % ndim(x))
    return A.tile(A.expand_dims(x, 1), [1, n, 1])


def repeat_elements(x, rep, axis):
    return A.repeat(x, rep, axis=axis)


def reverse(x, axes):
    if isinstance(axes, int):
        axes = [axes]
    return A.reverse(x, axes)


def one_hot(indices, num_classes):
    return A.one_hot(indices, depth=num_classes, axis=-1)


def gather(reference, indices):
    return A.gather(reference, indices)


def arange(start, stop=None, step=1, dtype="int32"):
    if stop is None and start < 0:
        start = 0
    result = A.range(start, limit=stop, delta=step)
    return result if dtype == "int32" else M.cast(result, dtype)


def temporal_padding(x, padding=(1, 1)):
    return A.pad(x, [[0, 0], list(padding), [0, 0]])


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    data_format = data_format or image_data_format()
    p = [list(padding[0]), list(padding[1])]
    pattern = [[0, 0], [0, 0]] + p if data_format == "channels_first" else [[0, 0]] + p + [[0, 0]]
    return A.pad(x, pattern)


# -- math --------------------------------------------------------------------------------


def _reduction(op):
    def reduce(x, axis=None, keepdims=False):
        return op(x, axis, keepdims)

    return reduce


sum = _reduction(M.reduce_sum)  # noqa: A001 - Keras's names
max = _reduction(M.reduce_max)  # noqa: A001
min = _reduction(M.reduce_min)  # noqa: A001
prod = _reduction(M.reduce_prod)
all = _reduction(M.reduce_all)  # noqa: A001
any = _reduction(M.reduce_any)  # noqa: A001


def mean(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    if x.dtype == _dt.bool_:
        x = M.cast(x, floatx())
    return M.reduce_mean(x, axis, keepdims)


def std(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    if x.dtype == _dt.bool_:
        x = M.cast(x, floatx())
    return M.reduce_std(x, axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    x = convert_to_tensor(x)
    if x.dtype == _dt.bool_:
        x = M.cast(x, floatx())
    return M.reduce_variance(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    return M.argmax(x, axis)


def argmin(x, axis=-1):
    return M.argmin(x, axis)


def cumsum(x, axis=0):
    return M.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    return M.cumprod(x, axis=axis)


def cast(x, dtype):
    return M.cast(x, dtype)


def cast_to_floatx(x):
    if hasattr(x, "_value") or hasattr(x, "_read_as_tensor"):
        return M.cast(x, floatx())
    return np.asarray(x, dtype=floatx())


def clip(x, min_value, max_value):
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        if max_value < min_value:
            max_value = min_value
    if min_value is None:
        min_value = -np.inf
    if max_value is None:
        max_value = np.inf
    return M.clip_by_value(x, min_value, max_value)


def pow(x, a):  # noqa: A001
    return M.pow(x, a)


def dot(x, y):
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    if ndim(x) > 2 or ndim(y) > 2:
        xs, ys = x.shape.as_list(), y.shape.as_list()
        perm = list(range(ndim(y)))
        perm = [perm.pop(-2)] + perm
        xt = A.reshape(x, [-1, xs[-1]])
        yt = A.reshape(A.transpose(y, perm=perm), [ys[-2], -1])
        return A.reshape(M.matmul(xt, yt), xs[:-1] + ys[:-2] + ys[-1:])
    return M.matmul(x, y)


def batch_dot(x, y, axes=None):
    """Keras's batch_dot for the common ranks: (b, n) . (b, n) -> (b, 1), and (b, i, j) .
    (b, j, k) -> (b, i, k) with `axes` naming the contracted dimensions."""
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    nx, ny = ndim(x), ndim(y)
    if axes is None:
        axes = [nx - 1, ny - 2] if ny > 2 else [nx - 1, ny - 1]
    if isinstance(axes, int):
        axes = [axes, axes]
    ax, ay = (a % n for a, n in zip(axes, (nx, ny)))
    if nx == 2 and ny == 2:
        return M.reduce_sum(M.multiply(x, y), ax, keepdims=True)
    letters = "bcdefghijklmnopq"
    xi = "a" + letters[: nx - 1]
    yi = "a" + letters[nx - 1 : nx + ny - 2]
    yi = yi[:ay] + xi[ax] + yi[ay + 1 :]
    out = (
        "a" + "".join(c for c in xi[1:] if c != xi[ax]) + "".join(c for c in yi[1:] if c != xi[ax])
    )
    res = M.einsum("%s,%s->%s" % (xi, yi, out), x, y)
    return A.expand_dims(res, 1) if ndim(res) == 1 else res


def switch(condition, then_expression, else_expression):
    condition = convert_to_tensor(condition)
    if condition.dtype != _dt.bool_:
        condition = M.cast(condition, "bool")
    if not ndim(condition):
        then_fn = then_expression if callable(then_expression) else (lambda: then_expression)
        else_fn = else_expression if callable(else_expression) else (lambda: else_expression)
        return C.cond(condition, then_fn, else_fn)
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    then_expression = convert_to_tensor(then_expression)
    cond_ndim, expr_ndim = ndim(condition), ndim(then_expression)
    if cond_ndim > expr_ndim:
        raise ValueError(
            "Rank of `condition` should be less than or equal to rank of `then_expression` and "
            "`else_expression`. ndim(condition)=%d, ndim(then_expression)=%d"
            % (cond_ndim, expr_ndim)
        )
    if cond_ndim > 1:
        condition = A.reshape(condition, condition.shape.as_list() + [1] * (expr_ndim - cond_ndim))
        condition = A.broadcast_to(condition, then_expression.shape.as_list())
    return A.where(condition, then_expression, else_expression)


def l2_normalize(x, axis=None):
    return N.l2_normalize(x, axis=axis)


def stop_gradient(variables):
    if isinstance(variables, (list, tuple)):
        return [A.stop_gradient(v) for v in variables]
    return A.stop_gradient(variables)


def in_top_k(predictions, targets, k):
    """Whether each target's prediction is among the row's `k` largest (ties count, as TF's)."""
    predictions = convert_to_tensor(predictions)
    targets = M.cast(convert_to_tensor(targets), "int32")
    target_score = A.gather(predictions, targets, axis=1, batch_dims=1)
    higher = M.reduce_sum(
        M.cast(M.greater(predictions, A.expand_dims(target_score, 1)), "int32"), axis=1
    )
    return M.logical_and(M.less(higher, k), M.is_finite(target_score))


def bias_add(x, bias, data_format=None):
    return N.bias_add(x, bias)


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    return N.batch_normalization(x, mean, var, beta, gamma, epsilon)


def dropout(x, level, noise_shape=None, seed=None):
    seed = np.random.randint(10e6) if seed is None else seed
    return N.dropout(x, rate=level, noise_shape=noise_shape, seed=seed)


# -- activations and losses -----------------------------------------------------------------


def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    x = convert_to_tensor(x)
    if alpha != 0.0:
        if max_value is None and threshold == 0:
            return N.leaky_relu(x, alpha=alpha)
        negative_part = N.relu(-x + threshold) if threshold != 0 else N.relu(-x)
    clip_max = max_value is not None
    if threshold != 0:
        x = x * M.cast(M.greater(x, threshold), x.dtype)
    elif max_value == 6:
        x = N.relu6(x)
        clip_max = False
    else:
        x = N.relu(x)
    if clip_max:
        x = M.clip_by_value(x, convert_to_tensor(0, x.dtype), convert_to_tensor(max_value, x.dtype))
    if alpha != 0.0:
        x -= convert_to_tensor(alpha, x.dtype) * negative_part
    return x


def elu(x, alpha=1.0):
    res = N.elu(x)
    return res if alpha == 1 else A.where(M.greater(x, 0), res, alpha * res)


def softmax(x, axis=-1):
    x = convert_to_tensor(x)
    if x.shape.rank <= 1:
        raise ValueError("Cannot apply softmax to a tensor that is 1D. Received input: %s" % x)
    if isinstance(axis, int):
        return N.softmax(x, axis=axis)
    e = M.exp(x - M.reduce_max(x, axis=axis, keepdims=True))
    return e / M.reduce_sum(e, axis=axis, keepdims=True)


def hard_sigmoid(x):
    x = convert_to_tensor(x)
    x = M.add(M.multiply(x, convert_to_tensor(0.2, x.dtype)), convert_to_tensor(0.5, x.dtype))
    return M.clip_by_value(x, 0.0, 1.0)


def binary_crossentropy(target, output, from_logits=False):
    target, output = convert_to_tensor(target), convert_to_tensor(output)
    if from_logits:
        return N.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = convert_to_tensor(epsilon(), output.dtype)
    output = M.clip_by_value(output, eps, 1.0 - eps)
    bce = target * M.log(output + epsilon())
    bce += (1 - target) * M.log(1 - output + epsilon())
    return -bce


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = convert_to_tensor(target), convert_to_tensor(output)
    target.shape.assert_is_compatible_with(output.shape)
    if from_logits:
        return N.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / M.reduce_sum(output, axis, True)
    eps = convert_to_tensor(epsilon(), output.dtype)
    output = M.clip_by_value(output, eps, 1.0 - eps)
    return -M.reduce_sum(target * M.log(output), axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1, ignore_class=None):
    if ignore_class is not None:
        raise NotImplementedError(
            "K.sparse_categorical_crossentropy(ignore_class=...) is not supported by jaxtape; "
            "mask the loss with tf.where instead."
        )
    target = M.cast(convert_to_tensor(target), "int64")
    output = convert_to_tensor(output)
    if not from_logits:
        eps = convert_to_tensor(epsilon(), output.dtype)
        output = M.log(M.clip_by_value(output, eps, 1 - eps))
    rank = output.shape.rank
    axis %= rank
    if axis != rank - 1:
        output = A.transpose(output, perm=[*range(axis), *range(axis + 1, rank), axis])
    out_shape = output.shape.as_list()
    update = target.shape.rank != rank - 1
    if update:
        target = flatten(target)
        output = A.reshape(output, [-1, out_shape[-1]])
    res = N.sparse_softmax_cross_entropy_with_logits(labels=target, logits=output)
    if update and rank >= 3:
        res = A.reshape(res, out_shape[:-1])
    return res


def _simple(fn):
    def op(x):
        return fn(x)

    op.__name__ = fn.__name__
    return op


abs = _simple(M.abs)  # noqa: A001
exp = _simple(M.exp)
log = _simple(M.log)
sqrt = _simple(M.sqrt)
square = _simple(M.square)
sign = _simple(M.sign)
round = _simple(M.round)  # noqa: A001
sin = _simple(M.sin)
cos = _simple(M.cos)
tanh = _simple(M.tanh)
sigmoid = _simple(M.sigmoid)
softplus = _simple(M.softplus)
softsign = _simple(M.softsign)


def _pair(fn):
    def op(x, y):
        return fn(x, y)

    op.__name__ = fn.__name__
    return op


equal = _pair(M.equal)
not_equal = _pair(M.not_equal)
greater = _pair(M.greater)
greater_equal = _pair(M.greater_equal)
less = _pair(M.less)
less_equal = _pair(M.less_equal)
maximum = _pair(M.maximum)
minimum = _pair(M.minimum)


def map_fn(fn, elems, name=None, dtype=None):
    return F.map_fn(fn, elems, dtype=dtype)


def foldl(fn, elems, initializer=None, name=None):
    return F.foldl(fn, elems, initializer=initializer)


def foldr(fn, elems, initializer=None, name=None):
    return F.foldr(fn, elems, initializer=initializer)


def name_scope(name):
    from jaxtape._src.variables import name_scope as _name_scope

    return _name_scope(name)


_EXPORTED = [
    "abs", "all", "any", "arange", "argmax", "argmin", "backend", "batch_dot", "batch_flatten",
    "batch_get_value", "batch_normalization", "batch_set_value", "bias_add",
    "binary_crossentropy", "cast", "cast_to_floatx", "categorical_crossentropy", "clear_session",
    "clip", "concatenate", "constant", "cos", "count_params", "cumprod", "cumsum", "dot",
    "dropout", "dtype", "elu", "epsilon", "equal", "eval", "exp", "expand_dims", "eye",
    "flatten", "floatx", "foldl", "foldr", "gather", "get_uid", "get_value", "greater",
    "greater_equal", "hard_sigmoid", "image_data_format", "in_top_k", "int_shape",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "is_sparse", "l2_normalize", "less",
    "less_equal", "log", "map_fn", "max", "maximum", "mean", "min", "minimum",
    "moving_average_update", "name_scope", "ndim", "not_equal", "one_hot", "ones", "ones_like",
    "permute_dimensions", "pow", "prod", "random_bernoulli", "random_normal", "random_uniform",
    "relu", "repeat", "repeat_elements", "reshape", "result_type", "reverse", "round",
    "set_epsilon", "set_floatx", "set_image_data_format", "set_value", "shape", "sigmoid",
    "sign", "sin", "softmax", "softplus", "softsign", "sparse_categorical_crossentropy",
    "spatial_2d_padding", "sqrt", "square", "squeeze", "stack", "standardize_dtype", "std",
    "stop_gradient", "sum", "switch", "tanh", "temporal_padding", "tile", "to_dense",
    "transpose", "truncated_normal", "update", "update_add", "update_sub", "var", "variable",
    "zeros", "zeros_like",
]  # fmt: skip
for _name in _EXPORTED:
    export_value("keras.backend." + _name, globals()[_name])
# Keras 3's own home for the settings
for _name in ("epsilon", "set_epsilon", "floatx", "set_floatx", "image_data_format",
              "set_image_data_format", "backend"):  # fmt: skip
    export_value("keras.config." + _name, globals()[_name])
