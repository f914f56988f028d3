"""`jaxtape.function` training steps vs hand-written JAX, side by side in one process.

    python benchmarks/bench_function.py [--rounds 9] [--pin | --no-pin] [--only W3,W4]

* W3: MLP 32-64-64-1, batch 32, relu, MSE, SGD(0.01).  Goal: within 1.1x of pure JAX.
* W4: MLP 784-1024-1024-10, batch 256, relu, softmax cross-entropy, Adam(1e-3).  Goal: 1.05x.
* W3a: W3 with the batch passed as arguments, `step(x, y)` (both sides take it as an input).

The pure-JAX reference is `jax.jit(value_and_grad(loss))` + optax with donated parameters and
optimizer state — the physical limit for a JAX-backed library.  The jaxtape step is TF-style code
(Variables, GradientTape, a Keras optimizer) under `@jaxtape.function`.  Ratios are medians of
per-round paired ratios over interleaved rounds.

Threads: by default XLA runs one intra-op thread (the process is pinned to one CPU while JAX's
backend starts, then released — the shared harness's `--threads 1`), so Python and XLA's one
worker thread may run on two cores.  `--pin` keeps the whole process on one CPU: the async
dispatch thread and Python then share a core and every microsecond of Python per step shows.
`--no-pin`: framework defaults.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, release_pin, report, single_thread  # noqa: E402

if "--no-pin" not in sys.argv:
    single_thread()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import jaxtape as tf  # noqa: E402

if "--no-pin" not in sys.argv and "--pin" not in sys.argv:
    release_pin()

CONFIGS = {
    "W3": dict(sizes=(32, 64, 64, 1), batch=32, loss="mse", opt="sgd", lr=0.01),
    "W4": dict(sizes=(784, 1024, 1024, 10), batch=256, loss="xent", opt="adam", lr=1e-3),
    # W3 with the batch passed as arguments, `step(x, y)`, as TF training loops do
    "W3a": dict(sizes=(32, 64, 64, 1), batch=32, loss="mse", opt="sgd", lr=0.01, args=True),
}


def _data(cfg):
    tf.random.set_seed(0)
    sizes = cfg["sizes"]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append(tf.Variable(tf.random.normal((a, b), stddev=(2.0 / a) ** 0.5)))
        params.append(tf.Variable(tf.zeros((b,))))
    x = tf.random.normal((cfg["batch"], sizes[0]))
    if cfg["loss"] == "mse":
        y = tf.random.normal((cfg["batch"], sizes[-1]))
    else:
        y = tf.random.uniform((cfg["batch"],), maxval=sizes[-1], dtype=tf.int32)
    return params, x, y


def jaxtape_step(cfg):
    params, x, y = _data(cfg)
    opt = (
        tf.keras.optimizers.SGD(cfg["lr"])
        if cfg["opt"] == "sgd"
        else tf.keras.optimizers.Adam(cfg["lr"])
    )

    def loss_fn(x, y):
        h = x
        n = len(params) // 2
        for i in range(n):
            h = tf.matmul(h, params[2 * i]) + params[2 * i + 1]
            if i < n - 1:
                h = tf.nn.relu(h)
        if cfg["loss"] == "mse":
            return tf.reduce_mean((h - y) ** 2)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))

    @tf.function
    def step_on(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(xb, yb)
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss

    if cfg.get("args"):
        return lambda: step_on(x, y).block_until_ready(), step_on

    @tf.function
    def step():
        return step_on(x, y)  # inlined: the batch is a constant of this step

    return lambda: step().block_until_ready(), step


def reference(cfg):
    """The pure-JAX pieces: (parameters, optax transform, loss(ps, x, y), step(ps, st, x, y),
    x, y)."""
    params, x, y = _data(cfg)
    ps = [jnp.array(p.numpy()) for p in params]
    xj, yj = tf.to_jax(x), tf.to_jax(y)
    tx = optax.sgd(cfg["lr"]) if cfg["opt"] == "sgd" else optax.adam(cfg["lr"], eps=1e-7)

    def loss_fn(ps, xj, yj):
        h = xj
        n = len(ps) // 2
        for i in range(n):
            h = h @ ps[2 * i] + ps[2 * i + 1]
            if i < n - 1:
                h = jax.nn.relu(h)
        if cfg["loss"] == "mse":
            return jnp.mean((h - yj) ** 2)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(h, yj))

    def _step(ps, st, xb, yb):
        loss, g = jax.value_and_grad(loss_fn)(ps, xb, yb)
        upd, st = tx.update(g, st, ps)
        return optax.apply_updates(ps, upd), st, loss

    return ps, tx, loss_fn, _step, xj, yj


def jax_step(cfg):
    ps, tx, _, _step, xj, yj = reference(cfg)
    state = {"ps": ps, "st": tx.init(ps)}
    if cfg.get("args"):
        step_on = jax.jit(_step, donate_argnums=(0, 1))

        def run_on():
            state["ps"], state["st"], loss = step_on(state["ps"], state["st"], xj, yj)
            return loss.block_until_ready()

        return run_on

    step = jax.jit(lambda ps, st: _step(ps, st, xj, yj), donate_argnums=(0, 1))

    def run():
        state["ps"], state["st"], loss = step(state["ps"], state["st"])
        return loss.block_until_ready()

    return run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--no-pin", action="store_true")
    p.add_argument("--pin", action="store_true")
    p.add_argument("--only", default="W3,W4")
    args = p.parse_args(argv)
    print(
        "jax %s, backend %s (%s), threads: %s\n"
        % (
            jax.__version__,
            jax.default_backend(),
            jax.devices()[0].device_kind,
            "framework defaults"
            if args.no_pin
            else "one XLA thread, process pinned to one CPU"
            if args.pin
            else "one XLA thread",
        )
    )
    for name in args.only.split(","):
        cfg = CONFIGS[name]
        run_tape, fn = jaxtape_step(cfg)
        cases = {"pure JAX jit+optax, donated": jax_step(cfg), "jaxtape.function step": run_tape}
        samples = compare(cases, args.rounds, min_s=0.3 if name == "W4" else 0.02)
        print(report("%s %s" % (name, cfg), samples, "pure JAX jit+optax, donated"))
        r = [
            a / b
            for a, b in zip(
                samples["jaxtape.function step"], samples["pure JAX jit+optax, donated"]
            )
        ]
        print(
            "paired ratios: %s; traces: %d\n"
            % (", ".join("%.3f" % v for v in r), fn.experimental_get_tracing_count())
        )
        _ = statistics


if __name__ == "__main__":
    main()
