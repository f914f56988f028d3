"""`tf.IndexedSlices`: the sparse gradient of `gather`/`embedding_lookup` w.r.t. its params.

`values[i]` is the gradient for row `indices[i]` of a tensor of shape `dense_shape`; indices may
repeat.  `tf.convert_to_tensor(g)` (and everything that takes a dense gradient) sums duplicates.
"""

from __future__ import annotations

import jax.numpy as jnp


class IndexedSlices:
    """`tf.IndexedSlices(values, indices, dense_shape)`."""

    __slots__ = ("_values", "_indices", "_dense_shape", "__weakref__")

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    shape = property(
        lambda self: __import__("jaxtape._src.shape", fromlist=["TensorShape"]).TensorShape(
            self._dense_shape.numpy().tolist()
        )
    )

    def _as_dense(self):
        from jaxtape._src.tensor import make

        shape = tuple(int(d) for d in self._dense_shape.numpy().tolist())
        v = self._values._value
        out = jnp.zeros(shape, v.dtype).at[self._indices._value].add(v)
        return make(out, self._values.dtype)

    def numpy(self):
        return self._as_dense().numpy()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def __neg__(self):
        from jaxtape._src.ops.math_ops import negative

        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    def __str__(self):
        return "IndexedSlices(indices=%s, values=%s, dense_shape=%s)" % (
            self._indices,
            self._values,
            self._dense_shape,
        )
