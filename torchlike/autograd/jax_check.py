"""check_against_jax: the tape's gradients against ``jax.grad`` of the same computation.

Both sides run the same torchlike ops: once recorded on the tape and differentiated by
torchlike's backward, once through ``torchlike.func.to_jax`` (no tape) and differentiated by
JAX. A disagreement points at the tape (recording, saved inputs, accumulation), not the ops.
"""
import jax
import jax.numpy as jnp
import numpy as np

from .. import _storage, _tensor


class JaxCheck(tuple):
    """Largest absolute difference per input (None for inputs that do not require grad), with
    both sides' gradients in ``tape_grads`` and ``jax_grads`` (jax.Arrays)."""

    def __new__(cls, diffs, tape_grads, jax_grads):
        self = super().__new__(cls, diffs)
        self.tape_grads, self.jax_grads = tape_grads, jax_grads
        return self

    @property
    def max(self):
        return max((d for d in self if d is not None), default=0.0)

    def __str__(self):
        rows = [f"  input {i}: " + ("not differentiated" if d is None else f"max |tape - jax.grad| = {d:.3g}")
                for i, d in enumerate(self)]
        return "check_against_jax:\n" + "\n".join(rows)


def check_against_jax(fn, *inputs, grad_output=None):
    """Runs ``fn(*inputs)`` on the tape and backward, and ``jax.grad`` of ``to_jax(fn)``; returns
    a JaxCheck (a tuple of the largest absolute difference per input).

    Inputs that require grad are differentiated (fresh leaves with their values are used, so
    their ``.grad`` is left alone). A non-scalar output is reduced as ``(out * grad_output).sum()``
    on both sides; ``grad_output`` defaults to a fixed pseudo-random tensor."""
    from ..func import to_jax
    diff = [i for i, x in enumerate(inputs) if isinstance(x, _tensor.Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("check_against_jax expects at least one input tensor to require gradient")
    leaves = [x.detach().requires_grad_(True) if i in diff else x for i, x in enumerate(inputs)]
    out = fn(*leaves)
    if not isinstance(out, _tensor.Tensor):
        raise TypeError(f"check_against_jax: fn must return a Tensor, but got {type(out).__name__}")
    ct = _cotangent(out, grad_output)
    from .engine import grad as _grad
    seed = None if ct is None else _tensor.Tensor._wrap(ct)
    tape = _grad(out, [leaves[i] for i in diff], seed, allow_unused=True)

    pure = to_jax(fn)

    def scalar(*arrays):
        args = list(inputs)
        for i, a in zip(diff, arrays):
            args[i] = a
        args = [a._s[0] if isinstance(a, _tensor.Tensor) else a for a in args]
        y = pure(*args)
        return y.reshape(()) if ct is None else jnp.sum(y * ct)

    jgrads = jax.grad(scalar, argnums=tuple(range(len(diff))))(*[inputs[i]._s[0] for i in diff])
    diffs = [None] * len(inputs)
    tape_out, jax_out = [None] * len(inputs), [None] * len(inputs)
    for k, i in enumerate(diff):
        t = tape[k]._s[0] if tape[k] is not None else jnp.zeros_like(inputs[i]._s[0])
        tape_out[i], jax_out[i] = t, jgrads[k]
        delta = np.abs(np.asarray(t, np.float64) - np.asarray(jgrads[k], np.float64))
        diffs[i] = float(delta.max()) if delta.size else 0.0
    return JaxCheck(diffs, tuple(tape_out), tuple(jax_out))


def _cotangent(out, grad_output):
    if grad_output is not None:
        return grad_output._s[0] if isinstance(grad_output, _tensor.Tensor) else jnp.asarray(grad_output)
    if out.numel() == 1:
        return None
    rng = np.random.default_rng(0)
    return jnp.asarray(rng.uniform(-1, 1, _storage._meta(out).shape), _storage._meta(out).dtype)
