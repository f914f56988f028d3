"""Cold start: public TF programs run start to finish in a fresh process, jaxtape vs TensorFlow.

    python benchmarks/cold_start.py [--tf-python /path/to/tf-venv/bin/python]
                                    [--programs basic_training_loops,...] [--repeats 1]

Each program of `tests/programs` (public TF tutorials, offline stand-in data) runs as a whole
process, as a user runs a script:

* jaxtape cold: a new, empty compilation cache (`JAXTAPE_CACHE_DIR` = a fresh directory);
* jaxtape warm: the same program again, with the cache the cold run left;
* TensorFlow: the same file with `jaxtape` aliased to `tensorflow` (as tools/record_programs.py
  records it), from a scratch venv given by `--tf-python`; TF has no cache to warm.

Wall time is the whole process (imports included).  Both sides start from compiled bytecode:
pip writes `.pyc` files when it installs a wheel (TensorFlow's, JAX's), but an editable checkout
has none, and with `PYTHONDONTWRITEBYTECODE` set (as on CI machines) Python would recompile
jaxtape's sources in every process (~0.4 s here), so the script byte-compiles the checkout
first, as `pip install jaxtape` would.  XLA compilations are counted with JAX's
own monitoring events (`/jax/compilation_cache/...` and backend compiles), so the count works
for any jaxtape version: `--jaxtape-root` runs another checkout (a `git worktree`) to compare
compile counts before and after a change.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"
DEFAULT = "basic_training_loops,custom_training_walkthrough,training_loop_from_scratch"

# Runs a program under jaxtape and reports JAX's compile events on stderr's last line.
JAXTAPE_SHIM = r"""
import sys, json, runpy, atexit
sys.path.insert(0, sys.argv[2])
import jax.monitoring
counts = {"compiles": 0, "compile_s": 0.0, "cache_hits": 0}
def _duration(event, secs, **kw):
    if event == "/jax/core/compile/backend_compile_duration":
        counts["compiles"] += 1
        counts["compile_s"] += secs
def _event(event, **kw):
    if event == "/jax/compilation_cache/cache_hits":
        counts["cache_hits"] += 1
jax.monitoring.register_event_duration_secs_listener(_duration)
jax.monitoring.register_event_listener(_event)
atexit.register(lambda: print("COLDSTART " + json.dumps(counts), file=sys.stderr))
runpy.run_path(sys.argv[1], run_name="__main__")
"""

TF_SHIM = (
    "import sys, runpy, tensorflow\n"
    "sys.modules['jaxtape'] = tensorflow\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)


def _run(cmd, env):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", **env)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=PROGRAMS)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise SystemExit("%s failed:\n%s" % (" ".join(cmd[-2:]), p.stderr[-3000:]))
    counts = {}
    for line in p.stderr.splitlines():
        if line.startswith("COLDSTART "):
            counts = json.loads(line[len("COLDSTART ") :])
    return wall, counts


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", default=DEFAULT)
    ap.add_argument("--tf-python", default="")
    ap.add_argument("--jaxtape-root", default=str(ROOT))
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args(argv)
    # what `pip install` does for a wheel: without it every process recompiles jaxtape's sources
    compileall.compile_dir(os.path.join(args.jaxtape_root, "jaxtape"), quiet=1)
    rows = []
    for name in args.programs.split(","):
        path = str(PROGRAMS / (name + ".py"))
        cold, warm, tfw, cc, wc = [], [], [], {}, {}
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                cmd = [sys.executable, "-c", JAXTAPE_SHIM, path, args.jaxtape_root]
                t, cc = _run(cmd, {"JAXTAPE_CACHE_DIR": cache})
                cold.append(t)
                t, wc = _run(cmd, {"JAXTAPE_CACHE_DIR": cache})
                warm.append(t)
            if args.tf_python:
                tfw.append(_run([args.tf_python, "-c", TF_SHIM, path], {})[0])
        row = {
            "program": name,
            "cold_s": statistics.median(cold),
            "warm_s": statistics.median(warm),
            "compiles_cold": cc.get("compiles"),
            "compile_s_cold": round(cc.get("compile_s", 0.0), 2),
            "compiles_warm": wc.get("compiles"),
            "cache_hits_warm": wc.get("cache_hits"),
        }
        if tfw:
            row["tf_s"] = statistics.median(tfw)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    head = (
        "| program | jaxtape cold | jaxtape warm | TF 2.21 | cold/TF | warm/TF "
        "| XLA compiles cold (s) | warm: compiles requested (loaded from the cache) |"
    )
    print(head)
    print("|" + "---|" * 8)
    for r in rows:
        tf_s = r.get("tf_s")
        ratio = (lambda x, d=tf_s: "%.2f" % (x / d)) if tf_s else (lambda x: "-")
        print(
            "| %s | %.1f s | %.1f s | %s | %s | %s | %s (%.1f s) | %s (%s) |"
            % (
                r["program"],
                r["cold_s"],
                r["warm_s"],
                "%.1f s" % tf_s if tf_s else "-",
                ratio(r["cold_s"]),
                ratio(r["warm_s"]),
                r["compiles_cold"],
                r["compile_s_cold"],
                r["compiles_warm"],
                r["cache_hits_warm"],
            )
        )


if __name__ == "__main__":
    main()
