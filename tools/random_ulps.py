"""How far jaxtape's normal-family draws are from TF 2.21's, in ulps, per function and mode.

    python tools/random_ulps.py          # prints the markdown table of docs/random.md

Compares the draws of tests/random_specs.py's `ulp_draws`, recorded from TF (tests/data/
random_ulp_samples.npz: 4096 values each, eagerly and inside tf.function).  Same Philox lanes,
same Box-Muller pairing; the differences are the last bits of log/sin/cos (numpy's eagerly,
XLA's inside a compiled step) against TF's kernels, and the float32 rounding of the scaling.
"""

from __future__ import annotations

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]
import jaxtape as tf  # noqa: E402
import random_specs  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "random_ulp_samples.npz")


def _ordered(a):
    """Floats as integers whose difference counts the representable values between them."""
    a = np.asarray(a)
    i = a.view(np.int32 if a.dtype == np.float32 else np.int64).astype(np.int64)
    return np.where(
        i < 0, np.iinfo(np.int64).min - i if a.dtype == np.float64 else -(i & 0x7FFFFFFF), i
    )


def ulps(a, b):
    return np.abs(_ordered(a) - _ordered(b))


def measure():
    """{name: (share of values bit-exact, share within 4 ulps, max ulps, max absolute error)}."""
    ref = np.load(DATA)
    got = {k: v.numpy() for k, v in random_specs.ulp_draws(tf).items()}
    out = {}
    for k in ref.files:
        u = ulps(got[k], ref[k])
        err = np.max(np.abs(got[k].astype(np.float64) - ref[k]))
        out[k] = (float(np.mean(u == 0)), float(np.mean(u <= 4)), int(u.max()), float(err))
    return out


def table(results):
    rows = [
        "| function | mode | bit-exact | within 4 ulps | max ulps | max abs. error |",
        "|---|---|---|---|---|---|",
    ]
    for k, (exact, near, worst, err) in results.items():
        mode, _, name = k.partition("_")
        rows.append(
            "| `%s` | %s | %.1f%% | %.1f%% | %d | %.1e |"
            % (
                name,
                "eager" if mode == "eager" else "in `function`",
                100 * exact,
                100 * near,
                worst,
                err,
            )
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(measure()))
