"""`tf.io.read_file` / `write_file` and `tf.image.decode_png` / `decode_jpeg` / `decode_image`:
what image tutorials use to load their pictures.

Files are read on the host into a scalar string Tensor, as TF's.  Decoding uses Pillow (an
optional dependency, installed with matplotlib; `pip install pillow`).  PNG (and GIF, BMP)
decoding is lossless: TF's pixels exactly.  JPEG is not bit-exact: TF runs libjpeg with its
own IDCT and upsampling settings, which Pillow does not expose; measured on the test image,
pixels differ from TF's by at most 4 levels (mean 1.1) in RGB, 2 (mean 0.6) in grayscale
(tests/test_io.py pins those bounds).
"""

from __future__ import annotations

import io

import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.errors import InvalidArgumentError, NotFoundError
from jaxtape._src.registry import export
from jaxtape._src.tensor import make


def _bytes(contents):
    t = convert_to_tensor(contents)
    if t.dtype != _dt.string or t.shape.rank != 0:
        raise InvalidArgumentError(None, None, "contents must be scalar, got shape %s" % (t.shape,))
    v = np.asarray(t._value).item()
    return v if isinstance(v, bytes) else str(v).encode()


@export("io.read_file", "read_file", gradient="n/a")
def read_file(filename, name=None):
    """`tf.io.read_file`: the file's bytes as a scalar string Tensor."""
    path = _bytes(filename).decode()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise NotFoundError(
            None, None, "%s; No such file or directory [Op:ReadFile]" % path
        ) from None
    return make(np.asarray(data, dtype=object), _dt.string)


@export("io.write_file", "write_file", gradient="n/a")
def write_file(filename, contents, name=None):
    """`tf.io.write_file`: write a scalar string Tensor's bytes."""
    with open(_bytes(filename).decode(), "wb") as f:
        f.write(_bytes(contents))


_FORMATS = "Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required."


def _decode(contents, channels, op, dtype=np.uint8):
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "tf.image.decode_* decodes with Pillow, which is not installed: pip install pillow"
        ) from e
    data = _bytes(contents)
    channels = int(channels or 0)
    try:
        img = Image.open(io.BytesIO(data))
        if channels == 1 and img.format == "JPEG":
            img.draft("L", img.size)  # libjpeg's own grayscale output (the Y channel), as TF's
        img.load()
    except Exception:  # noqa: BLE001  (any decoding failure is TF's InvalidArgumentError)
        raise InvalidArgumentError(None, None, "%s [Op:%s]" % (_FORMATS, op)) from None
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
    if mode is None:  # the file's own channels
        mode = {"L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "P": "RGBA" if
                "transparency" in img.info else "RGB", "I;16": "I;16"}.get(img.mode, "RGB")  # fmt: skip
    if img.mode != mode:
        img = img.convert(mode)
    arr = np.asarray(img)
    if arr.ndim == 2:
        arr = arr[..., None]
    return make(np.ascontiguousarray(arr.astype(dtype)), _dt.as_dtype(dtype))


def _to_device(t):
    import jax

    return make(jax.device_put(np.asarray(t._value)), t._dtype)


@export("image.decode_png", "io.decode_png", gradient="n/a")
def decode_png(contents, channels=0, dtype=_dt.uint8, name=None):
    """`tf.image.decode_png`: a [height, width, channels] uint8 Tensor."""
    return _to_device(_decode(contents, channels, "DecodePng"))


@export("image.decode_jpeg", "io.decode_jpeg", gradient="n/a")
def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True,
                try_recover_truncated=False, acceptable_fraction=1, dct_method="",
                name=None):  # fmt: skip
    """`tf.image.decode_jpeg`: a [height, width, channels] uint8 Tensor."""
    return _to_device(_decode(contents, channels, "DecodeJpeg"))


@export("image.decode_image", "io.decode_image", gradient="n/a")
def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """`tf.image.decode_image`: PNG, JPEG, GIF or BMP as [height, width, channels] (uint8; a
    float dtype scales to [0, 1] as `convert_image_dtype`)."""
    out = _decode(contents, channels, "DecodeImage")
    d = _dt.as_dtype(dtype)
    if d != _dt.uint8:
        if not d.is_floating:
            raise ValueError("decode_image supports uint8 and float dtypes here, got %s" % d.name)
        out = make(np.asarray(out._value).astype(d.as_numpy_dtype) / d.as_numpy_dtype(255), d)
    return _to_device(out)
