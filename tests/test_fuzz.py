"""The differential fuzzer in CI (bounded) and proof that it catches planted bugs."""

import os

import jax
import jax.numpy as jnp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzz_programs as F
from jaxtape._src.ops import math_ops

N = int(os.environ.get("JAXTAPE_FUZZ_EXAMPLES", "40"))


@st.composite
def programs(draw):
    return F.make_program(
        lambda lo, hi: draw(st.integers(lo, hi)), draw(st.integers(1, 3)), draw(st.integers(1, 6))
    )


@settings(
    max_examples=N, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(programs(), st.sampled_from(["eager", "function"]))
def test_tape_gradients_match_jax(program, mode):
    assert F.check(program, mode=mode) == []


def _find_failure(n=200):
    for i in range(n):
        p = F.random_program(i, max_steps=6)
        if F.check(p, seed=i):
            return p
    return None


def test_fuzzer_catches_a_wrong_derivative(monkeypatch):
    @jax.custom_jvp
    def bad_tanh(x):
        return jnp.tanh(x)

    bad_tanh.defjvp(lambda p, t: (jnp.tanh(p[0]), t[0] * 2.0))  # wrong: should be 1 - tanh^2
    kernel = math_ops.tanh.__closure__  # the op's kernel lives in its closure
    kern = next(c.cell_contents for c in kernel if type(c.cell_contents).__name__ == "Kernel")
    monkeypatch.setattr(kern, "impl", bad_tanh)
    monkeypatch.setattr(kern, "eager", bad_tanh)
    from jaxtape._src import backward

    backward.clear_caches()
    try:
        assert _find_failure() is not None
    finally:
        backward.clear_caches()


def test_fuzzer_catches_zeros_instead_of_none(monkeypatch):
    kern = next(
        c.cell_contents
        for c in math_ops.round.__closure__
        if type(c.cell_contents).__name__ == "Kernel"
    )
    monkeypatch.setattr(kern, "grad", "diff")  # round would then give zeros, not None
    from jaxtape._src import backward

    backward.clear_caches()
    try:
        failing = _find_failure()
        assert failing is not None and any(s[1] == "round" for s in failing["steps"])
    finally:
        backward.clear_caches()


def test_program_dtypes_come_from_the_op_table():
    # every fuzz op accepts float32 and float64 in TF's kernel registrations; the draw picks
    # among them, so programs run in both
    assert F.program_dtypes([("u", "sin", 0), ("b", "add", 0, 0)]) == ["float32", "float64"]
    drawn = {F.random_program(seed)["dtype"] for seed in range(40)}
    assert drawn == {"float32", "float64"}
    p = F.random_program(3)
    p["dtype"] = "float64"
    assert F.check(p) == []
