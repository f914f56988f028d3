"""8 simulated CPU devices: MirroredStrategy against one device; prints a JSON report."""

import json
import os
import sys

import jaxtape as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 8)

sys.path.insert(0, os.path.dirname(__file__))
from digits import distributed_training, single_device_training  # noqa: E402

import numpy as np  # noqa: E402

strategy = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
model, optimizer, step, losses, acc = distributed_training(tf, strategy)
ref, ref_losses = single_device_training(tf)
report = {"replicas": strategy.num_replicas_in_sync}
report["weight_diff"] = max(
    float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in zip(model.weights, ref.weights)
)
report["loss_diff"] = float(np.max(np.abs(np.array(losses) - np.array(ref_losses))))
report["accuracy"] = acc

# the compiled step: one XLA program with the all-reduce, run once per step
batch = next(
    iter(
        strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensor_slices(
                (np.zeros((64, 64), "float32"), np.zeros(64, "int64"))
            ).batch(64)
        )
    )
)
hlo = step.experimental_get_compiler_ir(batch)(stage="optimized_hlo")
report["all_reduce_in_hlo"] = "all-reduce" in hlo
tf.debugging.compile_stats(reset=True)
for _ in range(3):
    step(batch)
report["compiles_after_warmup"] = tf.debugging.compile_stats()["count"]
report["traces"] = step.experimental_get_tracing_count()

images, labels = batch
report["batch_sharding"] = str(tf.to_jax(images.stacked).sharding.spec)
report["batch_shape"] = list(images.stacked.shape)
report["variable_sharding"] = sorted(
    {str(tf.to_jax(v.value).sharding.spec) for v in model.weights + optimizer.variables}
)
report["variable_devices"] = sorted(
    {len(tf.to_jax(v.value).sharding.device_set) for v in model.weights + optimizer.variables}
)

# eagerly (no tf.function): the same numbers
eager_model, _, _, eager_losses, _ = distributed_training(tf, strategy, use_function=False)
report["eager_weight_diff"] = max(
    float(np.max(np.abs(a.numpy() - b.numpy()))) for a, b in zip(eager_model.weights, ref.weights)
)
print(json.dumps(report))
