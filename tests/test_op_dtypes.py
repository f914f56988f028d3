"""Every op that declares its dtypes in the op table (`ApiEntry.dtypes`, measured against TF
2.21 by tests/tfdiff/cases_dtype_sweep.py) runs on each of them and refuses the others with
TF's error classes: the table, the kernels and the checks agree.  (Elementwise ops,
activations, reductions, arg-reductions, cumulative ops, matmul.)"""

import inspect

import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src.registry import API

DTYPES = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int8",
          "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"]  # fmt: skip


def _arity(fn):
    params = inspect.signature(fn).parameters.values()
    return sum(1 for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD)


def _ops():
    seen, out = set(), []
    for path, entry in sorted(API.items()):
        if entry.dtypes is None or id(entry.fn) in seen:
            continue
        seen.add(id(entry.fn))
        if _arity(entry.fn) in (1, 2):
            out.append((path, entry))
    return out


OPS = _ops()


def test_the_table_declares_dtypes_for_the_elementwise_ops():
    declared = {path for path, entry in API.items() if entry.dtypes is not None}
    assert {"math.sin", "add", "nn.relu", "math.maximum", "math.floordiv", "reduce_sum",
            "math.argmax", "math.cumsum", "linalg.matmul", "math.softmax"} <= declared  # fmt: skip
    assert len(OPS) > 90


@pytest.mark.parametrize("path,entry", OPS, ids=[p for p, _ in OPS])
def test_op_runs_on_its_dtypes_and_refuses_the_others(path, entry):
    n = _arity(entry.fn)
    for name in DTYPES:
        x = tf.cast(tf.constant(np.array([[1, 2], [3, 1]], np.int64)), getattr(tf, name))
        try:
            entry.fn(*([x] * n))
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, TypeError) as e:
            # (TypeError: where TF's Python wrapper refuses the dtype, e.g. reduce_variance
            # of integers)
            assert name not in entry.dtypes, "%s refused %s, which it declares: %s" % (
                path, name, e)  # fmt: skip
        else:
            assert name in entry.dtypes, "%s ran on %s, which TF refuses" % (path, name)
