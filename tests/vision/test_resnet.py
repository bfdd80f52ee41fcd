"""torchlike.vision.models.resnet against torchvision and PyTorch.

Architecture: state_dict names/shapes/dtypes and reprs equal fixtures recorded once with real
torchvision 0.29.1 (tests/vision/fixtures, see gen_fixtures.py there). Numerics: resnet18 and a
PyTorch-native mirror of torchvision's BasicBlock ResNet-18, loaded from the same state_dict,
give the same logits, loss, every parameter gradient, parameters after SGD-momentum steps and BN
running statistics, in train and eval mode. The examples run end to end in a subprocess against a
checkpoint the test writes, with torch.save, into a temporary TORCH_HOME.
"""
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchlike
from torchlike import nn
from torchlike.vision import models
from torchlike.vision.models import resnet18, resnet34, resnet50, ResNet18_Weights

from oracle import oracle
from torch_resnet import torch_resnet18

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CKPT = "resnet18-f37072fd.pth"


@pytest.fixture(scope="module")
def model():
    """One resnet18 for the module: building and compiling it is the expensive part."""
    torchlike.manual_seed(0)
    return resnet18()


@pytest.fixture
def shape_only(monkeypatch):
    """Builds models without drawing random initial values (names, shapes and reprs only)."""
    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_"):
        monkeypatch.setattr(nn.init, name, lambda tensor, *a, **k: tensor)


# -- architecture -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,builder", [("resnet18", resnet18), ("resnet34", resnet34), ("resnet50", resnet50)])
def test_state_dict_and_repr_match_torchvision(name, builder, shape_only):
    expected = json.loads((FIXTURES / f"{name}_state_dict_shapes.json").read_text())
    m = builder()
    sd = m.state_dict()
    assert [[k, list(v.shape), str(v.dtype)] for k, v in sd.items()] == expected["state_dict"]
    assert [[k, p.requires_grad] for k, p in m.named_parameters()] == expected["parameters"]
    assert sum(p.numel() for p in m.parameters()) == expected["num_params"]
    assert repr(m) + "\n" == (FIXTURES / f"{name}_repr.txt").read_text()


def test_builder_arguments(shape_only):
    m = resnet18(num_classes=10, zero_init_residual=True)
    assert tuple(m.fc.weight.shape) == (10, 512)
    assert all(float(b.bn2.weight.abs().sum()) == 0 for layer in (m.layer1, m.layer4) for b in layer)
    assert float(m.layer1[0].bn1.weight.sum()) == 64
    with pytest.raises(ValueError, match="^BasicBlock only supports groups=1 and base_width=64$"):
        resnet18(groups=2)
    with pytest.raises(ValueError, match=r"^The parameter 'groups' expected value 32 but got 8 instead\.$"):
        models.resnext50_32x4d(groups=8)
    with pytest.raises(ValueError, match="^replace_stride_with_dilation should be None or a 3-element tuple, got"):
        resnet18(replace_stride_with_dilation=[False])
    with pytest.raises(TypeError, match="^Invalid Weight class provided; expected ResNet18_Weights but received "
                                        "ResNet50_Weights.$"):
        resnet18(weights=models.ResNet50_Weights.DEFAULT)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resnet18(pretrained=False)
    assert [str(w.message) for w in caught] == [
        "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, please use "
        "'weights' instead.",
        "Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be removed "
        "in the future. The current behavior is equivalent to passing `weights=None`."]
    wide = models.wide_resnet50_2()
    assert tuple(wide.layer1[0].conv2.weight.shape) == (128, 128, 3, 3)


def test_default_initialisation(model):
    conv = model.layer3[0].conv1.weight  # kaiming_normal_(mode="fan_out", nonlinearity="relu")
    fan_out = conv.shape[0] * conv.shape[2] * conv.shape[3]
    assert abs(float(conv.std()) / (2.0 / fan_out) ** 0.5 - 1) < 0.02
    assert abs(float(conv.mean())) < 0.01 * (2.0 / fan_out) ** 0.5 * 10
    bn = model.layer2[1].bn2
    assert float(bn.weight.min()) == float(bn.weight.max()) == 1.0 and float(bn.bias.abs().max()) == 0.0
    bound = 1 / 512 ** 0.5  # nn.Linear's default
    assert float(model.fc.weight.abs().max()) <= bound and float(model.fc.bias.abs().max()) <= bound


# -- numerics against PyTorch --------------------------------------------------------------------------
def _perturbed_state(model, rng):
    """The model's state with BN affine parameters and running statistics moved off 1/0, so that
    every term of batch norm shows up in the comparison."""
    sd = {}
    for k, v in model.state_dict().items():
        a = np.asarray(v._s[0])
        batch_norm = a.ndim == 1 and not k.startswith("fc.")
        if k.endswith("num_batches_tracked"):
            a = np.array(3, np.int64)
        elif batch_norm and k.endswith(("running_mean", "bias")):
            a = (0.1 * rng.standard_normal(a.shape)).astype(a.dtype)
        elif batch_norm and k.endswith(("running_var", "weight")):
            a = (0.5 + rng.random(a.shape)).astype(a.dtype)
        sd[k] = a
    return sd


def _close(ours, theirs, what, rtol=1e-4):
    a = np.asarray(ours._s[0] if hasattr(ours, "_s") else ours, np.float64)
    b = theirs.detach().double().numpy() if hasattr(theirs, "detach") else np.asarray(theirs, np.float64)
    assert a.shape == b.shape, (what, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * max(np.abs(b).max(), 1e-3), err_msg=what)


def test_training_and_eval_match_pytorch(model):
    torch = oracle()
    rng = np.random.default_rng(0)
    sd = _perturbed_state(model, rng)
    model.load_state_dict({k: torchlike.from_numpy(v.copy()) for k, v in sd.items()})
    ref = torch_resnet18(torch)
    ref.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in sd.items()})
    model.train()
    ref.train()
    # lr 1e-3: at 1e-2 one step on this summed loss moves the weights by several times their
    # spread, and batch norm over 2x2 maps then amplifies float32 rounding chaotically (step 1's
    # gradients differed from float64 PyTorch by 5e-4 of the largest entry for PyTorch itself,
    # 1e-3 to 2e-3 for torchlike depending on the convolution's summation order)
    opt = torchlike.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=1e-3, momentum=0.9)
    params = dict(model.named_parameters())
    for step, tol in enumerate([1e-4, 5e-4]):
        data = rng.random((1, 3, 64, 64), np.float32)
        labels = rng.random((1, 1000), np.float32)
        pred = model(torchlike.from_numpy(data))
        ref_pred = ref(torch.from_numpy(data))
        assert pred.grad_fn.name() == ref_pred.grad_fn.name() == "AddmmBackward0"
        _close(pred, ref_pred, f"logits, step {step}")
        loss = (pred - torchlike.from_numpy(labels)).sum()
        ref_loss = (ref_pred - torch.from_numpy(labels)).sum()
        _close(loss, ref_loss, f"loss, step {step}")
        opt.zero_grad()
        ref_opt.zero_grad()
        loss.backward()
        ref_loss.backward()
        for name, p in ref.named_parameters():
            _close(params[name].grad, p.grad, f"grad of {name}, step {step}", tol)
        opt.step()
        ref_opt.step()
        for name, p in ref.named_parameters():
            _close(params[name], p, f"{name} after SGD step {step}", tol)
            _close(opt.state[params[name]]["momentum_buffer"], ref_opt.state[p]["momentum_buffer"],
                   f"momentum buffer of {name}, step {step}", tol)
        for name, b in ref.named_buffers():
            _close(dict(model.named_buffers())[name], b, f"buffer {name}, step {step}", tol)
        # the next step starts both from torchlike's state, so that it checks the momentum update
        # rather than rounding carried over from this step
        with torch.no_grad():
            for name, p in ref.named_parameters():
                p.copy_(torch.from_numpy(np.array(params[name]._s[0])))
                ref_opt.state[p]["momentum_buffer"].copy_(
                    torch.from_numpy(np.array(opt.state[params[name]]["momentum_buffer"]._s[0])))
            for name, b in model.named_buffers():
                ref.get_buffer(name).copy_(torch.from_numpy(np.array(b._s[0])))
    model.eval()
    ref.eval()
    data = rng.random((1, 3, 64, 64), np.float32)
    with torchlike.no_grad():
        out = model(torchlike.from_numpy(data))
    with torch.no_grad():
        ref_out = ref(torch.from_numpy(data))
    assert out.grad_fn is None and not out.requires_grad
    _close(out, ref_out, "eval logits")


def test_matches_live_torchvision_when_importable(model):
    """Where torchvision is installed, its resnet18 is the reference (skipped in the CI venv)."""
    torch = oracle()
    torchvision = pytest.importorskip("torchvision")
    ref = torchvision.models.resnet18().eval()
    sd = _perturbed_state(model, np.random.default_rng(1))
    ref.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in sd.items()})
    model.load_state_dict({k: torchlike.from_numpy(v.copy()) for k, v in sd.items()})
    model.eval()
    data = np.random.default_rng(2).random((1, 3, 64, 64), np.float32)
    with torchlike.no_grad():
        out = model(torchlike.from_numpy(data))
    _close(out, ref(torch.from_numpy(data)), "eval logits vs torchvision")
    assert repr(model) == repr(ref)


# -- pretrained weights from a PyTorch cache, and the examples ------------------------------------------
def _write_torch_checkpoint(torch, model, torch_home):
    """The model's state_dict saved by real PyTorch where torch.hub caches resnet18's weights."""
    path = Path(torch_home) / "hub" / "checkpoints" / CKPT
    path.parent.mkdir(parents=True)
    torch.save({k: torch.from_numpy(np.array(v._s[0])) for k, v in model.state_dict().items()}, path)
    return path


RUN_EXAMPLES = """
import runpy, sys
for example in sys.argv[1:]:
    print(f"== {example}", flush=True)
    runpy.run_path(example, run_name="__main__")
"""

OFFLINE = """
import runpy, sys, urllib.error, urllib.request
def offline(*args, **kwargs):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
urllib.request.urlopen = offline
runpy.run_path(sys.argv[1], run_name="__main__")
"""


def _run(code, *args, torch_home):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT), TORCH_HOME=str(torch_home))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)


def test_weights_load_from_torch_cache_and_examples_run(model, tmp_path, monkeypatch):
    torch = oracle()
    _write_torch_checkpoint(torch, model, tmp_path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    loaded = ResNet18_Weights.DEFAULT.get_state_dict(progress=False, check_hash=True)
    expected = model.state_dict()
    assert list(loaded) == list(expected)
    for k, v in loaded.items():
        assert v.dtype == expected[k].dtype and torchlike.equal(v, expected[k]), k

    proc = _run(RUN_EXAMPLES, "examples/resnet_training_step.py", "examples/resnet_finetune.py", torch_home=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "Downloading" not in out
    assert "prediction: (1, 1000) AddmmBackward0" in out
    assert "parameters with a gradient: 62 of 62" in out
    assert "trainable parameters: ['fc.weight', 'fc.bias']" in out
    assert "parameters changed by optimizer.step(): ['fc.weight', 'fc.bias']" in out
    assert "unchanged: 60 of 62" in out
    assert "inference under no_grad: requires_grad=False, grad_fn=None" in out


def test_examples_stop_with_clear_error_when_offline(tmp_path):
    proc = _run(OFFLINE, "examples/resnet_training_step.py", torch_home=tmp_path)
    assert proc.returncode != 0
    err = proc.stderr
    assert "RuntimeError: Could not download https://download.pytorch.org/models/resnet18-f37072fd.pth" in err
    assert str(tmp_path / "hub" / "checkpoints" / CKPT) in err
    assert "place the file there yourself" in err
    assert not list((tmp_path / "hub" / "checkpoints").iterdir())  # no partial download left behind
