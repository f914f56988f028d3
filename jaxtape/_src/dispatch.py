"""Running a kernel eagerly and recording it on the tapes that watch its inputs.

`bind` is the one place every op goes through: unwrap the input arrays, run the kernel's JAX
implementation, wrap the outputs, and — only when a tape is recording — append one `Node` to each
recording tape that tracks at least one input (TF's rule: an op is recorded iff one input is
watched).
"""

from __future__ import annotations

import jax
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import lazy
from jaxtape._src.context import FLUSH, HOOKS, STATE, user_site
from jaxtape._src.tensor import EAGER_TYPES, is_tracer, make

NUMERICS = {"enabled": False}
POST_OP = HOOKS.post_op
LAZY = lazy.ON
_raw, _lazy_call, _make_lazy = lazy.raw, lazy.call, lazy.make_lazy


def flush():
    for hook in HOOKS.flush:
        hook()


_NP2DT = {np.dtype(d.as_numpy_dtype): d for d in _dt.ALL if d is not _dt.string}
DIFF_NP = frozenset(np.dtype(d.as_numpy_dtype) for d in _dt.ALL if d.is_differentiable)


def dtype_of(arr) -> _dt.DType:
    return _NP2DT[arr.dtype]


class Node:
    """One recorded op: plain data — the kernel, its static params, and the input and output
    Tensors (so the record holds the values the backward pass may need as leaves)."""

    __slots__ = ("kernel", "params", "inputs", "outputs", "site", "_dp")

    def __init__(self, kernel, params, inputs, outputs):
        self.kernel = kernel
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.site = None
        self._dp = False

    # Views used by the (memo-missing) slice walk; the hot path never computes them.
    @property
    def in_ids(self):
        return tuple([t._id for t in self.inputs])

    @property
    def in_vals(self):
        return tuple([t._value for t in self.inputs])

    @property
    def in_raw(self):
        """The inputs' arrays, a lazy eager value left pending (see lazy.py)."""
        raw = lazy.raw
        return tuple([raw(t) if type(t) in EAGER_TYPES else t._value for t in self.inputs])

    @property
    def out_ids(self):
        return tuple([t._id for t in self.outputs])

    @property
    def out_vals(self):
        return tuple([t._value for t in self.outputs])

    @property
    def diffpos(self):
        """Input positions a gradient can flow through (None: not differentiable)."""
        dp = self._dp
        if dp is False:
            k = self.kernel
            if k.grad == "nondiff":
                dp = None
            else:
                da = k.diff_args
                dp = tuple(
                    [
                        p
                        for p, t in enumerate(self.inputs)
                        if (da is None or p in da) and t._dtype._diff
                    ]
                )
            self._dp = dp
        return dp

    @property
    def out_diff(self):
        return tuple([t._dtype._diff for t in self.outputs])


def bind(kernel, inputs, params=None):
    """Run `kernel` on Tensors `inputs` with static `params` (a dict of hashables)."""
    if FLUSH[0] and STATE.trace is None:
        flush()
    if LAZY[0] and not POST_OP and lazy.active() and kernel.eager is not kernel.impl:
        res = _bind_lazy(kernel, inputs, params)
        if res is not None:
            return res
    vals = [t._value for t in inputs]
    if STATE.trace is not None and _foldable(vals):
        with jax.ensure_compile_time_eval():
            out = kernel.eager(*vals, **(params or {}))
    elif params:
        out = kernel.eager(*vals, **params)
    else:
        out = kernel.eager(*vals)
    if kernel.multi:
        res = tuple(make(o, _NP2DT[o.dtype]) for o in out)
        if STATE.tapes:
            record(kernel, params, inputs, res)
        if POST_OP:
            for hook in POST_OP:
                hook(kernel, inputs, res)
        return res
    res = make(out, _NP2DT[out.dtype])
    if STATE.tapes:
        record(kernel, params, inputs, (res,))
    if POST_OP:
        for hook in POST_OP:
            hook(kernel, inputs, (res,))
    return res


def _bind_lazy(kernel, inputs, params):
    """`bind` in lazy eager: append the op to the pending segment (see lazy.py); None when the
    op must run now (an input a segment cannot take, or an abstract evaluation that fails: the
    op then runs as usual and raises what op-by-op execution raises)."""
    vals = list(map(_raw, inputs))
    sparams = tuple(sorted(params.items())) if params else ()
    try:
        outs = _lazy_call(kernel, sparams, vals)
    except Exception:
        return None
    if outs is None:  # a value a segment cannot take
        return None
    if kernel.multi:
        res = tuple([_make_lazy(p, _NP2DT[p.dtype]) for p in outs])
        if STATE.tapes:
            record(kernel, params, inputs, res, sparams)
        return res
    p = outs[0]
    res = _make_lazy(p, _NP2DT[p.dtype])
    if STATE.tapes:
        record(kernel, params, inputs, (res,), sparams)
    return res


class _HostOp:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def host_op_done(name: str, outputs):
    """An op computed on the host without a kernel (`tf.unique`, `tf.random.shuffle`, a
    Variable read): the post-op hooks see it as TF's op `name`.  Returns `outputs`."""
    if POST_OP:
        op = _HostOp(name)
        for hook in POST_OP:
            hook(op, (), outputs)
    return outputs


def _foldable(vals) -> bool:
    """Inside a jaxtape.function trace, shape arithmetic on known values (`tf.shape(x)[0] * 2`)
    is computed at trace time, as TF's graph folds it, so it can serve as a static argument
    (a shape, a size).  Only small integer and bool computations fold: a Variable's or a traced
    value never does."""
    if not vals:
        return False
    scope = STATE.trace
    for v in vals:
        if (
            is_tracer(v)
            or not hasattr(v, "dtype")
            or v.dtype.kind not in "biu"
            or v.size > 64
            or scope.is_symbolic(v)
        ):
            return False
    return True


def record(kernel, params, inputs, outputs, sparams=None):
    """Append a Node to every recording tape that tracks one of `inputs`.

    As TF's tape (`ShouldRecord`): only a tracked input of a differentiable dtype counts, so
    `tf.cast(int_variable, tf.float32)` starts nothing the tape follows."""
    node = None
    for rec in STATE.tapes:
        tracked = rec.tracked
        seen = False
        if rec.all:  # the graph of a trace (tf.gradients): every input is a watched leaf
            for t in inputs:
                if t._id not in tracked:
                    tracked[t._id] = None
        for t in inputs:
            if t._id in tracked:
                if t._dtype._diff:
                    break
                seen = True
            elif t._id in rec.untracked:
                seen = True
        else:
            if seen:  # not recorded, but remembered so tape.explain can say why
                ins = tuple(t._id for t in inputs)
                for o in outputs:
                    rec.untracked[o._id] = (kernel.name, ins)
            continue
        if node is None:
            if sparams is None:
                sparams = tuple(sorted(params.items())) if params else ()
            node = Node(kernel, sparams, tuple(inputs), outputs)
            if rec.debug:
                node.site = _user_site()
        if kernel.grad == "none":
            rec.has_nograd = True
        _append(rec, node)
        for o in outputs:
            tracked[o._id] = node


def _append(rec, node):
    """Add node to rec with its signature (kernel, params, wires) for backward.plan's memo:
    a wire is (node index, output index) or, for a leaf, (leaf number, shape, dtype name)."""
    pos, leaf_pos = rec.pos, rec.leaf_pos
    wires = []
    for t in node.inputs:
        i = t._id
        p = pos.get(i)
        if p is None:
            p = leaf_pos.get(i)
            if p is None:
                # the dtype's name: a str caches its hash (a DType hashes in Python)
                p = leaf_pos[i] = (len(leaf_pos), t._ashape, t._dtype._name)
        wires.append(p)
    j = len(rec.nodes)
    rec.nodes.append(node)
    rec.sigs.append((node.kernel, node.params, tuple(wires)))
    k = 0
    for o in node.outputs:
        pos[o._id] = (j, k)
        k += 1
    if node.kernel.has_conn:
        rec.memo_ok = False


def record_raw(kernel, in_ids, in_vals, outputs):
    """Record a node whose inputs are given as ids and values (a gradient computation)."""
    inputs = []
    for i, v in zip(in_ids, in_vals):
        t = make(v, _NP2DT[v.dtype])
        t._id = i
        inputs.append(t)
    record(kernel, None, inputs, tuple(outputs))


def _user_site():
    return user_site(4)
