"""Differential cases against TensorFlow 2.21: run a case under TF, record, compare jaxtape.

A case is `def case_<name>(tf)` in a `cases_<area>.py` file of this folder; it returns a nest
(dicts, lists, tuples) of tensors, Variables, IndexedSlices, shapes, dtypes, Python values and
`catch(...)` records.  `tools/record_tf.py` runs every case under real TensorFlow (in a scratch
venv) and writes `tests/data/tf_recorded.json`; `tests/test_tf_diff.py` runs the same cases
under jaxtape and compares (no TensorFlow needed).  Nothing here imports TF or jaxtape.
"""

from __future__ import annotations

import importlib
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).parent


def catch(fn, *args, match=False, any_of=None, **kwargs):
    """`fn(*args, **kwargs)`, or the exception it raised as a record: the class name always
    compared, the message's first line too when `match=True` (TF's text, as a user greps it).
    `any_of`: for calls where TF's class is an accident of its internals (AttributeError:
    'float' object has no attribute '_id'), any of these classes is accepted."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - recording is the point
        rec = {"raises": type(exc).__name__, "message": str(exc).split("\n", 1)[0]}
        if match:
            rec["match"] = True
        if any_of:
            rec["any_of"] = list(any_of)
        return rec


def discover():
    """[(case id, function)] for every case file of this folder."""
    out = []
    for path in sorted(HERE.glob("cases_*.py")):
        mod = importlib.import_module("tfdiff." + path.stem)
        for name in sorted(vars(mod)):
            if name.startswith("case_"):
                out.append(("%s::%s" % (path.stem, name[5:]), getattr(mod, name)))
    return out


def _num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _array(a):
    a = np.asarray(a)
    if a.dtype.kind in "SUO":
        return [v.decode() if isinstance(v, bytes) else str(v) for v in a.ravel().tolist()]
    if a.dtype.kind == "c":
        return [[_num(v.real), _num(v.imag)] for v in a.ravel().tolist()]
    if a.dtype.kind == "b":
        return [bool(v) for v in a.ravel().tolist()]
    if a.dtype.kind in "iu":
        return [int(v) for v in a.ravel().tolist()]
    return [_num(v) for v in a.astype(np.float64).ravel().tolist()]


def encode(obj):
    """A JSON-able record of a case result, the same for TF's and jaxtape's objects."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
        return {"int": int(obj)}
    if isinstance(obj, (float, np.floating)):
        return {"float": _num(obj)}
    if isinstance(obj, dict):
        if "raises" in obj and "message" in obj:
            return dict(obj)
        return {
            "dict": {str(k): encode(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
        }
    if isinstance(obj, (list, tuple)):
        return {
            type(obj).__name__ if type(obj) in (list, tuple) else "tuple": [encode(v) for v in obj]
        }
    name = type(obj).__name__
    if name == "IndexedSlices":
        return {
            "indexed_slices": {
                "values": encode(obj.values),
                "indices": encode(obj.indices),
                "dense_shape": encode(obj.dense_shape),
            }
        }
    if name == "TensorShape":
        return {"shape": None if obj.rank is None else list(obj.as_list())}
    if name == "DType":
        return {"dtype": obj.name}
    if isinstance(obj, np.ndarray):
        return {"ndarray": str(obj.dtype), "shape": list(obj.shape), "value": _array(obj)}
    if hasattr(obj, "numpy") and hasattr(obj, "dtype") and hasattr(obj, "shape"):
        kind = "variable" if hasattr(obj, "assign") else "tensor"
        return {kind: obj.dtype.name, "shape": list(obj.shape), "value": _array(obj.numpy())}
    return {"object": name}


def _close(a, b, dtype, rtol):
    if isinstance(a, list) or isinstance(b, list):  # complex: [real, imag]
        return (
            isinstance(a, list)
            and isinstance(b, list)
            and all(
                _close(x, y, "float32" if dtype == "complex64" else "float64", rtol)
                for x, y in zip(a, b)
            )
        )
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, bool) or isinstance(a, int) and not isinstance(b, float):
        return a == b
    if rtol < 0:  # bit for bit
        return a == b or (a != a and b != b)
    tol = {"float16": 1e-3, "bfloat16": 1e-2, "float32": 1e-5}.get(dtype, 1e-12)
    tol = max(tol, rtol)
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _same_message(got, want):
    """TF's eager messages end in ` name: <op name>` (a graph name that eager code never sets);
    the text before it is what users search for."""
    if got == want:
        return True
    head, sep, _ = want.rpartition(" name: ")
    return bool(sep) and got == head


def compare(got, want, path="", rtol=0.0):
    """Mismatches between two `encode` records (an empty list when they agree)."""
    if isinstance(want, dict) and "raises" in want:
        if not (isinstance(got, dict) and "raises" in got):
            return [
                "%s: TF raised %s(%r), jaxtape returned %.200s"
                % (path, want["raises"], want["message"], got)
            ]
        out = []
        if want.get("any_of") and got["raises"] in want["any_of"]:
            return out
        if got["raises"] != want["raises"]:
            out.append(
                "%s: TF raised %s(%r), jaxtape %s(%r)"
                % (path, want["raises"], want["message"], got["raises"], got["message"])
            )
        elif want.get("match") and not _same_message(got["message"], want["message"]):
            out.append("%s: message %r, TF %r" % (path, got["message"], want["message"]))
        return out
    if isinstance(got, dict) and "raises" in got:
        return [
            "%s: jaxtape raised %s(%r), TF returned %.200s"
            % (path, got["raises"], got["message"], want)
        ]
    if not isinstance(want, dict) or not isinstance(got, dict):
        return [] if got == want else ["%s: %r != TF %r" % (path, got, want)]
    if set(got) != set(want):
        return ["%s: %.200s != TF %.200s" % (path, got, want)]
    for kind in ("tensor", "variable", "ndarray"):
        if kind in want:
            if got[kind] != want[kind] or got["shape"] != want["shape"]:
                return [
                    "%s: %s %s%s != TF %s %s%s"
                    % (path, kind, got[kind], got["shape"], kind, want[kind], want["shape"])
                ]
            bad = [
                i
                for i, (a, b) in enumerate(zip(got["value"], want["value"]))
                if not _close(a, b, want[kind], rtol)
            ]
            if bad:
                i = bad[0]
                return [
                    "%s: %d of %d values differ, first [%d] %r vs TF %r"
                    % (path, len(bad), len(want["value"]), i, got["value"][i], want["value"][i])
                ]
            return []
    if "float" in want:
        return (
            []
            if _close(got["float"], want["float"], "float64", rtol)
            else ["%s: %r != TF %r" % (path, got["float"], want["float"])]
        )
    out = []
    for key in want:
        sub_g, sub_w = got[key], want[key]
        if isinstance(sub_w, list):
            if not isinstance(sub_g, list) or len(sub_g) != len(sub_w):
                out.append("%s.%s: %.200s != TF %.200s" % (path, key, sub_g, sub_w))
                continue
            for i, (a, b) in enumerate(zip(sub_g, sub_w)):
                out += compare(a, b, "%s[%d]" % (path, i), rtol)
        elif isinstance(sub_w, dict) and key in ("dict", "indexed_slices"):
            if set(sub_g) != set(sub_w):
                out.append("%s: keys %s != TF %s" % (path, sorted(sub_g), sorted(sub_w)))
                continue
            for k in sub_w:
                out += compare(sub_g[k], sub_w[k], "%s.%s" % (path, k), rtol)
        else:
            out += compare(sub_g, sub_w, "%s.%s" % (path, key), rtol)
    return out


def run(fn, tf):
    try:
        return encode(fn(tf))
    except Exception as exc:  # noqa: BLE001
        return {"raises": type(exc).__name__, "message": str(exc).split("\n", 1)[0]}
