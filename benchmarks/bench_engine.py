"""Tape engine benchmarks, side by side with pure JAX in one process (one CPU thread).

    python benchmarks/bench_engine.py [--rounds 9]

1. scalar gradient (warm): `with tape: y = x * x; tape.gradient(y, x)` vs a call of
   `jax.jit(jax.value_and_grad(f))`.  Goal: within 8x.
2. the tutorial's linear gradient (x @ w + b, mean of squares; gradient w.r.t. w and b) vs
   `jax.jit(jax.value_and_grad)`.
3. a 300-op elementwise chain (sin / scale, 128 floats): tape forward + gradient vs running the
   same 300 ops eagerly in JAX without a tape.  Goal: within 1.5x.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, report, single_thread  # noqa: E402

if "--no-pin" not in sys.argv:
    single_thread()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import jaxtape as tf  # noqa: E402

N_OPS, DIM = 300, 128


def scalar_cases():
    x = tf.Variable(3.0)

    def tape():
        with tf.GradientTape() as t:
            y = x * x
        return t.gradient(y, x).block_until_ready()

    xj = jnp.float32(3.0)
    vg = jax.jit(jax.value_and_grad(lambda a: a * a))
    return {"jax jit(value_and_grad)": lambda: vg(xj)[1].block_until_ready(), "jaxtape tape": tape}


def linear_cases():
    tf.random.set_seed(1)
    w = tf.Variable(tf.random.uniform((4, 3), -20, 20), name="w")
    b = tf.Variable(tf.ones(3), name="b")
    x = tf.constant([[1.0, 2.0, 3.0, 4.0]])

    def tape():
        with tf.GradientTape() as t:
            y = x @ w + b
            loss = tf.reduce_mean(y**2)
        gw, gb = t.gradient(loss, [w, b])
        return gb.block_until_ready()

    wj, bj, xj = w.numpy(), b.numpy(), x.numpy()
    vg = jax.jit(jax.value_and_grad(lambda w_, b_: jnp.mean((xj @ w_ + b_) ** 2), argnums=(0, 1)))
    return {
        "jax jit(value_and_grad)": lambda: vg(wj, bj)[1][1].block_until_ready(),
        "jaxtape tape": tape,
    }


def chain_cases():
    c = tf.constant(jnp.linspace(0.1, 1.0, DIM, dtype=jnp.float32))
    cj = tf.to_jax(c)

    def tape():
        with tf.GradientTape() as t:
            t.watch(c)
            y = c
            for i in range(N_OPS):
                y = tf.sin(y) if i % 2 else y * 1.01
            s = tf.reduce_sum(y)
        return t.gradient(s, c).block_until_ready()

    def eager():
        y = cj
        for i in range(N_OPS):
            y = jnp.sin(y) if i % 2 else y * 1.01
        return jnp.sum(y).block_until_ready()

    def no_tape():
        y = c
        for i in range(N_OPS):
            y = tf.sin(y) if i % 2 else y * 1.01
        return tf.reduce_sum(y).block_until_ready()

    return {
        "jax eager, no tape": eager,
        "jaxtape, no tape": no_tape,
        "jaxtape tape + gradient": tape,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--no-pin", action="store_true", help="do not limit XLA to one CPU thread")
    args = p.parse_args(argv)
    print(
        "jax %s, backend %s (%s)%s\n"
        % (
            jax.__version__,
            jax.default_backend(),
            jax.devices()[0].device_kind,
            "" if args.no_pin else ", one CPU thread",
        )
    )
    print(
        report(
            "scalar gradient (warm)",
            compare(scalar_cases(), args.rounds),
            "jax jit(value_and_grad)",
        )
    )
    print(
        report(
            "tutorial linear gradient (warm)",
            compare(linear_cases(), args.rounds),
            "jax jit(value_and_grad)",
        )
    )
    print(
        report(
            "300-op elementwise chain",
            compare(chain_cases(), max(3, args.rounds // 2), min_s=0.05),
            "jax eager, no tape",
        )
    )


if __name__ == "__main__":
    main()
