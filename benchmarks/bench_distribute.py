"""A data-parallel training step under `tf.distribute.MirroredStrategy` vs the same step written
in pure JAX over the same mesh and shardings, side by side in one process.

    python benchmarks/bench_distribute.py [--devices 8] [--rounds 5]

Workload (issue #19): MLP 784-1024-1024-10, global batch 256, relu, softmax cross-entropy,
Adam(1e-3).  jaxtape: TF's custom-training-loop pattern (`strategy.run` inside `tf.function`,
`tf.nn.compute_average_loss`, a Keras optimizer) on a distributed dataset's batch.  Pure JAX:
`jax.jit(jax.shard_map(...))` with the batch split along the replica axis, parameters
replicated, gradients `psum`-ed, optax Adam, donated state.  Goal: ratio <= 1.1.

On a CPU the devices are simulated (`--devices N` logical CPUs, set before JAX starts); on a
GPU machine every GPU is a replica.  Each call waits for its loss (both sides).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

ap = argparse.ArgumentParser()
ap.add_argument("--devices", type=int, default=8, help="logical CPU devices (CPU only)")
ap.add_argument("--rounds", type=int, default=5)
args = ap.parse_args()

import jaxtape as tf  # noqa: E402

if not os.environ.get("JAX_PLATFORMS", "").startswith(("cuda", "gpu")):
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args.devices
    )

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

from _timing import compare, report  # noqa: E402

devices = jax.devices()
if devices[0].platform == "cpu":
    devices = devices[: args.devices]
n = len(devices)
B, SIZES = 256, (784, 1024, 1024, 10)
rng = np.random.RandomState(0)
x = rng.rand(B, SIZES[0]).astype("float32")
y = rng.randint(0, 10, B)

# -- jaxtape: TF's pattern ---------------------------------------------------------------------
strategy = tf.distribute.MirroredStrategy(devices)
with strategy.scope():
    model = tf.keras.Sequential(
        [tf.keras.Input((SIZES[0],))]
        + [tf.keras.layers.Dense(s, activation="relu") for s in SIZES[1:-1]]
        + [tf.keras.layers.Dense(SIZES[-1])]
    )
    optimizer = tf.keras.optimizers.Adam(1e-3)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def train_step(inputs):
    images, labels = inputs
    with tf.GradientTape() as tape:
        loss = tf.nn.compute_average_loss(loss_object(labels, model(images, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


@tf.function
def distributed_train_step(inputs):
    per_replica = strategy.run(train_step, args=(inputs,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)


batch = next(iter(strategy.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices((x, y)).batch(B))))  # fmt: skip


def jaxtape_step():
    distributed_train_step(batch).numpy()


# -- pure JAX: the same program written by hand --------------------------------------------------
mesh = Mesh(np.asarray(devices, dtype=object), ("replica",))
rep, split = NamedSharding(mesh, P()), NamedSharding(mesh, P("replica"))
params = [
    (
        jax.device_put(rng.normal(0, 0.05, (a, b)).astype("float32"), rep),
        jax.device_put(np.zeros(b, "float32"), rep),
    )
    for a, b in zip(SIZES[:-1], SIZES[1:])
]
tx = optax.adam(1e-3, eps=1e-7)
opt_state = jax.device_put(tx.init(params), rep)
xs = jax.device_put(x.reshape(n, B // n, -1), split)
ys = jax.device_put(y.reshape(n, B // n), split)


def replica(params, opt_state, xb, yb):
    def loss_fn(ps):
        h = xb[0]
        for i, (w, b) in enumerate(ps):
            h = h @ w + b
            if i < len(ps) - 1:
                h = jax.nn.relu(h)
        ce = optax.softmax_cross_entropy_with_integer_labels(h, yb[0])
        return jnp.sum(ce) / B

    loss, grads = jax.value_and_grad(loss_fn)(params)
    grads = jax.lax.psum(grads, "replica")
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss[None]


jax_step_fn = jax.jit(
    jax.shard_map(
        replica,
        mesh=mesh,
        in_specs=(P(), P(), P("replica"), P("replica")),
        out_specs=(P(), P(), P("replica")),
        check_vma=False,
    ),
    donate_argnums=(0, 1),
)
state = {"p": params, "o": opt_state}


def jax_step():
    state["p"], state["o"], loss = jax_step_fn(state["p"], state["o"], xs, ys)
    float(jnp.sum(loss))


cases = {"pure JAX shard_map": jax_step, "jaxtape MirroredStrategy": jaxtape_step}
samples = compare(cases, args.rounds, min_s=0.3)
title = "784-1024-1024-10 Adam step, batch %d, %d replicas on %s" % (B, n, devices[0].device_kind)
print(report(title, samples, "pure JAX shard_map"))
ratios = [a / b for a, b in zip(samples["jaxtape MirroredStrategy"], samples["pure JAX shard_map"])]
print("ratio jaxtape / pure JAX (median of paired rounds): %.3f" % statistics.median(ratios))
