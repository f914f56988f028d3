"""`jaxtape.function` (TF's `tf.function`): compile a whole stateful TF-style step with `jax.jit`.

How a call works:

* The arguments are flattened; tensors are keyed by (shape, dtype), Variables by identity, other
  Python values by value — a new key is a new trace, as TF retraces.
* Tracing runs the Python function once with tensors over tracers, inside a *trace scope* that
  sees every Variable read, written or created.  Variables are found the way TF captures them, by
  use — no list is passed.  Every Variable the step touches becomes an explicit input and output
  of ONE `jax.jit` computation (donated: XLA updates the buffers in place); its final value is
  written back after the call.
* A Variable first met during a trace (read but not yet lifted, or created by a lazily building
  layer or optimizer) is used as a constant in that trace, whose computation is still correct for
  that call; the function is then traced again with it lifted, once, during the same call — so
  the steps after the first compile nothing (TF also traces twice when the first call creates
  variables).  Creating a Variable in a later trace raises TF's ValueError.
* Donation deletes the donated buffer: a Variable whose current array is still held elsewhere (a
  `read_value()` snapshot, a tape) is passed as a copy, so no live Tensor is invalidated.
"""

from __future__ import annotations

import functools
import sys

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import nest
from jaxtape._src.context import STATE
from jaxtape._src.dispatch import dtype_of
from jaxtape._src.shape import TensorShape
from jaxtape._src.tensor import EagerTensor, is_tracer, make
from jaxtape._src.variables import Variable

_CREATE_ERROR = ("tf.function only supports singleton tf.Variables created on the first call. "
                 "Make sure the tf.Variable is only created once or created outside tf.function.")


class TensorSpec:
    """`tf.TensorSpec(shape, dtype, name)`: describes a tensor argument of `input_signature`."""

    def __init__(self, shape, dtype=_dt.float32, name=None):
        self.shape = TensorShape(shape)
        self.dtype = _dt.as_dtype(dtype)
        self.name = name

    def is_compatible_with(self, t) -> bool:
        return t.dtype == self.dtype and self.shape.is_compatible_with(t.shape)

    def __repr__(self):
        return "TensorSpec(shape=%s, dtype=%r, name=%r)" % (self.shape, self.dtype, self.name)


_NO_ARGS = ("no arguments",)


class _TraceScope:
    """Sees every Variable touched while tracing."""

    def __init__(self, lifted, allow_create):
        self.lifted = {v._uid for v in lifted}
        self.missing = []
        self.created = []
        self.touched = {}       # uid -> (var, original value)
        self.allow_create = allow_create

    def _touch(self, var):
        uid = var._uid
        if uid not in self.touched:
            self.touched[uid] = (var, var._value)
        if uid not in self.lifted and all(var is not m for m in self.missing):
            self.missing.append(var)

    def on_read(self, var):
        self._touch(var)

    def on_write(self, var):
        self._touch(var)

    def on_create(self, var):
        """Called once the new Variable holds its initial value."""
        if not self.allow_create:
            raise ValueError(_CREATE_ERROR)
        self.created.append((var, var._value))
        self.touched[var._uid] = (var, var._value)
        self.lifted.add(var._uid)  # its final value is restored to the initial one after tracing


def _is_tensor(x):
    return isinstance(x, EagerTensor)


def _leaf_key(x):
    if isinstance(x, EagerTensor):
        return ("T", tuple(x._value.shape), x._dtype.name)
    if isinstance(x, (np.ndarray, np.generic)):
        return ("T", tuple(np.shape(x)), str(np.asarray(x).dtype))
    if hasattr(x, "_tape_variable"):
        return ("V", id(x))
    try:
        hash(x)
        return ("P", type(x).__name__, x)
    except TypeError:
        return ("O", id(x))


class _Concrete:
    """One traced signature: the jitted computation and how to map values in and out."""

    __slots__ = ("jitted", "lifted", "out_tree", "out_static", "n_out", "kernel", "out_dtypes",
                 "single")


class Function:
    """A `jaxtape.function`-decorated callable."""

    def __init__(self, fn, input_signature=None, reduce_retracing=False, jit_compile=None,
                 autograph=True, experimental_relax_shapes=None, name=None, **kwargs):
        self._fn = fn
        self._input_signature = input_signature
        self._cache: dict = {}
        self._trace_count = 0
        self._first_trace_done = False
        functools.update_wrapper(self, fn)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        bound = self.__dict__.get("_bound_%d" % id(obj))
        if bound is None:
            bound = Function(self._fn.__get__(obj, objtype), self._input_signature)
            self.__dict__["_bound_%d" % id(obj)] = bound
        return bound

    @property
    def python_function(self):
        return self._fn

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function has been traced."""
        return self._trace_count

    def get_concrete_function(self, *args, **kwargs):
        return self._concrete(*self._flatten(args, kwargs)[:2])

    # -- calling ----------------------------------------------------------------------------
    def _flatten(self, args, kwargs):
        if self._input_signature is not None:
            args = list(args)
            for i, (a, spec) in enumerate(zip(args, self._input_signature)):
                if isinstance(spec, TensorSpec):
                    from jaxtape._src.convert import convert_to_tensor
                    t = convert_to_tensor(a, dtype=spec.dtype) if not _is_tensor(a) else a
                    if t.dtype is not spec.dtype or not spec.shape.is_compatible_with(t.shape):
                        raise TypeError(
                            "Binding inputs to tf.function failed: argument %d (%r) does not "
                            "match input_signature %r." % (i, t, spec))
                    args[i] = t
            args = tuple(args)
        structure = (args, kwargs)
        leaves = nest.flatten(structure)
        if not leaves and not args and not kwargs:
            return _NO_ARGS, structure, leaves
        key = (tuple(_leaf_key(x) for x in leaves), _treedef(structure))
        return key, structure, leaves

    def __call__(self, *args, **kwargs):
        if not args and not kwargs and self._input_signature is None:
            conc = self._cache.get(_NO_ARGS)
            if conc is not None:
                return self._run(conc, ())
        key, structure, leaves = self._flatten(args, kwargs)
        conc = self._cache.get(key)
        tensors = [x if _is_tensor(x) else make(jnp.asarray(x), _dt.as_dtype(np.asarray(x).dtype))
                   for x in leaves if _is_tensor(x) or isinstance(x, (np.ndarray, np.generic))]
        if conc is None:
            return self._trace_and_call(key, structure, leaves, tensors)
        return self._run(conc, tensors)

    def _run(self, conc, tensors):
        lifted = conc.lifted
        var_vals = [v._value for v in lifted]
        refcount = sys.getrefcount
        for i in range(len(var_vals)):
            # 3 = the Variable, the list, getrefcount's argument: anything more is a live
            # snapshot that donation would invalidate, so that buffer goes in as a copy.
            if refcount(var_vals[i]) > 3:
                var_vals[i] = jnp.copy(var_vals[i])
        res = conc.jitted(*var_vals, *[t._value for t in tensors])
        n = conc.n_out
        for v, a in zip(lifted, res[n:]):
            v._value = a
        out_tensors = [make(o, d) for o, d in zip(res[:n], conc.out_dtypes)]
        if STATE.tapes:
            self._record(conc, tensors, out_tensors)
        if conc.single:
            return out_tensors[0]
        return _rebuild(conc, out_tensors)

    def _record(self, conc, tensors, outs):
        from jaxtape._src.dispatch import record
        reads = [v._read_as_tensor() for v in conc.lifted]
        record(conc.kernel, None, reads + list(tensors), outs)

    # -- tracing ----------------------------------------------------------------------------
    def _trace_and_call(self, key, structure, leaves, tensors):
        lifted: list = []
        allow_create = not self._first_trace_done
        while True:
            conc, scope = self._trace(structure, leaves, tensors, lifted, allow_create)
            self._first_trace_done = True
            allow_create = False
            new_vars = [v for v in scope.missing + [c for c, _ in scope.created]
                        if all(v is not x for x in lifted)]
            if not new_vars:
                break
            # Variables met for the first time (read, written or created by a lazily building
            # layer or optimizer): trace again with them lifted.
            lifted = lifted + new_vars
        self._cache[key] = conc
        return self._run(conc, tensors)

    def _trace(self, structure, leaves, tensors, lifted, allow_create):
        fn = self._fn
        conc = _Concrete()
        conc.lifted = list(lifted)
        box = {}

        def pure(var_vals, arrays):
            scope = _TraceScope(conc.lifted, allow_create)
            box["scope"] = scope
            saved_trace, saved_tapes = STATE.trace, STATE.tapes
            STATE.trace, STATE.tapes = scope, []
            originals = [v._value for v in conc.lifted]
            try:
                for v, a in zip(conc.lifted, var_vals):
                    v._value = a
                it = iter(arrays)
                new_leaves = []
                for x in leaves:
                    if _is_tensor(x) or isinstance(x, (np.ndarray, np.generic)):
                        t = next(it)
                        new_leaves.append(make(t, dtype_of(t)))
                    else:
                        new_leaves.append(x)
                args, kwargs = nest.pack_sequence_as(structure, new_leaves)
                self._trace_count += 1
                try:
                    out = fn(*args, **kwargs)
                except (jax.errors.TracerBoolConversionError,
                        jax.errors.ConcretizationTypeError) as e:
                    raise TypeError(
                        "A Python `if`/`while`/`bool()` on a tensor value inside "
                        "jaxtape.function cannot be traced. Use jaxtape.cond(pred, true_fn, "
                        "false_fn) or jaxtape.while_loop(cond, body, loop_vars) instead (TF "
                        "converts these with AutoGraph; jaxtape does not).") from e
                flat = nest.flatten(out)
                out_arrays, static = [], []
                for o in flat:
                    if isinstance(o, EagerTensor) or hasattr(o, "_read_as_tensor"):
                        t = o if isinstance(o, EagerTensor) else o._read_as_tensor()
                        out_arrays.append(t._value)
                        static.append(None)
                    else:
                        static.append(("static", o))
                conc.out_tree = out
                conc.out_static = static
                conc.out_dtypes = [dtype_of(a) for a in out_arrays]
                conc.single = isinstance(out, EagerTensor) or hasattr(out, "_read_as_tensor")
                return out_arrays, [v._value for v in conc.lifted]
            finally:
                STATE.trace, STATE.tapes = saved_trace, saved_tapes
                for v, a in zip(conc.lifted, originals):
                    v._value = a
                for uid, (var, orig) in scope.touched.items():
                    if uid not in scope.lifted:
                        var._value = orig
                for var, init in scope.created:
                    if is_tracer(init):
                        raise ValueError(
                            "A tf.Variable created inside jaxtape.function must get an initial "
                            "value that does not depend on the function's arguments or on other "
                            "Variables (got a traced value for %s). Create it outside the "
                            "function, or initialise it with constants." % var.name)
                    var._value = init

        n_vars = len(conc.lifted)

        def flat(*arrays):
            # positional arrays in, one flat tuple out: the cheapest call JAX's C++ path makes
            outs, new_vals = pure(list(arrays[:n_vars]), list(arrays[n_vars:]))
            conc.n_out = len(outs)
            return tuple(outs) + tuple(new_vals)

        jitted = jax.jit(flat, donate_argnums=tuple(range(n_vars)))
        specs = [jax.ShapeDtypeStruct(v._value.shape, v._value.dtype) for v in conc.lifted] + \
            [jax.ShapeDtypeStruct(t._value.shape, t._value.dtype) for t in tensors]
        jitted.lower(*specs)   # traces now, so the scope sees the Variables
        conc.jitted = jitted
        conc.kernel = _FunctionKernel(conc, pure)
        return conc, box["scope"]


def _treedef(structure):
    def shape(x):
        if isinstance(x, dict):
            return ("d", tuple((k, shape(x[k])) for k in sorted(x, key=str)))
        if isinstance(x, (list, tuple)):
            return (type(x).__name__, tuple(shape(v) for v in x))
        return "*"
    return shape(structure)


def _rebuild(conc, out_tensors):
    it = iter(out_tensors)
    flat = [next(it) if s is None else s[1] for s in conc.out_static]
    return nest.pack_sequence_as(conc.out_tree, flat)


class _FunctionKernel:
    """A compiled function called under an eager tape is recorded as one differentiable node."""

    __slots__ = ("conc", "pure", "grad", "diff_args", "multi", "name", "sparse_arg0")
    has_conn = False

    def __init__(self, conc, pure):
        self.conc, self.pure = conc, pure
        self.grad, self.diff_args, self.multi = "diff", None, True
        self.name, self.sparse_arg0 = "PartitionedCall", False

    def impl(self, *arrays):
        n = len(self.conc.lifted)
        return tuple(self.pure(list(arrays[:n]), list(arrays[n:]))[0])

    def connectivity(self, node):
        return None


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None, experimental_autograph_options=None,
             experimental_attributes=None, experimental_relax_shapes=None,
             experimental_compile=None, experimental_follow_type_hints=None, name=None):
    """`tf.function`: trace once per signature, run as one compiled XLA computation."""
    def deco(f):
        return Function(f, input_signature=input_signature, reduce_retracing=reduce_retracing,
                        jit_compile=jit_compile, autograph=autograph)
    return deco if func is None else deco(func)


_ = Variable
