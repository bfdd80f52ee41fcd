"""One elementwise op (``a * b`` on two float32 elements that require grad): torchlike eager
(recording the tape; deferred ops run in segments, so results are kept and waited for, and a
second row reads each result at once, running a segment per op), a cached ``jax.jit`` call,
and PyTorch eager. Run: python benchmarks/elementwise.py"""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

from common import interleaved_us, machine, stored, table, torch_device, torch_sync  # noqa: E402


def main():
    import jax
    import jax.numpy as jnp
    import torchlike
    a = torchlike.tensor([1.0, 2.0], requires_grad=True)
    b = torchlike.tensor([3.0, 4.0], requires_grad=True)
    mul = jax.jit(lambda x, y: x * y)
    xa, xb = jnp.asarray([1.0, 2.0], jnp.float32), jnp.asarray([3.0, 4.0], jnp.float32)
    kept = []  # every result is kept and waited for: a deferred op whose result is dropped never runs

    def keep(x):
        kept.append(x)
        return kept

    def sync(results):
        jax.block_until_ready([stored(x) if hasattr(x, "_s") else x for x in results])
        results.clear()

    def read_now():
        c = a * b
        return stored(c)

    steps = [("torchlike a * b", lambda: keep(a * b), sync),
             ("cached jax.jit(mul)", lambda: keep(mul(xa, xb)), sync)]
    try:
        import torch
        device = torch_device(torch)
        ta = torch.tensor([1.0, 2.0], requires_grad=True, device=device)
        tb = torch.tensor([3.0, 4.0], requires_grad=True, device=device)
        steps.append(("PyTorch a * b", lambda: ta * tb, torch_sync(torch, device)))
    except ImportError:
        pass
    for _ in range(40):  # the steady state: batches enough for each segment to become a program
        for _ in range(1000):
            keep(a * b)
        sync(kept)
    rows = interleaved_us(steps, repeat=25, number=1000)
    # each value read as it is made: torchlike then runs ops at the call (its "quiet" mode), which
    # would shift the kept row's segments, so this table runs after the first
    read = [("torchlike a * b, read at once", read_now, jax.block_until_ready),
            ("cached jax.jit(mul), waited for", lambda: mul(xa, xb), jax.block_until_ready)]
    read_rows = interleaved_us(read, warmup=20, repeat=25, number=1000)
    print(f"machine: {machine()}; jax {jax.__version__}; devices {jax.devices()}")
    table("one elementwise op on tensors that require grad, results kept", rows,
          ["cached jax.jit(mul)", "PyTorch a * b"])
    table("one elementwise op, each result read at once", read_rows + rows[1:2], ["cached jax.jit(mul)"])


if __name__ == "__main__":
    main()
