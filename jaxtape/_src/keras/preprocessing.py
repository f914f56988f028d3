"""Keras layers from the long tail of public programs: Rescaling, Normalization (with `adapt`),
Identity, Permute, RepeatVector, Cropping2D, GaussianNoise; and `keras.utils.to_categorical`.
Formulas, weights and errors as Keras 3's (TF-recorded: tests/tfdiff/cases_keras_layers_tail.py).
"""

from __future__ import annotations

import math

import numpy as np

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.keras.layers import Layer
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.registry import export_value


def _M():
    from jaxtape._src.ops import math_ops as M

    return M


def _A():
    from jaxtape._src.ops import array_ops as A

    return A


class Rescaling(Layer):
    """`inputs * scale + offset` in the layer's dtype."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        M = _M()
        x = M.cast(convert_to_tensor(inputs), self._dtype)
        scale = convert_to_tensor(np.asarray(self.scale, self._dtype.as_numpy_dtype))
        offset = convert_to_tensor(np.asarray(self.offset, self._dtype.as_numpy_dtype))
        return M.add(M.multiply(x, scale), offset)

    def compute_output_shape(self, input_shape):
        return input_shape


class Normalization(Layer):
    """`(x - mean) / maximum(sqrt(variance), epsilon)` per position of `axis`; `mean` and
    `variance` given, or learnt by `adapt(data)` (an array, a Tensor, a tf.data.Dataset or an
    iterable of batches, combined batch by batch as Keras does)."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        self.axis = tuple(axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                "Received: mean=%s and variance=%s" % (mean, variance)
            )
        self.input_mean, self.input_variance, self.invert = mean, variance, invert
        self.mean = self.variance = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                "ndim=%d, while axis=%s" % (ndim, self.axis)
            )
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._bshape = [input_shape[d] if d in self._keep else 1 for d in range(ndim)]
        shape = tuple(input_shape[d] for d in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(shape, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(shape, "ones", name="variance", trainable=False)
            self.count = self.add_weight((), "zeros", dtype="int64", name="count",
                                         trainable=False)  # fmt: skip
            self._finalize()
        else:
            d = self._dtype.as_numpy_dtype
            self.mean = np.broadcast_to(np.asarray(self.input_mean, d), self._bshape)
            self.variance = np.broadcast_to(np.asarray(self.input_variance, d), self._bshape)

    def _finalize(self):
        self.mean = np.reshape(np.asarray(self.adapt_mean.numpy()), self._bshape)
        self.variance = np.reshape(np.asarray(self.adapt_variance.numpy()), self._bshape)

    def adapt(self, data):
        if isinstance(data, np.ndarray) or hasattr(data, "numpy") and not hasattr(data, "batch"):
            arr = np.asarray(data, self._dtype.as_numpy_dtype)
            if not self.built:
                self._maybe_build(arr.shape)
            mean, var = arr.mean(axis=self._reduce), arr.var(axis=self._reduce)
        else:
            batches = iter(data)
            mean = var = None
            total = 0
            for batch in batches:
                if isinstance(batch, tuple):
                    batch = batch[0]
                b = np.asarray(batch, self._dtype.as_numpy_dtype)
                if not self.built:
                    self._maybe_build(b.shape)
                bm, bv = b.mean(axis=self._reduce), b.var(axis=self._reduce)
                n = math.prod(b.shape[d] for d in self._reduce) if self._reduce else 1
                total += n
                w = float(n) / total
                if mean is None:
                    mean, var = bm, bv
                    continue
                new_mean = mean * (1.0 - w) + bm * w
                dev_old, dev_new = (mean - new_mean) ** 2, (bm - new_mean) ** 2
                var = (1.0 - w) * (var + dev_old) + w * (bv + dev_new)
                mean = new_mean
            if mean is None:
                raise ValueError(
                    "adapt() received an empty iterable (no batches). Expected at least one batch."
                )
        self.adapt_mean.assign(np.asarray(mean, self._dtype.as_numpy_dtype))
        self.adapt_variance.assign(np.asarray(var, self._dtype.as_numpy_dtype))
        self._finalize()

    def call(self, inputs):
        if self.mean is None:
            raise ValueError("You must call `.build(input_shape)` on the layer before using it.")
        M = _M()
        x = M.cast(convert_to_tensor(inputs), self._dtype)
        mean = convert_to_tensor(np.asarray(self.mean, self._dtype.as_numpy_dtype))
        std = M.maximum(
            M.sqrt(convert_to_tensor(np.asarray(self.variance, self._dtype.as_numpy_dtype))),
            convert_to_tensor(CONFIG["epsilon"], self._dtype),
        )
        if self.invert:
            return M.add(mean, M.multiply(x, std))
        return M.divide(M.subtract(x, mean), std)


class Identity(Layer):
    """Returns its input unchanged."""

    def call(self, inputs):
        return inputs


class Permute(Layer):
    """Permutes the non-batch dimensions: `dims` are 1-based, as Keras's."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                "`dims` must be consecutive and start from 1. Received dims=%s" % (self.dims,)
            )

    def call(self, inputs):
        return _A().transpose(inputs, (0,) + self.dims)


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int):
            raise TypeError("Expected an integer value for `n`, got %s." % type(n))
        self.n = n

    def call(self, inputs):
        A = _A()
        x = convert_to_tensor(inputs)
        if x.shape.rank != 2:
            raise ValueError(
                "Input 0 of layer '%s' is incompatible with the layer: expected ndim=2, found "
                "ndim=%d. Full shape received: %s" % (self.name, x.shape.rank, tuple(x.shape))
            )
        return A.tile(A.expand_dims(x, 1), [1, self.n, 1])


class Cropping2D(Layer):
    """Crops rows and columns of a (batch, height, width, channels) image."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cropping, int):
            cropping = ((cropping, cropping), (cropping, cropping))
        elif all(isinstance(c, int) for c in cropping):
            cropping = ((cropping[0], cropping[0]), (cropping[1], cropping[1]))
        self.cropping = tuple(tuple(int(v) for v in c) for c in cropping)

    def call(self, inputs):
        (t, b), (left, r) = self.cropping
        x = convert_to_tensor(inputs)
        h, w = x.shape[1], x.shape[2]
        if h is not None and t + b >= h or w is not None and left + r >= w:
            raise ValueError(
                "Values in `cropping` argument should be smaller than the corresponding "
                "spatial dimension of the input. Received: input_shape=%s, cropping=%s"
                % (tuple(x.shape), self.cropping)
            )
        return x[:, t : h - b, left : w - r, :]


class GaussianNoise(Layer):
    """Adds N(0, stddev) noise when `training` (Keras's seeded stream), else the input."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float value "
                "between 0 and 1. Received: stddev=%s" % (stddev,)
            )
        from jaxtape._src.keras import random as krandom

        self.stddev = stddev
        self.seed_generator = krandom.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        from jaxtape._src.keras import random as krandom

        x = convert_to_tensor(inputs)
        noise = krandom.normal(tuple(x.shape.as_list()), stddev=self.stddev, dtype=x.dtype,
                               seed=self.seed_generator)  # fmt: skip
        return _M().add(x, noise)


def to_categorical(x, num_classes=None):
    """`keras.utils.to_categorical`: one-hot rows (float64 NumPy, as Keras's on an array)."""
    x = np.array(x, dtype="int64")
    shape = x.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = tuple(shape[:-1])
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1
    out = np.zeros((x.shape[0], num_classes))
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(shape + (num_classes,))


for _c in (Rescaling, Normalization, Identity, Permute, RepeatVector, Cropping2D, GaussianNoise):
    export_value("keras.layers." + _c.__name__, _c)
export_value("keras.utils.to_categorical", to_categorical)
