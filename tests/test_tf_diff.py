"""The differential cases of tests/tfdiff, run under jaxtape and compared with the results
recorded from TensorFlow 2.21 (tools/record_tf.py)."""

import json
import pathlib

import pytest

import jaxtape as tf
from tfdiff import harness

RECORDED = json.loads((pathlib.Path(__file__).parent / "data" / "tf_recorded.json").read_text())
CASES = harness.discover()

# Cases compared with a wider relative tolerance than the dtype's, each with its reason.
TOLERANCE = {
    # TF's float64 erfc (Eigen's) and XLA's differ from the 9th significant digit (5e-9
    # relative at x = 1); jaxtape uses TF's formula (0.5 * x * erfc(-x / sqrt(2))) term for term
    "cases_dtype_sweep::unary_nn_gelu": 1e-8,
}


def test_every_case_is_recorded():
    missing = [cid for cid, _ in CASES if cid not in RECORDED]
    assert not missing, "run tools/record_tf.py under TensorFlow for: %s" % missing


@pytest.mark.parametrize("cid,fn", CASES, ids=[c for c, _ in CASES])
def test_matches_tensorflow(cid, fn):
    if cid not in RECORDED:
        pytest.fail("not recorded: run tools/record_tf.py")
    tf.random.set_seed(0)
    got = harness.run(fn, tf)
    problems = harness.compare(got, RECORDED[cid], rtol=TOLERANCE.get(cid, 0.0))
    assert not problems, "\n".join(problems)
