"""`tf.summary`: TensorBoard event files, written by tensorboardX.

The event-file format (protobuf records with CRCs) is tensorboardX's business, not ours: it is a
maintained writer library and an optional extra (`pip install 'jaxtape[summary]'`).  Without it
the first call that needs a writer raises an ImportError naming the extra; TF itself raises
`TBNotInstalledError` when TensorBoard is missing.

Semantics follow TF 2.21: a summary op writes to the default writer (`writer.as_default()`),
returns a bool Tensor saying whether it wrote (False without a writer, or under
`record_if(False)`), needs a step (the `step` argument or `summary.experimental.set_step`, else
ValueError), and prefixes its tag with the enclosing `tf.name_scope`s.  Inside
`jaxtape.function` the write is an ordered host callback in the compiled step, so it happens at
every call, with that call's values (as TF's summary ops inside `tf.function`).

Histograms are TF 2's: `buckets` (default 30) equal-width buckets between the data's min and max.
Images: a [k, h, w, c] batch (c = 1, 3 or 4), floats in [0, 1] or uint8; the first `max_outputs`
are written, as one grid image (tensorboardX's layout) rather than TF's k separate images.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

import jax
import numpy as np

from jaxtape._src import dtypes as _dt
from jaxtape._src.context import STATE
from jaxtape._src.convert import convert_to_tensor
from jaxtape._src.errors import UnimplementedError
from jaxtape._src.registry import export_value
from jaxtape._src.tensor import is_symbolic, make, to_jax

_MISSING = (
    "tf.summary writes TensorBoard event files with tensorboardX, which is not installed: "
    "pip install 'jaxtape[summary]' (or pip install tensorboardX)"
)


class _Local(threading.local):
    def __init__(self):
        self.writers: list = []  # the default-writer stack
        self.step = None  # summary.experimental.set_step
        self.record: list = []  # record_if conditions


_LOCAL = _Local()


def _tensorboardx():
    try:
        import tensorboardX
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return tensorboardX


class SummaryWriter:
    """What `tf.summary.create_file_writer` returns: a writer to make the default with
    `as_default()`, then `flush()` / `close()`."""

    def __init__(self, logdir, max_queue=None, flush_millis=None, filename_suffix=None):
        tbx = _tensorboardx()
        from tensorboardX.event_file_writer import EventsWriter

        self._logdir = str(logdir)
        os.makedirs(self._logdir, exist_ok=True)
        # written synchronously (tensorboardX's SummaryWriter queues events for a thread, so
        # its flush() can return before they are on disk; TF's flush writes everything)
        self._events = EventsWriter(
            os.path.join(self._logdir, "events"),
            ".v2" if filename_suffix is None else str(filename_suffix),
        )
        self._tbx = tbx
        self._max_queue = 10 if max_queue is None else max(1, int(max_queue))
        self._flush_secs = 120.0 if flush_millis is None else int(flush_millis) / 1000.0
        self._pending = 0
        self._last_flush = time.time()
        self._lock = threading.Lock()
        self._closed = False

    def _write(self, summary, step):
        from tensorboardX.proto.event_pb2 import Event

        with self._lock:
            if self._closed:
                return
            self._events.write_event(Event(wall_time=time.time(), step=step, summary=summary))
            self._pending += 1
            if (
                self._pending >= self._max_queue
                or time.time() - self._last_flush > self._flush_secs
            ):
                self._flush_file()

    def _flush_file(self):
        self._events.flush()
        self._pending = 0
        self._last_flush = time.time()

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Make this the default writer inside the block (and `step` the default step)."""
        _LOCAL.writers.append(self)
        old_step = _LOCAL.step
        if step is not None:
            _LOCAL.step = step
        try:
            yield self
        finally:
            _LOCAL.writers.pop()
            _LOCAL.step = old_step
            self.flush()

    def set_as_default(self, step=None):
        """Make this the default writer for the rest of the thread."""
        _LOCAL.writers[:] = [self]
        if step is not None:
            _LOCAL.step = step

    def init(self):
        """TF initialises its writer resource here; the file already exists."""

    def flush(self):
        if not self._closed:
            _wait_for_compiled_writes()
            with self._lock:
                self._flush_file()

    def close(self):
        if not self._closed:
            _wait_for_compiled_writes()
            with self._lock:
                self._flush_file()
                self._events.close()
                self._closed = True

    def __del__(self):  # TF closes a writer that is garbage collected
        if not getattr(self, "_closed", True):
            try:
                self._events.flush()
                self._events.close()
            except Exception:  # noqa: BLE001  (interpreter shutdown)
                pass
            self._closed = True

    def __repr__(self):
        return "<jaxtape SummaryWriter logdir=%r>" % self._logdir


def _wait_for_compiled_writes():
    """Compiled steps write through callbacks that run when the step runs (asynchronously):
    a flush waits for them, so it writes everything the program has asked for so far."""
    if STATE.trace is None:
        jax.effects_barrier()


class _NoopWriter(SummaryWriter):
    def __init__(self):
        self._closed = True
        self._logdir = ""
        self._lock = threading.Lock()


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None, name=None):
    """`tf.summary.create_file_writer`: event files under `logdir` (created if missing)."""
    del name
    return SummaryWriter(logdir, max_queue, flush_millis, filename_suffix)


def create_noop_writer():
    """`tf.summary.create_noop_writer`: a default writer that writes nothing."""
    return _NoopWriter()


def set_step(step):
    """`tf.summary.experimental.set_step`: the step summaries use when given none."""
    _LOCAL.step = step


def get_step():
    return _LOCAL.step


@contextlib.contextmanager
def record_if(condition):
    """`tf.summary.record_if`: write only while `condition` (a bool, a bool Tensor or a
    callable returning one) holds."""
    _LOCAL.record.append(condition)
    try:
        yield
    finally:
        _LOCAL.record.pop()


def _should_record():
    if not _LOCAL.writers or isinstance(_LOCAL.writers[-1], _NoopWriter):
        return False
    for cond in _LOCAL.record:
        if callable(cond):
            cond = cond()
        if not bool(cond):
            return False
    return True


def should_record_summaries():
    """`tf.summary.should_record_summaries`: a bool Tensor."""
    return _bool(_should_record())


def _bool(value):
    return convert_to_tensor(bool(value))


def flush(writer=None, name=None):
    """`tf.summary.flush`: flush `writer`, or the default writer."""
    del name
    w = writer if writer is not None else (_LOCAL.writers[-1] if _LOCAL.writers else None)
    if w is not None:
        w.flush()


def _tag(name):
    return "/".join([*STATE.name_scope, str(name)]) if STATE.name_scope else str(name)


def _write(kind, name, data, step, dtype, check, **extra):
    """The shared path of every summary op: resolve the step, convert and check the data,
    then write now (eager) or from the compiled step (a host callback)."""
    if not _should_record():
        return _bool(False)
    step = _LOCAL.step if step is None else step
    if step is None:
        raise ValueError(
            "No step set. Please specify one either through the `step` argument or through "
            "tf.summary.experimental.set_step()"
        )
    writer = _LOCAL.writers[-1]
    tag = _tag(name)

    def host(value, step_value):
        summary = getattr(_Emit, kind)(writer._tbx.summary, tag, np.asarray(value), **extra)
        writer._write(summary, int(step_value))

    step_value = to_jax(convert_to_tensor(step, dtype=_dt.int64))
    if kind == "text":  # strings never reach a compiled step
        host(np.asarray(data, dtype=object), np.asarray(step_value))
        return _bool(True)
    t = convert_to_tensor(data) if dtype is None else _cast(data, dtype)
    check(t)
    value = to_jax(t)
    if is_symbolic(value) or is_symbolic(step_value):
        jax.experimental.io_callback(host, None, value, step_value, ordered=True)
    else:
        host(np.asarray(value), np.asarray(step_value))
    return _bool(True)


class _Emit:
    """The Summary protos, one maker per kind (host side; `S` is tensorboardX.summary)."""

    @staticmethod
    def scalar(S, tag, value):
        return S.scalar(tag, float(value))

    @staticmethod
    def histogram(S, tag, value, buckets):
        v = value.astype(np.float64).ravel()
        if v.size == 0:
            lo = hi = 0.0
            counts, edges = np.zeros(0), np.zeros(0)
        else:
            lo, hi = float(v.min()), float(v.max())
            if lo == hi:  # TF: one bucket holding everything
                edges, counts = np.array([hi + 0.5]), np.array([float(v.size)])
            else:
                counts, all_edges = np.histogram(v, bins=buckets, range=(lo, hi))
                edges = all_edges[1:]
        return S.histogram_raw(tag, min=lo, max=hi, num=int(v.size), sum=float(v.sum()),
                               sum_squares=float((v * v).sum()),
                               bucket_limits=[float(e) for e in edges],
                               bucket_counts=[float(c) for c in counts])  # fmt: skip

    @staticmethod
    def image(S, tag, value, max_outputs):
        images = value[:max_outputs]
        if images.dtype != np.uint8:
            images = np.clip(images.astype(np.float32), 0.0, 1.0)
        return S.image(tag, images, dataformats="NHWC")

    @staticmethod
    def text(S, tag, value):
        text = value.item() if value.shape == () else "\n".join(map(str, value.ravel()))
        return S.text(tag, text.decode() if isinstance(text, bytes) else str(text))


def _any(_t):
    pass


def _cast(data, dtype):
    """`data` as `dtype`, the way TF's summary ops cast (`tf.cast`, so ints become floats)."""
    t = convert_to_tensor(data)
    if t.dtype == dtype:
        return t
    if t.dtype == _dt.string:
        raise UnimplementedError(None, None, "Cast string to float is not supported")
    return make(to_jax(t).astype(dtype.as_numpy_dtype), dtype)


def _scalar_shape(t):
    if t.shape.rank != 0:
        raise ValueError("Expected scalar shape, saw shape: %s." % (t.shape,))


def _image_shape(t):
    if t.shape.rank != 4:
        raise ValueError(
            "Tensor  must have rank 4.  Received rank %d, shape %s" % (t.shape.rank, t.shape)
        )
    if t.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "tf.summary.image needs 1, 3 or 4 channels (grayscale, RGB, RGBA); got %s"
            % (t.shape[-1],)
        )


def scalar(name, data, step=None, description=None):
    """`tf.summary.scalar`: write a scalar (converted to float32)."""
    del description
    return _write("scalar", name, data, step, _dt.float32, _scalar_shape)


def histogram(name, data, step=None, buckets=None, description=None):
    """`tf.summary.histogram`: TF 2's equal-width histogram (`buckets`, default 30)."""
    del description
    b = 30 if buckets is None else int(buckets)
    return _write("histogram", name, data, step, None, _any, buckets=b)


def image(name, data, step=None, max_outputs=3, description=None):
    """`tf.summary.image`: a [k, h, w, c] batch of images (floats in [0, 1], or uint8)."""
    del description
    return _write("image", name, data, step, None, _image_shape, max_outputs=int(max_outputs))


def text(name, data, step=None, description=None):
    """`tf.summary.text`: a string (or strings) as Markdown text."""
    del description
    return _write("text", name, data, step, None, _any)


for _name, _value in {
    "create_file_writer": create_file_writer,
    "create_noop_writer": create_noop_writer,
    "SummaryWriter": SummaryWriter,
    "scalar": scalar,
    "histogram": histogram,
    "image": image,
    "text": text,
    "flush": flush,
    "record_if": record_if,
    "should_record_summaries": should_record_summaries,
    "experimental.set_step": set_step,
    "experimental.get_step": get_step,
}.items():
    export_value("summary." + _name, _value)
del _name, _value
