"""`tf.image`: the basics training code uses, with TF 2's conventions (NHWC or HWC images;
`resize` with half-pixel centers and no antialiasing by default, float32 output except for
"nearest").  Built from recorded ops and one resize kernel, so gradients flow."""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax import lax
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.dispatch import bind
from jaxtape._src.ops import array_ops as A
from jaxtape._src.ops import math_ops as M
from jaxtape._src.registry import Kernel, export


def _image(x):
    t = convert_to_tensor(x)
    if t.shape.rank not in (3, 4):
        raise ValueError("'image' (shape %s) must have either 3 or 4 dimensions." % (t.shape,))
    return t


@export("image.flip_left_right", gradient="yes")
def flip_left_right(image):
    t = _image(image)
    return A.reverse(t, [t.shape.rank - 2])


@export("image.flip_up_down", gradient="yes")
def flip_up_down(image):
    t = _image(image)
    return A.reverse(t, [t.shape.rank - 3])


def _bilinear_axis(n_in, n_out, dtype):
    """TF's ResizeBilinear interpolation along one axis (half-pixel centers), in TF's float
    arithmetic: `in = (out + 0.5) * scale - 0.5`, the rows floor(in) and ceil(in) clamped to
    the image, and the weight `in - floor(in)`."""
    f = np.float32
    scale = f(n_in) / f(n_out)
    src = (np.arange(n_out, dtype=f) + f(0.5)) * scale - f(0.5)
    lower = np.floor(src)
    lo = np.maximum(lower, 0).astype(np.int64)
    hi = np.minimum(np.ceil(src), n_in - 1).astype(np.int64)
    return lo, hi, (src - lower).astype(dtype)


def _lerp(a, b, t):
    # TF's `a + (b - a) * t`, kept from fusing into an FMA (a different rounding)
    return a + lax.optimization_barrier((b - a) * t)


def _nearest_index(n_in, n_out):
    scale = n_in / n_out
    return np.minimum(
        np.floor((np.arange(n_out) + 0.5) * np.float32(scale)).astype(np.int64), n_in - 1
    )


def _resize_impl(x, size, method):
    h, w = size
    if method == "nearest":
        x = jnp.take(x, _nearest_index(x.shape[1], h), axis=1)
        return jnp.take(x, _nearest_index(x.shape[2], w), axis=2)
    ylo, yhi, yl = _bilinear_axis(x.shape[1], h, x.dtype)
    xlo, xhi, xl = _bilinear_axis(x.shape[2], w, x.dtype)
    top, bottom = jnp.take(x, ylo, axis=1), jnp.take(x, yhi, axis=1)
    xl = jnp.asarray(xl)[None, None, :, None]
    top = _lerp(jnp.take(top, xlo, axis=2), jnp.take(top, xhi, axis=2), xl)
    bottom = _lerp(jnp.take(bottom, xlo, axis=2), jnp.take(bottom, xhi, axis=2), xl)
    return _lerp(top, bottom, jnp.asarray(yl)[None, :, None, None])


_resize_k = Kernel("ResizeBilinear", _resize_impl)


@export("image.resize", gradient="yes")
def resize(
    images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False, name=None
):
    """`tf.image.resize` ("bilinear" and "nearest"; half-pixel centers as TF 2)."""
    t = _image(images)
    method = getattr(method, "value", method)
    if method not in ("bilinear", "nearest"):
        raise NotImplementedError(
            "tf.image.resize(method=%r) is not provided by jaxtape; use "
            "'bilinear' or 'nearest', or jax.image.resize through "
            "jaxtape.extend.op." % (method,)
        )
    if antialias:
        raise NotImplementedError("tf.image.resize(antialias=True) is not provided by jaxtape.")
    size = [int(s) for s in (size.numpy().tolist() if hasattr(size, "numpy") else size)]
    if preserve_aspect_ratio:
        h, w = t.shape[-3], t.shape[-2]
        scale = min(size[0] / h, size[1] / w)
        size = [int(round(h * scale)), int(round(w * scale))]
    batched = t.shape.rank == 4
    x = t if batched else A.expand_dims(t, 0)
    if method == "bilinear" and not x.dtype.is_floating:
        x = M.cast(x, _dt.float32)
    elif method == "bilinear" and x.dtype is not _dt.float32 and x.dtype is not _dt.float64:
        x = M.cast(x, _dt.float32)
    out = bind(_resize_k, (x,), {"size": tuple(size), "method": method})
    return out if batched else A.squeeze(out, [0])


@export("image.central_crop", gradient="yes")
def central_crop(image, central_fraction):
    """`tf.image.central_crop`: TF's integer arithmetic for the box."""
    t = _image(image)
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return t
    r = t.shape.rank
    h, w = t.shape[r - 3], t.shape[r - 2]
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    begin = [0] * r
    size = [-1] * r
    begin[r - 3], begin[r - 2] = top, left
    size[r - 3], size[r - 2] = h - 2 * top, w - 2 * left
    return A.slice(t, begin, size)


@export("image.crop_to_bounding_box", gradient="yes")
def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    t = _image(image)
    r = t.shape.rank
    begin, size = [0] * r, [-1] * r
    begin[r - 3], begin[r - 2] = int(offset_height), int(offset_width)
    size[r - 3], size[r - 2] = int(target_height), int(target_width)
    return A.slice(t, begin, size)


@export("image.pad_to_bounding_box", gradient="yes")
def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    t = _image(image)
    r = t.shape.rank
    h, w = t.shape[r - 3], t.shape[r - 2]
    pads = [[0, 0] for _ in range(r)]
    pads[r - 3] = [int(offset_height), int(target_height) - int(offset_height) - h]
    pads[r - 2] = [int(offset_width), int(target_width) - int(offset_width) - w]
    return A.pad(t, pads)


@export("image.convert_image_dtype", gradient="yes")
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """`tf.image.convert_image_dtype`: integers are read as [0, MAX] and floats as [0, 1]."""
    t = convert_to_tensor(image)
    d = _dt.as_dtype(dtype)
    if d is t.dtype:
        return t
    src_int, dst_int = t.dtype.is_integer, d.is_integer
    if src_int and dst_int:
        src_max, dst_max = int(t.dtype.max), int(d.max)
        if src_max > dst_max:
            return M.cast(
                M.floordiv(t, convert_to_tensor((src_max + 1) // (dst_max + 1), t.dtype)), d
            )
        return M.multiply(M.cast(t, d), convert_to_tensor((dst_max + 1) // (src_max + 1), d))
    if src_int:
        return M.multiply(M.cast(t, d), convert_to_tensor(1.0 / float(t.dtype.max), d))
    if dst_int:
        scale = convert_to_tensor(float(d.max) + 0.5, t.dtype)
        scaled = M.multiply(t, scale)
        if saturate:
            scaled = M.clip_by_value(scaled, 0.0, float(d.max))
        return M.cast(scaled, d)
    return M.cast(t, d)


@export("image.image_gradients", gradient="yes")
def image_gradients(image):
    """`tf.image.image_gradients`: (dy, dx), forward differences with a zero last row/column."""
    t = convert_to_tensor(image)
    if t.shape.rank != 4:
        raise ValueError(
            "image_gradients expects a 4D tensor [batch_size, h, w, d], not %s." % (t.shape,)
        )
    b, h, w, c = t.shape.as_list()
    dy = M.subtract(t[:, 1:, :, :], t[:, :-1, :, :])
    dx = M.subtract(t[:, :, 1:, :], t[:, :, :-1, :])
    dy = A.concat([dy, A.zeros([b, 1, w, c], t.dtype)], 1)
    dx = A.concat([dx, A.zeros([b, h, 1, c], t.dtype)], 2)
    return dy, dx


@export("image.rgb_to_grayscale", gradient="yes")
def rgb_to_grayscale(images, name=None):
    t = convert_to_tensor(images)
    x = convert_image_dtype(t, _dt.float32)
    gray = M.tensordot(x, convert_to_tensor([0.2989, 0.5870, 0.1140], _dt.float32), [[-1], [-1]])
    return convert_image_dtype(A.expand_dims(gray, -1), t.dtype)


@export("image.per_image_standardization", gradient="yes")
def per_image_standardization(image):
    """`tf.image.per_image_standardization`: (x - mean) / max(stddev, 1/sqrt(N)) per image."""
    t = convert_to_tensor(image)
    if not t.dtype.is_floating:
        t = M.cast(t, _dt.float32)
    axes = [-1, -2, -3]
    n = int(np.prod(t.shape.as_list()[-3:]))
    mean = M.reduce_mean(t, axis=axes, keepdims=True)
    std = M.reduce_std(t, axis=axes, keepdims=True)
    floor = convert_to_tensor(1.0 / math.sqrt(n), t.dtype)
    return M.divide(M.subtract(t, mean), M.maximum(std, floor))


@export("image.adjust_brightness", gradient="yes")
def adjust_brightness(image, delta):
    t = convert_to_tensor(image)
    x = convert_image_dtype(t, _dt.float32)
    return convert_image_dtype(
        M.add(x, convert_to_tensor(delta, _dt.float32)), t.dtype, saturate=True
    )


@export("image.total_variation", gradient="yes")
def total_variation(images, name=None):
    """`tf.image.total_variation`: the sum of absolute differences of neighbouring pixels, per
    image for a 4-D batch (TF's formula, term for term)."""
    t = _image(images)
    rank = t.shape.rank
    if rank == 3:
        d1 = M.subtract(t[1:, :, :], t[:-1, :, :])
        d2 = M.subtract(t[:, 1:, :], t[:, :-1, :])
        axis = None
    elif rank == 4:
        d1 = M.subtract(t[:, 1:, :, :], t[:, :-1, :, :])
        d2 = M.subtract(t[:, :, 1:, :], t[:, :, :-1, :])
        axis = [1, 2, 3]
    else:
        raise ValueError("'images' must be either 3 or 4-dimensional.")
    return M.add(M.reduce_sum(M.abs(d1), axis=axis), M.reduce_sum(M.abs(d2), axis=axis))
