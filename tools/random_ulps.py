"""How far jaxtape's normal-family draws are from TF 2.21's, in ulps, per function and mode.

    python tools/random_ulps.py          # prints the markdown table of docs/random.md

Compares the same draws as tools/make_reference_data.py's `ulp_samples` (tests/data/
random_ulp_samples.npz: 4096 values each, eagerly and inside tf.function).  Same Philox lanes,
same Box-Muller pairing; the differences are the last bits of log/sin/cos (numpy's eagerly,
XLA's inside a compiled step) against TF's kernels, and the float32 rounding of the scaling.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import jaxtape as tf  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data",
                    "random_ulp_samples.npz")
N = 4096


def _ordered(a):
    """Floats as integers whose difference counts the representable values between them."""
    a = np.asarray(a)
    i = a.view(np.int32 if a.dtype == np.float32 else np.int64).astype(np.int64)
    return np.where(i < 0, np.iinfo(np.int64).min - i if a.dtype == np.float64 else
                    -(i & 0x7FFFFFFF), i)


def ulps(a, b):
    return np.abs(_ordered(a) - _ordered(b))


def draws():
    """jaxtape's counterparts of the recorded draws."""
    out = {}
    tf.random.set_seed(3)
    out["eager_normal"] = tf.random.normal((N,))
    out["eager_normal_f64"] = tf.random.normal((N,), dtype=tf.float64)
    out["eager_truncated"] = tf.random.truncated_normal((N,))
    out["eager_stateless_normal"] = tf.random.stateless_normal((N,), seed=[3, 4])
    out["eager_generator_normal"] = tf.random.Generator.from_seed(3).normal((N,))
    out["eager_uniform_range"] = tf.random.uniform((N,), -3.0, 7.0)
    tf.random.set_seed(3)
    g = tf.random.Generator.from_seed(3)

    @tf.function
    def step():
        return {"function_normal": tf.random.normal((N,)),
                "function_normal_f64": tf.random.normal((N,), dtype=tf.float64),
                "function_truncated": tf.random.truncated_normal((N,)),
                "function_stateless_normal": tf.random.stateless_normal((N,), seed=[3, 4]),
                "function_generator_normal": g.normal((N,)),
                "function_uniform_range": tf.random.uniform((N,), -3.0, 7.0)}
    out.update(step())
    return {k: v.numpy() for k, v in out.items()}


def measure():
    """{name: (share of values bit-exact, share within 4 ulps, max ulps, max absolute error)}."""
    ref = np.load(DATA)
    got = draws()
    out = {}
    for k in ref.files:
        u = ulps(got[k], ref[k])
        err = np.max(np.abs(got[k].astype(np.float64) - ref[k]))
        out[k] = (float(np.mean(u == 0)), float(np.mean(u <= 4)), int(u.max()), float(err))
    return out


def table(results):
    rows = ["| function | mode | bit-exact | within 4 ulps | max ulps | max abs. error |",
            "|---|---|---|---|---|---|"]
    for k, (exact, near, worst, err) in results.items():
        mode, _, name = k.partition("_")
        rows.append("| `%s` | %s | %.1f%% | %.1f%% | %d | %.1e |" % (
            name, "eager" if mode == "eager" else "in `function`", 100 * exact, 100 * near,
            worst, err))
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(measure()))
