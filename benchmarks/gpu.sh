#!/usr/bin/env bash
# The benchmarks on a GPU machine: run from the repository root there. Installs nothing from the
# internet: it uses the Python environment it finds (jax with CUDA, PyTorch with CUDA for its
# rows if it is there, and this checkout). First the GPU checks (gpu_check.py: matmul and
# convolution precision, a resnet18 step against PyTorch) and the deferred-execution tests on
# the GPU, then the benchmarks, PyTorch's rows on the same GPU. Finishes within 8 minutes: each
# step has its own time limit, cut to what is left of 470 s (on an H200 the whole script took
# 3.7 minutes). Writes everything to gpu-benchmarks.txt (in $OUT when that is set).
set -uo pipefail
cd "$(dirname "$0")/.."
export JAX_PLATFORMS="${JAX_PLATFORMS:-cuda,cpu}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
py="${PYTHON:-python3}"
deadline=$((SECONDS + 470))
limit() {  # the step's own limit, or what is left before the deadline if that is less
  local left=$((deadline - SECONDS))
  echo $(( left < $1 ? (left > 1 ? left : 1) : $1 ))
}
out="${OUT:-.}/gpu-benchmarks.txt"
{
  echo "== $(date -u +%FT%TZ) $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
  "$py" -c "import jax, numpy; print('jax', jax.__version__, jax.devices(), 'numpy', numpy.__version__)" || exit 1
  "$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" || echo "no PyTorch: its rows are left out"
  # the recording path's C version, compiled in place (this checkout is not pip-installed)
  inc="$("$py" -c "import sysconfig; print(sysconfig.get_paths()['include'])")"
  ext="$("$py" -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")"
  if cc -O2 -shared -fPIC -I"$inc" torchlike/autograd/native/*.c -o "torchlike/autograd/_native$ext" 2>/dev/null; then
    echo "recording path: C (torchlike/autograd/native/)"
  else
    echo "recording path: Python (no C compiler or Python headers here)"
  fi
  timeout "$(limit 60)" "$py" examples/mlp.py | tail -3 || exit 1
  timeout "$(limit 150)" "$py" benchmarks/gpu_check.py
  CI=true timeout "$(limit 120)" "$py" -m pytest -q -p no:warnings -p no:cacheprovider tests/autograd/test_deferred.py
  timeout "$(limit 90)" "$py" benchmarks/elementwise.py
  timeout "$(limit 90)" "$py" benchmarks/mlp_step.py
  timeout "$(limit 240)" "$py" benchmarks/resnet_step.py --batches 1 8 --repeat 5
  [ -f benchmarks/data_parallel.py ] && timeout "$(limit 60)" "$py" benchmarks/data_parallel.py --real-devices
  echo "== done $(date -u +%FT%TZ)"
} 2>&1 | tee "$out"
