"""Resident memory across many eager steps: the tape and its saved values must be freed.
Prints RSS growth for 2,000 MLP steps (and 50 resnet18 steps when torchlike.vision exists).
Run: python benchmarks/memory.py"""
import gc
import os
import resource
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def grow(step, warmup, steps, sync=lambda out: None, window=10):
    """RSS growth over ``steps`` calls after ``warmup`` calls (XLA's and malloc's pools fill
    during the first few dozen resnet steps; a leak keeps growing after them): the lowest RSS
    of the last ``window`` calls minus the lowest of the first. A resnet18 step's transient
    buffers make single readings swing by about 100 MB; a leak raises the floor."""
    for _ in range(warmup):
        sync(step())
    gc.collect()
    readings = []
    for _ in range(steps):
        sync(step())
        readings.append(rss_mb())
    return min(readings[-window:]) - min(readings[:window])


# VmHWM, not getrusage's ru_maxrss: a child forked from this (already large) process inherits
# the parent's peak in ru_maxrss across exec, while VmHWM belongs to the child's own memory.
PEAK = """
import sys
sys.path.insert(0, {bench!r})
import resnet_step
make = {make}
step = make()
for _ in range(3):
    resnet_step._sync(step())
print(next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024)
"""


def peak_mb(make):
    """Peak RSS of a fresh process running three resnet18 steps (batch 8) with ``make``."""
    import subprocess
    code = PEAK.format(bench=os.path.dirname(os.path.abspath(__file__)), make=make)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else float("nan")


def peaks():
    print("resnet18 8x3x64x64, peak RSS of a process running 3 steps (MB, includes the runtime itself):")
    for name, make in [("torchlike eager", "lambda: resnet_step.make_torchlike_eager(8)"),
                       ("torchlike compiled", "lambda: resnet_step.make_torchlike_eager(8, compiled=True)"),
                       ("PyTorch eager", "lambda: resnet_step.make_torch_eager(8)"),
                       ("pure JAX jit NCHW", "lambda: resnet_step.make_jax(8, 'NCHW')")]:
        print(f"  {name:20s} {peak_mb(make):8.0f}")


def main():
    import torchlike
    from mlp_step import make_eager
    print(f"MLP, 2,000 eager steps: RSS grew {grow(make_eager(torchlike), 200, 2000):.1f} MB")
    try:
        from resnet_step import _sync, make_torchlike_eager
    except ImportError:
        return
    step = make_torchlike_eager(batch=1)
    print(f"resnet18 1x3x64x64, 50 eager steps after 100: RSS grew {grow(step, 100, 50, _sync):.1f} MB")
    peaks()


if __name__ == "__main__":
    main()
