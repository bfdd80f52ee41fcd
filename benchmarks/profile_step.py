"""Where the tutorial MLP's eager step spends its time in torchlike (the README's analysis of the
0.8x-PyTorch target): each forward op's recording on its own, and the step in sections (forward
recorded, the previous segment run, backward recorded, update recorded), each a median over
repeated steps. Run: python benchmarks/profile_step.py"""
import os
import statistics
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

from common import machine  # noqa: E402
from mlp_step import LR, loss_of, make_data, sgd_update  # noqa: E402


def per_op_us(cases, flush, n=250, repeat=30):
    """Median microseconds to record each op (its result kept, its segment run between batches)."""
    out = {}
    for name, f in cases.items():
        times = []
        for r in range(repeat + 5):
            t0 = time.perf_counter()
            kept = [f() for _ in range(n)]
            if r >= 5:
                times.append((time.perf_counter() - t0) / n * 1e6)
            del kept
            flush()
        out[name] = statistics.median(times)
    return out


def sections_us(T, flush, steps=3000):
    """Median microseconds per step of each section of the tutorial's loop."""
    x, y, params = make_data(T)
    clock = time.perf_counter
    names = ("previous segment run", "forward recorded", "backward recorded", "update recorded")
    times = {k: [] for k in names}
    for i in range(steps + 300):
        t0 = clock()
        flush()  # what the step's first op would do: run the last step's segment
        t1 = clock()
        loss = loss_of(x, y, params)
        t2 = clock()
        loss.backward()
        t3 = clock()
        sgd_update(T, params)
        t4 = clock()
        if i >= 300:
            for k, a, b in zip(names, (t0, t1, t2, t3), (t1, t2, t3, t4)):
                times[k].append((b - a) * 1e6)
    return {k: statistics.median(v) for k, v in times.items()}


def main():
    import jax
    import torchlike as T
    from torchlike.autograd import lazy
    x, y, (w1, b1, w2, b2) = make_data(T)
    h = x @ w1 + b1
    out = h @ w2 + b2
    d = y - out.squeeze()
    lazy.flush()
    cases = {"x @ w1": lambda: x @ w1, "h + b1": lambda: h + b1, "h @ w2": lambda: h @ w2,
             "out.squeeze()": lambda: out.squeeze(), "y - out": lambda: y - d, "d ** 2": lambda: d ** 2,
             "d.sum()": lambda: d.sum(), "w1 * 1e-3 (no grad)": lambda: w1.detach() * LR}
    print(f"machine: {machine()}; jax {jax.__version__}")
    print("\nrecording one op (µs), its result kept")
    for name, us in per_op_us(cases, lazy.flush).items():
        print(f"  {name:22s}{us:8.2f}")
    print("\nthe tutorial's eager step in sections (median µs per step)")
    parts = sections_us(T, lazy.flush)
    for name, us in parts.items():
        print(f"  {name:22s}{us:8.1f}")
    print(f"  {'sum':22s}{sum(parts.values()):8.1f}")


if __name__ == "__main__":
    main()
