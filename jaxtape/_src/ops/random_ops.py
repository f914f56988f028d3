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

import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.ops._common import shape_param, tensor
from jaxtape._src.registry import export
from jaxtape._src.tensor import make

_MAXINT32 = 2 ** 31 - 1
_DEFAULT_GRAPH_SEED = 87654321


class _SeedState(threading.local):
    def __init__(self):
        self.global_seed = None
        self.rng = None
        self.kernel_counters = {}


_state = _SeedState()


@export("random.set_seed", "random.set_random_seed", gradient="n/a")
def set_seed(seed):
    """`tf.random.set_seed`: restart the deterministic sequence of op seeds."""
    _state.global_seed = None if seed is None else int(seed)
    _state.rng = None if seed is None else _pyrandom.Random(int(seed))
    _state.kernel_counters = {}


def get_seed(op_seed):
    """`tf.compat.v1.get_seed` in eager mode: (seed, seed2), or (None, None)."""
    gs = _state.global_seed
    if gs is not None:
        if op_seed is None:
            op_seed = _state.rng.randint(0, _MAXINT32)
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


def _counters(n_blocks, seed2, skip):
    """128-bit counters base..base+n-1 with base = (skip, seed2 << 64), as uint32 lanes."""
    idx = np.arange(n_blocks, dtype=np.uint64) + np.uint64(skip & 0xFFFFFFFFFFFFFFFF)
    lo = idx & np.uint64(0xFFFFFFFF)
    hi = idx >> np.uint64(32)
    s2 = int(seed2)
    c2 = np.full(n_blocks, s2 & 0xFFFFFFFF, np.uint64)
    c3 = np.full(n_blocks, (s2 >> 32) & 0xFFFFFFFF, np.uint64)
    return jnp.asarray(np.stack([lo, hi, c2, c3], axis=-1).astype(np.uint32))


def _bits(op: str, dtype, n: int, seed, per_block: int = 4):
    """n * (4 // per_block) uint32 lanes for an op drawing `n` values."""
    s1, s2 = get_seed(seed)
    if s1 is None:
        s1 = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        s2 = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        skip = 0
    else:
        ck = (op, dtype, s1, s2)
        skip = _state.kernel_counters.get(ck, 0)
        _state.kernel_counters[ck] = skip + n * 256
    blocks = -(-n // per_block)
    ctr = _counters(blocks, s2, skip)
    return philox(ctr, (s1 & 0xFFFFFFFF, (s1 >> 32) & 0xFFFFFFFF)).reshape(-1)


def _u32_to_float(x):
    bits = (x & jnp.uint32(0x7FFFFF)) | jnp.uint32(0x3F800000)
    return lax.bitcast_convert_type(bits, jnp.float32) - jnp.float32(1.0)


def _u64_to_double(x0, x1):
    man = ((x0 & jnp.uint32(0xFFFFF)).astype(jnp.uint64) << jnp.uint64(32)) | x1.astype(jnp.uint64)
    bits = (jnp.uint64(1023) << jnp.uint64(52)) | man
    return lax.bitcast_convert_type(bits, jnp.float64) - 1.0


def _u16_to_half(x):
    bits = ((x & jnp.uint32(0x3FF)) | jnp.uint32(15 << 10)).astype(jnp.uint16)
    return lax.bitcast_convert_type(bits, jnp.float16) - jnp.float16(1.0)


def _u16_to_bf16(x):
    bits = ((x & jnp.uint32(0x7F)) | jnp.uint32(127 << 7)).astype(jnp.uint16)
    return lax.bitcast_convert_type(bits, jnp.bfloat16) - jnp.bfloat16(1.0)


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
        raise ValueError("Argument `dtype` got invalid value %r. Accepted dtypes are (tf.float16, "
                         "tf.bfloat16, tf.float32, tf.float64, tf.int32, tf.int64)." % d)
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
            v = (jnp.asarray(lo, jnp.int64) + (b % jnp.uint64(rng)).astype(jnp.int64)).astype(jnp.int32)
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


@export("random.truncated_normal", gradient="n/a")
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """`tf.random.truncated_normal`: normal samples redrawn until |z| < 2 (TF's stream: the
    Box-Muller pairs of consecutive Philox outputs, accepted in order)."""
    d = _dt.as_dtype(dtype)
    shp = shape_param(shape)
    n = int(np.prod(shp)) if shp else 1
    out = []
    s1, s2 = get_seed(seed)
    if s1 is None:
        s1 = int.from_bytes(os.urandom(4), "little")
        s2 = int.from_bytes(os.urandom(4), "little")
    ck = ("TruncatedNormal", d.name, s1, s2)
    skip = _state.kernel_counters.get(ck, 0)
    _state.kernel_counters[ck] = skip + n * 256
    # TF's CPU kernel: each group of 4 outputs draws from its own generator skipped to
    # (group index * kGroupSize * kReservedSamplesPerOutput / 4 = 256 g); within a group, uint32
    # lanes are consumed in order, two per Box-Muller pair, until 4 values are accepted.
    groups = -(-n // 4)
    for g in range(groups):
        ctr_base = skip + g * 256
        got = []
        k = 0
        while len(got) < 4:
            bits = philox(_counters(1, s2, ctr_base + k), (s1 & 0xFFFFFFFF, (s1 >> 32) & 0xFFFFFFFF))
            z = np.asarray(_box_muller(bits.reshape(-1), d))
            for pair in (z[0:2], z[2:4]):
                for zz in pair:
                    if abs(zz) < 2.0 and len(got) < 4:
                        got.append(zz)
            k += 1
        out.extend(got)
    v = np.asarray(out[:n], np.float32).reshape(shp)
    from jaxtape._src.ops import math_ops as M
    r = make(jnp.asarray(v, d.as_numpy_dtype), d)
    return M.add(M.multiply(r, tensor(stddev, d)), tensor(mean, d))


@export("random.shuffle", gradient="n/a")
def shuffle(value, seed=None, name=None):
    x = tensor(value)
    n = x._value.shape[0] if x.ndim else 1
    u = np.asarray(_raw_uniform((n,), _dt.float32, seed))
    perm = np.argsort(u, kind="stable")
    return make(x._value[jnp.asarray(perm)], x._dtype)


@export("random.categorical", gradient="n/a")
def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    lg = tensor(logits)
    b, k = lg._value.shape
    u = _raw_uniform((b, int(num_samples), k), _dt.float32, seed)
    gumbel = -jnp.log(-jnp.log(jnp.clip(u, 1e-20, 1.0)))
    idx = jnp.argmax(lg._value[:, None, :].astype(jnp.float32) + gumbel, axis=-1)
    d = _dt.as_dtype(dtype or _dt.int64)
    return make(idx.astype(d.as_numpy_dtype), d)
