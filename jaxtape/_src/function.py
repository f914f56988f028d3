"""`jaxtape.function` (TF's `tf.function`): compile a whole stateful TF-style step with `jax.jit`.

How a call works:

* The arguments are flattened; tensors are keyed by (shape, dtype), Variables by identity, other
  Python values by value — a new key is a new trace, as TF retraces.
* A trace runs the Python function once (so its Python side effects run once per trace, as in
  TF) under `jax.make_jaxpr`, tensors as tracers.  Variables are found the way TF captures them,
  by use, with no list passed: for the trace every live Variable holds a fresh *alias* of its
  array (a new `jax.Array` object over the same buffer).  An alias that ends up a constant of the
  traced computation is a Variable the step reads; a Variable whose value is no longer its alias
  was written.  The step then runs as ONE `jax.jit` computation over the Variables' values at
  call time: read Variables are inputs, written ones inputs (donated: XLA updates the buffers in
  place) and outputs, written back after the call.
* A trace that creates Variables (a Keras layer building lazily) runs again, as TF's does, and
  creating one in a later trace raises TF's ValueError.  Variables created under `init_scope`
  (Keras optimizers build their slots so) are eager Variables and need no second trace.
* A random op inside keeps TF's per-op kernel state: its Philox counter is an input of the
  computation, advanced after every call and reset by `tf.random.set_seed`.
* Donation deletes the donated buffer: a Variable whose current array is still held elsewhere (a
  `read_value()` snapshot, a tape) is passed as a copy, so no live Tensor is invalidated.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import sys
import weakref

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import ClosedJaxpr, Literal, jaxpr_as_fun, jaxprs_in_params

from jaxtape._src import dtypes as _dt
from jaxtape._src import lazy, nest
from jaxtape._src.config import RUN_EAGERLY
from jaxtape._src.context import EXEC_LOCK, STATE
from jaxtape._src.dispatch import NUMERICS, dtype_of
from jaxtape._src.indexed_slices import IndexedSlices
from jaxtape._src.numerics import check_values
from jaxtape._src.ops.script_ops import NeedEagerRun
from jaxtape._src.shape import TensorShape
from jaxtape._src.tensor import EagerTensor, is_tracer, make
from jaxtape._src.variables import live_variables

_CREATE_ERROR = (
    "tf.function only supports singleton tf.Variables created on the first call. "
    "Make sure the tf.Variable is only created once or created outside tf.function."
)
_LATER_CREATE_ERROR = (
    "Creating variables on a non-first call to a function decorated with tf.function."
)


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
MAX_TRACES = 64  # per function; the oldest traces beyond it are released


def _alias(value, taken):
    """A new Python object for the same array: a `jax.Array` over the same buffers (no copy),
    none of whose ids is in `taken`."""
    if not isinstance(value, jax.Array):
        return jnp.array(value)
    if len(value.sharding.device_set) == 1:
        a = value.addressable_data(0)  # cheap, but JAX caches it: one per array
        if id(a) not in taken:
            return a
    # Variables sharing one array (`tf.Variable(v)`) each need their own alias
    return jax.make_array_from_single_device_arrays(
        value.shape, value.sharding, [s.data for s in value.addressable_shards]
    )


class _TraceScope:
    """What one trace sees: the Variables it reads, writes and creates, and its random ops."""

    def __init__(self, allow_create, lifted=(), first_call=True):
        self.allow_create = allow_create
        self.first_call = first_call  # False: a trace for a later call (a new signature)
        self.created_state = False  # Keras state built lazily (optimizer slots)
        self.lifted = {v._uid for v in lifted}
        self.created = []  # (var, initial value): plain Variables this trace created
        self.aliases = {}  # id(alias) -> (var, alias)
        self.saved = []  # (var, value before the trace, alias), in the order first seen
        self.written = set()  # uids this trace assigned
        self.rng = {}  # id(counter placeholder) -> (index, placeholder)
        self.rng_reserve = []  # counters each random op reserves per call
        self.op_seeds = 0  # TF: a graph's unseeded random ops get op seeds 0, 1, 2, ...
        self.shapes = {}  # id(value of tf.shape(x)) -> (value, x's symbolic dims)
        self.graph = None  # a tape recording every op (functions calling tf.gradients)

    def enter(self, lifted, values):
        for var, value in zip(lifted, values):
            self.saved.append((var, var._value, value))
            var._value = value
        for var in live_variables():
            if var._uid not in self.lifted:
                self._alias(var)

    def _alias(self, var):
        value = var._value
        if is_tracer(value):
            return
        a = _alias(value, self.aliases)
        self.aliases[id(a)] = (var, a)
        self.saved.append((var, value, a))
        var._value = a

    def after_init_scope(self):
        """A Variable assigned under `init_scope` keeps its new value (an eager write) and the
        step goes on reading it at call time: it gets a fresh alias."""
        for j, (var, before, a) in enumerate(self.saved):  # noqa: B007
            value = var._value
            if value is a or is_tracer(value) or id(a) not in self.aliases:
                continue
            del self.aliases[id(a)]
            a2 = _alias(value, self.aliases)
            self.aliases[id(a2)] = (var, a2)
            self.saved[j] = (var, value, a2)
            var._value = a2

    def is_symbolic(self, x) -> bool:
        return id(x) in self.aliases or id(x) in self.rng

    def remember_shape(self, value, dims):
        self.shapes[id(value)] = (value, dims)

    def shape_of(self, tensor):
        """The dims a traced `tf.shape(x)` stands for (None for any other tensor)."""
        hit = self.shapes.get(id(getattr(tensor, "_value", None)))
        return None if hit is None else hit[1]

    def on_write(self, var):
        self.written.add(var._uid)

    def on_create(self, var):
        """Called once the new Variable holds its initial value."""
        if not self.allow_create:
            raise ValueError(_CREATE_ERROR if self.first_call else _LATER_CREATE_ERROR)
        self.created.append((var, var._value))

    def on_lazy_state(self):
        """Keras builds state (optimizer slots) lazily, under `init_scope`; TF counts it as the
        trace creating Variables: the first call traces again, a later call raises."""
        if not self.allow_create:
            raise ValueError(_CREATE_ERROR if self.first_call else _LATER_CREATE_ERROR)
        self.created_state = True

    def on_eager_create(self, var):
        """A Variable created under `init_scope`: an eager Variable the trace reads."""
        self._alias(var)

    def rng_counter(self, reserve: int):
        """A random op's Philox counter for this call: a placeholder that becomes an input."""
        with jax.ensure_compile_time_eval():
            placeholder = jax.device_put(np.zeros((), np.uint64))
        self.rng[id(placeholder)] = (len(self.rng_reserve), placeholder)
        self.rng_reserve.append(reserve)
        return placeholder

    def next_op_seed(self) -> int:
        self.op_seeds += 1
        return self.op_seeds - 1

    def variable_values(self) -> dict:
        out = {var._uid: (var, var._value) for var, _, _ in self.saved}
        out.update((var._uid, (var, var._value)) for var, _ in self.created)
        return out

    def changed(self) -> list:
        """The Variables this trace wrote, in the order first seen."""
        return [
            var
            for var, _, a in self.saved
            if var._value is not a and (var._uid in self.written or is_tracer(var._value))
        ]

    def exit(self):
        for var, before, a in reversed(self.saved):
            # a Variable another thread assigned meanwhile keeps that value
            if var._value is a or var._uid in self.written or is_tracer(var._value):
                var._value = before
        for var, init in self.created:
            if is_tracer(init):
                raise ValueError(
                    "A tf.Variable created inside jaxtape.function must get an initial value "
                    "that does not depend on the function's arguments or on other Variables (got "
                    "a traced value for %s). Create it outside the function, or initialise it "
                    "with constants." % var.name
                )
            if is_tracer(var._value):
                var._value = init
            # (a concrete value set meanwhile stays: a checkpoint's deferred restoration)


@contextlib.contextmanager
def init_scope():
    """`tf.init_scope`: run the block eagerly even while `jaxtape.function` traces (TF lifts it
    out of the graph), with tapes paused.  A Variable created inside is an ordinary eager
    Variable, read by the step at call time; its creation causes no second trace."""
    saved = STATE.trace, STATE.tapes, STATE.init_owner
    scope = STATE.trace
    STATE.init_owner = STATE.trace or STATE.init_owner
    STATE.trace, STATE.tapes = None, []
    try:
        if scope is None:
            yield
        else:
            # ops on concrete values run now, not staged into the trace: the block runs once,
            # at trace time, as TF lifts it out of the graph
            with jax.ensure_compile_time_eval():
                yield
    finally:
        STATE.trace, STATE.tapes, STATE.init_owner = saved
        if scope is not None:
            scope.after_init_scope()


def _fast_key(args):
    """The key of a call whose arguments are all tensors: their shapes and dtypes (None if
    another kind of argument is among them)."""
    key = []
    for a in args:
        if type(a) is not EagerTensor:
            return None
        key.append((a._value.shape, a._dtype._name))
    return tuple(key)


def _variable_aliasing(keys, leaves):
    """Variable arguments' keys, each with the position of the first argument that is the same
    Variable: f(v, v) and f(v, w) are different traces."""
    first: dict = {}
    return tuple(
        k + (first.setdefault(id(x), i),) if k[0] == "V" else k
        for i, (k, x) in enumerate(zip(keys, leaves))
    )


def _rebind(conc, arg_vars):
    """`conc` running on other Variables of the same shapes and dtypes (None when a new one
    is also used directly by the step: its value would be passed twice)."""
    swap = {old._uid: new for old, new in zip(conc.arg_vars, arg_vars)}
    donated = [swap.get(v._uid, v) for v in conc.donated]
    readonly = [swap.get(v._uid, v) for v in conc.readonly]
    uids = [v._uid for v in donated + readonly]
    if len(set(uids)) != len(uids):
        return None
    new = _Concrete()
    for slot in _Concrete.__slots__:
        if slot != "__weakref__":
            setattr(new, slot, getattr(conc, slot))
    new.donated, new.readonly, new.arg_vars, new.rebound = donated, readonly, arg_vars, {}
    new.kernel = _FunctionKernel(new, conc.kernel.n_vars, conc.kernel.n_tensors)
    new.source, new.run = _runner(new)
    return new


def _python_signature(fn):
    """(inspect.Signature or None, arity when every parameter is positional without a default:
    calls with exactly that many positional arguments need no binding)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None, None
    plain = all(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        for p in sig.parameters.values()
    )
    return sig, len(sig.parameters) if plain else None


def _literal_values(jaxpr):
    """ids of the constants a jaxpr inlined as literals (newer JAX inlines some arrays)."""
    out = set()
    for eqn in jaxpr.eqns:
        out.update(id(v.val) for v in eqn.invars if isinstance(v, Literal))
        for sub in jaxprs_in_params(eqn.params):
            out |= _literal_values(getattr(sub, "jaxpr", sub))
    out.update(id(v.val) for v in jaxpr.outvars if isinstance(v, Literal))
    return out


def _is_tensor(x):
    return isinstance(x, EagerTensor)


# arguments that become tensors of the step, keyed by shape and dtype (TF: NumPy arrays; and
# JAX arrays, which a JAX user passes as TF users pass NumPy ones)
_ARRAYS = (np.ndarray, np.generic, jax.Array)


def _leaf_key(x):
    if isinstance(x, EagerTensor):
        return ("T", tuple(x._value.shape), x._dtype.name)
    if isinstance(x, _ARRAYS):
        return ("T", tuple(np.shape(x)), str(x.dtype))
    if hasattr(x, "_tape_variable"):  # TF: a Variable argument is keyed by shape and dtype
        return ("V", tuple(x._value.shape), x._dtype.name)
    try:
        hash(x)
        return ("P", type(x).__name__, x)
    except TypeError:
        return ("O", id(x))


# -- signatures with open (None) dimensions ---------------------------------------------------
# A call's key is (leaf keys, nesting).  A signature with open dimensions adds a third entry:
# the equalities assumed between open dimensions of different tensors — those of equal size in
# the call that traced it — so `x - y` of two [None] inputs of one batch traces (equal open
# dimensions are one JAX symbolic dimension, others distinct symbols).  A call fits a
# signature when its sizes satisfy those equalities.


def _relaxed_leaf(key, dims):
    """A tensor's leaf key with the dimensions a TensorSpec leaves open set to None."""
    if key[0] != "T":
        return key
    if dims is None:  # TensorSpec(shape=None): every dimension open
        dims = [None] * len(key[1])
    return ("T", tuple(dims), key[2])


def _open_dims(relaxed, concrete):
    """(size, leaf index) of each open dimension in this call, in leaf order."""
    return [
        (c, i)
        for i, (r, k) in enumerate(zip(relaxed, concrete))
        if r[0] == "T"
        for d, c in zip(r[1], k[1])
        if d is None
    ]


def _signature(relaxed, key):
    """The signature with open dimensions for this call (its key if none is open)."""
    dims = _open_dims(relaxed, key[0])
    if not dims or any(c == 0 for c, _ in dims):  # JAX's symbolic dimensions are >= 1
        return key
    classes = []
    for j, (c, leaf) in enumerate(dims):
        classes.append(
            next(
                (
                    i
                    for i, (c2, leaf2) in enumerate(dims[:j])
                    if c2 == c and leaf2 != leaf and classes[i] == i
                ),
                j,
            )
        )
    return (relaxed, key[1], tuple(classes))


def _fits(sig_leaf, leaf):
    if sig_leaf[0] != "T" or leaf[0] != "T":
        return sig_leaf == leaf
    return (
        sig_leaf[2] == leaf[2]
        and len(sig_leaf[1]) == len(leaf[1])
        and all(d is None or d == c for d, c in zip(sig_leaf[1], leaf[1]))
    )


def _covering(traced, key):
    """The latest signature with open dimensions that the call `key` fits."""
    keys, treedef = key
    for sig in reversed(traced):
        sig_keys, sig_treedef, classes = sig
        if (
            sig_treedef == treedef
            and len(sig_keys) == len(keys)
            and all(_fits(s, k) for s, k in zip(sig_keys, keys))
        ):
            sizes = [c for c, _ in _open_dims(sig_keys, keys)]
            if 0 not in sizes and all(sizes[i] == sizes[c] for i, c in enumerate(classes)):
                return sig
    return None


def _generalize(cache, key):
    """TF's `reduce_retracing` step: the signature covering the call `key` and the last trace
    of the same structure (same nesting, Python values and dtypes): dimensions that differ are
    open; a different rank opens them all (TF: unknown rank; JAX needs the rank)."""
    keys, treedef = key
    for sig in reversed(list(cache)):
        if sig is _NO_ARGS or sig[1] != treedef or len(sig[0]) != len(keys):
            continue
        if not all(s == k or (s[0] == k[0] == "T" and s[2] == k[2]) for s, k in zip(sig[0], keys)):
            continue
        relaxed = tuple(
            k
            if k[0] != "T"
            else ("T", tuple(a if a == b else None for a, b in zip(s[1], k[1])), k[2])
            if len(s[1]) == len(k[1])
            else ("T", (None,) * len(k[1]), k[2])
            for s, k in zip(sig[0], keys)
        )
        sig = _signature(relaxed, key)
        return sig if len(sig) == 3 else None
    return None


def _symbolic_specs(key, tensors):
    """The traced tensors' specs for a signature with open dimensions (None otherwise)."""
    if len(key) != 3:
        return None
    relaxed, _, classes = key
    distinct = sorted(set(classes))
    symbols = dict(zip(distinct, jax.export.symbolic_shape(", ".join("d%d" % c for c in distinct))))
    it = iter(classes)
    shapes = [
        tuple(symbols[next(it)] if d is None else d for d in leaf[1])
        for leaf in relaxed
        if leaf[0] == "T"
    ]
    return [jax.ShapeDtypeStruct(shape, t._value.dtype) for shape, t in zip(shapes, tensors)]


class _Concrete:
    """One traced signature: the jitted computation and how to map values in and out."""

    __slots__ = (
        "jitted",
        "donated",
        "readonly",
        "n_out",
        "out_tree",
        "out_static",
        "out_dtypes",
        "single",
        "kernel",
        "evaluate",
        "rng_reserve",
        "rng_counts",
        "rng_epoch",
        "run",
        "n_tensors",
        "source",
        "base",
        "arg_pos",
        "arg_vars",
        "rebound",
        "__weakref__",
    )


class _SymbolicTensor:
    """What a concrete function's `structured_outputs` holds: a traced output's shape and
    dtype (TF: a graph tensor)."""

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype, name):
        self.shape, self.dtype, self.name = shape, dtype, name

    def __repr__(self):
        return "<tf.Tensor '%s' shape=%s dtype=%s>" % (self.name, self.shape, self.dtype.name)


_SymbolicTensor.__name__ = _SymbolicTensor.__qualname__ = "SymbolicTensor"


class ConcreteFunction:
    """`tf.types.experimental.ConcreteFunction`: one traced signature of a function.  Calling it
    calls the function (which dispatches to this trace for these shapes)."""

    def __init__(self, function, conc):
        self._function, self._conc = function, conc

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)

    def _outputs(self, leaf):
        def each(o):
            t = (
                o
                if isinstance(o, EagerTensor)
                else (o._read_as_tensor() if hasattr(o, "_read_as_tensor") else None)
            )
            return leaf(t) if t is not None else o

        tree = self._conc.out_tree
        return (
            nest.map_structure(each, tree) if isinstance(tree, (list, tuple, dict)) else each(tree)
        )

    @property
    def structured_outputs(self):
        count = [0]

        def symbolic(t):
            i, count[0] = count[0], count[0] + 1
            return _SymbolicTensor(
                TensorShape(list(t._value.shape)),
                t._dtype,
                "Identity:0" if i == 0 else "Identity_%d:0" % i,
            )

        return self._outputs(symbolic)

    @property
    def output_dtypes(self):
        return self._outputs(lambda t: t._dtype)

    @property
    def output_shapes(self):
        return self._outputs(lambda t: TensorShape(list(t._value.shape)))

    @property
    def function_type(self):
        return self._function

    def __repr__(self):
        return "<ConcreteFunction %s>" % getattr(self._function._fn, "__name__", "function")


class Function:
    """A `jaxtape.function`-decorated callable."""

    def __init__(
        self,
        fn,
        input_signature=None,
        reduce_retracing=False,
        jit_compile=None,
        autograph=True,
        experimental_relax_shapes=None,
        name=None,
        **kwargs,
    ):
        self._fn = fn
        self._autograph, self._converted = autograph, None
        if input_signature is not None:
            if not isinstance(input_signature, (list, tuple)) or not all(
                isinstance(s, TensorSpec) for s in nest.flatten(list(input_signature))
            ):
                raise TypeError(
                    "input_signature must be either a tuple or a list of "
                    "tf.TensorSpec objects, got %r." % (input_signature,)
                )
        self._input_signature = input_signature
        self._reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
        self._cache: dict = {}
        self._relaxed: list = []  # signatures traced with unknown (None) dimensions
        self._concrete_only = False  # set when a trace with unknown dimensions failed
        self._trace_count = 0
        self._detector = _tracing_detector(fn)
        self._record_graph = False
        self._first_trace_done = False
        self._run_no_args = None
        self._fast: dict = {}  # ((shape, dtype), ...) of all-tensor calls -> trace
        self._signature, self._plain_arity = _python_signature(fn)
        functools.update_wrapper(self, fn)

    def __get__(self, obj, objtype=None):
        """The method bound to `obj`, with its own traces.  It is kept on the instance, so it
        lives exactly as long as the instance does (TF keeps it weakly too)."""
        if obj is None:
            return self
        slot = "_tf_function_%d" % id(self)
        own = getattr(obj, "__dict__", None)
        bound = own.get(slot) if own is not None else self.__dict__.get("_bound_%d" % id(obj))
        if bound is None:
            bound = Function(
                self._fn.__get__(obj, objtype),
                self._input_signature,
                reduce_retracing=self._reduce_retracing,
                autograph=self._autograph,
            )
            if own is not None:
                own[slot] = bound
            else:  # an object without a __dict__ (slots): kept here, as long as this function
                self.__dict__["_bound_%d" % id(obj)] = bound
        return bound

    @property
    def python_function(self):
        return self._fn

    def _python(self):
        """The function as traced: with `autograph` (TF's default) its `if` and `while`
        statements on tensors converted (autograph.py)."""
        if self._converted is None:
            from jaxtape._src import autograph

            self._converted = autograph.convert(self._fn) if self._autograph else self._fn
        return self._converted

    def experimental_get_tracing_count(self) -> int:
        """How many times the Python function has been traced."""
        return self._trace_count

    def get_concrete_function(self, *args, **kwargs):
        """Trace for these arguments (if not yet); the function itself then calls that trace.
        With an `input_signature`, no arguments are needed (TF traces the signature)."""
        from jaxtape._src.ops.array_ops import zeros

        def placeholder(spec):
            return zeros([1 if d is None else d for d in (spec.shape.dims or [])], spec.dtype)

        if not args and not kwargs and self._input_signature:
            args = tuple(placeholder(spec) for spec in self._input_signature)
        # a TensorSpec argument stands for a tensor of its shape and dtype
        args = nest.map_structure(
            lambda a: placeholder(a) if isinstance(a, TensorSpec) else a, list(args)
        )
        kwargs = {k: placeholder(v) if isinstance(v, TensorSpec) else v for k, v in kwargs.items()}
        key, structure, leaves, relaxed = self._flatten(tuple(args), kwargs)
        with EXEC_LOCK:
            conc = self._cache.get(key)
            if conc is None:
                conc = self._lookup_or_trace(key, structure, leaves, _tensors(leaves), relaxed)
        return ConcreteFunction(self, conc)

    def experimental_get_compiler_ir(self, *args, **kwargs):
        """TF's `f.experimental_get_compiler_ir(*args)(stage="hlo")`: the XLA program one call
        with these arguments runs, as text.  Stages: `"hlo"` (as traced) and
        `"optimized_hlo"` (after XLA's passes: fusions, collectives)."""
        key, structure, leaves, relaxed = self._flatten(tuple(args), kwargs)
        tensors = _tensors(leaves)
        with EXEC_LOCK:
            conc = self._cache.get(key)
            if conc is None:
                conc = self._lookup_or_trace(key, structure, leaves, tensors, relaxed)
            if conc.arg_pos:
                conc = self._for_variables(conc, key, structure, leaves, tensors)
        arrays = (
            [v._value for v in conc.donated]
            + [v._value for v in conc.readonly]
            + [t._value for t in tensors]
            + ([np.zeros(len(conc.rng_reserve), np.uint64)] if conc.rng_reserve is not None else [])
        )

        def ir(stage="hlo", device_name=None, platform_name=None):
            lowered = conc.jitted.lower(*arrays)
            if stage == "hlo":
                return lowered.as_text(dialect="hlo")
            if stage == "optimized_hlo":
                return lowered.compile().as_text()
            raise ValueError(
                "Unsupported stage %r: jaxtape gives 'hlo' and 'optimized_hlo'." % (stage,)
            )

        return ir

    # -- calling ----------------------------------------------------------------------------
    def _flatten(self, args, kwargs):
        """(key, structure, leaves, open): the call's cache key — each leaf's key (a tensor's
        is ("T", shape, dtype)) and the nesting — and, under an `input_signature`, the leaf
        keys with the dimensions its TensorSpecs leave open set to None."""
        given = args, kwargs
        if (kwargs or len(args) != self._plain_arity) and self._signature is not None:
            # TF binds a call to the Python signature first: f(x, True), f(x, flag=True) and
            # f(x) with flag=True by default are one trace
            try:
                bound = self._signature.bind(*args, **kwargs)
            except TypeError as e:
                if self._input_signature is None:
                    raise
                raise self._binding_error(str(e), given) from None
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        open_dims = {}
        if self._input_signature is not None:
            if len(args) > len(self._input_signature):
                raise self._binding_error("too many positional arguments", given)
            args = list(args)
            for i, (a, spec) in enumerate(zip(args, self._input_signature)):
                if isinstance(spec, TensorSpec):
                    from jaxtape._src.convert import convert_to_tensor

                    t = convert_to_tensor(a, dtype=spec.dtype) if not _is_tensor(a) else a
                    if t.dtype is not spec.dtype or not spec.shape.is_compatible_with(t.shape):
                        raise self._binding_error(
                            "Can not cast %r to %r" % (TensorSpec(t.shape, t.dtype), spec), given
                        )
                    args[i] = t
                    open_dims[id(t)] = spec.shape.dims
            args = tuple(args)
        structure = (args, kwargs)
        leaves = nest.flatten(structure)
        if not leaves and not args and not kwargs:
            return _NO_ARGS, structure, leaves, None
        keys = tuple(_leaf_key(x) for x in leaves)
        if any(k[0] == "V" for k in keys):
            keys = _variable_aliasing(keys, leaves)
        relaxed = None
        if open_dims:
            relaxed = tuple(
                _relaxed_leaf(k, open_dims[id(x)]) if id(x) in open_dims else k
                for x, k in zip(leaves, keys)
            )
        return (keys, _treedef(structure)), structure, leaves, relaxed

    def _binding_error(self, reason, given):
        """TF's TypeError for a call its input_signature does not accept."""
        names = list(self._signature.parameters) if self._signature is not None else []
        names += ["arg%d" % i for i in range(len(names), len(self._input_signature))]
        signature = ", ".join("%s: %r" % (n, spec) for n, spec in zip(names, self._input_signature))
        return TypeError(
            "Binding inputs to tf.function failed due to `%s`. Received args: %r and kwargs: %r "
            "for signature: (%s)." % (reason, tuple(given[0]), given[1], signature)
        )

    def __call__(self, *args, **kwargs):
        if STATE.trace is not None:
            # called while another function traces: inlined into that trace, as TF inlines
            return self._python()(*args, **kwargs)
        if RUN_EAGERLY["enabled"]:  # tf.config.run_functions_eagerly(True)
            return self._fn(*args, **kwargs)
        if lazy.ON[0]:  # pending lazy eager work runs first (a step reads and donates state)
            lazy.settle()
        # One step at a time across threads, and never while another thread traces: a step
        # donates its Variables' buffers, and a trace swaps Variables for aliases (TF's resource
        # variables serialise updates the same way).  Uncontended, the lock costs ~0.1 us.
        traces = self._trace_count
        with EXEC_LOCK:
            try:
                out = self._call(args, kwargs)
            except NeedEagerRun:
                # a tf.numpy_function / py_function whose result shapes are not known yet: this
                # call runs eagerly and learns them; the next one traces (script_ops.py)
                self._trace_count -= 1  # the abandoned trace does not count
                out = self._fn(*args, **kwargs)
            except jax.errors.JaxRuntimeError as e:
                raise _runtime_error(e) from e
        if traces == self._trace_count:
            self._detector.called_without_tracing()
        else:
            self._detector.called_with_tracing(self._fn)
        if NUMERICS["enabled"]:
            # TF checks a function call's outputs as those of one eager op
            check_values(
                "__inference_%s" % getattr(self._fn, "__name__", "function"),
                [t._value for t in nest.flatten(out) if isinstance(t, EagerTensor)],
            )
        return out

    def _call(self, args, kwargs):
        if not kwargs:
            # the common calls, kept short: step() and step(x, y) with tensors seen before
            if not args:
                if self._run_no_args is not None:
                    return self._run_no_args(())
            elif len(args) == self._plain_arity:
                fast = _fast_key(args)
                conc = self._fast.get(fast)
                if conc is not None:
                    return conc.run(args)
        key, structure, leaves, relaxed = self._flatten(args, kwargs)
        conc = self._cache.get(key)
        tensors = _tensors(leaves)
        if conc is None:
            conc = self._lookup_or_trace(key, structure, leaves, tensors, relaxed)
        if conc.arg_pos:
            conc = self._for_variables(conc, key, structure, leaves, tensors)
        elif not kwargs and args and len(args) == self._plain_arity:
            fast = _fast_key(args)
            if fast is not None:
                self._fast[fast] = conc
        return conc.run(tensors)

    def _for_variables(self, conc, key, structure, leaves, tensors):
        """The trace `conc` for this call's Variable arguments.  As in TF, Variables of one
        shape and dtype share a trace: the compiled step is reused with the call's Variables
        (only one that the step also uses directly, e.g. from a closure, needs a trace of
        its own)."""
        arg_vars = tuple(leaves[i] for i in conc.arg_pos)
        if all(a is b for a, b in zip(arg_vars, conc.arg_vars)):
            return conc
        ids = tuple(map(id, arg_vars))
        hit = conc.rebound.get(ids)
        if hit is not None and all(a is b for a, b in zip(arg_vars, hit.arg_vars)):
            return hit
        new = _rebind(conc, arg_vars)
        if new is None:
            own = key[:1] + ((key[1], ids),) + key[2:]
            new = self._cache.get(own) or self._trace_with(own, structure, leaves, tensors, None)
        if len(conc.rebound) >= 64:
            conc.rebound.clear()
        conc.rebound[ids] = new
        return new

    def _lookup_or_trace(self, key, structure, leaves, tensors, relaxed):
        """A call whose exact shapes are new.  A signature with open (None) dimensions covering
        it is reused; else, as in TF, an `input_signature` traces once for all the shapes its
        TensorSpecs allow, and `reduce_retracing` traces for the most specific signature
        covering this call and the last trace of the same structure (dimensions that differ
        become None).  Otherwise a new shape is a new trace."""
        sig = key
        if key is not _NO_ARGS and not self._concrete_only:
            if relaxed is not None:
                sig = _covering(self._relaxed, key) or _signature(relaxed, key)
            elif self._reduce_retracing:
                sig = _covering(self._relaxed, key) or _generalize(self._cache, key) or key
        conc = self._cache.get(sig)
        if conc is None:
            conc = self._trace_signature(sig, structure, leaves, tensors)
        self._cache[key] = conc
        return conc

    # -- tracing ----------------------------------------------------------------------------
    def _trace_signature(self, key, structure, leaves, tensors):
        shapes = _symbolic_specs(key, tensors)
        if shapes is None:
            return self._trace_with(key, structure, leaves, tensors, None)
        # open dimensions trace as JAX symbolic dimensions (a tensor's TensorShape shows None);
        # a program JAX cannot trace so (an op needing a known size) is traced per shape
        count = self._trace_count
        try:
            conc = self._trace_with(key, structure, leaves, tensors, shapes)
        except Exception:
            self._trace_count = count
            concrete = (
                _variable_aliasing(tuple(_leaf_key(x) for x in leaves), leaves),
                _treedef(structure),
            )
            conc = self._cache.get(concrete) or self._trace_with(
                concrete, structure, leaves, tensors, None
            )  # raises the user's own error
            self._concrete_only = True
            return conc
        self._relaxed.append(key)
        return conc

    def _trace_with(self, key, structure, leaves, tensors, shapes):
        lifted: list = []
        allow_create = first_call = not self._first_trace_done
        while True:
            closed, scope, info = self._trace(
                structure, leaves, tensors, lifted, allow_create, shapes, first_call
            )
            self._first_trace_done = True
            allow_create = False
            literal = _literal_values(closed.jaxpr)
            inlined = [var for i, (var, _) in scope.aliases.items() if i in literal]
            if scope.created or scope.created_state or inlined:
                # TF traces again when the first trace created Variables (a second creation then
                # raises); a Variable whose array JAX inlined as a literal is lifted to an input
                lifted = lifted + inlined
                continue
            break
        conc = _finalize(closed, scope, info, lifted, len(tensors), shapes)
        conc.arg_pos = tuple(i for i, x in enumerate(leaves) if hasattr(x, "_tape_variable"))
        conc.arg_vars = tuple(leaves[i] for i in conc.arg_pos)
        self._cache[key] = conc
        if key is _NO_ARGS:
            self._run_no_args = conc.run
        self._evict()
        return conc

    def _evict(self):
        """Keep the `MAX_TRACES` newest traces: an older one (its compiled executable, its
        jaxpr) is released and traced again if its signature comes back.  TF keeps every
        trace, but a TF trace is a graph, not a compiled executable (~2 MB on a CPU here)."""
        order, seen = [], set()
        for c in self._cache.values():
            if id(c) not in seen:
                seen.add(id(c))
                order.append(c)
        if len(order) <= MAX_TRACES:
            return
        drop = {id(c) for c in order[: len(order) - MAX_TRACES]}
        self._cache = {k: c for k, c in self._cache.items() if id(c) not in drop}
        self._fast = {k: c for k, c in self._fast.items() if id(c) not in drop}
        self._relaxed = [k for k in self._relaxed if k in self._cache]
        if _NO_ARGS not in self._cache:
            self._run_no_args = None

    def _trace(self, structure, leaves, tensors, lifted, allow_create, shapes, first_call=True):
        fn = self._python()
        scope = _TraceScope(allow_create, lifted, first_call)
        info = {}

        def pure(var_arrays, arrays):
            saved_trace, saved_tapes = STATE.trace, STATE.tapes
            STATE.trace, STATE.tapes = scope, []
            graph = None
            try:
                scope.enter(lifted, var_arrays)
                if self._record_graph:
                    # tf.gradients needs the graph: record every op of the trace, as TF's graph
                    # holds them (only functions that call tf.gradients pay for it)
                    from jaxtape._src.tape import GradientTape

                    graph = scope.graph = GradientTape(persistent=True)
                    graph.__enter__()
                    graph._recorder.all = True
                it = iter(arrays)
                new_leaves = [
                    _make_traced(next(it)) if _is_tensor(x) or isinstance(x, _ARRAYS) else x
                    for x in leaves
                ]
                args, kwargs = nest.pack_sequence_as(structure, new_leaves)
                self._trace_count += 1
                try:
                    out = fn(*args, **kwargs)
                except (
                    jax.errors.TracerBoolConversionError,
                    jax.errors.ConcretizationTypeError,
                ) as e:
                    raise TypeError(
                        "A Python `bool()` of a tensor value inside jaxtape.function cannot be "
                        "traced. jaxtape converts `if` and `while` statements on tensors (as "
                        "TF's AutoGraph), but not this use (a conditional expression, a loop "
                        "with break/continue/return, a function without source). Use "
                        "jaxtape.cond(pred, true_fn, false_fn), jaxtape.while_loop(cond, body, "
                        "loop_vars) or jaxtape.where instead."
                    ) from e
                out = _outputs_as_tensors(out)
                out_arrays, static = [], []
                for o in nest.flatten(out):
                    if isinstance(o, EagerTensor) or hasattr(o, "_read_as_tensor"):
                        t = o if isinstance(o, EagerTensor) else o._read_as_tensor()
                        out_arrays.append(t._value)
                        static.append(None)
                    elif isinstance(o, IndexedSlices):
                        out_arrays += [o.values._value, o.indices._value, o.dense_shape._value]
                        static.append(("slices",))
                    elif isinstance(o, jax.Array):  # tf.to_jax(...): an output of the step
                        out_arrays.append(o)
                        static.append(("jax",))
                    else:
                        static.append(("static", o))
                written = scope.changed()
                info.update(
                    out=out,
                    static=static,
                    written=written,
                    out_dtypes=[dtype_of(a) for a in out_arrays],
                    single=isinstance(out, EagerTensor) or hasattr(out, "_read_as_tensor"),
                )
                return out_arrays, [v._value for v in written]
            finally:
                if graph is not None:
                    graph.__exit__(None, None, None)
                STATE.trace, STATE.tapes = saved_trace, saved_tapes
                scope.exit()

        var_specs = [jax.ShapeDtypeStruct(v._value.shape, v._value.dtype) for v in lifted]
        specs = shapes or [jax.ShapeDtypeStruct(t._value.shape, t._value.dtype) for t in tensors]
        try:
            closed = jax.make_jaxpr(pure)(var_specs, specs)
        except _NeedGraph:
            # the function calls tf.gradients: trace it again, recording its graph
            self._record_graph = True
            self._trace_count -= 1
            return self._trace(structure, leaves, tensors, lifted, allow_create, shapes, first_call)
        return closed, scope, info


def _outputs_as_tensors(out):
    """TF returns every Python number, bool or string a traced function returns as a Tensor
    (a constant of the compiled step); `None` and other objects come back as they are."""

    def conv(o):
        if isinstance(o, (bool, int, float, complex, str, bytes, np.generic, np.ndarray)):
            from jaxtape._src.convert import convert_to_tensor

            return convert_to_tensor(o)
        return o

    if isinstance(out, (list, tuple, dict)):
        return nest.map_structure(conv, out)
    return conv(out)


def _runtime_error(e):
    """A compiled step that failed while running, as TF's class: a range check of
    `enable_check_indices` (InvalidArgumentError), out of memory (ResourceExhaustedError)..."""
    from jaxtape._src import errors

    text = str(e)
    if "InvalidArgumentError" in text:
        msg = text.split("InvalidArgumentError:", 1)[-1].strip().split("\n", 1)[0]
        return errors.InvalidArgumentError(None, None, msg)
    return errors.translate(e, "__inference_function") or errors.UnknownError(None, None, text)


# TF's frequent-retracing warning, with TF's rule and text: per Python function code object
# (functions made in a loop share one), a warning when 5 of the last 10 calls traced, at most
# twice per code object.
_RETRACE_WARNING = (
    "{} out of the last {} calls to {} triggered tf.function retracing. Tracing is expensive "
    "and the excessive number of tracings could be due to (1) creating @tf.function repeatedly "
    "in a loop, (2) passing tensors with different shapes, (3) passing Python objects instead "
    "of tensors. For (1), please define your @tf.function outside of the loop. For (2), "
    "@tf.function has reduce_retracing=True option that can avoid unnecessary retracing. For "
    "(3), please refer to https://www.tensorflow.org/guide/function#controlling_retracing and "
    "https://www.tensorflow.org/api_docs/python/tf/function for  more details."
)


class _TracingDetector:
    __slots__ = ("calls_per_tracing", "call_count", "warnings", "__weakref__")

    def __init__(self):
        self.calls_per_tracing = []
        self.call_count = 0
        self.warnings = 0

    def called_without_tracing(self):
        if not self.calls_per_tracing:
            self.calls_per_tracing = [0]
        self.calls_per_tracing[-1] += 1
        self.call_count += 1

    def called_with_tracing(self, fn):
        self.call_count += 1
        self.calls_per_tracing.append(1)
        while self.calls_per_tracing and self.call_count - self.calls_per_tracing[0] > 10:
            self.call_count -= self.calls_per_tracing.pop(0)
        if self.warnings >= 2 or len(self.calls_per_tracing) < 5:
            return
        self.warnings += 1
        logging.getLogger("jaxtape").warning(
            _RETRACE_WARNING.format(len(self.calls_per_tracing), self.call_count, fn)
        )


_DETECTORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _tracing_detector(fn):
    target = fn
    while hasattr(target, "__wrapped__"):
        target = target.__wrapped__
    target = getattr(target, "__func__", target)
    key = getattr(target, "__code__", None)
    if key is None:
        return _TracingDetector()
    det = _DETECTORS.get(key)
    if det is None:
        det = _DETECTORS[key] = _TracingDetector()
    return det


class _NeedGraph(Exception):
    """tf.gradients was called in a trace that does not record its graph."""


def gradients(
    ys,
    xs,
    grad_ys=None,
    name="gradients",
    gate_gradients=False,
    aggregation_method=None,
    stop_gradients=None,
    unconnected_gradients="none",
):
    """`tf.gradients`: inside `jaxtape.function` only (as TF 2: symbolic gradients of the
    traced graph); d(sum of ys)/d(xs) as a list, one entry per x, `None` where unconnected.

    The first trace that reaches it traces the function again with every op recorded (TF's
    graph); later traces record from the start."""
    if STATE.trace is None:
        raise RuntimeError(
            "tf.gradients is not supported when eager execution is enabled. "
            "Use tf.GradientTape instead."
        )
    if stop_gradients is not None:
        raise NotImplementedError(
            "tf.gradients(stop_gradients=...) is not supported by "
            "jaxtape; wrap those tensors in tf.stop_gradient instead."
        )
    graph = STATE.trace.graph
    if graph is None:
        raise _NeedGraph()
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs_list = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    og = None
    if grad_ys is not None:
        og = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
        og = [g if g is not None else _ones_like(y) for g, y in zip(og, ys)]
    # the gradient computation is recorded on the graph too (tf.gradients of tf.gradients)
    try:
        graph._recording = False  # gradient() on a recording persistent tape warns
        out = graph.gradient(
            ys, xs_list, output_gradients=og, unconnected_gradients=unconnected_gradients
        )
    finally:
        graph._recording = True
    return list(out)


def _ones_like(y):
    from jaxtape._src.convert import convert_to_tensor

    y = convert_to_tensor(y)
    return make(jnp.ones(y._value.shape, y._value.dtype), y._dtype)


def _make_traced(a):
    return make(a, dtype_of(a))


def _tensors(leaves):
    return [
        x if _is_tensor(x) else make(jnp.asarray(x), _dt.as_dtype(x.dtype))
        for x in leaves
        if _is_tensor(x) or isinstance(x, _ARRAYS)
    ]


def _rng_counts(conc):
    from jaxtape._src.ops.random_ops import seed_epoch

    if conc.rng_epoch != seed_epoch():  # tf.random.set_seed resets every kernel's state
        conc.rng_epoch = seed_epoch()
        conc.rng_counts = np.zeros(len(conc.rng_reserve), np.uint64)
    counts = conc.rng_counts
    conc.rng_counts = counts + conc.rng_reserve
    return counts


def _finalize(closed, scope, info, lifted, n_tensors, shapes):
    """The jitted step over (written Variables [donated], read Variables, tensors, counters).

    A trace with symbolic dimensions (`shapes`) is exported once (`jax.export`, shape
    polymorphic) and called through `Exported.call`: XLA still compiles once per concrete
    shape, but the Python function is not traced again."""
    jaxpr, consts = closed.jaxpr, list(closed.consts)
    written = info["written"]
    used = list(lifted)
    var_slots, rng_slots = [], []
    for j, c in enumerate(consts):
        hit = scope.aliases.get(id(c))
        if hit is not None:
            var_slots.append((j, hit[0]))
            if all(hit[0] is not u for u in used):
                used.append(hit[0])
            consts[j] = None  # do not pin the trace-time buffer
        r = scope.rng.get(id(c))
        if r is not None:
            rng_slots.append((j, r[0]))
            consts[j] = None
        elif consts[j] is not None and not isinstance(consts[j], jax.Array):
            # a host constant would be copied to the device at every call (and keeps JAX off
            # its C++ fast path): put it there once
            consts[j] = jax.device_put(np.asarray(c))
    readonly = [v for v in used if all(v is not w for w in written)]
    order = written + readonly
    pos = {v._uid: i for i, v in enumerate(order)}
    var_slots = [(j, pos[v._uid]) for j, v in var_slots]
    lifted_pos = [pos[v._uid] for v in lifted]
    n_vars = len(order)

    def substituted(var_vals, arrays, counters):
        cs = list(consts)
        for j, i in var_slots:
            cs[j] = var_vals[i]
        for j, k in rng_slots:
            cs[j] = counters[k]
        ins = [var_vals[i] for i in lifted_pos] + list(arrays)
        return jaxpr_as_fun(ClosedJaxpr(jaxpr, cs))(*ins)

    has_rng = bool(scope.rng_reserve)

    def flat(*args):
        counters = args[-1] if has_rng else None
        return tuple(substituted(args[:n_vars], args[n_vars : n_vars + n_tensors], counters))

    if shapes is not None:
        specs = (
            [jax.ShapeDtypeStruct(v._value.shape, v._value.dtype) for v in order]
            + list(shapes)
            + ([jax.ShapeDtypeStruct((len(scope.rng_reserve),), np.uint64)] if has_rng else [])
        )
        flat = jax.export.export(jax.jit(flat))(*specs).call

    def evaluate(var_vals, arrays, counters):
        return flat(*var_vals, *arrays, *([counters] if has_rng else []))

    conc = _Concrete()
    conc.jitted = jax.jit(flat, donate_argnums=tuple(range(len(written))))
    conc.donated, conc.readonly = written, readonly
    conc.evaluate = evaluate
    conc.n_out = len(info["out_dtypes"])
    conc.out_tree, conc.out_static = info["out"], info["static"]
    conc.out_dtypes, conc.single = info["out_dtypes"], info["single"]
    conc.rng_reserve = np.asarray(scope.rng_reserve, np.uint64) if has_rng else None
    conc.rng_counts, conc.rng_epoch = None, None
    conc.n_tensors = n_tensors
    conc.base, conc.arg_pos, conc.arg_vars, conc.rebound = conc, (), (), {}
    conc.kernel = _FunctionKernel(conc, n_vars, n_tensors)
    conc.source, conc.run = _runner(conc)
    return conc


def _runner(conc):
    """(source, run): one call of a traced step as straight-line Python, generated for its
    signature the way `dataclasses` and `namedtuple` generate their methods.

    Each Variable's array is read into a local, passed to the jitted step and its new array
    written back by name: no list, loop or zip per call.  On a small step every microsecond of
    Python shows (W3, 8 Variables: the generic loop cost ~4.5 us a call, this ~2 us).

    Donation safety: a donated array held anywhere else too (a `read_value()` snapshot, a tape,
    another Variable) is passed as a copy, so no live Tensor is invalidated.  The reference
    count an array held only by its Variable shows here is measured by `_probe`, generated from
    the same lines.
    """
    nd, nr, nt = len(conc.donated), len(conc.readonly), conc.n_tensors
    has_rng = conc.rng_reserve is not None
    outs = ["o%d" % i for i in range(conc.n_out)]
    body = ["def run(tensors):"]
    if nt:
        body.append("    %s, = tensors" % ", ".join("t%d" % i for i in range(nt)))
    for i in range(nd):
        body += [
            "    a%d = d%d._value" % (i, i),
            "    if refcount(a%d) > OWNED:" % i,
            "        a%d = copy(a%d)" % (i, i),
        ]
    if has_rng:
        body.append("    counters = rng_counts(conc.base)")
    args = (
        ["a%d" % i for i in range(nd)]
        + ["r%d._value" % i for i in range(nr)]
        + ["t%d._value" % i for i in range(nt)]
        + (["counters"] if has_rng else [])
    )
    results = outs + ["d%d._value" % i for i in range(nd)]
    call = "jitted(%s)" % ", ".join(args)
    body.append("    %s, = %s" % (", ".join(results), call) if results else "    " + call)
    made = ", ".join("make(o%d, dt%d)" % (i, i) for i in range(conc.n_out))
    counters = "counters" if has_rng else "None"
    if conc.single:
        body += [
            "    out = %s" % made,
            "    if state.tapes:",
            "        record(conc, tensors, [out], %s)" % counters,
            "    return out",
        ]
    else:
        body += [
            "    outs = [%s]" % made,
            "    if state.tapes:",
            "        record(conc, tensors, outs, %s)" % counters,
            "    return rebuild(conc, outs)",
        ]
    source = "\n".join(body) + "\n"
    env = dict(
        jitted=conc.jitted,
        conc=conc,
        copy=jnp.copy,
        refcount=sys.getrefcount,
        OWNED=_probe(),
        rng_counts=_rng_counts,
        make=make,
        state=STATE,
        record=_record,
        rebuild=_rebuild,
    )
    env.update(("d%d" % i, v) for i, v in enumerate(conc.donated))
    env.update(("r%d" % i, v) for i, v in enumerate(conc.readonly))
    env.update(("dt%d" % i, d) for i, d in enumerate(conc.out_dtypes))
    exec(compile(source, "<jaxtape.function step>", "exec"), env)  # noqa: S102
    return source, env["run"]


def _probe():
    """What `refcount(a0)` gives in the generated lines for an array only its Variable holds."""

    class Holder:
        pass

    env = {"refcount": sys.getrefcount, "d0": Holder()}
    env["d0"]._value = object()
    exec("def probe():\n    a0 = d0._value\n    return refcount(a0)\n", env)  # noqa: S102
    return env["probe"]()


def _record(conc, tensors, outs, counters):
    """Called under an eager tape, the step is one differentiable node of that tape."""
    from jaxtape._src.dispatch import record

    reads = [v._read_as_tensor() for v in conc.donated + conc.readonly]
    extra = [make(jnp.asarray(counters), _dt.uint64)] if counters is not None else []
    record(conc.kernel, None, reads + list(tensors) + extra, outs)


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
    flat = []
    for s in conc.out_static:
        if s is None:
            flat.append(next(it))
        elif s[0] == "slices":
            flat.append(IndexedSlices(next(it), next(it), next(it)))
        elif s[0] == "jax":
            flat.append(next(it)._value)
        else:
            flat.append(s[1])
    return nest.pack_sequence_as(conc.out_tree, flat)


class _FunctionKernel:
    """A compiled function called under an eager tape is recorded as one differentiable node."""

    __slots__ = ("conc", "n_vars", "n_tensors", "grad", "diff_args", "multi", "name", "sparse_arg0")
    has_conn = False

    def __init__(self, conc, n_vars, n_tensors):
        self.conc, self.n_vars, self.n_tensors = conc, n_vars, n_tensors
        self.grad, self.diff_args, self.multi = "diff", None, True
        self.name, self.sparse_arg0 = "PartitionedCall", False

    def impl(self, *arrays):
        n, m = self.n_vars, self.n_tensors
        counters = arrays[n + m] if len(arrays) > n + m else None
        return tuple(self.conc.evaluate(arrays[:n], arrays[n : n + m], counters)[: self.conc.n_out])

    def connectivity(self, node):
        return None


def function(
    func=None,
    input_signature=None,
    autograph=True,
    jit_compile=None,
    reduce_retracing=False,
    experimental_implements=None,
    experimental_autograph_options=None,
    experimental_attributes=None,
    experimental_relax_shapes=None,
    experimental_compile=None,
    experimental_follow_type_hints=None,
    name=None,
):
    """`tf.function`: trace the Python function once per signature, run it as one compiled XLA
    computation (`jax.jit`) with the Variables it uses as inputs and outputs.

    As in TF: tensors are keyed by shape and dtype, Python values by value, Variable arguments
    by shape and dtype; a call is first bound to the Python signature; `input_signature` with
    `None` dimensions traces once for all the shapes it allows; `reduce_retracing=True` opens
    the dimensions that differ between calls; `experimental_get_tracing_count()` counts traces.
    With `autograph=True` (the default) the function's `if` / `while` statements on tensors and
    `for i in tf.range(n)` become `tf.cond` / `tf.while_loop`.  `jit_compile` is accepted (every
    step is compiled with XLA).

    >>> import jaxtape as tf
    >>> @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    ... def clipped_sum(x):
    ...     total = tf.reduce_sum(x)
    ...     if total > 10.0:
    ...         total = tf.constant(10.0)
    ...     return total
    >>> clipped_sum(tf.constant([1.0, 2.0]))
    <tf.Tensor: shape=(), dtype=float32, numpy=3.0>
    >>> clipped_sum(tf.constant([5.0, 6.0, 7.0]))
    <tf.Tensor: shape=(), dtype=float32, numpy=10.0>
    >>> clipped_sum.experimental_get_tracing_count()
    1
    """

    def deco(f):
        return Function(
            f,
            input_signature=input_signature,
            reduce_retracing=reduce_retracing,
            jit_compile=jit_compile,
            autograph=autograph,
        )

    return deco if func is None else deco(func)
