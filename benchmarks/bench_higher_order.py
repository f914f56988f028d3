"""Jacobians and higher derivatives, side by side with pure JAX (one CPU thread).

    python benchmarks/bench_higher_order.py [--rounds 9]

* a 256x256 Jacobian of tanh(W @ x), eager `tape.jacobian` vs `jax.jit(jax.jacrev)`. Goal: 2x.
* the third derivative of sin(x) * x**2 through three nested tapes (eager, warm). Goal: < 0.9 ms
  (TF eager: ~1.9 ms).
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


def jacobian_cases(n=256):
    tf.random.set_seed(0)
    w = tf.random.normal((n, n))
    x = tf.Variable(tf.random.normal((n, 1)))

    def tape():
        with tf.GradientTape() as g:
            y = tf.tanh(w @ x)
        return g.jacobian(y, x).block_until_ready()

    wj, xj = tf.to_jax(w), jnp.asarray(x.numpy())
    jac = jax.jit(jax.jacrev(lambda a: jnp.tanh(wj @ a)))
    return {"jax jit(jacrev)": lambda: jac(xj).block_until_ready(), "jaxtape tape.jacobian": tape}


def third_derivative_cases():
    x = tf.Variable(1.5)

    def tape():
        with tf.GradientTape() as t3:
            with tf.GradientTape() as t2:
                with tf.GradientTape() as t1:
                    y = tf.sin(x) * x**2
                d1 = t1.gradient(y, x)
            d2 = t2.gradient(d1, x)
        return t3.gradient(d2, x).block_until_ready()

    f = jax.jit(jax.grad(jax.grad(jax.grad(lambda a: jnp.sin(a) * a**2))))
    xj = jnp.float32(1.5)
    return {
        "jax jit(grad(grad(grad)))": lambda: f(xj).block_until_ready(),
        "jaxtape 3 nested tapes": tape,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--no-pin", action="store_true")
    args = p.parse_args(argv)
    print("jax %s, backend %s\n" % (jax.__version__, jax.default_backend()))
    print(
        report(
            "256x256 Jacobian of tanh(W @ x)",
            compare(jacobian_cases(), args.rounds),
            "jax jit(jacrev)",
        )
    )
    print(
        report(
            "third derivative of sin(x) * x**2",
            compare(third_derivative_cases(), args.rounds),
            "jax jit(grad(grad(grad)))",
        )
    )


if __name__ == "__main__":
    main()
