"""Cold start of host-side use of a tensor: iterate over 10,000 elements, then plot them.

    JAXTAPE_CACHE_DIR=$(mktemp -d) python benchmarks/iterate_plot_cold.py
    /path/to/tf-venv/bin/python benchmarks/iterate_plot_cold.py --module tensorflow

Run it in a fresh process with an empty compilation cache (issue #22: <= 2x TF's time).
Prints each phase's wall time: import, `for v in x: float(v)`, importing pyplot (TF's own
import has already loaded matplotlib), `tf.sin(x)` (a new shape: one compile), and
`plt.plot(x, y)` + `savefig`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import tempfile
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--module", default="jaxtape")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    tf = importlib.import_module(args.module)
    t1 = time.perf_counter()
    x = tf.constant(np.linspace(0, 1, 10_000, dtype="float32"))
    s = 0.0
    for v in x:
        s += float(v)
    t2 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t3 = time.perf_counter()
    y = tf.sin(x)
    t4 = time.perf_counter()
    plt.plot(x, y)
    with tempfile.TemporaryDirectory() as d:
        plt.savefig(os.path.join(d, "plot.png"))
    t5 = time.perf_counter()
    print(
        "%s: import %.2f s, iterate 10,000 %.2f s, import pyplot %.2f s, sin %.2f s, "
        "plot + savefig %.2f s (sum %.1f)"
        % (args.module, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, s)
    )


if __name__ == "__main__":
    main()
