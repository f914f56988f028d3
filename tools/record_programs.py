"""Record what TensorFlow prints for the public programs in tests/programs.

Each program is written as a jaxtape user writes it (`import jaxtape as tf`); here it runs under
real TensorFlow, with `jaxtape` made an alias of `tensorflow`, in a scratch venv:

    /path/to/tf-venv/bin/python tools/record_programs.py [--only NAME]

Its stdout goes to tests/data/programs/<name>.out, which tests/test_programs.py compares with
what the program prints under jaxtape.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"
OUT = ROOT / "tests" / "data" / "programs"

SHIM = (
    "import sys, runpy, tensorflow\n"
    "sys.modules['jaxtape'] = tensorflow\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--only", default="")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", COLUMNS="80")
    for path in sorted(PROGRAMS.glob("*.py")):
        if args.only not in path.stem:
            continue
        run = subprocess.run(
            [sys.executable, "-c", SHIM, str(path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROGRAMS,
        )
        if run.returncode:
            print(run.stderr[-3000:])
            raise SystemExit("%s failed under TensorFlow" % path.name)
        (OUT / (path.stem + ".out")).write_text(run.stdout)
        print(path.stem, "%d lines" % len(run.stdout.splitlines()))


if __name__ == "__main__":
    main()
