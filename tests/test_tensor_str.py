"""torchlike._tensor_str.format_tensor against repr() of real torch tensors built from the
same NumPy arrays."""
import contextlib
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

if os.environ.get("CI") == "true":
    import torch
else:
    torch = pytest.importorskip("torch")

from torchlike import _dtype, _tensor_str  # noqa: E402
from torchlike._tensor_str import format_tensor  # noqa: E402

D = _dtype
rng = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _default_printoptions():
    yield
    torch.set_printoptions(profile="default")
    _tensor_str.set_printoptions(profile="default")


@contextlib.contextmanager
def both_printoptions(**kwargs):
    """The same print options in torch and torchlike for the duration of the block."""
    torch.set_printoptions(**kwargs)
    _tensor_str.set_printoptions(**kwargs)
    try:
        yield
    finally:
        torch.set_printoptions(profile="default")
        _tensor_str.set_printoptions(profile="default")


def to_torch(arr, dtype):
    if dtype is D.bfloat16:
        return torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(arr, copy=True))


def check(values, dtype=None, **kwargs):
    arr = np.asarray(values) if dtype is None else np.asarray(values, dtype=dtype.np)
    dtype = dtype or D.from_numpy_dtype(arr.dtype)
    expected = repr(to_torch(arr, dtype))
    assert format_tensor(arr, dtype, **kwargs) == expected


def randn(*shape, dtype=np.float32):
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


nan, inf = math.nan, math.inf
CASES = {
    # integers and bools
    "arange": (np.arange(10), None),
    "negative_ints": ([-5, 3, 100, -1000], D.int64),
    "int_matrix": ([[1, -2], [30, 4]], D.int64),
    "int32": ([1, 2, 3], D.int32),
    "int16": ([[-7, 8]], D.int16),
    "int8": ([-128, 127], D.int8),
    "uint8": ([0, 255, 7], D.uint8),
    "int_0d": (7, D.int64),
    "int32_0d": (-3, D.int32),
    "bool": ([True, False, True], D.bool),
    "bool_matrix": ([[True, False], [False, False]], D.bool),
    "bool_0d": (True, D.bool),
    # floats
    "fixed": ([1.5, 2.25, -3.0], D.float32),
    "integral": ([1.0, 2.0, 3.0], D.float32),
    "integral_negative": ([[-1.0, 20.0], [300.0, 4.0]], D.float32),
    "signed_zero": ([-0.0, 0.0, 1.0], D.float32),
    "zeros": ([0.0, 0.0], D.float32),
    "randn": (randn(5), D.float32),
    "randn_matrix": (randn(3, 4), D.float32),
    "float64": (randn(4, dtype=np.float64), D.float64),
    "float64_integral": ([1.0, 2.0], D.float64),
    "float16": (randn(2, 3, dtype=np.float16), D.float16),
    "bfloat16": (randn(5), D.bfloat16),
    "bfloat16_integral": ([256.0, 3.0], D.bfloat16),
    "float_0d": (3.5, D.float32),
    "float_0d_integral": (27.0, D.float32),
    "float64_0d": (-0.125, D.float64),
    "float_0d_nan": (nan, D.float32),
    # magnitudes: scientific notation is picked automatically
    "large": ([1e10, 2.5e9], D.float32),
    "tiny": ([1e-6, 2e-5], D.float32),
    "wide_ratio": ([1.0, 2000.0], D.float32),
    "wide_ratio_integral_sci": ([1.0, 1e9, -3.0], D.float32),
    "just_under_1e8": ([99999999.0, 1.0e7], D.float64),
    "tiny_0d": (1e-7, D.float32),
    "huge_float64": ([1e300, -1e-300], D.float64),
    # non-finite values
    "nan_inf": ([nan, inf, -inf, 1.5], D.float32),
    "nan_integral": ([nan, 1.0, 2.0], D.float32),
    "only_nonfinite": ([nan, inf, -inf], D.float32),
    "nan_sci": ([nan, 1e-8, 3.0], D.float32),
    # complex
    "complex64": (randn(4) + 1j * randn(4), D.complex64),
    "complex128": ((randn(2, 2) + 1j * randn(2, 2)).astype(np.complex128), D.complex128),
    "complex_integral": ([1 + 2j, -3 - 4j], D.complex64),
    "complex_negative_zero_imag": ([complex(1.5, -0.0), 2.5 + 0j], D.complex64),
    "complex_sci": ([1e10 + 1e-3j, 1 + 1j], D.complex64),
    "complex_0d": (1.5 - 2.25j, D.complex64),
    "complex_nan": ([complex(nan, 1.0), complex(1.0, inf)], D.complex64),
    # empty and zero-size tensors
    "empty": (np.zeros((0,)), D.float32),
    "empty_2d": (np.zeros((0, 3)), D.float32),
    "empty_3d": (np.zeros((2, 0, 4)), D.float32),
    "empty_int64": (np.zeros((0,)), D.int64),
    "empty_float64": (np.zeros((3, 0)), D.float64),
    "empty_bool": (np.zeros((0,)), D.bool),
    # summarization and line wrapping
    "arange_1000": (np.arange(1000), D.int64),
    "arange_1001": (np.arange(1001), D.int64),
    "randn_2000": (randn(2000), D.float32),
    "summarized_3d": (randn(10, 20, 30), D.float32),
    "summarized_2d_int": (np.arange(100 * 100).reshape(100, 100), D.int64),
    "summarized_4d": (randn(3, 4, 10, 10), D.float64),
    "summarized_complex": (randn(1500) + 1j * randn(1500), D.complex64),
    "small_3d": (randn(4, 5, 6), D.float32),
    "small_4d": (np.arange(24).reshape(2, 3, 2, 2), D.int32),
    "wide_row": (randn(30), D.float32),
    "wide_rows_2d": (randn(3, 40) * 100, D.float32),
    "wide_sci": (randn(25) * 1e6, D.float32),
    "wide_ints": (np.arange(100) * 12345, D.int64),
    "wide_complex": (randn(12) + 1j * randn(12), D.complex64),
    "wide_float64": (randn(2, 30, dtype=np.float64), D.float64),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    values, dtype = CASES[name]
    check(values, dtype)


AUTOGRAD_TUTORIAL = [
    ("torch.ones(2, 2, requires_grad=True)",
     "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"),
    ("x + 2", "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)"),
    ("y * y * 3", "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)"),
    ("z.mean()", "tensor(27., grad_fn=<MeanBackward0>)"),
]


def test_autograd_tutorial():
    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward()
    for t, (_, expected) in zip([x, y, z, out], AUTOGRAD_TUTORIAL):
        name = None if t.grad_fn is None else type(t.grad_fn).__name__
        got = format_tensor(t.detach().numpy(), D.float32, grad_fn_name=name,
                            requires_grad=t.requires_grad)
        assert got == expected == repr(t)
    assert format_tensor(x.grad.numpy(), D.float32) == repr(x.grad)
    assert repr(x.grad) == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"

    values = np.array([1.8210, 6.5158, -0.3352], dtype=np.float32)
    y = torch.from_numpy(values).requires_grad_() * 1
    got = format_tensor(values, D.float32, grad_fn_name="MulBackward0")
    assert got == repr(y) == "tensor([ 1.8210,  6.5158, -0.3352], grad_fn=<MulBackward0>)"


@pytest.mark.parametrize("shape", [(3,), (7,), (2, 9), ()])
@pytest.mark.parametrize("dtype", [D.float32, D.float64, D.complex64])
def test_grad_suffixes(shape, dtype):
    # shapes chosen so that some suffixes fit on the last line and some wrap
    arr = randn(*shape) * 10
    if dtype.is_complex:
        arr = arr + 1j * randn(*shape)
    arr = np.asarray(arr, dtype=dtype.np)
    leaf = torch.from_numpy(arr.copy()).requires_grad_()
    assert format_tensor(arr, dtype, requires_grad=True) == repr(leaf)
    out = leaf * 1
    assert format_tensor(arr, dtype, grad_fn_name="MulBackward0") == repr(out)


def test_device_suffix():
    # torch on CPU can't build a cuda tensor, so the expected text is PyTorch's written out
    arr = np.array([1.0, 2.0], np.float32)
    assert format_tensor(arr, D.float32, device="cuda:0") == "tensor([1., 2.], device='cuda:0')"
    assert format_tensor(arr, D.float32, device="cpu") == "tensor([1., 2.])"
    assert (format_tensor(arr, D.float64, device="cuda:1", grad_fn_name="AddBackward0")
            == "tensor([1., 2.], device='cuda:1', dtype=torch.float64, grad_fn=<AddBackward0>)")


@pytest.mark.parametrize("options", [
    dict(precision=2),
    dict(precision=0),
    dict(precision=8),
    dict(sci_mode=False),
    dict(sci_mode=True),
    dict(precision=2, sci_mode=False),
    dict(threshold=5),
    dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0),
    dict(edgeitems=0),
    dict(linewidth=40),
    dict(linewidth=1),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="full", precision=6, linewidth=120),
])
@pytest.mark.parametrize("name", ["randn_matrix", "large", "tiny", "wide_ratio", "integral",
                                  "complex64", "arange_1001", "summarized_3d", "wide_ints",
                                  "nan_inf", "float_0d", "empty_2d", "bool"])
def test_printoptions(options, name):
    values, dtype = CASES[name]
    with both_printoptions(**options):
        check(values, dtype)


def test_printoptions_api():
    defaults = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)
    assert _tensor_str.get_printoptions() == defaults == torch._tensor_str.get_printoptions()
    with _tensor_str.printoptions(precision=2, sci_mode=True):
        assert _tensor_str.get_printoptions() == dict(defaults, precision=2, sci_mode=True)
        assert format_tensor(np.array([1.5], np.float32), D.float32) == "tensor([1.50e+00])"
    assert _tensor_str.get_printoptions() == defaults
    _tensor_str.set_printoptions(profile="short")
    assert _tensor_str.get_printoptions() == dict(defaults, precision=2, edgeitems=2)
    _tensor_str.set_printoptions(profile="full")
    assert _tensor_str.get_printoptions() == dict(defaults, threshold=math.inf)


def test_default_dtype_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    _dtype.set_default_dtype(D.float64)
    try:
        for values, dtype in [([1.5, 2.0], D.float64), ([1.5, 2.0], D.float32),
                              ([1 + 1j], D.complex128), ([1 + 1j], D.complex64),
                              (np.zeros((0,)), D.float64), (np.zeros((0,)), D.float32)]:
            check(values, dtype)
    finally:
        torch.set_default_dtype(old)
        _dtype.set_default_dtype(D.float32)


_magnitude_floats = st.one_of(
    st.floats(-1e3, 1e3, width=32),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 100.0, nan, inf, -inf]),
)


@settings(max_examples=150, deadline=None)
@given(
    base=hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
                    elements=_magnitude_floats),
    exponent=st.integers(-12, 12),
    options=st.fixed_dictionaries({}, optional={
        "precision": st.integers(0, 8),
        "threshold": st.integers(1, 50),
        "edgeitems": st.integers(0, 3),
        "linewidth": st.integers(20, 120),
        "sci_mode": st.sampled_from([True, False]),
    }),
)
def test_random_float32_matches_torch(base, exponent, options):
    with np.errstate(over="ignore"):
        arr = (base * np.float32(10.0 ** exponent)).astype(np.float32)
    with both_printoptions(**options):
        check(arr, D.float32)
