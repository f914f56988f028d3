"""TF's random streams: `tf.random.set_seed`, `uniform`, `normal` (`tf.random.*`).

TF's eager random ops draw from Philox-4x32-10.  With a global seed `s`, the n-th random op
without an op seed uses seeds `(s, k_n)` where `k_n` is the n-th
`random.Random(s).randint(0, 2**31 - 1)`; with an explicit op seed the seeds are `(s, seed)` and
the kernel keeps a counter that advances by `256 * num_elements` per call (TF's
`ReserveRandomOutputs`).  The key is `(seed & 0xffffffff, seed >> 32)`, the counter starts at
`(0, 0, seed2 & 0xffffffff, seed2 >> 32)`, and element `j` of the output is lane `j % 4` of
Philox at counter `base + j // 4` (floats: `(bits & 0x7fffff) | 0x3f800000` as float32, minus 1).
Implemented with JAX integer ops, so the same streams come out on any backend.
"""

from __future__ import annotations

import os
import random as _pyrandom
import threading

import jax
import jax.numpy as _jax_numpy
import ml_dtypes
import numpy as np
from jax import lax

from jaxtape._src import dtypes as _dt
from jaxtape._src import lazy
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.dispatch import host_op_done
from jaxtape._src.ops._common import shape_param, tensor
from jaxtape._src.registry import export, export_value
from jaxtape._src.context import STATE
from jaxtape._src.tensor import is_symbolic
from jaxtape._src.tensor import make as _make


class _ArrayNamespace:
    """numpy eagerly (no XLA compile for a draw: a fresh process pays nothing), jax.numpy while
    jaxtape.function traces (the draw then runs inside the compiled step)."""

    def __getattr__(self, name):
        if STATE.trace is not None:
            return getattr(_jax_numpy, name)
        if name == "bfloat16":
            return ml_dtypes.bfloat16
        return getattr(np, name)


jnp = _ArrayNamespace()


def _bitcast(x, dtype):
    if isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x).view(dtype)
    return lax.bitcast_convert_type(x, dtype)


def make(value, dtype):
    if isinstance(value, (np.ndarray, np.generic)):
        value = _jax_numpy.asarray(value, dtype.as_numpy_dtype)
    return _make(value, dtype)


_MAXINT32 = 2**31 - 1
_DEFAULT_GRAPH_SEED = 87654321


class _SeedState(threading.local):
    def __init__(self):
        self.global_seed = None
        self.rng = None
        self.kernel_counters = {}
        self.epoch = 0


_state = _SeedState()


@export("random.set_seed", "random.set_random_seed", gradient="n/a")
def set_seed(seed):
    """`tf.random.set_seed`: restart the deterministic sequence of op seeds, and reset the state
    of every random kernel (eager and inside `jaxtape.function`; TF clears its kernel cache)."""
    _state.global_seed = None if seed is None else int(seed)
    _state.rng = None if seed is None else _pyrandom.Random(int(seed))
    _state.kernel_counters = {}
    _state.epoch += 1


def seed_epoch() -> int:
    """Changes at every `set_seed`: compiled steps reset their random kernels' counters."""
    return _state.epoch


def get_seed(op_seed):
    """`tf.compat.v1.get_seed`: (seed, seed2), or (None, None).  Eagerly, an unseeded op takes
    the next draw of the global seed's sequence; while `jaxtape.function` traces, the graph's
    unseeded random ops take op seeds 0, 1, 2, ... in order (TF's per-graph counter)."""
    gs = _state.global_seed
    if gs is not None:
        if op_seed is None:
            scope = STATE.trace
            op_seed = (
                scope.next_op_seed() if scope is not None else _state.rng.randint(0, _MAXINT32)
            )
        seeds = (gs % _MAXINT32, int(op_seed) % _MAXINT32)
    elif op_seed is not None:
        seeds = (_DEFAULT_GRAPH_SEED, int(op_seed) % _MAXINT32)
    else:
        seeds = (None, None)
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


_W32A, _W32B = 0x9E3779B9, 0xBB67AE85
_M4A, _M4B = 0xD2511F53, 0xCD9E8D57


def philox(counters, key):
    """Philox-4x32-10.  counters: uint32 array (..., 4); key: (k0, k1) ints -> uint32 (..., 4)."""
    c0, c1, c2, c3 = (counters[..., i].astype(jnp.uint64) for i in range(4))
    k0 = jnp.uint64(key[0])
    k1 = jnp.uint64(key[1])
    mask = jnp.uint64(0xFFFFFFFF)
    for r in range(10):
        p0 = jnp.uint64(_M4A) * c0
        p1 = jnp.uint64(_M4B) * c2
        hi0, lo0 = p0 >> 32, p0 & mask
        hi1, lo1 = p1 >> 32, p1 & mask
        c0, c1, c2, c3 = (hi1 ^ c1 ^ k0) & mask, lo1, (hi0 ^ c3 ^ k1) & mask, lo0
        if r < 9:
            k0 = (k0 + jnp.uint64(_W32A)) & mask
            k1 = (k1 + jnp.uint64(_W32B)) & mask
    return jnp.stack([c0, c1, c2, c3], axis=-1).astype(jnp.uint32)


_M64 = 0xFFFFFFFFFFFFFFFF


def _philox_at(key, idx, hi64):
    """uint32 lanes (idx.shape + (4,)) of Philox(key) at 128-bit counters (idx, hi64).  Python
    ints and numpy (eager), or uint64 JAX values inside `jaxtape.function` (a kernel's counter,
    a Generator's state, a traced stateless seed)."""
    if isinstance(idx, np.ndarray) and isinstance(key, int) and isinstance(hi64, int):
        hi = int(hi64) & _M64
        ctr = np.stack(
            [
                idx & np.uint64(0xFFFFFFFF),
                idx >> np.uint64(32),
                np.full(idx.shape, hi & 0xFFFFFFFF, np.uint64),
                np.full(idx.shape, hi >> 32, np.uint64),
            ],
            axis=-1,
        ).astype(np.uint32)
        k = int(key) & _M64
        return philox(jnp.asarray(ctr), (k & 0xFFFFFFFF, k >> 32))
    xp, u64 = _jax_numpy, _jax_numpy.uint64
    hi, k = [xp.asarray(v & _M64 if isinstance(v, int) else v, u64) for v in (hi64, key)]
    low, high = u64(0xFFFFFFFF), u64(32)
    idx = xp.asarray(idx, u64)
    ctr = xp.stack(
        [
            idx & low,
            idx >> high,
            xp.broadcast_to(hi & low, idx.shape),
            xp.broadcast_to(hi >> high, idx.shape),
        ],
        axis=-1,
    ).astype(xp.uint32)
    return philox(ctr, (k & low, k >> high))


def _block_index(lo64, offsets):
    """lo64 + offsets (uint64, wrapping) in numpy for an int lo64, else in JAX."""
    if isinstance(lo64, int):
        return offsets + np.uint64(lo64 & _M64)
    return _jax_numpy.asarray(offsets) + _jax_numpy.asarray(lo64, _jax_numpy.uint64)


def _lanes(key, lo64, hi64, n_lanes):
    """n_lanes uint32 outputs of Philox(key) at 128-bit counters (lo64 + j, hi64), in order."""
    idx = _block_index(lo64, np.arange(-(-n_lanes // 4), dtype=np.uint64))
    return _philox_at(key, idx, hi64).reshape(-1)[:n_lanes]


def _kernel_position(op: str, dtype_name: str, seed, reserve: int):
    """(key, counter_lo, counter_hi) for one call of a stateful random kernel, and advance that
    kernel's counter by `reserve` (TF keeps one generator per (op, dtype, seed, seed2) kernel).
    Without any seed, fresh OS entropy each call (TF: non-deterministic)."""
    s1, s2 = get_seed(seed)
    if s1 is None:
        s1, s2 = (
            int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1),
            int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1),
        )
        if STATE.trace is None:
            return s1, 0, s2
    if STATE.trace is not None:
        # inside jaxtape.function: this op's kernel state, an input advanced after every call
        return s1, STATE.trace.rng_counter(reserve), s2
    ck = (op, dtype_name, s1, s2)
    skip = _state.kernel_counters.get(ck, 0)
    _state.kernel_counters[ck] = skip + reserve
    return s1, skip, s2


def _bits(op: str, dtype, n: int, seed, per_block: int = 4):
    """uint32 lanes for an op drawing `n` values (ReserveRandomOutputs: 256 counters each)."""
    key, lo, hi = _kernel_position(op, dtype, seed, n * 256)
    return _lanes(key, lo, hi, 4 * -(-n // per_block))


def _u32_to_float(x):
    bits = (x & jnp.uint32(0x7FFFFF)) | jnp.uint32(0x3F800000)
    return _bitcast(bits, jnp.float32) - jnp.float32(1.0)


def _u64_to_double(x0, x1):
    man = ((x0 & jnp.uint32(0xFFFFF)).astype(jnp.uint64) << jnp.uint64(32)) | x1.astype(jnp.uint64)
    bits = (jnp.uint64(1023) << jnp.uint64(52)) | man
    return _bitcast(bits, jnp.float64) - 1.0


def _u16_to_half(x):
    bits = ((x & jnp.uint32(0x3FF)) | jnp.uint32(15 << 10)).astype(jnp.uint16)
    return _bitcast(bits, jnp.float16) - jnp.float16(1.0)


def _u16_to_bf16(x):
    bits = ((x & jnp.uint32(0x7F)) | jnp.uint32(127 << 7)).astype(jnp.uint16)
    return _bitcast(bits, jnp.bfloat16) - jnp.bfloat16(1.0)


def _raw_uniform(shape, d: _dt.DType, seed):
    n = int(np.prod(shape)) if shape else 1
    if d is _dt.float64:
        b = _bits("RandomUniform", d.name, n, seed, per_block=2).reshape(-1, 2)
        v = _u64_to_double(b[:, 0], b[:, 1])
    else:
        b = _bits("RandomUniform", d.name, n, seed)
        if d is _dt.float32:
            v = _u32_to_float(b)
        elif d is _dt.float16:
            v = _u16_to_half(b)
        else:
            v = _u16_to_bf16(b)
    return v[:n].reshape(shape)


_UNIFORM_DTYPES = ("float16", "bfloat16", "float32", "float64", "int32", "int64")


@export("random.uniform", gradient="n/a")
def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.uniform`: TF's exact stream for float32 (see the module docstring)."""
    d = _dt.as_dtype(dtype)
    if d.name not in _UNIFORM_DTYPES:
        raise ValueError(
            "Argument `dtype` got invalid value %s. Accepted dtypes are (tf.float16, "
            "tf.bfloat16, tf.float32, tf.float64, tf.int32, tf.int64)." % d
        )
    shp = shape_param(shape)
    if d.is_integer:
        if maxval is None:
            raise ValueError("Must specify maxval for integer dtype %r" % d)
        lo = int(convert_to_tensor(minval, d).numpy())
        hi = int(convert_to_tensor(maxval, d).numpy())
        if lo >= hi:
            from jaxtape._src.errors import InvalidArgumentError

            raise InvalidArgumentError(None, None, "Need minval < maxval: %d >= %d" % (lo, hi))
        n = int(np.prod(shp)) if shp else 1
        rng = (hi - lo) & (0xFFFFFFFF if d is _dt.int32 else 0xFFFFFFFFFFFFFFFF)
        if d is _dt.int32:
            b = _bits("RandomUniformInt", d.name, n, seed)[:n].astype(jnp.uint64)
            v = (jnp.asarray(lo, jnp.int64) + (b % jnp.uint64(rng)).astype(jnp.int64)).astype(
                jnp.int32
            )
        else:
            b = _bits("RandomUniformInt", d.name, n, seed, per_block=2).reshape(-1, 2)
            bits = b[:, 0].astype(jnp.uint64) | (b[:, 1].astype(jnp.uint64) << jnp.uint64(32))
            v = (jnp.asarray(lo, jnp.int64) + (bits % jnp.uint64(rng)).astype(jnp.int64))[:n]
        return make(v.reshape(shp), d)
    if maxval is None:
        maxval = 1
    lo_is_zero = isinstance(minval, (int, float)) and minval == 0
    hi_is_one = isinstance(maxval, (int, float)) and maxval == 1
    r = make(_raw_uniform(shp, d, seed).astype(d.as_numpy_dtype), d)
    if lo_is_zero and hi_is_one:
        return r
    from jaxtape._src.ops import math_ops as M

    hi_t = tensor(maxval, d)
    if lo_is_zero:
        return M.multiply(r, hi_t)
    lo_t = tensor(minval, d)
    return M.add(M.multiply(r, M.subtract(hi_t, lo_t)), lo_t)


def _box_muller(b, dtype):
    x = b.reshape(-1, 2)
    u1 = _u32_to_float(x[:, 0])
    u1 = jnp.maximum(u1, jnp.float32(1.0e-7))
    v1 = jnp.float32(2.0 * np.pi) * _u32_to_float(x[:, 1])
    u2 = jnp.sqrt(jnp.float32(-2.0) * jnp.log(u1))
    return jnp.stack([jnp.sin(v1) * u2, jnp.cos(v1) * u2], axis=-1).reshape(-1)


@export("random.normal", gradient="n/a")
def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.normal`: Box-Muller over TF's Philox stream (float32 exact up to XLA's
    log/sin/cos ulps)."""
    d = _dt.as_dtype(dtype)
    shp = shape_param(shape)
    n = int(np.prod(shp)) if shp else 1
    if d is _dt.float64:
        b = _bits("RandomStandardNormal", d.name, n, seed, per_block=2).reshape(-1, 4)
        u1 = jnp.maximum(_u64_to_double(b[:, 0], b[:, 1]), 1e-7)
        v1 = 2.0 * np.pi * _u64_to_double(b[:, 2], b[:, 3])
        u2 = jnp.sqrt(-2.0 * jnp.log(u1))
        v = jnp.stack([jnp.sin(v1) * u2, jnp.cos(v1) * u2], axis=-1).reshape(-1)
    else:
        v = _box_muller(_bits("RandomStandardNormal", d.name, n, seed), d)
    from jaxtape._src.ops import math_ops as M

    r = make(v[:n].reshape(shp).astype(d.as_numpy_dtype), d)
    return M.add(M.multiply(r, tensor(stddev, d)), tensor(mean, d))


_TRUNC_LANES = 64  # lanes drawn per group of 4 truncated values (see _truncated_values)


def _truncated_values(key, lo64, hi64, n):
    """TF's TruncatedNormal CPU kernel: each group of 4 outputs has its own generator skipped
    to counter lo64 + 256 * group (kGroupSize * kReservedSamplesPerOutput / 4); within a group,
    uint32 lanes are consumed in order, two per Box-Muller pair, until 4 values with |z| < 2.
    Vectorised: 64 lanes (32 pairs, 64 candidates) per group, the first 4 accepted kept.  Each
    candidate is accepted with p = 0.954, so fewer than 4 among 64 has probability < 1e-70."""
    groups = -(-n // 4)
    offsets = (
        np.arange(groups, dtype=np.uint64)[:, None] * np.uint64(256)
        + np.arange(_TRUNC_LANES // 4, dtype=np.uint64)[None, :]
    )
    lanes = _philox_at(key, _block_index(lo64, offsets), hi64).reshape(-1)
    z = _box_muller(lanes, None).reshape(groups, _TRUNC_LANES)
    ok = jnp.abs(z) < jnp.float32(2.0)
    rank = jnp.cumsum(ok, axis=1)
    picks = jnp.stack([jnp.argmax(ok & (rank == r + 1), axis=1) for r in range(4)], axis=1)
    return jnp.take_along_axis(z, picks, axis=1).reshape(-1)[:n].astype(jnp.float32)


@export("random.truncated_normal", gradient="n/a")
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.truncated_normal`: normal samples redrawn until |z| < 2, on TF's stream."""
    d = _dt.as_dtype(dtype)
    shp = shape_param(shape)
    n = int(np.prod(shp)) if shp else 1
    v = _truncated_values(*_kernel_position("TruncatedNormal", d.name, seed, n * 256), n).reshape(
        shp
    )
    from jaxtape._src.ops import math_ops as M

    r = make(jnp.asarray(v, d.as_numpy_dtype), d)
    return M.add(M.multiply(r, tensor(stddev, d)), tensor(mean, d))


def _shuffle_perm(lanes, n):
    """TF's ShuffleRange: for i in 0..n-2, swap(i, i + u32 % (n - i))."""
    perm = np.arange(n)
    for i in range(n - 1):
        j = i + int(lanes[i]) % (n - i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _shuffle_perm_traced(lanes, n):
    """_shuffle_perm as a compiled loop (inside jaxtape.function)."""
    xp = _jax_numpy

    def swap(i, perm):
        j = i + (lanes[i] % (n - i).astype(xp.uint32)).astype(i.dtype)
        pi, pj = perm[i], perm[j]
        return perm.at[i].set(pj).at[j].set(pi)

    return lax.fori_loop(0, n - 1, swap, xp.arange(n))


@export("random.shuffle", gradient="n/a")
def shuffle(value, seed=None, name=None):
    """`tf.random.shuffle`: TF's Fisher-Yates over its Philox stream (bit-exact)."""
    x = tensor(value)
    n = x._ashape[0] if x.ndim else 1
    if n <= 1:
        return make(x._value, x._dtype)
    # ReserveSamples32(n - 1): ceil((n - 1) / 4) counters
    key, lo, hi = _kernel_position("RandomShuffle", x._dtype.name, seed, -(-(n - 1) // 4))
    lanes = _lanes(key, lo, hi, n - 1)
    if isinstance(lanes, np.ndarray):
        perm = _shuffle_perm(lanes, n)
    else:
        perm = _shuffle_perm_traced(lanes, n)
    if x._dtype is _dt.string:
        return make(x._value[perm], x._dtype)
    return host_op_done("RandomShuffle", (make(x._value[jnp.asarray(perm)], x._dtype),))[0]


def _host(x):
    """numpy for a concrete value, the JAX value itself when it is known only at call time."""
    return x if is_symbolic(x) else np.asarray(x)


def _categorical_values(logits, num_samples, key, lo64, hi64):
    """TF's Multinomial CPU kernel: per row, a float64 CDF of exp(logit - max) over the finite
    logits; each sample is upper_bound(cdf, u * total) with u a double built from two
    consecutive Philox lanes; rows draw from one stream in order."""
    b, k = logits.shape
    lanes = _lanes(key, lo64, hi64, 2 * b * num_samples + 8)
    if not isinstance(lanes, np.ndarray) or not isinstance(logits, np.ndarray):
        return _categorical_traced(logits, num_samples, lanes)
    lg = np.asarray(logits, np.float64)
    out = np.zeros((b, num_samples), np.int64)
    pos = 0
    for r in range(b):
        row = lg[r]
        finite = np.isfinite(row)
        mx = row[finite].max() if finite.any() else np.finfo(np.float64).min
        e = np.where(finite, np.exp(row - mx), 0.0)
        cdf = np.cumsum(e)
        total = cdf[-1]
        for j in range(num_samples):
            x0, x1 = int(lanes[pos]), int(lanes[pos + 1])
            pos += 2
            man = ((x0 & 0xFFFFF) << 32) | x1
            u = np.array([(1023 << 52) | man], np.uint64).view(np.float64)[0] - 1.0
            out[r, j] = np.searchsorted(cdf, u * total, side="right")
    return out


def _categorical_traced(logits, num_samples, lanes):
    """_categorical_values in JAX (inside jaxtape.function)."""
    xp = _jax_numpy
    lg = xp.asarray(logits, xp.float64)
    b = lg.shape[0]
    x = lanes[: 2 * b * num_samples].reshape(b, num_samples, 2).astype(xp.uint64)
    man = ((x[..., 0] & xp.uint64(0xFFFFF)) << xp.uint64(32)) | x[..., 1]
    u = lax.bitcast_convert_type((xp.uint64(1023) << xp.uint64(52)) | man, xp.float64) - 1.0
    finite = xp.isfinite(lg)
    mx = xp.where(
        finite.any(axis=1, keepdims=True),
        xp.max(xp.where(finite, lg, -xp.inf), axis=1, keepdims=True),
        np.finfo(np.float64).min,
    )
    cdf = xp.cumsum(xp.where(finite, xp.exp(lg - mx), 0.0), axis=1)
    target = u * cdf[:, -1:]
    return jax.vmap(lambda c, t: xp.searchsorted(c, t, side="right"))(cdf, target)


@export("random.categorical", gradient="n/a")
def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`tf.random.categorical`: TF's Multinomial stream (one CPU shard: rows in order)."""
    lg = tensor(logits)
    b, _ = lg._ashape
    n = int(num_samples)
    # ReserveRandomOutputs(batch * ceil4(n) * 2, 256): two lanes per double draw
    key, lo, hi = _kernel_position(
        "Multinomial", lg._dtype.name, seed, b * (-(-n // 4) * 4) * 2 * 256
    )
    v = _categorical_values(_host(lg._value), n, key, lo, hi)
    d = _dt.as_dtype(dtype or _dt.int64)
    return make(v.astype(d.as_numpy_dtype), d)


@export("random.stateless_categorical", gradient="n/a")
def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    lg = tensor(logits)
    key, hi = _stateless_position(seed)
    v = _categorical_values(_host(lg._value), int(num_samples), key, 0, hi)
    d = _dt.as_dtype(dtype)
    return make(v.astype(d.as_numpy_dtype), d)


# ------------------------------------------------------------------------------------------
# values from a (key, counter) position: shared by the stateless ops and tf.random.Generator
# ------------------------------------------------------------------------------------------


def _values(kind, key, lo64, hi64, shp, d, minval=0, maxval=None):
    n = int(np.prod(shp)) if shp else 1
    if kind == "uniform":
        if d.is_integer:
            rng = (int(maxval) - int(minval)) & (
                0xFFFFFFFF if d is _dt.int32 else 0xFFFFFFFFFFFFFFFF
            )
            if d is _dt.int32:
                b = _lanes(key, lo64, hi64, n).astype(jnp.uint64)
                v = (
                    jnp.asarray(int(minval), jnp.int64) + (b % jnp.uint64(rng)).astype(jnp.int64)
                ).astype(jnp.int32)
            else:
                b = _lanes(key, lo64, hi64, 2 * n).reshape(-1, 2)
                bits = b[:, 0].astype(jnp.uint64) | (b[:, 1].astype(jnp.uint64) << jnp.uint64(32))
                v = jnp.asarray(int(minval), jnp.int64) + (bits % jnp.uint64(rng)).astype(jnp.int64)
            return v.reshape(shp)
        if d is _dt.float64:
            b = _lanes(key, lo64, hi64, 2 * n).reshape(-1, 2)
            v = _u64_to_double(b[:, 0], b[:, 1])
        elif d is _dt.float32:
            v = _u32_to_float(_lanes(key, lo64, hi64, n))
        elif d is _dt.float16:
            v = _u16_to_half(_lanes(key, lo64, hi64, n))
        else:
            v = _u16_to_bf16(_lanes(key, lo64, hi64, n))
        return v.reshape(shp)
    if kind == "normal":
        if d is _dt.float64:
            b = _lanes(key, lo64, hi64, 4 * (-(-n // 2))).reshape(-1, 4)
            u1 = jnp.maximum(_u64_to_double(b[:, 0], b[:, 1]), 1e-7)
            v1 = 2.0 * np.pi * _u64_to_double(b[:, 2], b[:, 3])
            u2 = jnp.sqrt(-2.0 * jnp.log(u1))
            v = jnp.stack([jnp.sin(v1) * u2, jnp.cos(v1) * u2], axis=-1).reshape(-1)
        else:
            v = _box_muller(_lanes(key, lo64, hi64, 2 * (-(-n // 2))), d)
        return v[:n].reshape(shp).astype(d.as_numpy_dtype)
    v = _truncated_values(key, lo64, hi64, n).reshape(shp)
    return jnp.asarray(v, d.as_numpy_dtype)


def _finish(kind, raw, d, minval, maxval, mean, stddev):
    from jaxtape._src.ops import math_ops as M

    r = make(raw, d)
    if kind == "uniform":
        if d.is_integer:
            return r
        lo_zero = isinstance(minval, (int, float)) and minval == 0
        hi_one = maxval is None or (isinstance(maxval, (int, float)) and maxval == 1)
        if lo_zero and hi_one:
            return r
        hi_t = tensor(1 if maxval is None else maxval, d)
        if lo_zero:
            return M.multiply(r, hi_t)
        lo_t = tensor(minval, d)
        return M.add(M.multiply(r, M.subtract(hi_t, lo_t)), lo_t)
    return M.add(M.multiply(r, tensor(stddev, d)), tensor(mean, d))


def _stateless_position(seed):
    """TF's stateless seed scrambling: one Philox round keyed by fixed constants turns the
    (seed0, seed1) pair into the key and the upper counter half."""
    t = convert_to_tensor(seed)
    if tuple(t._ashape) != (2,):
        raise ValueError("seed must have shape [2], not %s" % (tuple(t._ashape),))
    # a seed a pending segment computes from concrete values by host-exact integer ops (Keras's
    # SeedGenerator) is read without running the segment (lazy.peek)
    v = lazy.held(t)
    if STATE.trace is not None or is_symbolic(v):  # inside a compiled step
        xp = _jax_numpy
        s = lax.bitcast_convert_type(t._value.astype(xp.int64), xp.uint64)
        low, high = xp.uint64(0xFFFFFFFF), xp.uint64(32)
        ctr = xp.stack([s[0] & low, s[0] >> high, s[1] & low, s[1] >> high]).astype(xp.uint32)
        mix = philox(ctr[None], (0x3EC8F720, 0x02461E29))[0].astype(xp.uint64)
        return mix[0] | (mix[1] << high), mix[2] | (mix[3] << high)
    s = np.asarray(lazy.peek(v), np.int64).astype(np.uint64)
    s0, s1 = int(s[0]), int(s[1])
    ctr = np.array([[s0 & 0xFFFFFFFF, s0 >> 32, s1 & 0xFFFFFFFF, s1 >> 32]], np.uint32)
    mix = [int(v) for v in np.asarray(philox(jnp.asarray(ctr), (0x3EC8F720, 0x02461E29)))[0]]
    return mix[0] | (mix[1] << 32), mix[2] | (mix[3] << 32)


def _stateless(kind):
    def fn(
        shape,
        seed,
        minval=0,
        maxval=None,
        dtype=_dt.float32,
        mean=0.0,
        stddev=1.0,
        alg="auto_select",
        name=None,
    ):
        d = _dt.as_dtype(dtype)
        if kind == "uniform" and d.is_integer and maxval is None:
            raise ValueError("Must specify maxval for integer dtype %r" % d)
        key, hi = _stateless_position(seed)
        raw = _values(kind, key, 0, hi, shape_param(shape), d, minval, maxval)
        return _finish(kind, raw, d, minval, maxval, mean, stddev)

    return fn


_su, _sn, _st = _stateless("uniform"), _stateless("normal"), _stateless("truncated")


@export("random.stateless_uniform", gradient="n/a")
def stateless_uniform(
    shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None, alg="auto_select"
):
    """`tf.random.stateless_uniform`: same (shape, seed) -> same values, on any backend."""
    return _su(shape, seed, minval=minval, maxval=maxval, dtype=dtype)


@export("random.stateless_normal", gradient="n/a")
def stateless_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None, alg="auto_select"
):
    return _sn(shape, seed, mean=mean, stddev=stddev, dtype=dtype)


@export("random.stateless_truncated_normal", gradient="n/a")
def stateless_truncated_normal(
    shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None, alg="auto_select"
):
    return _st(shape, seed, mean=mean, stddev=stddev, dtype=dtype)


class Generator:
    """`tf.random.Generator` (Philox): the state is an int64 Variable `[counter_lo, counter_hi,
    key]`; each draw of n values advances the counter by 256 * n, as TF's kernels reserve."""

    def __init__(self, copy_from=None, state=None, alg="philox"):
        from jaxtape._src.variables import Variable

        if copy_from is not None:
            state = copy_from.state.numpy()
        self._state_var = Variable(
            np.asarray(state, np.int64).reshape(3), trainable=False, name="StatefulPRNG"
        )

    @classmethod
    def from_seed(cls, seed, alg="philox"):
        return cls(state=[int(seed) & 0xFFFFFFFFFFFFFFFF if int(seed) >= 0 else int(seed), 0, 0])

    @classmethod
    def from_non_deterministic_state(cls, alg="philox"):
        return cls.from_seed(int.from_bytes(os.urandom(7), "little"))

    @classmethod
    def from_state(cls, state, alg="philox"):
        return cls(state=state)

    @property
    def state(self):
        return self._state_var

    @property
    def algorithm(self):
        return 1

    def reset_from_seed(self, seed):
        self._state_var.assign(np.asarray([int(seed), 0, 0], np.int64))

    def _draw(self, kind, shape, d, minval=0, maxval=None, mean=0.0, stddev=1.0):
        shp = shape_param(shape)
        n = int(np.prod(shp)) if shp else 1
        state = self._state_var._read_as_tensor()._value
        if is_symbolic(state):  # inside jaxtape.function: the state is read at call time
            xp = _jax_numpy
            lo, hi, key = lax.bitcast_convert_type(state, xp.uint64)
            raw = _values(kind, key, lo, hi, shp, d, minval, maxval)
            new_lo = lo + xp.uint64(256 * n)
            new_hi = hi + (new_lo < lo).astype(xp.uint64)
            self._state_var.assign(
                lax.bitcast_convert_type(xp.stack([new_lo, new_hi, key]), xp.int64)
            )
            return _finish(kind, raw, d, minval, maxval, mean, stddev)
        st = [int(v) & 0xFFFFFFFFFFFFFFFF for v in np.asarray(state)]
        raw = _values(kind, st[2], st[0], st[1], shp, d, minval, maxval)
        lo = st[0] + 256 * n
        hi = st[1] + (lo >> 64)
        new = np.array([lo & 0xFFFFFFFFFFFFFFFF, hi & 0xFFFFFFFFFFFFFFFF, st[2]], np.uint64).astype(
            np.int64
        )
        self._state_var.assign(new)
        return _finish(kind, raw, d, minval, maxval, mean, stddev)

    def uniform(self, shape, minval=0, maxval=None, dtype=_dt.float32, name=None):
        d = _dt.as_dtype(dtype)
        if d.is_integer and maxval is None:
            raise ValueError("Must specify maxval for integer dtype %r" % d)
        return self._draw("uniform", shape, d, minval, maxval)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        return self._draw("normal", shape, _dt.as_dtype(dtype), mean=mean, stddev=stddev)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
        return self._draw("truncated", shape, _dt.as_dtype(dtype), mean=mean, stddev=stddev)

    def make_seeds(self, count=1):
        return self.uniform((2, count), minval=None or -(2**62), maxval=2**62, dtype=_dt.int64)


export_value("random.Generator", Generator)
