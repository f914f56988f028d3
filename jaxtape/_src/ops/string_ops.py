"""`tf.strings`: the basics, on host NumPy (string tensors live on the host, as in TF)."""

from __future__ import annotations

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.registry import export
from jaxtape._src.tensor import make


def _strings(x):
    t = convert_to_tensor(x)
    if t.dtype is not _dt.string:
        raise TypeError("Input must be a string tensor, got %s" % t.dtype.name)
    return np.asarray(t._value, dtype=object)


def _bytes_array(values, shape):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return make(out.reshape(shape), _dt.string)


def _map(x, fn):
    a = _strings(x)
    return _bytes_array([fn(v) for v in a.reshape(-1)], a.shape)


@export("strings.length", gradient="n/a")
def length(input, name=None, unit="BYTE"):  # noqa: A002
    """`tf.strings.length`: bytes (or UTF-8 characters with unit="UTF8_CHAR"), int32."""
    a = _strings(input)
    n = [len(v.decode("utf-8")) if unit == "UTF8_CHAR" else len(v) for v in a.reshape(-1)]
    return convert_to_tensor(np.asarray(n, np.int32).reshape(a.shape))


@export("strings.join", gradient="n/a")
def join(inputs, separator="", name=None):
    """`tf.strings.join`: elementwise concatenation of string tensors (broadcasting)."""
    arrays = np.broadcast_arrays(*[_strings(x) for x in inputs])
    sep = separator.encode("utf-8") if isinstance(separator, str) else separator
    shape = arrays[0].shape
    flat = [a.reshape(-1) for a in arrays]
    return _bytes_array([sep.join(parts) for parts in zip(*flat)], shape)


@export("strings.upper", gradient="n/a")
def upper(input, encoding="", name=None):  # noqa: A002
    return _map(input, lambda v: v.upper())


@export("strings.lower", gradient="n/a")
def lower(input, encoding="", name=None):  # noqa: A002
    return _map(input, lambda v: v.lower())


@export("strings.strip", gradient="n/a")
def strip(input, name=None):  # noqa: A002
    return _map(input, lambda v: v.strip())


@export("strings.to_number", gradient="n/a")
def to_number(input, out_type=_dt.float32, name=None):  # noqa: A002
    """`tf.strings.to_number`: parse each string (InvalidArgumentError if it is no number)."""
    out_type = _dt.as_dtype(out_type)
    a = _strings(input)
    vals = []
    for v in a.reshape(-1):
        try:
            vals.append(int(v) if out_type.is_integer else float(v))
        except ValueError:
            raise InvalidArgumentError(
                None,
                None,
                "StringToNumberOp could not correctly "
                "convert string: %s" % v.decode("utf-8", "replace"),
            ) from None
    return convert_to_tensor(np.asarray(vals, out_type.as_numpy_dtype).reshape(a.shape))


@export("strings.as_string", "as_string", gradient="n/a")
def as_string(
    input,
    precision=-1,
    scientific=False,
    shortest=False,
    width=-1,
    fill="",  # noqa: A002
    name=None,
):
    """`tf.strings.as_string`: numbers formatted as TF formats them (%g-like for shortest)."""
    t = convert_to_tensor(input)
    a = np.asarray(t.numpy())
    if t.dtype.is_floating:
        fmt = ("%%.%de" if scientific else "%%.%df") % (precision if precision >= 0 else 6)
        if shortest:
            fmt = "%g"
    elif t.dtype is _dt.bool_:
        return _bytes_array([b"true" if v else b"false" for v in a.reshape(-1)], a.shape)
    else:
        fmt = "%d"
    out = [
        (fmt % v).rjust(width if width > 0 else 0, fill or " ").encode()
        for v in a.reshape(-1).tolist()
    ]
    return _bytes_array(out, a.shape)


@export("strings.split", gradient="n/a")
def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """`tf.strings.split` of a scalar string: a 1-D string tensor (TF gives a RaggedTensor for
    higher ranks, which jaxtape does not have)."""
    a = _strings(input)
    if a.ndim != 0:
        raise NotImplementedError(
            "tf.strings.split of a non-scalar returns a RaggedTensor, "
            "which jaxtape does not provide; split each string."
        )
    s = sep.encode("utf-8") if isinstance(sep, str) else sep
    parts = a.item().split(s, maxsplit) if s is not None else a.item().split(None, maxsplit)
    return _bytes_array(parts, (len(parts),))
