"""Public TF programs (tests/programs, each citing its source) run under jaxtape and print what
TensorFlow 2.21 printed for them (tests/data/programs, recorded by tools/record_programs.py).

The comparison is of the printed text: everything but the numbers must be equal, and each
number within `|a - b| <= ulp + RTOL * |b|`, where `ulp` is one unit in the last printed place
(a value printed rounded may round the other way) and RTOL covers float32 summation order: TF's
CPU kernels (oneDNN, Eigen) and XLA add a matmul's or a reduction's terms in different orders,
so a trained value drifts by a few float32 ulps per step.  Integers (labels, steps, counts) must
be equal.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent
PROGRAMS = sorted((ROOT / "programs").glob("*.py"))
RECORDED = ROOT / "data" / "programs"

# per-program relative tolerance, where the default (float32 reordering over few steps) is not
# enough; each with its reason
RTOL = {
    "default": 2e-5,
    # the PDE residual u_t + u u_x - nu u_xx is a difference of O(0.1) terms that nearly cancel
    # (values ~5e-3): its float32 error is the terms', ~3e-7 absolute, 6e-5 relative
    "pinn_burgers": 1e-4,
}

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")


def _split(text):
    """The text with numbers replaced by `#` and spaces dropped (NumPy pads a column to its
    widest number, so the spaces depend on the digits), and the numbers."""
    numbers = _NUMBER.findall(text)
    return re.sub(r"\s+", "", _NUMBER.sub("#", text)), numbers


def _ulp(token):
    mantissa, _, exp = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exp) if exp else 0))


def compare(got: str, want: str, rtol: float) -> list[str]:
    """The differences between two printed outputs (empty when they agree)."""
    problems = []
    got_lines, want_lines = got.splitlines(), want.splitlines()
    if len(got_lines) != len(want_lines):
        return ["%d lines printed, TF printed %d" % (len(got_lines), len(want_lines))]
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        gt, gn = _split(g)
        wt, wn = _split(w)
        if gt != wt or len(gn) != len(wn):
            problems.append("line %d: %r, TF: %r" % (i + 1, g, w))
            continue
        for a, b in zip(gn, wn):
            if a == b:
                continue
            is_int = not re.search(r"[.eEn]", a + b)
            fa, fb = float(a), float(b)
            if is_int or abs(fa - fb) > 1.001 * max(_ulp(a), _ulp(b)) + rtol * abs(fb):
                problems.append("line %d: %s, TF: %s  (%r)" % (i + 1, a, b, w))
    return problems


def test_compare_catches_differences():
    assert compare("loss 1.0000", "loss 1.0001", 1e-6) == []  # one printed ulp
    assert compare("loss 1.0000", "loss 1.0002", 1e-6) != []
    assert compare("step 3", "step 4", 0.5) != []
    assert compare("a 1.5", "b 1.5", 0) != []
    assert compare("[0.5 0.25]", "[0.5  0.125]", 0) != []
    assert compare("[0.5  0.25]", "[0.5 0.25]", 0) == []
    assert compare("x 0.1234567", "x 0.1234568", 0) == []
    assert compare("x 0.1234567", "x 0.1237", 1e-5) != []


@pytest.mark.parametrize("path", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_prints_what_tf_printed(path, tmp_path):
    want = (RECORDED / (path.stem + ".out")).read_text()
    # COLUMNS: model.summary() sizes its table to the terminal, as Keras (TF was recorded at 80)
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONWARNINGS="ignore", COLUMNS="80")
    run = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    problems = compare(run.stdout, want, RTOL.get(path.stem, RTOL["default"]))
    assert not problems, "\n".join(problems[:20])
