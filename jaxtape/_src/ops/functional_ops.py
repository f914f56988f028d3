"""`tf.map_fn`, `tf.scan`, `tf.foldl`, `tf.foldr`, `tf.vectorized_map`, `tf.get_static_value`.

Each runs the user's function once per element with jaxtape ops, eagerly (so every step is on
the tape: gradients flow as in TF) or, inside `jaxtape.function`, unrolled into the trace (TF
builds a while loop; the values and gradients are the same, the compiled program grows with the
number of elements).
"""

from __future__ import annotations

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src import nest
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.ops import array_ops, math_ops
from jaxtape._src.registry import export
from jaxtape._src.tensor import EagerTensor, is_tracer


def _elements(elems):
    flat = [convert_to_tensor(e) for e in nest.flatten(elems)]
    if not flat:
        raise ValueError(
            "elems must be a Tensor or (possibly nested) sequence of Tensors. Got %r" % (elems,)
        )
    n = None
    for t in flat:
        if t.shape.rank == 0:
            raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
        d = t.shape[0]
        if n is not None and d != n:
            raise ValueError("All elems must have the same first dimension: got %s and %s" % (n, d))
        n = d
    rows = [array_ops.unstack(t) for t in flat]
    return flat, n, [nest.pack_sequence_as(elems, [r[i] for r in rows]) for i in range(n)]


def _stack(results, signature=None):
    first = results[0]
    leaves = [nest.flatten(r) for r in results]
    out = []
    for j in range(len(leaves[0])):
        col = [convert_to_tensor(r[j]) for r in leaves]
        out.append(array_ops.stack(col))
    if signature is not None:
        sigs = nest.flatten(signature)
        for o, s in zip(out, sigs):
            want = getattr(s, "dtype", s)
            if want is not None and _dt.as_dtype(want) is not o.dtype:
                raise TypeError(
                    "The fn_output_signature dtype %s does not match the output's "
                    "dtype %s" % (_dt.as_dtype(want).name, o.dtype.name)
                )
    return nest.pack_sequence_as(first, out)


@export("map_fn", gradient="yes")
def map_fn(
    fn,
    elems,
    dtype=None,
    parallel_iterations=None,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    name=None,
    fn_output_signature=None,
):
    """`tf.map_fn`: `fn` on each element of `elems` (unstacked along axis 0), the results
    stacked; `elems` may be a nest."""
    _, n, items = _elements(elems)
    signature = fn_output_signature if fn_output_signature is not None else dtype
    if n == 0:
        want = nest.flatten(signature) if signature is not None else [None]
        return array_ops.zeros([0], _dt.as_dtype(want[0]) if want[0] is not None else _dt.float32)
    return _stack([fn(x) for x in items], signature)


@export("vectorized_map", gradient="yes")
def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """`tf.vectorized_map`: the values of `tf.map_fn(fn, elems)` (computed per element)."""
    return map_fn(fn, elems)


def _accumulate(fn, elems, initializer, reverse, keep_all):
    _, n, items = _elements(elems)
    if reverse:
        items = items[::-1]
    if initializer is None:
        if n == 0:
            raise ValueError("elems must not be empty when no initializer is given")
        acc, items = items[0], items[1:]
        outs = [acc]
    else:
        acc = (
            nest.map_structure(convert_to_tensor, initializer)
            if isinstance(initializer, (list, tuple, dict))
            else convert_to_tensor(initializer)
        )
        outs = []
    for x in items:
        acc = fn(acc, x)
        outs.append(acc)
    if not keep_all:
        return acc
    if reverse:
        outs = outs[::-1]
    return _stack(outs)


@export("scan", gradient="yes")
def scan(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    infer_shape=True,
    reverse=False,
    name=None,
):
    """`tf.scan`: the running accumulation `a = fn(a, x)` over `elems`, every `a` stacked."""
    return _accumulate(fn, elems, initializer, reverse, True)


@export("foldl", gradient="yes")
def foldl(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
):
    """`tf.foldl`: `a = fn(a, x)` over `elems` from the first element; the final `a`."""
    return _accumulate(fn, elems, initializer, False, False)


@export("foldr", gradient="yes")
def foldr(
    fn,
    elems,
    initializer=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    name=None,
):
    """`tf.foldr`: `a = fn(a, x)` over `elems` from the last element; the final `a`."""
    return _accumulate(fn, elems, initializer, True, False)


@export("get_static_value", gradient="n/a")
def get_static_value(tensor, partial=False):
    """`tf.get_static_value`: the NumPy value of a tensor known without running a compiled
    step (every eager tensor; inside `jaxtape.function`, constants and shapes), else None."""
    if isinstance(tensor, EagerTensor) or is_tensor_like(tensor):
        t = convert_to_tensor(tensor)
        if is_tracer(t._value) or (STATE.trace is not None and STATE.trace.is_symbolic(t._value)):
            return None
        return t.numpy()
    if isinstance(tensor, (list, tuple)) and any(is_tensor_like(x) for x in tensor):
        vals = [get_static_value(x) for x in tensor]
        return None if any(v is None for v in vals) else np.array(vals)
    return tensor


_ = math_ops
