"""Static checks, run by the test command CI runs: the generated stub is current, mypy accepts the
README's examples and `examples/` (and rejects a misspelt op), ruff's lint and format pass."""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import gen_stubs  # noqa: E402


def _run(args, cwd=ROOT):
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_stub_is_generated_from_the_op_table():
    assert (ROOT / "jaxtape" / "__init__.pyi").read_text() == gen_stubs.render(), (
        "jaxtape/__init__.pyi is stale: run python tools/gen_stubs.py"
    )


def _mypy(paths):
    return _run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-incremental"]
                + [str(p) for p in paths])  # fmt: skip


def test_mypy_accepts_readme_and_examples(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert blocks
    snippets = []
    for i, code in enumerate(blocks):
        p = ROOT / ("_readme_snippet_%d.py" % i)  # inside the repo: mypy finds jaxtape there
        p.write_text(code)
        snippets.append(p)
    try:
        r = _mypy(snippets + sorted((ROOT / "examples").glob("*.py")))
    finally:
        for p in snippets:
            p.unlink()
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_rejects_what_jaxtape_does_not_have():
    p = ROOT / "_typing_probe.py"
    p.write_text("import jaxtape as tf\ntf.reduce_sun(tf.constant(1.0))\ntf.saved_model\n")
    try:
        r = _mypy([p])
    finally:
        p.unlink()
    assert r.returncode == 1
    assert 'no attribute "reduce_sun"' in r.stdout and 'no attribute "saved_model"' in r.stdout


def test_ruff_lint_and_format():
    dirs = ["jaxtape", "tests", "tools", "examples", "benchmarks"]
    lint = _run([sys.executable, "-m", "ruff", "check", *dirs])
    assert lint.returncode == 0, lint.stdout
    fmt = _run([sys.executable, "-m", "ruff", "format", "--check", *dirs])
    assert fmt.returncode == 0, fmt.stdout
