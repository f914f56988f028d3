"""Neural-network ops: activations, softmax, cross-entropies, moments, conv, pool (`tf.nn.*`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src import buckets
from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.dispatch import bind
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.ops import math_ops as M
from jaxtape._src.ops._common import (
    FLOAT,
    FLOATC,
    INT,
    REAL,
    check_dtype,
    check_same_dtype,
    tensor,
)
from jaxtape._src.registry import Kernel, export
from jaxtape._src.tensor import set_logits


def _act(paths, tf_name, fn, allowed=FLOAT, **params):
    kern = Kernel(tf_name, fn, jit=True, rows=buckets.MAP)

    def op(features, name=None, **kw):
        x = tensor(features)
        if x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        p = dict(params)
        p.update(kw)
        return bind(kern, (x,), p or None)

    op.__name__ = paths[0].rpartition(".")[2]
    export(*paths, kernel=tf_name, dtypes=allowed)(op)
    return op


@jax.custom_jvp
def _relu(x):
    return jnp.maximum(x, jnp.zeros_like(x))


@_relu.defjvp
def _relu_jvp(p, t):
    (x,), (dx,) = p, t
    return _relu(x), jnp.where(x > 0, dx, jnp.zeros_like(dx))


@jax.custom_jvp
def _relu6(x):
    return jnp.minimum(jnp.maximum(x, jnp.zeros_like(x)), jnp.full_like(x, 6))


@_relu6.defjvp
def _relu6_jvp(p, t):
    (x,), (dx,) = p, t
    return _relu6(x), jnp.where((x > 0) & (x < 6), dx, jnp.zeros_like(dx))


def _leaky(x, alpha):
    return jnp.where(x > 0, x, x * jnp.asarray(alpha, x.dtype))


@jax.custom_jvp
def _elu(x):
    # TF's kernel: exp(x) - 1 for x < 0 (not expm1: near 0 they differ by up to ~60 ulps)
    one = jnp.asarray(1, x.dtype)
    return jnp.where(x < 0, jnp.exp(jnp.minimum(x, jnp.zeros_like(x))) - one, x)


@_elu.defjvp
def _elu_jvp(p, t):
    (x,), (dx,) = p, t
    y = _elu(x)
    return y, jnp.where(x > 0, dx, dx * (y + 1))


_SELU_SCALE = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772


@jax.custom_jvp
def _selu(x):
    # TF's kernel, term for term: scale * alpha * (exp(x) - 1) for x < 0, scale * x else
    s = jnp.asarray(_SELU_SCALE, x.dtype)
    sa = jnp.asarray(_SELU_SCALE * _SELU_ALPHA, x.dtype)
    e = jnp.exp(jnp.minimum(x, jnp.zeros_like(x))) - jnp.asarray(1, x.dtype)
    return jnp.where(x < 0, sa * e, s * x)


@_selu.defjvp
def _selu_jvp(p, t):
    # TF's SeluGrad: scale * alpha * exp(x) for x < 0, scale otherwise (so `scale` at 0).
    (x,), (dx,) = p, t
    y = _selu(x)
    s = jnp.asarray(_SELU_SCALE, x.dtype)
    sa = jnp.asarray(_SELU_SCALE * _SELU_ALPHA, x.dtype)
    return y, jnp.where(x < 0, dx * (y + sa), dx * s)


def _gelu(x, approximate):
    # TF's formulas, term for term (jax.nn.gelu rounds differently in float64)
    half = jnp.asarray(0.5, x.dtype)
    if approximate:
        one = jnp.asarray(1.0, x.dtype)
        c = jnp.asarray(0.7978845608028654, x.dtype)
        return half * x * (one + jnp.tanh(c * (x + jnp.asarray(0.044715, x.dtype) * x**3)))
    return half * x * jax.scipy.special.erfc(-x * jnp.asarray(0.7071067811865476, x.dtype))


def _silu(x, beta):
    return x * jax.nn.sigmoid(jnp.asarray(beta, x.dtype) * x)


relu = _act(("nn.relu",), "Relu", _relu, REAL)  # TF: every real dtype (measured)
relu6 = _act(("nn.relu6",), "Relu6", _relu6, REAL)
elu = _act(("nn.elu",), "Elu", _elu)
selu = _act(("nn.selu",), "Selu", _selu)
_leaky_k = Kernel("LeakyRelu", _leaky)
_gelu_k = Kernel("Gelu", _gelu)
_silu_k = Kernel("Swish", _silu)


@export("nn.leaky_relu", kernel="LeakyRelu", dtypes=FLOAT | INT)  # ints: cast to float32
def leaky_relu(features, alpha=0.2, name=None):
    """`tf.nn.leaky_relu`: gradient `alpha` at 0, as TF."""
    x = tensor(features)
    if x._dtype._name in INT:  # TF: integer features are cast to float32 first
        x = M.cast(x, _dt.float32)
    if x._dtype._name not in FLOAT:
        check_dtype("LeakyRelu", x, FLOAT)
    return bind(_leaky_k, (x,), {"alpha": float(alpha)})


@export("nn.gelu", kernel="Gelu")
def gelu(features, approximate=False, name=None):
    x = tensor(features)
    if x._dtype._name not in FLOAT:
        raise ValueError(
            "`features.dtype` must be a floating point tensor.Received:features."
            "dtype=%s" % (x._dtype,)
        )
    return bind(_gelu_k, (x,), {"approximate": bool(approximate)})


@export("nn.silu", "nn.swish", kernel="Swish", dtypes=FLOATC)
def silu(features, beta=1.0):
    x = tensor(features)
    if x._dtype._name not in FLOATC:
        check_dtype("Sigmoid", x, FLOATC)
    return bind(_silu_k, (x,), {"beta": float(beta)})


_softmax_k = Kernel("Softmax", lambda x, axis: jax.nn.softmax(x, axis=axis), rows=buckets.LAST_AXIS)
_log_softmax_k = Kernel(
    "LogSoftmax", lambda x, axis: jax.nn.log_softmax(x, axis=axis), rows=buckets.LAST_AXIS
)


@export("nn.softmax", "math.softmax", kernel="Softmax", dtypes=FLOAT)
def softmax(logits, axis=None, name=None):
    x = tensor(logits)
    if x._dtype._name not in FLOAT:
        check_dtype("Softmax", x, FLOAT)
    out = bind(_softmax_k, (x,), {"axis": -1 if axis is None else int(axis)})
    if STATE.trace is not None and (axis is None or int(axis) in (-1, x.ndim - 1)):
        set_logits(out, "Softmax", x)  # a graph's Softmax op: Keras losses read its input
    return out


@export("nn.log_softmax", "math.log_softmax", kernel="LogSoftmax", dtypes=FLOAT)
def log_softmax(logits, axis=None, name=None):
    x = tensor(logits)
    if x._dtype._name not in FLOAT:
        check_dtype("LogSoftmax", x, FLOAT)
    return bind(_log_softmax_k, (x,), {"axis": -1 if axis is None else int(axis)})


def _softmax_xent(labels, logits, axis):
    return -jnp.sum(labels * jax.nn.log_softmax(logits, axis=axis), axis=axis)


def _sparse_xent(labels, logits):
    lsm = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.take_along_axis(lsm, labels[..., None].astype(jnp.int32), axis=-1)[..., 0]


def _sigmoid_xent(labels, logits):
    # TF's stable form: max(x, 0) - x * z + log(1 + exp(-abs(x)))
    return (
        jnp.maximum(logits, jnp.zeros_like(logits))
        - logits * labels
        + jnp.log1p(jnp.exp(-jnp.abs(logits)))
    )


_sxent_k = Kernel("SoftmaxCrossEntropyWithLogits", _softmax_xent, rows=buckets.XENT)
_spxent_k = Kernel(
    "SparseSoftmaxCrossEntropyWithLogits", _sparse_xent, diff_args=(1,), rows=buckets.SPARSE_XENT
)
_sigxent_k = Kernel("SigmoidCrossEntropyWithLogits", _sigmoid_xent, rows=buckets.MAP)


@export("nn.softmax_cross_entropy_with_logits", kernel="SoftmaxCrossEntropyWithLogits")
def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    lg = tensor(logits)
    lb = tensor(labels, lg._dtype) if not is_tensor_like(labels) else tensor(labels)
    check_same_dtype("SoftmaxCrossEntropyWithLogits", lg, lb)
    return bind(_sxent_k, (lb, lg), {"axis": int(axis)})


@export("nn.sparse_softmax_cross_entropy_with_logits", kernel="SparseSoftmaxCrossEntropyWithLogits")
def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    lg = tensor(logits)
    lb = tensor(labels)
    if not lb._dtype.is_integer:
        raise TypeError("labels must be an integer tensor, got %s" % lb._dtype.name)
    check_labels(lb, lg._ashape[-1])
    return bind(_spxent_k, (lb, lg))


def check_labels(labels, n):
    """TF's CPU kernel refuses a sparse label outside [0, n).  Labels known only when a compiled
    step runs are not checked (XLA, like TF on GPU, gives NaN there)."""
    from jaxtape._src import lazy
    from jaxtape._src.tensor import is_tracer

    v = lazy.held(labels)
    if is_tracer(v):
        return
    lv = lazy.peek(v).reshape(-1)
    if not lv.size or (lv.min() >= 0 and lv.max() < n):
        return
    bad = np.flatnonzero((lv < 0) | (lv >= n))
    if bad.size:
        raise InvalidArgumentError(
            None,
            None,
            "Received a label value of %d which is outside the valid range of "
            "[0, %d).  Label values: %s [Op:SparseSoftmaxCrossEntropyWithLogits]"
            % (lv[bad[0]], n, " ".join(str(v) for v in lv.tolist())),
        )


@export("nn.sigmoid_cross_entropy_with_logits", kernel="SigmoidCrossEntropyWithLogits")
def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    lg = tensor(logits)
    lb = tensor(labels, lg._dtype) if not is_tensor_like(labels) else tensor(labels)
    check_same_dtype("SigmoidCrossEntropyWithLogits", lg, lb)
    return bind(_sigxent_k, (lb, lg))


@export("nn.weighted_cross_entropy_with_logits")
def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    lg = tensor(logits)
    z = tensor(labels, lg._dtype)
    q = tensor(pos_weight, lg._dtype)
    log_weight = M.add(tensor(1.0, lg._dtype), M.multiply(M.subtract(q, 1.0), z))
    return M.add(
        M.multiply(M.subtract(1.0, z), lg),
        M.multiply(log_weight, M.add(M.log1p(M.exp(M.negative(M.abs(lg)))), relu(M.negative(lg)))),
    )


@export("nn.l2_loss", kernel="L2Loss")
def l2_loss(t, name=None):
    x = tensor(t)
    return bind(_l2_k, (x,))


_l2_k = Kernel("L2Loss", lambda x: jnp.sum(x * x) / 2)


@export("nn.l2_normalize", "math.l2_normalize", "linalg.l2_normalize")
def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    x = tensor(x)
    ax = axis if axis is not None else dim
    sq = M.reduce_sum(
        M.square(x) if not x._dtype.is_complex else M.real(M.multiply(x, M.conj(x))),
        axis=ax,
        keepdims=True,
    )
    inv = M.rsqrt(M.maximum(sq, tensor(epsilon, sq._dtype)))
    return M.multiply(x, M.cast(inv, x._dtype) if x._dtype.is_complex else inv)


@export("nn.moments")
def moments(x, axes, shift=None, keepdims=False, name=None):
    x = tensor(x)
    mean = M.reduce_mean(x, axis=axes, keepdims=True)
    var = M.reduce_mean(
        M.squared_difference(
            x,
            __import__("jaxtape._src.ops.array_ops", fromlist=["stop_gradient"]).stop_gradient(
                mean
            ),
        ),
        axis=axes,
        keepdims=True,
    )
    if not keepdims:
        from jaxtape._src.ops.array_ops import squeeze

        mean = squeeze(mean, axes)
        var = squeeze(var, axes)
    return mean, var


@export("nn.batch_normalization")
def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    x = tensor(x)
    inv = M.rsqrt(M.add(tensor(variance), tensor(variance_epsilon, x._dtype)))
    if scale is not None:
        inv = M.multiply(inv, scale)
    out = M.add(
        M.multiply(x, inv),
        M.subtract(offset, M.multiply(mean, inv))
        if offset is not None
        else M.negative(M.multiply(mean, inv)),
    )
    return out


@export("nn.bias_add", kernel="BiasAdd")
def bias_add(value, bias, data_format=None, name=None):
    v = tensor(value)
    b = tensor(bias)
    check_same_dtype("BiasAdd", v, b)
    if data_format is not None and data_format.startswith("NC"):
        from jaxtape._src.ops.array_ops import reshape

        b = reshape(b, (-1,) + (1,) * (v.ndim - 2))
    return M.add(v, b)


@export("nn.dropout")
def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """`tf.nn.dropout`: zeroes elements with probability `rate`, scales the rest by 1/(1-rate)."""
    from jaxtape._src.ops import random_ops

    x = tensor(x)
    _check_rate(rate)
    if float(rate) == 0:
        return x
    shape = noise_shape if noise_shape is not None else x._ashape
    return _drop(x, rate, random_ops.uniform(shape, dtype=x._dtype, seed=seed))


@export("nn.experimental.stateless_dropout")
def stateless_dropout(x, rate, seed, rng_alg=None, noise_shape=None, name=None):
    """`tf.nn.experimental.stateless_dropout`: dropout with a `stateless_uniform` mask."""
    from jaxtape._src.ops import random_ops

    x = tensor(x)
    _check_rate(rate)
    if float(rate) == 0:
        return x
    shape = noise_shape if noise_shape is not None else x._ashape
    return _drop(x, rate, random_ops.stateless_uniform(shape, seed, dtype=x._dtype))


def _check_rate(rate):
    if not 0 <= float(rate) < 1:
        raise ValueError(
            "`rate` must be a scalar tensor or a float in the range [0, 1). "
            "Received: rate=%s" % rate
        )


def _drop(x, rate, u):
    """TF's _dropout: keep where u >= rate, x * (1 / (1 - rate)) there, 0 elsewhere."""
    keep = M.greater_equal(u, tensor(float(rate), x._dtype))
    scale = tensor(1.0 / (1.0 - float(rate)), x._dtype)
    from jaxtape._src.ops.array_ops import where, zeros_like

    return where(keep, M.multiply(x, scale), zeros_like(x))


@export("nn.embedding_lookup", kernel="GatherV2")
def embedding_lookup(params, ids, max_norm=None, name=None):
    from jaxtape._src.ops.array_ops import gather

    return gather(params, ids)


def _conv_impl(x, w, strides, padding, dilations, fmt, nd):
    spatial = "DHW"[-nd:] if nd <= 3 else None
    lhs = "N" + spatial + "C" if fmt.endswith("C") else "NC" + spatial
    rhs = spatial + "IO"
    dn = lax.conv_dimension_numbers(x.shape, w.shape, (lhs, rhs, lhs))
    return lax.conv_general_dilated(
        x, w, strides, padding, rhs_dilation=dilations, dimension_numbers=dn
    )


_conv_k = Kernel("Conv2D", _conv_impl)


def _tuple(v, n):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(a) for a in v)
    if len(v) == n + 2:
        return v[1:-1]
    if len(v) == 1:
        return v * n
    return v


def _conv(x, filters, strides, padding, data_format, dilations, nd):
    x = tensor(x)
    w = tensor(filters)
    check_same_dtype("Conv2D", x, w)
    fmt = data_format or ("NWC" if nd == 1 else "NHWC" if nd == 2 else "NDHWC")
    pad = padding.upper() if isinstance(padding, str) else tuple(tuple(p) for p in padding)[1:-1]
    return bind(
        _conv_k,
        (x, w),
        {
            "strides": _tuple(strides, nd),
            "padding": pad,
            "dilations": _tuple(dilations or 1, nd),
            "fmt": fmt,
            "nd": nd,
        },
    )


@export("nn.conv2d", kernel="Conv2D")
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    return _conv(input, filters, strides, padding, data_format, dilations, 2)


@export("nn.conv1d", kernel="Conv2D")
def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    return _conv(input, filters, stride, padding, data_format, dilations, 1)


@export("nn.convolution")
def convolution(
    input,
    filters,
    strides=None,
    padding="VALID",
    data_format=None,  # noqa: A002
    dilations=None,
    name=None,
):
    nd = tensor(input).ndim - 2
    return _conv(input, filters, strides or 1, padding, data_format, dilations, nd)


def _depthwise_impl(x, w, strides, padding, dilations):
    kh, kw, c, m = w.shape
    dn = lax.conv_dimension_numbers(x.shape, (kh, kw, 1, c * m), ("NHWC", "HWIO", "NHWC"))
    return lax.conv_general_dilated(
        x, w.reshape(kh, kw, 1, c * m), strides, padding, rhs_dilation=dilations,
        dimension_numbers=dn, feature_group_count=c,
    )  # fmt: skip


_depthwise_k = Kernel("DepthwiseConv2dNative", _depthwise_impl)


@export("nn.depthwise_conv2d", kernel="DepthwiseConv2dNative")
def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):  # noqa: A002
    """`tf.nn.depthwise_conv2d` (NHWC): channel c is convolved with filter[..., c, :]."""
    x = tensor(input)
    w = tensor(filter)
    check_same_dtype("DepthwiseConv2dNative", x, w)
    if data_format not in (None, "NHWC"):
        raise NotImplementedError("depthwise_conv2d supports data_format='NHWC' only.")
    pad = padding.upper() if isinstance(padding, str) else tuple(tuple(p) for p in padding)[1:-1]
    return bind(_depthwise_k, (x, w), {"strides": _tuple(strides, 2), "padding": pad,
                                      "dilations": _tuple(dilations or 1, 2)})  # fmt: skip


def _conv_t_impl(x, w, strides, padding, out_shape):
    # Transposed convolution as the gradient of conv2d w.r.t. its input, like TF.
    def fwd(z):
        dn = lax.conv_dimension_numbers(out_shape, w.shape, ("NHWC", "HWIO", "NHWC"))
        return lax.conv_general_dilated(z, w, strides, padding, dimension_numbers=dn)

    _, vjp = jax.vjp(fwd, jnp.zeros(out_shape, x.dtype))
    return vjp(x)[0]


_conv_t_k = Kernel("Conv2DBackpropInput", _conv_t_impl)


@export("nn.conv2d_transpose", kernel="Conv2DBackpropInput")
def conv2d_transpose(
    input,
    filters,
    output_shape,
    strides,
    padding="SAME",  # noqa: A002
    data_format="NHWC",
    dilations=None,
    name=None,
):
    x = tensor(input)
    w = tensor(filters)
    from jaxtape._src.ops._common import shape_param

    return bind(
        _conv_t_k,
        (x, w),
        {
            "strides": _tuple(strides, 2),
            "padding": padding.upper(),
            "out_shape": shape_param(output_shape),
        },
    )


def _pool_impl(x, ksize, strides, padding, kind):
    window = (1,) + ksize + (1,)
    st = (1,) + strides + (1,)
    # Python scalars as init values: JAX then uses its differentiable max/sum window primitives
    if kind == "max":
        init = (
            -float("inf") if jnp.issubdtype(x.dtype, jnp.floating) else int(jnp.iinfo(x.dtype).min)
        )
        return lax.reduce_window(x, init, lax.max, window, st, padding)
    s = lax.reduce_window(x, 0.0, lax.add, window, st, padding)
    n = jnp.asarray(_window_counts(x.shape, window, st, padding), s.dtype)
    # an elementwise true division, as TF's kernel: XLA rewrites `s / broadcast(n)` into
    # `s * broadcast(1 / n)`, an ulp off where n is not a power of two; behind the barrier
    # it sees two arrays of one shape
    return s / lax.optimization_barrier(jnp.broadcast_to(n, s.shape))


def _window_counts(shape, window, strides, padding):
    """How many real (unpadded) elements each pooling window covers, as a small constant of
    shape (1, out_1, ..., out_k, 1): the product of per-dimension counts, computed with NumPy
    at trace time.  (A reduce_window over ones of the input's size gives the same numbers,
    but XLA constant-folds it at full size: seconds per new shape.)"""
    pads = lax.padtype_to_pads(shape, window, strides, padding)
    counts = np.ones((), np.int64)
    for d in range(1, len(shape) - 1):
        valid = np.pad(np.ones(shape[d], np.int64), pads[d])
        cum = np.concatenate([[0], np.cumsum(valid)])
        starts = np.arange(0, len(valid) - window[d] + 1, strides[d])
        per_dim = cum[starts + window[d]] - cum[starts]
        counts = np.multiply.outer(counts, per_dim)
    return counts.reshape((1,) + counts.shape + (1,))


_pool_k = Kernel("MaxPool", _pool_impl)


def _pool(kind, nd):
    def fn(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
        x = tensor(input)
        return bind(
            _pool_k,
            (x,),
            {
                "ksize": _tuple(ksize, nd),
                "strides": _tuple(strides, nd),
                "padding": padding.upper(),
                "kind": kind,
            },
        )

    return fn


for _k in ("max", "avg"):
    export("nn.%s_pool2d" % _k, kernel="MaxPool" if _k == "max" else "AvgPool")(_pool(_k, 2))
    export("nn.%s_pool1d" % _k, kernel="MaxPool" if _k == "max" else "AvgPool")(_pool(_k, 1))
    export("nn.%s_pool" % _k, kernel="MaxPool" if _k == "max" else "AvgPool")(_pool(_k, 2))


@export("nn.log_poisson_loss")
def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    li = tensor(log_input)
    t = tensor(targets, li._dtype)
    return M.subtract(M.exp(li), M.multiply(li, t))


_ = (FLOATC, convert_to_tensor, _dt)
