"""tf.summary writes TensorBoard event files (read back here record by record), eagerly and from
inside a compiled step, with TF's return values, errors, steps, name scopes and record_if."""

import struct
import subprocess
import sys

import numpy as np
import pytest

import jaxtape as tf

event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")  # the `summary` extra


def _events(logdir):
    """Every Summary value in the event files under `logdir`: (tag, step, value proto)."""
    out = []
    for path in sorted(logdir.iterdir()):
        data = path.read_bytes()
        i = 0
        while i < len(data):
            (n,) = struct.unpack("<Q", data[i : i + 8])
            event = event_pb2.Event.FromString(data[i + 12 : i + 12 + n])
            i += 12 + n + 4
            for v in event.summary.value:
                out.append((v.tag, event.step, v))
    return out


def test_scalars_eager_with_steps_and_scopes(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    assert len(list(tmp_path.iterdir())) == 1  # the file exists at once, as TF's
    assert tf.summary.scalar("loss", 1.0, step=0).numpy() is np.False_  # no default writer
    with w.as_default(step=3):
        assert tf.summary.experimental.get_step() == 3
        assert bool(tf.summary.scalar("loss", 0.5))
        with tf.name_scope("train"):
            tf.summary.scalar("acc", tf.constant(7, tf.int32), step=tf.constant(4, tf.int64))
        with tf.summary.record_if(False):
            assert not bool(tf.summary.scalar("skipped", 1.0))
            assert not bool(tf.summary.should_record_summaries())
        with tf.summary.record_if(lambda: True):
            tf.summary.scalar("kept", 2.0)
    assert tf.summary.experimental.get_step() is None
    w.close()
    got = [(tag, step, v.simple_value) for tag, step, v in _events(tmp_path)]
    assert got == [("loss", 3, 0.5), ("train/acc", 4, 7.0), ("kept", 3, 2.0)]


def test_errors_match_tf(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    with w.as_default():
        with pytest.raises(ValueError, match="No step set"):
            tf.summary.scalar("a", 1.0)
        with pytest.raises(ValueError, match="Expected scalar shape, saw shape: \\(2,\\)"):
            tf.summary.scalar("a", [1.0, 2.0], step=0)
        with pytest.raises(ValueError, match="must have rank 4"):
            tf.summary.image("i", tf.zeros([2, 3]), step=0)
        with pytest.raises(tf.errors.UnimplementedError, match="Cast string to float"):
            tf.summary.scalar("a", "text", step=0)


def test_inside_function_writes_every_call(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    v = tf.Variable(1.0)
    step = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def train():
        with w.as_default():
            v.assign(v * 2.0)
            tf.summary.scalar("v", v, step=step)
            step.assign_add(1)

    for _ in range(3):
        train()
    w.flush()
    got = [(tag, s, v.simple_value) for tag, s, v in _events(tmp_path)]
    assert got == [("v", 0, 2.0), ("v", 1, 4.0), ("v", 2, 8.0)]


def test_histogram_image_text(tmp_path):
    w = tf.summary.create_file_writer(str(tmp_path))
    data = np.arange(10, dtype=np.float32)
    with w.as_default(step=1):
        tf.summary.histogram("h", data, buckets=5)
        tf.summary.histogram("one", [2.0, 2.0])
        tf.summary.image("img", np.zeros([2, 4, 5, 3], np.float32), max_outputs=1)
        tf.summary.text("t", "hello")
    w.close()
    ev = {tag: v for tag, _, v in _events(tmp_path)}
    h = ev["h"].histo
    assert (h.min, h.max, h.num, h.sum) == (0.0, 9.0, 10.0, 45.0)
    assert list(h.bucket) == [2.0] * 5  # TF 2: equal-width buckets between min and max
    assert list(ev["one"].histo.bucket) == [2.0]
    img = ev["img"].image
    assert (img.height, img.width, img.colorspace) == (4, 5, 3)
    assert "t/text_summary" in ev or "t" in ev


def test_missing_tensorboardx_names_the_extra(tmp_path):
    code = (
        "import sys; sys.modules['tensorboardX'] = None\n"
        "import jaxtape as tf\n"
        "try:\n    tf.summary.create_file_writer(%r)\n"
        "except ImportError as e:\n    print(e)\n" % str(tmp_path)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'jaxtape[summary]'" in out.stdout
