"""`tf.keras.losses` (Keras 3 formulas; reduction "sum_over_batch_size")."""

from __future__ import annotations

import warnings

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
        names.update(mse=mean_squared_error, mae=mean_absolute_error)
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
        if identifier in names:
            return names[identifier]
        if identifier in classes:
            return classes[identifier]()
    elif callable(identifier):
        return identifier
    raise ValueError("Could not interpret loss identifier: %s" % (identifier,))


export_value("keras.losses.get", get)
