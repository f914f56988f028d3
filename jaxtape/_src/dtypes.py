"""TF's `DType` objects: names, reprs, predicates, and conversion from numpy/JAX/Python types.

jaxtape keeps TF's 64-bit semantics (`tf.constant(np.float64(1))` is float64, `tf.range(np.int64(3))`
is int64) by turning on JAX's `jax_enable_x64` flag when jaxtape is imported.  Every jaxtape op passes
explicit dtypes, so jaxtape's own results never depend on the flag; the visible effect on a user's
other JAX code is that `jnp.array(1.0)` defaults to float64 instead of float32 after `import jaxtape`.
Measured alternative: scoping `jax.enable_x64` around every op costs ~0.6 us per op and breaks
when a jitted function traced under one setting is called under the other.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = ["DType", "as_dtype"]


class DType:
    """TF's `tf.dtypes.DType`: `repr` is `tf.float32`, `str` is `<dtype: 'float32'>`."""

    __slots__ = ("_name", "_np", "_tf_kernel_name", "_diff", "__weakref__")

    def __init__(self, name: str, np_dtype, kernel_name: str):
        self._name = name
        # differentiable (floating or complex): read on the hot path, so a plain attribute
        self._diff = name in (
            "float16",
            "bfloat16",
            "float32",
            "float64",
            "complex64",
            "complex128",
        )
        self._np = np.dtype(np_dtype) if np_dtype is not object else np.dtype(object)
        self._tf_kernel_name = kernel_name

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def as_numpy_dtype(self):
        return self._np.type

    @property
    def base_dtype(self) -> "DType":
        return self

    @property
    def real_dtype(self) -> "DType":
        return {"complex64": float32, "complex128": float64}.get(self._name, self)

    def __repr__(self) -> str:
        return "tf." + self._name

    def __str__(self) -> str:
        return "<dtype: %r>" % self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except (TypeError, ValueError):
            return False

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __reduce__(self):
        return as_dtype, (self._name,)

    # -- predicates -------------------------------------------------------------------------
    @property
    def is_floating(self) -> bool:
        return self._name in ("float16", "bfloat16", "float32", "float64")

    @property
    def is_complex(self) -> bool:
        return self._name in ("complex64", "complex128")

    @property
    def is_integer(self) -> bool:
        return self._np.kind in "iu" and self._name != "bool"

    @property
    def is_unsigned(self) -> bool:
        return self._np.kind == "u"

    @property
    def is_bool(self) -> bool:
        return self._name == "bool"

    @property
    def is_numeric(self) -> bool:
        return self.is_floating or self.is_complex or self.is_integer

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_differentiable(self) -> bool:
        """True for the dtypes TF's tape differentiates (floating and complex)."""
        return self.is_floating or self.is_complex

    @property
    def size(self) -> int:
        return 1 if self._name == "string" else self._np.itemsize

    @property
    def min(self):
        if self.is_floating:
            return (
                ml_dtypes.finfo(self._np).min
                if self._name == "bfloat16"
                else np.finfo(self._np).min
            )
        if self.is_integer:
            return np.iinfo(self._np).min
        if self.is_bool:
            return False
        raise TypeError("Cannot find minimum value of %s." % self)

    @property
    def max(self):
        if self.is_floating:
            return (
                ml_dtypes.finfo(self._np).max
                if self._name == "bfloat16"
                else np.finfo(self._np).max
            )
        if self.is_integer:
            return np.iinfo(self._np).max
        if self.is_bool:
            return True
        raise TypeError("Cannot find maximum value of %s." % self)

    def is_compatible_with(self, other) -> bool:
        return self == other


float16 = DType("float16", np.float16, "half")
bfloat16 = DType("bfloat16", ml_dtypes.bfloat16, "bfloat16")
float32 = DType("float32", np.float32, "float")
float64 = DType("float64", np.float64, "double")
complex64 = DType("complex64", np.complex64, "complex64")
complex128 = DType("complex128", np.complex128, "complex128")
int8 = DType("int8", np.int8, "int8")
int16 = DType("int16", np.int16, "int16")
int32 = DType("int32", np.int32, "int32")
int64 = DType("int64", np.int64, "int64")
uint8 = DType("uint8", np.uint8, "uint8")
uint16 = DType("uint16", np.uint16, "uint16")
uint32 = DType("uint32", np.uint32, "uint32")
uint64 = DType("uint64", np.uint64, "uint64")
bool_ = DType("bool", np.bool_, "bool")
string = DType("string", object, "string")

ALL = (
    float16,
    bfloat16,
    float32,
    float64,
    complex64,
    complex128,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    bool_,
    string,
)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(
    {
        "half": float16,
        "float": float32,
        "double": float64,
        "bool_": bool_,
        "str": string,
        "bytes": string,
    }
)
_BY_NP = {d._np: d for d in ALL if d is not string}

# Aliases TF exposes as attributes.
half = float16
double = float64
# `tf.bool` is the public name; `bool_` only avoids shadowing the builtin here.
PUBLIC = {d.name: d for d in ALL}
PUBLIC.update(half=float16, double=float64)


def as_dtype(type_value) -> DType:
    """`tf.as_dtype`: a DType from a DType, its name, a numpy/JAX dtype or a Python type."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    elif type_value is bool:
        return bool_
    elif type_value is float:
        return float32
    elif type_value is object:
        return string
    elif type_value is None or any(type_value is t for t in (int, complex, bytes, str)):
        pass  # TF 2.21 refuses these Python types (measured)
    else:
        try:
            npd = np.dtype(type_value)
        except TypeError:
            npd = None
        if npd is not None:
            if npd.kind in "OSU":
                return string
            d = _BY_NP.get(npd)
            if d is not None:
                return d
    raise TypeError(
        "Cannot convert the argument `type_value`: %r to a TensorFlow DType." % (type_value,)
    )
