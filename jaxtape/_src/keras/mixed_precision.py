"""`keras.mixed_precision`: dtype policies.  A float policy (`"float64"`, `"bfloat16"`, ...)
set globally is the dtype of the layers made afterwards (their variables and computations), as
Keras 3's; `keras.config.floatx()` is unchanged by it, as in Keras.  The mixed policies
(`"mixed_float16"`, `"mixed_bfloat16"`: float16 computations on float32 variables) can be
made and inspected but not set: jaxtape's layers compute in their variables' dtype, and a
policy silently not applied would give other numbers than TF's."""

from __future__ import annotations

from jaxtape._src import dtypes as _dt
from jaxtape._src.keras.settings import CONFIG
from jaxtape._src.registry import export_value

_FLOATS = ("float16", "bfloat16", "float32", "float64")


class DTypePolicy:
    """`keras.mixed_precision.DTypePolicy(name)` (also `Policy`)."""

    def __init__(self, name=None):
        name = CONFIG["floatx"] if name is None else getattr(name, "name", name)
        if name in ("mixed_float16", "mixed_bfloat16"):
            compute, variable = name[len("mixed_") :], "float32"
        else:
            try:
                d = _dt.as_dtype(name)
            except (TypeError, ValueError):
                d = None
            if d is None or d.name not in _FLOATS:
                raise ValueError(
                    "Cannot convert '%s' to a mixed precision DTypePolicy. Valid policies "
                    "include 'mixed_float16', 'mixed_bfloat16', and the name of any float dtype "
                    "such as 'float32'." % (name,)
                )
            compute = variable = d.name
        self._name, self.compute_dtype, self.variable_dtype = name, compute, variable

    name = property(lambda self: self._name)

    def __repr__(self):
        return '<DTypePolicy "%s">' % self._name

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)


def global_policy():
    """The global policy (`"float32"`, or `floatx()`, unless one was set)."""
    return DTypePolicy(CONFIG.get("dtype_policy") or CONFIG["floatx"])


def set_global_policy(policy):
    """Set the dtype of the layers made from now on (a float dtype; mixed policies raise)."""
    p = policy if isinstance(policy, DTypePolicy) else DTypePolicy(policy)
    if p.compute_dtype != p.variable_dtype:
        raise NotImplementedError(
            "keras.mixed_precision policy %r is not supported by jaxtape: its layers compute in "
            "their variables' dtype. Use a float policy ('float32', or 'bfloat16' for both "
            "variables and computations)." % p.name
        )
    CONFIG["dtype_policy"] = None if policy is None else p.name


for _name, _value in {"DTypePolicy": DTypePolicy, "Policy": DTypePolicy,
                      "global_policy": global_policy, "set_global_policy": set_global_policy,
                      "dtype_policy": global_policy,
                      "set_dtype_policy": set_global_policy}.items():  # fmt: skip
    export_value("keras.mixed_precision." + _name, _value)
del _name, _value
