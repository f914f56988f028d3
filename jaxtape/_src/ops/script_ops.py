"""`tf.numpy_function` and `tf.py_function`: Python code in the middle of a TF program.

Eagerly the function simply runs: `numpy_function` on NumPy arrays (its results keep their own
dtypes, as TF's eager kernel returns them), `py_function` on Tensors, so the ops its body runs are
recorded on the active tapes and it is differentiable exactly as TF's (`numpy_function` is not).

Inside `jaxtape.function` the call becomes a host callback in the compiled step
(`jax.experimental.io_callback`; `jax.pure_callback` for `stateful=False`).  XLA needs the
results' shapes, which TF leaves unknown until the function runs: so the first call of a step
whose trace meets a Python function it has not seen runs eagerly (the function runs once, as
it would in TF) and remembers the shapes it returned for those input shapes; the next call
traces and compiles with them.  A result whose shape later differs raises InvalidArgumentError.
A `py_function` inside a compiled step is differentiable too: its backward pass is a second
host callback that differentiates the function eagerly with a GradientTape.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.dispatch import bind
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.registry import Kernel, export
from jaxtape._src.tensor import is_tracer, make


class NeedEagerRun(Exception):
    """Raised while a `function` traces a Python function whose result shapes are unknown:
    `function` runs that call eagerly instead (and traces the next one)."""


# (code object, input avals) -> result avals, learnt from an eager run
_SHAPES: dict = {}


def _key(func, ins):
    code = getattr(func, "__code__", None) or func
    return code, tuple((tuple(t.shape.as_list()), t.dtype.name) for t in ins)


def _touts(Tout):
    single = not isinstance(Tout, (list, tuple))
    return single, [_dt.as_dtype(Tout)] if single else [_dt.as_dtype(d) for d in Tout]


def _as_list(res, n):
    if n == 1 and not isinstance(res, (list, tuple)):
        return [res]
    if res is None and n == 0:
        return []
    return list(res)


def _remember(func, ins, outs):
    _SHAPES[_key(func, ins)] = [(tuple(o.shape.as_list()), o.dtype) for o in outs]


def _wrap(outs, single):
    return outs[0] if single else outs


@export("numpy_function", gradient="none (not differentiable)", kernel="PyFunc")
def numpy_function(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's name
    """`tf.numpy_function(func, inp, Tout)`: `func` runs on NumPy arrays."""
    single, touts = _touts(Tout)
    ins = [convert_to_tensor(x) for x in inp]
    if STATE.trace is None and not any(is_tracer(t._value) for t in ins):
        res = _as_list(func(*[np.array(t._value) for t in ins]), len(touts))
        outs = [convert_to_tensor(np.asarray(r)) for r in res]
        _remember(func, ins, outs)
        return _wrap(outs, single)
    return _wrap(_traced(func, ins, touts, stateful, numpy=True), single)


@export("py_function", gradient="yes", kernel="EagerPyFunc")
def py_function(func=None, inp=None, Tout=None, name=None):  # noqa: N803 - TF's name
    """`tf.py_function(func, inp, Tout)`: `func` runs eagerly on Tensors (differentiable)."""
    if func is None:  # used as a decorator: @tf.py_function(Tout=...)
        return lambda f: lambda *args: py_function(f, list(args), Tout, name)
    single, touts = _touts(Tout)
    ins = [convert_to_tensor(x) for x in (inp or [])]
    if STATE.trace is None and not any(is_tracer(t._value) for t in ins):
        res = _as_list(func(*ins), len(touts))
        outs = [convert_to_tensor(r, d) for r, d in zip(res, touts)]
        _remember(func, ins, outs)
        return _wrap(outs, single)
    return _wrap(_traced(func, ins, touts, True, numpy=False), single)


def _host_call(func, touts, numpy, shapes):
    def host(*arrays):
        if numpy:
            res = func(*[np.asarray(a) for a in arrays])
        else:
            res = func(*[convert_to_tensor(np.asarray(a)) for a in arrays])
        res = _as_list(res, len(touts))
        out = []
        for r, (shape, d) in zip(res, shapes):
            a = np.asarray(r.numpy() if hasattr(r, "numpy") else r, d.as_numpy_dtype)
            if a.shape != shape:
                raise InvalidArgumentError(
                    None,
                    None,
                    "The Python function passed to tf.%s returned shape %s inside a compiled "
                    "step, but %s when it first ran: jaxtape compiles the step for the first "
                    "shapes. Give it inputs of a new shape (a new trace) or return a fixed "
                    "shape." % ("numpy_function" if numpy else "py_function", a.shape, shape),
                )
            out.append(a)
        return tuple(out)

    return host


def _traced(func, ins, touts, stateful, numpy):
    shapes = _SHAPES.get(_key(func, ins))
    if shapes is None:
        if STATE.trace is not None:
            raise NeedEagerRun()
        raise NotImplementedError(
            "tf.%s inside a JAX transformation needs its result shapes: call it once eagerly "
            "with inputs of these shapes first." % ("numpy_function" if numpy else "py_function")
        )
    specs = tuple(jax.ShapeDtypeStruct(s, d.as_numpy_dtype) for s, d in shapes)
    host = _host_call(func, touts, numpy, shapes)

    def call(*arrays):
        if stateful:
            return jax.experimental.io_callback(host, specs, *arrays, ordered=True)
        return jax.pure_callback(host, specs, *arrays)

    if numpy:
        kern = Kernel("PyFunc", lambda *a: tuple(call(*a)), grad="nondiff", multi=True, jit=False)
    else:
        kern = Kernel("EagerPyFunc", _differentiable(func, call, ins), multi=True, jit=False)
    outs = bind(kern, tuple(ins))
    return [make(o._value, d) if o.dtype != d else o for o, d in zip(outs, touts)]


def _differentiable(func, call, ins):
    """The traced py_function with a VJP computed on the host by a GradientTape."""
    in_specs = tuple(jax.ShapeDtypeStruct(tuple(t.shape.as_list()), t.dtype.as_numpy_dtype)
                     for t in ins)  # fmt: skip

    def host_vjp(*arrays_and_cts):
        from jaxtape._src.tape import GradientTape

        n = len(ins)
        xs = [convert_to_tensor(np.asarray(a)) for a in arrays_and_cts[:n]]
        cts = [convert_to_tensor(np.asarray(c)) for c in arrays_and_cts[n:]]
        with GradientTape() as tape:
            for x in xs:
                tape.watch(x)
            res = _as_list(func(*xs), len(cts))
        grads = tape.gradient(res, xs, output_gradients=cts)
        return tuple(
            np.zeros(s.shape, s.dtype) if g is None else np.asarray(g.numpy(), s.dtype)
            for g, s in zip(grads, in_specs)
        )

    @jax.custom_vjp
    def impl(*arrays):
        return tuple(call(*arrays))

    def fwd(*arrays):
        return impl(*arrays), arrays

    def bwd(arrays, cts):
        cts = tuple(jnp.zeros_like(c) if c is None else c for c in cts)
        return tuple(jax.pure_callback(host_vjp, in_specs, *arrays, *cts))

    impl.defvjp(fwd, bwd)
    return impl
