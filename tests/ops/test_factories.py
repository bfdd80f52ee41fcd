"""Factories and conversions against PyTorch: tensor() inference, zeros/ones/full/arange/
linspace/logspace/eye, *_like and new_*, dtype=/requires_grad= and their errors, to()/type()/
item()/tolist()/numpy(), Size and result reprs."""
import numpy as np
import pytest

import torchlike
from oracle import oracle

from harness import assert_values, compare_errors


def _same(f, tol=None):
    """f(module) in both libraries: same values, dtype, shape, requires_grad and repr (or error)."""
    torch = oracle()
    try:
        want = f(torch)
    except Exception as e:  # noqa: BLE001
        try:
            f(torchlike)
        except Exception as ours:  # noqa: BLE001
            compare_errors(ours, e, repr(f))
            return
        raise AssertionError(f"torch raised {type(e).__name__}: {e}; torchlike did not")
    got = f(torchlike)
    if not isinstance(want, torch.Tensor):
        assert repr(got) == repr(want) and type(got).__name__ == type(want).__name__, (got, want)
        return
    assert str(got.dtype) == str(want.dtype), (got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.requires_grad == want.requires_grad
    assert_values(got, want, str(want.dtype)[6:], "values", tol)
    if tol is None:
        assert repr(got) == repr(want)


@pytest.mark.parametrize("data", [
    [[1, 2], [3, 4]], [True, False], [1, 2.5], [[1.0], [2]], 3, 2.5, True, [], [[]], [1 + 2j, 3],
    (1, 2, 3),
], ids=repr)
def test_tensor_inference(data):
    _same(lambda T: T.tensor(data))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                                   "bool", "complex64", "complex128"])
def test_tensor_from_numpy_dtypes(dtype):
    arr = (np.arange(6).reshape(2, 3) % 3).astype(dtype)
    _same(lambda T: T.tensor(arr))
    _same(lambda T: T.from_numpy(arr))


def test_tensor_from_list_of_0d_tensors_and_kwargs():
    _same(lambda T: T.tensor([T.tensor(1.5), T.tensor(2.0)]))
    _same(lambda T: T.tensor([1, 2], dtype=T.float64))
    _same(lambda T: T.tensor([1.0, 2.0], requires_grad=True))
    _same(lambda T: T.tensor([1, 2], requires_grad=True))
    _same(lambda T: T.zeros(2, dtype=T.int64, requires_grad=True))
    _same(lambda T: T.tensor([1, 2]).requires_grad_())


@pytest.mark.parametrize("make", [
    lambda T: T.zeros(2, 3), lambda T: T.zeros((2, 3), dtype=T.int32), lambda T: T.ones([3]),
    lambda T: T.ones(2, 1, dtype=T.bool), lambda T: T.full((2, 2), 7), lambda T: T.full((2,), 1.5),
    lambda T: T.full((2,), True), lambda T: T.full((2,), 2, dtype=T.float64), lambda T: T.empty(2, 3).shape,
    lambda T: T.zeros(-1), lambda T: T.eye(3), lambda T: T.eye(2, 3, dtype=T.int64),
    lambda T: T.zeros_like(T.ones(2, dtype=T.int32)), lambda T: T.ones_like(T.ones(2), dtype=T.float64),
    lambda T: T.full_like(T.ones(2, 2), 3.5), lambda T: T.ones(2).new_zeros(3), lambda T: T.ones(2).new_ones((2, 2)),
    lambda T: T.ones(2, dtype=T.int64).new_full((2,), 3), lambda T: T.ones(2).new_tensor([1, 2]),
    lambda T: T.zeros(2, requires_grad=True), lambda T: T.Tensor(2, 3).shape, lambda T: T.Tensor([1, 2]),
], ids=lambda f: f.__code__.co_firstlineno)
def test_fill_factories(make):
    _same(make)


@pytest.mark.parametrize("args", [(5,), (1, 4), (0, 1, 0.1), (0.5, 3), (1, 2.5, 0.5), (10, 0, -3), (0, 1, 0.3),
                                  (-1.0, 1.0, 0.25), (0, 10, 3)], ids=repr)
def test_arange(args):
    _same(lambda T: T.arange(*args))
    _same(lambda T: T.arange(*args, dtype=T.float64))


def test_arange_errors():
    _same(lambda T: T.arange(0, 1, 0))
    _same(lambda T: T.arange(0, 10, -1))


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.5, 3.3, 7), (1, 0, 4), (0, 1, 1), (3, 10, 8), (0, 1, 0)], ids=repr)
def test_linspace_logspace(args):
    _same(lambda T: T.linspace(*args))
    _same(lambda T: T.logspace(*args), tol=(1e-6, 1e-6))
    _same(lambda T: T.logspace(*args, base=2.0), tol=(1e-6, 1e-6))


def test_conversions():
    torch = oracle()
    for mod_f in (lambda T: T.tensor([1.7, -2.2]).long(), lambda T: T.tensor([1.7, 0.0]).bool(),
                  lambda T: T.tensor([1, 2]).float(), lambda T: T.tensor([1, 2]).double(),
                  lambda T: T.tensor([1.5]).type(T.int32), lambda T: T.tensor([1.5]).to(T.float16),
                  lambda T: T.tensor([1.5]).type("torch.DoubleTensor"), lambda T: T.tensor([1.5]).type(),
                  lambda T: T.tensor([[1.5]]).item(), lambda T: T.tensor([1, 2]).tolist(),
                  lambda T: T.tensor([[1.5, 2]]).tolist(), lambda T: T.tensor(3).item(), lambda T: int(T.tensor(3.7)),
                  lambda T: float(T.tensor([2])), lambda T: T.tensor([1, 2]).item(),
                  lambda T: repr(T.zeros(2, 3).shape), lambda T: str(T.Size([2, 3])), lambda T: T.ones(2, 3).size(1),
                  lambda T: repr(T.arange(3) * 1.5), lambda T: repr(T.tensor([1, 2]).to(T.float64)),
                  lambda T: "{:+.2f}".format(T.tensor(1.234)), lambda T: T.tensor(2.0, requires_grad=True).numpy()):
        _same(mod_f)
    got = torchlike.tensor([1.0, 2.0]).numpy()
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    t = torchlike.ones(2)
    assert t.to(torchlike.float32) is t and t.float() is t
    assert t.to(torch.float32 if False else torchlike.float32, copy=True) is not t


def test_view_as_another_dtype_reads_the_same_bytes():
    torch = oracle()
    data = np.array([[1.0, -2.5, 3.25, 1e-3]], np.float32)
    for dt in ("int32", "int16", "float64", "uint8", "float32"):
        ours = torchlike.tensor(data).view(getattr(torchlike, dt))
        theirs = torch.tensor(data).view(getattr(torch, dt))
        assert str(ours.dtype) == str(theirs.dtype) and tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())
