"""`tf.sparse`: `SparseTensor` and the operations training code uses on it.

A SparseTensor holds `indices` (int64, [n, rank]), `values` ([n]) and `dense_shape` (int64,
[rank]) as jaxtape Tensors; the operations are built from tape-recorded ops (`scatter_nd`,
`gather`, `matmul`), so gradients w.r.t. `values` and the dense operands flow as in TF.
"""

from __future__ import annotations

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.ops import array_ops as A
from jaxtape._src.ops import math_ops as M
from jaxtape._src.registry import export, export_value
from jaxtape._src.shape import TensorShape


class SparseTensor:
    """`tf.sparse.SparseTensor(indices, values, dense_shape)`."""

    def __init__(self, indices, values, dense_shape):
        self._indices = convert_to_tensor(indices, dtype=_dt.int64)
        self._values = convert_to_tensor(values)
        self._dense_shape = convert_to_tensor(dense_shape, dtype=_dt.int64)
        if self._indices.shape.rank != 2:
            raise ValueError("Shape %s must have rank 2" % (self._indices.shape,))
        if self._values.shape.rank != 1:
            raise ValueError("Shape %s must have rank 1" % (self._values.shape,))

    indices = property(lambda self: self._indices)
    values = property(lambda self: self._values)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)

    @property
    def shape(self):
        return TensorShape([int(d) for d in self._dense_shape.numpy().tolist()])

    def __repr__(self):
        return "SparseTensor(indices=%s, values=%s, dense_shape=%s)" % (
            self._indices,
            self._values,
            self._dense_shape,
        )

    __str__ = __repr__

    def _as_dense(self):
        return to_dense(self)


def _shape(sp):
    return [int(d) for d in sp.dense_shape.numpy().tolist()]


@export("sparse.to_dense", gradient="yes")
def to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """`tf.sparse.to_dense`: values scattered into a dense tensor (duplicates summed)."""
    dense = A.scatter_nd(sp_input.indices, sp_input.values, _shape(sp_input))
    if default_value is not None and default_value != 0:
        mask = A.scatter_nd(sp_input.indices, A.ones_like(sp_input.values), _shape(sp_input))
        fill = convert_to_tensor(default_value, dtype=sp_input.dtype)
        dense = A.where(M.cast(mask, _dt.bool_), dense, A.fill(_shape(sp_input), fill))
    return dense


@export("sparse.from_dense", gradient="n/a")
def from_dense(tensor, name=None):
    """`tf.sparse.from_dense`: the nonzero entries, in row-major order."""
    t = convert_to_tensor(tensor)
    idx = np.argwhere(np.asarray(t.numpy()) != 0).astype(np.int64)
    return SparseTensor(idx, A.gather_nd(t, idx), list(t.shape))


@export("sparse.sparse_dense_matmul", gradient="yes")
def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """`tf.sparse.sparse_dense_matmul`: `sp_a @ b` (gradients w.r.t. `sp_a.values` and `b`)."""
    return M.matmul(to_dense(sp_a), b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)


@export("sparse.reduce_sum", gradient="yes")
def reduce_sum(sp_input, axis=None, keepdims=False, output_is_sparse=False, name=None):
    """`tf.sparse.reduce_sum` (dense output)."""
    return M.reduce_sum(to_dense(sp_input), axis=axis, keepdims=keepdims)


@export("sparse.reorder", gradient="n/a")
def reorder(sp_input, name=None):
    """`tf.sparse.reorder`: entries in row-major order of their indices."""
    idx = np.asarray(sp_input.indices.numpy())
    order = np.lexsort(idx.T[::-1]) if idx.size else np.arange(0)
    return SparseTensor(idx[order], A.gather(sp_input.values, order), sp_input.dense_shape)


@export("sparse.add", gradient="yes")
def add(a, b, threshold=0, name=None):
    """`tf.sparse.add`: sparse + dense is dense; sparse + sparse is sparse."""
    if isinstance(a, SparseTensor) and isinstance(b, SparseTensor):
        return from_dense(M.add(to_dense(a), to_dense(b)))
    if isinstance(a, SparseTensor):
        return M.add(to_dense(a), b)
    return M.add(a, to_dense(b))


export_value("sparse.SparseTensor", SparseTensor)
export_value("SparseTensor", SparseTensor)
