"""The cold path: an eager training loop whose batch size changes every step.

    python benchmarks/varying_batches.py [--steps 300] [--module jaxtape|tensorflow] [--lazy]
                                         [--model mlp|keras]

Step i trains on a batch of 1 + i rows (every step a new shape, so every step is a new
structure: nothing compiled before can be reused).  `mlp`: a 32-64-64-1 MLP of Variables with
Keras SGD; `keras`: a Keras Sequential classifier with Adam; `keras_dropout`: the same with a
Dropout layer.  Prints the wall time of the loop
(the model's construction excluded).  Run it under TF (in a scratch venv, `--module
tensorflow`) for the side-by-side figure.
"""

from __future__ import annotations

import argparse
import importlib
import time

import numpy as np


def mlp_step(tf, steps):
    """Variables and Keras SGD; `step(i)` trains on the first `i + 1` rows; returns the loss."""
    rs = np.random.RandomState(0)
    params = []
    for a, b in zip((32, 64, 64), (64, 64, 1)):
        params.append(tf.Variable(rs.normal(0, 0.2, (a, b)).astype("float32")))
        params.append(tf.Variable(np.zeros(b, "float32")))
    opt = tf.keras.optimizers.SGD(0.01)
    data = rs.normal(size=(steps + 1, 32)).astype("float32")

    def step(i):
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
        return loss

    return step


def keras_step(tf, steps, dropout=False):
    """A Keras Sequential classifier (Dense 64 relu, [Dropout 0.2,] Dense 10),
    SparseCategoricalCrossentropy from logits, Adam."""
    tf.keras.utils.set_random_seed(0)  # Keras 3's initializers ignore tf.random.set_seed
    layers = [tf.keras.Input((20,)), tf.keras.layers.Dense(64, activation="relu")]
    if dropout:
        layers.append(tf.keras.layers.Dropout(0.2))
    model = tf.keras.Sequential(layers + [tf.keras.layers.Dense(10)])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = tf.keras.optimizers.Adam(1e-3)
    rs = np.random.RandomState(0)
    data = rs.normal(size=(steps + 1, 20)).astype("float32")
    labels = rs.randint(0, 10, steps + 1)

    def step(i):
        x, y = tf.constant(data[: i + 1]), tf.constant(labels[: i + 1])
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--module", default="jaxtape")
    p.add_argument("--lazy", action="store_true")
    p.add_argument("--model", choices=("mlp", "keras", "keras_dropout"), default="mlp")
    args = p.parse_args(argv)
    tf = importlib.import_module(args.module)
    if args.lazy:
        tf.config.experimental.set_lazy_eager(True)
    if args.model == "mlp":
        step = mlp_step(tf, args.steps)
    else:
        step = keras_step(tf, args.steps, dropout=args.model == "keras_dropout")
    t0 = time.perf_counter()
    for i in range(args.steps):
        loss = step(i)
    final = float(loss)
    print(
        "%s%s, %s: %d steps, %.2f s, last loss %.4f"
        % (
            args.module,
            " (lazy)" if args.lazy else "",
            args.model,
            args.steps,
            time.perf_counter() - t0,
            final,
        )
    )


if __name__ == "__main__":
    main()
