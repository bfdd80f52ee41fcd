"""resnet18 training step (SGD momentum 0.9, lr 1e-2, loss = (pred - labels).sum()) at
1x3x64x64 and 8x3x64x64: torchlike eager, torchlike compiled, PyTorch eager and pure JAX jit
(NCHW; NHWC; NHWC with the weights kept in PyTorch's OIHW layout, as torchlike eager keeps
them; NHWC with small convolutions as patch matmuls, as torchlike runs them on the CPU), in one
process; prints medians, ratios and first-step latency (peak memory: memory.py).
Run: python benchmarks/resnet_step.py [--batches 1 8] [--repeat N]"""
import argparse
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

from common import interleaved_us, machine, stored, table, torch_device, torch_sync  # noqa: E402


SETTLE = 50  # eager steps before the steady-state row: the segment compiles after about 35


def _data(batch):
    rng = np.random.default_rng(0)
    return (rng.random((batch, 3, 64, 64)).astype(np.float32), rng.random((batch, 1000)).astype(np.float32))


def make_torchlike_eager(batch, compiled=False):
    import torchlike as torch
    from torchlike.vision.models import resnet18
    torch.manual_seed(0)
    model = resnet18()
    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    x, labels = (torch.tensor(a) for a in _data(batch))

    def step(data, labels):
        optim.zero_grad()
        loss = (model(data) - labels).sum()
        loss.backward()
        optim.step()
        return loss
    run = torch.compile(step) if compiled else step
    return lambda: (run(x, labels), model)


def make_torch_eager(batch):
    import torch
    from resnet_refs import torch_resnet18
    device = torch_device(torch)
    sync = torch_sync(torch, device)
    torch.manual_seed(0)
    model = torch_resnet18().to(device)
    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    x, labels = (torch.from_numpy(a).to(device) for a in _data(batch))

    def step():
        optim.zero_grad()
        loss = (model(x) - labels).sum()
        loss.backward()
        optim.step()
        sync(loss)
        return loss
    return step


def make_jax(batch, layout):
    from resnet_refs import jax_resnet18_step
    step, state, x, labels = jax_resnet18_step(batch, layout)
    holder = {"s": state}

    def run():
        holder["s"], loss = step(holder["s"], x, labels)
        return loss, holder["s"]
    return run


def _sync(out):
    """Waits for everything a step computed, the parameter updates included: dispatch is
    asynchronous, and the rows take turns, so a step's unfinished work would otherwise be
    timed in the next row."""
    import jax
    loss, rest = out if isinstance(out, tuple) else (out, None)
    if hasattr(rest, "state_dict"):  # a torchlike model: its parameters and buffers, as stored
        rest = [stored(t) for t in list(rest.parameters()) + list(rest.buffers())]
    arr = getattr(loss, "_s", None)
    jax.block_until_ready((arr[0] if arr is not None else loss, rest))


def _first(make):
    t0 = time.perf_counter()
    step = make()
    _sync(step())
    _sync(step())  # a compiled step compiles on its second call
    return (time.perf_counter() - t0) * 1e3, step


def _settled(step, steps=SETTLE):
    """``step`` after enough calls for torchlike's deferred segment (the whole step) to have
    repeated into one compiled program: the eager step's steady state."""
    for _ in range(steps):
        _sync(step())
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    import jax
    print(f"machine: {machine()}; jax {jax.__version__}; devices {jax.devices()}")
    for batch in args.batches:
        # (name, make, whether its first steps are first steps: the settled row's are not)
        makers = [("torchlike eager", lambda: make_torchlike_eager(batch), True),
                  (f"torchlike eager, {SETTLE} steps on", lambda: _settled(make_torchlike_eager(batch)), False),
                  ("torchlike compiled", lambda: make_torchlike_eager(batch, compiled=True), True),
                  ("pure JAX jit NCHW", lambda: make_jax(batch, "NCHW"), True),
                  ("pure JAX jit NHWC", lambda: make_jax(batch, "NHWC"), True)]
        if jax.default_backend() == "cpu":  # the rows that explain torchlike's CPU convolutions
            makers += [("pure JAX jit NHWC/OIHW", lambda: make_jax(batch, "NHWC/OIHW"), True),
                       ("pure JAX jit NHWC/patches", lambda: make_jax(batch, "NHWC/patches"), True)]
        try:
            import torch
            torch.set_num_threads(os.cpu_count())
            makers.insert(2, ("PyTorch eager", lambda: make_torch_eager(batch), True))
        except ImportError:
            pass
        steps, firsts = [], []
        for name, make, first in makers:
            first_ms, step = _first(make)
            if first:
                firsts.append((name, first_ms))
            steps.append((name, step, _sync))
        rows = [(name, us / 1e3) for name, us in interleaved_us(steps, warmup=1, repeat=args.repeat, number=2)]
        table(f"resnet18 step, batch {batch}x3x64x64 (median ms)", rows,
              ["PyTorch eager", "pure JAX jit NCHW", "pure JAX jit NHWC", "pure JAX jit NHWC/patches"])
        print("first two steps, compilation included (ms): " + ", ".join(f"{n} {v:.0f}" for n, v in firsts))


if __name__ == "__main__":
    main()
