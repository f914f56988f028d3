"""Lazy eager (issue #18): eager TF-style steps, lazy vs op by op vs `jaxtape.function` vs pure
JAX `jit`, side by side in one process (one CPU thread, interleaved rounds, medians of paired
ratios).

    python benchmarks/bench_lazy.py [--rounds 5] [--only scalar,linear,mlp_small,mlp_adam,chain]
                                    [--torch-python /path/to/torch-venv/bin/python]

Workloads (each an unchanged eager TF step; every call ends with a read of its result):
  scalar     `y = x * x` under a tape, `tape.gradient(y, x)`
  linear     the tutorial's `x @ w + b`, mean of squares, gradient w.r.t. [w, b]
  mlp_small  32-64-64-1 MLP, MSE, Keras SGD step (batch 64)
  mlp_adam   784-1024-1024-10 MLP, sparse softmax cross-entropy, Keras Adam step (batch 128)
  chain      a 300-op elementwise chain (sin, *1.01, cos, +0.1 over 128 floats) and its gradient

`--torch-python` runs the same workloads written in PyTorch eager (benchmarks/torch_eager.py)
in that interpreter (a separate venv with torch; never a dependency) and adds its medians.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, single_thread  # noqa: E402

if "--no-pin" not in sys.argv:
    single_thread()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxtape as tf  # noqa: E402
from jaxtape._src import lazy  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _mode(on, fn):
    """fn run with lazy eager on or off (a switch flushes what is pending)."""

    def run():
        if lazy.ON[0] != on:
            lazy.set_enabled(on)
        return fn()

    return run


def _synced(step, state=()):
    """The step, its result read (`.numpy()`: the sync point of a real loop), and then the
    Variables it updates waited for: op by op, an optimizer's updates are still running when
    the loss is read, and the next timed call (another variant's) would pay for them."""

    def run():
        out = step().numpy()
        if state:
            jax.block_until_ready([v._value for v in state])
        return out

    return run


def _eager_variants(step, state=()):
    run = _synced(step, state)
    return {"op by op": _mode(False, run), "lazy": _mode(True, run)}


def scalar():
    x = tf.Variable(3.0)

    def step():
        with tf.GradientTape() as t:
            y = x * x
        return t.gradient(y, x)

    f = tf.function(step)
    vg = jax.jit(jax.value_and_grad(lambda a: a * a))
    xj = jnp.float32(3.0)
    return {
        "jax jit": lambda: np.asarray(vg(xj)[1]),
        **_eager_variants(step),
        "jaxtape.function": _mode(False, lambda: f().numpy()),
    }


def linear():
    tf.random.set_seed(1)
    w = tf.Variable(tf.random.uniform((4, 3), -20, 20), name="w")
    b = tf.Variable(tf.ones(3), name="b")
    x = tf.constant([[1.0, 2.0, 3.0, 4.0]])

    def step():
        with tf.GradientTape() as t:
            y = x @ w + b
            loss = tf.reduce_mean(y**2)
        gw, gb = t.gradient(loss, [w, b])
        return gb

    f = tf.function(step)
    wj, bj, xj = w.numpy(), b.numpy(), x.numpy()
    vg = jax.jit(jax.value_and_grad(lambda w_, b_: jnp.mean((xj @ w_ + b_) ** 2), argnums=(0, 1)))
    return {
        "jax jit": lambda: np.asarray(vg(wj, bj)[1][1]),
        **_eager_variants(step),
        "jaxtape.function": _mode(False, lambda: f().numpy()),
    }


def _mlp(sizes, batch, loss_kind, make_opt, jax_opt):
    tf.random.set_seed(0)
    rs = np.random.RandomState(0)
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append(tf.Variable(rs.normal(0, (2.0 / a) ** 0.5, (a, b)).astype("float32")))
        params.append(tf.Variable(np.zeros(b, "float32")))
    x = tf.constant(rs.normal(size=(batch, sizes[0])).astype("float32"))
    if loss_kind == "mse":
        y = tf.constant(rs.normal(size=(batch, sizes[-1])).astype("float32"))
    else:
        y = tf.constant(rs.randint(0, sizes[-1], batch).astype("int32"))

    def loss_fn(ps, x, y):
        h = x
        for i in range(len(ps) // 2):
            h = tf.matmul(h, ps[2 * i]) + ps[2 * i + 1]
            if i < len(ps) // 2 - 1:
                h = tf.nn.relu(h)
        if loss_kind == "mse":
            return tf.reduce_mean((h - y) ** 2)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h))

    opt = make_opt()

    def step():
        with tf.GradientTape() as tape:
            loss = loss_fn(params, x, y)
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        return loss

    f = tf.function(step)

    # pure JAX: the same step, jitted, optax, donated parameters
    pj = [p.numpy() for p in params]
    xj, yj = x.numpy(), y.numpy()

    def jloss(ps):
        h = xj
        for i in range(len(ps) // 2):
            h = h @ ps[2 * i] + ps[2 * i + 1]
            if i < len(ps) // 2 - 1:
                h = jax.nn.relu(h)
        if loss_kind == "mse":
            return jnp.mean((h - yj) ** 2)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(h, yj))

    tx = jax_opt
    state = [pj, tx.init(pj)]

    @jax.jit
    def jstep(ps, st):
        loss, g = jax.value_and_grad(jloss)(ps)
        upd, st = tx.update(g, st, ps)
        return optax.apply_updates(ps, upd), st, loss

    def jax_step():
        state[0], state[1], loss = jstep(state[0], state[1])
        out = np.asarray(loss)
        jax.block_until_ready(state[0])
        return out

    return {
        "jax jit": jax_step,
        **_eager_variants(step, params),
        "jaxtape.function": _mode(False, _synced(f, params)),
    }


def mlp_small():
    return _mlp(
        (32, 64, 64, 1),
        64,
        "mse",
        lambda: tf.keras.optimizers.SGD(learning_rate=0.01),
        optax.sgd(0.01),
    )


def mlp_adam():
    return _mlp(
        (784, 1024, 1024, 10),
        128,
        "xent",
        lambda: tf.keras.optimizers.Adam(learning_rate=1e-3),
        optax.adam(1e-3, eps=1e-7),
    )


def chain():
    c = tf.constant(np.linspace(0.1, 1.0, 128, dtype="float32"))
    cj = tf.to_jax(c)

    def body(h, op_sin, op_cos):
        for i in range(300):
            k = i % 4
            if k == 0:
                h = op_sin(h)
            elif k == 1:
                h = h * 1.01
            elif k == 2:
                h = op_cos(h)
            else:
                h = h + 0.1
        return h

    def step():
        with tf.GradientTape() as t:
            t.watch(c)
            s = tf.reduce_sum(body(c, tf.sin, tf.cos))
        return t.gradient(s, c)

    f = tf.function(step)
    g = jax.jit(jax.grad(lambda a: jnp.sum(body(a, jnp.sin, jnp.cos))))
    return {
        "jax jit": lambda: np.asarray(g(cj)),
        **_eager_variants(step),
        "jaxtape.function": _mode(False, lambda: f().numpy()),
    }


WORKLOADS = {
    "scalar": scalar,
    "linear": linear,
    "mlp_small": mlp_small,
    "mlp_adam": mlp_adam,
    "chain": chain,
}


def _torch(python, names, rounds):
    out = subprocess.run(
        [python, os.path.join(HERE, "torch_eager.py"), "--rounds", str(rounds), "--only", names],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        print("PyTorch run failed:\n" + out.stderr[-2000:])
        return {}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--only", default=",".join(WORKLOADS))
    p.add_argument("--torch-python", default=os.environ.get("BENCH_TORCH_PYTHON", ""))
    p.add_argument("--no-pin", action="store_true")
    args = p.parse_args(argv)
    names = args.only.split(",")
    torch = _torch(args.torch_python, args.only, args.rounds) if args.torch_python else {}
    print("jax %s, %s, one CPU thread\n" % (jax.__version__, jax.devices()[0].device_kind))
    head = "| workload | jax jit | op by op | lazy | jaxtape.function |%s lazy / jit | lazy / op by op | lazy / function |%s"
    print(head % ((" PyTorch eager |", " lazy / PyTorch |") if torch else ("", "")))
    print("|---" * (8 + (2 if torch else 0)) + "|")
    for name in names:
        samples = compare(WORKLOADS[name](), rounds=args.rounds)
        lazy.set_enabled(False)
        med = {k: float(np.median(v)) for k, v in samples.items()}

        def ratio(a, b, samples=samples):
            return float(np.median([x / y for x, y in zip(samples[a], samples[b])]))

        cells = [
            name,
            "%.1f us" % (med["jax jit"] * 1e6),
            "%.1f us" % (med["op by op"] * 1e6),
            "%.1f us" % (med["lazy"] * 1e6),
            "%.1f us" % (med["jaxtape.function"] * 1e6),
        ]
        if torch:
            cells.append("%.1f us" % (torch[name] * 1e6))
        cells += [
            "%.2fx" % ratio("lazy", "jax jit"),
            "%.2fx" % ratio("lazy", "op by op"),
            "%.2fx" % ratio("lazy", "jaxtape.function"),
        ]
        if torch:
            cells.append("%.2fx" % (med["lazy"] / torch[name]))
        print("| " + " | ".join(cells) + " |", flush=True)
    print("\nlazy eager stats:", lazy.STATS)


if __name__ == "__main__":
    main()
