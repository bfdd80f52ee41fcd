"""DLPack and NumPy: tensors to and from PyTorch, JAX and NumPy."""
import numpy as np
import pytest

import torchlike
from torchlike.utils.dlpack import from_dlpack, to_dlpack
from tests.oracle import oracle


def test_from_torch_shares_memory():
    torch = oracle()
    t = torch.arange(6.0).reshape(2, 3)
    x = torchlike.from_dlpack(t)
    assert x.dtype is torchlike.float32 and x.shape == (2, 3) and x.tolist() == t.tolist()
    assert x.jax().unsafe_buffer_pointer() == t.data_ptr()


def test_to_torch_and_numpy():
    torch = oracle()
    x = torchlike.arange(4, dtype=torchlike.int64)
    y = torch.from_dlpack(x)
    assert y.dtype == torch.int64 and y.tolist() == [0, 1, 2, 3]
    assert y.data_ptr() == x.jax().unsafe_buffer_pointer()
    assert np.from_dlpack(x).tolist() == [0, 1, 2, 3]
    assert x.__dlpack_device__() == torch.arange(1).__dlpack_device__()


def test_legacy_capsules_both_ways():
    torch = oracle()
    cap = torch.utils.dlpack.to_dlpack(torch.tensor([1.5, 2.5], dtype=torch.float64))
    x = from_dlpack(cap)
    assert x.dtype is torchlike.float64 and x.tolist() == [1.5, 2.5]
    with pytest.raises(RuntimeError) as ours:
        from_dlpack(cap)
    with pytest.raises(RuntimeError) as theirs:
        torch.from_dlpack(cap)
    assert str(ours.value) == str(theirs.value)
    back = torch.utils.dlpack.from_dlpack(to_dlpack(x))
    assert back.dtype == torch.float64 and back.tolist() == [1.5, 2.5]


def test_requires_grad_tensor_is_not_exported():
    torch = oracle()
    with pytest.raises(BufferError) as theirs:
        torch.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError) as ours:
        torchlike.ones(2, requires_grad=True).__dlpack__()
    assert str(ours.value) == str(theirs.value)


def test_numpy_round_trip():
    a = np.arange(3.0)
    t = torchlike.from_numpy(a)
    assert t.dtype is torchlike.float64 and np.asarray(t).tolist() == [0.0, 1.0, 2.0]
    assert t.numpy().tolist() == [0.0, 1.0, 2.0]
