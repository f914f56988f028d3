"""`tf.keras.activations`."""

from __future__ import annotations

from jaxtape._src.registry import export_value
from jaxtape._src.tensor import set_logits


def _ops():
    from jaxtape._src.ops import math_ops as M
    from jaxtape._src.ops import nn_ops as N

    return M, N


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu: `negative_slope` below `threshold`, clipped at `max_value`."""
    from jaxtape._src.convert import convert_to_tensor
    from jaxtape._src.ops import array_ops as A

    M, N = _ops()
    x = convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return N.leaky_relu(x, alpha=negative_slope)
        negative_part = N.relu(M.add(M.negative(x), threshold)) if threshold != 0 else N.relu(
            M.negative(x))  # fmt: skip
    clip_max = max_value is not None
    if threshold != 0:
        x = A.where(M.greater(x, M.cast(threshold, x.dtype)), x, A.zeros_like(x))
    elif max_value == 6:
        x = N.relu6(x)
        clip_max = False
    else:
        x = N.relu(x)
    if clip_max:
        x = M.clip_by_value(x, M.cast(0.0, x.dtype), M.cast(max_value, x.dtype))
    if negative_slope != 0.0:
        x = M.subtract(x, M.multiply(M.cast(negative_slope, x.dtype), negative_part))
    return x


def tanh(x):
    return _ops()[0].tanh(x)


def sigmoid(x):
    out = _ops()[0].sigmoid(x)
    set_logits(out, "Sigmoid", x)  # Keras's cross-entropies compute from these logits
    return out


def softmax(x, axis=-1):
    out = _ops()[1].softmax(x, axis=axis)
    set_logits(out, "Softmax", x)
    return out


def log_softmax(x, axis=-1):
    return _ops()[1].log_softmax(x, axis=axis)


def linear(x):
    return x


def gelu(x, approximate=False):
    return _ops()[1].gelu(x, approximate=approximate)


def elu(x, alpha=1.0):
    return _ops()[1].elu(x)


def selu(x):
    return _ops()[1].selu(x)


def softplus(x):
    return _ops()[0].softplus(x)


def softsign(x):
    return _ops()[0].softsign(x)


def silu(x):
    return _ops()[1].silu(x)


def leaky_relu(x, negative_slope=0.2):
    return _ops()[1].leaky_relu(x, negative_slope)


def relu6(x):
    return _ops()[1].relu6(x)


swish = silu
_ALL = {
    f.__name__: f
    for f in (
        relu,
        tanh,
        sigmoid,
        softmax,
        log_softmax,
        linear,
        gelu,
        elu,
        selu,
        softplus,
        softsign,
        silu,
        leaky_relu,
        relu6,
    )
}
_ALL["swish"] = silu


def get(identifier):
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _ALL.get(identifier)
        if fn is None:
            raise ValueError("Could not interpret activation function identifier: %r" % identifier)
        return fn
    if callable(identifier):
        return identifier
    raise ValueError("Could not interpret activation function identifier: %r" % (identifier,))


for _n, _f in _ALL.items():
    export_value("keras.activations." + _n, _f)
export_value("keras.activations.get", get)
