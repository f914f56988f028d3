"""Thread-local state: the stack of recording tapes, name scopes, the `function` trace scope.

TF keeps tapes per thread; so does jaxtape.  `recording()` is what every op asks first, so it is
one attribute read.
"""

from __future__ import annotations

import os
import sys
import threading


class _State(threading.local):
    def __init__(self):
        self.tapes = []  # active _Recorder objects, innermost last
        self.name_scope = []  # name_scope stack (strings)
        self.trace = None  # the jaxtape.function scope while tracing, else None
        self.init_owner = None  # that scope inside `init_scope` (tracing paused)
        self.abstract_build = False  # a functional model's layer call runs on shapes only
        self.strategy = None  # the tf.distribute strategy whose scope is open (distribute.py)
        self.replica = None  # its ReplicaContext while `strategy.run` runs a replica function


STATE = _State()


class Hooks:
    """What the layers above may plug into the layers below, declared in one place.

    A lower module calls these; a higher module fills them at import (or when a feature is
    switched on).  No lower module imports a higher one, not even inside a function.

    * `post_op`: called as `hook(kernel, inputs, outputs)` after every op that ran through
      `dispatch.bind` (numerics checks, `tf.debugging.enable_check_numerics`).  Empty: the
      hot path pays one truth test.
    * `flush`: `flush()` empties every cache of compiled code; `dispatch.bind` calls it at the
      next op once the executable budget is spent (backward.py owns the budget).
    * `explain`: `explain(tape, recorder, target, source) -> GradientReport`, why a gradient
      is None (explain.py fills it; the tape calls it for `tape.explain` and strict mode).
    * `state_attached`: `hook()` after a Variable (or an object holding some) is set as an
      attribute of a `tf.Module` or Keras layer; checkpoint.py fills it while a restore waits
      for objects created after it (TF's deferred restoration).  Empty: nothing is paid.

    `STATE.trace` (set by `jaxtape.function` while it traces, a `function._TraceScope`) is the
    other interface; lower modules use only these of its members:

    * shapes: `is_symbolic(array)`, `shape_of(tensor)`, `remember_shape(value, dims)`;
    * Variables: `on_create(var)`, `on_write(var)`, `on_lazy_state()` (a lazily built
      optimizer slot), `variable_values()` (control flow compares before/after a branch);
    * random: `rng_counter(reserve)`, `next_op_seed()`;
    * `graph`: the tape recording the trace's ops when it calls `tf.gradients`, else None;
    * `numerics`: checks (op name, flag) collected while `enable_check_numerics` is on.

    `STATE.strategy` and `STATE.replica` (set by distribute.py) are the distribution
    interface; lower modules use only:

    * `STATE.strategy.on_create(var)`: a Variable created in the scope (placed on the mesh);
    * `STATE.replica.update(var, operand)`: the operand of an `assign*` in a replica
      function, aggregated as the Variable's `aggregation` asks;
    * `STATE.replica.sum_gradients(arrays)`: gradients summed over the replicas (optimizers),
      and `STATE.replica.merged()`: a block whose assignments are not aggregated again.
    """

    post_op: list = []
    flush: list = []
    explain: list = []
    state_attached: list = []


HOOKS = Hooks()
# Set when the compiled-executable budget is spent (backward.py owns it); checked per op by
# `dispatch.bind` and between the ops of a lazy segment run op by op, which then call
# `HOOKS.flush`.
FLUSH = [False]

# Held while a compiled step runs or a function traces, and around every read-modify-write of a
# Variable: updates are atomic and no thread reads a buffer another thread's step donates.
EXEC_LOCK = threading.RLock()


def active_tapes():
    return STATE.tapes


# jaxtape's own directory: frames in files under it are library frames.  (Matching "/jaxtape/"
# in a path would also match a user's project folder named jaxtape, such as a clone of this
# repository.)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def is_library_file(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR) if filename[:1] != "<" else False


def user_site(depth: int = 2):
    """(file, line) of the innermost caller outside jaxtape, starting `depth` frames up."""
    f = sys._getframe(depth)
    while f is not None and is_library_file(f.f_code.co_filename):
        f = f.f_back
    return None if f is None else (f.f_code.co_filename, f.f_lineno)


def _deliver_swallowed_interrupts() -> None:
    """Ctrl-C always reaches the user.  A KeyboardInterrupt that lands while Python runs a
    garbage-collector callback (JAX registers one) or a `__del__` is "ignored" by Python and
    passed to `sys.unraisablehook`; jaxtape's hook sends SIGINT again, so the interrupt is
    raised a moment later in the user's program instead of being lost.  Every other
    unraisable exception goes to the hook that was there before."""
    import signal

    previous = sys.unraisablehook

    def resend():
        import time

        time.sleep(0.02)  # let the hook (and the callback around it) return first
        os.kill(os.getpid(), signal.SIGINT)

    def hook(unraisable):
        if (
            isinstance(unraisable.exc_value, KeyboardInterrupt)
            or unraisable.exc_type is KeyboardInterrupt
        ):
            # from another thread: the main thread takes the signal once this hook returned
            threading.Thread(target=resend, daemon=True).start()
            return
        previous(unraisable)

    hook._jaxtape = True
    if not getattr(previous, "_jaxtape", False):
        sys.unraisablehook = hook
