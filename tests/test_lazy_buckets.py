"""Lazy eager's bucketed segments (buckets.py): a loop whose batch size changes every step is
compiled once per bucket of sizes, its inputs zero-padded; values as op-by-op execution computes
them up to the order of the additions over the batch (padded sums and matmuls round in another
order), every output cut to its true shape, and a structure with an op that has no exact rule
on padded rows runs unbucketed (bit for bit as op by op)."""

from __future__ import annotations

import numpy as np
import pytest

import jaxtape as tf
from jaxtape._src import buckets, lazy

# Rounding noise allowed, relative to the largest magnitude of the compared value: a padded
# reduction or matmul adds the same terms (and zeros) in another order; measured <= ~2 eps per
# step here (7 eps on a 100-term sum that cancels), so 16 eps leaves room but catches a wrong
# row, count or mask (those are off by whole terms).
EPS = 16 * np.finfo(np.float32).eps


def _close(a, b, floor=1e-30):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    scale = max(float(np.abs(a).max()), floor) if a.size else 1.0
    assert np.abs(a - b).max(initial=0) <= EPS * scale, (a, b)


def _params(seed=0):
    rs = np.random.RandomState(seed)
    shapes = [(6, 12), (12,), (12, 1), (1,)]
    return [tf.Variable(rs.normal(0, 0.5, s).astype("float32")) for s in shapes]


DATA = np.random.RandomState(1).normal(size=(64, 6)).astype("float32")


def _step(params, n, loss_fn=None, watch_x=False):
    """One gradient step's values on the first `n` rows (no update: every step starts from the
    same parameters, so the modes' rounding cannot compound)."""
    x = tf.constant(DATA[:n])
    y = tf.reduce_sum(x, axis=1, keepdims=True)
    with tf.GradientTape() as tape:
        if watch_x:
            tape.watch(x)
        h = tf.nn.relu(tf.matmul(x, params[0]) + params[1])
        h = tf.matmul(h, params[2]) + params[3]
        loss = loss_fn(h, y) if loss_fn else tf.reduce_mean((h - y) ** 2)
    grads = tape.gradient(loss, params + [x] if watch_x else params)
    float(loss)  # a loop's read: the step's segment runs (the other values stay pending)
    return [loss, h, y] + grads


def _both(sizes, **kw):
    """Each size's step op by op, then in lazy eager (one warm-up size first, as a loop's
    first steps); the lazy values, read after the loop, and the op-by-op ones."""
    params = _params()
    want = [[t.numpy() for t in _step(params, n, **kw)] for n in sizes]
    tf.config.experimental.set_lazy_eager(True)
    before = dict(lazy.STATS)
    got = [_step(params, n, **kw) for n in sizes]  # pending values, cut when read below
    got = [[t.numpy() for t in step] for step in got]
    stats = {k: lazy.STATS[k] - before[k] for k in before}
    return want, got, stats


@pytest.mark.parametrize("cheap", [False, True])
def test_a_loop_of_new_batch_sizes_compiles_once_per_bucket(lazy_on, pin_ladder, cheap):
    # a cheap family (its call far faster than a compile) skips buckets: 8 then 64
    pin_ladder(cheap)
    tf.config.experimental.set_lazy_eager(False)
    sizes = [2, 3, 5, 8, 9, 12, 16, 17, 23, 30]
    want, got, stats = _both(sizes)
    # buckets 8, 16, 32 (the first size runs op by op: nothing to compare it with)
    assert stats["bucket_compiles"] == (2 if cheap else 3)
    assert stats["bucketed_calls"] == len(sizes) - 1
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            _close(a, b)


def test_a_padded_input_gradient_and_a_mean_over_every_axis(lazy_on):
    tf.config.experimental.set_lazy_eager(False)
    want, got, stats = _both(
        [3, 5, 7, 13], loss_fn=lambda h, y: tf.reduce_mean(h * y), watch_x=True
    )
    assert stats["bucketed_calls"] == 3
    for w, g in zip(want, got):
        assert g[-1].shape == w[-1].shape  # d loss / d x: cut to the true rows
        for a, b in zip(w, g):
            _close(a, b)


def test_padded_rows_that_overflow_do_not_reach_the_gradient(lazy_on):
    # log of a padded row's zero is -inf, and its derivative inf: the mask after each op keeps
    # both out of the sums over the batch (a NaN would otherwise reach every weight's gradient)
    tf.config.experimental.set_lazy_eager(False)

    def loss_fn(h, y):
        return tf.reduce_mean(tf.math.log(tf.abs(h) + tf.abs(y)) * 0.5)

    want, got, stats = _both([4, 6, 9, 11], loss_fn=loss_fn)
    assert stats["bucketed_calls"] == 3
    for w, g in zip(want, got):
        assert all(np.isfinite(v).all() for v in g)
        for a, b in zip(w, g):
            _close(a, b)


def test_an_op_without_an_exact_rule_runs_unbucketed_bit_for_bit(lazy_on):
    # a max over the batch is not exact on zero-padded rows (all rows may be negative)
    tf.config.experimental.set_lazy_eager(False)
    want, got, stats = _both([3, 5, 7], loss_fn=lambda h, y: tf.reduce_max(h - y - 100.0))
    assert stats["bucketed_calls"] == 0
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            np.testing.assert_array_equal(a, b)


def test_a_bucketed_output_is_cut_to_its_true_shape_and_joins_later_ops(lazy_on):
    params = _params()
    outs = [_step(params, n) for n in (3, 4, 5)]
    h = outs[-1][1]
    assert h.shape == (5, 1)
    later = tf.reduce_sum(h * 2.0)  # a new segment takes the cut value as its input
    np.testing.assert_allclose(later.numpy(), 2.0 * h.numpy().sum(), rtol=1e-6)
    assert lazy.STATS["bucketed_calls"] > 0


def test_shapes_inferred_from_earlier_sizes_still_raise_at_the_line(lazy_on):
    params = _params()
    for n in (3, 4, 5):
        _step(params, n)
    x = tf.constant(DATA[:6])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(x, params[2])  # (6, 6) @ (12, 1): no earlier pair of sizes matches
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.add(tf.matmul(x, params[0]), tf.zeros([11]))  # (6, 12) + (11,)


def test_bucket_sizes():
    assert [buckets.bucket(n) for n in (1, 8, 9, 16, 17, 300)] == [8, 8, 16, 16, 32, 512]


def _rules_step(table, w, n):
    """Ops with padding rules beyond the MLP's: a gather of embeddings at padded ids, concat,
    transpose, expand/squeeze, one-hot, the softmax cross-entropies, argmax."""
    ids = tf.constant(np.arange(n) % 7)
    labels = tf.constant(np.arange(n) % 3)
    with tf.GradientTape() as tape:
        e = tf.gather(table * 1.0, ids)  # (n, 4); of the table itself, an IndexedSlices gradient
        h = tf.concat([e, e * 2.0], axis=1)  # (n, 8)
        h = tf.transpose(tf.transpose(h))
        h = tf.squeeze(tf.expand_dims(h, 1), axis=1)
        logits = tf.matmul(h, w)  # (n, 3)
        a = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
        b = tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(labels, 3), logits)
        loss = tf.reduce_mean(a) + tf.reduce_sum(b) / 10.0
    grads = tape.gradient(loss, [table, w])
    pred = tf.argmax(logits, axis=1)
    float(loss)
    return [loss, logits, pred] + grads


def test_gathers_concats_transposes_and_cross_entropies_are_bucketed(lazy_on):
    tf.config.experimental.set_lazy_eager(False)
    rs = np.random.RandomState(0)
    table = tf.Variable(rs.normal(size=(7, 4)).astype("float32"))
    w = tf.Variable(rs.normal(size=(8, 3)).astype("float32"))
    sizes = [3, 5, 6, 11, 13]
    want = [[t.numpy() for t in _rules_step(table, w, n)] for n in sizes]
    tf.config.experimental.set_lazy_eager(True)
    b0 = lazy.STATS["bucketed_calls"]
    got = [_rules_step(table, w, n) for n in [2] + sizes][1:]
    got = [[t.numpy() for t in step] for step in got]
    assert lazy.STATS["bucketed_calls"] - b0 == len(sizes)
    for w_, g in zip(want, got):
        np.testing.assert_array_equal(w_[2], g[2])  # argmax
        for a, b in zip(w_, g):
            _close(a, b)


# Random programs over a batch: ops with padding rules, and some without (a max, a matmul giving
# two padded axes) that must make the structure run unbucketed; checked against op by op.
_UNARY = [tf.nn.relu, tf.tanh, tf.sigmoid, tf.exp, lambda t: tf.math.log(tf.abs(t) + 0.5)]
_REDUCE = [
    lambda t: tf.reduce_mean(t, axis=0),
    lambda t: tf.reduce_sum(t, axis=0, keepdims=True),
    lambda t: tf.reduce_mean(t, axis=1, keepdims=True),
    lambda t: tf.reduce_sum(t),
    lambda t: tf.reduce_mean(t),
    lambda t: tf.reduce_max(t, axis=1, keepdims=True),  # Max: no rule
]
_NO_RULE = 5


def _program(seed):
    rs = np.random.RandomState(seed)
    ops = [
        (("unary", "matmul", "bias", "softmax", "sqdiff", "concat", "outer")[k], rs.randint(5))
        for k in rs.randint(7, size=rs.randint(3, 7))
    ]
    return ops, rs.randint(len(_REDUCE))


def _bucketable(prog):
    ops, red = prog
    return red != _NO_RULE and all(kind != "outer" for kind, _ in ops)


def _run_program(prog, w, n):
    ops, red = prog
    x = tf.constant(DATA[:n])
    with tf.GradientTape() as tape:
        h = tf.matmul(x, w[:6])
        for kind, a in ops:
            if kind == "unary":
                h = _UNARY[a](h)
            elif kind == "matmul":
                h = tf.matmul(h, w[6:])
            elif kind == "bias":
                h = h + tf.range(6, dtype=tf.float32) * 0.1
            elif kind == "softmax":
                h = tf.nn.softmax(h)
            elif kind == "sqdiff":
                h = tf.math.squared_difference(h, tf.reduce_sum(x, axis=1, keepdims=True))
            elif kind == "concat":
                h = tf.matmul(tf.concat([h, h * 0.5], axis=1), w)
            else:  # (n, n) @ (n, 6): two padded axes meet
                h = tf.matmul(h, tf.transpose(h)) @ h * 0.01
        out = _REDUCE[red](h)
        loss = tf.reduce_sum(out)
    g = tape.gradient(loss, w)
    float(loss)
    return [out, g]


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_match_op_by_op(lazy_on, seed):
    tf.config.experimental.set_lazy_eager(False)
    prog = _program(seed)
    w = tf.Variable(np.random.RandomState(99).normal(0, 0.4, (12, 6)).astype("float32"))
    sizes = [3, 6, 10, 17]
    want = [[t.numpy() for t in _run_program(prog, w, n)] for n in sizes]
    tf.config.experimental.set_lazy_eager(True)
    s0 = dict(lazy.STATS)
    got = [_run_program(prog, w, n) for n in [2] + sizes][1:]
    got = [[t.numpy() for t in step] for step in got]
    d = {k: lazy.STATS[k] - s0[k] for k in s0}
    # each step is one segment (and a few one-op ones, never bucketed): after the first size,
    # bucketed unless it holds an op without a rule
    assert d["bucketed_calls"] == (len(sizes) if _bucketable(prog) else 0)
    for w_, g in zip(want, got):
        for a, b in zip(w_, g):
            # scaled by at least 1: a gradient may be pure cancellation (d/dx of a sum of a
            # softmax is 0, computed as rounding noise of the O(1) terms)
            _close(a, b, floor=1.0)


def test_a_variable_divided_by_padded_rows_gets_a_finite_gradient(lazy_on):
    # d(b / x)/db = 1/x is infinite at a padded row (x = 0 there); the padded part of b's
    # broadcast is zeroed before the op, so its gradient sums finite terms only
    tf.config.experimental.set_lazy_eager(False)

    params = _params()

    def step(n):
        x = tf.constant(DATA[:n])
        with tf.GradientTape() as tape:
            d = tf.reduce_sum(tf.abs(x), axis=1, keepdims=True) + 0.1  # (n, 1), > 0
            loss = tf.reduce_mean(params[3] / d)
        g = tape.gradient(loss, params[3])
        float(loss)
        return [loss, g]

    sizes = [3, 5, 6]
    want = [[t.numpy() for t in step(n)] for n in sizes]
    tf.config.experimental.set_lazy_eager(True)
    b0 = lazy.STATS["bucketed_calls"]
    got = [[t.numpy() for t in step(n)] for n in [2] + sizes][1:]
    assert lazy.STATS["bucketed_calls"] - b0 == len(sizes)
    for w, g in zip(want, got):
        assert np.isfinite(g[1]).all()
        for a, b in zip(w, g):
            _close(a, b)


def test_sizes_seen_again_stay_in_their_bucket(lazy_on, pin_ladder):
    # a loop cycling through batch sizes: the second pass compiles nothing (one executable per
    # size would be compiled and kept otherwise: measured ~1 GB over 300 sizes)
    pin_ladder()
    params = _params()
    sizes = [3, 5, 6, 9, 11]
    for n in [2] + sizes:
        _step(params, n)
    s0 = dict(lazy.STATS)
    for n in sizes:
        _step(params, n)
    d = {k: lazy.STATS[k] - s0[k] for k in s0}
    assert d["compiles"] == 0 and d["bucket_compiles"] == 0
    assert d["bucketed_calls"] == len(sizes)


def test_a_cheap_family_skips_buckets_until_its_padding_has_cost_a_compile(monkeypatch):
    monkeypatch.setattr(lazy, "CHEAP_SKIP", 4)
    ladder = lazy._Ladder()
    assert ladder.pick(3) == 8  # nothing measured yet: the next power of two
    ladder.compiled(8, 0.5)
    ladder.run_s[8] = 0.001
    assert ladder.pick(9) == 64  # a call costs 1/500 of a compile: 16 and 32 are skipped
    ladder.compiled(64, 0.5)
    ladder.run_s[64] = 0.002
    assert ladder.pick(33) == 64 and ladder.pick(12) == 64 and ladder.pick(5) == 8
    # size 12 in bucket 64 wastes 3/4 of each call (0.0015 s) that bucket 16 would save
    for _ in range(333):
        ladder.ran(12, 64)
    assert ladder.pick(12) == 64
    ladder.ran(12, 64)
    ladder.ran(12, 64)
    assert ladder.pick(12) == 16 and ladder.pick(9) == 16  # now worth its compile
    ladder.compiled(16, 0.5)
    assert ladder.pick(12) == 16 and ladder.pick(20) == 64 and ladder.pick(65) == 512
    # an expensive family (a call is 1/10 of a compile) gets every power of two
    slow = lazy._Ladder()
    slow.compiled(8, 0.5)
    slow.run_s[8] = 0.05
    assert slow.pick(9) == 16 and slow.pick(33) == 64


def test_a_label_check_reads_a_pending_cast_without_cutting_the_step(lazy_on):
    # Keras casts the labels before the cross-entropy's range check: the check computes the
    # cast on the host, and the step stays one segment (it cut a Keras step in two, and so
    # doubled its compiles)
    def run(labels):
        logits = tf.constant(np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3))
        with tf.GradientTape() as tape:
            tape.watch(logits)
            lab = tf.cast(tf.constant(labels), tf.int32)
            seg = lazy.current()
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=lab, logits=logits * 2.0)
            )
        grad = tape.gradient(loss, logits)
        return seg, loss, grad

    seg, loss, grad = run(np.array([0, 2, 1, 2], "int64"))
    assert seg is not None and lazy.current() is seg  # the check ran nothing
    got = [loss.numpy(), grad.numpy()]
    tf.config.experimental.set_lazy_eager(False)
    _, loss, grad = run(np.array([0, 2, 1, 2], "int64"))
    np.testing.assert_array_equal(got[0], loss.numpy())
    np.testing.assert_array_equal(got[1], grad.numpy())
    tf.config.experimental.set_lazy_eager(True)
    # an int64 label that wraps to an out-of-range int32 is still refused at the line
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 3 "):
        run(np.array([0, 2**32 + 3, 1, 2], "int64"))
    with pytest.raises(tf.errors.InvalidArgumentError, match="division by zero"):
        tf.constant([4, 5]) // tf.cast(tf.constant([1.0, 0.0]) > 0.5, tf.int32)


def test_a_keras_step_is_one_segment(lazy_on):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [tf.keras.Input((5,)), tf.keras.layers.Dense(8, "relu"), tf.keras.layers.Dense(3)]
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = tf.keras.optimizers.Adam(1e-2)
    rs = np.random.RandomState(0)
    x, y = rs.normal(size=(6, 5)).astype("float32"), rs.randint(0, 3, 6)

    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(tf.constant(y), model(tf.constant(x), training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for _ in range(3):
        step()
    lazy.flush()
    s0 = lazy.STATS["segments"]
    for _ in range(5):
        step()
    lazy.flush()
    assert lazy.STATS["segments"] - s0 == 5


def test_a_keras_step_with_dropout_is_one_bucketed_segment(lazy_on):
    # Dropout draws from a seed its SeedGenerator computes in the segment (read on the host by
    # lazy.peek) and keeps `zeros_like(x)` pending: every new batch size ran 2 segments and
    # compiled per-shape kernels (~80 ms a step); now one segment per step, per bucket compiles
    def run(lazy_mode):
        tf.config.experimental.set_lazy_eager(lazy_mode)
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential(
            [
                tf.keras.Input((5,)),
                tf.keras.layers.Dense(8, "relu"),
                tf.keras.layers.Dropout(0.3),
                tf.keras.layers.Dense(3),
            ]
        )
        loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        opt = tf.keras.optimizers.SGD(0.1)
        rs = np.random.RandomState(0)
        x, y = rs.normal(size=(20, 5)).astype("float32"), rs.randint(0, 3, 20)
        s0 = dict(lazy.STATS)
        losses = []
        for n in [2, 3, 5, 9]:
            with tf.GradientTape() as tape:
                loss = loss_fn(tf.constant(y[:n]), model(tf.constant(x[:n]), training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            losses.append(loss)
        lazy.flush()
        stats = {k: lazy.STATS[k] - s0[k] for k in s0}
        return [float(v) for v in losses], [w.numpy() for w in model.weights], stats

    want_l, want_w, _ = run(False)
    got_l, got_w, stats = run(True)
    assert stats["segments"] == 4 and stats["bucketed_calls"] == 3
    _close(np.array(want_l, "float32"), np.array(got_l, "float32"))
    for a, b in zip(want_w, got_w):
        _close(a, b)
