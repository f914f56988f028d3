"""`tf.math.segment_*` and `tf.math.unsorted_segment_*`, on `jax.ops.segment_*`.

Sorted segment ops take the number of segments from the last id (ids must be sorted and
non-negative, as TF checks on CPU); empty segments give 0 (sum, mean, max, min) or 1 (prod), as
TF documents.  Unsorted ones take `num_segments`; an empty segment's max is the dtype's lowest
value and its min the highest, as TF's.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtape._src.dispatch import bind
from jaxtape._src.errors import InvalidArgumentError
from jaxtape._src.ops._common import INT, NUMERIC, REAL, check_dtype, tensor
from jaxtape._src.registry import Kernel, export
from jaxtape._src.tensor import is_tracer


def _reduce(kind, data, ids, n):
    if kind == "sum":
        return jax.ops.segment_sum(data, ids, n)
    if kind == "prod":
        return jax.ops.segment_prod(data, ids, n)
    if kind == "max":
        return jax.ops.segment_max(data, ids, n)
    if kind == "min":
        return jax.ops.segment_min(data, ids, n)
    total = jax.ops.segment_sum(data, ids, n)
    count = jax.ops.segment_sum(jnp.ones(ids.shape, data.dtype), ids, n)
    count = count.reshape(count.shape + (1,) * (data.ndim - 1))
    return total / jnp.maximum(count, jnp.ones_like(count))


def _segment(data, ids, kind, n, empty_zero):
    out = _reduce(kind, data, ids, n)
    if kind in ("max", "min"):
        present = jax.ops.segment_sum(jnp.ones(ids.shape, jnp.int32), ids, n) > 0
        present = present.reshape(present.shape + (1,) * (data.ndim - 1))
        if empty_zero:
            fill = jnp.zeros_like(out)
        else:  # TF: the lowest (max) or highest (min) finite value of the dtype
            info = (
                jnp.finfo(data.dtype)
                if jnp.issubdtype(data.dtype, jnp.floating)
                else jnp.iinfo(data.dtype)
            )
            fill = jnp.full_like(out, info.min if kind == "max" else info.max)
        out = jnp.where(present, out, fill)
    return out


_kernels = {}


def _kernel(name):
    k = _kernels.get(name)
    if k is None:
        k = _kernels[name] = Kernel(name, _segment, diff_args=(0,))
    return k


def _ids_of(segment_ids):
    ids = tensor(segment_ids)
    if ids._dtype._name not in INT:
        check_dtype("SegmentSum", ids, frozenset(("int32", "int64")), attr="Tindices")
    return ids


def _sorted(kind, tf_name, allowed):
    def op(data, segment_ids, name=None):
        x, ids = tensor(data), _ids_of(segment_ids)
        if x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        if tuple(ids.shape) != tuple(x.shape)[:1]:
            raise InvalidArgumentError(
                None,
                None,
                "segment_ids should be the same size as dimension 0 of input. [Op:%s]" % tf_name,
            )
        if is_tracer(ids._value):
            raise ValueError(
                "tf.math.%s inside jaxtape.function needs segment ids known when "
                "the function is traced (the output size depends on them); use "
                "tf.math.unsorted_%s with num_segments instead." % (op.__name__, op.__name__)
            )
        v = np.asarray(ids._value)
        if v.size and (np.any(v < 0) or np.any(np.diff(v) < 0)):
            raise InvalidArgumentError(
                None, None, "segment ids are not increasing [Op:%s]" % tf_name
            )
        n = int(v[-1]) + 1 if v.size else 0
        return bind(_kernel(tf_name), (x, ids), {"kind": kind, "n": n, "empty_zero": True})

    op.__name__ = "segment_" + kind
    op.__doc__ = "`tf.math.segment_%s`: reduce rows of `data` with equal sorted ids." % kind
    export("math." + op.__name__, kernel=tf_name)(op)
    return op


def _unsorted(kind, tf_name, allowed):
    def op(data, segment_ids, num_segments, name=None):
        x, ids = tensor(data), _ids_of(segment_ids)
        if x._dtype._name not in allowed:
            check_dtype(tf_name, x, allowed)
        if tuple(x.shape)[: ids.shape.rank] != tuple(ids.shape):
            raise InvalidArgumentError(
                None,
                None,
                "data.shape = %s does not start with "
                "segment_ids.shape = %s [Op:%s]" % (list(x.shape), list(ids.shape), tf_name),
            )
        n = int(tensor(num_segments).numpy()) if not isinstance(num_segments, int) else num_segments
        if not is_tracer(ids._value):
            v = np.asarray(ids._value)
            if v.size and np.any(v >= n):
                raise InvalidArgumentError(
                    None,
                    None,
                    "segment_ids[%d] = %d is out of range "
                    "[0, %d) [Op:%s]" % (int(np.argmax(v >= n)), int(v[v >= n][0]), n, tf_name),
                )
        if ids.shape.rank > 1:  # ids over several leading dims: flatten them
            from jaxtape._src.ops.array_ops import reshape

            lead = int(np.prod(tuple(ids.shape)))
            x = reshape(x, [lead] + list(x.shape)[ids.shape.rank :])
            ids = reshape(ids, [lead])
        return bind(_kernel(tf_name), (x, ids), {"kind": kind, "n": n, "empty_zero": False})

    op.__name__ = "unsorted_segment_" + kind
    op.__doc__ = (
        "`tf.math.unsorted_segment_%s`: reduce rows of `data` by id into "
        "`num_segments` rows." % kind
    )
    export("math." + op.__name__, kernel=tf_name)(op)
    return op


segment_sum = _sorted("sum", "SegmentSum", NUMERIC)
segment_prod = _sorted("prod", "SegmentProd", NUMERIC)
segment_mean = _sorted("mean", "SegmentMean", NUMERIC)
segment_max = _sorted("max", "SegmentMax", REAL)
segment_min = _sorted("min", "SegmentMin", REAL)
unsorted_segment_sum = _unsorted("sum", "UnsortedSegmentSum", NUMERIC)
unsorted_segment_prod = _unsorted("prod", "UnsortedSegmentProd", NUMERIC)
unsorted_segment_mean = _unsorted("mean", "UnsortedSegmentMean", NUMERIC)
unsorted_segment_max = _unsorted("max", "UnsortedSegmentMax", REAL)
unsorted_segment_min = _unsorted("min", "UnsortedSegmentMin", REAL)
