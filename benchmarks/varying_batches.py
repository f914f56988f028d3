"""The cold path: an eager training loop whose batch size changes every step.

    python benchmarks/varying_batches.py [--steps 300] [--module jaxtape|tensorflow] [--lazy]

A 32-64-64-1 MLP, Keras SGD, step i on a batch of 1 + i rows (every step a new shape, so every
step is a new structure: nothing compiled before can be reused).  Prints the wall time of the
loop.  Run it under TF (in a scratch venv, `--module tensorflow`) for the side-by-side figure.
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--module", default="jaxtape")
    p.add_argument("--lazy", action="store_true")
    args = p.parse_args(argv)
    tf = importlib.import_module(args.module)
    if args.lazy:
        tf.config.experimental.set_lazy_eager(True)
    rs = np.random.RandomState(0)
    params = []
    for a, b in zip((32, 64, 64), (64, 64, 1)):
        params.append(tf.Variable(rs.normal(0, 0.2, (a, b)).astype("float32")))
        params.append(tf.Variable(np.zeros(b, "float32")))
    opt = tf.keras.optimizers.SGD(0.01)
    data = rs.normal(size=(args.steps + 1, 32)).astype("float32")
    t0 = time.perf_counter()
    for i in range(args.steps):
        x = tf.constant(data[: i + 1])
        y = tf.reduce_sum(x, axis=1, keepdims=True)
        with tf.GradientTape() as tape:
            h = x
            for j in range(3):
                h = tf.matmul(h, params[2 * j]) + params[2 * j + 1]
                if j < 2:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean((h - y) ** 2)
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
    final = float(loss)
    print(
        "%s%s: %d steps, %.2f s, last loss %.4f"
        % (args.module, " (lazy)" if args.lazy else "", args.steps, time.perf_counter() - t0, final)
    )


if __name__ == "__main__":
    main()
