"""Timing helpers shared by the benchmarks: medians over repeated runs, printed side by side."""
import platform
import statistics
import time


def interleaved_us(steps, warmup=20, repeat=15, number=50):
    """[(name, median microseconds per call)] for each (name, step, sync) in ``steps``. The
    steps take turns, one batch of ``number`` calls each per round, so that a slow spell of
    this shared machine lands on every row alike instead of on whichever ran then."""
    for _, step, sync in steps:
        for _ in range(warmup):
            out = step()
        if sync:
            sync(out)
    runs = [[] for _ in steps]
    for _ in range(repeat):
        for (_, step, sync), times in zip(steps, runs):
            t0 = time.perf_counter()
            for _ in range(number):
                out = step()
            if sync:
                sync(out)
            times.append((time.perf_counter() - t0) / number * 1e6)
    return [(name, statistics.median(times)) for (name, _, _), times in zip(steps, runs)]


def stored(t):
    """The array a torchlike tensor holds, as stored: a compiled step keeps conv weights HWIO
    and small state packed in one buffer (its storage then holds a cell with the buffer);
    reading ``t._s[0]`` would transpose or slice it, a cost only a step that reads it pays. A
    deferred op's result (eager mode) is computed here: its segment runs."""
    if type(t._s).__name__ == "_PendingStorage":
        return t._s[0]
    raw = list.__getitem__(t._s, 0)
    return getattr(raw, "pack", raw)


def torch_device(torch):
    """Where the PyTorch rows run: on the GPU when JAX's default device is one (gpu.sh), so that
    each row computes on the same device; else the CPU."""
    import jax
    return "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"


def torch_sync(torch, device):
    """A row's wait for PyTorch's queued GPU work (nothing to wait for on the CPU, where its ops
    return done)."""
    return (lambda out: None) if device == "cpu" else (lambda out: torch.cuda.synchronize())


def first_call_ms(make_and_step):
    t0 = time.perf_counter()
    make_and_step()
    return (time.perf_counter() - t0) * 1e3


def machine():
    import os
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(title, rows, baseline_names):
    """rows: list of (name, microseconds). Prints medians and ratios against each baseline."""
    print(f"\n{title}")
    base = dict(rows)
    header = f"{'':28s}{'median':>12s}" + "".join(f"{'/ ' + b:>18s}" for b in baseline_names)
    print(header)
    for name, us in rows:
        ratios = "".join(f"{us / base[b]:>18.2f}" if b in base else f"{'-':>18s}" for b in baseline_names)
        print(f"{name:28s}{us:>12.1f}{ratios}")
