"""`Tensor`: an immutable value over a `jax.Array` (or a tracer inside `jaxtape.function`).

A Tensor is a JAX array plus an identity (`_id`, what tapes track) and a TF dtype.  Its operators
reach the ops through `registry.operator(name)`: this module imports no op module.

Interop with JAX: `Tensor` is a pytree *node* whose one child is its array, so `jax.tree_util`,
`jax.jit` arguments and chex assertions accept nests of tensors; `t.numpy()` or `np.asarray(t)`
give numpy, and `jaxtape.to_jax(t)` (or `t.jax()`) gives the `jax.Array` to hand to `jnp` functions.
"""

from __future__ import annotations

import itertools
import weakref

import jax
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import context as _context
from jaxtape._src import registry
from jaxtape._src.shape import TensorShape

_next_id = itertools.count(1).__next__

_TRACED_MESSAGE = (
    "%s needs a concrete value, but this tensor is traced inside jaxtape.function. Python "
    "control flow on tensor values is compiled only where jaxtape converts it (`if` and `while` "
    "statements, as TF's AutoGraph): use jaxtape.cond(pred, true_fn, false_fn), "
    "jaxtape.while_loop(cond, body, loop_vars) or jaxtape.where instead."
)

_DEVICE_NAMES: dict = {}


def device_name(device) -> str:
    """TF's device string for a JAX device: `/job:localhost/replica:0/task:0/device:CPU:0`."""
    name = _DEVICE_NAMES.get(device)
    if name is None:
        kind = {"cpu": "CPU", "gpu": "GPU", "cuda": "GPU", "rocm": "GPU", "tpu": "TPU"}.get(
            device.platform, device.platform.upper()
        )
        name = "/job:localhost/replica:0/task:0/device:%s:%d" % (kind, device.id)
        _DEVICE_NAMES[device] = name
    return name


class Tensor:
    """TF's `tf.Tensor`: the base class `isinstance(x, tf.Tensor)` checks.  Eager values are
    `EagerTensor`s."""

    __slots__ = ()
    # numpy defers `ndarray + tensor` to the tensor's reflected operator, as with TF.
    __array_priority__ = 100


class EagerTensor(Tensor):
    """An eager tensor: `type(t).__name__ == 'EagerTensor'` as in TF."""

    __slots__ = ("_value", "_dtype", "_id", "__weakref__")

    def __init__(self, value, dtype: _dt.DType):
        self._value = value
        self._dtype = dtype
        self._id = _next_id()

    # -- basic attributes -------------------------------------------------------------------
    @property
    def dtype(self) -> _dt.DType:
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    @property
    def _ashape(self) -> tuple:
        """The shape as a tuple, without reading a pending (lazy eager) value."""
        return self._value.shape

    @property
    def _asize(self) -> int:
        """The number of elements, without reading a pending (lazy eager) value."""
        return self._value.size

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape) -> None:
        if not self.shape.is_compatible_with(shape):
            raise ValueError(
                "Tensor's shape %s is not compatible with supplied shape %s"
                % (self.shape, TensorShape(shape))
            )

    @property
    def ndim(self) -> int:
        return len(self._value.shape)

    @property
    def device(self) -> str:
        v = self._value
        if isinstance(v, np.ndarray):
            return "/job:localhost/replica:0/task:0/device:CPU:0"
        try:
            return device_name(next(iter(v.devices())))
        except Exception:  # a tracer inside jaxtape.function has no device
            return ""

    @property
    def name(self):
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    def numpy(self):
        """The value as numpy: an ndarray for rank >= 1, a numpy scalar (or `bytes`) for rank 0."""
        if is_symbolic(self._value):
            raise TypeError(_TRACED_MESSAGE % "numpy()")
        tapes = _context.STATE.tapes
        if tapes:
            for rec in tapes:
                if self._id in rec.tracked and self._id not in rec.escaped:
                    rec.escaped[self._id] = _site() if rec.debug else None
        a = np.asarray(self._value)
        if a.ndim == 0:
            return a[()]
        return a if a is not self._value else a.copy()

    def jax(self) -> jax.Array:
        """The underlying `jax.Array`, to hand to `jnp` functions (`jaxtape.to_jax(t)`)."""
        return self._value

    def block_until_ready(self):
        try:
            self._value.block_until_ready()
        except AttributeError:  # a string tensor (numpy)
            pass
        return self

    def __array__(self, dtype=None, copy=None):
        if is_symbolic(self._value):
            raise TypeError(_TRACED_MESSAGE % "numpy()")
        a = np.asarray(self._value)
        if dtype is not None:
            a = a.astype(dtype)
        return a

    def ref(self):
        return Reference(self)

    experimental_ref = ref

    # -- Python protocol --------------------------------------------------------------------
    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __bool__(self):
        if is_symbolic(self._value):
            raise TypeError(_TRACED_MESSAGE % "bool() (a Python `if`, `while`, `and`, `or`)")
        a = self.numpy()
        if getattr(a, "size", 1) == 0:
            return False
        return bool(a)

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __complex__(self):
        return complex(self.numpy())

    def __index__(self):
        if not self._dtype.is_integer:
            raise TypeError(
                "Only integer tensors can be used as indices; got a %s tensor. "
                "Cast it with tf.cast(t, tf.int32) first." % self._dtype.name
            )
        return int(self.numpy())

    def __format__(self, spec):
        return format(self.numpy(), spec)

    def __len__(self):
        if not self._value.shape:
            raise TypeError("Scalar tensor has no `len()`")
        return self._value.shape[0]

    def __iter__(self):
        if not self._value.shape:
            raise TypeError("Cannot iterate over a scalar tensor.")
        if is_symbolic(self._value) or any(self._id in r.tracked for r in _context.STATE.tapes):
            # a recorded Unpack (TF's), so gradients flow to the rows
            return iter(registry.operator("unstack")(self))
        # nothing records it: the rows from the host copy, as TF's eager iteration costs
        # (an unstack compiles one XLA output per row: 190 s for 10,000 rows on a CPU)
        return _host_rows(self)

    def __reduce__(self):
        return _rebuild, (self.numpy(), self._dtype.name)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    # -- printing ---------------------------------------------------------------------------
    def __str__(self):
        return "tf.Tensor(%s, shape=%s, dtype=%s)" % (
            _numpy_text(self, False),
            self.shape,
            self._dtype.name,
        )

    def __repr__(self):
        return "<tf.Tensor: shape=%s, dtype=%s, numpy=%s>" % (
            self.shape,
            self._dtype.name,
            _numpy_text(self, True),
        )


def _site():
    return _context.user_site(3)


def _rebuild(value, dtype_name):
    return registry.operator("constant")(value, dtype=dtype_name)


def _numpy_text(t, is_repr: bool) -> str:
    try:
        a = t.numpy()
    except Exception:  # a tracer inside jaxtape.function
        return "<symbolic>"
    if is_repr:
        if isinstance(a, np.generic) and not isinstance(a, (bytes, np.bytes_)):
            text = repr(a.item())
        else:
            text = repr(a)
    else:
        text = str(a)
    if "\n" in text:
        text = "\n" + text
    return text


class Reference:
    """`tensor.ref()`: a hashable handle compared by identity; `deref()` gives the object back."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self):
        return "<Reference wrapping %r>" % (self._obj,)


def operator_methods(name):
    """`__name__` and `__rname__` for Tensors and variable-like classes: each calls the op table's
    operator (read per call from the table the op modules fill at import)."""
    ops = registry.OPERATORS
    rname = "r" + name

    def fwd(self, other):
        return ops[name](self, other)

    def rev(self, other):
        return ops[rname](self, other)

    return fwd, rev


# the binary operators Tensors (and variable-like classes, `variables.install_operators`) have
BINARY_OPERATORS = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and",
                    "or", "xor")  # fmt: skip

for _name in BINARY_OPERATORS:
    _f, _r = operator_methods(_name)
    _f.__name__, _r.__name__ = "__%s__" % _name, "__r%s__" % _name
    setattr(EagerTensor, "__%s__" % _name, _f)
    setattr(EagerTensor, "__r%s__" % _name, _r)
del _name, _f, _r


def _compare(name):
    def fn(self, other):
        return registry.operator(name)(self, other)

    fn.__name__ = "__%s__" % name
    return fn


for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(EagerTensor, "__%s__" % _name, _compare(_name))
del _name
EagerTensor.__neg__ = lambda self: registry.operator("neg")(self)
EagerTensor.__abs__ = lambda self: registry.operator("abs")(self)
EagerTensor.__invert__ = lambda self: registry.operator("invert")(self)
EagerTensor.__pos__ = lambda self: self
EagerTensor.__getitem__ = lambda self, key: registry.operator("getitem")(self, key)
EagerTensor.__hash__ = Tensor.__hash__ = EagerTensor.__dict__["__hash__"]


def _flatten(t):
    if t._dtype is _dt.string:
        return (), (t._dtype, t._value)
    return (t._value,), (t._dtype, None)


def _unflatten(aux, children):
    dtype, strings = aux
    t = EagerTensor.__new__(EagerTensor)
    t._value = strings if dtype is _dt.string else children[0]
    t._dtype = dtype
    t._id = _next_id()
    return t


jax.tree_util.register_pytree_node(EagerTensor, _flatten, _unflatten)


# The classes of eager tensors: EagerTensor and lazy eager's LazyTensor (lazy.py adds it), for
# the fast paths that test `type(x) in EAGER_TYPES` instead of isinstance.
EAGER_TYPES = {EagerTensor}


def make(value, dtype: _dt.DType) -> EagerTensor:
    """Wrap an array (already of the right dtype) as a new Tensor."""
    t = EagerTensor.__new__(EagerTensor)
    t._value = value
    t._dtype = dtype
    t._id = _next_id()
    return t


_TRACER = getattr(getattr(jax, "core", None), "Tracer", None)


def _host_rows(t):
    a = np.asarray(t._value)
    if t._dtype is _dt.string:
        return (make(np.asarray(row, dtype=object), t._dtype) for row in a)
    return (make(jax.device_put(row), t._dtype) for row in a)


def is_tracer(x) -> bool:
    """True for a JAX tracer (a value inside jax.jit / jaxtape.function tracing)."""
    if _TRACER is not None:
        return isinstance(x, _TRACER)
    return isinstance(x, jax.Array) and not hasattr(x, "addressable_shards")


def is_symbolic(x) -> bool:
    """True for a value known only when a compiled step runs: a tracer, or, while
    jaxtape.function traces, a Variable's array (the step reads it at call time)."""
    if is_tracer(x):
        return True
    scope = _context.STATE.trace
    return scope is not None and scope.is_symbolic(x)


def to_jax(x):
    """The `jax.Array` inside a Tensor or Variable (`jnp` functions take it directly); over a
    nest (lists, tuples, dicts) of them, the same nest of arrays."""
    if isinstance(x, EagerTensor):
        return x._value
    read = getattr(x, "_read_for_jax", None)
    if read is not None:
        return read()
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(to_jax(v) for v in x)
    if isinstance(x, tuple):  # a namedtuple
        return type(x)(*(to_jax(v) for v in x))
    if isinstance(x, dict):
        return type(x)((k, to_jax(v)) for k, v in x.items())
    return x


def register_variable_pytree(cls) -> None:
    """A Variable class as a pytree node whose one child is its value: `jax.device_put(v)`,
    `optax` and `chex` see it as they see a Tensor (what comes back is a Tensor)."""

    def flatten(v):
        return (v._read_for_jax(),), v.dtype

    def unflatten(dtype, children):
        t = EagerTensor.__new__(EagerTensor)
        t._value = children[0]
        t._dtype = dtype
        t._id = _next_id()
        return t

    jax.tree_util.register_pytree_node(cls, flatten, unflatten)


# The logits a probability came from, for Keras's cross-entropies (which, on TF, compute from the
# logits when the output of a Keras `sigmoid`/`softmax` activation, or inside a traced function
# of a `Sigmoid`/`Softmax` op, is passed as probabilities): output Tensor -> (op type, logits).
# Keyed by the output's id, the entry dropped when the output dies.
_LOGITS: dict = {}


def set_logits(output, op_type: str, logits) -> None:
    _LOGITS[output._id] = (weakref.ref(output), op_type, logits)
    weakref.finalize(output, _LOGITS.pop, output._id, None)


def logits_of(output):
    """(op type, logits) recorded for `output`, or None."""
    hit = _LOGITS.get(getattr(output, "_id", None))
    if hit is None or hit[0]() is not output:
        return None
    return hit[1], hit[2]


# Inside a trace, a traced scalar integer known to be `base + offset` (`i + 2` for a traced `i`),
# so `x[i:i + 2]` has a static size: tensor id -> (weakref to it, base id, offset).
_AFFINE: dict = {}


def set_affine(t, base_id: int, offset: int) -> None:
    _AFFINE[t._id] = (weakref.ref(t), base_id, offset)
    weakref.finalize(t, _AFFINE.pop, t._id, None)


def affine_of(t):
    """(base id, offset) with `t == base + offset` (base: `t` itself, offset 0, if unknown)."""
    hit = _AFFINE.get(t._id)
    if hit is not None and hit[0]() is t:
        return hit[1], hit[2]
    return t._id, 0
