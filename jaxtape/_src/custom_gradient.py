"""`tf.custom_gradient` and `tf.recompute_grad`, on `jax.custom_vjp` and `jax.checkpoint`.

A call of a `@custom_gradient` function runs its body eagerly (tapes paused, so the body's own ops
are not recorded) and records ONE node on the recording tapes: inputs are the call's tensors and
a read of every Variable the body used; its kernel replays the body under `jax.custom_vjp`, whose
backward rule re-runs the body to obtain the user's `grad_fn` and applies it.  The kernel is one per
decorated function, so a training loop that calls it every step reuses one compiled backward pass.
A `None` returned by `grad_fn` makes that input's gradient `None`, decided structurally by
evaluating `grad_fn` abstractly (`jax.eval_shape`) once per shape.
"""

from __future__ import annotations

import contextlib
import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src import nest
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.dispatch import dtype_of, record
from jaxtape._src.registry import Kernel
from jaxtape._src.tensor import EagerTensor, make


@contextlib.contextmanager
def paused_tapes():
    saved = STATE.tapes
    STATE.tapes = []
    try:
        yield
    finally:
        STATE.tapes = saved


@contextlib.contextmanager
def _swapped(variables, arrays):
    old = [v._value for v in variables]
    for v, a in zip(variables, arrays):
        v._value = a
    try:
        yield
    finally:
        for v, a in zip(variables, old):
            v._value = a


def _accepts_variables(fn) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    return "variables" in sig.parameters or any(
        p.kind is p.VAR_KEYWORD for p in sig.parameters.values()
    )


class _CustomKernel(Kernel):
    __slots__ = ("fn", "_none_cache", "_traceable")

    def __init__(self, fn):
        super().__init__("CustomGradient", self._impl, multi=True)
        self.fn = fn
        self._none_cache = {}
        self._traceable = {}

    # the body, re-run on arrays (inside jit/vjp traces)
    def _body(self, arrays, nx, variables, kwargs):
        xs = [make(a, dtype_of(a)) for a in arrays[:nx]]
        with paused_tapes(), _swapped(variables, arrays[nx:]):
            result, grad_fn = self.fn(*xs, **dict(kwargs))
        outs = [convert_to_tensor(o)._value for o in nest.flatten(result)]
        return outs, grad_fn

    def _grads(self, arrays, cts, nx, variables, kwargs):
        outs, grad_fn = self._body(arrays, nx, variables, kwargs)
        dys = [make(c, dtype_of(c)) for c in cts]
        with paused_tapes(), _swapped(variables, arrays[nx:]):
            if variables:
                res = grad_fn(*dys, variables=list(variables))
                in_g, var_g = res
            else:
                in_g, var_g = grad_fn(*dys), []
        in_g = list(in_g) if isinstance(in_g, (list, tuple)) else [in_g]
        if len(in_g) != nx:
            raise ValueError(
                "custom_gradient function expected to return %d gradients, but "
                "returned %d instead." % (nx, len(in_g))
            )
        var_g = list(var_g or [])
        return in_g + var_g + [None] * (len(variables) - len(var_g))

    def traceable(self, ins, outs, params):
        """Whether the body and grad_fn trace (once per shapes, then cached)."""
        key = (tuple((t._value.shape, t._dtype) for t in ins), params["kwargs"])
        ok = self._traceable.get(key)
        if ok is None:
            variables = [r.deref() for r in params["variables"]]

            def both(arrays, cts):
                return self._grads(
                    list(arrays), list(cts), params["nx"], variables, params["kwargs"]
                )

            try:
                jax.eval_shape(both, [t._value for t in ins], [o._value for o in outs])
                ok = True
            except TypeError:  # .numpy() / float() / bool() of a traced value
                ok = False
            self._traceable[key] = ok
        return ok

    def _impl(self, *arrays, nx, variables, kwargs):
        variables = [r.deref() for r in variables]
        kernel = self

        @jax.custom_vjp
        def f(*arrs):
            return tuple(kernel._body(list(arrs), nx, variables, kwargs)[0])

        def fwd(*arrs):
            return f(*arrs), arrs

        def bwd(arrs, cts):
            gs = kernel._grads(list(arrs), list(cts), nx, variables, kwargs)
            return tuple(
                jnp.zeros_like(a)
                if g is None
                else convert_to_tensor(g)._value.astype(a.dtype).reshape(a.shape)
                for g, a in zip(gs, arrs)
            )

        f.defvjp(fwd, bwd)
        return f(*arrays)

    has_conn = True

    def connectivity(self, node):
        params = dict(node.params)
        key = (node.params, tuple((v.shape, v.dtype) for v in node.in_vals))
        conn = self._none_cache.get(key)
        if conn is None:
            nx, variables = params["nx"], [r.deref() for r in params["variables"]]

            def pattern(arrays, cts):
                gs = self._grads(list(arrays), list(cts), nx, variables, params["kwargs"])
                return [None if g is None else 0 for g in gs]

            pat = jax.eval_shape(pattern, list(node.in_vals), list(node.out_vals))
            live = frozenset(i for i, g in enumerate(pat) if g is not None)
            conn = [live] * len(node.out_vals)
            self._none_cache[key] = conn
        return conn


class _EagerCustomKernel(Kernel):
    """One eager call of a custom-gradient function whose body or grad_fn needs concrete
    values: its backward step calls that call's `grad_fn` eagerly, on the host (a
    `jax.pure_callback` inside the compiled backward pass), as TF runs it.  A new kernel per
    call, so each gradient compiles its pass anew: correct, not fast."""

    __slots__ = ("grad_fn", "nx", "variables", "out_vals", "in_specs", "out_specs", "in_dtypes")

    def __init__(self, grad_fn, nx, variables, ins, outs):
        super().__init__("CustomGradient", self._impl, multi=True, jit=False)
        self.grad_fn, self.nx, self.variables = grad_fn, nx, list(variables)
        self.out_vals = [np.asarray(o._value) for o in outs]
        self.in_specs = [jax.ShapeDtypeStruct(t._value.shape, t._value.dtype) for t in ins]
        self.out_specs = [jax.ShapeDtypeStruct(o._value.shape, o._value.dtype) for o in outs]
        self.in_dtypes = [t._dtype for t in ins]

    def _host_grads(self, *cts):
        dys = [make(jnp.asarray(c), dtype_of(jnp.asarray(c))) for c in cts]
        with paused_tapes():
            if self.variables:
                in_g, var_g = self.grad_fn(*dys, variables=list(self.variables))
            else:
                in_g, var_g = self.grad_fn(*dys), []
        in_g = list(in_g) if isinstance(in_g, (list, tuple)) else [in_g]
        if len(in_g) != self.nx:
            raise ValueError(
                "custom_gradient function expected to return %d gradients, but "
                "returned %d instead." % (self.nx, len(in_g))
            )
        gs = in_g + list(var_g or []) + [None] * (len(self.variables) - len(var_g or []))
        return tuple(
            np.zeros(s.shape, s.dtype)
            if g is None
            else np.asarray(convert_to_tensor(g)._value).astype(s.dtype).reshape(s.shape)
            for g, s in zip(gs, self.in_specs)
        )

    def _impl(self, *arrays):
        kernel = self

        @jax.custom_vjp
        def f(*arrs):
            return tuple(
                jax.pure_callback(
                    lambda *a: tuple(kernel.out_vals),
                    kernel.out_specs,
                    *arrs,
                    vmap_method="sequential",
                )
            )

        def fwd(*arrs):
            return f(*arrs), None

        def bwd(_, cts):
            return tuple(
                jax.pure_callback(
                    kernel._host_grads, kernel.in_specs, *cts, vmap_method="sequential"
                )
            )

        f.defvjp(fwd, bwd)
        return f(*arrays)


def custom_gradient(f=None):
    """`@tf.custom_gradient`: `f(*x) -> (y, grad_fn)` with `grad_fn(*dy) -> dx` (and, when `f`
    reads Variables, `grad_fn(*dy, variables=...) -> (dx, dvars)`)."""
    if f is None:
        return custom_gradient
    kernel = _CustomKernel(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        xs = [a if isinstance(a, EagerTensor) else convert_to_tensor(a) for a in args]
        from jaxtape._src.tape import GradientTape

        with paused_tapes():
            with GradientTape(watch_accessed_variables=True) as probe:
                result, grad_fn = f(*xs, **kwargs)
        variables = [v for v in probe.watched_variables() if v.trainable]
        if variables and not _accepts_variables(grad_fn):
            raise TypeError(
                "@tf.custom_gradient grad_fn must accept keyword argument "
                "'variables', since function uses variables: %s" % (variables,)
            )
        flat = nest.flatten(result)
        outs = [o if isinstance(o, EagerTensor) else convert_to_tensor(o) for o in flat]
        if STATE.tapes or STATE.trace is not None:
            reads = [v._read_as_tensor() for v in variables]
            params = {
                "nx": len(xs),
                "variables": tuple(v.ref() for v in variables),
                "kwargs": tuple(sorted(kwargs.items())),
            }
            if STATE.trace is not None:
                # Inside jaxtape.function the outputs are the custom_vjp's, so a gradient of
                # the compiled step taken outside it (a tape around the call) uses grad_fn too
                arrays = kernel._impl(*[t._value for t in list(xs) + reads], **params)
                outs = [make(a, o._dtype) for a, o in zip(arrays, outs)]
            else:
                outs = [make(o._value, o._dtype) for o in outs]
            if STATE.tapes:
                ins = list(xs) + reads
                if STATE.trace is None and not kernel.traceable(ins, outs, params):
                    # the body or grad_fn needs concrete values (.numpy(), float(), a Python
                    # `if`): TF runs them eagerly, and so does this node's backward step
                    record(
                        _EagerCustomKernel(grad_fn, len(xs), variables, ins, outs), None, ins, outs
                    )
                else:
                    record(kernel, params, ins, outs)
        return nest.pack_sequence_as(result, outs)

    return wrapper


def recompute_grad(f):
    """`tf.recompute_grad`: same values and gradients; the backward pass recomputes `f`'s
    forward (`jax.checkpoint`) instead of keeping its intermediates."""

    @custom_gradient
    def inner(*args, **kwargs):
        result = f(*args, **kwargs)

        def grad(*dys, variables=None):
            from jaxtape._src.tape import GradientTape

            xs = list(args)
            with GradientTape(persistent=True) as t:
                t.watch(xs)
                out = f(*xs, **kwargs)
            srcs = xs + list(variables or [])
            gs = t.gradient(nest.flatten(out), srcs, output_gradients=list(dys))
            if variables:
                return gs[: len(xs)], gs[len(xs) :]
            return gs

        return result, grad

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return inner(*args, **kwargs)

    return wrapper


_ = is_tensor_like
