"""The PyTorch oracle. Tests import ``torch`` through ``oracle()``: it skips the test when torch
is missing on a developer machine, and fails under CI=true, where the oracle must be present."""
import os

import numpy as np
import pytest


def oracle():
    if os.environ.get("CI") == "true":
        import torch
        return torch
    return pytest.importorskip("torch")


def to_torch(t, torch, requires_grad=None):
    """A torch tensor with the same values and dtype as torchlike tensor ``t``."""
    arr = np.asarray(t._s[0])
    out = torch.from_numpy(np.array(arr.astype(np.float32) if arr.dtype.name == "bfloat16" else arr))
    if arr.dtype.name == "bfloat16":
        out = out.to(torch.bfloat16)
    if requires_grad if requires_grad is not None else t.requires_grad:
        out.requires_grad_(True)
    return out


def to_numpy(x):
    """Values of a torch or torchlike tensor as float64/int numpy (bfloat16 widened)."""
    if hasattr(x, "_s"):
        arr = np.asarray(x._s[0])
    else:
        x = x.detach()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        arr = x.numpy()
    return arr.astype(np.float64) if arr.dtype.name == "bfloat16" else arr


def assert_close(ours, theirs, rtol=1e-5, atol=1e-6):
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
