"""From a tape's record to gradients: slice, structure key, compiled cache.

`compute(recorder, targets, sources, ...)`:

1. *Connectivity is structural.*  Walk the record forward from the sources (only through
   floating/complex values, differentiable kernels and differentiable input positions), then
   backward from the targets.  A source is connected iff the backward walk reaches it; the rest get
   `None` (or zeros).  Nothing looks at numbers.
2. *The slice becomes a pure function.*  The nodes on both walks, in record order, make
   `replay(leaves, probes) -> targets`; a leaf is a recorded input that no slice node produced
   (its value was captured when the op ran); a source produced inside the slice (`dloss/dy`) gets a
   zero *probe* added to it, so one `jax.vjp` gives `dloss/dy` and still lets `dloss/dx` flow.
3. *Compile what repeats.*  The key is the structure (kernels, static params, wiring), the leaf
   avals and the target/source layout — never values — so a training loop that records the same
   structure each step reuses one `jax.jit`-compiled backward pass.  The cache is an LRU of
   `CACHE_SIZE` entries.
4. *A gradient is itself an op.*  When another tape is recording, the gradient computation is
   recorded on it as one node whose kernel is the compiled function, so higher derivatives work;
   its outputs depend only on the inputs its jaxpr uses (`d/dx(3x)` is a constant: the second
   derivative is `None`, as in TF).

Measured on this project's 2-core CPU machine (JAX 0.10, one thread): compiling the backward pass of
a small structure costs ~40-70 ms once; a cached call costs ~15-25 us.  See docs/performance.md.
"""

from __future__ import annotations

import os
import threading
import weakref

import jax
import jax.numpy as jnp
from jax.extend.core import Literal

from jaxtape._src import caches, history, lazy
from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.context import HOOKS
from jaxtape._src.dispatch import FLUSH, NUMERICS, dtype_of, record_raw
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.indexed_slices import IndexedSlices
from jaxtape._src.numerics import _bad, check_values
from jaxtape._src.registry import Kernel
from jaxtape._src.tensor import is_tracer, make

CACHE_SIZE = 1024
# (plan key, mode) -> (jitted, raw): the compiled backward passes
_cache = caches.LRU("backward.passes", CACHE_SIZE)
# recorded structure -> plan (skips the walks over the record on a repeated structure)
_plans = caches.LRU("backward.plans", CACHE_SIZE)
# (kernel, params, positions) -> jitted VJP of one op (the op-by-op tier)
_op_vjps = caches.LRU("backward.op_vjps", CACHE_SIZE)
_stats = {"compiles": 0}


class _WeakKernels(weakref.WeakValueDictionary):
    """The GradKernel of each compiled pass, while something (a tape's record) holds it."""

    def info(self):
        return {"size": len(self), "maxsize": None}


_kernels = _WeakKernels()
caches.register("backward.grad_kernels", _kernels)


# A budget of XLA executables: each compiled kernel or backward pass holds ~1-9 MB here, and a
# program whose shapes keep changing compiles without end (300 new batch sizes: 2.7 GB).  Past
# the budget every compiled-code cache is emptied at the next op (jaxtape's and JAX's own, with
# `jax.clear_caches()`); what is used again is compiled again, or loaded from the persistent
# cache.  $JAXTAPE_MAX_EXECUTABLES (0: no budget).
MAX_EXECUTABLES = int(os.environ.get("JAXTAPE_MAX_EXECUTABLES", "1000"))
_compiles = {"count": 0, "flushes": 0}


# every XLA compilation of the process, by the function JAX compiled (`compile_stats()`)
_COMPILE_PHASES = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/backend_compile_duration": "compile",
}
_compile_log: dict = {}  # function name -> [compiles, seconds (trace + lower + compile)]
_compile_lock = threading.Lock()


def _on_compile(name, duration, **kwargs):
    phase = _COMPILE_PHASES.get(name)
    if phase is None:
        return
    fun = str(kwargs.get("fun_name", "?"))
    if fun.startswith("jit(") and fun.endswith(")"):
        fun = fun[4:-1]
    with _compile_lock:
        entry = _compile_log.setdefault(fun, [0, 0.0])
        entry[1] += duration
        if phase == "compile":
            entry[0] += 1
    if phase == "compile":
        _compiles["count"] += 1
        if MAX_EXECUTABLES and _compiles["count"] > MAX_EXECUTABLES:
            FLUSH[0] = True


def compile_stats(reset: bool = False) -> dict:
    """jaxtape's own (TF has no such call): the XLA compilations of this process so far —
    `count`, `seconds` (tracing, lowering and compiling), and `by_function`: for each function
    JAX compiled (an op's kernel, e.g. `_getitem_impl`; a backward pass; a `function` step)
    its (compiles, seconds), most expensive first.  `reset=True` starts the count again.
    What a cold run pays that a warm one does not: see docs/performance.md."""
    with _compile_lock:
        items = sorted(_compile_log.items(), key=lambda kv: -kv[1][1])
        out = {
            "count": sum(v[0] for _, v in items),
            "seconds": sum(v[1] for _, v in items),
            "by_function": {k: (v[0], v[1]) for k, v in items},
        }
        if reset:
            _compile_log.clear()
    return out


jax.monitoring.register_event_duration_secs_listener(_on_compile)


def flush_executables() -> None:
    """Empty every cache of compiled code (called at a safe point once the budget is spent)."""
    from jaxtape._src.registry import clear_eager_caches

    FLUSH[0] = False
    _compiles["count"] = 0
    _compiles["flushes"] += 1
    clear_caches()
    clear_eager_caches()
    jax.clear_caches()


HOOKS.flush.append(flush_executables)


def clear_caches() -> None:
    """Drop every cache in the package (`jaxtape.clear_caches()`): compiled backward passes,
    plans, per-op eager kernels, forward-mode passes, constants (see `caches.names()`)."""
    caches.clear_all()


def cache_info() -> dict:
    """Counters of the backward-pass cache (compiles, hits, misses, size, maxsize), of the
    executable budget (`executables`: XLA compiles since the last flush, `flushes`), and of
    every cache in the package by name (`caches`)."""
    return dict(
        _stats,
        hits=_cache.hits,
        misses=_cache.misses,
        size=len(_cache),
        maxsize=CACHE_SIZE,
        executables=_compiles["count"],
        flushes=_compiles["flushes"],
        max_executables=MAX_EXECUTABLES,
        caches=caches.info_all(),
    )


class NoGradientError(LookupError):
    pass


class Source:
    """A flattened gradient source: the ids that stand for it on the tape."""

    __slots__ = ("ids", "dtype", "shape", "obj")

    def __init__(self, ids, dtype, shape, obj):
        self.ids = ids
        self.dtype = dtype
        self.shape = shape
        self.obj = obj


class Target:
    __slots__ = ("id", "value", "dtype")

    def __init__(self, id_, value, dtype):
        self.id = id_
        self.value = value
        self.dtype = dtype


def _check_nograd(nodes, target_ids):
    need = set(target_ids)
    for n in reversed(nodes):
        if any(o in need for o in n.out_ids):
            if n.kernel.grad == "none":
                raise LookupError("gradient registry has no entry for: %s" % n.kernel.name)
            need.update(n.in_ids)


def plan(recorder, targets, sources, dense=False):
    """The slice of the record between targets and sources, as a compiled backward pass needs
    it: the ops on a path (`history.walk`), wired into a structure (`_wire`), with where each
    target and source sits in it (`_target_refs`, `_source_refs`).

    Returns (key, leaf_vals, leaf_ids, sparse, chosen, recipe): the structure key, the
    captured leaf values in key order, their tensor ids, the sources whose gradient is
    IndexedSlices, the chosen nodes and where each leaf's value lives."""
    nodes = recorder.nodes if recorder is not None else ()
    src_ids = {i for s in sources if s.dtype._diff for i in s.ids}
    if recorder is not None and recorder.has_nograd:
        _check_nograd(nodes, [t.id for t in targets])
    tracked = recorder.tracked if recorder is not None else {}
    # Only sources this tape watches (or produced) seed the walk; `gradient(x, x)` is the
    # identity even for an unwatched x (a target that is a source is needed all the same).
    hist = history.walk(
        nodes,
        src_ids,
        [t.id for t in targets if t.dtype._diff],
        seed_ids=[i for i in src_ids if i in tracked],
    )
    wiring = _wire(hist.path)
    trefs = _target_refs(targets, hist.need, wiring)
    srefs = _source_refs(sources, hist.need, wiring)
    struct, _, _, leaf_vals, leaf_ids, recipe = wiring
    sparse = (
        _sparse_sources(hist.path, srefs, trefs, leaf_ids) if hist.any_sparse and not dense else {}
    )
    avals = tuple([(v.shape, v.dtype) for v in leaf_vals])
    key = (tuple(struct), avals, tuple(trefs), tuple(srefs))
    return key, leaf_vals, leaf_ids, sparse, hist.path, recipe


def _wire(chosen):
    """The chosen nodes as a structure: each node's (kernel, params, wires), where a wire is a
    leaf position (a value captured from outside the slice) or (node, output) inside it.
    Returns (struct, pos, leaf_index, leaf_vals, leaf_ids, recipe)."""
    pos: dict = {}  # tensor id -> (node, output) inside the slice
    leaf_index: dict = {}  # tensor id -> leaf position
    recipe: list = []  # where each leaf's value lives: (chosen node, input position)
    leaf_vals: list = []
    leaf_ids: list = []
    struct = []
    for j, n in enumerate(chosen):
        wires = []
        for k_in, (i, v) in enumerate(zip(n.in_ids, n.in_raw)):
            p = pos.get(i)
            if p is None:
                p = leaf_index.get(i)
                if p is None:
                    p = len(leaf_vals)
                    leaf_vals.append(v)
                    leaf_ids.append(i)
                    leaf_index[i] = p
                    recipe.append((j, k_in))
            wires.append(p)
        struct.append((n.kernel, n.params, tuple(wires)))
        for k, o in enumerate(n.out_ids):
            pos[o] = (j, k)
    return struct, pos, leaf_index, leaf_vals, leaf_ids, recipe


def _target_refs(targets, need, wiring):
    """Where each target's value is: a node output, a leaf (added if new), or None (not
    connected)."""
    _, pos, leaf_index, leaf_vals, leaf_ids, recipe = wiring
    trefs: list = []
    for t in targets:
        if t.id not in need:
            trefs.append(None)
            continue
        p = pos.get(t.id)
        if p is None:
            p = leaf_index.get(t.id)
            if p is None:
                p = len(leaf_vals)
                leaf_index[t.id] = p
                leaf_vals.append(t.value)
                leaf_ids.append(t.id)
                recipe.append(("t", len(trefs)))
        trefs.append(p)
    return trefs


def _source_refs(sources, need, wiring):
    """Where each source's gradient is read: its ids' node outputs (`("p", node, k)`) or
    leaves, or None (not connected)."""
    _, pos, leaf_index, _, _, _ = wiring
    srefs: list = []
    for s in sources:
        refs = []
        if s.dtype._diff:
            for i in s.ids:
                if i in need:
                    p = pos.get(i)
                    refs.append(("p",) + p if p is not None else leaf_index[i])
        srefs.append(tuple(refs) if refs else None)
    return srefs


def _describe(recorder, targets, sources):
    """What the memo needs besides the recorded structure: where targets and sources sit."""
    pos, leaf_pos, tracked = recorder.pos, recorder.leaf_pos, recorder.tracked
    src_index = {}
    sdesc = []
    for si, s in enumerate(sources):
        refs = []
        for i in s.ids:
            src_index.setdefault(i, si)
            refs.append((pos.get(i), leaf_pos.get(i), i in tracked))
        sdesc.append((s.dtype._diff, tuple(refs)))
    tdesc = []
    for t in targets:
        tdesc.append(
            (
                t.dtype._diff,
                pos.get(t.id),
                leaf_pos.get(t.id),
                src_index.get(t.id),
                tuple(t.value.shape) if t.id not in pos else None,
            )
        )
    return tuple(tdesc), tuple(sdesc)


def plan_memo(recorder, targets, sources, dense=False):
    """`plan`, memoized on the recorded structure: a loop that records the same ops each step
    skips the walks over the record and only gathers this step's leaf values.  `dense`: no
    IndexedSlices (a Jacobian is dense, as TF's)."""
    if recorder is None or not recorder.memo_ok or recorder.has_nograd:
        k, lv, li, sp, _, _ = plan(recorder, targets, sources, dense)
        return k, lv, li, sp
    # hashed once here (the lookup and its refresh would hash the whole record twice)
    mk = caches.HashedKey((tuple(recorder.sigs), dense) + _describe(recorder, targets, sources))
    hit = _plans.get(mk)
    if hit is None:
        key, leaf_vals, leaf_ids, sparse, chosen, recipe = plan(recorder, targets, sources, dense)
        # the compiled pass's caches are keyed on it each step: its hash computed once
        key = caches.HashedKey(key)
        index = {id(n): j for j, n in enumerate(recorder.nodes)}
        rec_recipe = tuple(r if r[0] == "t" else (index[id(chosen[r[0]])], r[1]) for r in recipe)
        sp_recipe = None
        if sparse:
            sp_recipe = {}
            for si, arrays in sparse.items():
                locs = []
                for n in chosen:
                    if n.kernel.sparse_arg0 and any(a is n.inputs[1]._value for a in arrays):
                        locs.append(index[id(n)])
                sp_recipe[si] = tuple(locs)
        _plans.put(mk, (key, rec_recipe, sp_recipe))
        return key, leaf_vals, leaf_ids, sparse
    key, rec_recipe, sp_recipe = hit
    nodes = recorder.nodes
    leaf_vals, leaf_ids = [], []
    for r in rec_recipe:
        if r[0] == "t":
            t = targets[r[1]]
            leaf_vals.append(t.value)
            leaf_ids.append(t.id)
        else:
            n = nodes[r[0]]
            t = n.inputs[r[1]]
            leaf_vals.append(_raw(t))  # a lazy eager value stays pending (see `run`)
            leaf_ids.append(t._id)
    sparse = {}
    if sp_recipe:
        for si, locs in sp_recipe.items():
            sparse[si] = [nodes[j].inputs[1]._value for j in locs]
    return key, leaf_vals, leaf_ids, sparse


_raw = lazy.raw


def _sparse_sources(chosen, srefs, trefs, leaf_ids):
    """Sources used only as the params of axis-0 gathers get IndexedSlices (TF's rule).

    Rewrites their refs (in place) to probes on the gather outputs; returns
    {source index: [indices arrays]}."""
    out = {}
    tleaves = {r for r in trefs if type(r) is int}
    for si, refs in enumerate(srefs):
        if refs is None or any(type(r) is not int for r in refs) or tleaves.intersection(refs):
            continue
        ids = {leaf_ids[r] for r in refs}
        uses, idx = [], []
        for j, n in enumerate(chosen):
            for p, i in enumerate(n.in_ids):
                if i in ids:
                    params = dict(n.params)
                    if (
                        n.kernel.sparse_arg0
                        and p == 0
                        and params.get("axis") == 0
                        and params.get("batch_dims") == 0
                        and i not in n.in_ids[1:]
                    ):
                        uses.append(("p", j, 0))
                        idx.append(n.in_vals[1])
                    else:
                        uses = None
                        break
            if uses is None:
                break
        if uses:
            srefs[si] = ("sparse",) + tuple(uses)
            out[si] = idx
    return out


def _replay(struct, leaves, probes, ieee=False):
    """Run the recorded ops on `leaves`.  With `ieee`, every op's outputs pass through an
    `optimization_barrier`, so XLA cannot rewrite across ops (`log(exp(x))` into `x`, `e/e` into
    1): each op's value and its backward step are computed as TF eager computes them, one op at
    a time in IEEE arithmetic (the gradient of `log(exp(x))` where `exp` overflows is NaN, as
    TF's).  Fusion inside one op is unaffected.  Inside a lazy eager bucketed segment the ops
    run by their padding rules instead (lazy._Rows.replay)."""
    rows = lazy.rows_context()
    if rows is not None:
        return rows.replay(struct, leaves, probes)
    outs = []
    boundary = None
    if ieee:
        # inside a lazy eager segment, the segment's own op boundaries (see lazy.op_boundary)
        boundary = lazy.op_boundary() or (lambda r: tuple(jax.lax.optimization_barrier(r)))
    for j, (kern, params, wires) in enumerate(struct):
        args = [leaves[w] if type(w) is int else outs[w[0]][w[1]] for w in wires]
        r = kern.impl(*args, **dict(params)) if params else kern.impl(*args)
        if not kern.multi:
            r = (r,)
        if boundary is not None:
            r = boundary(tuple(r))
        if j in probes:
            r = tuple(x + probes[j][k] if k in probes[j] else x for k, x in enumerate(r))
        outs.append(r)
    return outs


def _resolve(ref, leaves, outs):
    return leaves[ref] if type(ref) is int else outs[ref[0]][ref[1]]


def build(key, mode):
    """The pure function `fn(leaf_vals, cts) -> per-source gradients` for a plan key.

    mode: ("grad", ct_given, ieee, target_avals) | ("jac", ieee, target_avals) |
    ("bjac", ieee, target_avals); `ieee`: op boundaries kept (eager gradients, see `_replay`).
    """
    struct, avals, trefs, srefs = key
    t_avals, ieee = mode[-1], mode[-2]
    flat = [r for refs in srefs if refs for r in refs if r != "sparse"]
    diff_leaves = sorted({r for r in flat if type(r) is int})
    probe_refs = sorted({r[1:] for r in flat if type(r) is not int})
    live_t = [i for i, r in enumerate(trefs) if r is not None]

    def forward(leaf_vals, dl, pv):
        leaves = list(leaf_vals)
        for i, li in enumerate(diff_leaves):
            leaves[li] = dl[i]
        probes: dict = {}
        for (j, k), z in zip(probe_refs, pv):
            probes.setdefault(j, {})[k] = z
        outs = _replay(struct, leaves, probes, ieee)
        return [_resolve(trefs[i], leaves, outs) for i in live_t]

    def vjp_all(leaf_vals, cts):
        dl = [leaf_vals[i] for i in diff_leaves]
        pv = [jnp.zeros(s, d) for s, d in _probe_avals(struct, leaf_vals, probe_refs)]
        _, f_vjp = jax.vjp(lambda d, p: forward(leaf_vals, d, p), dl, pv)
        gl, gp = f_vjp(cts)
        lmap = dict(zip(diff_leaves, gl))
        pmap = dict(zip(probe_refs, gp))
        return _per_source(srefs, lambda r: lmap[r] if type(r) is int else pmap[r[1:]])

    kind = mode[0]
    if kind == "grad":
        ct_given = mode[1]

        def fn(leaf_vals, cts):
            if ct_given:
                c = [jnp.conj(x) if jnp.iscomplexobj(x) else x for x in cts]
            else:
                c = [jnp.ones(s, d) for s, d in t_avals]
            return tuple(vjp_all(leaf_vals, c))

        fn.__name__ = fn.__qualname__ = "gradient"  # as compile_stats reports it
        return fn

    tshape, tdtype = t_avals[0]
    size = 1
    for d in tshape:
        size *= d

    if kind == "jac":

        def fn(leaf_vals, cts):
            basis = jnp.eye(size, dtype=tdtype).reshape((size,) + tuple(tshape))
            gs = jax.vmap(lambda c: tuple(vjp_all(leaf_vals, [c])))(basis)
            return tuple(g.reshape(tuple(tshape) + g.shape[1:]) for g in gs)

        fn.__name__ = fn.__qualname__ = "jacobian"
        return fn

    b = tshape[0]
    inner = size // b if b else 0

    def fn(leaf_vals, cts):
        eye = jnp.eye(inner, dtype=tdtype).reshape((inner,) + tuple(tshape[1:]))
        basis = jnp.broadcast_to(eye[:, None], (inner, b) + tuple(tshape[1:]))
        gs = jax.vmap(lambda c: tuple(vjp_all(leaf_vals, [c])))(basis)
        out = []
        for g in gs:  # (inner, b, *src[1:]) -> (b, *tgt[1:], *src[1:])
            g = jnp.moveaxis(g, 1, 0)
            out.append(g.reshape((b,) + tuple(tshape[1:]) + g.shape[2:]))
        return tuple(out)

    fn.__name__ = fn.__qualname__ = "batch_jacobian"
    return fn


def _per_source(srefs, cotangent):
    """The pass's results, one per connected source (a sparse source: one per gather), from
    `cotangent(ref)` for a leaf (int) or a probe (`("p", node, output)`); conjugated back to
    TF's convention for complex values."""
    res = []
    for refs in srefs:
        if refs is None:
            continue
        if refs[0] == "sparse":
            for r in refs[1:]:
                x = cotangent(r)
                res.append(jnp.conj(x) if jnp.iscomplexobj(x) else x)
            continue
        g = None
        for r in refs:
            x = cotangent(r)
            g = x if g is None else g + x
        res.append(jnp.conj(g) if jnp.iscomplexobj(g) else g)
    return res


def _probe_avals(struct, leaf_vals, probe_refs):
    if not probe_refs:
        return []
    shapes = jax.eval_shape(lambda lv: [tuple(o) for o in _replay(struct, lv, {})], list(leaf_vals))
    return [(shapes[j][k].shape, shapes[j][k].dtype) for j, k in probe_refs]


class GradKernel(Kernel):
    """A recorded gradient computation (rule 4): its impl is the compiled backward function."""

    __slots__ = ("fn", "raw", "n_leaves", "_conn", "key", "_in_avals")

    def __init__(self, key, fn, raw, n_leaves):
        super().__init__("Gradient", self._call, grad="diff", multi=True)
        self.key = key
        self.fn = fn
        self.raw = raw
        self.n_leaves = n_leaves
        self._conn = None

    def _call(self, *vals):
        n = self.n_leaves
        return self.fn(list(vals[:n]), list(vals[n:]))

    has_conn = True

    def connectivity(self, node):
        if self._conn is None:
            self._conn = _jaxpr_deps(self._call_raw, self._in_avals)
        return self._conn

    def _call_raw(self, *vals):
        n = self.n_leaves
        return self.raw(list(vals[:n]), list(vals[n:]))


def _jaxpr_deps(fn, in_avals):
    """For each output of fn, the set of input positions it depends on (read off the jaxpr)."""
    specs = [jax.ShapeDtypeStruct(s, d) for s, d in in_avals]
    closed = jax.make_jaxpr(fn)(*specs)
    return [frozenset(d) for d in _deps(closed.jaxpr, [{i} for i in range(len(specs))])]


def _deps(jaxpr, in_deps):
    dep = {}
    for v, d in zip(jaxpr.invars, in_deps):
        dep[v] = frozenset(d)
    empty = frozenset()
    for eqn in jaxpr.eqns:
        ins = [empty if isinstance(v, Literal) else dep.get(v, empty) for v in eqn.invars]
        sub = None
        for name in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
            j = eqn.params.get(name)
            if j is not None:
                sub = getattr(j, "jaxpr", j)
                break
        if (
            sub is not None
            and hasattr(sub, "invars")
            and len(sub.invars) == len(ins)
            and len(sub.outvars) == len(eqn.outvars)
        ):
            outs = _deps(sub, ins)
        else:
            u = frozenset().union(*ins) if ins else empty
            outs = [u] * len(eqn.outvars)
        for o, d in zip(eqn.outvars, outs):
            dep[o] = d
    return [empty if isinstance(v, Literal) else dep.get(v, empty) for v in jaxpr.outvars]


def compiled(key, mode, leaf_vals):
    """The cached, jitted backward function for (key, mode)."""
    ck = (key, mode)
    entry = _cache.get(ck)
    if entry is not None:
        return entry
    raw = build(key, mode)
    entry = (jax.jit(raw), raw)
    _stats["compiles"] += 1
    _cache.put(ck, entry)
    return entry


def locate_backward(struct, leaf_vals, trefs, cts):
    """Replay the slice op by op in reverse with per-op VJPs; name the first op whose backward
    step produced a NaN/Inf cotangent."""
    outs = _replay(struct, list(leaf_vals), {})
    ct = {}
    for ref, c in zip([r for r in trefs if r is not None], cts):
        if type(ref) is not int:
            ct[ref] = ct.get(ref, 0) + c
    for j in range(len(struct) - 1, -1, -1):
        kern, params, wires = struct[j]
        n_out = len(outs[j])
        cots = [ct.get((j, k)) for k in range(n_out)]
        if all(c is None for c in cots):
            continue
        args = [leaf_vals[w] if type(w) is int else outs[w[0]][w[1]] for w in wires]
        f = (lambda *a: kern.impl(*a, **dict(params))) if params else kern.impl  # noqa: B023
        y, vjp = jax.vjp(f, *args)
        ys = y if kern.multi else (y,)
        full = [jnp.zeros_like(v) if c is None else c for v, c in zip(ys, cots)]
        grads = vjp(tuple(full) if kern.multi else full[0])
        for w, g in zip(wires, grads):
            if g is None or not jnp.issubdtype(jnp.asarray(g).dtype, jnp.inexact):
                continue
            kind = _bad(g)
            if kind is not None:
                return kern.name, kind
            if type(w) is not int:
                ct[w] = ct.get(w, 0) + g
    return None, None


def _check_gradients(key, leaf_vals, outs, cts, t_avals):
    if not any(_bad(o) for o in outs):
        return
    struct, _, trefs, _ = key
    c = list(cts) if cts else [jnp.ones(s, d) for s, d in t_avals]
    op, kind = locate_backward(struct, leaf_vals, trefs, c)
    raise InvalidArgumentError(
        None,
        None,
        "Detected %s in the gradient: the backward step of op %r produced the "
        "first non-finite value (tf.debugging.enable_check_numerics)."
        % (kind or "NaN/Inf", op or "?"),
    )


# Eager gradients with op boundaries (see `_replay`); $JAXTAPE_IEEE_GRADIENTS=0 lets XLA fuse and
# simplify across ops instead (faster on long elementwise chains, not TF eager's arithmetic).
IEEE_GRADIENTS = os.environ.get("JAXTAPE_IEEE_GRADIENTS", "1") != "0"

# Tapes longer than this are differentiated op by op (one cached jitted VJP per distinct op,
# shape and parameters) instead of as one XLA program: XLA's compile time grows faster than the
# program (a 2,000-op chain: ~4 s) and a very deep one overflows XLA's stack (a 20,000-op tape
# crashed the process).  Set with $JAXTAPE_OP_BY_OP_LIMIT (0: every eager gradient op by op).
OP_BY_OP_LIMIT = int(os.environ.get("JAXTAPE_OP_BY_OP_LIMIT", "1000"))


def _op_vjp(kern, params, dpos, fout):
    """jit(cotangents of one op's inputs at `dpos` from cotangents of its float outputs)."""
    key = (kern, params, dpos, fout)
    fn = _op_vjps.get(key)
    if fn is None:
        impl, multi, kw = kern.impl, kern.multi, dict(params)

        def vjp(args, cts):
            def g(*d):
                full = list(args)
                for p, v in zip(dpos, d):
                    full[p] = v
                r = impl(*full, **kw) if kw else impl(*full)
                r = r if multi else (r,)
                return tuple(r[i] for i in fout)

            _, back = jax.vjp(g, *[args[p] for p in dpos])
            return back(tuple(cts))

        fn = jax.jit(vjp)
        _op_vjps.put(key, fn)
    return fn


def _op_by_op(key, mode, leaf_vals, cts):
    """The gradient `build(key, mode)` computes, one recorded op at a time: a forward replay
    with each op's cached eager kernel, then a reverse sweep of per-op VJPs.  Exact op
    boundaries (TF eager's arithmetic), no whole-program compile, bounded stack."""
    struct, _, trefs, srefs = key
    t_avals = mode[-1]
    leaves = list(leaf_vals)
    outs = []
    for kern, params, wires in struct:
        args = [leaves[w] if type(w) is int else outs[w[0]][w[1]] for w in wires]
        run_ = getattr(kern, "eager", kern.impl)
        r = run_(*args, **dict(params)) if params else run_(*args)
        outs.append(tuple(r) if kern.multi else (r,))
    live_t = [i for i, r in enumerate(trefs) if r is not None]
    if mode[1]:
        c = [jnp.conj(x) if jnp.iscomplexobj(x) else x for x in cts]
    else:
        c = [jnp.ones(s, d) for s, d in t_avals]
    ct: dict = {}

    def add(ref, g):
        old = ct.get(ref)
        ct[ref] = g if old is None else old + g

    for i, g in zip(live_t, c):
        r = trefs[i]
        add(r if type(r) is int else (r[0], r[1]), g)
    for j in range(len(struct) - 1, -1, -1):
        kern, params, wires = struct[j]
        if kern.grad != "diff":
            continue
        o = outs[j]
        fout = tuple(
            k for k, x in enumerate(o) if jnp.issubdtype(x.dtype, jnp.inexact) and (j, k) in ct
        )
        if not fout:
            continue
        args = [leaves[w] if type(w) is int else outs[w[0]][w[1]] for w in wires]
        da = kern.diff_args
        dpos = tuple(
            p
            for p, a in enumerate(args)
            if (da is None or p in da) and jnp.issubdtype(a.dtype, jnp.inexact)
        )
        if not dpos:
            continue
        gs = _op_vjp(kern, params, dpos, fout)(args, [ct[(j, k)] for k in fout])
        for p, g in zip(dpos, gs):
            w = wires[p]
            add(w if type(w) is int else (w[0], w[1]), g)

    def cotangent(r):  # what reached a leaf or a node output (zeros if nothing did)
        x = ct.get(r if type(r) is int else r[1:])
        if x is None:
            x = jnp.zeros_like(leaves[r] if type(r) is int else outs[r[1]][r[2]])
        return x

    return tuple(_per_source(srefs, cotangent))


LAZY_USED = lazy.USED
# (plan key, mode) -> (compiled entry, its segment op)
_lazy_ops = caches.LRU("lazy_gradient_ops", 512)


def _lazy_gradient(ck, key, full_mode, leaf_vals, cts, srefs, sources):
    """A gradient in lazy eager: the compiled backward pass joins the pending segment as one op
    whose inputs are the leaves (pending or not) and the output gradients."""
    # the backward pass's own cache decides what is compiled (and evicted); the segment op is
    # made once per compiled entry
    jitted, raw = compiled(key, full_mode, leaf_vals)
    hit = _lazy_ops.get(ck)
    if hit is not None and hit[0] is jitted:
        op = hit[1]
    else:
        n = len(leaf_vals)
        op = lazy.Fn(
            "Gradient",
            lambda *a: tuple(raw(list(a[:n]), list(a[n:]))),
            lambda *a: tuple(jitted(list(a[:n]), list(a[n:]))),
            rows=_gradient_rows(srefs),
            family=(key[0], key[2], srefs, full_mode),
        )
        _lazy_ops.put(ck, (jitted, op))
    outs = iter(lazy.call(op, (), list(leaf_vals) + (list(cts) if cts else [])))
    return [
        None if r is None else lazy.make_lazy(next(outs), s.dtype) for r, s in zip(srefs, sources)
    ]


def _gradient_rows(srefs):
    """The padding rule (buckets.py) of a gradient in a bucketed segment: its replay runs the
    recorded ops by their own rules; each source's gradient is padded as the source is."""

    def rule(n, params, pads, args):
        rows = lazy.rows_context()

        def out_pads():
            rp = rows.replay_pads
            return tuple(
                [
                    pads[refs[0]] if type(refs[0]) is int else rp[refs[0][1]][refs[0][2]]
                    for refs in srefs
                    if refs is not None
                ]
            )

        return out_pads, None

    return rule


def run(recorder, targets, sources, cts, ct_ids, mode):
    """Gradients for `sources` (a list, None where unconnected)."""
    key, leaf_vals, leaf_ids, sparse = plan_memo(recorder, targets, sources, mode[0] != "grad")
    srefs = key[3]
    if all(r is None for r in srefs):
        return [None] * len(sources)
    struct, avals, trefs, _ = key
    live_t = [i for i, r in enumerate(trefs) if r is not None]
    t_avals = tuple((tuple(targets[i].value.shape), targets[i].value.dtype) for i in live_t)
    # Eager gradients keep TF eager's op-by-op arithmetic; inside jaxtape.function the step is
    # one XLA program, simplified as a whole (as TF's graph optimizer simplifies a tf.function).
    full_mode = mode + (STATE.trace is None and IEEE_GRADIENTS, t_avals)
    if cts is not None:
        cts = [cts[i] for i in live_t]
    ck = (key, full_mode)
    if LAZY_USED[0]:  # leaves may be pending lazy eager values
        if (
            lazy.active()
            and not sparse
            and not NUMERICS["enabled"]
            and not STATE.tapes
            and mode[0] == "grad"
            and len(key[0]) <= OP_BY_OP_LIMIT
            and lazy.lazy_ok(leaf_vals)
            and (not cts or lazy.lazy_ok(cts))
        ):
            return _lazy_gradient(ck, key, full_mode, leaf_vals, cts, srefs, sources)
        leaf_vals = [lazy.concrete(v) for v in leaf_vals]
        if cts:
            cts = [lazy.concrete(v) for v in cts]
    if len(key[0]) > OP_BY_OP_LIMIT and mode[0] == "grad" and STATE.trace is None:

        def raw(lv, c, _key=key, _mode=full_mode):
            return _op_by_op(_key, _mode, lv, c)

        jitted = raw
    else:
        jitted, raw = compiled(key, full_mode, leaf_vals)
    outs = jitted(list(leaf_vals), list(cts) if cts else [])
    if NUMERICS["enabled"]:
        if any(is_tracer(o) for o in outs):
            check_values("Gradient", outs)
        else:
            _check_gradients(key, leaf_vals, outs, cts, t_avals)
    res_t = []
    it = iter(outs)
    out = []
    for si, (r, s) in enumerate(zip(srefs, sources)):
        if r is None:
            out.append(None)
        elif r[0] == "sparse":
            vals, idx = [], []
            for iv in sparse[si]:
                v = next(it)
                vals.append(v.reshape((-1,) + tuple(s.shape[1:])))
                idx.append(iv.reshape(-1))
            v = vals[0] if len(vals) == 1 else jnp.concatenate(vals)
            i = idx[0] if len(idx) == 1 else jnp.concatenate(idx)
            t = make(v, s.dtype)
            res_t.append(t)
            out.append(
                IndexedSlices(
                    t, make(i, dtype_of(i)), make(jnp.asarray(s.shape, jnp.int32), _dt.int32)
                )
            )
        else:
            v = next(it)
            t = make(v, s.dtype)
            res_t.append(t)
            out.append(t)
    if STATE.tapes and res_t:
        # One kernel object per compiled entry, so an outer tape recording this gradient every
        # step sees the same structure and reuses its own compiled pass.
        kern = _kernels.get(ck)
        ct_vals = list(cts) if cts else []
        if kern is None:
            kern = GradKernel(key, jitted, raw, len(leaf_vals))
            kern._in_avals = [(tuple(v.shape), v.dtype) for v in list(leaf_vals) + ct_vals]
            _kernels[ck] = kern
        ids = list(leaf_ids) + [ct_ids[i] for i in live_t] if cts else list(leaf_ids)
        record_raw(kern, ids, list(leaf_vals) + ct_vals, res_t)
    return out
