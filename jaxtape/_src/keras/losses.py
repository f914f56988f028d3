"""`tf.keras.losses` (Keras 3 formulas; reduction "sum_over_batch_size")."""

from __future__ import annotations

import warnings
import numpy as np

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.registry import export_value
from jaxtape._src.tensor import logits_of


def _M():
    from jaxtape._src.ops import math_ops as M

    return M


def _prep(y_true, y_pred):
    p = convert_to_tensor(y_pred)
    t = convert_to_tensor(y_true)
    if t.dtype is not p.dtype:
        t = _M().cast(t, p.dtype)
    return t, p


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule for ranks that differ by a trailing 1: `(n,)` labels against `(n, 1)`
    predictions become `(n, 1)` (not broadcast to `(n, n)`)."""
    from jaxtape._src.ops import array_ops as A

    r1, r2 = x1.shape.rank, x2.shape.rank
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = A.expand_dims(x2, -1)
        else:
            x1 = A.squeeze(x1, [-1])
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = A.expand_dims(x1, -1)
        else:
            x2 = A.squeeze(x2, [-1])
    return x1, x2


def mean_squared_error(y_true, y_pred):
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    return M.reduce_mean(M.square(M.subtract(t, p)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    return M.reduce_mean(M.abs(M.subtract(t, p)), axis=-1)


def _const(value, like):
    return convert_to_tensor(value, like.dtype)


def _eps(like):
    return convert_to_tensor(CONFIG["epsilon"], like.dtype)


def huber(y_true, y_pred, delta=1.0):
    """Keras's Huber loss: 0.5 e^2 where |e| <= delta, delta |e| - 0.5 delta^2 beyond."""
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    d = _const(delta, p)
    error = M.subtract(p, t)
    abs_error = M.abs(error)
    half = _const(0.5, p)
    quadratic = M.multiply(half, M.square(error))
    linear = M.subtract(M.multiply(d, abs_error), M.multiply(half, M.square(d)))
    return M.reduce_mean(_M_where(M.less_equal(abs_error, d), quadratic, linear), axis=-1)


def _M_where(cond, a, b):
    from jaxtape._src.ops import array_ops as A

    return A.where(cond, a, b)


def log_cosh(y_true, y_pred):
    """Keras's log-cosh: x + softplus(-2x) - log 2 of the error, averaged."""
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    x = M.subtract(p, t)
    v = M.subtract(M.add(x, M.softplus(M.multiply(x, _const(-2.0, x)))), _const(np.log(2.0), x))
    return M.reduce_mean(v, axis=-1)


def _hinge_labels(t):
    """Keras: labels that are all 0/1 become -1/1."""
    M = _M()
    binary = M.reduce_all(M.logical_or(M.equal(t, _const(0, t)), M.equal(t, _const(1, t))))
    return _M_where(binary, M.subtract(M.multiply(_const(2, t), t), _const(1, t)), t)


def _hinge_margin(y_true, y_pred):
    """max(1 - y_true * y_pred, 0), the labels made -1/1 as Keras's."""
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    t = _hinge_labels(t)
    return M.maximum(M.subtract(_const(1.0, p), M.multiply(t, p)), _const(0.0, p))


def hinge(y_true, y_pred):
    return _M().reduce_mean(_hinge_margin(y_true, y_pred), axis=-1)


def squared_hinge(y_true, y_pred):
    M = _M()
    return M.reduce_mean(M.square(_hinge_margin(y_true, y_pred)), axis=-1)


def kl_divergence(y_true, y_pred):
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    one = _const(1.0, p)
    t = M.minimum(M.maximum(t, _eps(p)), one)
    p = M.minimum(M.maximum(p, _eps(p)), one)
    return M.reduce_sum(M.multiply(t, M.log(M.divide(t, p))), axis=-1)


def poisson(y_true, y_pred):
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    return M.reduce_mean(M.subtract(p, M.multiply(t, M.log(M.add(p, _eps(p))))), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    one = _const(1.0, p)
    first = M.log(M.add(M.maximum(p, _eps(p)), one))
    second = M.log(M.add(M.maximum(t, _eps(p)), one))
    return M.reduce_mean(M.square(M.subtract(first, second)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    M = _M()
    t, p = squeeze_or_expand_to_same_rank(*_prep(y_true, y_pred))
    diff = M.abs(M.divide(M.subtract(t, p), M.maximum(M.abs(t), _eps(p))))
    return M.multiply(_const(100.0, p), M.reduce_mean(diff, axis=-1))


def _get_logits(output, from_logits, op_type, fn_name):
    """Keras 3 on TF: the output of a Keras sigmoid/softmax activation (or, in a traced function,
    of a Sigmoid/Softmax op) is replaced by its logits and the loss computed from them, which
    differs from the probability formula where the activation saturates (sigmoid(20) gives
    20.0, not 15.94).  jaxtape matches it, TF's quirk included."""
    hit = logits_of(output)
    if hit is None or hit[0] != op_type:
        return output, from_logits
    if from_logits:
        warnings.warn(
            '"`%s` received `from_logits=True`, but the `output` argument was produced by a %s '
            "activation and thus does not represent logits. Was this intended?"
            % (fn_name, op_type),
            stacklevel=3,
        )
    return hit[1], True


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    M = _M()
    y_pred, from_logits = _get_logits(y_pred, from_logits, "Sigmoid", "binary_crossentropy")
    t, p = _prep(y_true, y_pred)
    if from_logits:
        from jaxtape._src.ops.nn_ops import sigmoid_cross_entropy_with_logits

        return M.reduce_mean(sigmoid_cross_entropy_with_logits(labels=t, logits=p), axis=axis)
    eps = convert_to_tensor(CONFIG["epsilon"], p.dtype)
    one = convert_to_tensor(1.0, p.dtype)
    p = M.clip_by_value(p, eps, M.subtract(one, eps))
    bce = M.add(M.multiply(t, M.log(p)), M.multiply(M.subtract(one, t), M.log(M.subtract(one, p))))
    return M.negative(M.reduce_mean(bce, axis=axis))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    M = _M()
    y_pred, from_logits = _get_logits(y_pred, from_logits, "Softmax", "categorical_crossentropy")
    t, p = _prep(y_true, y_pred)
    if from_logits:
        from jaxtape._src.ops.nn_ops import log_softmax

        return M.negative(M.reduce_sum(M.multiply(t, log_softmax(p, axis=axis)), axis=axis))
    p = M.divide(p, M.reduce_sum(p, axis=axis, keepdims=True))
    eps = convert_to_tensor(CONFIG["epsilon"], p.dtype)
    p = M.clip_by_value(p, eps, M.subtract(convert_to_tensor(1.0, p.dtype), eps))
    return M.negative(M.reduce_sum(M.multiply(t, M.log(p)), axis=axis))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    M = _M()
    from jaxtape._src.ops.array_ops import one_hot, reshape

    y_pred, from_logits = _get_logits(
        y_pred, from_logits, "Softmax", "sparse_categorical_crossentropy"
    )
    p = convert_to_tensor(y_pred)
    t = convert_to_tensor(y_true)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = reshape(t, tuple(t.shape)[:-1])
    t = M.cast(t, "int32")
    if ignore_class is None:
        from jaxtape._src.ops.nn_ops import check_labels

        check_labels(t, p.shape[-1])  # Keras on TF: the sparse cross-entropy kernel's check
    oh = one_hot(t, p.shape[-1], dtype=p.dtype)
    return categorical_crossentropy(oh, p, from_logits=from_logits, axis=axis)


class Loss:
    """`keras.losses.Loss`: `loss(y_true, y_pred, sample_weight=None)` -> mean over the batch."""

    fn = None

    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        self.reduction = reduction
        self.name = name
        self._kwargs = kwargs

    def call(self, y_true, y_pred):
        t, p = squeeze_or_expand_to_same_rank(convert_to_tensor(y_true), convert_to_tensor(y_pred))
        return type(self).fn(t, p, **self._kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None):
        M = _M()
        losses = self.call(y_true, y_pred)
        if sample_weight is not None:
            sw = (
                convert_to_tensor(sample_weight, losses.dtype)
                if not hasattr(sample_weight, "dtype")
                else M.cast(sample_weight, losses.dtype)
            )
            losses, sw = squeeze_or_expand_to_same_rank(losses, sw)
            losses = M.multiply(losses, sw)
        if self.reduction in (None, "none"):
            return losses
        if self.reduction == "sum":
            return M.reduce_sum(losses)
        return M.reduce_mean(losses)


class LossFunctionWrapper(Loss):
    """A loss function `fn(y_true, y_pred)` with Keras's reduction and sample weights."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        self.fn = fn
        Loss.__init__(self, reduction=reduction, name=name or getattr(fn, "__name__", None),
                      **kwargs)  # fmt: skip

    def call(self, y_true, y_pred):
        t, p = squeeze_or_expand_to_same_rank(convert_to_tensor(y_true), convert_to_tensor(y_pred))
        return self.fn(t, p, **self._kwargs)


def _loss_class(name, fn, **defaults):
    def __init__(self, reduction="sum_over_batch_size", name=None, **kwargs):
        kw = dict(defaults)
        kw.update(kwargs)
        Loss.__init__(self, reduction=reduction, name=name, **kw)

    return type(name, (Loss,), {"fn": staticmethod(fn), "__init__": __init__})


MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error)
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error)
BinaryCrossentropy = _loss_class("BinaryCrossentropy", binary_crossentropy)
CategoricalCrossentropy = _loss_class("CategoricalCrossentropy", categorical_crossentropy)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", sparse_categorical_crossentropy
)
Huber = _loss_class("Huber", huber)
LogCosh = _loss_class("LogCosh", log_cosh)
Hinge = _loss_class("Hinge", hinge)
SquaredHinge = _loss_class("SquaredHinge", squared_hinge)
KLDivergence = _loss_class("KLDivergence", kl_divergence)
Poisson = _loss_class("Poisson", poisson)
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error
)
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error
)
_MORE_CLASSES = (Huber, LogCosh, Hinge, SquaredHinge, KLDivergence, Poisson,
                 MeanSquaredLogarithmicError, MeanAbsolutePercentageError)  # fmt: skip
# tf.keras.losses's function names (TF 2.21 with Keras 3)
_MORE_FUNCTIONS = {
    "huber": huber, "logcosh": log_cosh, "hinge": hinge, "squared_hinge": squared_hinge,
    "kld": kl_divergence, "kullback_leibler_divergence": kl_divergence, "poisson": poisson,
    "msle": mean_squared_logarithmic_error, "mape": mean_absolute_percentage_error,
    "MSE": mean_squared_error, "MAE": mean_absolute_error, "KLD": kl_divergence,
    "MSLE": mean_squared_logarithmic_error, "MAPE": mean_absolute_percentage_error,
}  # fmt: skip

for _c in (
    Loss,
    MeanSquaredError,
    MeanAbsoluteError,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
):
    export_value("keras.losses." + _c.__name__, _c)
for _f in (
    mean_squared_error,
    mean_absolute_error,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
):
    export_value("keras.losses." + _f.__name__, _f)
export_value("keras.losses.mse", mean_squared_error)
export_value("keras.losses.mae", mean_absolute_error)
for _c_ in _MORE_CLASSES:
    export_value("keras.losses." + _c_.__name__, _c_)
for _name, _f in _MORE_FUNCTIONS.items():
    export_value("keras.losses." + _name, _f)


def get(identifier):
    """`keras.losses.get`: a loss from its function or class name, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        names = {
            f.__name__: f
            for f in (
                mean_squared_error,
                mean_absolute_error,
                binary_crossentropy,
                categorical_crossentropy,
                sparse_categorical_crossentropy,
            )
        }
        names.update(mse=mean_squared_error, mae=mean_absolute_error, **_MORE_FUNCTIONS)
        names.update({f.__name__: f for f in _MORE_FUNCTIONS.values()})
        classes = {
            c.__name__: c
            for c in (
                MeanSquaredError,
                MeanAbsoluteError,
                BinaryCrossentropy,
                CategoricalCrossentropy,
                SparseCategoricalCrossentropy,
            )
        }
        classes.update({c.__name__: c for c in _MORE_CLASSES})
        if identifier in names:
            return names[identifier]
        if identifier in classes:
            return classes[identifier]()
    elif callable(identifier):
        return identifier
    raise ValueError("Could not interpret loss identifier: %s" % (identifier,))


export_value("keras.losses.get", get)


class Reduction:
    """`tf.keras.losses.Reduction` (Keras 3's legacy names for the reduction strings)."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError('Invalid Reduction Key: %s. Expected keys are "%s"' % (key, cls.all()))


export_value("keras.losses.Reduction", Reduction)
