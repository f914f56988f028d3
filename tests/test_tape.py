"""GradientTape semantics (TF 2.21's, as measured), in the project's own words."""

import collections

import numpy as np
import pytest

import jaxtape as tf
from jaxtape.testing import assert_allclose

import re

NONPERSISTENT = re.escape(
    "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)"
)


def test_basic_gradient_and_nonpersistent_reuse():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y1 = x**2
        y2 = x**3
    assert float(tape.gradient(y1, x)) == 4.0
    with pytest.raises(RuntimeError, match=NONPERSISTENT):
        tape.gradient(y2, x)


def test_persistent_tape_many_gradients():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y1, y2, y3 = x**2, x**3, 4 * x + 1
    assert [float(tape.gradient(y, x)) for y in (y1, y2, y3)] == [4.0, 12.0, 4.0]
    assert float(tape.gradient([y1, y2], x)) == 16.0


def test_watch_rules():
    c = tf.constant([1.0, 2.0])
    nt = tf.Variable(3.0, trainable=False)
    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as t:
        y = tf.reduce_sum(c * c) + nt * nt + v * v
    assert t.gradient(y, c) is None and t.gradient(y, nt) is None
    assert float(t.gradient(y, v)) == 6.0
    with tf.GradientTape() as t2:
        t2.watch([c, nt])
        y = tf.reduce_sum(c * c) * nt
    gc, gnt = t2.gradient(y, [c, nt])
    assert_allclose(gc, [6.0, 12.0]) and float(gnt) == 5.0


def test_tensor_derived_outside_the_tape_is_not_watched():
    x = tf.Variable(2.0)
    z = x * 3.0
    with tf.GradientTape(persistent=True) as t:
        y = z * z
    assert t.gradient(y, z) is None and t.gradient(y, x) is None


def test_intermediate_sources_are_probes():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        z = x * 3.0
        y = z * z
    assert float(t.gradient(y, z)) == 12.0 and float(t.gradient(y, x)) == 36.0
    dz, dx = t.gradient(y, [z, x])
    assert float(dz) == 12.0 and float(dx) == 36.0


def test_dx_dx_is_ones_even_unwatched():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as t:
        pass
    assert_allclose(t.gradient(x, x), [1.0, 1.0])
    v = tf.Variable([1.0, 2.0])
    assert_allclose(t.gradient(v, v), [1.0, 1.0])


def test_integer_sources_and_targets(jaxtape_log):
    i = tf.Variable([1, 2], name="i")
    x = tf.Variable([1.5, 2.5])
    with tf.GradientTape(persistent=True) as t:
        y = tf.identity(i)
        n = tf.cast(x, tf.int32) * 2
        s = tf.reduce_sum(x)
    assert t.gradient(y, i) is None and t.gradient(n, x) is None
    assert_allclose(t.gradient([n, s], x), [1.0, 1.0])
    zeros = t.gradient(s, i, unconnected_gradients="zero")
    assert zeros.dtype is tf.int32 and zeros.numpy().tolist() == [0, 0]
    assert [v.name for v in t.watched_variables()] == ["i:0", "Variable:0"]
    with tf.GradientTape() as t3:
        t3.watch(tf.constant(3))
    assert "must be floating (e.g. tf.float32), got tf.int32" in jaxtape_log.text


def test_gradient_dtype_follows_source():
    for dt in (tf.float16, tf.bfloat16, tf.float64):
        x = tf.constant([0.5, 1.5], dtype=dt)
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.reduce_sum(tf.cast(x, tf.float32) ** 2)
        assert t.gradient(y, x).dtype is dt


def test_complex_gradients_are_conjugated_like_tf():
    z = tf.constant([1.0 + 2.0j], dtype=tf.complex64)
    with tf.GradientTape(persistent=True) as t:
        t.watch(z)
        sq = z * z
        ab = tf.abs(z) ** 2
    assert complex(t.gradient(sq, z)[0]) == 2 - 4j
    assert complex(t.gradient(ab, z)[0]) == pytest.approx(2 + 4j)


def test_non_differentiable_and_no_gradient_ops():
    x = tf.Variable([0.4, 1.6])
    with tf.GradientTape(persistent=True) as t:
        am = tf.argmax(x)
        rd = tf.round(x)
        sg = tf.sign(x)
        fin = tf.math.is_finite(x)
        sgx = x * tf.stop_gradient(x)
    assert t.gradient(am, x) is None and t.gradient(rd, x) is None
    assert_allclose(t.gradient(rd, x, unconnected_gradients="zero"), [0.0, 0.0])
    assert_allclose(t.gradient(sg, x), [0.0, 0.0])  # registered, zero: not None
    assert_allclose(t.gradient(sgx, x), [0.4, 1.6])
    with pytest.raises(LookupError, match="no entry for: IsFinite"):
        t.gradient(fin, x)
    with pytest.raises(LookupError):
        t.gradient(fin, x, unconnected_gradients="zero")


def test_assign_breaks_the_chain():
    x = tf.Variable(2.0)
    v = tf.Variable(0.0)
    with tf.GradientTape(persistent=True) as t:
        v.assign(x * 3.0)
        y = v * v
    assert t.gradient(y, x) is None and float(t.gradient(y, v)) == 12.0
    u = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as t:
        a = u * 2.0
        u.assign_add(3.0)
        b = u * 2.0
        c = a * b
    assert float(t.gradient(c, u)) == 2.0 * 8.0 + 2.0 * 2.0


Pair = collections.namedtuple("Pair", "first second")


def test_result_structure_follows_sources():
    a, b = tf.Variable(2.0), tf.Variable([1.0, -1.0])
    with tf.GradientTape(persistent=True) as t:
        y = a * a * tf.reduce_sum(b)
    g = t.gradient(y, {"zz": a, "aa": b})
    assert list(g) == ["zz", "aa"]
    p = t.gradient(y, Pair(a, b))
    assert isinstance(p, Pair)
    assert t.gradient(y, []) == [] and t.gradient(y, (a,)).__class__ is tuple
    assert t.gradient([], a) is None


def test_output_gradients():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape(persistent=True) as t:
        y = x * x
    assert_allclose(
        t.gradient(y, x, output_gradients=tf.constant([1.0, 0.0, -2.0])), [2.0, 0.0, -12.0]
    )
    assert_allclose(t.gradient(y, x, output_gradients=tf.constant(2.0)), [4.0, 8.0, 12.0])
    with pytest.raises(tf.errors.InvalidArgumentError):
        t.gradient(y, x, output_gradients=tf.constant([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        t.gradient(y, x, output_gradients=tf.constant([1.0, 2.0, 3.0], tf.float64))
    with pytest.raises(ValueError):
        t.gradient([y, y], x, output_gradients=[tf.constant([1.0, 2.0, 3.0])])


def test_bad_arguments():
    x = tf.Variable(1.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * 2.0
    with pytest.raises(TypeError, match="Argument `target` should be a list"):
        t.gradient(None, x)
    for bad in (3.0, None, np.array(1.0), [x, None], "x"):
        with pytest.raises((TypeError, ValueError, AttributeError)):
            t.gradient(y, bad)
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients: 'ZERO'"):
        t.gradient(y, x, unconnected_gradients="ZERO")
    with pytest.raises(ValueError, match="Passed in object 3.0 of type 'float'"):
        with tf.GradientTape() as t2:
            t2.watch(3.0)


def test_lifecycle_reset_stop_recording_reenter():
    x = tf.Variable(3.0)
    with tf.GradientTape() as t:
        y1 = x * x
        t.reset()
        z = y1 + 5.0 * x
    assert float(t.gradient(z, x)) == 5.0
    with tf.GradientTape(persistent=True) as t:
        with t.stop_recording():
            a = x**2
        b = x * 3.0
    assert t.gradient(a, x) is None and float(t.gradient(b, x)) == 3.0
    with pytest.raises(ValueError, match="Tape is not recording"):
        t.reset()
    with pytest.raises(RuntimeError, match="Trying to stop recording"):
        with tf.GradientTape().stop_recording():
            pass
    t = tf.GradientTape(persistent=True)
    with t:
        y = x * x
    skipped = x * 10.0
    with t:
        z = y * x
    assert float(t.gradient(z, x)) == 27.0 and t.gradient(skipped, x) is None
    with pytest.raises(ValueError):
        with t:
            with t:
                pass


def test_gradient_inside_context(jaxtape_log):
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = x**3
        g = t.gradient(y, x)
        z = g * x  # not recorded: the non-persistent tape stopped
    assert float(g) == 12.0 and "persistent tape inside its context" not in jaxtape_log.text
    with tf.GradientTape(persistent=True) as t:
        y = x**3
        g = t.gradient(y, x)
        z = g * x
    assert float(t.gradient(z, x)) == 12.0 + 2.0 * 12.0  # d(3x^2 * x) = 9x^2 = 36
    assert "persistent tape inside its context" in jaxtape_log.text


@pytest.mark.parametrize(
    "fn, expected",
    [
        (lambda x: x**3, [12.0, 12.0, 6.0]),
        (lambda x: tf.sin(x), [np.cos(2.0), -np.sin(2.0), -np.cos(2.0)]),
    ],
)
def test_higher_order(fn, expected):
    x = tf.Variable(2.0)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = fn(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert_allclose([d1, d2, d3], expected, rtol=1e-6)


def test_higher_order_is_structural():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = 3.0 * x
        dy = t1.gradient(y, x)
    assert float(dy) == 3.0 and t2.gradient(dy, x) is None
    x = tf.Variable(1.5)
    with tf.GradientTape() as t4:
        with tf.GradientTape() as t3:
            with tf.GradientTape() as t2:
                with tf.GradientTape() as t1:
                    y = x**3
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        d3 = t3.gradient(d2, x)
    d4 = t4.gradient(d3, x)
    assert float(d3) == 6.0 and d4 is not None and float(d4) == 0.0  # TF: 0.0, not None


def test_two_tapes_record_independently():
    a, b = tf.constant(2.0), tf.constant(5.0)
    with tf.GradientTape(persistent=True) as ta, tf.GradientTape(persistent=True) as tb:
        ta.watch(a)
        tb.watch(b)
        y = a * b
    assert float(ta.gradient(y, a)) == 5.0 and ta.gradient(y, b) is None
    assert tb.gradient(y, a) is None and float(tb.gradient(y, b)) == 2.0


def test_watched_variables_order_and_contents():
    a, b, c = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b"), tf.Variable(3.0, name="c")
    hidden = tf.Variable(1.0, name="hidden")
    with tf.GradientTape() as t:
        with t.stop_recording():
            hidden * 2.0
        y = c * b * a
    assert [v.name for v in t.watched_variables()] == ["a:0", "b:0", "c:0"]
    assert t.watched_variables()[0] is a
    t.gradient(y, a)
    assert len(t.watched_variables()) == 3  # still available after a non-persistent gradient


def test_gradient_through_indexing_accumulates():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as g:
        y = x[0] * x[0] + x[0] + x[2]
    assert_allclose(g.gradient(y, x), [3.0, 0.0, 1.0])
    with tf.GradientTape() as g:
        total = 0.0
        for i, e in enumerate(x):
            total = total + e * float(i + 1)
    assert_allclose(g.gradient(total, x), [1.0, 2.0, 3.0])


def test_tapes_are_thread_local():
    import threading

    x = tf.Variable(2.0)
    seen = {}

    def other():
        y = x * x  # this thread has no tape
        seen["y"] = y

    with tf.GradientTape() as t:
        th = threading.Thread(target=other)
        th.start()
        th.join()
    assert t.gradient(seen["y"], x) is None
