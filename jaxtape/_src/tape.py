"""`GradientTape`: the thread-local stack of recording tapes, watch rules, and the gradient API.

A `GradientTape` object owns a `_Recorder` (TF's inner tape): the set of tracked tensor ids, the
list of recorded `Node`s and the Variables it watches.  Entering the context pushes the recorder on
this thread's stack; every op and every Variable read consults that stack (see dispatch.py).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import weakref

import jax.numpy as jnp
import numpy as np

from jaxtape._src import backward, lazy, nest
from jaxtape._src import dtypes as _dt
from jaxtape._src.context import HOOKS, STATE, user_site
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.tensor import _next_id
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.tensor import EagerTensor, make

logger = logging.getLogger("jaxtape")

_NONPERSISTENT = (
    "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"
)
_INSIDE_WARNING = (
    "Calling GradientTape.gradient on a persistent tape inside its context is significantly less "
    "efficient than calling it outside the context (it causes the gradient ops to be recorded on "
    "the tape, leading to increased CPU and memory usage). Only call GradientTape.gradient inside "
    "the context if you actually want to trace the gradient in order to compute higher order "
    "derivatives."
)
_warned_sites: dict = {}
_live_recorders: "weakref.WeakSet" = weakref.WeakSet()
# jaxtape.debugging.set_gradient_debug / set_strict_gradients (explain.py sets them)
FLAGS = {"debug": False, "strict": False}


class UnconnectedGradients(enum.Enum):
    """`tf.UnconnectedGradients`: what `gradient()` returns for an unconnected source."""

    NONE = "none"
    ZERO = "zero"


def _unconnected(value) -> UnconnectedGradients:
    if value is UnconnectedGradients.NONE or value is UnconnectedGradients.ZERO:
        return value
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError("Unknown value for unconnected_gradients: %r" % (value,)) from None


class _Recorder:
    """What one tape has recorded: plain data."""

    __slots__ = (
        "tracked",
        "nodes",
        "reads",
        "watched_vars",
        "watch_accessed",
        "has_nograd",
        "debug",
        "sigs",
        "pos",
        "leaf_pos",
        "memo_ok",
        "escaped",
        "untracked",
        "all",
        "__weakref__",
    )

    def __init__(self, watch_accessed: bool, owner):
        self.tracked: dict = {}  # tensor id -> producing Node, or None for a watched leaf
        self.nodes: list = []
        # The structure as it is recorded, for backward.plan's memo: per node
        # (kernel, params, wires) with wires = (node, output) or (leaf number, shape, dtype).
        self.sigs: list = []
        self.pos: dict = {}  # tensor id -> (node index, output index)
        self.leaf_pos: dict = {}  # tensor id -> leaf number
        self.memo_ok = True  # False once a node with data-dependent connectivity lands
        self.reads: dict = {}  # variable uid -> [read tensor ids]
        self.watched_vars: dict = {}  # variable uid -> Variable
        self.watch_accessed = watch_accessed
        self.has_nograd = False
        self.debug = FLAGS["debug"]
        # no back-reference to the GradientTape: no cycle, so `del tape` frees the record at once
        self.escaped: dict = {}  # tensor id -> call site (or None): values that left via numpy
        # tensor id -> (op name, input ids): outputs of ops whose tracked inputs were all
        # integer/bool (TF does not record them); kept for tape.explain only
        self.untracked: dict = {}
        self.all = False  # records every op (tf.gradients' graph inside a trace)
        _live_recorders.add(self)

    def watch_variable(self, var) -> None:
        uid = var._uid
        if uid not in self.watched_vars:
            self.watched_vars[uid] = var
            self.tracked[var._handle_id] = None


def _is_source(x) -> bool:
    return isinstance(x, EagerTensor) or hasattr(x, "_read_as_tensor")


def _site():
    return user_site(3)


def _warn_limited(message: str, limit: int) -> None:
    site = (_site(), message[:40])
    n = _warned_sites.get(site, 0)
    if n < limit:
        _warned_sites[site] = n + 1
        logger.warning(message)


class GradientTape:
    """`tf.GradientTape`: records ops on watched tensors for automatic differentiation.

    Same API and semantics as TF 2.21's eager tape (see SEMANTICS.md in the project's oracle):
    `watch`, `gradient`, `jacobian`, `batch_jacobian`, `stop_recording`, `reset`,
    `watched_variables`, persistent and nested tapes.  Backward passes are compiled with
    `jax.jit` once per recorded structure and cached.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._recorder = None
        self._recording = False
        self._used = False
        self._watched_snapshot = {}
        # for explain(): id ranges, dropped records, reasons kept after a non-persistent gradient
        self._first_id = None
        self._paused: list = []
        self._outside: list = []
        self._exit_id = None
        self._dropped_ids: set = set()
        self._dropped_vars: set = set()
        self._none_reports: dict = {}

    # -- context ----------------------------------------------------------------------------
    def __enter__(self):
        if self._recording:
            raise ValueError(
                "Tape is still recording, This can happen if you try to re-enter an "
                "already-active tape."
            )
        if self._recorder is None:
            self._recorder = _Recorder(self._watch_accessed, self)
            self._used = False
        now = _next_id()
        if self._first_id is None:
            self._first_id = now
        if self._exit_id is not None:
            self._outside.append((self._exit_id, now))
            self._exit_id = None
        self._push()
        return self

    def __exit__(self, typ, value, traceback):
        if self._recording:
            self._pop()
        self._exit_id = _next_id()

    def _push(self):
        STATE.tapes.append(self._recorder)
        self._recording = True

    def _pop(self):
        tapes = STATE.tapes
        if tapes and tapes[-1] is self._recorder:
            tapes.pop()
        else:
            for i in range(len(tapes) - 1, -1, -1):
                if tapes[i] is self._recorder:
                    del tapes[i]
                    break
        self._recording = False

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops run inside this context are not recorded on this tape (other tapes still record)."""
        if self._recorder is None:
            raise RuntimeError("Trying to stop recording a tape which is not recording.")
        if not self._recording:
            raise ValueError("Tape is not recording.")
        self._pop()
        start = _next_id()
        try:
            yield
        finally:
            self._paused.append((start, _next_id()))
            self._push()

    def reset(self):
        """Drop everything recorded so far (including `watch`es); recording continues."""
        if not self._recording:
            raise ValueError("Tape is not recording.")
        self._pop()
        old = self._recorder
        self._dropped_ids.update(old.tracked)
        self._dropped_vars.update(old.watched_vars)
        self._recorder = _Recorder(self._watch_accessed, self)
        self._push()

    # -- watching ---------------------------------------------------------------------------
    def watch(self, tensor) -> None:
        """Track `tensor` (a Tensor, a Variable, or any nest of them)."""
        for t in nest.flatten(tensor):
            if not _is_source(t) or getattr(type(t), "_refuses_tape_watch", False):
                raise ValueError(
                    "Passed in object %s of type '%s', not tf.Tensor or tf.Variable "
                    "or ExtensionType." % (t, type(t).__name__)
                )
            dtype = t.dtype if isinstance(t.dtype, _dt.DType) else _dt.as_dtype(t.dtype)
            if not dtype.is_differentiable:
                _warn_limited(
                    "The dtype of the watched tensor must be floating (e.g. tf.float32), "
                    "got %r" % dtype,
                    5,
                )
            rec = self._recorder
            if rec is None:
                continue
            var = getattr(t, "_tape_variable", None)
            if var is not None:
                rec.watch_variable(var)
            elif t._id not in rec.tracked:
                rec.tracked[t._id] = None

    def watched_variables(self) -> tuple:
        """The Variables this tape watched, in creation order, each once."""
        rec = self._recorder
        watched = rec.watched_vars if rec is not None else self._watched_snapshot
        return tuple(sorted(watched.values(), key=lambda v: v._uid))

    # -- gradients --------------------------------------------------------------------------
    def _begin_use(self, kind: str):
        if self._recorder is None:
            raise RuntimeError(_NONPERSISTENT)
        if self._recording:
            if not self._persistent:
                self._pop()
            elif kind == "gradient":
                _warn_limited(_INSIDE_WARNING, 1)
        return self._recorder

    def _end_use(self):
        if not self._persistent:
            self._watched_snapshot = self._recorder.watched_vars
            self._recorder = None

    def gradient(
        self,
        target,
        sources,
        output_gradients=None,
        unconnected_gradients=UnconnectedGradients.NONE,
    ):
        """`tf.GradientTape.gradient`: d(sum of targets)/d(sources), shaped like `sources`."""
        rec = self._begin_use("gradient")
        mode = _unconnected(unconnected_gradients)
        if target is None:
            raise TypeError(
                "Argument `target` should be a list or nested structure of Tensors, "
                "Variables or CompositeTensors to be differentiated, but received "
                "None."
            )
        single_t = not isinstance(target, (list, tuple, dict))
        targets = [_target(target)] if single_t else [_target(t) for t in nest.flatten(target)]
        single_s = not isinstance(sources, (list, tuple, dict))
        srcs = (
            [_source(sources, rec)]
            if single_s
            else [_source(s, rec) for s in nest.flatten(sources)]
        )
        cts = ct_ids = None
        if output_gradients is not None:
            cts, ct_ids = _output_gradients(output_gradients, targets)
        try:
            grads = backward.run(rec, targets, srcs, cts, ct_ids, ("grad", cts is not None))
            if (FLAGS["strict"] or not self._persistent) and any(g is None for g in grads):
                self._keep_reasons(rec, target, sources, grads)
        finally:
            self._end_use()
        grads = _integer_identities(grads, srcs, targets, cts)
        if mode is UnconnectedGradients.ZERO:
            grads = [_zeros_for(s) if g is None else g for g, s in zip(grads, srcs)]
        return grads[0] if single_s else nest.pack_sequence_as(sources, grads)

    def _keep_reasons(self, rec, target, sources, grads):
        explain_source = HOOKS.explain[0]
        flat = [sources] if not isinstance(sources, (list, tuple, dict)) else nest.flatten(sources)
        reports = []
        for s, g in zip(flat, grads):
            if g is None:
                r = explain_source(self, rec, target, s)
                self._none_reports[id(s)] = r
                reports.append(r)
        if FLAGS["strict"] and reports:
            raise ValueError("gradient() would return None (strict mode): " + str(reports[0]))

    def explain(self, target, sources):
        """Why each source's gradient is (or is not) None: the sources' structure, with a
        `GradientReport` per source whose `str()` is a short explanation and what to do.

        Works while the tape holds its record (a persistent tape, or a non-persistent one before
        its gradient call), and after a non-persistent gradient() for the sources that came
        back None."""
        explain_source = HOOKS.explain[0]
        rec = self._recorder
        flat = [sources] if not isinstance(sources, (list, tuple, dict)) else nest.flatten(sources)
        out = []
        for s in flat:
            if rec is None:
                r = self._none_reports.get(id(s))
                if r is None:
                    raise RuntimeError(
                        "This non-persistent tape already computed its gradient and kept "
                        "explanations only for the sources that came back None. Use "
                        "GradientTape(persistent=True) to explain others."
                    )
                out.append(r)
            else:
                out.append(explain_source(self, rec, target, s))
        if not isinstance(sources, (list, tuple, dict)):
            return out[0]
        return nest.pack_sequence_as(sources, out)

    def jacobian(
        self,
        target,
        sources,
        unconnected_gradients=UnconnectedGradients.NONE,
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """`tf.GradientTape.jacobian`: shape `target.shape + source.shape` per source."""
        if self._recorder is None:
            raise RuntimeError(_NONPERSISTENT)
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError(
                "GradientTape must be created with persistent=True to compute the jacobian with "
                "eager execution enabled and with experimental_use_pfor set to False."
            )
        t = _target(target)
        _check_chunked_pfor(
            self._persistent,
            parallel_iterations,
            experimental_use_pfor,
            int(np.prod(t.value.shape)),
            "jacobian",
        )
        rec = self._begin_use("jacobian")
        mode = _unconnected(unconnected_gradients)
        flat_s = nest.flatten(sources)
        srcs = [_source(s, rec) for s in flat_s]
        tshape = tuple(t.value.shape)
        try:
            if not t.dtype.is_differentiable:
                grads = [None] * len(srcs)
            else:
                grads = backward.run(rec, [t], srcs, None, None, ("jac",))
        finally:
            self._end_use()
        if mode is UnconnectedGradients.ZERO:
            grads = [
                make(jnp.zeros(tshape + tuple(s.shape), s.dtype.as_numpy_dtype), s.dtype)
                if g is None
                else g
                for g, s in zip(grads, srcs)
            ]
        return nest.pack_sequence_as(sources, grads)

    def batch_jacobian(
        self,
        target,
        source,
        unconnected_gradients=UnconnectedGradients.NONE,
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """`tf.GradientTape.batch_jacobian`: per-example Jacobians, shape `[b] + y[1:] + x[1:]`."""
        if self._recorder is None:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set "
                "of gradients (or jacobians)"
            )
        if not experimental_use_pfor and not self._persistent:
            raise RuntimeError(
                "GradientTape must be created with persistent=True to compute the batch_jacobian "
                "with eager execution enabled and with experimental_use_pfor set to False."
            )
        _unconnected(unconnected_gradients)
        t = _target(target)
        s = _source(source, self._recorder)
        tshape, sshape = tuple(t.value.shape), tuple(s.shape)
        for shp in (tshape, sshape):
            if len(shp) < 2:
                raise ValueError("Shape %s must have rank at least 2" % (shp,))
        if tshape[0] != sshape[0]:
            raise ValueError(
                "Need first dimension of target shape %s and source shape %s to "
                "match." % (tshape, sshape)
            )
        _check_chunked_pfor(
            self._persistent,
            parallel_iterations,
            experimental_use_pfor,
            int(np.prod(tshape[1:])),
            "batch_jacobian",
        )
        rec = self._begin_use("jacobian")
        try:
            if not t.dtype.is_differentiable:
                grads = [None]
            else:
                grads = backward.run(rec, [t], [s], None, None, ("bjac",))
        finally:
            self._end_use()
        g = grads[0]
        if g is None:
            g = make(jnp.zeros(tshape + sshape[1:], s.dtype.as_numpy_dtype), s.dtype)
        return g


def _check_chunked_pfor(persistent, parallel_iterations, use_pfor, size, what):
    """TF vectorizes a jacobian in chunks of `parallel_iterations` rows; a chunk that is not
    the whole target reuses the tape, which a non-persistent tape refuses."""
    if persistent or not use_pfor or parallel_iterations is None:
        return
    if parallel_iterations < size:
        raise ValueError(
            "Encountered an exception while vectorizing the %s computation. "
            "Vectorization can be disabled by setting experimental_use_pfor to "
            "False." % what
        )
    if parallel_iterations == size and what == "jacobian":
        raise ValueError(
            "Encountered an exception while vectorizing the jacobian computation. "
            "Vectorization can be disabled by setting experimental_use_pfor to "
            "False."
        )
    if parallel_iterations == size:
        raise RuntimeError(
            "GradientTape must be created with persistent=True to compute the "
            "batch_jacobian with parallel_iterations."
        )


def _target(t) -> backward.Target:
    if isinstance(t, EagerTensor):  # a lazy eager value stays pending
        return backward.Target(t._id, lazy.raw(t), t._dtype)
    var = getattr(t, "_tape_variable", None)
    if var is not None:
        return backward.Target(var._handle_id, lazy.var_ref(var), var._dtype)
    raise TypeError(
        "gradient() targets must be Tensors or Variables computed from the watched "
        "sources, got %r of type %s. Compute the target with tf ops inside the "
        "`with tf.GradientTape()` block." % (t, type(t).__name__)
    )


def _source(s, rec) -> backward.Source:
    if isinstance(s, EagerTensor):
        return backward.Source((s._id,), s._dtype, tuple(s._ashape), s)
    var = getattr(s, "_tape_variable", None)
    if var is not None:
        ids = [var._handle_id]
        if rec is not None:
            ids.extend(rec.reads.get(var._uid, ()))
        return backward.Source(tuple(ids), var._dtype, tuple(var._ashape), s)
    raise TypeError(
        "gradient() sources must be Tensors or Variables (or a nest of them), got %r "
        "of type %s. Pass the tf.Variable or the tensor you watched with tape.watch()."
        % (s, type(s).__name__)
    )


def _integer_identities(grads, srcs, targets, cts):
    """TF: a source that is itself a target gets that target's upstream gradient (ones by
    default) whatever its dtype, so an integer tensor differentiated w.r.t. itself gives ones,
    not None (floats get this from the backward pass)."""
    out = list(grads)
    for k, s in enumerate(srcs):
        if out[k] is not None or s.dtype._diff:
            continue
        total = None
        for i, t in enumerate(targets):
            if t.id in s.ids:
                g = cts[i] if cts is not None else jnp.ones(t.value.shape, t.value.dtype)
                total = g if total is None else total + g
        if total is not None:
            out[k] = make(jnp.asarray(total, s.dtype.as_numpy_dtype), s.dtype)
    return out


def _zeros_for(s: backward.Source):
    return make(jnp.zeros(s.shape, s.dtype.as_numpy_dtype), s.dtype)


def _output_gradients(output_gradients, targets):
    flat = (
        nest.flatten(output_gradients)
        if isinstance(output_gradients, (list, tuple, dict))
        else [output_gradients]
    )
    if len(flat) < len(targets):
        raise ValueError(
            "output_gradients has %d entries but there are %d targets: pass one "
            "upstream gradient per flattened target." % (len(flat), len(targets))
        )
    cts, ids = [], []
    for og, t in zip(flat, targets):
        g = convert_to_tensor(og)
        if g._dtype is not t.dtype:
            raise InvalidArgumentError(
                None,
                None,
                "cannot compute Mul as input #1(zero-based) was expected to be a %s "
                "tensor but is a %s tensor [Op:Mul]"
                % (t.dtype._tf_kernel_name, g._dtype._tf_kernel_name),
            )
        tshape = tuple(t.value.shape)
        v = g._value
        if tuple(v.shape) != tshape:
            try:
                v = jnp.broadcast_to(v, tshape)
            except ValueError:
                raise InvalidArgumentError(
                    None,
                    None,
                    "Incompatible shapes: %s vs. %s [Op:Mul]"
                    % (list(g._value.shape), list(tshape)),
                ) from None
        cts.append(v)
        ids.append(g._id)
    return cts, ids
