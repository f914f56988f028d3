"""TF's exception classes (`tf.errors`), so `except tf.errors.InvalidArgumentError` works."""

from __future__ import annotations


class OpError(Exception):
    """`tf.errors.OpError`: an op failed.  `message` is the text, as in TF."""

    def __init__(self, node_def=None, op=None, message="", *args):
        if op is None and not message and isinstance(node_def, str):
            node_def, message = None, node_def
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return self.message


class CancelledError(OpError):
    pass  # noqa: E701


class UnknownError(OpError):
    pass  # noqa: E701


class InvalidArgumentError(OpError):
    pass  # noqa: E701


class DeadlineExceededError(OpError):
    pass  # noqa: E701


class NotFoundError(OpError):
    pass  # noqa: E701


class AlreadyExistsError(OpError):
    pass  # noqa: E701


class PermissionDeniedError(OpError):
    pass  # noqa: E701


class ResourceExhaustedError(OpError):
    pass  # noqa: E701


class FailedPreconditionError(OpError):
    pass  # noqa: E701


class AbortedError(OpError):
    pass  # noqa: E701


class OutOfRangeError(OpError):
    pass  # noqa: E701


class UnimplementedError(OpError):
    pass  # noqa: E701


class InternalError(OpError):
    pass  # noqa: E701


class UnavailableError(OpError):
    pass  # noqa: E701


class DataLossError(OpError):
    pass  # noqa: E701


class UnauthenticatedError(OpError):
    pass  # noqa: E701


class NotProvidedError(AttributeError):
    """A TF module jaxtape does not provide (an AttributeError, so hasattr() stays False)."""


def invalid_argument(message: str, op: str | None = None) -> InvalidArgumentError:
    """An InvalidArgumentError whose text ends like TF's eager kernel errors: `[Op:AddV2]`."""
    if op:
        message = "%s [Op:%s]" % (message, op)
    return InvalidArgumentError(None, None, message)


# -- raw errors from the numeric stack, translated at the public API's edge ---------------------

_STATUS = {
    "RESOURCE_EXHAUSTED": ResourceExhaustedError,
    "INTERNAL": InternalError,
    "INVALID_ARGUMENT": InvalidArgumentError,
    "UNIMPLEMENTED": UnimplementedError,
    "OUT_OF_RANGE": OutOfRangeError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "NOT_FOUND": NotFoundError,
    "UNAVAILABLE": UnavailableError,
}
_internal_dirs = None


def _library_dirs():
    """The directories of JAX, jaxlib, NumPy and jaxtape's other numeric dependencies."""
    global _internal_dirs
    if _internal_dirs is None:
        import importlib
        import os

        dirs = []
        for name in ("jax", "jaxlib", "numpy", "ml_dtypes", "opt_einsum", "scipy"):
            try:
                mod = importlib.import_module(name)
            except ImportError:
                continue
            dirs.append(os.path.dirname(os.path.abspath(mod.__file__)) + os.sep)
        _internal_dirs = tuple(dirs)
    return _internal_dirs


def _raised_in(exc):
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return "" if last is None else last.tb_frame.f_code.co_filename


def _from_library(exc) -> bool:
    """Raised inside JAX / NumPy: the innermost frame is theirs, or JAX filtered its own frames
    out of the traceback (it then chains an `UnfilteredStackTrace`)."""
    if type(exc.__cause__).__name__ == "UnfilteredStackTrace":
        return True
    return _raised_in(exc).startswith(_library_dirs())


def _from_library_or_jaxtape(exc) -> bool:
    """Not raised by the user's own code (a function passed to tf.map_fn keeps its errors)."""
    import os

    own = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    where = _raised_in(exc)
    return _from_library(exc) or where.startswith(own) or not where


def translate(exc, op):
    """TF's class for an internal error that escaped an op (None: leave it as it is).

    JAX's runtime errors map by their status (out of memory -> ResourceExhaustedError, as TF);
    a shape or index error raised inside JAX / NumPy (an axis out of range, an impossible
    reshape) or an IndexError / ZeroDivisionError anywhere below the op is TF's
    InvalidArgumentError.  A TypeError or ValueError raised by jaxtape itself (TF's own
    classes, on purpose) or by the user's code (a function passed to tf.map_fn) is left alone.
    """
    if isinstance(exc, OpError):
        return None
    name = type(exc).__name__
    text = str(exc).split("\n", 1)[0]
    if name in ("JaxRuntimeError", "XlaRuntimeError"):
        status = text.split(":", 1)[0].strip()
        return _STATUS.get(status, UnknownError)(None, None, "%s [Op:%s]" % (text, op))
    if (
        (
            isinstance(exc, (IndexError, ZeroDivisionError, KeyError, OverflowError))
            and _from_library_or_jaxtape(exc)
        )
        or name == "MLIRError"
        or (isinstance(exc, (TypeError, ValueError)) and _from_library(exc))
    ):
        return InvalidArgumentError(None, None, "%s [Op:%s]" % (text, op))
    return None
