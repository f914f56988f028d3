"""`tf.data.Dataset`: the in-memory and generator input pipelines TF training loops use.

Light by design: NumPy arrays underneath, Python iterators between stages, one background
thread for `prefetch`.  Elements come out as jaxtape Tensors in TF's nests (tuples, dicts).
Every stage re-iterates from its source, so a dataset can be iterated any number of times
(`for epoch in ...: for batch in ds:`), as TF's.

Differences from TF: `shuffle` draws its order from NumPy's generator (seeded from the op seed
and `tf.random.set_seed`'s global seed when given: reproducible, but not TF's order); `map`
runs the function eagerly per element (`num_parallel_calls` and `deterministic` are accepted);
a Dataset passed into `jaxtape.function` is iterated while tracing (unrolled), not as TF's
graph-side iterator.
"""

from __future__ import annotations

import queue
import threading

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import nest
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.registry import export_value
from jaxtape._src.function import TensorSpec

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


def _to_array(x):
    """A NumPy array with TF's dtype for a value of an element."""
    t = x if is_tensor_like(x) else convert_to_tensor(x)
    t = convert_to_tensor(t)
    a = t._value
    return np.asarray(a) if t.dtype is not _dt.string else a, t.dtype


class _Element:
    """A leaf of an element: its array and TF dtype."""

    __slots__ = ("array", "dtype")

    def __init__(self, array, dtype):
        self.array, self.dtype = array, dtype


def _leaves(structure):
    return nest.flatten(structure)


def _tensor(leaf):
    from jaxtape._src.tensor import make
    import jax.numpy as jnp

    if leaf.dtype is _dt.string:
        return make(leaf.array, _dt.string)
    return make(jnp.asarray(leaf.array), leaf.dtype)


def _spec_of(structure):
    return (
        nest.map_structure(lambda e: TensorSpec(e.array.shape, e.dtype), structure)
        if isinstance(structure, (list, tuple, dict))
        else TensorSpec(structure.array.shape, structure.dtype)
    )


def _map_struct(fn, structure):
    if isinstance(structure, (list, tuple, dict)):
        return nest.map_structure(fn, structure)
    return fn(structure)


def _normalize(value):
    """A user's nest (Tensors, arrays, lists as tensors) as a nest of _Element leaves: a tuple
    or dict is structure, a list is one tensor (as TF)."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return (
            type(value)(*[_normalize(v) for v in value])
            if hasattr(value, "_fields")
            else tuple(_normalize(v) for v in value)
        )
    return _Element(*_to_array(value))


def _from_tensors(value):
    return (
        nest.map_structure(_tensor, value) if isinstance(value, (tuple, dict)) else _tensor(value)
    )


class Dataset:
    """`tf.data.Dataset`.  Build one with `from_tensor_slices`, `from_tensors`, `range`,
    `from_generator` or `zip`; chain transformations; iterate it."""

    def __init__(self, make_iter, cardinality, spec):
        self._make_iter = make_iter  # () -> iterator over nests of _Element
        self._cardinality = cardinality
        self._spec = spec

    # -- sources --------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        structure = _normalize(tensors)
        leaves = _leaves(structure)
        n = {len(e.array) if e.array.ndim else None for e in leaves}
        if None in n:
            raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        if len(n) != 1:
            raise ValueError("Dimensions %s in both shapes must be equal" % sorted(n))
        size = n.pop()

        def it():
            for i in range(size):
                yield _map_struct(lambda e: _Element(e.array[i], e.dtype), structure)  # noqa: B023

        spec = _map_struct(lambda e: TensorSpec(e.array.shape[1:], e.dtype), structure)
        return Dataset(it, size, spec)

    @staticmethod
    def from_tensors(tensors, name=None):
        structure = _normalize(tensors)
        return Dataset(lambda: iter([structure]), 1, _spec_of(structure))

    @staticmethod
    def range(*args, output_type=_dt.int64, name=None):
        r = range(*[int(a) for a in args])
        d = _dt.as_dtype(output_type)

        def it():
            for i in r:
                yield _Element(np.asarray(i, d.as_numpy_dtype), d)

        return Dataset(it, len(r), TensorSpec([], d))

    @staticmethod
    def from_generator(
        generator,
        output_types=None,
        output_shapes=None,
        args=None,
        output_signature=None,
        name=None,
    ):
        if output_signature is None and output_types is None:
            raise TypeError("The `output_signature` argument must be set.")
        sig = output_signature
        types = output_types

        def it():
            gen = generator(*(args or ()))
            for value in gen:
                if sig is not None:
                    yield _conform(value, sig)
                else:
                    yield _conform_types(value, types)

        if sig is not None:
            spec = _map_struct(lambda s: TensorSpec(s.shape, s.dtype), sig)
        else:
            spec = _map_struct(lambda t: TensorSpec(None, t), types)
        return Dataset(it, UNKNOWN, spec)

    @staticmethod
    def zip(*datasets, name=None):
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, dict)):
            datasets = datasets[0]
        structure = datasets

        def it():
            flat = nest.flatten(structure)
            iters = [d._make_iter() for d in flat]
            for items in zip(*iters):
                yield nest.pack_sequence_as(structure, list(items))

        cards = [d._cardinality for d in nest.flatten(structure)]
        finite = [c for c in cards if c >= 0]
        card = min(finite) if finite else (UNKNOWN if UNKNOWN in cards else INFINITE)
        spec = nest.pack_sequence_as(structure, [d._spec for d in nest.flatten(structure)])
        return Dataset(it, card, tuple(spec) if isinstance(spec, list) else spec)

    # -- transformations ------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        source = self

        def call(element):
            args = _from_tensors(element)
            out = (
                map_func(*args)
                if isinstance(args, tuple) and not hasattr(args, "_fields")
                else map_func(args)
            )
            return _normalize(out if not isinstance(out, list) else tuple(out))

        def it():
            for e in source._make_iter():
                yield call(e)

        return _LazySpec(it, self._cardinality, lambda: _peek_spec(it))

    def filter(self, predicate, name=None):
        source = self

        def it():
            for e in source._make_iter():
                args = _from_tensors(e)
                keep = predicate(*args) if isinstance(args, tuple) else predicate(args)
                if bool(keep):
                    yield e

        return Dataset(it, UNKNOWN if self._cardinality != INFINITE else INFINITE, self._spec)

    def batch(
        self,
        batch_size,
        drop_remainder=False,
        num_parallel_calls=None,
        deterministic=None,
        name=None,
    ):
        n = int(batch_size)
        if n <= 0:
            from jaxtape._src.errors import InvalidArgumentError

            raise InvalidArgumentError(None, None, "batch_size must be greater than zero.")
        c = self._cardinality
        spec = (
            _map_struct(
                lambda s: TensorSpec(
                    [n if drop_remainder and c != UNKNOWN else None] + s.shape.as_list(), s.dtype
                ),
                self._spec,
            )
            if self._spec is not None
            else None
        )
        return self._batched(n, drop_remainder, _stack, spec)

    def _batched(self, n, drop_remainder, stack, spec):
        source = self

        def it():
            buf = []
            for e in source._make_iter():
                buf.append(e)
                if len(buf) == n:
                    yield stack(buf)
                    buf = []
            if buf and not drop_remainder:
                yield stack(buf)

        c = self._cardinality
        card = c if c < 0 else (c // n if drop_remainder else -(-c // n))
        return Dataset(it, card, spec)

    def padded_batch(
        self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None
    ):
        def stack(buf):
            return _stack(buf, pad=True, padded_shapes=padded_shapes, padding_values=padding_values)

        return self._batched(int(batch_size), drop_remainder, stack, None)

    def unbatch(self, name=None):
        source = self

        def it():
            for e in source._make_iter():
                leaves = _leaves(e)
                for i in range(len(leaves[0].array)):
                    yield _map_struct(lambda x: _Element(x.array[i], x.dtype), e)  # noqa: B023

        spec = (
            _map_struct(lambda s: TensorSpec(s.shape.as_list()[1:], s.dtype), self._spec)
            if self._spec is not None
            else None
        )
        return Dataset(it, UNKNOWN, spec)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        source = self
        from jaxtape._src.ops import random_ops

        base = _seed(seed, random_ops)
        epoch = [0]

        def it():
            rng = np.random.default_rng([base, epoch[0]] if reshuffle_each_iteration else [base])
            epoch[0] += 1
            buf = []
            for e in source._make_iter():
                buf.append(e)
                if len(buf) >= int(buffer_size):
                    yield buf.pop(int(rng.integers(len(buf))))
            while buf:
                yield buf.pop(int(rng.integers(len(buf))))

        return Dataset(it, self._cardinality, self._spec)

    def repeat(self, count=None, name=None):
        source = self
        times = None if count is None or int(count) < 0 else int(count)

        def it():
            k = 0
            while times is None or k < times:
                got = False
                for e in source._make_iter():
                    got = True
                    yield e
                if not got:
                    return
                k += 1

        c = self._cardinality
        card = INFINITE if times is None else (c * times if c >= 0 else c)
        return Dataset(it, card, self._spec)

    def take(self, count, name=None):
        source, n = self, int(count)

        def it():
            if n == 0:
                return
            for i, e in enumerate(source._make_iter()):
                yield e
                if n > 0 and i + 1 >= n:
                    return

        c = self._cardinality
        card = c if n < 0 else (n if c == INFINITE else (min(c, n) if c >= 0 else UNKNOWN))
        return Dataset(it, card, self._spec)

    def skip(self, count, name=None):
        source, n = self, int(count)

        def it():
            for i, e in enumerate(source._make_iter()):
                if n < 0 or i < n:
                    continue
                yield e

        c = self._cardinality
        card = c if c < 0 else (0 if n < 0 else max(c - n, 0))
        return Dataset(it, card, self._spec)

    def enumerate(self, start=0, name=None):
        source = self

        def it():
            for i, e in enumerate(source._make_iter(), int(start)):
                yield (_Element(np.asarray(i, np.int64), _dt.int64), e)

        return Dataset(it, self._cardinality, (TensorSpec([], _dt.int64), self._spec))

    def prefetch(self, buffer_size, name=None):
        source = self
        size = 2 if buffer_size is None or int(buffer_size) < 1 else int(buffer_size)

        def it():
            q: queue.Queue = queue.Queue(maxsize=size)
            done = object()
            stop = threading.Event()

            def work():
                try:
                    for e in source._make_iter():
                        if stop.is_set():
                            return
                        q.put(e)
                    q.put(done)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
                    q.put(exc)

            threading.Thread(target=work, daemon=True).start()
            try:
                while True:
                    e = q.get()
                    if e is done:
                        return
                    if isinstance(e, BaseException):
                        raise e
                    yield e
            finally:
                stop.set()

        return Dataset(it, self._cardinality, self._spec)

    def cache(self, filename="", name=None):
        source = self
        store: list = []
        full = [False]

        def it():
            if full[0]:
                yield from store
                return
            fresh = []
            for e in source._make_iter():
                fresh.append(e)
                yield e
            store[:] = fresh
            full[0] = True

        return Dataset(it, self._cardinality, self._spec)

    def apply(self, transformation_func):
        return transformation_func(self)

    # -- inspection and iteration ---------------------------------------------------------
    @property
    def element_spec(self):
        return self._spec

    def cardinality(self):
        return convert_to_tensor(np.int64(self._cardinality))

    def __len__(self):
        if self._cardinality == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __iter__(self):
        for e in self._make_iter():
            yield _from_tensors(e)

    def as_numpy_iterator(self):
        for e in self._make_iter():
            yield _map_struct(
                lambda x: (
                    (x.array[()] if x.array.ndim == 0 else x.array)
                    if x.dtype is not _dt.string
                    else (x.array.item() if x.array.ndim == 0 else x.array)
                ),
                e,
            )

    def reduce(self, initial_state, reduce_func, name=None):
        state = initial_state
        for e in self:
            state = reduce_func(state, *e) if isinstance(e, tuple) else reduce_func(state, e)
        return state

    def __repr__(self):
        return "<_Dataset element_spec=%s>" % (self._spec,)


class _LazySpec(Dataset):
    """A dataset whose element_spec is found by running one element through (map)."""

    def __init__(self, make_iter, cardinality, find_spec):
        super().__init__(make_iter, cardinality, None)
        self._find_spec = find_spec

    @property
    def _spec(self):
        if self.__dict__.get("_spec_value") is None and self._find_spec is not None:
            self.__dict__["_spec_value"] = self._find_spec()
        return self.__dict__.get("_spec_value")

    @_spec.setter
    def _spec(self, value):
        self.__dict__["_spec_value"] = value


def _peek_spec(make_iter):
    first = next(make_iter(), None)
    return None if first is None else _spec_of(first)


def _seed(seed, random_ops):
    """The shuffle's seed: the op seed and tf.random.set_seed's global seed (OS entropy when
    neither is set, as TF)."""
    gs = random_ops._state.global_seed
    if seed is None and gs is None:
        return int(np.random.default_rng().integers(2**31))
    return (
        int((0 if gs is None else gs) * 1000003 + (0 if seed is None else int(seed))) & 0x7FFFFFFF
    )


def _stack(elements, pad=False, padded_shapes=None, padding_values=None):
    first = elements[0]
    flat = [_leaves(e) for e in elements]
    out = []
    single = not isinstance(first, (tuple, dict))
    pads = None
    if padded_shapes is not None and pad:
        pads = [padded_shapes] if single else _flatten_like(padded_shapes, first)
    values = None
    if padding_values is not None:
        values = [padding_values] if single else _flatten_like(padding_values, first)
    for j, leaf in enumerate(flat[0]):
        arrays = [f[j].array for f in flat]
        if pad:
            shape = [max(a.shape[d] for a in arrays) for d in range(arrays[0].ndim)]
            if pads is not None and pads[j] is not None:
                want = list(pads[j]) if not hasattr(pads[j], "as_list") else pads[j].as_list()
                shape = [s if w is None or w == -1 else int(w) for s, w in zip(shape, want)]
            fill = values[j] if values is not None else 0
            fill = np.asarray(fill.numpy() if hasattr(fill, "numpy") else fill)
            padded = []
            for a in arrays:
                b = np.full(shape, fill, dtype=a.dtype)
                b[tuple(slice(0, s) for s in a.shape)] = a
                padded.append(b)
            arrays = padded
        try:
            stacked = np.stack(arrays)
        except ValueError:
            from jaxtape._src.errors import InvalidArgumentError

            raise InvalidArgumentError(
                None,
                None,
                "Cannot batch tensors with different shapes in component %d. First "
                "element had shape %s and element %d had shape %s."
                % (
                    j,
                    list(arrays[0].shape),
                    next(i for i, a in enumerate(arrays) if a.shape != arrays[0].shape),
                    list(next(a for a in arrays if a.shape != arrays[0].shape).shape),
                ),
            ) from None
        out.append(_Element(stacked, leaf.dtype))
    return nest.pack_sequence_as(first, out) if isinstance(first, (tuple, dict)) else out[0]


def _flatten_like(value, structure):
    """`value`'s parts at `structure`'s leaves (a list inside `value` stays one part)."""
    if isinstance(structure, dict):
        return [p for k in sorted(structure) for p in _flatten_like(value[k], structure[k])]
    if isinstance(structure, tuple):
        return [p for v, s in zip(value, structure) for p in _flatten_like(v, s)]
    return [value]


def _conform(value, signature):
    """A generator's value checked against `output_signature` (TF raises on a mismatch)."""
    flat_v = _flatten_like(value, signature)
    flat_s = nest.flatten(signature) if isinstance(signature, (tuple, dict)) else [signature]
    out = []
    for v, s in zip(flat_v, flat_s):
        t = convert_to_tensor(v, dtype=s.dtype) if not is_tensor_like(v) else convert_to_tensor(v)
        if not s.shape.is_compatible_with(t.shape):
            from jaxtape._src.errors import InvalidArgumentError

            raise InvalidArgumentError(
                None,
                None,
                "`generator` yielded an element of shape %s "
                "where an element of shape %s was expected." % (t.shape, s.shape),
            )
        out.append(
            _Element(np.asarray(t._value) if t.dtype is not _dt.string else t._value, t.dtype)
        )
    return nest.pack_sequence_as(signature, out) if isinstance(signature, (tuple, dict)) else out[0]


def _conform_types(value, types):
    flat_v = _flatten_like(value, types)
    flat_t = nest.flatten(types) if isinstance(types, (tuple, dict)) else [types]
    out = []
    for v, d in zip(flat_v, flat_t):
        t = convert_to_tensor(v, dtype=d) if not is_tensor_like(v) else convert_to_tensor(v)
        out.append(
            _Element(np.asarray(t._value) if t.dtype is not _dt.string else t._value, t.dtype)
        )
    return nest.pack_sequence_as(types, out) if isinstance(types, (tuple, dict)) else out[0]


export_value("data.Dataset", Dataset)
export_value("data.AUTOTUNE", AUTOTUNE)
export_value("data.INFINITE_CARDINALITY", INFINITE)
export_value("data.UNKNOWN_CARDINALITY", UNKNOWN)
export_value("data.experimental.AUTOTUNE", AUTOTUNE)
export_value("data.experimental.INFINITE_CARDINALITY", INFINITE)
export_value("data.experimental.UNKNOWN_CARDINALITY", UNKNOWN)
