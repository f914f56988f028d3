"""Train an MLP on scikit-learn's bundled digits (no download) with a compiled TF-style step.

    python examples/train_digits.py [--epochs 30] [--dir examples/checkpoints/digits]

A `jaxtape.function` training step (GradientTape + Keras Adam), a tqdm progress bar, a
checkpoint after every epoch, and a loss/accuracy plot (`digits_training.png`).  Rerun after an
interruption and it resumes from the last checkpoint: shuffling is seeded per epoch, so the run
ends with the same weights and accuracy as an uninterrupted one.  `--stop-after N` stops the
process abruptly after N epochs (to try the resume).
"""

import argparse
import json
import os
import sys
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from tqdm import tqdm  # noqa: E402

import jaxtape as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--dir", default=os.path.join(HERE, "checkpoints", "digits"))
    p.add_argument("--plot", default=os.path.join(HERE, "digits_training.png"))
    p.add_argument("--stop-after", type=int, default=None)
    args = p.parse_args(argv)
    t0 = time.perf_counter()

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)

    tf.keras.utils.set_random_seed(0)  # Keras initializers draw from Keras's seeds
    model = tf.keras.Sequential(
        [
            tf.keras.Input((64,)),
            tf.keras.layers.Dense(128, activation="relu"),
            tf.keras.layers.Dense(10),
        ],
        name="digits_mlp",
    )
    opt = tf.keras.optimizers.Adam(learning_rate=3e-3)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
    history = {"loss": [], "train_acc": [], "test_acc": []}

    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, epoch=epoch)
    manager = tf.train.CheckpointManager(ckpt, args.dir, max_to_keep=3)
    hist_path = os.path.join(args.dir, "history.json")
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint)
        try:
            with open(hist_path) as f:
                history = {k: v[: int(epoch.numpy())] for k, v in json.load(f).items()}
        except (OSError, ValueError):
            print("no readable history.json: the plots start at the resumed epoch")
        print("resumed from %s (epoch %d)" % (manager.latest_checkpoint, int(epoch.numpy())))

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def accuracy(xs, ys):
        pred = tf.argmax(model(xs), axis=1, output_type=tf.int32)
        return tf.reduce_mean(tf.cast(tf.equal(pred, ys), tf.float32))

    n = len(x_train)
    steps = n // args.batch
    xt, yt = tf.constant(x_test), tf.constant(y_test)
    xtr, ytr = tf.constant(x_train), tf.constant(y_train)
    for e in range(int(epoch.numpy()), args.epochs):
        order = np.random.default_rng(e).permutation(n)
        losses = []
        for s in tqdm(
            range(steps),
            desc="epoch %d/%d" % (e + 1, args.epochs),
            leave=False,
            file=sys.stdout,
            disable=not sys.stdout.isatty(),
        ):
            idx = order[s * args.batch : (s + 1) * args.batch]
            losses.append(float(train_step(tf.constant(x_train[idx]), tf.constant(y_train[idx]))))
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(float(accuracy(xtr, ytr)))
        history["test_acc"].append(float(accuracy(xt, yt)))
        epoch.assign(e + 1)
        manager.save()
        # as atomically as the checkpoint: a new file, synced, then renamed over the old one
        # (an interrupted write leaves the previous history, never an empty file)
        tmp = hist_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(history, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, hist_path)
        print(
            "epoch %2d  loss %.4f  train acc %.4f  test acc %.4f"
            % (e + 1, history["loss"][-1], history["train_acc"][-1], history["test_acc"][-1])
        )
        if args.stop_after is not None and e + 1 >= args.stop_after:
            print("stopping abruptly after epoch %d" % (e + 1))
            sys.stdout.flush()
            os._exit(3)

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].plot(history["loss"])
    ax[0].set_title("training loss")
    ax[1].plot(history["train_acc"], label="train")
    ax[1].plot(history["test_acc"], label="test")
    ax[1].set_title("accuracy")
    ax[1].legend()
    for a in ax:
        a.set_xlabel("epoch")
    fig.tight_layout()
    fig.savefig(args.plot)
    final = float(accuracy(xt, yt))
    print(
        "final test accuracy %.4f in %.1f s (plot: %s)"
        % (final, time.perf_counter() - t0, args.plot)
    )
    return final


if __name__ == "__main__":
    main()
