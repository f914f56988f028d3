"""How far lazy eager's compiled segments are from op-by-op values, in float32 ulps.

    python tools/lazy_ulps.py

Each workload runs op by op, then lazily with segments compiled from their first sighting
(`lazy.COMPILE_AT = 1`); the table gives, per workload, the share of values that differ and the
largest distance in units in the last place.  docs/lazy_eager.md quotes it.
"""

from __future__ import annotations

import numpy as np

import jaxtape as tf
from jaxtape._src import lazy


def ulps(a, b):
    a = np.asarray(a, np.float32).ravel()
    b = np.asarray(b, np.float32).ravel()
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, np.int64(-(2**31)) - ia, ia)  # ordered integers
    ib = np.where(ib < 0, np.int64(-(2**31)) - ib, ib)
    return np.abs(ia - ib)


def elementwise():
    rs = np.random.RandomState(0)
    out = []
    for _ in range(50):
        x = tf.constant(rs.randn(256).astype("float32"))
        y = x * 1.7 + 0.3
        z = tf.sin(y) * y - 2.5 / (y + 3.0) + tf.exp(-y * y) * tf.tanh(x)
        out.append(z.numpy())
    return np.concatenate(out)


def reductions():
    rs = np.random.RandomState(1)
    out = []
    for _ in range(200):
        x = tf.constant(rs.randn(32, 8).astype("float32"))
        out.append(tf.reduce_mean(tf.square(x - 0.5), axis=0).numpy())
        out.append(tf.reduce_sum(tf.nn.relu(x) * 2.0, axis=1).numpy())
    return np.concatenate(out)


def mlp_adam():
    rs = np.random.RandomState(0)
    params = []
    for a, b in zip((16, 64, 64), (64, 64, 4)):
        params.append(tf.Variable(rs.normal(0, 0.3, (a, b)).astype("float32")))
        params.append(tf.Variable(np.zeros(b, "float32")))
    x = tf.constant(rs.normal(size=(64, 16)).astype("float32"))
    y = tf.constant(rs.randint(0, 4, 64).astype("int32"))
    opt = tf.keras.optimizers.Adam(1e-2)
    losses = []
    for _ in range(50):
        with tf.GradientTape() as tape:
            h = x
            for i in range(3):
                h = tf.matmul(h, params[2 * i]) + params[2 * i + 1]
                if i < 2:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=h)
            )
        grads = tape.gradient(loss, params)
        opt.apply_gradients(zip(grads, params))
        losses.append(loss.numpy())
    return np.concatenate([np.array(losses)] + [p.numpy().ravel() for p in params])


def main():
    print("| workload | values | differing | max ulps |")
    print("|---|---|---|---|")
    for fn in (elementwise, reductions, mlp_adam):
        lazy.set_enabled(False)
        ref = fn()
        lazy.set_enabled(True)
        lazy.COMPILE_AT = 1
        got = fn()
        lazy.set_enabled(False)
        d = ulps(ref, got)
        print(
            "| %s | %d | %.1f%% | %d |"
            % (fn.__name__, d.size, 100.0 * (d != 0).mean(), int(d.max()) if d.size else 0)
        )


if __name__ == "__main__":
    main()
