"""Keras 3 variables: `keras.Variable`, a named view over a jaxtape `Variable`.

As in TF 2.21 (Keras 3): `v.name == 'kernel'`, `v.path == 'dense_1/kernel'`, `v.dtype == 'float32'`
(a string), `v.value` is the underlying `tf.Variable` named `'dense_1/kernel:0'` — the one tapes
watch and report in `watched_variables()`.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.tensor import register_variable_pytree
from jaxtape._src.variables import (
    ResourceVariable,
    UnreadVariable,
    VariableAggregation,
    VariableSynchronization,
    install_operators,
)

# Keras name scopes (model/layer names) for variable paths.
_PATH_STACK: list = []
_NAME_COUNTS: dict = {}  # Keras auto-names (dense, dense_1, ...)


def _snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def auto_name(base: str) -> str:
    """Keras's per-process unique names: `dense`, `dense_1`, `dense_2`, ..."""
    n = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = n + 1
    return base if n == 0 else "%s_%d" % (base, n)


@contextlib.contextmanager
def _path_scope(name):
    """Variables made inside get `name/` in their path (once: a model building itself inside
    its own call does not repeat its name)."""
    if _PATH_STACK and _PATH_STACK[-1] == name:
        yield
        return
    _PATH_STACK.append(name)
    try:
        yield
    finally:
        _PATH_STACK.pop()


class KerasVariable:
    """`keras.Variable` (`type(v).__name__ == 'Variable'`)."""

    __slots__ = ("_var", "_kname", "_path", "regularizer", "__weakref__")
    __array_priority__ = 100
    # TF 2.21's `tape.watch` rejects a Keras 3 Variable (it is not a tf.Variable): ValueError,
    # eagerly and in tf.function.  jaxtape matches it; trainable variables need no watch.
    _refuses_tape_watch = True

    def __init__(
        self,
        initializer,
        shape=(),
        dtype="float32",
        trainable=True,
        name="variable",
        synchronization="auto",
        aggregation="none",
    ):
        from jaxtape._src.convert import convert_to_tensor
        import jax

        self.regularizer = None
        d = _dt.as_dtype(dtype)
        # Inside jaxtape.function, initializers still run eagerly: the initial value must be
        # concrete (a layer or optimizer building lazily on the first traced call).
        with jax.ensure_compile_time_eval():
            value = initializer(tuple(shape), d) if callable(initializer) else initializer
        t = (
            convert_to_tensor(value, dtype=d)
            if not hasattr(value, "_dtype") or value._dtype is d
            else convert_to_tensor(np.asarray(value).astype(d.as_numpy_dtype))
        )
        path = "/".join([p for p in _PATH_STACK if p] + [name])  # (a model named "" adds none)
        saved = STATE.name_scope
        STATE.name_scope = []
        try:
            self._var = ResourceVariable(
                t,
                trainable=trainable,
                name=path,
                # Keras names them by string
                synchronization=VariableSynchronization[str(synchronization).upper()],
                aggregation=VariableAggregation[str(aggregation).upper()],
            )
        finally:
            STATE.name_scope = saved
        self._kname = name
        self._path = path

    @property
    def name(self):
        return self._kname

    @property
    def path(self):
        return self._path

    @property
    def value(self):
        return self._var

    @property
    def dtype(self):
        return self._var._dtype.name

    @property
    def shape(self):
        """A TensorShape, as Keras's Variable on the TF backend gives (it prints `(3, 2)`)."""
        from jaxtape._src.shape import TensorShape

        return TensorShape(list(self._var._ashape))

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def trainable(self):
        return self._var._trainable

    @trainable.setter
    def trainable(self, value):
        self._var._trainable = bool(value)

    @property
    def _tape_variable(self):
        return self._var

    @property
    def _dtype(self):
        return self._var._dtype

    @property
    def _value(self):
        return self._var._value

    def _read_as_tensor(self):
        return self._var._read_as_tensor()

    def _read_for_jax(self):
        return self._var._value

    def numpy(self):
        return self._var.numpy()

    def __array__(self, dtype=None, copy=None):
        return self._var.__array__(dtype)

    def assign(self, value):
        self._var.assign(value)
        return self

    def assign_add(self, value):
        self._var.assign_add(value)
        return self

    def assign_sub(self, value):
        self._var.assign_sub(value)
        return self

    def __repr__(self):
        head = "<Variable path=%s, shape=%s, dtype=%s" % (self._path, self.shape, self.dtype)
        if STATE.trace is not None:  # inside a traced step the value is not known
            return head + ">"
        return "%s, value=%s>" % (head, self.numpy())

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __len__(self):
        return self.shape[0]

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __bool__(self):
        return bool(self._read_as_tensor())

    def __iter__(self):
        return iter(self._read_as_tensor())


KerasVariable.__name__ = "Variable"
KerasVariable.__qualname__ = "Variable"
install_operators(KerasVariable)
KerasVariable.__hash__ = lambda self: id(self)


def unwrap(v):
    """The jaxtape Variable behind a Keras variable (or the Variable itself)."""
    return v._var if isinstance(v, KerasVariable) else v


_ = UnreadVariable


register_variable_pytree(KerasVariable)
