"""Lazy eager: eager ops recorded into a pending segment, run together as one compiled call.

With lazy eager on (`tf.config.experimental.set_lazy_eager(True)`, or `JAXTAPE_LAZY_EAGER=1`), an
op called eagerly checks its arguments and computes its output's shape and dtype at once — from
a cached abstract evaluation, so every error is still raised at the line that called the op,
with the class op-by-op execution raises — but its value is computed later.  The op is appended
to the *segment*: a list of (op, static params, wiring) whose inputs are concrete arrays (the
segment's leaves) or outputs of earlier ops of the segment.  Gradients (`tape.gradient`) and
optimizer updates join the same segment, so a training step written eagerly (forward, backward,
update) becomes one segment.

The segment runs when a value is needed: any read of a pending Tensor's array (`numpy()`,
`print`, `bool()`/`float()`, `__array__`, `tf.to_jax`, an op that needs a host value), when the
next op is recorded after an optimizer's update ended the segment (`close`: a training step's
natural end), or at a size bound.  It runs in one of two
tiers, keyed by its structure (ops, params, wiring, leaf shapes and dtypes, which outputs are
still referenced):

* a structure seen before runs as ONE `jax.jit` call, compiled once and cached;
* a structure seen for the first time runs op by op with each op's cached eager kernel — unless
  it is a training step (an optimizer's update ended it), which is compiled at once (one
  compile costs less than its ops' kernels one by one), as long as such first-sight compiles
  keep coming back (a step whose structure changes every time goes back to op by op);
* a structure seen before with other leading sizes (a batch size that changes every step) runs
  as its *bucket's* compiled call: inputs zero-padded to the next power of two, the true size a
  run-time argument, each op by its kernel's padding rule (buckets.py), outputs cut to their
  true shapes when read (a size seen again stays in its bucket).  Values as op by op up to
  the order of additions over the batch.

Inside the compiled segment each op's float outputs pass through an integer OR with a zero XLA
cannot see at compile time (`_opaque`), so XLA cannot fuse or simplify across op boundaries (a
multiply of one op and the add of the next contracted into one FMA would differ in the last
bit): values are those of op-by-op execution (TF eager computes one op at a time).

Values: a pending Tensor is a `LazyTensor` whose array slot holds a `Pending` (shape and dtype
known, value not yet).  Reading its array runs the segment and turns the object back into a plain
`EagerTensor` (same layout: only the class changes), so code that reads `t._value` needs no
change and pays nothing after the first read.  A Variable assigned a pending value is handled
the same way: its class becomes a lazy subclass of its own class until the value is read.
Arrays are immutable, so program order is kept without copies: a read before an `assign` holds
the old array, a read after it the new pending value.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import weakref
from sys import getrefcount

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src import buckets, caches
from jaxtape._src.context import FLUSH, HOOKS, STATE
from jaxtape._src.shape import TensorShape
from jaxtape._src.tensor import EAGER_TYPES, EagerTensor, _next_id, is_tracer, make

__all__ = ["ON", "Pending", "LazyTensor", "set_enabled", "flush", "raw", "concrete"]

# ON[0]: lazy eager is on.  A list, read on every op (one index, no attribute lookup).
ON = [os.environ.get("JAXTAPE_LAZY_EAGER", "0") not in ("", "0")]
# USED[0]: lazy eager has been on in this process, so pending values may exist (a tensor
# recorded lazily and never read keeps its Pending after the switch is turned off).
USED = [ON[0]]
# A segment runs when it holds this many ops without a read (a loop that never reads).
MAX_OPS = 10_000
# A structure is compiled the n-th time it is seen (before that it runs op by op) ...
COMPILE_AT = 2
# ... except a training step (a segment an optimizer's update ended), compiled the first time:
# compiling it once costs less than its ops' kernels compiled one by one.  Unless the last
# FIRST_SIGHT_WASTE steps so compiled never came back (a loop whose step changes structure
# every step, which op by op runs on kernels compiled once).
FIRST_SIGHT_WASTE = 2
_UNUSED = [0]  # training steps compiled at first sight since a compiled structure came back
# Longer segments always run op by op: compiling thousands of ops as one XLA program costs
# seconds (and very deep programs have crashed XLA's compiler), as backward.OP_BY_OP_LIMIT.
COMPILE_MAX_OPS = 1000

# What `getrefcount(leaves[i])` shows for an array only a segment's leaf list holds.
_PROBE = [object()]
_OWNED = getrefcount(_PROBE[0])
del _PROBE


def _refcounts(items):
    """`getrefcount` of each of `items`, each seen the same way (see `_HELD`)."""
    return [getrefcount(x) for x in items]


# What `_refcounts` shows for a Pending only its segment's list holds (no Tensor, Variable or
# tape): a dead output, not computed.  The segment keeps its Pendings in a plain list and counts
# references when it runs (a weak reference per output cost more); measured, not assumed, since
# interpreters differ in the references a loop holds.
_HELD = _refcounts([object()])[0]

_SLOT = EagerTensor.__dict__["_value"]  # the array slot itself, bypassing LazyTensor's property
raw = _SLOT.__get__
_set_raw = _SLOT.__set__


class Pending:
    """A value a segment will compute: its shape and dtype (a `jax.ShapeDtypeStruct`'s view),
    and once the segment has run, its array."""

    __slots__ = ("seg", "j", "k", "shape", "dtype", "aval", "value", "padded")

    def __init__(self, seg, j, k, aval):
        self.seg = seg
        self.j = j
        self.k = k
        self.aval = aval  # (shape, dtype): what the avals cache is keyed on
        self.shape, self.dtype = aval
        self.value = None
        self.padded = None  # (array, axis, n): a bucketed segment's output, cut at first read

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def force(self):
        v = self.value
        if v is None:
            self.seg.run()
            v = self.value
            if v is None and self.padded is not None:
                v = self.value = _cut(*self.padded)
                self.padded = None
        return v

    def __repr__(self):
        return "<Pending %s %s>" % (self.shape, self.dtype)


def concrete(v):
    """An array for `v`, an array or a Pending (running its segment if needed)."""
    return v.force() if type(v) is Pending else v


# -- lazy tensors --------------------------------------------------------------------------


def _settling_value(slot, plain_cls):
    """The `_value` property of a lazy class over the array `slot` of `plain_cls`: a read runs
    the segment if the value is pending, stores the array and gives the object `plain_cls`
    back (same layout); storing an array does the same."""
    get, put = slot.__get__, slot.__set__

    def read(self):
        v = get(self)
        if type(v) is Pending:
            v = v.force()
            put(self, v)
        self.__class__ = plain_cls
        return v

    def write(self, v):
        put(self, v)
        if type(v) is not Pending:
            self.__class__ = plain_cls

    return property(read, write)


class LazyTensor(EagerTensor):
    """An `EagerTensor` whose value a pending segment computes.  Same layout as EagerTensor: the
    first read of its array runs the segment and makes the object a plain EagerTensor."""

    __slots__ = ()
    _value = _settling_value(_SLOT, EagerTensor)

    @property
    def _ashape(self):
        return raw(self).shape

    @property
    def _asize(self):
        return raw(self).size

    @property
    def shape(self):
        return TensorShape(raw(self).shape)

    @property
    def ndim(self):
        return len(raw(self).shape)


LazyTensor.__name__ = LazyTensor.__qualname__ = "EagerTensor"
LazyTensor.__module__ = EagerTensor.__module__
EAGER_TYPES.add(LazyTensor)
jax.tree_util.register_pytree_node(
    LazyTensor,
    lambda t: ((t._value,), t._dtype),  # flattening reads (runs) the value
    lambda dtype, ch: make(ch[0], dtype),
)


def make_lazy(p: Pending, dtype) -> LazyTensor:
    t = EagerTensor.__new__(LazyTensor)
    _set_raw(t, p)
    t._dtype = dtype
    t._id = _next_id()
    return t


# -- lazy Variables ------------------------------------------------------------------------

_LAZY_VAR: dict = {}  # Variable class -> its lazy subclass
_LAZY_VAR_CLASSES: set = set()
LAZY_VARIABLE_CLASSES = _LAZY_VAR_CLASSES
# Variables assigned a pending value, by id (Variables are unhashable, as TF's)
_PENDING_VARS: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()


def _lazy_variable_class(cls):
    lz = _LAZY_VAR.get(cls)
    if lz is None:
        slot = None
        for base in cls.__mro__:
            d = base.__dict__.get("_value")
            if d is not None:
                slot = d
                break
        get = slot.__get__

        def _read_as_tensor(self, _get=get, _cls=cls):
            v = _get(self)
            if type(v) is Pending and v.value is None:
                return self._track_read(make_lazy(v, self._dtype))
            return _cls._read_as_tensor(self)

        lz = type(
            cls.__name__,
            (cls,),
            {
                "__slots__": (),
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "_value": _settling_value(slot, cls),
                "_read_as_tensor": _read_as_tensor,
                "_raw_value": property(get),
                "_ashape": property(lambda self, _get=get: _get(self).shape),
            },
        )
        _LAZY_VAR[cls] = lz
        _LAZY_VAR_CLASSES.add(lz)
    return lz


def assign_pending(var, p: Pending) -> None:
    """Make `var` hold the pending value `p` (its class becomes its lazy subclass).  The array
    it held, when it is an input of `p`'s segment, may be donated to the segment (`Segment.run`
    checks that nothing else holds it)."""
    cls = type(var)
    lz = cls if cls in _LAZY_VAR_CLASSES else _lazy_variable_class(cls)
    old = lz._raw_value.fget(var)
    if type(old) is Pending:
        old = old.value  # a value an earlier segment computed (None: still pending)
    if old is not None:
        i = p.seg.leaf_index.get(id(old)) if p.seg.leaf_index is not None else None
        if i is not None and p.seg.leaves[i] is old:
            p.seg.replaced.append(i)
    if cls is not lz or id(var) not in _PENDING_VARS:  # a membership test costs less
        _PENDING_VARS[id(var)] = var
        var.__class__ = lz
    lz._value.fset(var, p)


def var_ref(var):
    """A Variable's value as a segment input: its Pending if it holds one, else its array."""
    if type(var) in _LAZY_VAR_CLASSES:
        return type(var)._raw_value.fget(var)
    return var._value


# -- segment ops ---------------------------------------------------------------------------


class Fn:
    """A segment op that is not a registry kernel (a gradient, an optimizer update): `impl`
    takes and returns flat arrays; `eager` is its jitted form for the op-by-op tier."""

    __slots__ = ("name", "impl", "eager", "multi", "rows", "family", "__weakref__")

    def __init__(self, name, impl, eager=None, rows=None, family=None):
        self.name = name
        self.impl = impl
        self.eager = eager if eager is not None else jax.jit(impl)
        self.multi = True
        self.rows = rows  # see buckets.py
        # what identifies the op across shapes (a gradient's Fn is made per shape)
        self.family = self if family is None else family

    def __repr__(self):
        return "<lazy op %s>" % self.name


_avals = caches.LRU("lazy_avals", 4096)  # (op, params, input avals) -> output avals
_compiled = caches.LRU("lazy_segments", 256)  # segment structure -> its jitted run
_seen = caches.LRU("lazy_seen", 4096)  # segment structure -> times seen
STATS = {
    "segments": 0,
    "compiled_calls": 0,
    "op_by_op_runs": 0,
    "compiles": 0,
    "donated": 0,
    "bucketed_calls": 0,
    "bucket_compiles": 0,
}


def _abstract_eval(op, params, in_avals):
    """The (shape, numpy dtype) of each output of `op` on inputs of `in_avals` (`call` caches
    it in `_avals`).  Raises what the op's abstract evaluation raises."""
    structs = [jax.ShapeDtypeStruct(s, d) for s, d in in_avals]
    kw = dict(params) if params else {}
    out = jax.eval_shape(lambda *a: op.impl(*a, **kw), *structs)
    outs = out if op.multi else (out,)
    return tuple((tuple(o.shape), o.dtype) for o in outs)


# (op family, params, input shapes with one size erased, dtypes) -> the last two (size, avals)
_by_size = caches.LRU("lazy_shape_samples", 4096)


def _size_keys(op, params, in_avals):
    """For each size n >= 2 among the inputs' dimensions: (n, the key of `_by_size` with every
    dimension equal to n erased)."""
    fam = op.family if type(op) is Fn else op
    sizes = {d for s, _ in in_avals for d in s if d >= 2}
    for n in sizes:
        erased = tuple([(tuple([None if d == n else d for d in s]), t) for s, t in in_avals])
        yield n, (fam, params, erased)


def _size_sample(key, avals):
    """Keep an abstract evaluation as a sample of how the output shapes of an op with a padding
    rule follow a size of its inputs (see `_shapes_by_size`)."""
    op, params, in_avals = key
    if op.rows is None:
        return
    for n, k in _size_keys(op, params, in_avals):
        samples = _by_size.get(k)
        if samples is None:
            _by_size.put(k, ((n, avals),))
        elif samples[-1][0] != n:
            _by_size.put(k, (samples[-1], (n, avals)))


def _shapes_by_size(op, params, in_avals):
    """The output avals of an op with a padding rule (buckets.py: elementwise ops, matmul,
    reductions, a gradient), from two earlier abstract evaluations whose inputs differed from
    these only in one size, without tracing: an output dimension that was that size in both is
    the size now, the others are constant.  None when that does not hold (or a size is 0 or 1,
    where broadcasting and empty reductions behave differently): the op is then evaluated
    abstractly, which raises what it raises.

    A loop whose batch size changes every step would otherwise trace every op (and a gradient's
    whole backward pass) once per step.  Only ops with a padding rule are inferred: their output
    shapes follow their inputs' sizes linearly (a slice's `min(n, end)` would not)."""
    if op.rows is None:
        return None
    for n, k in _size_keys(op, params, in_avals):
        samples = _by_size.get(k)
        if samples is None or len(samples) < 2:
            continue
        (na, out_a), (nb, out_b) = samples
        out = []
        for (sa, d), (sb, _) in zip(out_a, out_b):
            shape = []
            for da, db in zip(sa, sb):
                if da == db:
                    shape.append(da)
                elif (da, db) == (na, nb):
                    shape.append(n)
                else:
                    break
            if len(shape) != len(sa):
                break
            out.append((tuple(shape), d))
        else:
            return tuple(out)
    return None


class Segment:
    """The pending ops: their structure (`sig`), the leaves and the outputs' Pendings."""

    __slots__ = ("sig", "leaves", "leaf_avals", "leaf_index", "pend", "done", "replaced", "step")

    def __init__(self):
        self.sig = []
        self.leaves = []
        self.leaf_avals = []
        self.leaf_index = {}
        self.pend = []
        self.done = False
        self.replaced = []  # leaves that were a Variable's array before it was assigned here
        self.step = False  # an optimizer's update ended it (`close`): a training step

    def append(self, op, params, vals, in_avals, avals):
        """Record `op` on `vals` (arrays: the segment's leaves, or Pendings: wires to earlier
        ops, or inputs computed now if another segment owns them); its output Pendings."""
        refs = []
        index = self.leaf_index
        for v, a in zip(vals, in_avals):
            if type(v) is Pending:
                if v.seg is self and v.value is None:
                    refs.append((v.j, v.k))
                    continue
                v = v.force()
            i = index.get(id(v))
            if i is None:
                i = index[id(v)] = len(self.leaves)
                self.leaves.append(v)
                self.leaf_avals.append(a)
            refs.append(i)
        sig = self.sig
        j = len(sig)
        sig.append((op, params, tuple(refs)))
        pend = self.pend
        if len(avals) == 1:
            p = Pending(self, j, 0, avals[0])
            pend.append(p)
            return (p,)
        outs = []
        for k, a in enumerate(avals):
            p = Pending(self, j, k, a)
            pend.append(p)
            outs.append(p)
        return outs

    def run(self):
        """Compute every pending value still referenced (op by op the first time this structure
        is seen, then as one compiled call)."""
        with _LOCK:  # another thread may read a value of this thread's segment
            if self.done:
                return
            self.done = True
            if _TLS.seg is self:
                _TLS.seg = None
            if _TLS.closed is self:
                _TLS.closed = None
            self._run()

    def _run(self):
        live, holders = [], []
        pend = self.pend
        for p, n in zip(pend, _refcounts(pend)):
            if n > _HELD:  # referenced elsewhere than by the segment: a live value
                live.append((p.j, p.k))
                holders.append(p)
        if not holders:
            return
        leaves = self.leaves
        sig = tuple(self.sig)
        donate = self._donatable(holders) if self.replaced else ()
        structure = (sig, tuple(self.leaf_avals), tuple(live))
        key = caches.HashedKey(structure + (donate,))  # hashed once, not per lookup
        STATS["segments"] += 1
        fn = _compiled.get(key)
        if fn is None:
            # sightings count the structure, whatever was donated: a loop's first steps may
            # differ only in what can be donated (a Variable's initial value is still held)
            n = (_seen.get(structure) or 0) + 1
            _seen.put(structure, n)
            # one op is one call either way: its eager kernel, no segment to compile
            small = len(sig) == 1 or len(sig) > COMPILE_MAX_OPS
            # a structure of a bucketed family stays in its bucket, even seen again: a loop
            # cycling through batch sizes would otherwise compile (and keep) one per size
            if not small and BUCKETS[0] and self._run_bucketed(sig, tuple(live), holders):
                self._release()
                return
            if n < COMPILE_AT or small:
                if small or not self.step or _UNUSED[0] >= FIRST_SIGHT_WASTE:
                    STATS["op_by_op_runs"] += 1
                    outs = _op_by_op(sig, leaves)
                    for p in holders:
                        p.value = outs[p.j][p.k]
                    self._release()
                    return
                _UNUSED[0] += 1  # a training step compiled the first time it is seen
            fn = jax.jit(_builder(sig, tuple(live)), donate_argnums=donate)
            STATS["compiles"] += 1
            _compiled.put(key, fn)
        else:
            _UNUSED[0] = 0  # a compiled structure came back
        STATS["compiled_calls"] += 1
        STATS["donated"] += len(donate)
        vals = fn(_zeros(), *leaves)
        for p, v in zip(holders, vals):
            p.value = v
        self._release()

    def _run_bucketed(self, sig, live, holders):
        """Run a structure seen before with other leading sizes as its bucket's compiled call
        (see buckets.py); False when it is not one (nothing has run then)."""
        avals = self.leaf_avals
        family = (
            tuple([(op.family if type(op) is Fn else op, p, r) for op, p, r in sig]),
            tuple([(s[1:], len(s), d) for s, d in avals]),
            live,
        )
        dims = tuple([s[0] if s else -1 for s, _ in avals])
        prev = _families.get(family)
        _families.put(family, dims)
        if prev is None or prev == dims:
            return False
        padded = tuple([i for i, (a, b) in enumerate(zip(prev, dims)) if a != b])
        sizes = {dims[i] for i in padded}
        if len(sizes) != 1 or 0 in sizes:
            return False
        (n,) = sizes
        ladder = _ladders.get((family, padded))
        if ladder is None:
            ladder = _Ladder()
            _ladders.put((family, padded), ladder)
        size = ladder.pick(n)
        key = (family, padded, size)
        entry = _bucketed.get(key)
        if entry is False:
            return False
        leaves = list(self.leaves)
        for i in padded:
            leaves[i] = _pad(leaves[i], size)
        args = (_zeros(), np.int32(n), *leaves)
        try:
            if entry is None:  # compiled by its first call: timed
                entry = _Bucketed(sig, live, padded, size)
                _bucketed.put(key, entry)
                STATS["bucket_compiles"] += 1
                t0 = time.perf_counter()
                vals = entry.fn(*args)
                ladder.compiled(size, time.perf_counter() - t0)
            elif size not in ladder.run_s:  # its first call after the compile: timed
                jax.block_until_ready(leaves)
                t0 = time.perf_counter()
                vals = jax.block_until_ready(entry.fn(*args))
                ladder.run_s[size] = time.perf_counter() - t0
            else:
                vals = entry.fn(*args)
            ladder.ran(n, size)
        except Exception:  # noqa: BLE001 - an op without an exact rule (buckets.Unbucketable):
            _bucketed.put(key, False)  # the structure runs unbucketed, which raises any error
            return False
        STATS["bucketed_calls"] += 1
        for p, v, axis in zip(holders, vals, entry.live_pads):
            if axis is None:
                p.value = v
            else:
                p.padded = (v, axis, n)
        return True

    def _donatable(self, holders):
        """The argument positions (leaf i is argument i + 1) of the replaced Variable arrays
        nothing but this segment holds — no Tensor, tape, snapshot or other Variable — each
        matched with a live output of its shape and dtype for XLA to update in place, as
        `jaxtape.function` donates written Variables."""
        free: dict = {}
        for p in holders:
            a = p.aval
            free[a] = free.get(a, 0) + 1
        out = []
        leaves, avals = self.leaves, self.leaf_avals
        for i in sorted(set(self.replaced)):
            a = avals[i]
            if free.get(a) and getrefcount(leaves[i]) <= _OWNED:
                free[a] -= 1
                out.append(i + 1)
        return tuple(out)

    def _release(self):
        self.leaves = self.leaf_index = self.leaf_avals = None
        self.sig = self.pend = self.replaced = None


def _op_by_op(sig, leaves):
    outs = []
    for op, params, refs in sig:
        if FLUSH[0]:  # the executable budget is spent (a long segment of new shapes)
            for hook in HOOKS.flush:
                hook()
        args = [leaves[r] if type(r) is int else outs[r[0]][r[1]] for r in refs]
        r = op.eager(*args, **dict(params)) if params else op.eager(*args)
        outs.append(tuple(r) if op.multi else (r,))
    return outs


# -- bucketed segments (see buckets.py) ----------------------------------------------------

BUCKETS = [True]  # the bucketed tier is on
_families = caches.LRU("lazy_families", 4096)  # structure, leading sizes erased -> sizes last seen
_bucketed = caches.LRU("lazy_buckets", 256)  # (family, padded leaves, size) -> _Bucketed | False
_ladders = caches.LRU("lazy_ladders", 256)  # (family, padded leaves) -> _Ladder
# A family is *cheap* when one bucketed call runs in under 1/CHEAP_RATIO of a bucket's compile:
# its new buckets skip sizes (padding a step costs less than compiling another bucket).
CHEAP_RATIO = 64
CHEAP_SKIP = 4  # a cheap family's new bucket: CHEAP_SKIP times the next power of two


class _Ladder:
    """The bucket sizes of one family (and padded leaves): which are compiled, what a compile
    and a call cost, and the padding wasted so far on sizes a smaller bucket would fit.

    Bucket sizes are buckets.bucket's powers of two.  A cheap family's new bucket is CHEAP_SKIP
    times buckets.bucket(n) (a loop over sizes 1..300 compiles buckets 8, 64 and 512, not 7
    buckets); its steps then pay for padding that a smaller bucket would save.  That waste is
    counted (each call: its bucket's measured run time times the fraction of its rows the
    smaller bucket would not have), and once it exceeds what a compile costs, the smaller
    bucket is compiled — a ski rental: a loop that keeps running one size pays at most about
    twice the better choice."""

    __slots__ = ("compiled_sizes", "compile_s", "run_s", "waste")

    def __init__(self):
        self.compiled_sizes = set()
        self.compile_s = 0.0  # the largest first call (trace + compile) seen
        self.run_s = {}  # size -> one call's measured run time
        self.waste = {}  # smaller bucket size -> padding time it would have saved

    def pick(self, n):
        fine = buckets.bucket(n)
        if fine in self.compiled_sizes or self.waste.get(fine, 0.0) > self.compile_s:
            return fine
        limit = fine * CHEAP_SKIP if self._cheap() else fine
        fits = [s for s in self.compiled_sizes if n <= s <= limit]
        return min(fits) if fits else limit

    def _cheap(self):
        runs = self.run_s.values()
        return bool(runs) and max(runs) * CHEAP_RATIO < self.compile_s

    def compiled(self, size, seconds):
        self.compiled_sizes.add(size)
        self.compile_s = max(self.compile_s, seconds)

    def ran(self, n, size):
        fine = buckets.bucket(n)
        run = self.run_s.get(size)
        if fine != size and run is not None:
            self.waste[fine] = self.waste.get(fine, 0.0) + run * (1.0 - fine / size)


def _pad(x, size):
    """`x` zero-padded along axis 0 to `size` rows (on the host: no per-shape compile)."""
    if x.shape[0] == size:
        return x
    a = np.asarray(x)
    out = np.zeros((size,) + a.shape[1:], a.dtype)
    out[: a.shape[0]] = a
    return jax.device_put(out)  # placed as an eager tensor's array is (uncommitted)


def _cut(v, axis, n):
    """A bucketed output's first `n` entries along `axis` (its true value)."""
    return jax.device_put(
        np.ascontiguousarray(np.asarray(v)[(slice(None),) * axis + (slice(0, n),)])
    )


class _Bucketed:
    """One bucket's compiled segment: `fn(zeros, n, *leaves)` with the `padded` leaves
    zero-padded to `size` rows and `n` their true count; `live_pads` (known once traced): the
    padded axis of each output."""

    __slots__ = ("fn", "live_pads")

    def __init__(self, sig, live, padded, size):
        self.live_pads = None

        def run(zero, n, *leaves):
            zeros = _zero_words(zero)
            lp = [None] * len(leaves)
            for i in padded:
                lp[i] = 0
            rows = _Rows(zeros, n, size)
            prev, _TLS.rows = _TLS.rows, rows
            try:
                outs, pads = rows.run(sig, leaves, lp)
            finally:
                _TLS.rows = prev
            self.live_pads = tuple([pads[j][k] for j, k in live])
            return [outs[j][k] for j, k in live]

        self.fn = jax.jit(run)


class _Rows:
    """The padding while a bucketed segment is traced: each op runs by its `rows` rule
    (buckets.py), and its outputs' padded entries are zeroed."""

    __slots__ = ("zeros", "n", "size", "in_pads", "replay_pads")

    def __init__(self, zeros, n, size):
        self.zeros = zeros
        self.n = n
        self.size = size
        self.in_pads = ()  # the current op's input pads (a gradient's replay reads them)
        self.replay_pads = None  # the output pads of the last replay (a gradient's sources)

    def apply(self, op, params, args, pads, boundary=None):
        """`op` on `args` (padded at `pads`) by its rule: its outputs, masked and passed through
        `boundary` (the segment's `_opaque`; in a gradient's replay its differentiable form, the
        same computation, so XLA computes it once), and their pads."""
        kw = dict(params) if params else {}
        impl, out_pads = op.impl, None
        if any([p is not None for p in pads]):
            rule = op.rows
            if rule is None:
                raise buckets.Unbucketable(op.name)
            out_pads, alt = rule(self.n, kw, pads, args)
            if alt is not None:
                impl = functools.partial(alt, impl)
        self.in_pads = pads
        r = impl(*args, **kw)
        r = tuple(r) if op.multi else (r,)
        if callable(out_pads):
            out_pads = out_pads()
        if out_pads is None:
            out_pads = (None,) * len(r)
        elif len(out_pads) != len(r):
            out_pads = out_pads * len(r)
        res = []
        for x, p in zip(r, out_pads):
            if p is not None:
                if x.shape[p] != self.size:
                    raise buckets.Unbucketable("%s: padded axis %d of %s" % (op.name, p, x.shape))
                keep = jax.lax.broadcasted_iota(jnp.int32, x.shape, p) < self.n
                x = jnp.where(keep, x, jnp.zeros((), x.dtype))
            res.append((boundary or _opaque)(x, self.zeros))
        return tuple(res), tuple(out_pads)

    def run(self, sig, leaves, leaf_pads):
        """`sig`'s ops on `leaves` (padded at `leaf_pads`): the outputs and their pads."""
        outs, pads = [], []
        for op, params, refs in sig:
            args = [leaves[r] if type(r) is int else outs[r[0]][r[1]] for r in refs]
            apads = [leaf_pads[r] if type(r) is int else pads[r[0]][r[1]] for r in refs]
            r, rp = self.apply(op, params, args, apads)
            outs.append(r)
            pads.append(rp)
        return outs, pads

    def replay(self, struct, leaves, probes):
        """A gradient's forward replay (backward._replay) on the leaves of the op being
        applied (their pads: `in_pads`)."""
        lp = self.in_pads
        outs, pads = [], []
        for j, (kern, params, wires) in enumerate(struct):
            args = [leaves[w] if type(w) is int else outs[w[0]][w[1]] for w in wires]
            apads = [lp[w] if type(w) is int else pads[w[0]][w[1]] for w in wires]
            r, rp = self.apply(kern, params, args, apads, _opaque_diff)
            if j in probes:
                r = tuple(x + probes[j][k] if k in probes[j] else x for k, x in enumerate(r))
            outs.append(r)
            pads.append(rp)
        self.in_pads = lp
        self.replay_pads = pads
        return outs


def rows_context():
    """The padding of the bucketed segment being traced on this thread (None otherwise)."""
    return _TLS.rows


_UINT = {2: jnp.uint16, 4: jnp.uint32, 8: jnp.uint64}
_ZERO = []


def _zeros():
    """The one argument every compiled segment's op boundaries read: a 64-bit zero, placed once
    (no compile), that XLA cannot see at compile time (see `_opaque`)."""
    if not _ZERO:
        _ZERO.append(jax.device_put(np.zeros((), np.uint64)))
    return _ZERO[0]


def _zero_words(z):
    """The zeros `_opaque` ORs with, one per float width, from the segment's one zero `z`."""
    return {8: z, 4: z.astype(jnp.uint32), 2: z.astype(jnp.uint16)}


def _opaque(x, zeros):
    """`x` unchanged, through an integer OR with a zero XLA cannot see at compile time: no
    rewrite or fusion crosses it, so XLA cannot contract a multiply of one op and an add of the
    next into one FMA, nor simplify `log(exp(x))` across ops (an `optimization_barrier` is
    removed before fusion).  Each op's value is then what op-by-op execution computes."""
    d = x.dtype
    kind = d.kind
    if kind not in "fiu" or d.itemsize not in _UINT:
        return x
    lax = jax.lax
    z = zeros[d.itemsize]
    if kind == "u":
        return x | z
    u = _UINT[d.itemsize]
    return lax.bitcast_convert_type(lax.bitcast_convert_type(x, u) | z, d)


@jax.custom_jvp
def _opaque_diff(x, zeros):
    return _opaque(x, zeros)


@_opaque_diff.defjvp
def _opaque_diff_jvp(primals, tangents):
    return _opaque_diff(*primals), tangents[0]


def op_boundary():
    """While a segment is traced: the function a gradient's forward replay applies to each op's
    outputs (None otherwise).  It is the segment's own `_opaque` (with an identity derivative),
    so the replay of an op the segment already computed is the same XLA computation on the same
    operands, and XLA's common-subexpression pass computes it once: a lazy training step does
    not run its forward pass twice."""
    zeros = _TLS.zeros
    if zeros is None:
        return None

    return lambda r: tuple([_opaque_diff(x, zeros) for x in r])


def _builder(sig, live):
    def run(zero, *leaves):
        zeros = _zero_words(zero)
        outs = []
        _TLS.zeros = zeros  # the gradient ops' replays share the segment's boundaries
        try:
            for op, params, refs in sig:
                args = [leaves[r] if type(r) is int else outs[r[0]][r[1]] for r in refs]
                r = op.impl(*args, **dict(params)) if params else op.impl(*args)
                r = tuple(r) if op.multi else (r,)
                outs.append(tuple([_opaque(x, zeros) for x in r]))
        finally:
            _TLS.zeros = None
        return [outs[j][k] for j, k in live]

    return run


# Each thread records into its own segment; `_LOCK` serialises appending and running, since a
# thread may read (and so run) a value another thread's segment computes.
class _Thread(threading.local):
    seg = None  # the segment recording
    closed = None  # the last step's segment, closed by an optimizer's update (`close`)
    rows = None  # the padding of a bucketed segment being traced (`rows_context`)
    zeros = None  # the op boundaries' zeros of a segment being traced (`op_boundary`)


_TLS = _Thread()
_LOCK = threading.RLock()
_acquire, _release = _LOCK.acquire, _LOCK.release


def current() -> Segment | None:
    """This thread's pending segment (None when nothing is pending)."""
    return _TLS.seg


def flush() -> None:
    """Run this thread's pending segments (a sync point)."""
    for name in ("closed", "seg"):
        s = getattr(_TLS, name)
        if s is not None:
            s.run()


def close() -> None:
    """End this thread's segment at a step's end (`apply_gradients`): it runs when one of its
    values is read, when the thread records its next op, or at a flush.  By then the step's
    temporaries (its gradients, typically) are gone, and a value nothing references is not
    computed as an output of the compiled call (nor written to memory)."""
    s = _TLS.seg
    if s is None:
        return
    with _LOCK:
        prev = _TLS.closed
        if prev is not None:
            prev.run()
        s.step = True
        _TLS.closed = s
        _TLS.seg = None


def settle() -> None:
    """Run what is pending and give every Variable assigned a pending value its array (and its
    own class) back: before a `jaxtape.function` traces or runs, which swaps Variables' arrays."""
    flush()
    with _LOCK:
        for var in list(_PENDING_VARS.values()):
            var._value  # noqa: B018 - the read runs and settles it
        _PENDING_VARS.clear()


def active() -> bool:
    """Whether an op called now may be deferred: lazy eager is on, and no trace (a function's,
    `init_scope`'s, an abstract Keras build's), no distribution strategy."""
    st = STATE
    return (
        ON[0]
        and st.trace is None
        and st.strategy is None
        and st.replica is None
        and st.init_owner is None
        and not st.abstract_build
    )


def call(op, params, vals):
    """Append `op` applied to `vals` (arrays or Pendings) to the segment; its output Pendings,
    or None when a value cannot join a segment (see `lazy_ok`).  Raises at once what the op's
    abstract evaluation raises (the segment is not touched)."""
    in_avals = []
    for v in vals:
        t = type(v)
        if t is Pending:
            in_avals.append(v.aval)
        elif t in _JOINABLE or _joinable(v):
            in_avals.append((v.shape, v.dtype))
        else:
            return None
    in_avals = tuple(in_avals)
    key = (op, params, in_avals)
    avals = _avals.lookup(key)
    if avals is None:
        avals = _shapes_by_size(*key)
        if avals is None:
            avals = _abstract_eval(*key)
            _size_sample(key, avals)
        _avals.put(key, avals)
    _acquire()
    try:
        seg = _TLS.seg
        if seg is None:
            closed = _TLS.closed
            if closed is not None:  # the last step's segment runs before the next one starts
                closed.run()
            seg = _TLS.seg = Segment()
        outs = seg.append(op, params, vals, in_avals, avals)
        if len(seg.sig) >= MAX_OPS:
            seg.run()
    finally:
        _release()
    return outs


def held(t):
    """The array or Pending a Tensor holds, without running a pending segment."""
    return raw(t) if type(t) in EAGER_TYPES else t._value


def peek(v):
    """`v` (an array or a Pending) as a host array.  A pending integer value computed from
    concrete arrays by kernels with a `host` form (integer casts, reshapes: Keras's
    `cast(labels, "int32")` before a label check) is computed on the host, and its segment keeps
    pending: an argument check that reads a value does not cut a training step in two."""
    if type(v) is not Pending:
        return np.asarray(v)
    with _LOCK:  # the segment's thread may be running (and releasing) it
        got = _host(v.seg, (v.j, v.k), 8) if v.value is None and not v.seg.done else None
    return np.asarray(v.force()) if got is None else got


def _host(seg, ref, depth):
    if type(ref) is int:
        return np.asarray(seg.leaves[ref])  # a leaf is a concrete array
    op, params, refs = seg.sig[ref[0]]
    host = getattr(op, "host", None)  # a gradient's Fn has none
    if host is None or depth == 0 or getattr(op, "multi", True):
        return None
    args = []
    for r in refs:
        a = _host(seg, r, depth - 1)
        if a is None:
            return None
        args.append(a)
    out = host(*args, **dict(params)) if params else host(*args)
    if out is None or out.dtype.kind not in "biu":
        return None
    return out


_JOINABLE: set = {Pending}  # value types always accepted (concrete JAX array classes join)


def _joinable(v) -> bool:
    """A value a segment can take as an input: no tracer of a foreign JAX transformation, no
    host string array (a type test for Pendings and concrete JAX arrays)."""
    t = type(v)
    if t in _JOINABLE:
        return True
    if is_tracer(v) or not hasattr(v, "dtype") or v.dtype == object:
        return False
    if isinstance(v, jax.Array):
        _JOINABLE.add(t)
    return True


def lazy_ok(vals) -> bool:
    """Values a segment can take as inputs (see `_joinable`)."""
    return all(_joinable(v) for v in vals)


def set_enabled(enabled: bool) -> None:
    flush()
    ON[0] = bool(enabled)
    USED[0] = USED[0] or ON[0]
