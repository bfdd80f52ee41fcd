"""Type promotion and broadcasting against PyTorch: torch.result_type over every pair of dtypes
and operand kinds (tensor, 0-d tensor, Python scalar), the dtypes binary ops actually return,
and hypothesis-drawn broadcast shapes (values and gradients)."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import torchlike
from oracle import oracle
from torchlike.autograd import lazy

from harness import assert_values

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
          "complex64", "complex128"]
KINDS = ["tensor", "zerodim", "scalar"]
_SCALARS = {"bool": True, "int": 3, "float": 2.5, "complex": 1 + 2j}


def _operand(mod, dtype, kind):
    if kind == "scalar":
        d = getattr(mod, dtype)
        key = "bool" if dtype == "bool" else "complex" if d.is_complex else "float" if d.is_floating_point else "int"
        return _SCALARS[key]
    shape = () if kind == "zerodim" else (2,)
    return mod.ones(shape, dtype=getattr(mod, dtype))


_PAIRS = [(a, ka, b, kb) for a, b in itertools.product(DTYPES, DTYPES) for ka, kb in itertools.product(KINDS, KINDS)
          if not (ka == "scalar" and kb == "scalar")]


def test_result_type_every_pair():
    torch = oracle()
    bad = []
    for a, ka, b, kb in _PAIRS:
        want = torch.result_type(_operand(torch, a, ka), _operand(torch, b, kb))
        if want is torch.complex32:
            continue  # torchlike has no complex32 (chalf); float16 with complex gives complex64 there
        got = torchlike.result_type(_operand(torchlike, a, ka), _operand(torchlike, b, kb))
        if str(got) != str(want):
            bad.append((a, ka, b, kb, got, want))
    assert not bad, bad[:10]


_OPS = {"add": lambda T, x, y: T.add(x, y), "mul": lambda T, x, y: x * y, "div": lambda T, x, y: T.div(x, y),
        "eq": lambda T, x, y: x == y, "lt": lambda T, x, y: x < y,
        "where": lambda T, x, y: T.where(T.ones((2,), dtype=T.bool), x, y)}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_OPS)), st.sampled_from(_PAIRS))
def test_result_dtypes_of_ops(name, pair):
    torch = oracle()
    a, ka, b, kb = pair
    f = _OPS[name]
    if torch.result_type(_operand(torch, a, ka), _operand(torch, b, kb)) is torch.complex32:
        return  # no complex32 in torchlike (see test_result_type_every_pair)
    try:
        want = f(torch, _operand(torch, a, ka), _operand(torch, b, kb))
    except (RuntimeError, TypeError) as e:  # e.g. uint dtypes without kernels, bool - bool
        with pytest.raises(type(e)):
            f(torchlike, _operand(torchlike, a, ka), _operand(torchlike, b, kb))
        return
    got = f(torchlike, _operand(torchlike, a, ka), _operand(torchlike, b, kb))
    assert str(got.dtype) == str(want.dtype), (name, pair)
    assert tuple(got.shape) == tuple(want.shape)


_BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
           "div": lambda x, y: x / y, "maximum": lambda x, y: x.maximum(y) if hasattr(x, "maximum") else None,
           "atan2": lambda x, y: x.atan2(y)}


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(_BINARY)),
       hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3),
       st.integers(0, 2 ** 16))
def test_broadcasting_values_and_grads(name, shapes, seed):
    torch = oracle()
    rng = np.random.default_rng(seed)
    arrs = [(rng.uniform(0.5, 2, s) * rng.choice([-1, 1], s)).astype(np.float32) for s in shapes.input_shapes]
    f = _BINARY[name]
    ours = [torchlike.tensor(a, requires_grad=True) for a in arrs]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrs]
    o, t = f(*ours), f(*theirs)
    assert tuple(o.shape) == tuple(t.shape) == shapes.result_shape
    assert_values(o, t, "float32", name)
    assert o.grad_fn.name() == t.grad_fn.name()
    ct = np.asarray(rng.uniform(-1, 1, t.shape)).astype(np.float32)
    o.backward(torchlike.tensor(ct))
    t.backward(torch.tensor(ct))
    for x, y in zip(ours, theirs):
        assert tuple(x.grad.shape) == tuple(y.grad.shape)
        assert_values(x.grad, y.grad, "float32", f"{name} grad")


def test_python_scalar_constants_keep_signed_zeros_and_values_apart():
    """Python scalars are compiled into cached programs; 0.0 and -0.0 are equal as cache keys
    but must not share a program, and a position that sees many values must still use each."""
    torch = oracle()
    scalars = [0.0, -0.0, 0.0, complex(-0.0, 0.0), 0j, False, 0, 2.5] + [float(i) for i in range(12)] + [-0.0]
    for s in scalars:
        got = torchlike.tensor([1.0, -2.0]) * s
        want = torch.tensor([1.0, -2.0]) * s
        assert repr(got) == repr(want), (s, got, want)


@pytest.mark.parametrize("call", [
    lambda T: T.ones(3, requires_grad=True) + T.ones(4),
    lambda T: T.ones(2, 3) * T.ones(4),
    lambda T: T.ones(2, 3) - T.ones(2, 1, 4),
    lambda T: T.ones(5, 1, 3).add_(T.ones(2, 4, 1)),
    lambda T: T.where(T.ones(2, 1) > 0, T.ones(3), T.ones(4, 1, 1, 5)),
    lambda T: T.maximum(T.ones(3, requires_grad=True), T.ones(2, 2)),
])
def test_shapes_that_do_not_broadcast_raise_pytorchs_error(call):
    """PyTorch's infer_size message, deferred (the op's abstract evaluation raises) or not."""
    torch = oracle()
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    for defer in (True, False):
        if not defer:
            lazy.pause()
        try:
            with pytest.raises(RuntimeError) as ours:
                call(torchlike)
        finally:
            if not defer:
                lazy.unpause()
        assert str(ours.value) == str(theirs.value)
