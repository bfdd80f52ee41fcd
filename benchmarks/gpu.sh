#!/usr/bin/env bash
# The benchmarks on a GPU machine: run from the repository root there. Installs nothing from the
# internet: it uses the Python environment it finds (jax with CUDA and this checkout). Finishes in
# well under 8 minutes; each benchmark has its own time limit.
set -uo pipefail
cd "$(dirname "$0")/.."
export JAX_PLATFORMS="${JAX_PLATFORMS:-cuda,cpu}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
py="${PYTHON:-python3}"
out="${OUT:-.}/gpu-benchmarks.txt"
{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | head -1)"
  "$py" -c "import jax; print('jax', jax.__version__, jax.devices())" || exit 1
  timeout 120 "$py" benchmarks/elementwise.py
  timeout 120 "$py" benchmarks/mlp_step.py
  timeout 240 "$py" benchmarks/resnet_step.py --batches 1 8 --repeat 5
  [ -f benchmarks/data_parallel.py ] && timeout 60 "$py" benchmarks/data_parallel.py --real-devices
} 2>&1 | tee "$out"
