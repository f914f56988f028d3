"""Thread-local state: the stack of recording tapes, name scopes, the `function` trace scope.

TF keeps tapes per thread; so does jaxtape.  `recording()` is what every op asks first, so it is
one attribute read.
"""

from __future__ import annotations

import threading


class _State(threading.local):
    def __init__(self):
        self.tapes = []        # active _Recorder objects, innermost last
        self.name_scope = []   # name_scope stack (strings)
        self.trace = None      # the jaxtape.function scope while tracing, else None
        self.init_owner = None  # that scope inside `init_scope` (tracing paused)


STATE = _State()


def active_tapes():
    return STATE.tapes
