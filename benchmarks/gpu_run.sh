#!/usr/bin/env bash
# One script for every accelerator check of the open issues (function benchmarks side by side
# with pure JAX in the same process; the function tests), run once on a lent GPU.
set -uo pipefail
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import jax, optax, numpy; print('jax', jax.__version__, jax.devices())"
python3 benchmarks/gpu_check.py 2>&1 | tee "$OUT/gpu_check.txt"
python3 benchmarks/gpu_diag.py W3 2>&1 | grep -E "^(ours|ref)" | tee "$OUT/gpu_diag.txt"
python3 benchmarks/bench_function.py --only W3,W3a --rounds 15 --no-pin 2>&1 | tee "$OUT/bench_function_gpu.md"
python3 benchmarks/bench_function.py --only W4 --rounds 9 --no-pin 2>&1 | tee -a "$OUT/bench_function_gpu.md"
timeout 200 python3 -m pytest -q -p no:cacheprovider tests/test_function.py \
  tests/test_autograph.py tests/test_compile_cache.py tests/test_random_function_keras.py tests/test_optimizers.py \
  2>&1 | tail -25 | tee "$OUT/pytest_gpu.txt"
