"""The connectivity walk over a tape's record: which recorded ops lie between sources and
targets.  One walk, two rule sets:

* `differentiable=True` (gradients, Jacobians, forward mode, through `backward.plan`): a value
  flows only through an op's differentiable inputs (`diffpos`), into outputs of a
  differentiable dtype, and, for ops that declare it (`kernel.has_conn`: a compiled backward
  pass or custom gradient), only along the input->output pairs their connectivity lists.
* `differentiable=False` (`tape.explain`): every input reaches every output, whatever the
  dtypes — the path as the program wrote it, so explain can name the op that breaks it.

A node is anything with `inputs`/`outputs` (Tensors with `_id` and `_dtype`), `in_ids`,
`out_ids`, `diffpos` and `kernel`: the tape's recorded op.
"""

from __future__ import annotations


class History:
    """The result of a walk.

    * `reach`: ids of the tensors computed from a source (sources included).
    * `need`: ids of the tensors a target depends on, within `reach` (targets included).
    * `path`: the recorded nodes on a path from a source to a target, in record order.
    * `any_sparse`: whether one of them may produce an IndexedSlices gradient."""

    __slots__ = ("reach", "need", "path", "any_sparse")

    def __init__(self, reach, need, path, any_sparse):
        self.reach, self.need, self.path, self.any_sparse = reach, need, path, any_sparse


def _positions(node, differentiable):
    return node.diffpos if differentiable else range(len(node.inputs))


def _downstream(nodes, reach, differentiable):
    """Grow `reach` forward through `nodes`; returns the nodes a source reaches."""
    live = []
    for n in nodes:
        positions = _positions(n, differentiable)
        if positions is None:
            continue
        ins = n.inputs
        hit = [p for p in positions if ins[p]._id in reach]
        if not hit:
            continue
        live.append(n)
        conn = n.kernel.connectivity(n) if differentiable and n.kernel.has_conn else None
        for k, o in enumerate(n.outputs):
            if differentiable and not o._dtype._diff:
                continue
            if conn is None or not conn[k].isdisjoint(hit):
                reach.add(o._id)
    return live


def _upstream(live, reach, need, differentiable):
    """Walk back from `need` over the live nodes; returns the path in record order."""
    path = []
    any_sparse = False
    for n in reversed(live):
        if not any(o in need for o in n.out_ids):
            continue
        path.append(n)
        in_ids = n.in_ids
        if differentiable and n.kernel.has_conn:
            conn = n.kernel.connectivity(n)
            used = frozenset().union(*(conn[k] for k, o in enumerate(n.out_ids) if o in need))
            positions = [p for p in n.diffpos if p in used]
        else:
            positions = _positions(n, differentiable)
        for p in positions:
            if in_ids[p] in reach:
                need.add(in_ids[p])
        if n.kernel.sparse_arg0:
            any_sparse = True
    path.reverse()
    return path, any_sparse


def walk(nodes, source_ids, target_ids, differentiable=True, seed_ids=None) -> History:
    """The ops between `source_ids` and `target_ids` in `nodes` (record order).

    `seed_ids`: the sources the forward walk starts from, when only some of them may seed it
    (a gradient starts only from tensors the tape watches; a target that is itself a source
    is still needed).  Defaults to `source_ids`."""
    sources = set(source_ids)
    reach = set(sources if seed_ids is None else seed_ids)
    live = _downstream(nodes, reach, differentiable) if reach else []
    need = {t for t in target_ids if t in reach or t in sources}
    path, any_sparse = _upstream(live, reach, need, differentiable)
    return History(reach, need, path, any_sparse)
