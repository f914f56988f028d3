"""Symbolic tensors of Keras's functional API: `keras.Input(shape)` and a layer called on one.

A `KerasTensor` holds a shape (the batch dimension `None`), a dtype and the `Node` that made it
(the layer, and the arguments it was called with).  Calling a layer on KerasTensors builds the
layer (its weights are created here, in call order, as Keras creates them) and finds the output
shapes by evaluating the layer abstractly (`jax.eval_shape`: no compute, no compile) on two
stand-in batches: a dimension that differs between the two is unknown (`None`).  A layer that
needs values (a Python branch on data, NumPy) runs on zeros instead.  Nothing is recorded on
tapes and nothing random is drawn by those calls.  `functional.Model(inputs, outputs)` replays the recorded nodes on real tensors.
"""

from __future__ import annotations

import itertools

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import nest
from jaxtape._src.context import STATE
from jaxtape._src.shape import TensorShape

_NODE_IDS = itertools.count()


class Node:
    """One call of a layer (or an operator) on symbolic inputs."""

    __slots__ = ("id", "layer", "args", "kwargs", "outputs")

    def __init__(self, layer, args, kwargs):
        self.id = next(_NODE_IDS)
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = None

    def parents(self):
        return [t for t in nest.flatten((self.args, self.kwargs)) if isinstance(t, KerasTensor)]


class KerasShape(tuple):
    """A KerasTensor's shape: a tuple, as Keras 3's (`(None, 3)` when printed), that also
    answers TF's `as_list()` and `rank`."""

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)


class KerasTensor:
    """`keras.KerasTensor`: a symbolic input or output of a functional model."""

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0, layer=None):
        self._shape = TensorShape(list(shape))
        self.dtype = _dt.as_dtype(dtype)
        self.name = name or "keras_tensor"
        self._node = node
        self._index = index
        self._input_layer = layer  # the InputLayer of a `keras.Input`

    shape = property(lambda self: KerasShape(self._shape.as_list()))
    ndim = property(lambda self: self._shape.rank)
    sparse = False

    @property
    def _keras_history(self):
        return (self._node.layer if self._node else self._input_layer, 0, self._index)

    def __repr__(self):
        return "<KerasTensor shape=%s, dtype=%s, sparse=False, name=%s>" % (
            tuple(self._shape.as_list()), self.dtype.name, self.name)  # fmt: skip

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise TypeError(
            "A KerasTensor is symbolic: it has no value to test with `if`. Use "
            "tf.cond / tf.where inside a layer's call() instead."
        )

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A KerasTensor is a symbolic placeholder of a functional model, not a value: call "
            "the model on data to get one. It cannot be passed to NumPy or to a TF op directly "
            "(wrap the op in a layer, e.g. keras.layers.Lambda)."
        )


def _op(fn, name):
    def method(self, *others):
        return symbolic_call(_OpLayer(fn, name), (self, *others), {})

    method.__name__ = name
    return method


class _OpLayer:
    """An operator applied to KerasTensors (`x + 1`, `x[:, 0]`): a node without weights."""

    built = True

    def __init__(self, fn, name):
        self.fn = fn
        self.name = name

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def _maybe_build(self, shape):
        pass


for _name, _fn in {
    "__add__": lambda a, b: a + b, "__radd__": lambda a, b: b + a,
    "__sub__": lambda a, b: a - b, "__rsub__": lambda a, b: b - a,
    "__mul__": lambda a, b: a * b, "__rmul__": lambda a, b: b * a,
    "__truediv__": lambda a, b: a / b, "__rtruediv__": lambda a, b: b / a,
    "__pow__": lambda a, b: a**b, "__neg__": lambda a: -a, "__abs__": lambda a: abs(a),
    "__matmul__": lambda a, b: a @ b, "__getitem__": lambda a, k: a[k],
}.items():  # fmt: skip
    setattr(KerasTensor, _name, _op(_fn, _name.strip("_")))


def has_keras_tensor(*structures) -> bool:
    return any(isinstance(t, KerasTensor) for t in nest.flatten(structures))


def _stand_in(kt, size):
    """Zeros of the KerasTensor's shape, `size` in every unknown dimension."""
    from jaxtape._src.convert import convert_to_tensor

    shape = _stand_in_shape(kt, size)
    return convert_to_tensor(np.zeros(shape, kt.dtype.as_numpy_dtype))


def _stand_in_shape(kt, size):
    """The KerasTensor's shape with its unknown dimensions filled: the batch dimension with
    `size` (2 or 3), any other (an image's height, a sequence's length) with 32 * size, so
    that five halvings (a VGG's poolings) still leave the two stand-ins different."""
    return [(size if i == 0 else 32 * size) if d is None else d
            for i, d in enumerate(kt.shape.as_list())]  # fmt: skip


def _concrete(structure, size):
    def each(x):
        return _stand_in(x, size) if isinstance(x, KerasTensor) else x

    return nest.map_structure(each, structure)


class _Spec:
    """An output's shape and dtype (a leaf of the output structure)."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = list(shape)
        self.dtype = dtype


def _abstract(layer, args, kwargs, size):
    """The layer's outputs as `jax.ShapeDtypeStruct`s, by abstract evaluation: nothing is
    computed or compiled (a large functional model builds in a fraction of the time)."""
    import jax

    from jaxtape._src.tensor import make, to_jax

    structure = (args, kwargs)
    symbolic = [x for x in nest.flatten(structure) if isinstance(x, KerasTensor)]
    specs = [jax.ShapeDtypeStruct(_stand_in_shape(kt, size), kt.dtype.as_numpy_dtype)
             for kt in symbolic]  # fmt: skip

    def run(*arrays):
        it = iter(arrays)
        a, k = nest.map_structure(
            lambda x: make(next(it), x.dtype) if isinstance(x, KerasTensor) else x, structure
        )
        return nest.map_structure(to_jax, layer(*a, **k))

    STATE.abstract_build = True
    try:
        return nest.map_structure(lambda s: _Spec(s.shape, s.dtype), jax.eval_shape(run, *specs))
    finally:
        STATE.abstract_build = False


def _random_state(saved=None):
    """The global random streams a layer's build may draw from (TF's op seeds, Python's
    `random` that Keras initializers seed from): read them, or put `saved` back."""
    import random

    from jaxtape._src.ops import random_ops

    st = random_ops._state
    if saved is None:
        return (random.getstate(), st.rng.getstate() if st.rng is not None else None,
                dict(st.kernel_counters))  # fmt: skip
    random.setstate(saved[0])
    if saved[1] is not None and st.rng is not None:
        st.rng.setstate(saved[1])
    st.kernel_counters = saved[2]
    return None


def _outputs(layer, args, kwargs):
    """The layer's outputs on stand-ins with 2 and 3 in every unknown dimension: abstractly
    when the layer allows it, else by running it on zeros (a layer that needs values: a
    Python branch on data, a NumPy call, a Variable made from its input)."""
    saved = _random_state()
    try:
        return [_abstract(layer, args, kwargs, size) for size in (2, 3)]
    except Exception:  # noqa: BLE001  (any failure: redo it with values, which raises clearly)
        _random_state(saved)  # the attempt's random draws are not the program's
        outs = [layer(*_concrete(args, size), **_concrete(kwargs, size)) for size in (2, 3)]
        return [nest.map_structure(lambda t: _Spec(t.shape.as_list(), t.dtype), o) for o in outs]


def symbolic_call(layer, args, kwargs):
    """`layer(*args, **kwargs)` on KerasTensors: a new Node and its symbolic outputs."""
    saved = STATE.tapes
    STATE.tapes = []
    try:
        outs = _outputs(layer, args, kwargs)
    finally:
        STATE.tapes = saved
    node = Node(layer, args, kwargs)
    flat_a, flat_b = nest.flatten(outs[0]), nest.flatten(outs[1])
    made = []
    for i, (a, b) in enumerate(zip(flat_a, flat_b)):
        shape = [da if da == db else None for da, db in zip(a.shape, b.shape)]
        made.append(KerasTensor(shape, a.dtype, name=_next_name(), node=node, index=i))
    node.outputs = made
    result = nest.pack_sequence_as(outs[0], made)
    if hasattr(layer, "_inbound"):  # a Keras layer: `layer.input` / `layer.output`
        layer._inbound.append((args[0] if len(args) == 1 else list(args), result))
    return result


_NAMES = itertools.count()


def _next_name():
    n = next(_NAMES)
    return "keras_tensor" if n == 0 else "keras_tensor_%d" % n
