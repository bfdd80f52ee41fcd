"""torchlike.nn.init against torch.nn.init: gains, fans, error texts, exact deterministic fills,
and the distributions of the random initialisers (bounds and moments on large tensors)."""
import math

import numpy as np
import pytest

import torchlike
import torchlike.nn as nn
from oracle import oracle, to_numpy

SHAPES = [(4, 3), (8, 2, 3), (6, 4, 3, 3), (2, 3, 1, 2, 2)]


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",)])
def test_calculate_gain(args):
    torch = oracle()
    assert nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


@pytest.mark.parametrize("args", [("softmax",), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_errors(args):
    torch = oracle()
    with pytest.raises(ValueError) as theirs:
        torch.nn.init.calculate_gain(*args)
    with pytest.raises(ValueError, match="^" + __import__("re").escape(str(theirs.value)) + "$"):
        nn.init.calculate_gain(*args)


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_in_fan_out(shape):
    torch = oracle()
    assert nn.init._calculate_fan_in_and_fan_out(torchlike.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def _same_error(ours, theirs, exc=ValueError):
    with pytest.raises(exc) as t:
        theirs()
    with pytest.raises(exc) as o:
        ours()
    assert str(o.value) == str(t.value)


def test_error_messages():
    torch = oracle()
    _same_error(lambda: nn.init._calculate_fan_in_and_fan_out(torchlike.empty(3)),
                lambda: torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(3)))
    _same_error(lambda: nn.init.kaiming_uniform_(torchlike.empty(3, 4), mode="fan_avg"),
                lambda: torch.nn.init.kaiming_uniform_(torch.empty(3, 4), mode="fan_avg"))
    _same_error(lambda: nn.init.eye_(torchlike.empty(3, 4, 5)), lambda: torch.nn.init.eye_(torch.empty(3, 4, 5)))
    _same_error(lambda: nn.init.dirac_(torchlike.empty(3, 4)), lambda: torch.nn.init.dirac_(torch.empty(3, 4)))
    _same_error(lambda: nn.init.dirac_(torchlike.empty(3, 4, 5), groups=2),
                lambda: torch.nn.init.dirac_(torch.empty(3, 4, 5), groups=2))
    _same_error(lambda: nn.init.orthogonal_(torchlike.empty(3)), lambda: torch.nn.init.orthogonal_(torch.empty(3)))


def test_deterministic_fills_match_torch():
    torch = oracle()
    for ours, theirs in [
        (nn.init.constant_(torchlike.empty(3, 4), 0.3), torch.nn.init.constant_(torch.empty(3, 4), 0.3)),
        (nn.init.ones_(torchlike.empty(2, 5)), torch.nn.init.ones_(torch.empty(2, 5))),
        (nn.init.zeros_(torchlike.ones(2, 5)), torch.nn.init.zeros_(torch.ones(2, 5))),
        (nn.init.eye_(torchlike.empty(3, 5)), torch.nn.init.eye_(torch.empty(3, 5))),
        (nn.init.dirac_(torchlike.empty(4, 2, 3, 3), groups=2), torch.nn.init.dirac_(torch.empty(4, 2, 3, 3), groups=2)),
        (nn.init.dirac_(torchlike.empty(3, 5, 4)), torch.nn.init.dirac_(torch.empty(3, 5, 4))),
    ]:
        np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))
        assert str(ours.dtype) == str(theirs.dtype)


def test_in_place_on_parameter_keeps_leaf_and_identity():
    p = nn.Parameter(torchlike.empty(64, 32))
    version = p._version
    for fn in (nn.init.uniform_, nn.init.normal_, nn.init.xavier_uniform_, nn.init.kaiming_normal_,
               nn.init.trunc_normal_, nn.init.orthogonal_, nn.init.zeros_, nn.init.eye_):
        assert fn(p) is p
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version > version


N = (400, 500)  # 200k samples: moment estimates within ~1% of the truth


def _stats(t):
    a = to_numpy(t).astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


def _check_uniform(t, bound):
    lo, hi, mean, std = _stats(t)
    assert -bound * (1 + 1e-6) <= lo and hi <= bound * (1 + 1e-6)  # float32 rounding of the bound
    assert lo < -0.99 * bound and hi > 0.99 * bound
    assert abs(mean) < 0.01 * bound
    assert std == pytest.approx(bound / math.sqrt(3), rel=0.01)


def _check_normal(t, mean, std):
    _, _, m, s = _stats(t)
    assert abs(m - mean) < 0.01 * std + 1e-12
    assert s == pytest.approx(std, rel=0.01)


def test_uniform_and_normal():
    t = nn.init.uniform_(torchlike.empty(N), -2.0, 3.0)
    lo, hi, mean, std = _stats(t)
    assert -2.0 <= lo < -1.99 and 2.99 < hi <= 3.0 and mean == pytest.approx(0.5, abs=0.02)
    _check_normal(nn.init.normal_(torchlike.empty(N), 1.5, 0.5), 1.5, 0.5)


def test_xavier():
    torch = oracle()
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(N))
    _check_uniform(nn.init.xavier_uniform_(torchlike.empty(N), gain=2.0),
                   2.0 * math.sqrt(6.0 / (fan_in + fan_out)))
    _check_normal(nn.init.xavier_normal_(torchlike.empty(N)), 0.0, math.sqrt(2.0 / (fan_in + fan_out)))


@pytest.mark.parametrize("mode,nonlinearity,a", [("fan_in", "leaky_relu", math.sqrt(5)), ("fan_out", "relu", 0),
                                                 ("fan_in", "tanh", 0)])
def test_kaiming(mode, nonlinearity, a):
    torch = oracle()
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(N))
    fan = fan_in if mode == "fan_in" else fan_out
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    _check_uniform(nn.init.kaiming_uniform_(torchlike.empty(N), a=a, mode=mode, nonlinearity=nonlinearity),
                   math.sqrt(3.0) * std)
    _check_normal(nn.init.kaiming_normal_(torchlike.empty(N), a=a, mode=mode, nonlinearity=nonlinearity), 0.0, std)


def test_trunc_normal_matches_torch_moments():
    torch = oracle()
    torch.manual_seed(0)
    theirs = torch.nn.init.trunc_normal_(torch.empty(N), mean=0.5, std=1.0, a=-1.0, b=1.5).numpy()
    ours = to_numpy(nn.init.trunc_normal_(torchlike.empty(N), mean=0.5, std=1.0, a=-1.0, b=1.5))
    assert ours.min() >= -1.0 and ours.max() <= 1.5
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.01)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.01)


def test_orthogonal():
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        t = nn.init.orthogonal_(torchlike.empty(shape), gain=2.0)
        q = to_numpy(t).reshape(shape[0], -1).astype(np.float64)
        small = q if q.shape[0] >= q.shape[1] else q.T
        np.testing.assert_allclose(small.T @ small, 4.0 * np.eye(small.shape[1]), atol=1e-5)


def test_sparse():
    t = to_numpy(nn.init.sparse_(torchlike.empty(10, 300), sparsity=0.3, std=0.5))
    assert ((t == 0).sum(axis=0) == 3).all()
    assert t[t != 0].std() == pytest.approx(0.5, rel=0.05)


def test_zero_element_warns_like_torch():
    torch = oracle()
    with pytest.warns(UserWarning) as theirs:
        torch.nn.init.kaiming_uniform_(torch.empty(0, 3))
    with pytest.warns(UserWarning) as ours:
        nn.init.kaiming_uniform_(torchlike.empty(0, 3))
    assert str(ours[0].message) == str(theirs[0].message)


def test_deprecated_aliases_warn():
    with pytest.warns(FutureWarning, match="`nn.init.normal` is now deprecated in favor of `nn.init.normal_`."):
        nn.init.normal(torchlike.empty(3))
