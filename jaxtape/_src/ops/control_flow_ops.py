"""Control flow as ops: `tf.cond`, `tf.while_loop`, `tf.switch_case`.

Eagerly these run the chosen Python branch, so every op inside is recorded on the tape and
differentiates as usual (TF eager does the same).
"""

from __future__ import annotations

from jaxtape._src import nest
from jaxtape._src.ops._common import tensor
from jaxtape._src.registry import export


def _concrete_bool(pred, what):
    t = tensor(pred)
    try:
        return bool(t)
    except Exception as e:  # a tracer inside jaxtape.function
        raise TypeError(
            "%s needs a concrete predicate here; inside jaxtape.function use jaxtape.cond / "
            "jaxtape.while_loop with tensors (got %r)" % (what, t)) from e


@export("cond", gradient="yes")
def cond(pred, true_fn=None, false_fn=None, name=None):
    """`tf.cond`: calls `true_fn()` or `false_fn()`."""
    if true_fn is None or false_fn is None:
        raise TypeError("cond(): true_fn and false_fn arguments are required.")
    return true_fn() if _concrete_bool(pred, "tf.cond") else false_fn()


@export("while_loop", gradient="yes")
def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """`tf.while_loop`: repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`."""
    single = not isinstance(loop_vars, (list, tuple))
    vars_ = [loop_vars] if single else list(loop_vars)
    i = 0
    while _concrete_bool(cond(*vars_), "tf.while_loop"):
        if maximum_iterations is not None and i >= int(maximum_iterations):
            break
        out = body(*vars_)
        vars_ = [out] if single and not isinstance(out, (list, tuple)) else list(
            out if isinstance(out, (list, tuple)) else [out])
        i += 1
    if single:
        return vars_[0]
    return nest.pack_sequence_as(list(loop_vars), nest.flatten(vars_)) if isinstance(
        loop_vars, list) else type(loop_vars)(vars_) if not hasattr(loop_vars, "_fields") \
        else type(loop_vars)(*vars_)


@export("switch_case", gradient="yes")
def switch_case(branch_index, branch_fns, default=None, name=None):
    """`tf.switch_case`: calls `branch_fns[branch_index]` (or `default` when out of range)."""
    i = int(tensor(branch_index))
    fns = dict(branch_fns) if isinstance(branch_fns, dict) else dict(enumerate(branch_fns))
    fn = fns.get(i)
    if fn is None:
        fn = default if default is not None else fns[max(fns)]
    return fn()


@export("case", gradient="yes")
def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    for p, fn in pred_fn_pairs:
        if _concrete_bool(p, "tf.case"):
            return fn()
    return default()
