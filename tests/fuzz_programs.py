"""Random TF-style programs, run under a tape and checked against JAX (the differential fuzzer).

A program is a list of steps over a growing list of values (the watched inputs first).  Each op
has a jaxtape version, a `jnp` reference and a flag saying whether a gradient flows through it;
the generator tracks which inputs each value depends on *differentiably*, which decides the
expected `None` pattern structurally.  `check(program)` runs it eagerly or under
`jaxtape.function` and returns a list of mismatches (empty when everything agrees).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import jaxtape as tf

UNARY = {
    "sin": (tf.sin, jnp.sin, True),
    "tanh": (tf.tanh, jnp.tanh, True),
    "sigmoid": (tf.sigmoid, jax.nn.sigmoid, True),
    "square": (tf.square, jnp.square, True),
    "softplus": (tf.nn.softplus, jax.nn.softplus, True),
    "exp_small": (lambda x: tf.exp(x * 0.25), lambda x: jnp.exp(x * 0.25), True),
    "log1p_sq": (lambda x: tf.math.log1p(x * x), lambda x: jnp.log1p(x * x), True),
    "sum_rows": (
        lambda x: tf.reduce_sum(
            tf.reshape(x, [-1, 3]) if x.shape.num_elements() % 3 == 0 else tf.reshape(x, [-1, 1]),
            axis=0,
            keepdims=True,
        ),
        lambda x: jnp.sum(
            jnp.reshape(x, (-1, 3)) if x.size % 3 == 0 else jnp.reshape(x, (-1, 1)),
            axis=0,
            keepdims=True,
        ),
        True,
    ),
    "mean_all": (tf.reduce_mean, jnp.mean, True),
    "slice": (lambda x: tf.reshape(x, [-1])[:1], lambda x: jnp.reshape(x, (-1,))[:1], True),
    "round": (tf.round, jnp.round, False),
    "stop_gradient": (tf.stop_gradient, lax.stop_gradient, False),
    "int_cast": (
        lambda x: tf.cast(tf.cast(x * 3.0, tf.int32), x.dtype),
        lambda x: jnp.trunc(x * 3.0),
        False,
    ),
}
BINARY = {
    "add": (lambda a, b: a + b, jnp.add, True),
    "sub": (lambda a, b: a - b, jnp.subtract, True),
    "mul": (lambda a, b: a * b, jnp.multiply, True),
    "div": (lambda a, b: a / (1.0 + b * b), lambda a, b: a / (1.0 + b * b), True),
    # TF's convention at ties (a program can compare x with stop_gradient(x)): all to the first
    # argument, which `where(a >= b, a, b)` differentiates to
    "maximum": (tf.maximum, lambda a, b: jnp.where(a >= b, a, b), True),
}


# the op-table entries behind the fuzz ops: a program's dtype is drawn among the float dtypes
# every op it uses declares (`ApiEntry.dtypes`, TF's kernel registrations)
TABLE_OPS = {
    "sin": "sin", "tanh": "tanh", "sigmoid": "sigmoid", "square": "square",
    "softplus": "nn.softplus", "exp_small": "exp", "log1p_sq": "math.log1p", "round": "round",
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "divide", "maximum": "maximum",
}  # fmt: skip
FLOAT_DTYPES = ("float32", "float64")


def program_dtypes(steps):
    """The float dtypes every op of `steps` accepts, according to the op table."""
    from jaxtape._src.registry import API

    out = list(FLOAT_DTYPES)
    for st in steps:
        declared = API[TABLE_OPS[st[1]]].dtypes if st[1] in TABLE_OPS else None
        if declared is not None:
            out = [d for d in out if d in declared]
    return out


def make_program(draw_int, n_inputs, n_steps):
    """Build a program with a `draw_int(lo, hi)` source of choices (hypothesis or random)."""
    steps = []
    n_vals = n_inputs
    for _ in range(n_steps):
        if draw_int(0, 2) == 0:
            names = sorted(BINARY)
            steps.append(
                (
                    "b",
                    names[draw_int(0, len(names) - 1)],
                    draw_int(0, n_vals - 1),
                    draw_int(0, n_vals - 1),
                )
            )
        else:
            names = sorted(UNARY)
            steps.append(("u", names[draw_int(0, len(names) - 1)], draw_int(0, n_vals - 1)))
        n_vals += 1
    n_targets = draw_int(1, 2)
    targets = sorted({draw_int(n_inputs, n_vals - 1) for _ in range(n_targets)})
    # sources: the inputs, plus maybe one intermediate value
    sources = list(range(n_inputs))
    if draw_int(0, 2) == 0 and n_vals > n_inputs + 1:
        sources.append(draw_int(n_inputs, n_vals - 2))
    dtypes = program_dtypes(steps)
    dtype = dtypes[draw_int(0, len(dtypes) - 1)]
    return {"n_inputs": n_inputs, "steps": steps, "targets": targets, "sources": sources,
            "dtype": dtype}  # fmt: skip


def _deps(program):
    """For each value, the set of values (inputs and intermediates) it depends on through
    differentiable ops: the structural truth the None pattern must follow.

    As TF's tape, a value computed only from untracked ones is not tracked, and the integer
    round trip `int_cast` leaves its float output untracked (the cast back from int is not
    recorded): the gradient with respect to such an intermediate is None."""
    deps = [{i} for i in range(program["n_inputs"])]
    tracked = [True] * program["n_inputs"]
    for k, st in enumerate(program["steps"]):
        me = program["n_inputs"] + k
        if st[0] == "u":
            d = UNARY[st[1]][2]
            tr = tracked[st[2]] and st[1] != "int_cast"
            deps.append((set(deps[st[2]]) if d else set()) | ({me} if tr else set()))
        else:
            d = BINARY[st[1]][2]
            tr = tracked[st[2]] or tracked[st[3]]
            deps.append(((deps[st[2]] | deps[st[3]]) if d else set()) | ({me} if tr else set()))
        tracked.append(tr)
    return deps


def _inputs(program, seed):
    rng = np.random.default_rng(seed)
    dtype = program.get("dtype", "float32")
    return [rng.uniform(0.3, 1.7, size=(2, 3)).astype(dtype) for _ in range(program["n_inputs"])]


def _run_tape(program, xs):
    values = [tf.constant(x) for x in xs]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(values)
        for st in program["steps"]:
            if st[0] == "u":
                values.append(UNARY[st[1]][0](values[st[2]]))
            else:
                values.append(BINARY[st[1]][0](values[st[2]], values[st[3]]))
    targets = [values[i] for i in program["targets"]]
    sources = [values[i] for i in program["sources"]]
    return tape.gradient(targets, sources)


def _reference(program, xs):
    n = program["n_inputs"]
    src = program["sources"]
    probes_at = [s for s in src if s >= n]

    def f(inputs, probes):
        values = list(inputs)
        for k, st in enumerate(program["steps"]):
            if st[0] == "u":
                v = UNARY[st[1]][1](values[st[2]])
            else:
                v = BINARY[st[1]][1](values[st[2]], values[st[3]])
            me = n + k
            if me in probes_at:
                v = v + probes[probes_at.index(me)]
            values.append(v)
        return sum(jnp.sum(values[i]) for i in program["targets"]), values

    _, values = f([jnp.asarray(x) for x in xs], [0.0] * len(probes_at))
    zero_probes = [jnp.zeros_like(values[p]) for p in probes_at]
    gi, gp = jax.grad(lambda a, b: f(a, b)[0], argnums=(0, 1))(
        [jnp.asarray(x) for x in xs], zero_probes
    )
    return [gi[s] if s < n else gp[probes_at.index(s)] for s in src]


def check(program, seed=0, mode="eager"):
    """Mismatches between tape.gradient and the JAX reference (values and the None pattern)."""
    xs = _inputs(program, seed)
    if mode == "eager":
        got = _run_tape(program, xs)
    else:
        got = tf.function(lambda: _run_tape(program, xs))()
    ref = _reference(program, xs)
    deps = _deps(program)
    out = []
    for s, g, r in zip(program["sources"], got, ref):
        # a target that is the source itself has gradient one, tracked or not (as TF)
        connected = any(s in deps[t] or s == t for t in program["targets"])
        if not connected:
            if g is not None:
                out.append("source %d: expected None (not connected), got %s" % (s, g))
            continue
        if g is None:
            out.append("source %d: got None but it is connected" % s)
            continue
        if not np.allclose(np.asarray(g), np.asarray(r), rtol=2e-4, atol=2e-5):
            out.append("source %d: gradient %s != reference %s" % (s, np.asarray(g), np.asarray(r)))
    return out


def random_program(seed, max_steps=8):
    rng = np.random.default_rng(seed)
    return make_program(
        lambda lo, hi: int(rng.integers(lo, hi + 1)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, max_steps + 1)),
    )


if __name__ == "__main__":  # the long profile: python tests/fuzz_programs.py 10000
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    t0, failures = time.time(), 0
    for i in range(n):
        p = random_program(i)
        for mode in ("eager", "function"):
            bad = check(p, seed=i, mode=mode)
            if bad:
                failures += 1
                print("FAIL", i, mode, p, bad[:2])
        if (i + 1) % 100 == 0:
            print(
                "%d programs, %d failures, %.0f s" % (i + 1, failures, time.time() - t0), flush=True
            )
    print("done: %d programs x 2 modes, %d failures" % (n, failures))
