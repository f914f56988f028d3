"""Assertions for tests of TF-style code: tensors compared with numpy/chex semantics, and a
gradient checker that compares `tape.gradient` with central finite differences."""

from __future__ import annotations

import numpy as np

from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.registry import export_value


def _np(x):
    if x is None:
        return None
    return np.asarray(convert_to_tensor(x))


def assert_allclose(actual, desired, rtol=1e-6, atol=0.0, err_msg=""):
    """`np.testing.assert_allclose` over nests of tensors, Variables, arrays and numbers."""
    if not isinstance(actual, (list, tuple, dict)):
        actual, desired = [actual], [desired]
    elif (
        isinstance(desired, (list, tuple))
        and len(desired) == len(actual)
        and not isinstance(actual, dict)
    ):
        actual, desired = list(actual), list(desired)
    a, d = _leaves(actual), _leaves(desired)
    if len(a) != len(d):
        raise AssertionError("structures differ: %d vs %d leaves. %s" % (len(a), len(d), err_msg))
    for x, y in zip(a, d):
        if x is None or y is None:
            if not (x is None and y is None):
                raise AssertionError("None mismatch: %r vs %r. %s" % (x, y, err_msg))
            continue
        np.testing.assert_allclose(_np(x), _np(y), rtol=rtol, atol=atol, err_msg=err_msg)


def _leaves(x):
    """Top-level flatten that keeps numeric lists (a desired value like [1.0, 2.0]) whole."""
    if isinstance(x, dict):
        return [x[k] for k in sorted(x)]
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def numerical_gradient(f, xs, delta=1e-3):
    """Central differences of sum(f(*xs)) w.r.t. each x (computed in float64)."""
    xs64 = [np.asarray(_np(x), np.float64) for x in xs]
    grads = []
    for i, x in enumerate(xs64):
        g = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            plus = [v.copy() for v in xs64]
            minus = [v.copy() for v in xs64]
            plus[i][idx] += delta
            minus[i][idx] -= delta
            fp = float(np.sum(_np(f(*[convert_to_tensor(v) for v in plus]))))
            fm = float(np.sum(_np(f(*[convert_to_tensor(v) for v in minus]))))
            g[idx] = (fp - fm) / (2 * delta)
        grads.append(g)
    return grads


def check_gradients(f, xs, rtol=1e-4, atol=1e-5, delta=1e-3):
    """Assert that `tape.gradient(sum(f(*xs)), xs)` matches central finite differences.

    `xs` are float64 values (converted here); returns the tape gradients."""
    from jaxtape._src.tape import GradientTape

    ts = [convert_to_tensor(np.asarray(_np(x), np.float64)) for x in xs]
    with GradientTape() as tape:
        tape.watch(ts)
        y = f(*ts)
    analytic = tape.gradient(y, ts)
    numeric = numerical_gradient(f, ts, delta)
    for k, (a, n) in enumerate(zip(analytic, numeric)):
        if a is None:
            raise AssertionError("gradient w.r.t. argument %d is None" % k)
        np.testing.assert_allclose(
            _np(a), n, rtol=rtol, atol=atol, err_msg="gradient w.r.t. argument %d" % k
        )
    return analytic


for _f in (assert_allclose, numerical_gradient, check_gradients):
    export_value("testing." + _f.__name__, _f)
