"""Soak: 10,000 eager training steps of a small MLP; resident memory must stay flat.

    python benchmarks/soak.py [--steps 10000]

Prints RSS (from /proc/self/statm) every 500 steps and the growth over the second half.
"""

import argparse
import os
import sys
import time


import jaxtape as tf


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=10000)
    args = p.parse_args(argv)
    tf.random.set_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((16,)),
            tf.keras.layers.Dense(32, activation="relu"),
            tf.keras.layers.Dense(1),
        ]
    )
    opt = tf.keras.optimizers.Adam(1e-3)
    x = tf.random.normal((64, 16))
    y = tf.random.normal((64, 1))
    curve = []
    t0 = time.time()
    for step in range(1, args.steps + 1):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        if step % 500 == 0:
            curve.append((step, rss_mb()))
            print(
                "step %5d  RSS %.1f MB  loss %.4f  %.0f s"
                % (step, curve[-1][1], float(loss), time.time() - t0),
                flush=True,
            )
    half = [r for s, r in curve if s > args.steps // 2]
    print(
        "growth over the second half: %+.1f MB (%.3f MB per 1000 steps)"
        % (half[-1] - half[0], (half[-1] - half[0]) / max(1, (args.steps // 2) / 1000))
    )
    print("cache:", tf.cache_info())
    return 0 if half[-1] - half[0] < 20 else 1


if __name__ == "__main__":
    sys.exit(main())
