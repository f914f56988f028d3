"""Linear algebra (`tf.linalg.*`, `tf.norm`)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtape._src.dispatch import bind
from jaxtape._src.ops import math_ops as M
from jaxtape._src.ops._common import axis_param, check_same_dtype, tensor
from jaxtape._src.registry import Kernel, export


def _lin(paths, tf_name, fn, multi=False):
    kern = Kernel(tf_name, fn, multi=multi)

    def op(*args, name=None, **params):
        ts = tuple(tensor(a) for a in args)
        if len(ts) > 1:
            check_same_dtype(tf_name, *ts)
        return bind(kern, ts, params or None)

    op.__name__ = paths[0].rpartition(".")[2]
    export(*paths, kernel=tf_name)(op)
    return op


inv = _lin(("linalg.inv",), "MatrixInverse", lambda x: jnp.linalg.inv(x))
det = _lin(("linalg.det",), "MatrixDeterminant", lambda x: jnp.linalg.det(x))
logdet = _lin(
    ("linalg.logdet",),
    "LogMatrixDeterminant",
    lambda x: (
        2.0 * jnp.sum(jnp.log(jnp.diagonal(jnp.linalg.cholesky(x), axis1=-2, axis2=-1)), axis=-1)
    ),
)
cholesky = _lin(("linalg.cholesky",), "Cholesky", lambda x: jnp.linalg.cholesky(x))
_slogdet = _lin(
    ("linalg.slogdet",), "LogMatrixDeterminant", lambda x: tuple(jnp.linalg.slogdet(x)), multi=True
)
_solve_k = Kernel(
    "MatrixSolve",
    lambda a, b, adjoint: jnp.linalg.solve(jnp.conj(jnp.swapaxes(a, -1, -2)) if adjoint else a, b),
)
_tri_k = Kernel(
    "MatrixTriangularSolve",
    lambda a, b, lower, adjoint: __import__(
        "jax.scipy.linalg", fromlist=["solve_triangular"]
    ).solve_triangular(a, b, lower=lower, trans="C" if adjoint else 0),
)


@export("linalg.solve", kernel="MatrixSolve")
def solve(matrix, rhs, adjoint=False, name=None):
    a, b = tensor(matrix), tensor(rhs)
    check_same_dtype("MatrixSolve", a, b)
    return bind(_solve_k, (a, b), {"adjoint": bool(adjoint)})


@export("linalg.triangular_solve", kernel="MatrixTriangularSolve")
def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    a, b = tensor(matrix), tensor(rhs)
    check_same_dtype("MatrixTriangularSolve", a, b)
    return bind(_tri_k, (a, b), {"lower": bool(lower), "adjoint": bool(adjoint)})


@export("linalg.cholesky_solve", kernel="CholeskySolve")
def cholesky_solve(chol, rhs, name=None):
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


_qr_k = Kernel(
    "Qr",
    lambda x, full: tuple(jnp.linalg.qr(x, mode="complete" if full else "reduced")),
    multi=True,
)
_svd_k = Kernel(
    "Svd",
    lambda x, full, uv: (
        tuple(jnp.linalg.svd(x, full_matrices=full))
        if uv
        else (jnp.linalg.svd(x, compute_uv=False),)
    ),
    multi=True,
)
_eigh_k = Kernel("SelfAdjointEigV2", lambda x: tuple(jnp.linalg.eigh(x)), multi=True)


class _QR(tuple):
    _fields = ("q", "r")
    q = property(lambda s: s[0])
    r = property(lambda s: s[1])


@export("linalg.qr", kernel="Qr")
def qr(input, full_matrices=False, name=None):  # noqa: A002
    return _QR(bind(_qr_k, (tensor(input),), {"full": bool(full_matrices)}))


@export("linalg.svd", kernel="Svd")
def svd(tensor_, full_matrices=False, compute_uv=True, name=None):
    """`tf.linalg.svd`: returns (s, u, v) with v not transposed (TF's order)."""
    out = bind(_svd_k, (tensor(tensor_),), {"full": bool(full_matrices), "uv": bool(compute_uv)})
    if not compute_uv:
        return out[0]
    u, s, vh = out
    return (
        s,
        u,
        M.conj(__import__("jaxtape._src.ops.array_ops", fromlist=["x"]).matrix_transpose(vh)),
    )


@export("linalg.eigh", kernel="SelfAdjointEigV2")
def eigh(tensor_, name=None):
    return tuple(bind(_eigh_k, (tensor(tensor_),)))


@export("linalg.eigvalsh", kernel="SelfAdjointEigV2")
def eigvalsh(tensor_, name=None):
    return eigh(tensor_)[0]


@export("linalg.pinv", kernel="Pinv")
def pinv(a, rcond=None, validate_args=False, name=None):
    return bind(_pinv_k, (tensor(a),))


_pinv_k = Kernel("Pinv", lambda x: jnp.linalg.pinv(x))


@export("linalg.lstsq", kernel="MatrixSolveLs")
def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    a, b = tensor(matrix), tensor(rhs)
    return bind(_lstsq_k, (a, b))


_lstsq_k = Kernel("MatrixSolveLs", lambda a, b: jnp.linalg.lstsq(a, b)[0])


@export("linalg.expm", kernel="MatrixExponential")
def expm(input, name=None):  # noqa: A002
    import jax.scipy.linalg as jsl

    return bind(Kernel("MatrixExponential", jsl.expm), (tensor(input),))


@export("linalg.band_part", kernel="MatrixBandPart")
def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    x = tensor(input)
    return bind(_band_k, (x,), {"lo": int(num_lower), "hi": int(num_upper)})


def _band(x, lo, hi):
    m, n = x.shape[-2], x.shape[-1]
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    mask = ((lo < 0) | (i - j <= lo)) & ((hi < 0) | (j - i <= hi))
    return jnp.where(mask, x, jnp.zeros_like(x))


_band_k = Kernel("MatrixBandPart", _band)


@export("linalg.cross", kernel="Cross")
def cross(a, b, name=None):
    x, y = tensor(a), tensor(b)
    return bind(Kernel("Cross", lambda u, v: jnp.cross(u, v)), (x, y))


def _norm_impl(x, ord, axis, keepdims):
    if ord == "euclidean" or ord == 2 and (axis is None or isinstance(axis, int)):
        # sqrt(sum(|x|^2)): TF's gradient at 0 is nan (0 * inf), as here.
        sq = jnp.real(x * jnp.conj(x))
        return jnp.sqrt(jnp.sum(sq, axis=axis, keepdims=keepdims))
    if ord == "fro":
        sq = jnp.real(x * jnp.conj(x))
        return jnp.sqrt(jnp.sum(sq, axis=axis, keepdims=keepdims))
    if ord == 1 and (axis is None or isinstance(axis, int)):
        return jnp.sum(M._abs(x), axis=axis, keepdims=keepdims)
    if ord == np.inf and (axis is None or isinstance(axis, int)):
        return jnp.max(jnp.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, (int, float)) and (axis is None or isinstance(axis, int)):
        p = float(ord)
        return jnp.sum(jnp.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


_norm_k = Kernel("Norm", _norm_impl)


@export("norm", "linalg.norm", kernel="Norm")
def norm(tensor_, ord="euclidean", axis=None, keepdims=None, name=None):
    """`tf.norm`: the euclidean norm of all elements by default; gradient nan at 0 (as TF)."""
    x = tensor(tensor_)
    ax = axis_param(axis)
    if ord in ("euclidean", "fro") or ord == 2:
        # sqrt of a sum of squares, as TF builds it (its gradient at 0 is nan)
        if x._dtype.is_complex:
            sq = M.real(M.multiply(x, M.conj(x)))
        else:
            sq = M.multiply(x, x)
        s = M.reduce_sum(sq, axis=ax, keepdims=bool(keepdims))
        return M.cast(_plain_sqrt(s), x._dtype) if x._dtype.is_complex else _plain_sqrt(s)
    return bind(_norm_k, (x,), {"ord": ord, "axis": ax, "keepdims": bool(keepdims)})


_psqrt_k = Kernel("Sqrt", jnp.sqrt)


def _plain_sqrt(t):
    return bind(_psqrt_k, (t,))


@export("linalg.global_norm", "global_norm")
def global_norm(t_list, name=None):
    ts = [tensor(t) for t in t_list if t is not None]
    total = M.add_n([M.reduce_sum(M.multiply(t, t)) for t in ts])
    return _plain_sqrt(total)


@export("clip_by_norm")
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """`tf.clip_by_norm`: `t * clip_norm / max(norm(t), clip_norm)`, differentiated exactly."""
    x = tensor(t)
    l2sum = M.reduce_sum(M.multiply(x, x), axis=axes, keepdims=True)
    pred = M.greater(l2sum, tensor(0.0, x._dtype))
    from jaxtape._src.ops.array_ops import ones_like, where

    l2sum_safe = where(pred, l2sum, ones_like(l2sum))
    l2norm = where(pred, M.sqrt(l2sum_safe), l2sum)
    cn = tensor(clip_norm, x._dtype)
    intermediate = M.multiply(x, cn)
    return M.divide(intermediate, M.maximum(l2norm, cn))


@export("clip_by_global_norm")
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    ts = list(t_list)
    gn = global_norm(ts) if use_norm is None else tensor(use_norm)
    cn = tensor(clip_norm, gn._dtype)
    scale = M.multiply(
        cn, M.minimum(M.divide(tensor(1.0, gn._dtype), gn), M.divide(tensor(1.0, gn._dtype), cn))
    )
    return [None if t is None else M.multiply(t, M.cast(scale, tensor(t)._dtype)) for t in ts], gn


@export("linalg.normalize")
def normalize(tensor_, ord="euclidean", axis=None, name=None):
    n = norm(tensor_, ord=ord, axis=axis, keepdims=True)
    return M.divide(tensor_, n), n


@export("linalg.adjoint")
def adjoint(matrix, name=None):
    from jaxtape._src.ops.array_ops import matrix_transpose

    return matrix_transpose(matrix, conjugate=True)
