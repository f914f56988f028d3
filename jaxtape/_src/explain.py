"""Why is my gradient None?  `tape.explain(target, sources)` answers from the record.

`tape.gradient` stays TF's: it returns `None` for a source the target does not depend on through
differentiable, recorded ops.  The tape records the structure that decides every `None`, so it
can also say which reason applied, in the user's terms, with what to do:

=====================  =======================================================================
reason                 when
=====================  =======================================================================
connected              the gradient is defined (no reason is invented for a real gradient)
integer_dtype          the source (or target) is an int/uint/bool/string tensor
not_watched            a constant the tape never watched
not_trainable          a `trainable=False` Variable the tape never watched
variable_not_read      a Variable that was not read while the tape recorded
before_tape            a tensor computed before the tape started recording (e.g. `v + 1.0`)
after_reset            recorded before `tape.reset()`
target_not_recorded    the target was computed outside this tape (before it, after it, on
                       another tape, inside `stop_recording`) — the reason says which
stop_gradient          every path from the source to the target goes through `tf.stop_gradient`
not_differentiable     every path goes through a non-differentiable op (`argmax`, `round`,
                       a cast to int...), named, with the user's file and line in debug mode
left_tape              the value left the tape through `.numpy()`, `float()`, `int()`...
not_connected          the target does not use the source at all
=====================  =======================================================================

Nothing here runs on the hot path: reasons are computed when asked, except that a non-persistent
tape computes them for the sources that came back `None` (only then) before it drops its record,
so `explain` still answers after `gradient`.  `jaxtape.debugging.set_gradient_debug(True)` also
records each op's call site (file and line), which costs time on every op.
`jaxtape.debugging.set_strict_gradients(True)` makes `gradient` raise a `ValueError` carrying the
explanation instead of returning `None`.
"""

from __future__ import annotations

import sys

from jaxtape._src import history, nest
from jaxtape._src.context import HOOKS
from jaxtape._src.registry import export_value
from jaxtape._src.tape import FLAGS, _live_recorders, _source, _target


def set_gradient_debug(enabled: bool = True) -> None:
    """Record each op's call site (file, line) so explanations can point at user code."""
    FLAGS["debug"] = bool(enabled)


def set_strict_gradients(enabled: bool = True) -> None:
    """Make `tape.gradient` raise ValueError (with the explanation) instead of returning None."""
    FLAGS["strict"] = bool(enabled)


class GradientReport:
    """Why a source's gradient is (or is not) None.  `str(report)` is the explanation."""

    __slots__ = ("reason", "source", "message", "advice", "op", "site")

    def __init__(self, reason, source, message, advice="", op=None, site=None):
        self.reason = reason
        self.source = source
        self.message = message
        self.advice = advice
        self.op = op
        self.site = site

    @property
    def is_none(self) -> bool:
        return self.reason != "connected"

    def __str__(self):
        text = self.message
        if self.site:
            text += " (at %s:%d)" % self.site
        if self.advice:
            text += " " + self.advice
        return text

    def __repr__(self):
        return "<GradientReport %s: %s>" % (self.reason, self)


def _describe(x):
    if hasattr(x, "_tape_variable"):
        return "Variable %r" % x._tape_variable.name
    return "the tensor with shape %s and dtype %s" % (tuple(x.shape), x.dtype.name)


def _ids_of(s, rec):
    var = getattr(s, "_tape_variable", None)
    if var is not None:
        return [var._handle_id] + list(rec.reads.get(var._uid, ())) if rec is not None else []
    return [s._id]


def _target_ids(target):
    out = []
    for t in nest.flatten(target):
        var = getattr(t, "_tape_variable", None)
        out.append(var._handle_id if var is not None else t._id)
    return out


def explain_source(tape, rec, target, source) -> GradientReport:
    src = _source(source, rec)
    desc = _describe(source)
    var = getattr(source, "_tape_variable", None)
    if not src.dtype._diff:
        return GradientReport(
            "integer_dtype",
            source,
            "%s has dtype %s: only floating and complex tensors have "
            "gradients." % (desc, src.dtype.name),
            "Cast it to a float dtype before the computation (and differentiate w.r.t. the "
            "float tensor).",
        )
    targets = [_target(t) for t in nest.flatten(target)]
    if not targets:
        return GradientReport(
            "not_connected",
            source,
            "The target is an empty list: there is nothing to differentiate.",
            "Pass the tensor(s) to differentiate.",
        )
    tids = [t.id for t in targets]
    sids = set(_ids_of(source, rec))
    if sids & set(tids):
        return GradientReport(
            "connected", source, "%s is the target itself: its gradient is ones." % desc
        )
    if targets and all(not t.dtype._diff for t in targets):
        return GradientReport(
            "integer_dtype",
            source,
            "The target has dtype %s: integer, bool and string targets "
            "have no gradients." % targets[0].dtype.name,
            "Compute the target in floating point.",
        )
    tracked = rec.tracked
    # -- the source is not on the tape ---------------------------------------------------
    if not any(i in tracked for i in sids):
        if var is not None:
            if var._uid in tape._dropped_vars:
                return GradientReport(
                    "after_reset",
                    source,
                    "%s was watched, but tape.reset() "
                    "dropped everything recorded before it." % desc,
                    "Read the Variable again after reset().",
                )
            if not var._trainable:
                return GradientReport(
                    "not_trainable",
                    source,
                    "%s has trainable=False, so the tape does not watch it automatically." % desc,
                    "Call tape.watch(%s) inside the with-block (or make it trainable)."
                    % var.name.split(":")[0],
                )
            if not tape._watch_accessed:
                return GradientReport(
                    "not_watched",
                    source,
                    "%s was not watched: the tape was created with "
                    "watch_accessed_variables=False." % desc,
                    "Call tape.watch(v) inside the with-block.",
                )
            return GradientReport(
                "variable_not_read",
                source,
                "%s was never read while the tape was recording, "
                "so the target cannot depend on it." % desc,
                "Use the Variable inside the with-block.",
            )
        sid = source._id
        if sid in tape._dropped_ids:
            return GradientReport(
                "after_reset",
                source,
                "%s was recorded, but tape.reset() dropped everything recorded before it." % desc,
                "Watch or recompute it after reset().",
            )
        if sid < tape._first_id:
            return GradientReport(
                "before_tape",
                source,
                "%s was created or computed before the tape started "
                "recording and was never watched, so the tape does not follow it." % desc,
                "Call tape.watch(x) inside the with-block, or compute it inside the block.",
            )
        return GradientReport(
            "not_watched",
            source,
            "%s is a constant the tape never watched (only trainable "
            "Variables are watched automatically)." % desc,
            "Call tape.watch(x) inside the with-block before using it.",
        )
    # -- the target is not on the tape ----------------------------------------------------
    if not any(i in tracked for i in tids):
        return _target_not_recorded(tape, rec, tids[0], source, desc)
    # -- both on the tape: walk the record ------------------------------------------------
    return _walk(rec, tids, sids, source, desc)


def _target_not_recorded(tape, rec, tid, source, desc):
    for other in list(_live_recorders):
        if other is not rec and tid in other.tracked:
            return GradientReport(
                "target_not_recorded",
                source,
                "The target was recorded on a different tape, not on this one.",
                "Call gradient() on the tape that recorded the target "
                "(the one whose with-block computed it).",
            )
    for start, end in tape._paused:
        if start <= tid <= end:
            return GradientReport(
                "target_not_recorded",
                source,
                "The target was computed inside "
                "tape.stop_recording(), so the tape did not record it.",
                "Compute it outside the stop_recording() block.",
            )
    if tid in tape._dropped_ids:
        return GradientReport(
            "after_reset",
            source,
            "The target was recorded before tape.reset(), which dropped it.",
            "Recompute it after reset().",
        )
    if tid < tape._first_id:
        return GradientReport(
            "target_not_recorded",
            source,
            "The target was computed before the tape started recording.",
            "Compute the target inside the with-block.",
        )
    outside = list(tape._outside)
    if tape._exit_id is not None:
        outside.append((tape._exit_id, float("inf")))
    for start, end in outside:
        if start <= tid <= end:
            return GradientReport(
                "target_not_recorded",
                source,
                "The target was computed after the with-block "
                "ended, when the tape was no longer recording.",
                "Move that computation inside the with-block.",
            )
    blocked = _through_integer(rec, tid, set(_ids_of(source, rec)))
    if blocked is not None:
        return GradientReport(
            "not_differentiable",
            source,
            "Every path from %s to the target goes through an "
            "integer or bool tensor (made by %s), which the tape does not follow."
            % (desc, blocked),
            "Keep the computation in floating point (no cast to an integer "
            "dtype, tf.nn.softmax instead of tf.argmax), or accept that this gradient is None.",
            op=blocked,
        )
    esc = _escape_from(rec, set(_ids_of(source, rec)))
    if esc is not None:
        return _left_tape(source, desc, esc)
    return GradientReport(
        "not_connected",
        source,
        "The target does not depend on any tensor the tape watched: "
        "it is a constant for this tape.",
        "Compute it from %s inside the with-block." % desc,
    )


def _through_integer(rec, tid, sids):
    """The op that made the integer tensor between the source and an unrecorded target (the
    target was computed from recorded integer values only), or None."""
    if tid not in rec.untracked:
        return None
    reach = _downstream(rec, sids)
    todo, seen = [tid], set()
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        hit = rec.untracked.get(i)
        if hit is None:
            continue
        for j in hit[1]:
            if j in reach:
                node = rec.tracked.get(j)
                return node.kernel.name if node is not None else hit[0]
            todo.append(j)
    return None


def _downstream(rec, sids):
    """Everything computed from the sources, whatever the dtypes (the program's own path)."""
    return history.walk(rec.nodes, sids, (), differentiable=False).reach


def _escape_from(rec, sids):
    """The call site (or True) where a value computed from the source left via .numpy()."""
    reach = _downstream(rec, sids)
    for i, site in rec.escaped.items():
        if i in reach:
            return site or True
    return None


def _left_tape(source, desc, site):
    return GradientReport(
        "left_tape",
        source,
        "A value computed from %s left the tape through .numpy(), float(), "
        "int() or bool(): what was computed from that Python value is a constant for the tape."
        % desc,
        "Keep the computation in tensor ops (tf.* functions) instead of going through "
        "Python numbers.",
        site=site if isinstance(site, tuple) else None,
    )


def _walk(rec, tids, sids, source, desc):
    nodes = rec.nodes
    reach = _downstream(rec, sids)  # everything downstream of the source, ignoring dtypes
    if not reach & set(tids):
        esc = _escape_from(rec, sids)
        if esc is not None:
            return _left_tape(source, desc, esc)
        return GradientReport(
            "not_connected",
            source,
            "The target does not use %s at all." % desc,
            "Check that the target is computed from it.",
        )
    # on a path: the first op along it that blocks the gradient
    blocking = None
    for n in history.walk(nodes, sids, tids, differentiable=False).path:
        on_path = [t for t in n.inputs if t._id in reach]
        if (
            n.kernel.grad == "nondiff"
            or not any(o._dtype._diff for o in n.outputs)
            or not any(t._dtype._diff for t in on_path)
        ):
            blocking = n
            break
    if blocking is None:
        return GradientReport(
            "connected",
            source,
            "The gradient of the target w.r.t. %s is "
            "defined (it flows through recorded, differentiable ops)." % desc,
        )
    k = blocking.kernel
    if k.name == "StopGradient":
        return GradientReport(
            "stop_gradient",
            source,
            "Every path from %s to the target goes through "
            "tf.stop_gradient, which blocks gradients by design." % desc,
            "Remove the stop_gradient if the gradient should flow.",
            op=k.name,
            site=blocking.site,
        )
    return GradientReport(
        "not_differentiable",
        source,
        "Every path from %s to the target goes through %s, "
        "which has no gradient (its output is piecewise constant or not floating)."
        % (desc, k.name),
        "Use a differentiable alternative (e.g. tf.nn.softmax instead of tf.argmax, no "
        "cast to an integer dtype), or accept that this gradient is None.",
        op=k.name,
        site=blocking.site,
    )


for _f in (set_gradient_debug, set_strict_gradients):
    export_value("debugging." + _f.__name__, _f)
export_value("debugging.GradientReport", GradientReport)
_ = sys


HOOKS.explain.append(explain_source)
