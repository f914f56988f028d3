"""tf.io.read_file / write_file and tf.image.decode_*: images written and decoded by TF 2.21
(tests/data/images, made with tf.io.encode_png / encode_jpeg) decode to TF's pixels."""

import pathlib

import numpy as np
import pytest

import jaxtape as tf

DATA = pathlib.Path(__file__).resolve().parent / "data" / "images"
pytest.importorskip("PIL")


def test_decode_matches_tf():
    want = np.load(DATA / "decoded_by_tf.npz")
    png, jpg, gray = (tf.io.read_file(str(DATA / n)) for n in ("t.png", "t.jpg", "g.png"))
    assert png.dtype == tf.string and png.shape == ()
    # PNG is lossless: TF's pixels exactly
    np.testing.assert_array_equal(tf.image.decode_png(png).numpy(), want["png"])
    np.testing.assert_array_equal(tf.image.decode_png(gray, channels=3).numpy(), want["gray"])
    assert tf.image.decode_image(png).dtype == tf.uint8
    # JPEG: Pillow's libjpeg settings are not TF's (IDCT, upsampling); the measured bounds
    for got, key, worst, mean in ((tf.image.decode_jpeg(jpg), "jpg", 4, 1.2),
                                  (tf.image.decode_image(jpg), "img_jpg", 4, 1.2),
                                  (tf.image.decode_jpeg(jpg, channels=1), "jpg1", 2, 0.6)):  # fmt: skip
        assert got.shape == want[key].shape and got.dtype == tf.uint8
        diff = np.abs(got.numpy().astype(int) - want[key].astype(int))
        assert diff.max() <= worst and diff.mean() <= mean, (key, diff.max(), diff.mean())


def test_errors_and_write(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="No such file or directory"):
        tf.io.read_file(str(tmp_path / "nope.png"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        tf.image.decode_png(tf.constant(b"garbage"))
    tf.io.write_file(str(tmp_path / "x.bin"), tf.constant(b"abc"))
    assert tf.io.read_file(str(tmp_path / "x.bin")).numpy() == b"abc"
