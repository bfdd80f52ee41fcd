"""One elementwise op (``a * b`` on two float32 elements that require grad): torchlike eager
(recording the tape), a cached ``jax.jit`` call, and PyTorch eager. Run: python benchmarks/elementwise.py"""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

from common import interleaved_us, machine, table  # noqa: E402


def main():
    import jax
    import jax.numpy as jnp
    import torchlike
    a = torchlike.tensor([1.0, 2.0], requires_grad=True)
    b = torchlike.tensor([3.0, 4.0], requires_grad=True)
    mul = jax.jit(lambda x, y: x * y)
    xa, xb = jnp.asarray([1.0, 2.0], jnp.float32), jnp.asarray([3.0, 4.0], jnp.float32)
    steps = [("torchlike a * b", lambda: a * b, None), ("cached jax.jit(mul)", lambda: mul(xa, xb), None)]
    try:
        import torch
        ta = torch.tensor([1.0, 2.0], requires_grad=True)
        tb = torch.tensor([3.0, 4.0], requires_grad=True)
        steps.append(("PyTorch a * b", lambda: ta * tb, None))
    except ImportError:
        pass
    rows = interleaved_us(steps, repeat=25, number=1000)
    print(f"machine: {machine()}; jax {jax.__version__}")
    table("one elementwise op on tensors that require grad", rows, ["cached jax.jit(mul)", "PyTorch a * b"])


if __name__ == "__main__":
    main()
