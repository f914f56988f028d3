"""Control flow as ops: `tf.cond`, `tf.switch_case`, `tf.while_loop`.

Eagerly these run the chosen Python branch, so every op inside is recorded on the tape and
differentiates as usual (TF eager does the same).  Inside `jaxtape.function` the predicate is a
traced value:

* `cond` / `switch_case` / `case` evaluate every branch and select the results with `where`
  (recorded ops, so gradients flow into the selected branch only, as TF's cond gradient does).
  A Variable a branch assigns gets the selected branch's value.
* `while_loop` becomes `jax.lax.while_loop` (or a masked `lax.scan` when `maximum_iterations`
  is given, which reverse-mode differentiates).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtape._src import nest
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.ops._common import tensor
from jaxtape._src.registry import export
from jaxtape._src.tensor import EagerTensor, is_symbolic, make


def _traced(pred) -> bool:
    return is_symbolic(tensor(pred)._value)


def _select(pred, a, b):
    from jaxtape._src.ops.array_ops import where

    fa, fb = nest.flatten(a), nest.flatten(b)
    if len(fa) != len(fb):
        raise ValueError(
            "true_fn and false_fn must return the same structure; got %d and %d "
            "values" % (len(fa), len(fb))
        )
    out = []
    for x, y in zip(fa, fb):
        if is_tensor_like(x) or is_tensor_like(y):
            out.append(where(pred, x, y))
        elif x is y or x == y:
            out.append(x)
        else:
            raise ValueError("Python values returned by the branches differ: %r vs %r" % (x, y))
    return nest.pack_sequence_as(a, out)


def _both_branches(pred, true_fn, false_fn):
    """(true_fn(), false_fn()), both traced.  A Variable either branch assigns ends up with
    the value of the branch `pred` selects, as if only that branch had run (TF's cond runs
    one branch and its assignments only)."""
    scope = STATE.trace
    if scope is None:  # traced by JAX directly: no Variables to track
        return true_fn(), false_fn()
    before = scope.variable_values()
    a = true_fn()
    after_a = scope.variable_values()
    for uid, (var, value) in after_a.items():  # the false branch starts from the same state  # noqa: B007
        if uid in before:
            var._value = before[uid][1]
    b = false_fn()
    after_b = scope.variable_values()
    p = tensor(pred)._value
    for uid, (var, old) in before.items():
        va, vb = after_a[uid][1], after_b[uid][1]
        if va is not old or vb is not old:
            var._set(jnp.where(p, va, vb))
    return a, b


@export("cond", gradient="yes")
def cond(pred, true_fn=None, false_fn=None, name=None):
    """`tf.cond`: `true_fn()` if `pred` else `false_fn()`."""
    if true_fn is None or false_fn is None:
        raise TypeError("cond(): true_fn and false_fn arguments are required.")
    p = tensor(pred)
    if not is_symbolic(p._value):
        return true_fn() if bool(p) else false_fn()
    return _select(p, *_both_branches(p, true_fn, false_fn))


@export("switch_case", gradient="yes")
def switch_case(branch_index, branch_fns, default=None, name=None):
    """`tf.switch_case`: calls `branch_fns[branch_index]` (or `default` when out of range)."""
    fns = dict(branch_fns) if isinstance(branch_fns, dict) else dict(enumerate(branch_fns))
    if default is None:
        default = fns[max(fns)]
    idx = tensor(branch_index)
    if not is_symbolic(idx._value):
        return fns.get(int(idx), default)()
    from jaxtape._src.ops.math_ops import equal

    return _first_of([(equal(idx, tensor(k, idx._dtype)), fns[k]) for k in sorted(fns)], default)


def _first_of(branches, default):
    """The first `(pred, fn)` whose pred holds runs, else `default`: nested `cond`s, so inside
    jaxtape.function every branch is traced once and Variable assignments are selected too."""

    def at(j):
        if j == len(branches):
            return default
        pred, fn = branches[j]
        return lambda: cond(pred, fn, at(j + 1))

    return at(0)()


@export("case", gradient="yes")
def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """`tf.case`: the fn of the first pred that holds (TF's default: the last pair's fn)."""
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    return _first_of(pairs, default if default is not None else pairs[-1][1])


def _as_list(loop_vars):
    return [loop_vars] if not isinstance(loop_vars, (list, tuple)) else list(loop_vars)


@export(
    "while_loop",
    gradient="yes (eager); forward only inside function unless maximum_iterations is given",
)
def while_loop(
    cond,
    body,
    loop_vars,
    shape_invariants=None,
    parallel_iterations=10,
    back_prop=True,
    swap_memory=False,
    maximum_iterations=None,
    name=None,
):
    """`tf.while_loop`: repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`."""
    single = not isinstance(loop_vars, (list, tuple))
    flat = _as_list(loop_vars)
    first = cond(*flat)
    if not is_symbolic(tensor(first)._value):
        vars_ = flat
        i = 0
        pred = first
        while bool(tensor(pred)):
            if maximum_iterations is not None and i >= int(maximum_iterations):
                break
            vars_ = _as_list(body(*vars_))
            i += 1
            pred = cond(*vars_)
        return (
            vars_[0]
            if single
            else type(loop_vars)(vars_)
            if not hasattr(loop_vars, "_fields")
            else type(loop_vars)(*vars_)
        )
    # traced: lax control flow over the loop variables' arrays
    ts = [convert_to_tensor(v) for v in flat]
    dtypes = [t.dtype for t in ts]

    def wrap(arrays):
        return [make(a, d) for a, d in zip(arrays, dtypes)]

    def unwrap(vals):
        return tuple(convert_to_tensor(v, d)._value for v, d in zip(_as_list(vals), dtypes))

    saved = STATE.tapes
    STATE.tapes = []
    try:
        if maximum_iterations is None:
            out = jax.lax.while_loop(
                lambda c: tensor(cond(*wrap(c)))._value,
                lambda c: unwrap(body(*wrap(c))),
                tuple(t._value for t in ts),
            )
        else:

            def step(carry, _):
                done, vals = carry
                go = jnp.logical_and(jnp.logical_not(done), tensor(cond(*wrap(vals)))._value)
                new = unwrap(body(*wrap(vals)))
                vals = tuple(jnp.where(go, n, o) for n, o in zip(new, vals))
                return (jnp.logical_not(go), vals), None

            (_, out), _ = jax.lax.scan(
                step,
                (jnp.asarray(False), tuple(t._value for t in ts)),
                None,
                length=int(maximum_iterations),
            )
    finally:
        STATE.tapes = saved
    res = wrap(out)
    return (
        res[0]
        if single
        else type(loop_vars)(res)
        if not hasattr(loop_vars, "_fields")
        else type(loop_vars)(*res)
    )


_ = EagerTensor
