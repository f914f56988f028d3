"""`tf.keras.initializers`: callables `(shape, dtype) -> Tensor`."""

from __future__ import annotations

import math

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.registry import export_value


class Initializer:
    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        from jaxtape._src.ops.array_ops import zeros

        return zeros(shape, dtype or _dt.float32)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        from jaxtape._src.ops.array_ops import ones

        return ones(shape, dtype or _dt.float32)


class Constant(Initializer):
    """Fills with `value` (a scalar broadcast, or a nested list of exactly `shape`)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        from jaxtape._src.ops.array_ops import constant

        d = _dt.as_dtype(dtype or _dt.float32)
        arr = np.asarray(self.value.numpy() if hasattr(self.value, "numpy") else self.value)
        arr = np.broadcast_to(arr.astype(d.as_numpy_dtype), tuple(shape))
        return constant(np.array(arr), dtype=d)

    def get_config(self):
        return {"value": self.value}


class RandomInitializer(Initializer):
    """Keras 3: the seed is fixed when the initializer is made (an int, a SeedGenerator, or —
    for None — Python's `random.randint(1, 10**9)`), and every draw is a stateless op on it: an
    int-seeded initializer gives the same values at every call, as in Keras."""

    def __init__(self, seed=None):
        from jaxtape._src.keras import random as KR

        self._init_seed = seed
        if seed is None:
            seed = KR.make_default_seed()
        elif not isinstance(seed, (int, KR.SeedGenerator)):
            raise ValueError(
                "`seed` argument should be an instance of "
                "`keras.random.SeedGenerator()` or an integer. Received: seed=%r" % (seed,)
            )
        self.seed = seed

    def get_config(self):
        return {"seed": self._init_seed}


class RandomUniform(RandomInitializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        from jaxtape._src.keras import random as KR

        return KR.uniform(shape, self.minval, self.maxval, dtype=dtype, seed=self.seed)


class RandomNormal(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        from jaxtape._src.keras import random as KR

        return KR.normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        from jaxtape._src.keras import random as KR

        return KR.truncated_normal(shape, self.mean, self.stddev, dtype=dtype, seed=self.seed)


def _fans(shape, input_axes=None, output_axes=None):
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:  # an EinsumDense kernel (Keras 3)
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Orthogonal(RandomInitializer):
    """Keras's orthogonal initializer: Q of the QR of a normal draw, signs fixed by R's
    diagonal, transposed for wide shapes, times `gain`."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        from jaxtape._src.keras import random as KR
        from jaxtape._src.ops import array_ops as A
        from jaxtape._src.ops import linalg_ops as L  # noqa: F401  (tf.linalg.qr)
        from jaxtape._src.ops import math_ops as M

        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. Received: "
                "shape=%s of rank %d." % (shape, len(shape))
            )
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        a = KR.normal((max(rows, cols), min(rows, cols)), dtype=dtype, seed=self.seed)
        q, r = L.qr(a)
        q = M.multiply(q, M.sign(A.diag_part(r)))
        if rows < cols:
            q = A.transpose(q)
        return M.multiply(A.reshape(q, shape), M.cast(self.gain, q.dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self._init_seed}


class VarianceScaling(RandomInitializer):
    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes = self.output_axes = None

    def __call__(self, shape, dtype=None):
        from jaxtape._src.keras import random as R

        fan_in, fan_out = _fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        d = dtype or _dt.float32
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return R.uniform(shape, -limit, limit, dtype=d, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return R.normal(shape, 0.0, math.sqrt(scale), dtype=d, seed=self.seed)
        return R.truncated_normal(
            shape, 0.0, math.sqrt(scale) / 0.87962566103423978, dtype=d, seed=self.seed
        )


class GlorotUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class LecunNormal(VarianceScaling):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


_BY_NAME = {
    "zeros": Zeros,
    "ones": Ones,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "constant": Constant,
    "orthogonal": Orthogonal,
}


def get(identifier):
    """`keras.initializers.get`: an initializer from a name, an instance, or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError("Could not interpret initializer identifier: %r" % identifier)
        return cls()
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret initializer identifier: %r" % (identifier,))


for _c in (
    Initializer,
    RandomInitializer,
    Zeros,
    Ones,
    Constant,
    RandomUniform,
    RandomNormal,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeNormal,
    HeUniform,
    LecunNormal,
    Orthogonal,
):
    export_value("keras.initializers." + _c.__name__, _c)
export_value("keras.initializers.get", get)
