"""`keras.regularizers`: weight penalties added to `layer.losses` (and so to the loss `fit`
minimises, and to `sum(model.losses)` in a custom loop), with Keras 3's formulas."""

from __future__ import annotations

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.registry import export_value


def _M():
    from jaxtape._src.ops import math_ops as M

    return M


def _factor(value, name, default):
    value = default if value is None else value
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError("Invalid value for argument %s: expected a float. Received: %s=%s"
                         % (name, name, value)) from None  # fmt: skip
    if value < 0:
        raise ValueError(
            "Invalid value for argument %s: expected a non-negative float.Received: %s=%s"
            % (name, name, value)
        )
    return value


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty."""

    def __call__(self, x):
        return convert_to_tensor(0.0, x.dtype)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1(Regularizer):
    """`l1 * reduce_sum(abs(x))`."""

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1", 0.01)

    def __call__(self, x):
        M = _M()
        return M.multiply(convert_to_tensor(self.l1, x.dtype), M.reduce_sum(M.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * reduce_sum(square(x))`."""

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2", 0.01)

    def __call__(self, x):
        M = _M()
        return M.multiply(convert_to_tensor(self.l2, x.dtype), M.reduce_sum(M.square(x)))

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """`l1 * reduce_sum(abs(x)) + l2 * reduce_sum(square(x))`, each term only when its factor
    is nonzero (Keras's order of additions)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1", 0.0)
        self.l2 = _factor(l2, "l2", 0.0)

    def __call__(self, x):
        M = _M()
        out = convert_to_tensor(0.0, x.dtype)
        if self.l1:
            out = M.add(out, M.multiply(convert_to_tensor(self.l1, x.dtype),
                                        M.reduce_sum(M.abs(x))))  # fmt: skip
        if self.l2:
            out = M.add(out, M.multiply(convert_to_tensor(self.l2, x.dtype),
                                        M.reduce_sum(M.square(x))))  # fmt: skip
        return out

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


def get(identifier):
    """`keras.regularizers.get`: None, an instance, a callable, or 'l1' / 'l2' / 'l1l2'."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        # Keras 3's names: the classes and their snake-case names ('l1_l2' is not one)
        made = {"l1": L1, "l2": L2, "l1l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2}.get(identifier)
        if made is not None:
            return made()
    elif isinstance(identifier, dict) and "class_name" in identifier:
        return get(identifier["class_name"]).from_config(identifier.get("config", {}))
    elif callable(identifier):
        return identifier
    raise ValueError("Could not interpret regularizer identifier: %s" % (identifier,))


for _name, _value in {"Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2,
                      "l1": L1, "l2": L2, "l1_l2": L1L2, "get": get}.items():  # fmt: skip
    export_value("keras.regularizers." + _name, _value)
del _name, _value
