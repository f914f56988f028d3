"""The README's first command: the tutorial runs and prints what TF 2.21 prints."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_autodiff_tutorial_example(tmp_path):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "autodiff_tutorial.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    text = out.stdout
    expected = [
        "tf.Tensor(4.0, shape=(), dtype=float32)",
        "RuntimeError: A non-persistent GradientTape can only be used to compute one set of "
        "gradients (or jacobians)",
        "tf.Tensor(12.0, shape=(), dtype=float32)",
        "array([[-13.394766 ,  16.05925  ,   5.238968 ],",
        "[+] tensor_y:  tf.Tensor([[ -5 103 -64]], shape=(1, 3), dtype=int32)",
        "[+] tensor_loss:  tf.Tensor(2138.8425, shape=(), dtype=float32)",
        "[+] watched variables:  ['w:0', 'b:0', 'Variable:0']",
        "[+] variable name, shape: kernel, (3, 2)",
        "[+] tensor_dres1_dx1:  tf.Tensor(24.0, shape=(), dtype=float32)",
        "[+] tensor_dres1_dx2 None",
        "[+] tensor_dres2_dx2 tf.Tensor(27.0, shape=(), dtype=float32)",
        "[+] tensor_dres2_dx2_tmp:  None",
        "[+] tensor_dres1_dx2 tf.Tensor(0.0, shape=(), dtype=float32)",
    ]
    for line in expected:
        assert line in text, line
    for name in ("res1.png", "res2.png"):
        path = tmp_path / name
        assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
