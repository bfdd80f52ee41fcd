"""gradcheck / gradgradcheck against PyTorch's, and check_against_jax."""
import warnings

import numpy as np
import pytest

import torchlike
from torchlike.autograd import GradcheckError, check_against_jax, gradcheck, gradgradcheck
from tests.oracle import oracle, to_torch

X = np.array([0.3, -1.2, 2.0])
W = np.array([[0.5, -0.25], [1.5, 0.75], [-1.0, 0.1]])


def _inputs(mod, dtype=None):
    dtype = dtype or mod.float64
    return (mod.tensor(X, dtype=dtype, requires_grad=True), mod.tensor(W, dtype=dtype, requires_grad=True))


def fn(a, b):
    return (a @ b).tanh() * a.sum()


def test_correct_gradients_pass():
    assert gradcheck(fn, _inputs(torchlike)) is True
    assert gradgradcheck(fn, _inputs(torchlike)) is True


def _wrong(mod):
    class Cube(mod.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * a * 3
    return Cube.apply


def test_wrong_backward_raises_pytorchs_message():
    torch = oracle()
    with pytest.raises(RuntimeError) as theirs:
        torch.autograd.gradcheck(_wrong(torch), (torch.tensor(X, requires_grad=True),))
    with pytest.raises(GradcheckError) as ours:
        gradcheck(_wrong(torchlike), (torchlike.tensor(X, requires_grad=True),))
    assert isinstance(ours.value, RuntimeError) and type(theirs.value).__name__ == "GradcheckError"
    assert str(ours.value) == str(theirs.value)
    assert gradcheck(_wrong(torchlike), (torchlike.tensor(X, requires_grad=True),), raise_exception=False) is False


def test_input_checks_match_pytorch():
    torch = oracle()
    with pytest.raises(ValueError) as theirs:
        torch.autograd.gradcheck(fn, (torch.tensor(X), torch.tensor(W)))
    with pytest.raises(ValueError) as ours:
        gradcheck(fn, (torchlike.tensor(X), torchlike.tensor(W)))
    assert str(ours.value) == str(theirs.value)
    with warnings.catch_warnings(record=True) as theirs_w:
        warnings.simplefilter("always")
        torch.autograd.gradcheck(fn, _inputs(torch, torch.float32), atol=1e-2, rtol=1e-2, eps=1e-3)
    with warnings.catch_warnings(record=True) as ours_w:
        warnings.simplefilter("always")
        gradcheck(fn, _inputs(torchlike, torchlike.float32), atol=1e-2, rtol=1e-2, eps=1e-3)
    assert [str(w.message) for w in ours_w] == [str(w.message) for w in theirs_w if "Input #" in str(w.message)]


def test_unsupported_modes_say_so():
    with pytest.raises(NotImplementedError, match="check_forward_ad"):
        gradcheck(fn, _inputs(torchlike), check_forward_ad=True)


def test_check_against_jax():
    from torchlike.autograd.jax_check import _cotangent
    torch = oracle()
    a, b = _inputs(torchlike)
    result = check_against_jax(fn, a, b)
    assert len(result) == 2 and result.max < 1e-12
    assert a.grad is None  # the check differentiates fresh leaves
    ct = _cotangent(fn(a, b), None)  # the non-scalar output is reduced with this cotangent
    ta, tb = to_torch(a, torch), to_torch(b, torch)
    (fn(ta, tb) * torch.from_numpy(np.array(ct))).sum().backward()
    np.testing.assert_allclose(np.asarray(result.jax_grads[0]), ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(result.jax_grads[1]), tb.grad.numpy(), rtol=1e-10)
    partial = check_against_jax(fn, a, torchlike.tensor(W))
    assert partial[1] is None and "input 1: not differentiated" in str(partial)


def test_jax_crosscheck_example():
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run([sys.executable, os.path.join(root, "examples", "jax_crosscheck.py")], capture_output=True,
                       text=True, env=dict(os.environ, JAX_PLATFORMS="cpu"), timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    assert "mlp      w1" in p.stdout and p.stdout.rstrip().endswith("OK")
