"""examples/train_digits.py: reaches >= 95% test accuracy, and resumes from its checkpoint."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "examples", "train_digits.py")


def _run(tmp_path, *extra):
    return subprocess.run(
        [
            sys.executable,
            SCRIPT,
            "--dir",
            str(tmp_path / "ckpt"),
            "--plot",
            str(tmp_path / "plot.png"),
            "--epochs",
            "20",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _final(out):
    return float(re.search(r"final test accuracy ([0-9.]+)", out.stdout).group(1))


def test_trains_and_resumes_to_the_same_accuracy(tmp_path):
    full = _run(tmp_path / "a")
    assert full.returncode == 0, full.stderr[-2000:]
    acc = _final(full)
    assert acc >= 0.95
    killed = _run(tmp_path / "b", "--stop-after", "8")
    assert killed.returncode == 3 and "stopping abruptly after epoch 8" in killed.stdout
    resumed = _run(tmp_path / "b")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from" in resumed.stdout and "(epoch 8)" in resumed.stdout
    assert _final(resumed) == acc
    assert (tmp_path / "b" / "plot.png").read_bytes()[:4] == b"\x89PNG"
