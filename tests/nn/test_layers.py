"""Layers against torch.nn: the same module built in both, torch's state_dict loaded into ours, then
repr, forward values and gradients (inputs and parameters) compared; default-init bounds; buffers."""
import math

import numpy as np
import pytest

import torchlike
import torchlike.nn as nn
from oracle import assert_close, oracle, to_numpy

rng = np.random.RandomState(0)
X2 = rng.randn(4, 6).astype(np.float32)
X3 = rng.randn(2, 4, 7).astype(np.float32)
X4 = rng.randn(2, 4, 6, 6).astype(np.float32)

# (name, constructor args, kwargs, input); small shared shapes keep XLA compilation cheap
LAYERS = [
    ("Linear", (6, 3), {}, X2), ("Linear", (6, 3), {"bias": False}, X2), ("Identity", (), {}, X2),
    ("Conv1d", (4, 6, 3), {"stride": 2, "padding": 1}, X3),
    ("Conv2d", (4, 6, 3), {}, X4), ("Conv2d", (4, 4, 3), {"padding": "same", "dilation": 2, "groups": 2}, X4),
    ("Conv2d", (4, 2, (3, 1)), {"stride": (2, 1), "padding": "valid", "bias": False}, X4),
    ("Conv2d", (4, 2, 3), {"padding": 1, "padding_mode": "reflect"}, X4),
    ("ConvTranspose2d", (4, 3, 3), {"stride": 2, "padding": 1, "output_padding": 1}, X4),
    ("BatchNorm1d", (6,), {}, X2), ("BatchNorm1d", (4,), {"affine": False}, X3),
    ("BatchNorm2d", (4,), {"momentum": None}, X4), ("BatchNorm2d", (4,), {"track_running_stats": False}, X4),
    ("LayerNorm", (6,), {}, X2), ("LayerNorm", ((6, 6),), {"elementwise_affine": False}, X4),
    ("GroupNorm", (2, 4), {}, X4),
    ("Dropout", (0.0,), {}, X2), ("ReLU", (), {}, X2), ("LeakyReLU", (0.2,), {}, X2), ("GELU", (), {}, X2),
    ("GELU", (), {"approximate": "tanh"}, X2), ("SiLU", (), {}, X2), ("ELU", (0.5,), {}, X2),
    ("Sigmoid", (), {}, X2), ("Tanh", (), {}, X2), ("Softmax", (1,), {}, X2), ("LogSoftmax", (-1,), {}, X2),
    ("Softplus", (2.0, 5.0), {}, X2), ("Hardtanh", (), {}, X2), ("ReLU6", (), {}, X2),
    ("MaxPool2d", (2,), {}, X4), ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, X4),
    ("AvgPool2d", (2,), {}, X4), ("AdaptiveAvgPool2d", ((2, 3),), {}, X4), ("AdaptiveAvgPool2d", (1,), {}, X4),
    ("Flatten", (), {}, X4), ("Unflatten", (1, (2, 3)), {}, X2),
]


def _torch_state(ours, theirs):
    ours.load_state_dict({k: torchlike.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _run_both(ours, theirs, xs):
    torch = oracle()
    xo = [torchlike.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    xt = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    yo, yt = ours(*xo), theirs(*xt)
    return xo, xt, yo, yt


@pytest.mark.parametrize("name,args,kwargs,x", LAYERS, ids=[f"{n}{i}" for i, (n, *_) in enumerate(LAYERS)])
def test_layer_matches_torch(name, args, kwargs, x):
    torch = oracle()
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _torch_state(ours, theirs)
    xo, xt, yo, yt = _run_both(ours, theirs, [x])
    assert_close(yo, yt, rtol=1e-4, atol=1e-5)
    w = np.random.RandomState(1).randn(*yt.shape).astype(np.float32)   # a non-uniform output gradient
    (yo * torchlike.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    assert_close(xo[0].grad, xt[0].grad, rtol=1e-4, atol=1e-5)
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-4)
    for (n, b), (_, c) in zip(ours.named_buffers(), theirs.named_buffers()):   # running stats after one step
        assert_close(b, c, rtol=1e-4, atol=1e-5)
        assert str(b.dtype) == str(c.dtype)


def test_bilinear_and_embedding():
    torch = oracle()
    ours, theirs = nn.Bilinear(6, 7, 3), torch.nn.Bilinear(6, 7, 3)
    assert repr(ours) == repr(theirs)
    _torch_state(ours, theirs)
    a, b = X2, rng.randn(4, 7).astype(np.float32)
    _, _, yo, yt = _run_both(ours, theirs, [a, b])
    assert_close(yo, yt, rtol=1e-4, atol=1e-5)
    for kw in ({}, {"padding_idx": 1}, {"padding_idx": -1, "max_norm": 1.0}):
        ours, theirs = nn.Embedding(5, 3, **kw), torch.nn.Embedding(5, 3, **kw)
        assert repr(ours) == repr(theirs)
        pad = ours.padding_idx
        if pad is not None:
            assert (to_numpy(ours.weight)[pad] == 0).all()
        _torch_state(ours, theirs)
        idx = np.array([[0, 1, 4], [4, 3, 1]])
        yo, yt = ours(torchlike.tensor(idx)), theirs(torch.tensor(idx))
        assert_close(yo, yt)
        yo.sum().backward()
        yt.sum().backward()
        assert_close(ours.weight.grad, theirs.weight.grad)
    pre = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    e_o, e_t = nn.Embedding.from_pretrained(torchlike.tensor(pre)), torch.nn.Embedding.from_pretrained(torch.tensor(pre))
    assert repr(e_o) == repr(e_t) and e_o.weight.requires_grad == e_t.weight.requires_grad
    assert_close(e_o(torchlike.tensor([2, 0])), e_t(torch.tensor([2, 0])))


def test_batchnorm_train_then_eval_matches_torch():
    torch = oracle()
    ours, theirs = nn.BatchNorm2d(4, momentum=0.3), torch.nn.BatchNorm2d(4, momentum=0.3)
    for step in range(2):
        x = (X4 * (step + 1) + step).astype(np.float32)
        ours(torchlike.tensor(x))
        theirs(torch.tensor(x))
    for k, v in theirs.state_dict().items():
        assert_close(ours.state_dict()[k], v, rtol=1e-5, atol=1e-6)
    ours.eval()
    theirs.eval()
    assert_close(ours(torchlike.tensor(X4)), theirs(torch.tensor(X4)), rtol=1e-4, atol=1e-5)
    assert int(ours.num_batches_tracked) == 2
    with pytest.raises(ValueError, match=r"^expected 4D input \(got 2D input\)$"):
        ours(torchlike.tensor(X2))


@pytest.mark.parametrize("name,kwargs,target", [
    ("MSELoss", {}, "float"), ("MSELoss", {"reduction": "sum"}, "float"), ("L1Loss", {"reduction": "none"}, "float"),
    ("SmoothL1Loss", {"beta": 0.5}, "float"), ("HuberLoss", {"delta": 0.7}, "float"),
    ("CrossEntropyLoss", {}, "class"), ("CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 2}, "class"),
    ("CrossEntropyLoss", {"reduction": "sum"}, "prob"), ("NLLLoss", {}, "class"),
    ("BCELoss", {}, "unit"), ("BCEWithLogitsLoss", {"reduction": "sum"}, "unit"),
    ("KLDivLoss", {"reduction": "batchmean"}, "prob"), ("KLDivLoss", {"log_target": True, "reduction": "sum"}, "float"),
])
def test_loss_matches_torch(name, kwargs, target):
    torch = oracle()
    x = X2 if name not in ("BCELoss",) else 1 / (1 + np.exp(-X2))
    if name in ("NLLLoss", "KLDivLoss"):
        x = X2 - np.log(np.exp(X2).sum(1, keepdims=True))
    t = {"float": rng.randn(*X2.shape), "class": np.array([0, 5, 2, 1]), "unit": rng.rand(*X2.shape),
         "prob": np.full(X2.shape, 1 / 6)}[target]
    t = t if target == "class" else t.astype(np.float32)
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    xo, xt = torchlike.tensor(x.astype(np.float32), requires_grad=True), torch.tensor(x.astype(np.float32),
                                                                                      requires_grad=True)
    lo, lt = ours(xo, torchlike.tensor(t)), theirs(xt, torch.tensor(t))
    assert_close(lo, lt, rtol=1e-4, atol=1e-5)
    lo.sum().backward()
    lt.sum().backward()
    assert_close(xo.grad, xt.grad, rtol=1e-4, atol=1e-5)


def test_weighted_loss_buffers_and_legacy_reduction():
    torch = oracle()
    w = np.linspace(0.5, 2.0, 6).astype(np.float32)
    ours, theirs = nn.CrossEntropyLoss(weight=torchlike.tensor(w)), torch.nn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    t = np.array([0, 5, 2, 1])
    assert_close(ours(torchlike.tensor(X2), torchlike.tensor(t)), theirs(torch.tensor(X2), torch.tensor(t)))
    with pytest.warns(UserWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"


@pytest.mark.parametrize("name,args,fan_in", [("Linear", (20, 5), 20), ("Conv2d", (3, 4, 5), 75),
                                              ("Conv1d", (4, 2, 3), 12), ("ConvTranspose2d", (4, 6, 3), 54)])
def test_default_init_bounds(name, args, fan_in):
    torch = oracle()
    m = getattr(nn, name)(*args)
    fi, _ = torch.nn.init._calculate_fan_in_and_fan_out(getattr(torch.nn, name)(*args).weight)
    assert fi == fan_in
    bound = 1 / math.sqrt(fan_in)   # kaiming_uniform_(a=sqrt(5)) and the bias rule both give this
    for p in (m.weight, m.bias):
        a = to_numpy(p)
        assert np.abs(a).max() <= bound * (1 + 1e-6)
        if a.size >= 20:  # the largest of n uniform draws is below half the bound with odds 2**-n
            assert np.abs(a).max() > 0.5 * bound
    assert str(m.weight.dtype) == "torch.float32"


def test_layer_dtype_and_device_kwargs():
    m = nn.Linear(2, 3, dtype=torchlike.float64)
    assert m.weight.dtype is torchlike.float64 and m.bias.dtype is torchlike.float64
    assert nn.BatchNorm1d(3, dtype=torchlike.float64).num_batches_tracked.dtype is torchlike.int64


def test_constructor_errors_match_torch():
    torch = oracle()
    for build in [lambda nn_: nn_.Conv2d(4, 6, 3, groups=4), lambda nn_: nn_.Conv2d(4, 4, 3, padding="full"),
                  lambda nn_: nn_.Conv2d(4, 4, 3, stride=2, padding="same"),
                  lambda nn_: nn_.Conv2d(4, 4, 3, padding_mode="mirror"),
                  lambda nn_: nn_.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
                  lambda nn_: nn_.Dropout(1.5), lambda nn_: nn_.GroupNorm(3, 4)]:
        with pytest.raises(ValueError) as t:
            build(torch.nn)
        with pytest.raises(ValueError) as o:
            build(nn)
        assert _sorted_sets(str(o.value)) == _sorted_sets(str(t.value))


def _sorted_sets(message):
    """PyTorch prints a Python set in some messages; its order varies between processes."""
    import re
    return re.sub(r"\{([^{}]*)\}", lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def test_dropout_train_and_eval():
    d = nn.Dropout(0.5)
    x = torchlike.ones(200, 50)
    y = to_numpy(d(x))
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.45 < (y == 0).mean() < 0.55
    d.eval()
    np.testing.assert_array_equal(to_numpy(d(x)), 1.0)


def test_inplace_relu_repr_and_effect():
    torch = oracle()
    assert repr(nn.ReLU(inplace=True)) == repr(torch.nn.ReLU(inplace=True))
    assert repr(nn.LeakyReLU(0.1, inplace=True)) == repr(torch.nn.LeakyReLU(0.1, inplace=True))
    x = torchlike.tensor([-1.0, 2.0])
    nn.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(to_numpy(x), [0.0, 2.0])
