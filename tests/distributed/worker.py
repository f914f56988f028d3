"""One worker of a MultiWorkerMirroredStrategy cluster (TF_CONFIG in the environment; none: a
single process).  Trains the digits MLP, checkpoints (the first worker writes), restores into a
new model, and prints a JSON report."""

import json
import os
import sys

import jaxtape as tf

strategy = tf.distribute.MultiWorkerMirroredStrategy()  # at startup, as TF asks

sys.path.insert(0, os.path.dirname(__file__))
from digits import build, distributed_training  # noqa: E402

model, optimizer, step, losses, acc = distributed_training(tf, strategy)
checkpoint = tf.train.Checkpoint(model=model)
path = checkpoint.save(os.path.join(sys.argv[1], "ckpt"))
with strategy.scope():
    restored = build(tf)
tf.train.Checkpoint(model=restored).restore(path)
print(
    json.dumps(
        {
            "replicas": strategy.num_replicas_in_sync,
            "task": [strategy.cluster_resolver.task_type, strategy.cluster_resolver.task_id],
            "weights": [w.numpy().tolist() for w in model.weights],
            "restored_equal": all(
                (a.numpy() == b.numpy()).all() for a, b in zip(model.weights, restored.weights)
            ),
            "losses": losses,
            "files": sorted(os.listdir(sys.argv[1])),
        }
    )
)
