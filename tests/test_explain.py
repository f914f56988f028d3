"""tape.explain: one test per reason a gradient is None, and none invented for a real one."""

import pytest

import jaxtape as tf


def _reason(t, target, source):
    return t.explain(target, source).reason


def test_connected_gets_no_invented_reason():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as t:
        y = x * x
    r = t.explain(y, x)
    assert r.reason == "connected" and not r.is_none and t.gradient(y, x) is not None


def test_each_none_reason():
    x = tf.Variable(2.0, name="x")
    i = tf.Variable(3, name="i")
    c_before = tf.constant(3.0)
    derived_before = x + 1.0
    frozen = tf.Variable(1.0, trainable=False, name="frozen")
    unread = tf.Variable(5.0, name="unread")
    with tf.GradientTape(persistent=True) as t:
        c_inside = tf.constant(4.0)
        y = x * c_before + frozen + derived_before + c_inside * 1.0 + tf.cast(i, tf.float32)
        z = tf.stop_gradient(x) * 2.0
        r = tf.round(x) * 3.0
        a = tf.cast(tf.argmax(tf.stack([x, x * 2.0])), tf.float32)
        f = float(x * 2.0) * c_before
        with t.stop_recording():
            paused = x * 3.0
        other = tf.Variable(7.0)
    after = x * 5.0
    with tf.GradientTape() as t2:  # kept alive: it holds the record of on_other
        on_other = x * x
    expected = [
        (y, i, "integer_dtype"),
        (y, c_before, "before_tape"),
        (y, derived_before, "before_tape"),
        (y, c_inside, "not_watched"),
        (y, frozen, "not_trainable"),
        (y, unread, "variable_not_read"),
        (z, x, "stop_gradient"),
        (r, x, "not_differentiable"),
        (a, x, "not_differentiable"),
        (f, x, "left_tape"),
        (paused, x, "target_not_recorded"),
        (after, x, "target_not_recorded"),
        (on_other, x, "target_not_recorded"),
        (y * 0.0 + other * 0.0, tf.Variable(1.0), "variable_not_read"),
    ]
    for target, source, reason in expected:
        got = t.explain(target, source)
        assert t.gradient(target, source) is None, reason
        assert got.reason == reason, (reason, str(got))
        assert str(got)  # a readable sentence
    assert "Round" in str(t.explain(r, x)) and "tape.watch" in str(t.explain(y, frozen))
    assert "different tape" in str(t.explain(on_other, x)) and t2 is not None
    assert "stop_recording" in str(t.explain(paused, x))


def test_reset_and_unconnected():
    x = tf.Variable(2.0)
    u = tf.Variable(1.0)
    c = tf.constant(1.0)
    with tf.GradientTape(persistent=True) as t:
        t.watch(c)
        y0 = x * c
        t.reset()
        y = x * 3.0
        u * 2.0
    assert _reason(t, y, c) == "after_reset"
    assert _reason(t, y0, x) == "after_reset"
    assert _reason(t, y, u) == "not_connected"


def test_nonpersistent_tape_keeps_reasons_for_nones():
    x = tf.Variable(2.0)
    frozen = tf.Variable(1.0, trainable=False)
    with tf.GradientTape() as t:
        y = x * frozen
    gx, gf = t.gradient(y, [x, frozen])
    assert gf is None and t.explain(y, frozen).reason == "not_trainable"
    with pytest.raises(RuntimeError, match="persistent=True"):
        t.explain(y, x)


def test_list_sources_keep_structure():
    x, w = tf.Variable(1.0), tf.Variable(2.0, trainable=False)
    with tf.GradientTape(persistent=True) as t:
        y = x * w
    reports = t.explain(y, {"x": x, "w": w})
    assert reports["x"].reason == "connected" and reports["w"].reason == "not_trainable"


def test_strict_mode_and_debug_sites():
    tf.debugging.set_strict_gradients(True)
    tf.debugging.set_gradient_debug(True)
    try:
        x = tf.Variable(2.0)
        with tf.GradientTape(persistent=True) as t:
            r = tf.round(x)
        report = t.explain(r, x)
        assert report.site is not None and report.site[0].endswith("test_explain.py")
        with pytest.raises(ValueError, match="Round"):
            t.gradient(r, x)
    finally:
        tf.debugging.set_strict_gradients(False)
        tf.debugging.set_gradient_debug(False)


def test_empty_target_list():
    x = tf.Variable(1.0)
    with tf.GradientTape() as t:
        x * 2.0
    assert t.gradient([], x) is None
    assert t.explain([], x).reason == "not_connected"


def test_sites_in_a_user_folder_named_jaxtape(tmp_path):
    """A user's own code in a folder named `jaxtape` (a clone of this repository) is user code:
    library frames are recognised by the package's directory, not by a path fragment."""
    import subprocess
    import sys

    folder = tmp_path / "jaxtape" / "src"
    folder.mkdir(parents=True)
    script = folder / "prog.py"
    script.write_text(
        "import jaxtape as tf\n"
        "tf.debugging.set_gradient_debug(True)\n"
        "x = tf.Variable(2.0)\n"
        "with tf.GradientTape(persistent=True) as t:\n"
        "    r = tf.round(x)\n"
        "print(t.explain(r, x).site)\n"
    )
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(tmp_path),
        timeout=120,
    )
    assert "prog.py" in out.stdout and "5)" in out.stdout, out.stdout + out.stderr
