"""Row rules: how an op treats a zero-padded axis, for lazy eager's bucketed segments.

A training loop whose batch size changes every step records the same structure with new shapes
each step; compiling each would cost XLA's per-shape compile every step, where TF eager's kernels
are shape-generic.  Lazy eager (lazy.py) compiles such a structure once per *bucket* of sizes
instead: the inputs whose leading dimension varies are zero-padded to the bucket's size `B`, the
true size `n` is a run-time argument, and the padded rows are zeroed again after every op (so a
padded row never holds an `inf` a later product could turn into a NaN).  That is exact only for
ops whose real rows do not depend on the padded ones, given zeros there.  A kernel says so with
its `rows` rule; an op without one that meets a padded value makes the segment run unbucketed.

A rule is `rule(n, params, pads, args) -> (out_pads, impl)`:

* `n`: the true size (a traced int32 scalar); `params`: the op's static params (a dict);
* `pads`: for each input, the axis that is padded (None: none); `args`: the padded arrays;
* `out_pads`: the padded axis of each output (a tuple), or a function returning it once the op
  has run (a gradient's);
* `impl`: None to run the kernel's own impl, or `impl(kernel_impl, *args, **params)` computing
  the op exactly on padded inputs (a mean over the padded axis divides by the true count).

It raises `Unbucketable` when the op is not exact on these pads (a max over padded rows, a
softmax along them).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = [
    "Unbucketable",
    "bucket",
    "reduced_pad",
    "MAP",
    "MATMUL",
    "SUM",
    "LAST_AXIS",
    "INSERTS_AXIS",
    "SQUEEZE",
    "TRANSPOSE",
    "SPARSE_XENT",
    "XENT",
    "ARG_REDUCE",
    "GATHER",
    "CONCAT",
]

# The smallest bucket (sizes 1..MIN_BUCKET share one compiled segment), and the ratio of one
# bucket's size to the next.
MIN_BUCKET = 8
GROWTH = 2


class Unbucketable(Exception):
    """An op met a padded value it cannot compute exactly from zero-padded rows."""


def bucket(n: int) -> int:
    """The bucket size for a true size `n`: the next power of two (at least MIN_BUCKET), so a
    loop over sizes 1..N compiles about log2(N) segments."""
    b = MIN_BUCKET
    while b < n:
        b *= GROWTH
    return b


def _one(pads):
    out = None
    for p in pads:
        if p is not None:
            if out is not None and p != out:
                raise Unbucketable("two padded axes meet")
            out = p
    return out


def MAP(n, params, pads, args):
    """Elementwise (with broadcasting): each output element reads the same position of each
    input, so padded positions only reach padded positions.

    An unpadded input broadcast along the padded axis is broadcast first, and its padded part
    zeroed: the op's derivative for it is summed over the rows, and at a padded row it may be
    infinite (`b / x` at x = 0), which a zero cotangent would turn into a NaN in the sum."""
    rank = max([a.ndim for a in args])
    out = _one([None if p is None else p + rank - a.ndim for p, a in zip(pads, args)])
    spread = []
    for k, (p, a) in enumerate(zip(pads, args)):
        i = out - (rank - a.ndim)
        if p is None:
            if i >= 0 and a.shape[i] != 1:
                raise Unbucketable("an unpadded input spans the padded axis")
            spread.append(k)
    if not spread:
        return (out,), None
    size = max([a.shape[p] for p, a in zip(pads, args) if p is not None])

    def impl(kernel, *args, **params):
        args = list(args)
        for k in spread:
            a = args[k]
            shape = [1] * (rank - a.ndim) + list(a.shape)
            shape[out] = size
            b = jnp.broadcast_to(jnp.reshape(a, [1] * (rank - a.ndim) + list(a.shape)), shape)
            keep = jax.lax.broadcasted_iota(jnp.int32, shape, out) < n
            args[k] = jnp.where(keep, b, jnp.zeros((), b.dtype))
        return kernel(*args, **params)

    return (out,), impl


def MATMUL(n, params, pads, args):
    """`MatMul` (params ta, tb, aa, ab: transposes/adjoints of the last two axes): a padded row
    of `a` or column of `b` is a padded row/column of the output; a padded contraction axis
    adds zero products (exact: zeros on both sides)."""
    a, b = args
    if a.ndim < 2 or b.ndim < 2:
        raise Unbucketable("matmul of vectors")
    rank = max(a.ndim, b.ndim)
    out = []
    for x, p, tr, role in (
        (a, pads[0], params["ta"] or params["aa"], "a"),
        (b, pads[1], params["tb"] or params["ab"], "b"),
    ):
        if p is None:
            continue
        r = x.ndim
        if tr and p >= r - 2:
            p = 2 * r - 3 - p  # the last two axes swap
        if p == r - 2:
            out.append(None if role == "b" else rank - 2)
        elif p == r - 1:
            out.append(rank - 1 if role == "b" else None)
        else:
            out.append(p + rank - r)  # a batch axis
    return (_one(out),), None


def reduced_pad(params, pad, ndim):
    """For a reduction (params axis, keepdims) of a value padded at `pad`: (the output's padded
    axis, whether the padded axis is reduced)."""
    axis = params.get("axis")
    axes = range(ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    axes = {a % ndim for a in axes} if ndim else set()
    if pad in axes:
        return None, True
    if params.get("keepdims"):
        return pad, False
    return pad - sum(1 for a in axes if a < pad), False


def SUM(n, params, pads, args):
    """A sum: padded rows add zeros (exact; the order of the additions may differ, as XLA's
    reduction tree depends on the length)."""
    (x,) = args
    return (reduced_pad(params, pads[0], x.ndim)[0],), None


def LAST_AXIS(n, params, pads, args):
    """Ops that mix values along `params["axis"]` only (softmax): exact when that axis is not
    the padded one."""
    (x,) = args
    if x.ndim and params["axis"] % x.ndim == pads[0]:
        raise Unbucketable("normalized along the padded axis")
    return (pads[0],), None


def INSERTS_AXIS(param):
    """Ops that add one axis at `params[param]` and map the rest (ExpandDims, OneHot)."""

    def rule(n, params, pads, args):
        (p,) = [q for q in pads if q is not None]
        rank = args[0].ndim + 1
        a = params[param] % rank
        return ((p if a > p else p + 1),), None

    return rule


def SQUEEZE(n, params, pads, args):
    """Squeeze of named axes other than the padded one (without axes, a true size of 1 would
    be squeezed where its padded size is not)."""
    (x,), (p,) = args, pads
    axis = params.get("axis")
    if axis is None or axis == ():
        raise Unbucketable("squeeze of every size-1 axis")
    axes = {a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,))}
    if p in axes:
        raise Unbucketable("squeeze of the padded axis")
    return (p - sum(1 for a in axes if a < p),), None


def TRANSPOSE(n, params, pads, args):
    (x,), (p,) = args, pads
    perm = params["perm"]
    return ((x.ndim - 1 - p) if perm is None else list(perm).index(p),), None


def SPARSE_XENT(n, params, pads, args):
    """SparseSoftmaxCrossEntropyWithLogits (labels [...], logits [..., classes]): one loss per
    row, the classes axis mixed."""
    p = _one(pads)
    if p == args[1].ndim - 1:
        raise Unbucketable("mixed along the padded axis")
    return (p,), None


def XENT(n, params, pads, args):
    """SoftmaxCrossEntropyWithLogits (labels, logits: one shape; params axis): the classes axis
    mixed and reduced."""
    p = _one(pads)
    a = params["axis"] % args[1].ndim
    if p == a:
        raise Unbucketable("mixed along the padded axis")
    return (p if p < a else p - 1,), None


def ARG_REDUCE(n, params, pads, args):
    """ArgMax/ArgMin along an axis other than the padded one."""
    (x,), (p,) = args, pads
    a = params["axis"] % x.ndim
    if a == p:
        raise Unbucketable("arg-reduction over the padded axis")
    return (p if p < a else p - 1,), None


def GATHER(n, params, pads, args):
    """GatherV2 of unpadded params at padded indices (a padded index is 0, a valid row)."""
    if pads[0] is not None or params.get("batch_dims"):
        raise Unbucketable("gather from a padded value")
    axis = params["axis"] % args[0].ndim
    return (axis + pads[1],), None


def CONCAT(n, params, pads, args):
    """ConcatV2 along another axis of values all padded at the same axis."""
    p = _one(pads)
    if any(q is None for q in pads) or params["axis"] % args[0].ndim == p:
        raise Unbucketable("concat along or beside the padded axis")
    return (p,), None
