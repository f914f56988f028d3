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


class CancelledError(OpError): pass  # noqa: E701
class UnknownError(OpError): pass  # noqa: E701
class InvalidArgumentError(OpError): pass  # noqa: E701
class DeadlineExceededError(OpError): pass  # noqa: E701
class NotFoundError(OpError): pass  # noqa: E701
class AlreadyExistsError(OpError): pass  # noqa: E701
class PermissionDeniedError(OpError): pass  # noqa: E701
class ResourceExhaustedError(OpError): pass  # noqa: E701
class FailedPreconditionError(OpError): pass  # noqa: E701
class AbortedError(OpError): pass  # noqa: E701
class OutOfRangeError(OpError): pass  # noqa: E701
class UnimplementedError(OpError): pass  # noqa: E701
class InternalError(OpError): pass  # noqa: E701
class UnavailableError(OpError): pass  # noqa: E701
class DataLossError(OpError): pass  # noqa: E701
class UnauthenticatedError(OpError): pass  # noqa: E701


def invalid_argument(message: str, op: str | None = None) -> InvalidArgumentError:
    """An InvalidArgumentError whose text ends like TF's eager kernel errors: `[Op:AddV2]`."""
    if op:
        message = "%s [Op:%s]" % (message, op)
    return InvalidArgumentError(None, None, message)
