#!/usr/bin/env bash
# One script for every accelerator check of this session's issues, run once on a lent GPU:
# the eager-gradient engine with TF-eager op boundaries (optimization barriers) and without,
# side by side with pure JAX; long tapes differentiated op by op; the TF differential cases.
set -uo pipefail
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1 JAXTAPE_CACHE_DIR=""
nvidia-smi -L
python3 -c "import jax, optax, numpy; print('jax', jax.__version__, jax.devices())"
for ieee in 1 0; do
  echo "== JAXTAPE_IEEE_GRADIENTS=$ieee"
  JAXTAPE_IEEE_GRADIENTS=$ieee timeout 150 python3 benchmarks/bench_engine.py --rounds 7 --no-pin 2>&1 \
    | tee "$OUT/bench_engine_gpu_ieee$ieee.md"
done
timeout 150 python3 -m pytest -q -p no:cacheprovider -x tests/test_reliability.py -k "deep or op_by_op" \
  2>&1 | tail -5 | tee "$OUT/pytest_deep_gpu.txt"
timeout 200 python3 -m pytest -q -p no:cacheprovider tests/test_tf_diff.py 2>&1 \
  | grep -E "^(FAILED|E   |[0-9]+ (passed|failed))" | head -60 | tee "$OUT/pytest_tfdiff_gpu.txt"
