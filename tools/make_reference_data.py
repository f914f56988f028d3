"""Record reference data from real TensorFlow 2.21 for the tests (needs TensorFlow; not run in CI).

    python -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install 'tensorflow-cpu==2.21.*'
    /tmp/tfvenv/bin/python tools/make_reference_data.py

Writes tests/data/optimizer_trajectories.npz (each Keras 3 optimizer fed the same gradients for
100 steps), tests/data/random_streams.npz (seeded random ops) and
tests/data/random_function_keras.npz (random ops inside tf.function over three calls and after
a re-seed; Keras 3 initializers and Dropout after keras.utils.set_random_seed) and
tests/data/random_ulp_samples.npz (4096-value draws per function and mode, for the ulp table in
docs/random.md: `python tools/random_ulps.py`).
"""

import os
import sys

import keras
import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data")

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
)
import optimizer_specs  # noqa: E402
import random_specs  # noqa: E402

OPTIMIZERS = {
    name: (lambda name=name: optimizer_specs.make(tf, name)) for name in optimizer_specs.SPECS
}


def gradients(steps=100, n=5):
    rng = np.random.default_rng(1234)
    return rng.normal(size=(steps, n)).astype(np.float32)


def optimizer_trajectories():  # noqa: D103
    grads = gradients()
    out = {"grads": grads, "init": np.linspace(-1.0, 1.0, 5).astype(np.float32)}
    for name, make in OPTIMIZERS.items():
        v = tf.Variable(out["init"])
        opt = make()
        traj = [v.numpy().copy()]
        for g in grads:
            opt.apply_gradients([(tf.constant(g), v)])
            traj.append(v.numpy().copy())
        out[name] = np.stack(traj)
    np.savez(os.path.join(OUT, "optimizer_trajectories.npz"), **out)


def random_streams():
    out = {}
    for seed in (0, 1, 42):
        tf.random.set_seed(seed)
        out["s%d_uniform_f32" % seed] = tf.random.uniform((3, 4)).numpy()
        out["s%d_uniform_f64" % seed] = tf.random.uniform((5,), dtype=tf.float64).numpy()
        out["s%d_uniform_i32" % seed] = tf.random.uniform((6,), maxval=10, dtype=tf.int32).numpy()
        out["s%d_uniform_i64" % seed] = tf.random.uniform(
            (6,), minval=-5, maxval=1000, dtype=tf.int64
        ).numpy()
        out["s%d_uniform_range" % seed] = tf.random.uniform((7,), -20, 20).numpy()
        out["s%d_normal_f32" % seed] = tf.random.normal((9,)).numpy()
        out["s%d_normal_f64" % seed] = tf.random.normal((4,), dtype=tf.float64).numpy()
        out["s%d_normal_ms" % seed] = tf.random.normal((2, 3), mean=1.0, stddev=2.0).numpy()
        out["s%d_truncated" % seed] = tf.random.truncated_normal((11,)).numpy()
        out["s%d_opseed_a" % seed] = tf.random.uniform((3,), seed=5).numpy()
        out["s%d_opseed_b" % seed] = tf.random.uniform((3,), seed=5).numpy()
        out["s%d_shuffle" % seed] = tf.random.shuffle(tf.range(10)).numpy()
        out["s%d_categorical" % seed] = tf.random.categorical(
            tf.math.log([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]]), 6
        ).numpy()
    for seed in ([1, 2], [7, 123456789]):
        k = "sl%d_%d" % tuple(seed)
        out[k + "_uniform"] = tf.random.stateless_uniform((3, 5), seed=seed).numpy()
        out[k + "_uniform_f64"] = tf.random.stateless_uniform(
            (4,), seed=seed, dtype=tf.float64
        ).numpy()
        out[k + "_uniform_int"] = tf.random.stateless_uniform(
            (8,), seed=seed, minval=-3, maxval=50, dtype=tf.int32
        ).numpy()
        out[k + "_normal"] = tf.random.stateless_normal((7,), seed=seed).numpy()
        out[k + "_truncated"] = tf.random.stateless_truncated_normal((9,), seed=seed).numpy()
    for seed in (1, 42):
        g = tf.random.Generator.from_seed(seed)
        k = "gen%d" % seed
        out[k + "_u1"] = g.uniform((5,)).numpy()
        out[k + "_u2"] = g.uniform((2, 3), minval=-1, maxval=1).numpy()
        out[k + "_n"] = g.normal((6,)).numpy()
        out[k + "_int"] = g.uniform((4,), maxval=100, dtype=tf.int64).numpy()
        out[k + "_tn"] = g.truncated_normal((5,)).numpy()
        out[k + "_state"] = g.state.numpy()
    np.savez(os.path.join(OUT, "random_streams.npz"), **out)


def random_in_function_and_keras():
    out = {}
    for seed in (0, 42):
        tf.random.set_seed(seed)
        g = tf.random.Generator.from_seed(seed + 1)
        step = random_specs.function_draws(tf, g)
        pair = tf.constant([seed, 9], tf.int32)
        for call in range(3):
            for k, v in step(pair).items():
                out["fn%d_c%d_%s" % (seed, call, k)] = v.numpy()
        tf.random.set_seed(seed)  # resets the kernels' state, not the trace's op seeds
        for k, v in step(pair).items():
            out["fn%d_reset_%s" % (seed, k)] = v.numpy()
    for seed in (1, 7):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential(
            [
                keras.Input((4,)),
                keras.layers.Dense(3),
                keras.layers.Dense(2, kernel_initializer="he_normal"),
            ]
        )
        for i, w in enumerate(model.weights):
            out["keras%d_w%d" % (seed, i)] = w.numpy()
        out["keras%d_lecun" % seed] = keras.initializers.LecunNormal()((3, 2)).numpy()
        out["keras%d_randnormal" % seed] = keras.initializers.RandomNormal(seed=11)((4,)).numpy()
        drop = keras.layers.Dropout(0.4)
        out["keras%d_drop1" % seed] = drop(tf.ones((10,)), training=True).numpy()
        out["keras%d_drop2" % seed] = drop(tf.ones((10,)), training=True).numpy()
        seeded = keras.layers.Dropout(0.5, seed=seed)

        @tf.function
        def drop_step(x):
            return seeded(x, training=True)  # noqa: B023

        out["keras%d_fndrop1" % seed] = drop_step(tf.ones((8,))).numpy()
        out["keras%d_fndrop2" % seed] = drop_step(tf.ones((8,))).numpy()
    np.savez(os.path.join(OUT, "random_function_keras.npz"), **out)


def ulp_samples():
    """Larger normal-family samples, eager and inside tf.function, for the ulp table."""
    out = {k: v.numpy() for k, v in random_specs.ulp_draws(tf).items()}
    np.savez(os.path.join(OUT, "random_ulp_samples.npz"), **out)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    optimizer_trajectories()
    random_streams()
    random_in_function_and_keras()
    ulp_samples()
    print("wrote", OUT)
