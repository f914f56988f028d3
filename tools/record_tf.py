"""Record TensorFlow's results for the differential cases in tests/tfdiff.

Run with a Python that has TensorFlow (a scratch venv; TF is never a jaxtape dependency):

    /path/to/tf-venv/bin/python tools/record_tf.py            # every case
    /path/to/tf-venv/bin/python tools/record_tf.py --only NAME  # cases whose id contains NAME

Results are merged into tests/data/tf_recorded.json, which tests/test_tf_diff.py reads.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "tf_recorded.json"


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--only", default="")
    args = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, str(ROOT / "tests"))
    from tfdiff import harness
    import tensorflow as tf

    old = json.loads(OUT.read_text()) if OUT.exists() else {}
    cases = harness.discover()
    ids = {cid for cid, _ in cases}
    out = {k: v for k, v in old.items() if k in ids}
    for cid, fn in cases:
        if args.only and args.only not in cid:
            continue
        tf.random.set_seed(0)
        out[cid] = harness.run(fn, tf)
        print(cid, json.dumps(out[cid])[:150])
    out = {"_tensorflow": tf.__version__, **{k: out[k] for k in sorted(out) if k != "_tensorflow"}}
    OUT.write_text(json.dumps(out, indent=0, sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
