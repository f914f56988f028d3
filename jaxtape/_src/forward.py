"""`tf.autodiff.ForwardAccumulator`: forward-mode JVPs over the same record tapes keep.

Entering the accumulator starts an internal persistent tape watching the primals.  `acc.jvp(t)`
slices the record between the primals and `t` (the same structural slice `gradient` uses),
turns it into a pure function of the primal leaves, and pushes the tangents through it with
`jax.jvp`, compiled and cached per structure.  A gradient computed inside the accumulator is
recorded on it like any op, so `acc.jvp(tape.gradient(y, x))` is a Hessian-vector product.

Forward mode through `custom_vjp` code (jaxtape's `tf.custom_gradient`, `sqrt`'s TF-style
derivative) is not defined by JAX; there the JVP is computed by double backprop — the VJP of the
VJP, `J v = d/du <J^T u, v>` — which is exactly what TF itself does for forward mode.
"""

from __future__ import annotations


import jax
import jax.numpy as jnp

from jaxtape._src import backward, caches, lazy, nest
from jaxtape._src.context import STATE
from jaxtape._src.dispatch import record_raw
from jaxtape._src.registry import export_value
from jaxtape._src.tape import GradientTape, UnconnectedGradients, _source, _target, _unconnected
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.tensor import make

# plan key -> [call, diff_leaves, use_fallback, {fallback?: (jitted, raw)}]
_jvp_cache = caches.LRU("forward.jvps", backward.CACHE_SIZE)


def _jvp_fn(key, n_diff):
    fn = _jvp_cache.get(key)
    if fn is not None:
        return fn
    struct, avals, trefs, srefs = key
    diff_leaves = sorted({r for refs in srefs if refs for r in refs if type(r) is int})

    def forward(leaf_vals, dl):
        leaves = list(leaf_vals)
        for i, li in enumerate(diff_leaves):
            leaves[li] = dl[i]
        outs = backward._replay(struct, leaves, {})
        return backward._resolve(trefs[0], leaves, outs)

    def jvp(leaf_vals, tangents):
        dl = [leaf_vals[i] for i in diff_leaves]
        return jax.jvp(lambda d: forward(leaf_vals, d), (dl,), (tangents,))[1]

    def double_backprop(leaf_vals, tangents):
        # J v = d/du <J^T u, v>: the VJP of the (linear) VJP, defined wherever reverse mode is
        dl = [leaf_vals[i] for i in diff_leaves]
        y, vjp = jax.vjp(lambda d: forward(leaf_vals, d), dl)
        _, vjp2 = jax.vjp(lambda u: vjp(u)[0], jnp.zeros_like(y))
        return vjp2(tangents)[0]

    primary, fallback = jax.jit(jvp), jax.jit(double_backprop)

    def call(leaf_vals, tangents):
        if entry[2]:
            return fallback(leaf_vals, tangents)
        try:
            return primary(leaf_vals, tangents)
        except TypeError:
            # custom_vjp inside (tf.custom_gradient, sqrt): JAX defines no forward mode for it
            entry[2] = True
            return fallback(leaf_vals, tangents)

    entry = [call, diff_leaves, False, {False: (primary, jvp), True: (fallback, double_backprop)}]
    _jvp_cache.put(key, entry)
    return entry


def _record_jvp(entry, key, leaf_vals, leaf_ids, tangents, out):
    """A JVP computed while tapes record is itself an op on them (as TF's accumulator records
    its forward-mode ops), so forward-over-forward and backward-over-forward compose."""
    _, _, use_fallback, fns = entry
    jitted, raw = fns[use_fallback]
    kk = (key, use_fallback)
    kern = _kernels.get(kk)
    if kern is None:
        kern = _JvpKernel(
            key, lambda lv, tl: (jitted(lv, tl),), lambda lv, tl: (raw(lv, tl),), len(leaf_vals)
        )
        kern._in_avals = [
            (tuple(v.shape), v.dtype) for v in list(leaf_vals) + [t._value for t in tangents]
        ]
        _kernels[kk] = kern
    record_raw(
        kern,
        list(leaf_ids) + [t._id for t in tangents],
        list(leaf_vals) + [t._value for t in tangents],
        [out],
    )


# ops whose TF gradient function does not read their inputs: a JVP through them does not
# depend on those inputs
_LINEAR = frozenset(
    (
        "AddV2",
        "Sub",
        "Neg",
        "Identity",
        "Reshape",
        "AddN",
        "Transpose",
        "ExpandDims",
        "Squeeze",
        "Pack",
        "ConcatV2",
        "StopGradient",
    )
)


class _JvpKernel(backward.GradKernel):
    """A recorded JVP.  Its output depends on what the JVP's formula reads (its jaxpr) and, as
    in TF, whose forward-mode formulas keep the primal inputs of every non-linear op they pass
    through: the JVP of `3 * x` is 0.0-connected to `x` (TF: 0.0, not None), that of `x + c`
    is not connected to `c`."""

    __slots__ = ()

    def __init__(self, key, fn, raw, n_leaves):
        super().__init__(key, fn, raw, n_leaves)
        self.name = "ForwardAccumulatorJvp"

    def connectivity(self, node):
        if self._conn is None:
            deps = backward._jaxpr_deps(self._call_raw, self._in_avals)
            kept = set()
            for kern, _, wires in self.key[0]:
                if kern.name not in _LINEAR:
                    kept.update(w for w in wires if type(w) is int)
            self._conn = [frozenset(d | kept) for d in deps]
        return self._conn


_kernels = backward._WeakKernels()
caches.register("forward.jvp_kernels", _kernels)


class ForwardAccumulator:
    """`tf.autodiff.ForwardAccumulator(primals, tangents)`: `jvp(target)` inside or after the
    `with` block gives the directional derivative of target along the tangents."""

    def __init__(self, primals, tangents):
        self._primals = nest.flatten(primals)
        flat_t = nest.flatten(tangents)
        if len(flat_t) != len(self._primals):
            raise ValueError(
                "primals and tangents must have the same structure; got %d primals "
                "and %d tangents" % (len(self._primals), len(flat_t))
            )
        self._tangents = []
        for p, t in zip(self._primals, flat_t):
            tt = convert_to_tensor(t, dtype=p.dtype)
            if tuple(tt.shape) != tuple(p.shape):
                raise ValueError(
                    "tangent shape %s does not match primal shape %s" % (tt.shape, p.shape)
                )
            self._tangents.append(tt)
        self._tape = GradientTape(persistent=True, watch_accessed_variables=False)

    def __enter__(self):
        self._tape.__enter__()
        self._tape.watch(self._primals)
        return self

    def __exit__(self, *exc):
        return self._tape.__exit__(*exc)

    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The JVP of `primals` (a tensor or a nest of tensors computed inside the block)."""
        mode = _unconnected(unconnected_gradients)
        return nest.map_structure(lambda t: self._jvp_one(t, mode), primals)

    def _jvp_one(self, target, mode):
        rec = self._tape._recorder
        t = _target(target)
        srcs = [_source(p, rec) for p in self._primals]
        shape = tuple(t.value.shape)
        out = None
        if t.dtype._diff:
            key, leaf_vals, leaf_ids, _ = backward.plan_memo(rec, [t], srcs)
            if lazy.USED[0]:  # pending lazy eager values: computed now
                leaf_vals = [lazy.concrete(v) for v in leaf_vals]
            if key[2][0] is not None and any(r is not None for r in key[3]):
                entry = _jvp_fn(key, None)
                fn, diff_leaves = entry[:2]
                tangent_of = {}
                for refs, tan in zip(key[3], self._tangents):
                    for r in refs or ():
                        if type(r) is int:
                            tangent_of[r] = tan
                tans = [tangent_of[i] for i in diff_leaves]
                out = make(fn(list(leaf_vals), [x._value for x in tans]), t.dtype)
                if STATE.tapes:
                    _record_jvp(entry, key, leaf_vals, leaf_ids, tans, out)
        if out is None and mode is UnconnectedGradients.ZERO:
            out = make(jnp.zeros(shape, t.dtype.as_numpy_dtype), t.dtype)
        return out


export_value("autodiff.ForwardAccumulator", ForwardAccumulator)
export_value("autodiff.GradientTape", GradientTape)
