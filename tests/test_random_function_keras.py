"""Random ops inside `jaxtape.function` and Keras 3's own seeds, against TensorFlow 2.21
(`tests/data/random_function_keras.npz`, recorded by tools/make_reference_data.py).

Inside a function TF gives the graph's unseeded random ops op seeds 0, 1, 2, ... (with the
global seed of trace time) and keeps each op's kernel state across calls: every call draws new
values; `set_seed` resets the state but not the trace.  Uniform, integer, shuffle, categorical
and Generator/stateless uniform draws are bit-exact; normal-family draws are compared as in
test_random_streams (XLA's log/sin/cos: a few ulps)."""

import os

import numpy as np
import pytest

import jaxtape as tf
import random_specs

D = np.load(os.path.join(os.path.dirname(__file__), "data", "random_function_keras.npz"))
EXACT = ("uniform", "uniform_i32", "opseed", "shuffle", "categorical", "generator", "stateless")
CLOSE = ("normal", "truncated", "generator_n", "stateless_tn")


def _check(got, prefix):
    for k in EXACT:
        np.testing.assert_array_equal(got[k].numpy(), D[prefix + k], err_msg=prefix + k)
    for k in CLOSE:
        np.testing.assert_allclose(
            got[k].numpy(), D[prefix + k], rtol=1e-5, atol=1e-6, err_msg=prefix + k
        )


@pytest.mark.parametrize("seed", [0, 42])
def test_random_ops_inside_function_follow_tf_per_call(seed):
    tf.random.set_seed(seed)
    g = tf.random.Generator.from_seed(seed + 1)
    step = random_specs.function_draws(tf, g)
    pair = tf.constant([seed, 9], tf.int32)  # a traced seed argument
    for call in range(3):
        _check(step(pair), "fn%d_c%d_" % (seed, call))
    tf.random.set_seed(seed)
    _check(step(pair), "fn%d_reset_" % seed)
    assert step.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("seed", [1, 7])
def test_keras_initializers_and_dropout_follow_keras_seeds(seed):
    tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((4,)),
            tf.keras.layers.Dense(3),
            tf.keras.layers.Dense(2, kernel_initializer="he_normal"),
        ]
    )
    for i, w in enumerate(model.weights):
        np.testing.assert_allclose(w.numpy(), D["keras%d_w%d" % (seed, i)], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        tf.keras.initializers.LecunNormal()((3, 2)).numpy(),
        D["keras%d_lecun" % seed],
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        tf.keras.initializers.RandomNormal(seed=11)((4,)).numpy(),
        D["keras%d_randnormal" % seed],
        rtol=1e-5,
        atol=1e-6,
    )
    drop = tf.keras.layers.Dropout(0.4)
    for k in ("drop1", "drop2"):
        np.testing.assert_array_equal(
            drop(tf.ones((10,)), training=True).numpy(), D["keras%d_%s" % (seed, k)]
        )
    seeded = tf.keras.layers.Dropout(0.5, seed=seed)
    drop_step = tf.function(lambda x: seeded(x, training=True))
    for k in ("fndrop1", "fndrop2"):
        np.testing.assert_array_equal(drop_step(tf.ones((8,))).numpy(), D["keras%d_%s" % (seed, k)])


def test_int_seeded_initializer_repeats_and_global_seed_alone_does_not_fix_keras():
    init = tf.keras.initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(init((2, 2)).numpy(), init((2, 2)).numpy())
    # Keras draws unseeded initializer seeds from Python's `random` (as in TF + Keras 3), so
    # two layers built after the same tf.random.set_seed differ; keras.utils.set_random_seed
    # makes them equal
    weights = []
    for _ in range(2):
        tf.random.set_seed(0)
        weights.append(tf.keras.initializers.GlorotUniform()((3, 3)).numpy())
    assert not np.array_equal(*weights)
    weights = []
    for _ in range(2):
        tf.keras.utils.set_random_seed(0)
        weights.append(tf.keras.initializers.GlorotUniform()((3, 3)).numpy())
    np.testing.assert_array_equal(*weights)
