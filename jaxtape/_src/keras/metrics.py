"""`tf.keras.metrics`: Keras 3's stateful metrics, on Variables (so they update inside a compiled
`train_step` too) with Keras's formulas: `Mean` keeps float32 `total` and `count`, the accuracy
metrics are per-sample values averaged by `Mean`, `Precision` / `Recall` / `AUC` count a
confusion matrix at thresholds (`y_pred > threshold`)."""

from __future__ import annotations

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras import losses as _losses
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.keras.variables import KerasVariable, _snake, auto_name
from jaxtape._src.ops import array_ops as A
from jaxtape._src.ops import math_ops as M
from jaxtape._src.registry import export_value


_squeeze_or_expand = _losses.squeeze_or_expand_to_same_rank


class Metric:
    """`keras.metrics.Metric`: state in Variables, `update_state` / `result` / `reset_state`."""

    def __init__(self, name=None, dtype=None):
        self.name = name or auto_name(_snake(type(self).__name__))
        self._dtype = dtype or CONFIG["floatx"]
        self._variables = []

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        return list(self._variables)

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        from jaxtape._src.keras import initializers

        # Keras 3: a metric's state is synchronized on read (each replica counts its own part of
        # the batch; reading sums them)
        v = KerasVariable(
            initializers.get(initializer),
            shape,
            dtype or self._dtype,
            False,
            name or "variable",
            synchronization="on_read",
            aggregation=aggregation,
        )
        self._variables.append(v)
        return v

    add_weight = add_variable

    def reset_state(self):
        for v in self._variables:
            v.assign(A.zeros(v.shape, v.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype}

    def __repr__(self):
        return "<%s name=%s>" % (type(self).__name__, self.name)


def _samplewise(values, sample_weight, reduce_fn, dtype):
    """Keras's `reduce_to_samplewise_values`."""
    values = M.cast(convert_to_tensor(values), dtype)
    if sample_weight is not None:
        sample_weight = M.cast(convert_to_tensor(sample_weight), dtype)
        values, sample_weight = _squeeze_or_expand(values, sample_weight)
        wn, vn = sample_weight.shape.rank, values.shape.rank
        if vn > wn:
            values = reduce_fn(values, axis=list(range(wn, vn)))
        sample_weight = A.broadcast_to(sample_weight, values.shape.as_list())
        values = values * sample_weight
        if wn > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, wn)))
    if values.shape.rank > 1:
        values = reduce_fn(values, axis=list(range(1, values.shape.rank)))
    return values, sample_weight


class Sum(Metric):
    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = _samplewise(values, sample_weight, M.reduce_sum, self._dtype)
        self.total.assign_add(M.reduce_sum(values))

    def result(self):
        return M.cast(self.total, self._dtype)


class Mean(Metric):
    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values, sample_weight = _samplewise(values, sample_weight, M.reduce_mean, self._dtype)
        self.total.assign_add(M.reduce_sum(values))
        if sample_weight is not None:
            n = M.reduce_sum(sample_weight)
        elif values.shape.rank >= 1:
            n = values.shape[0]
        else:
            n = 1
        self.count.assign_add(M.cast(n, self._dtype))

    def result(self):
        return M.divide_no_nan(self.total, M.cast(self.count, self._dtype))


class MeanMetricWrapper(Mean):
    """A per-sample function `fn(y_true, y_pred)` averaged with `Mean`."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(
            self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight=sample_weight
        )


def accuracy(y_true, y_pred):
    y_pred = convert_to_tensor(y_pred)
    y_true = M.cast(convert_to_tensor(y_true), y_pred.dtype)
    y_true, y_pred = _squeeze_or_expand(y_true, y_pred)
    return M.cast(M.equal(y_true, y_pred), CONFIG["floatx"])


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred, y_true = convert_to_tensor(y_pred), convert_to_tensor(y_true)
    y_true, y_pred = _squeeze_or_expand(y_true, y_pred)
    y_pred = M.cast(M.greater(y_pred, M.cast(threshold, y_pred.dtype)), y_true.dtype)
    return M.cast(M.equal(y_true, y_pred), CONFIG["floatx"])


def _class_matches(y_true, y_pred, squeeze_one):
    y_pred = convert_to_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    y_true = M.cast(y_true, y_pred.dtype)
    org_shape = y_true.shape.as_list()
    reshape = False
    if y_true.shape.rank == y_pred.shape.rank and (not squeeze_one or y_true.shape[-1] == 1):
        y_true = A.squeeze(y_true, [-1])
        reshape = True
    y_pred = M.cast(M.argmax(y_pred, axis=-1), y_true.dtype)
    matches = M.cast(M.equal(y_true, y_pred), CONFIG["floatx"])
    if reshape:
        matches = A.reshape(matches, org_shape)
    return matches


def categorical_accuracy(y_true, y_pred):
    return _class_matches(M.argmax(convert_to_tensor(y_true), axis=-1), y_pred, False)


def sparse_categorical_accuracy(y_true, y_pred):
    matches = _class_matches(y_true, y_pred, True)
    if matches.shape.rank > 1 and matches.shape[-1] == 1:
        matches = A.squeeze(matches, [-1])
    return matches


def _wrapper(cls_name, fn, default_name, **defaults):
    def __init__(self, name=default_name, dtype=None, **kwargs):
        kw = dict(defaults)
        kw.update(kwargs)
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **kw)

    return type(cls_name, (MeanMetricWrapper,), {"__init__": __init__})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy"
)
MeanSquaredError = _wrapper("MeanSquaredError", _losses.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper(
    "MeanAbsoluteError", _losses.mean_absolute_error, "mean_absolute_error"
)
BinaryCrossentropy = _wrapper(
    "BinaryCrossentropy", _losses.binary_crossentropy, "binary_crossentropy"
)
CategoricalCrossentropy = _wrapper(
    "CategoricalCrossentropy", _losses.categorical_crossentropy, "categorical_crossentropy"
)
SparseCategoricalCrossentropy = _wrapper(
    "SparseCategoricalCrossentropy",
    _losses.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
)


# -- confusion-matrix metrics ---------------------------------------------------------------


def _confusion(y_true, y_pred, thresholds, sample_weight, which):
    """{name: counts at each threshold} for `which` of tp/fp/tn/fn (`y_pred > threshold`)."""
    y_pred = M.cast(convert_to_tensor(y_pred), "float32")
    y_true = M.cast(convert_to_tensor(y_true), "bool")
    y_pred, y_true = _squeeze_or_expand(y_pred, y_true)
    p = A.reshape(y_pred, [1, -1])
    t = A.reshape(y_true, [1, -1])
    th = A.reshape(convert_to_tensor(thresholds, "float32"), [-1, 1])
    above = M.greater(p, th)  # (thresholds, n)
    w = None
    if sample_weight is not None:
        sw = M.cast(convert_to_tensor(sample_weight), "float32")
        _, sw = _squeeze_or_expand(y_pred, sw)
        w = A.reshape(A.broadcast_to(sw, y_pred.shape.as_list()), [1, -1])
    out = {}
    for name in which:
        pred = above if name in ("tp", "fp") else M.logical_not(above)
        lab = t if name in ("tp", "fn") else M.logical_not(t)
        hit = M.cast(M.logical_and(pred, lab), "float32")
        if w is not None:
            hit = hit * w
        out[name] = M.reduce_sum(hit, axis=1)
    return out


class _Confusion(Metric):
    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name, dtype)
        if top_k is not None or class_id is not None:
            raise NotImplementedError(
                "%s(top_k=..., class_id=...) is not supported by jaxtape." % type(self).__name__
            )
        self.thresholds = [0.5] if thresholds is None else (
            list(thresholds) if isinstance(thresholds, (list, tuple)) else [float(thresholds)])  # fmt: skip
        self._single = thresholds is None or not isinstance(thresholds, (list, tuple))
        names = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
                 "fn": "false_negatives"}  # fmt: skip
        for c in self._counts:
            setattr(self, names[c], self.add_variable((len(self.thresholds),), name=names[c]))
        self._vars = {c: getattr(self, names[c]) for c in self._counts}

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _confusion(y_true, y_pred, self.thresholds, sample_weight, self._counts)
        for c, v in counts.items():
            self._vars[c].assign_add(v)

    def _one(self, r):
        return r[0] if self._single else r


class Precision(_Confusion):
    _counts = ("tp", "fp")

    def result(self):
        tp, fp = self.true_positives, self.false_positives
        return self._one(M.divide_no_nan(tp, M.add(tp, fp)))


class Recall(_Confusion):
    _counts = ("tp", "fn")

    def result(self):
        tp, fn = self.true_positives, self.false_negatives
        return self._one(M.divide_no_nan(tp, M.add(tp, fn)))


class AUC(Metric):
    """ROC (or PR) AUC over `num_thresholds` evenly spaced thresholds, Riemann sums with
    Keras's `interpolation` (trapezoids; PR interpolated as Davis & Goadrich, as Keras)."""

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):  # fmt: skip
        super().__init__(name or auto_name("auc"), dtype)
        if multi_label or label_weights is not None or from_logits:
            raise NotImplementedError(
                "AUC(multi_label=..., label_weights=..., from_logits=...) is not supported by "
                "jaxtape."
            )
        self.curve = curve.upper()
        self.summation_method = summation_method.lower()
        if thresholds is not None:
            inner = sorted(thresholds)
            self.num_thresholds = len(inner) + 2
        else:
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = CONFIG["epsilon"]
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self.thresholds = [0.0] + inner + [1.0]
        n = self.num_thresholds
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        c = _confusion(y_true, y_pred, self._thresholds, sample_weight, ("tp", "fp", "tn", "fn"))
        self.true_positives.assign_add(c["tp"])
        self.false_positives.assign_add(c["fp"])
        self.true_negatives.assign_add(c["tn"])
        self.false_negatives.assign_add(c["fn"])

    def _interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[: n - 1] - tp[1:]
        p = M.add(tp, fp)
        dp = p[: n - 1] - p[1:]
        prec_slope = M.divide_no_nan(dtp, M.maximum(dp, 0.0))
        intercept = tp[1:] - M.multiply(prec_slope, p[1:])
        safe_p_ratio = A.where(
            M.logical_and(M.greater(p[: n - 1], 0.0), M.greater(p[1:], 0.0)),
            M.divide_no_nan(p[: n - 1], M.maximum(p[1:], 0.0)),
            A.ones_like(p[1:]),
        )
        pr_auc_increment = M.divide_no_nan(
            prec_slope * (dtp + intercept * M.log(safe_p_ratio)),
            M.maximum(tp[1:] + fn[1:], 0.0),
        )
        return M.reduce_sum(pr_auc_increment)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = M.divide_no_nan(tp, M.add(tp, fn))
        if self.curve == "ROC":
            x, y = M.divide_no_nan(fp, M.add(fp, tn)), recall
        else:
            x, y = recall, M.divide_no_nan(tp, M.add(tp, fp))
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[: n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = M.minimum(y[: n - 1], y[1:])
        else:
            heights = M.maximum(y[: n - 1], y[1:])
        return M.reduce_sum(M.multiply(x[: n - 1] - x[1:], heights))


_BY_NAME = {
    "accuracy": Accuracy, "acc": Accuracy, "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError, "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError, "auc": AUC, "precision": Precision,
    "recall": Recall,
}  # fmt: skip


def get(identifier):
    """`keras.metrics.get`: a Metric from its name, class or instance."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise ValueError("Could not interpret metric identifier: %s" % identifier)
        return cls()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError("Could not interpret metric identifier: %r" % (identifier,))


for _c in (Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
           SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy,
           CategoricalCrossentropy, SparseCategoricalCrossentropy, Precision, Recall, AUC):  # fmt: skip
    export_value("keras.metrics." + _c.__name__, _c)
for _f in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, get):
    export_value("keras.metrics." + _f.__name__, _f)
