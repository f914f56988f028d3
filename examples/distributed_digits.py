"""Data-parallel training of scikit-learn's digits with tf.distribute, as a TF user writes it.

    python examples/distributed_digits.py                 # the devices this machine has
    python examples/distributed_digits.py --devices 8     # 8 simulated CPU devices

Two processes, one replica each (a real 2-worker cluster on this machine; run both):

    TF_CONFIG='{"cluster": {"worker": ["localhost:12345", "localhost:12346"]},
                "task": {"type": "worker", "index": 0}}' python examples/distributed_digits.py
    TF_CONFIG='{... "index": 1}}' python examples/distributed_digits.py

Every replica holds a copy of the model; each global batch is split among the replicas; their
gradients are summed by XLA's all-reduce inside one compiled step (docs/distribution.md).
"""

import argparse
import os
import tempfile

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jaxtape as tf

parser = argparse.ArgumentParser()
parser.add_argument("--devices", type=int, default=0, help="simulate N CPU devices")
parser.add_argument("--epochs", type=int, default=20)
args = parser.parse_args()

if os.environ.get("TF_CONFIG"):
    # must be made first: the workers meet before any computation
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
else:
    if args.devices:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.devices
        )
    devices = tf.config.list_logical_devices()
    # as TF, MirroredStrategy() alone takes every GPU, or the one CPU: name simulated CPUs
    strategy = tf.distribute.MirroredStrategy([d.name for d in devices] if args.devices else None)
print("replicas:", strategy.num_replicas_in_sync)

x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)

GLOBAL_BATCH = 8 * strategy.num_replicas_in_sync * max(1, 8 // strategy.num_replicas_in_sync)
train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(
    GLOBAL_BATCH, drop_remainder=True
)
train_dist = strategy.experimental_distribute_dataset(train)

with strategy.scope():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((64,)),
            tf.keras.layers.Dense(64, activation="relu"),
            tf.keras.layers.Dense(10),
        ]
    )
    optimizer = tf.keras.optimizers.Adam(1e-2)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()


def train_step(inputs):
    images, labels = inputs
    with tf.GradientTape() as tape:
        predictions = model(images, training=True)
        loss = tf.nn.compute_average_loss(loss_object(labels, predictions))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    train_accuracy.update_state(labels, predictions)
    return loss


@tf.function
def distributed_train_step(inputs):
    per_replica_losses = strategy.run(train_step, args=(inputs,))
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica_losses, axis=None)


for epoch in range(args.epochs):
    total, batches = 0.0, 0
    for batch in train_dist:
        total += float(distributed_train_step(batch))
        batches += 1
    if epoch % 5 == 4 or epoch == args.epochs - 1:
        print(
            "epoch %d: loss %.4f, train accuracy %.2f%%"
            % (epoch + 1, total / batches, float(train_accuracy.result()) * 100)
        )
    train_accuracy.reset_state()

test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
test_accuracy.update_state(y_test, model(x_test))
print("test accuracy: %.2f%%" % (float(test_accuracy.result()) * 100))

# the first worker writes the checkpoint; every worker can restore it
directory = os.environ.get("CHECKPOINT_DIR") or os.path.join(
    tempfile.gettempdir(), "jaxtape_distributed_digits"
)
path = tf.train.Checkpoint(model=model).save(os.path.join(directory, "ckpt"))
print("checkpoint:", path)
