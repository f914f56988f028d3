"""`tf.debugging.check_numerics` and `tf.debugging.enable_check_numerics`.

With checking enabled, every op's outputs are checked as it runs, and a gradient that comes out
non-finite is traced back: the backward pass is replayed one recorded op at a time (only then, on
the slow path) to name the TF op whose backward step first produced a NaN or Inf.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.registry import export_value

from jaxtape._src.dispatch import NUMERICS as FLAGS  # noqa: E402  (read on the op path)


def _bad(a):
    if not jnp.issubdtype(a.dtype, jnp.inexact):
        return None
    arr = np.asarray(a)
    if np.isnan(arr).any():
        return "NaN"
    if np.isinf(arr).any():
        return "Inf"
    return None


def check_numerics(tensor, message, name=None):
    """Returns `tensor`, or raises InvalidArgumentError if it holds a NaN or an Inf."""
    from jaxtape._src.convert import convert_to_tensor
    t = convert_to_tensor(tensor)
    kind = _bad(t._value)
    if kind is not None:
        raise InvalidArgumentError(None, None, "%s : Tensor had %s values" % (message, kind))
    return t


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Check every op's output (and every gradient) for NaN/Inf, naming the op that made it."""
    FLAGS["enabled"] = True


def disable_check_numerics():
    FLAGS["enabled"] = False


def check_op_outputs(kernel, outputs):
    for o in outputs:
        kind = _bad(o._value)
        if kind is not None:
            raise InvalidArgumentError(
                None, None, "Detected %s in the output of op %r: the first non-finite "
                "value in the forward pass was produced here (tf.debugging.enable_check_numerics)."
                % (kind, kernel.name))


def locate_backward(struct, leaf_vals, trefs, cts):
    """Replay the slice op by op in reverse with per-op VJPs; name the first op whose backward
    step produced a NaN/Inf cotangent."""
    from jaxtape._src.backward import _replay
    outs = _replay(struct, list(leaf_vals), {})
    ct = {}
    for ref, c in zip([r for r in trefs if r is not None], cts):
        if type(ref) is not int:
            ct[ref] = ct.get(ref, 0) + c
    for j in range(len(struct) - 1, -1, -1):
        kern, params, wires = struct[j]
        n_out = len(outs[j])
        cots = [ct.get((j, k)) for k in range(n_out)]
        if all(c is None for c in cots):
            continue
        args = [leaf_vals[w] if type(w) is int else outs[w[0]][w[1]] for w in wires]
        f = (lambda *a: kern.impl(*a, **dict(params))) if params else kern.impl
        y, vjp = jax.vjp(f, *args)
        ys = y if kern.multi else (y,)
        full = [jnp.zeros_like(v) if c is None else c for v, c in zip(ys, cots)]
        grads = vjp(tuple(full) if kern.multi else full[0])
        for w, g in zip(wires, grads):
            if g is None or not jnp.issubdtype(jnp.asarray(g).dtype, jnp.inexact):
                continue
            kind = _bad(g)
            if kind is not None:
                return kern.name, kind
            if type(w) is not int:
                ct[w] = ct.get(w, 0) + g
    return None, None


for _f in (check_numerics, enable_check_numerics, disable_check_numerics):
    export_value("debugging." + _f.__name__, _f)
