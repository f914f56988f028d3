"""`tf.keras.metrics`: Mean, SparseCategoricalAccuracy."""

from __future__ import annotations

import numpy as np

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.registry import export_value


class Metric:
    def __init__(self, name=None, dtype="float32"):
        self.name = name or type(self).__name__.lower()
        self.reset_state()

    def reset_state(self):
        self._total = 0.0
        self._count = 0.0

    def result(self):
        return convert_to_tensor(np.float32(self._total / self._count if self._count else 0.0))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()


class Mean(Metric):
    def update_state(self, values, sample_weight=None):
        v = np.asarray(convert_to_tensor(values), dtype=np.float64)
        w = (
            np.ones_like(v)
            if sample_weight is None
            else np.broadcast_to(np.asarray(sample_weight, np.float64), v.shape)
        )
        self._total += float((v * w).sum())
        self._count += float(w.sum())


class SparseCategoricalAccuracy(Metric):
    def __init__(self, name="sparse_categorical_accuracy", dtype="float32"):
        super().__init__(name, dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = np.asarray(convert_to_tensor(y_true)).reshape(-1)
        p = np.asarray(convert_to_tensor(y_pred))
        hit = (p.reshape(len(t), -1).argmax(-1) == t).astype(np.float64)
        self._total += float(hit.sum())
        self._count += float(len(t))


for _c in (Metric, Mean, SparseCategoricalAccuracy):
    export_value("keras.metrics." + _c.__name__, _c)
