"""`keras.random` and `keras.utils.set_random_seed`: Keras 3's own seeds, as on its TF backend.

Keras 3 does not draw from TF's global stream.  Every Keras random op is a TF *stateless* op whose
seed comes from `draw_seed`:

* an int `s` -> `[s, 0]` (the same values at every call);
* a `SeedGenerator` -> its state `[s, k]` (int64 Variable), then the state becomes `[s, k + 1]`;
* None -> the global SeedGenerator, advanced unordered: `state = (state + 1) * 5387 % 933199`.

The int64 seed is folded into int32 as Keras's `_cast_seed` does (`floormod(seed, 2**31 - 2)`).
Initializers and SeedGenerators built without a seed take `random.randint(1, 10**9)` from
Python's `random` module (Keras's `make_default_seed`), so `tf.random.set_seed` alone does not
make Keras weights reproducible — in TF neither; `keras.utils.set_random_seed(s)` (Python, numpy
and TF seeds) does, and then gives TF's numbers.  Inside `jaxtape.function` a SeedGenerator's
state is an ordinary Variable: each call of the compiled step draws new values and advances it.
"""

from __future__ import annotations

import random as _pyrandom

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.registry import export_value

_GLOBAL = {"generator": None, "seed": None}


def make_default_seed() -> int:
    return _pyrandom.randint(1, int(1e9))


class SeedGenerator:
    """`keras.random.SeedGenerator(seed)`: a `[seed, counter]` int64 state Variable."""

    def __init__(self, seed=None, name=None, **kwargs):
        from jaxtape._src.function import init_scope
        from jaxtape._src.keras.variables import KerasVariable, auto_name

        if kwargs:
            raise ValueError("Unrecognized keyword arguments: %s" % (kwargs,))
        self.name = name or auto_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = make_default_seed()
        if not isinstance(seed, int):
            raise ValueError("Argument `seed` must be an integer. Received: seed=%r" % (seed,))
        with init_scope():  # Keras state, built eagerly even inside a traced step
            self.state = KerasVariable(
                np.array([seed, 0], np.int64),
                (2,),
                _dt.int64,
                trainable=False,
                name="seed_generator_state",
            )

    def next(self, ordered=True):
        from jaxtape._src.ops import math_ops as M

        var = self.state.value
        value = var.read_value()
        if ordered:
            var.assign(M.add(value, np.array([0, 1], np.int64)))
        else:
            var.assign(
                M.floormod(M.multiply(M.add(value, np.int64(1)), np.int64(5387)), np.int64(933199))
            )
        return value


def global_seed_generator() -> SeedGenerator:
    if _GLOBAL["generator"] is None:
        _GLOBAL["generator"] = SeedGenerator()
    return _GLOBAL["generator"]


def draw_seed(seed):
    """Keras's `draw_seed` + the TF backend's `_cast_seed`: an int32 `[2]` stateless seed."""
    from jaxtape._src.convert import convert_to_tensor
    from jaxtape._src.ops import math_ops as M

    if isinstance(seed, SeedGenerator):
        s = seed.next()
    elif isinstance(seed, int) and not isinstance(seed, bool):
        s = convert_to_tensor(np.array([seed, 0], np.int64))
    elif seed is None:
        s = global_seed_generator().next(ordered=False)
    else:
        raise ValueError(
            "Argument `seed` must be either an integer or an instance of "
            "`SeedGenerator`. Received: seed=%r (of type %s)" % (seed, type(seed))
        )
    return M.cast(M.floormod(s, np.int64(2**31 - 2)), _dt.int32)


def _dtype(dtype):
    return _dt.as_dtype(dtype or CONFIG["floatx"])


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    from jaxtape._src.ops import math_ops as M
    from jaxtape._src.ops import random_ops as R

    d = _dtype(dtype)
    return R.stateless_uniform(
        shape, draw_seed(seed), minval=M.cast(minval, d), maxval=M.cast(maxval, d), dtype=d
    )


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from jaxtape._src.ops import random_ops as R

    return R.stateless_normal(shape, draw_seed(seed), mean=mean, stddev=stddev, dtype=_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    from jaxtape._src.ops import random_ops as R

    return R.stateless_truncated_normal(
        shape, draw_seed(seed), mean=mean, stddev=stddev, dtype=_dtype(dtype)
    )


def randint(shape, minval, maxval, dtype="int32", seed=None):
    from jaxtape._src.ops import math_ops as M
    from jaxtape._src.ops import random_ops as R

    d = _dt.as_dtype(dtype)
    mid = d if d in (_dt.int32, _dt.int64) else _dt.int64
    return M.cast(
        R.stateless_uniform(shape, draw_seed(seed), minval=minval, maxval=maxval, dtype=mid), d
    )


def dropout(inputs, rate, noise_shape=None, seed=None):
    from jaxtape._src.ops import array_ops as A
    from jaxtape._src.ops import nn_ops

    if rate == 1.0:
        return A.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    return nn_ops.stateless_dropout(inputs, rate, draw_seed(seed), noise_shape=noise_shape)


def set_random_seed(seed):
    """`keras.utils.set_random_seed`: seeds Python's `random`, numpy and TF, and resets the
    global SeedGenerator — the way to make Keras initializers and Dropout reproducible."""
    from jaxtape._src.ops.random_ops import set_seed

    if not isinstance(seed, int):
        raise ValueError(
            "Expected `seed` argument to be an integer. Received: seed=%r (of type "
            "%s)" % (seed, type(seed))
        )
    _GLOBAL["seed"], _GLOBAL["generator"] = seed, None
    _pyrandom.seed(seed)
    np.random.seed(seed)
    set_seed(seed)


def get_random_seed():
    return _GLOBAL["seed"]


for _name, _fn in (
    ("SeedGenerator", SeedGenerator),
    ("uniform", uniform),
    ("normal", normal),
    ("truncated_normal", truncated_normal),
    ("randint", randint),
    ("dropout", dropout),
):
    export_value("keras.random." + _name, _fn)
export_value("keras.utils.set_random_seed", set_random_seed)
export_value("keras.utils.get_random_seed", get_random_seed)
