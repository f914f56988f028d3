"""Running a kernel eagerly and recording it on the tapes that watch its inputs.

`bind` is the one place every op goes through: unwrap the input arrays, run the kernel's JAX
implementation, wrap the outputs, and — only when a tape is recording — append one `Node` to each
recording tape that tracks at least one input (TF's rule: an op is recorded iff one input is
watched).
"""

from __future__ import annotations

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.tensor import make

_NP2DT = {np.dtype(d.as_numpy_dtype): d for d in _dt.ALL if d is not _dt.string}
DIFF_NP = frozenset(np.dtype(d.as_numpy_dtype) for d in _dt.ALL if d.is_differentiable)


def dtype_of(arr) -> _dt.DType:
    return _NP2DT[arr.dtype]


class Node:
    """One recorded op: plain data.

    `diffpos`: the input positions a gradient can flow through (None for a non-differentiable
    kernel); `out_diff`: which outputs have a differentiable dtype.  Both are computed once here
    so the backward walk reads attributes only."""

    __slots__ = ("kernel", "params", "in_ids", "in_vals", "out_ids", "out_vals", "site",
                 "diffpos", "out_diff")

    def __init__(self, kernel, params, in_ids, in_vals, out_ids, out_vals, diffpos, out_diff):
        self.kernel = kernel
        self.params = params
        self.in_ids = in_ids
        self.in_vals = in_vals
        self.out_ids = out_ids
        self.out_vals = out_vals
        self.site = None
        self.diffpos = diffpos
        self.out_diff = out_diff


def _diffpos(kernel, inputs):
    if kernel.grad == "nondiff":
        return None
    da = kernel.diff_args
    if da is None:
        if len(inputs) == 1:
            return (0,) if inputs[0]._dtype._diff else ()
        return tuple([p for p, t in enumerate(inputs) if t._dtype._diff])
    return tuple([p for p, t in enumerate(inputs) if p in da and t._dtype._diff])


def bind(kernel, inputs, params=None):
    """Run `kernel` on Tensors `inputs` with static `params` (a dict of hashables)."""
    vals = [t._value for t in inputs]
    if params:
        out = kernel.eager(*vals, **params)
    else:
        out = kernel.eager(*vals)
    if kernel.multi:
        res = tuple(make(o, _NP2DT[o.dtype]) for o in out)
        if STATE.tapes:
            record(kernel, params, inputs, res)
        return res
    res = make(out, _NP2DT[out.dtype])
    if STATE.tapes:
        record(kernel, params, inputs, (res,))
    return res


def record(kernel, params, inputs, outputs):
    """Append a Node to every recording tape that tracks one of `inputs`."""
    node = None
    for rec in STATE.tapes:
        tracked = rec.tracked
        for t in inputs:
            if t._id in tracked:
                break
        else:
            continue
        if node is None:
            node = Node(kernel, tuple(sorted(params.items())) if params else (),
                        tuple([t._id for t in inputs]), tuple([t._value for t in inputs]),
                        tuple([o._id for o in outputs]), tuple([o._value for o in outputs]),
                        _diffpos(kernel, inputs), tuple([o._dtype._diff for o in outputs]))
            if kernel.grad == "none":
                rec.has_nograd = True
            if rec.debug:
                node.site = _user_site()
        elif kernel.grad == "none":
            rec.has_nograd = True
        _append(rec, node, inputs)
        for o in node.out_ids:
            tracked[o] = node


def _append(rec, node, inputs):
    """Add node to rec, with its recorded-structure signature (see backward.plan's memo)."""
    pos, leaf_pos = rec.pos, rec.leaf_pos
    wires = []
    for i, v in zip(node.in_ids, node.in_vals):
        p = pos.get(i)
        if p is None:
            n = leaf_pos.get(i)
            if n is None:
                n = leaf_pos[i] = len(leaf_pos)
            p = (n, v.shape, v.dtype)
        wires.append(p)
    j = len(rec.nodes)
    rec.nodes.append(node)
    rec.sigs.append((node.kernel, node.params, tuple(wires)))
    k = 0
    for o in node.out_ids:
        pos[o] = (j, k)
        k += 1
    if node.kernel.has_conn:
        rec.memo_ok = False


def record_raw(kernel, in_ids, in_vals, outputs):
    """Record a node whose inputs are given as ids and values (a gradient computation)."""
    node = None
    for rec in STATE.tapes:
        tracked = rec.tracked
        if not any(i in tracked for i in in_ids):
            continue
        if node is None:
            diffpos = tuple(p for p, v in enumerate(in_vals) if v.dtype in DIFF_NP)
            node = Node(kernel, (), tuple(in_ids), tuple(in_vals),
                        tuple(o._id for o in outputs), tuple(o._value for o in outputs),
                        diffpos, tuple(o._dtype._diff for o in outputs))
        _append(rec, node, None)
        for o in node.out_ids:
            tracked[o] = node


def _user_site():
    import sys
    f = sys._getframe(3)
    while f is not None and "/jaxtape/" in f.f_code.co_filename.replace("\\", "/"):
        f = f.f_back
    return None if f is None else (f.f_code.co_filename, f.f_lineno)
