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


def grow(step, warmup, steps):
    for _ in range(warmup):
        step()
    gc.collect()
    before = rss_mb()
    for _ in range(steps):
        step()
    gc.collect()
    return rss_mb() - before


def main():
    import torchlike
    from mlp_step import make_eager
    print(f"MLP, 2,000 eager steps: RSS grew {grow(make_eager(torchlike), 200, 2000):.1f} MB")
    try:
        from resnet_step import make_torchlike_eager
    except ImportError:
        return
    step = make_torchlike_eager(batch=1)
    print(f"resnet18 1x3x64x64, 50 eager steps: RSS grew {grow(step, 5, 50):.1f} MB")


if __name__ == "__main__":
    main()
