#!/usr/bin/env bash
# The benchmarks on a GPU machine: run from the repository root there. Installs nothing from the
# internet: it uses the Python environment it finds (jax with CUDA, PyTorch with CUDA for its
# rows, and this checkout). First the GPU checks (gpu_check.py: matmul and convolution
# precision, a resnet18 step against PyTorch) and the deferred-execution tests on the GPU, then
# the benchmarks, PyTorch's rows on the same GPU. Finishes in well under 8 minutes; each step has
# its own time limit. Writes everything to gpu-benchmarks.txt (in $OUT when that is set).
set -uo pipefail
cd "$(dirname "$0")/.."
export JAX_PLATFORMS="${JAX_PLATFORMS:-cuda,cpu}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py="${PYTHON:-python3}"
out="${OUT:-.}/gpu-benchmarks.txt"
{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
  "$py" -c "import jax, numpy, torch; print('jax', jax.__version__, jax.devices(), 'numpy', numpy.__version__, 'torch', torch.__version__)" || exit 1
  timeout 60 "$py" examples/mlp.py | tail -3 || exit 1
  timeout 150 "$py" benchmarks/gpu_check.py
  CI=true timeout 120 "$py" -m pytest -q -p no:warnings -p no:cacheprovider tests/autograd/test_deferred.py
  timeout 90 "$py" benchmarks/elementwise.py
  timeout 90 "$py" benchmarks/mlp_step.py
  timeout 240 "$py" benchmarks/resnet_step.py --batches 1 8 --repeat 5
  [ -f benchmarks/data_parallel.py ] && timeout 60 "$py" benchmarks/data_parallel.py --real-devices
  echo "== done $(date -u +%FT%TZ)"
} 2>&1 | tee "$out"
