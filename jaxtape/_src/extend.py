"""`jaxtape.extend.op`: register any pure JAX function as a tape-recorded op.

    import jax.numpy as jnp
    import jaxtape as tf

    def mlp_apply(params, x):                      # pure JAX: arrays in, arrays out
        h = jnp.tanh(x @ params["w1"] + params["b1"])
        return h @ params["w2"]

    mlp = tf.extend.op(mlp_apply, name="MlpApply")

    params = {"w1": tf.Variable(...), "b1": tf.Variable(...), "w2": tf.Variable(...)}
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(mlp(params, x) ** 2)
    grads = tape.gradient(loss, params)          # a dict, like params

The arguments may be any nest (dicts, lists, tuples) of Tensors, Variables, numpy arrays and
numbers — a Flax or Equinox `apply` with its parameter pytree fits as it is; `static_argnames`
name the arguments passed through unchanged (hashable Python values).  The op records one node;
its derivative (any order) is JAX's derivative of `fn`, and it runs inside `jaxtape.function`.
"""

from __future__ import annotations

import jax

from jaxtape._src.convert import convert_to_tensor, is_tensor_like
from jaxtape._src.dispatch import bind
from jaxtape._src.registry import Kernel, export_value
from jaxtape._src.tensor import EagerTensor


def _is_leaf(x):
    return isinstance(x, EagerTensor) or is_tensor_like(x)


class _UserKernel(Kernel):
    __slots__ = ("fn", "out_trees")

    def __init__(self, fn, name):
        super().__init__(name, self._impl, multi=True)
        self.fn = fn
        self.out_trees = {}

    def _impl(self, *arrays, treedef, static):
        args, kwargs = jax.tree_util.tree_unflatten(treedef, list(arrays))
        out = self.fn(*args, **kwargs, **dict(static))
        flat, out_tree = jax.tree_util.tree_flatten(out)
        self.out_trees[(treedef, static)] = out_tree
        return tuple(flat)


def op(fn, name=None, static_argnames=()):
    """Wrap `fn` (pure JAX, arrays in and out) as a TF-style op that tapes record."""
    kernel = _UserKernel(fn, name or getattr(fn, "__name__", "UserOp"))
    static_names = tuple(static_argnames)

    def call(*args, **kwargs):
        static = tuple(sorted((k, kwargs.pop(k)) for k in static_names if k in kwargs))
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_leaf)
        tensors = [convert_to_tensor(x) for x in leaves]
        flat = bind(kernel, tensors, {"treedef": treedef, "static": static})
        return jax.tree_util.tree_unflatten(kernel.out_trees[(treedef, static)], list(flat))

    call.__name__ = kernel.name
    call.__doc__ = fn.__doc__
    call.kernel = kernel
    return call


export_value("extend.op", op)
