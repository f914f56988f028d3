"""Diagnosis on a GPU: W3's jitted step (ours) vs the pure-JAX reference — kernels in the
optimized HLO, and time of the raw jitted call vs the whole jaxtape call."""

import os
import re
import statistics
import sys
import time
from collections import Counter

sys.path.insert(0, "benchmarks")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import bench_function as B  # noqa: E402

name = sys.argv[1] if len(sys.argv) > 1 else "W3"
cfg = B.CONFIGS[name]
run_tape, fn = B.jaxtape_step(cfg)
run_tape()
conc = next(iter(fn._cache.values()))
args = [v._value for v in conc.donated] + [v._value for v in conc.readonly]
ours = conc.jitted.lower(*args).compile().as_text()
ps, tx, loss_fn, step_on, xj, yj = B.reference(cfg)


def _step(ps, st):
    return step_on(ps, st, xj, yj)


ref = jax.jit(_step, donate_argnums=(0, 1)).lower(ps, tx.init(ps)).compile().as_text()
for nm, t in (("ours", ours), ("ref", ref)):
    e = [ln for ln in t[t.index("ENTRY") :].splitlines()[1:] if "=" in ln]
    ops = [re.search(r"= \S+ (\w[\w-]*)\(", ln) for ln in e]
    print(nm, len(e), Counter(o.group(1) for o in ops if o))
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "hlo_%s_%s.txt" % (name, nm)), "w") as f:
            f.write(t)

don, ro = conc.donated, conc.readonly
state = {"d": [jnp.copy(v._value) for v in don], "r": [v._value for v in ro]}
jitted, n = conc.jitted, conc.n_out


def raw():
    res = jitted(*state["d"], *state["r"])
    state["d"] = list(res[n:])
    return res[0].block_until_ready()


def _step_counted(ps, st, it, lr):
    # the reference plus what Keras's SGD carries: an int64 step counter and a learning-rate
    # Variable read at call time
    loss, g = jax.value_and_grad(loss_fn)(ps, xj, yj)
    ps = [p - lr * d for p, d in zip(ps, g)]
    return ps, st, it + 1, loss


counted = jax.jit(_step_counted, donate_argnums=(0, 1, 2))
cstate = {
    "ps": [jnp.copy(p) for p in ps],
    "st": tx.init(ps),
    "it": jnp.zeros((), jnp.int64),
    "lr": jnp.asarray(cfg["lr"], jnp.float32),
}


def ref_counted():
    cstate["ps"], cstate["st"], cstate["it"], loss = counted(
        cstate["ps"], cstate["st"], cstate["it"], cstate["lr"]
    )
    return loss.block_until_ready()


cases = {"ref": B.jax_step(cfg), "ref+counter": ref_counted, "raw": raw, "full": run_tape}
N = 500
res = {k: [] for k in cases}
for f in cases.values():
    for _ in range(20):
        f()
for r in range(15):  # noqa: B007
    for k, f in cases.items():
        t0 = time.perf_counter()
        for _ in range(N):
            f()
        res[k].append((time.perf_counter() - t0) / N * 1e6)
for k in cases:
    print(
        "%-11s median %.1f us, ratio %.3f"
        % (
            k,
            statistics.median(res[k]),
            statistics.median(a / b for a, b in zip(res[k], res["ref"])),
        )
    )
