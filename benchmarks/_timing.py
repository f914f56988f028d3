"""Shared timing helpers: one CPU thread, interleaved repeats, medians and paired ratios."""

from __future__ import annotations

import math
import os
import statistics
import time

CLOCK = time.perf_counter


def single_thread():
    """Limit XLA to one thread and pin the process to one CPU (call before importing jax)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        os.environ["XLA_FLAGS"] = (
            flags + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        ).strip()
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    except (AttributeError, OSError):
        pass


def release_pin():
    """Undo single_thread()'s pin once JAX's CPU backend exists (its intra-op pool is sized from
    the affinity mask at creation: one thread).  The process may then run on any CPU, as in the
    shared harness (`--threads 1`): Python and XLA's one worker thread need not share a core."""
    import jax
    import jax.numpy as jnp

    jax.devices()
    jnp.zeros(1).block_until_ready()
    try:
        cpus = set(range(os.cpu_count() or 1))
        for tid in os.listdir("/proc/self/task"):
            os.sched_setaffinity(int(tid), cpus)
    except (AttributeError, OSError, ValueError):
        pass


def batch_time(fn, min_s=0.02):
    """Seconds per call of fn, measured over a batch lasting ~min_s.

    Each retry's batch is sized from the last one's time (rounded up, and at least one call
    more): an estimate rounded down repeats the same too-short batch until one happens to be
    slow, which kept the slow batches (a 7 ms call measured as 11 ms)."""
    n = 1
    while True:
        t0 = CLOCK()
        for _ in range(n):
            fn()
        dt = CLOCK() - t0
        if dt >= min_s:
            return dt / n
        n = max(n + 1, math.ceil(n * 1.1 * min_s / max(dt, 1e-9)))


def compare(cases: dict, rounds: int = 9, min_s: float = 0.02):
    """Time each case in rounds (order rotated each round) -> {name: [seconds per call]}."""
    for fn in cases.values():
        for _ in range(3):
            fn()
    names = list(cases)
    samples = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for n in order:
            samples[n].append(batch_time(cases[n], min_s))
    return samples


def report(title, samples, baseline):
    """Markdown rows: median us per call, and the median of paired per-round ratios."""
    rows = [
        "### " + title,
        "",
        "| case | median | ratio to %s (median, min-max) |" % baseline,
        "|---|---|---|",
    ]
    base = samples[baseline]
    for n, s in samples.items():
        ratios = [a / b for a, b in zip(s, base)]
        rows.append(
            "| %s | %.1f us | %.2fx (%.2f-%.2f) |"
            % (n, statistics.median(s) * 1e6, statistics.median(ratios), min(ratios), max(ratios))
        )
    return "\n".join(rows) + "\n"
