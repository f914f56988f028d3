"""The differential cases of tests/tfdiff, run under jaxtape and compared with the results
recorded from TensorFlow 2.21 (tools/record_tf.py)."""

import json
import pathlib

import pytest

import jaxtape as tf
from tfdiff import harness

RECORDED = json.loads((pathlib.Path(__file__).parent / "data" / "tf_recorded.json").read_text())
CASES = harness.discover()


def test_every_case_is_recorded():
    missing = [cid for cid, _ in CASES if cid not in RECORDED]
    assert not missing, "run tools/record_tf.py under TensorFlow for: %s" % missing


@pytest.mark.parametrize("cid,fn", CASES, ids=[c for c, _ in CASES])
def test_matches_tensorflow(cid, fn):
    if cid not in RECORDED:
        pytest.fail("not recorded: run tools/record_tf.py")
    tf.random.set_seed(0)
    got = harness.run(fn, tf)
    problems = harness.compare(got, RECORDED[cid])
    assert not problems, "\n".join(problems)
