"""One elementwise op (``a * b`` on two float32 elements that require grad): torchlike eager
(recording the tape), a cached ``jax.jit`` call, and PyTorch eager. Run: python benchmarks/elementwise.py"""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

from common import machine, median_us, table  # noqa: E402


def main():
    import jax
    import jax.numpy as jnp
    import torchlike
    a = torchlike.tensor([1.0, 2.0], requires_grad=True)
    b = torchlike.tensor([3.0, 4.0], requires_grad=True)
    mul = jax.jit(lambda x, y: x * y)
    xa, xb = jnp.asarray([1.0, 2.0], jnp.float32), jnp.asarray([3.0, 4.0], jnp.float32)
    rows = [("torchlike a * b", median_us(lambda: a * b, number=2000)),
            ("cached jax.jit(mul)", median_us(lambda: mul(xa, xb), number=2000))]
    try:
        import torch
        ta = torch.tensor([1.0, 2.0], requires_grad=True)
        tb = torch.tensor([3.0, 4.0], requires_grad=True)
        rows.append(("PyTorch a * b", median_us(lambda: ta * tb, number=2000)))
    except ImportError:
        pass
    print(f"machine: {machine()}; jax {jax.__version__}")
    table("one elementwise op on tensors that require grad", rows, ["cached jax.jit(mul)", "PyTorch a * b"])


if __name__ == "__main__":
    main()
