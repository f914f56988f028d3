#!/usr/bin/env bash
# One script for every accelerator check of the open issues (engine and function benchmarks,
# each side by side with pure JAX in the same process), run once on a lent GPU machine.
set -uo pipefail
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
nvidia-smi -L
python3 -c "import jax, optax, numpy; print('jax', jax.__version__, jax.devices())"
python3 benchmarks/gpu_check.py 2>&1 | tee "$OUT/gpu_check.txt"
python3 benchmarks/bench_engine.py --rounds 7 --no-pin 2>&1 | tee "$OUT/bench_engine_gpu.md"
python3 benchmarks/bench_function.py --rounds 7 --no-pin 2>&1 | tee "$OUT/bench_function_gpu.md"
timeout 150 python3 -m pytest -q -x -p no:cacheprovider tests/test_tape.py tests/test_compile_cache.py \
  tests/test_keras.py 2>&1 | tail -15 | tee "$OUT/pytest_gpu.txt"
