"""`tf.Variable`: the one mutable thing.

A Variable holds a `jax.Array`.  Every read (`read_value()`, or any op that takes the Variable)
makes a new Tensor; each recording tape that watches the Variable tracks that Tensor as a leaf and
remembers it belongs to the Variable, so gradients of several reads add up and assignments between
reads differentiate exactly as in TF.  Trainable Variables are watched automatically when read or
assigned on a tape with `watch_accessed_variables=True`.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import threading
import weakref

import jax.numpy as jnp
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import lazy, registry
from jaxtape._src.context import EXEC_LOCK, STATE
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.dispatch import POST_OP, host_op_done
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.shape import TensorShape
from jaxtape._src.tensor import (
    BINARY_OPERATORS,
    EAGER_TYPES,
    EagerTensor,
    Reference,
    _next_id,
    _numpy_text,
    is_symbolic,
    is_tracer,
    make,
    operator_methods,
    register_variable_pytree,
)

_uids = itertools.count(1).__next__

# Every live Variable, for jaxtape.function: a trace gives each one a fresh alias of its array and
# so finds the Variables a step reads without a list (see function.py).
_LIVE: "weakref.WeakValueDictionary[int, Variable]" = weakref.WeakValueDictionary()
_LIVE_LOCK = threading.Lock()
_lock, _unlock = EXEC_LOCK.acquire, EXEC_LOCK.release


def live_variables() -> list:
    with _LIVE_LOCK:
        return list(_LIVE.values())


@contextlib.contextmanager
def name_scope(name):
    """`tf.name_scope`: prefixes the names of Variables created inside (`outer/inner/b:0`)."""
    if name is None or name == "":
        yield ""
        return
    stack = STATE.name_scope
    name = str(name).rstrip("/")
    stack.append(name)
    try:
        yield "/".join(stack) + "/"
    finally:
        stack.pop()


class _NameScope:
    """`tf.name_scope(name)` as a class, so `tf.name_scope('a').name` works."""

    def __init__(self, name):
        self._name = name
        self._cm = None

    @property
    def name(self):
        return self._name

    def __enter__(self):
        self._cm = name_scope(self._name)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _in_place(op, method, var_word="variable"):
    def fn(self, other):
        raise RuntimeError(
            "`%s %s value` with `tf.Variable`s is not supported. Use `%s` to modify the "
            "variable, or `out = %s %s value` if you need to get a new output Tensor."
            % (var_word, op, method, var_word, op[:-1])
        )

    return fn


class VariableSynchronization(enum.Enum):
    """`tf.VariableSynchronization`: when a distributed Variable's copies agree."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """`tf.VariableAggregation`: how replicas' updates of a distributed Variable combine."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


VariableAggregation.__name__ = "VariableAggregationV2"  # TF's repr: <VariableAggregationV2.SUM: 1>


class _VariableAggregationV1(enum.Enum):
    """TF's older enum, which a Variable created without `aggregation` reports."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3


_VariableAggregationV1.__name__ = "VariableAggregation"


def _distribution_mode(synchronization, aggregation, trainable, name):
    """TF's checks of `synchronization` / `aggregation` (the enums; TF refuses strings)."""

    def as_enum(kind, value, default):
        if value is None:
            return default
        if isinstance(value, kind):
            return value
        what = "synchronization" if kind is VariableSynchronization else "aggregation"
        raise ValueError("Invalid variable %s mode: %s for variable: %s" % (what, value, name))

    sync = as_enum(VariableSynchronization, synchronization, VariableSynchronization.AUTO)
    if isinstance(aggregation, _VariableAggregationV1):
        aggregation = VariableAggregation[aggregation.name]
    agg = as_enum(VariableAggregation, aggregation, VariableAggregation.NONE)
    if sync is VariableSynchronization.ON_READ and trainable is None:
        trainable = False
    return sync, agg, trainable


class AbstractValueError(Exception):
    """A layer built on shapes only (a functional model's symbolic call) needed a value: the
    call is redone on stand-in data."""


# the read-modify-write updates as lazy eager segment ops
_ASSIGN_ADD = lazy.Fn("AssignAddVariableOp", lambda a, b: (jnp.add(a, b),))
_ASSIGN_SUB = lazy.Fn("AssignSubVariableOp", lambda a, b: (jnp.subtract(a, b),))


class Variable:
    """`tf.Variable`.  Instances are `ResourceVariable`s, as in TF."""

    __slots__ = (
        "_value",
        "_dtype",
        "_shape",
        "_name",
        "_trainable",
        "_uid",
        "_handle_id",
        "_distribution",
        "__weakref__",
    )
    __array_priority__ = 100

    def __new__(cls, *args, **kwargs):
        if cls is Variable:
            cls = ResourceVariable
        return object.__new__(cls)

    def __init__(
        self,
        initial_value=None,
        trainable=None,
        validate_shape=True,
        caching_device=None,
        name=None,
        variable_def=None,
        dtype=None,
        import_scope=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
        shape=None,
        experimental_enable_variable_lifting=True,
    ):
        if initial_value is None:
            raise ValueError("The `initial_value` arg (`None`) must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        t = convert_to_tensor(initial_value, dtype=dtype)
        if STATE.abstract_build and is_tracer(t._value):
            raise AbstractValueError("a Variable's initial value depends on the layer's input")
        self._value = t._value
        self._dtype = t._dtype
        self._shape = TensorShape(t._value.shape) if shape is None else TensorShape(shape)
        if shape is not None and not self._shape.is_compatible_with(t._value.shape):
            raise ValueError(
                "In this `tf.Variable` creation, the initial value's shape (%s) is "
                "not compatible with the explicitly supplied `shape` argument (%s)."
                % (tuple(t._value.shape), list(shape))
            )
        if name is not None and not isinstance(name, str):
            raise ValueError("name for name_scope must be a string.")
        prefix = "/".join(STATE.name_scope)
        base = "Variable" if name is None else str(name)
        self._name = (prefix + "/" + base if prefix else base) + ":0"
        sync, agg, trainable = _distribution_mode(synchronization, aggregation, trainable, name)
        self._trainable = True if trainable is None else bool(trainable)
        # (synchronization, aggregation), None for the defaults: read by tf.distribute
        self._distribution = (
            None
            if sync is VariableSynchronization.AUTO and agg is VariableAggregation.NONE
            else (sync, agg)
        )
        self._uid = _uids()
        self._handle_id = _next_id()
        with _LIVE_LOCK:
            _LIVE[self._uid] = self
        if STATE.trace is not None:
            STATE.trace.on_create(self)
        elif STATE.init_owner is not None:
            STATE.init_owner.on_eager_create(self)
        if STATE.strategy is not None:
            STATE.strategy.on_create(self)  # placed on the strategy's devices

    # -- reads ------------------------------------------------------------------------------
    @property
    def _tape_variable(self):
        return self

    def _read_as_tensor(self) -> EagerTensor:
        _lock()  # every op reading a Variable comes here: no context manager (~0.3 us)
        try:
            t = make(self._value, self._dtype)
        finally:
            _unlock()
        return self._track_read(t)

    def _track_read(self, t):
        """A read `t` of this Variable, as tapes and per-op hooks see it."""
        if POST_OP:
            host_op_done("ReadVariableOp", (t,))
        tapes = STATE.tapes
        if tapes:
            uid = self._uid
            for rec in tapes:
                if uid not in rec.watched_vars:
                    if rec.watch_accessed and self._trainable:
                        rec.watch_variable(self)
                    else:
                        continue
                rec.tracked[t._id] = None
                reads = rec.reads.get(uid)
                if reads is None:
                    rec.reads[uid] = [t._id]
                else:
                    reads.append(t._id)
        return t

    @property
    def _ashape(self) -> tuple:
        """The shape as a tuple, without reading a pending (lazy eager) value."""
        return self._value.shape

    def _read_for_jax(self):
        return self._value

    def read_value(self) -> EagerTensor:
        return self._read_as_tensor()

    def value(self) -> EagerTensor:
        return self._read_as_tensor()

    def numpy(self):
        if is_symbolic(self._value):
            raise NotImplementedError(
                "numpy() is only available when eager execution is "
                "enabled (this Variable is read inside jaxtape.function)."
            )
        a = np.array(self._value)
        return a[()] if a.ndim == 0 else a

    def __array__(self, dtype=None, copy=None):
        if is_symbolic(self._value):
            raise NotImplementedError(
                "numpy() is only available when eager execution is "
                "enabled (this Variable is read inside jaxtape.function)."
            )
        a = np.asarray(self._value)
        return a.astype(dtype) if dtype is not None else a

    # -- attributes -------------------------------------------------------------------------
    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    @property
    def ndim(self):
        return self._shape.rank

    @property
    def name(self) -> str:
        return self._name

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def device(self) -> str:
        return make(self._value, self._dtype).device

    @property
    def initial_value(self):
        return make(self._value, self._dtype)

    @property
    def constraint(self):
        return None

    @property
    def synchronization(self) -> VariableSynchronization:
        d = getattr(self, "_distribution", None)
        return VariableSynchronization.AUTO if d is None else d[0]

    @property
    def aggregation(self) -> VariableAggregation:
        d = getattr(self, "_distribution", None)
        return _VariableAggregationV1.NONE if d is None else d[1]

    @property
    def handle(self):
        return self

    def ref(self):
        return Reference(self)

    experimental_ref = ref

    # -- assignment -------------------------------------------------------------------------
    def _accessed(self):
        if self._trainable:
            for rec in STATE.tapes:
                if rec.watch_accessed:
                    rec.watch_variable(self)

    def _coerce(self, value):
        t = convert_to_tensor(value, dtype=self._dtype)
        new = lazy.raw(t)  # a pending lazy eager value stays pending (see `_set`)
        if not self._shape.is_compatible_with(new.shape):
            raise ValueError(
                "Cannot assign value to variable '%s': Shape mismatch. The variable shape %s, and "
                "the assigned value shape %s are incompatible."
                % (self._name, self._shape, TensorShape(new.shape))
            )
        return new

    def _set(self, new):
        if type(new) is lazy.Pending:
            if lazy.active():
                lazy.assign_pending(self, new)
                return
            new = new.force()
        if STATE.trace is not None:
            STATE.trace.on_write(self)
        elif is_tracer(new) and not is_tracer(self._value):
            # a JAX transformation that is not jaxtape.function (a user's jax.jit, vmap, grad)
            # would leave the Variable holding its tracer for good
            raise RuntimeError(
                "Variable %s was assigned inside a JAX transformation (jax.jit, jax.vmap, "
                "jax.grad...) that jaxtape does not manage: the Variable would keep a tracer. "
                "Use jaxtape.function for stateful steps, or return the new value from the "
                "JAX function and assign it outside." % self._name
            )
        self._value = new

    def assign(self, value, use_locking=None, name=None, read_value=True):
        """Set the value; returns an `UnreadVariable` (or None with `read_value=False`)."""
        new = self._coerce(value)
        if STATE.replica is not None:  # in tf.distribute's replica function
            new = STATE.replica.update(self, lazy.concrete(new))
        self._accessed()
        self._set(new)
        return UnreadVariable(self) if read_value else None

    def _coerce_update(self, delta, op):
        """The operand of assign_add/assign_sub: TF's kernel wants exactly the Variable's shape
        (InvalidArgumentError), where `assign` raises ValueError."""
        t = convert_to_tensor(delta, dtype=self._dtype)
        if tuple(t._ashape) != tuple(self._ashape):
            raise InvalidArgumentError(
                None,
                None,
                "Cannot update variable with shape %s using a Tensor with shape %s, "
                "shapes must be equal. [Op:%s]" % (list(self._ashape), list(t._ashape), op),
            )
        return lazy.raw(t)

    def _update(self, op, raw_op, new):
        """self <- raw_op(self, new), atomic across threads; in lazy eager, a pending op."""
        if type(new) is lazy.Pending or type(self) in lazy.LAZY_VARIABLE_CLASSES:
            if lazy.active() and lazy.lazy_ok([new]):
                (p,) = lazy.call(op, (), [lazy.var_ref(self), new])
                lazy.assign_pending(self, p)
                return
            new = lazy.concrete(new)
        with EXEC_LOCK:  # read-modify-write is atomic across threads, as TF's
            self._set(registry.operator(raw_op)(self._value, new))

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        new = self._coerce_update(delta, "AssignAddVariableOp")
        if STATE.replica is not None:
            new = STATE.replica.update(self, lazy.concrete(new))
        self._accessed()
        self._update(_ASSIGN_ADD, "raw_add", new)
        return UnreadVariable(self) if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        new = self._coerce_update(delta, "AssignSubVariableOp")
        if STATE.replica is not None:
            new = STATE.replica.update(self, lazy.concrete(new))
        self._accessed()
        self._update(_ASSIGN_SUB, "raw_sub", new)
        return UnreadVariable(self) if read_value else None

    def _assign_slice(self, key, value):
        v = convert_to_tensor(value, dtype=self._dtype)
        target = np.empty(tuple(self._value.shape), np.bool_)[key].shape
        if not _broadcastable(tuple(v._value.shape), target):
            raise InvalidArgumentError(
                None,
                None,
                "sliced l-value shape %s does not match r-value shape %s. "
                "Automatic broadcasting not yet implemented. [Op:ResourceStridedSliceAssign]"
                % (list(target), list(v._value.shape)),
            )
        self._accessed()
        with EXEC_LOCK:
            self._set(self._value.at[key].set(v._value))
        return UnreadVariable(self)

    def scatter_nd_update(self, indices, updates, name=None):
        idx = np.asarray(convert_to_tensor(indices).numpy())
        depth = idx.shape[-1] if idx.ndim else 0
        for row in idx.reshape(-1, max(depth, 1)):
            for i, n in zip(row, self._value.shape):
                if not 0 <= int(i) < n:
                    raise InvalidArgumentError(
                        None,
                        None,
                        "indices%s = %s does not index into shape %s "
                        "[Op:ResourceScatterNdUpdate]"
                        % ("[0]", list(row), list(self._value.shape)),
                    )
        upd = convert_to_tensor(updates, dtype=self._dtype)._value
        self._accessed()
        with EXEC_LOCK:
            self._set(self._value.at[tuple(np.moveaxis(idx, -1, 0))].set(upd))
        return UnreadVariable(self)

    # -- Python protocol --------------------------------------------------------------------
    def __hash__(self):
        raise TypeError(
            "Variable is unhashable. Instead, use variable.ref() as the key. "
            "(Variable: %r)" % (self,)
        )

    def __len__(self):
        raise TypeError("object of type '%s' has no len()" % type(self).__name__)

    def __iter__(self):
        return iter(self._read_as_tensor())

    def __bool__(self):
        return bool(self._read_as_tensor())

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __complex__(self):
        return complex(self.numpy())

    def __index__(self):
        return self._read_as_tensor().__index__()

    def __format__(self, spec):
        return format(self.numpy(), spec)

    def __getitem__(self, key):
        t = registry.operator("getitem")(self, key)
        return _SliceOfVariable(t, self, key)

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s, numpy=%s>" % (
            self.name,
            self.shape,
            self._dtype.name,
            _numpy_text(make(self._value, self._dtype), True),
        )

    __str__ = __repr__

    def __deepcopy__(self, memo):
        return Variable(
            jnp.array(self._value),
            trainable=self._trainable,
            name=self._name[:-2],
            dtype=self._dtype,
        )

    __iadd__ = _in_place("+=", "variable.assign_add(value)")
    __isub__ = _in_place("-=", "variable.assign_sub(value)")
    __imul__ = _in_place("*=", "var.assign(var * value)", "var")
    __itruediv__ = _in_place("/=", "var.assign(var / value)", "var")
    __ipow__ = _in_place("**=", "var.assign(var ** value)", "var")
    __ifloordiv__ = _in_place("//=", "var.assign(var // value)", "var")
    __imod__ = _in_place("%=", "var.assign(var % value)", "var")
    __imatmul__ = _in_place("@=", "var.assign(var @ value)", "var")


class ResourceVariable(Variable):
    """The concrete class of eager Variables (`type(v).__name__ == 'ResourceVariable'`)."""

    __slots__ = ()


class UnreadVariable(ResourceVariable):
    """What `assign*` return: a view of the Variable named `'UnreadVariable'`."""

    __slots__ = ("_parent",)

    def __init__(self, parent):  # noqa: D107 - a view, not a new Variable
        self._parent = parent

    _value = property(
        lambda self: self._parent._value, lambda self, v: setattr(self._parent, "_value", v)
    )
    _dtype = property(lambda self: self._parent._dtype)
    _shape = property(lambda self: self._parent._shape)
    _trainable = property(lambda self: self._parent._trainable)
    _uid = property(lambda self: self._parent._uid)
    _handle_id = property(lambda self: self._parent._handle_id)

    @property
    def _tape_variable(self):
        return self._parent

    def _read_as_tensor(self):
        return self._parent._read_as_tensor()

    def _set(self, new):
        self._parent._set(new)

    @property
    def name(self):
        return "UnreadVariable"

    @property
    def _name(self):
        return "UnreadVariable"


class _SliceOfVariable(EagerTensor):
    """`v[1:3]`: a Tensor (recorded like any slice) that also supports `.assign(...)`."""

    __slots__ = ("_var", "_key")

    def __init__(self, t, var, key):  # noqa: D107 - shares the slice's identity
        v = lazy.raw(t)  # a pending lazy eager slice stays pending
        lazy._set_raw(self, v)
        if type(v) is lazy.Pending:
            self.__class__ = _LazySliceOfVariable
        self._dtype = t._dtype
        self._id = t._id
        self._var = var
        self._key = key

    def assign(self, value, use_locking=None, name=None, read_value=True):
        key = self._key
        if isinstance(key, EagerTensor):
            key = int(key)
        return self._var._assign_slice(key, value)


class _LazySliceOfVariable(_SliceOfVariable):
    """A `_SliceOfVariable` whose value a lazy eager segment computes (see lazy.LazyTensor)."""

    __slots__ = ()
    _value = lazy._settling_value(lazy._SLOT, _SliceOfVariable)
    _ashape = lazy.LazyTensor._ashape
    _asize = lazy.LazyTensor._asize
    shape = lazy.LazyTensor.shape
    ndim = lazy.LazyTensor.ndim


_LazySliceOfVariable.__name__ = _SliceOfVariable.__name__
_LazySliceOfVariable.__qualname__ = _SliceOfVariable.__qualname__
EAGER_TYPES.update((_SliceOfVariable, _LazySliceOfVariable))


def _broadcastable(a, b):
    if len(a) > len(b):
        return False
    return all(x == y or x == 1 for x, y in zip(reversed(a), reversed(b)))


def install_operators(cls):
    """Give a variable-like class (one with `_read_as_tensor`) the Tensor operators."""
    for name in BINARY_OPERATORS:
        f, r = operator_methods(name)
        setattr(cls, "__%s__" % name, f)
        setattr(cls, "__r%s__" % name, r)
    for name in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(
            cls,
            "__%s__" % name,
            (lambda n: lambda self, other: registry.operator(n)(self, other))(name),
        )
    cls.__neg__ = lambda self: registry.operator("neg")(self)
    cls.__abs__ = lambda self: registry.operator("abs")(self)
    cls.__invert__ = lambda self: registry.operator("invert")(self)
    if "__getitem__" not in cls.__dict__:
        cls.__getitem__ = lambda self, key: registry.operator("getitem")(self, key)
    return cls


install_operators(Variable)
Variable.__hash__ = Variable.__dict__["__hash__"]


for _cls in (Variable, ResourceVariable, UnreadVariable):
    register_variable_pytree(_cls)
