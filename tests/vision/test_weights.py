"""Weights enums against torchvision's (fixture recorded with torchvision 0.29.1), and the torch.hub
cache: where files are looked up, download with hash check, the offline error. Never touches the
network: urllib.request.urlopen is replaced in every test that could reach it."""
import hashlib
import io
import json
import os
import urllib.error
from pathlib import Path

import pytest

import torchlike
from torchlike.vision import models
from torchlike.vision import _hub
from torchlike.vision.models import ResNet18_Weights, ResNet50_Weights, get_weight, get_model_weights

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "resnet_weights.json").read_text())
RESNETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
           "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]


@pytest.mark.parametrize("full_name", sorted(EXPECTED))
def test_weights_match_torchvision(full_name):
    expected = EXPECTED[full_name]
    w = get_weight(full_name)
    assert repr(w) == expected["repr"] and str(w) == expected["str"]
    assert w.url == expected["url"]
    meta = dict(w.meta)
    categories = meta.pop("categories")
    meta["min_size"] = list(meta["min_size"])
    assert meta == expected["meta"]
    assert len(categories) == expected["n_categories"]
    assert hashlib.sha256("\n".join(categories).encode()).hexdigest() == expected["categories_sha256"]
    assert repr(w.transforms()) == expected["transforms"]


def test_enum_api():
    assert ResNet18_Weights.DEFAULT is ResNet18_Weights.IMAGENET1K_V1
    assert ResNet50_Weights.DEFAULT is ResNet50_Weights.IMAGENET1K_V2
    assert ResNet18_Weights.DEFAULT.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert ResNet18_Weights.verify("ResNet18_Weights.IMAGENET1K_V1") is ResNet18_Weights.IMAGENET1K_V1
    assert ResNet18_Weights.verify("DEFAULT") is ResNet18_Weights.IMAGENET1K_V1
    assert ResNet18_Weights.verify(None) is None
    with pytest.raises(TypeError, match=r"^Invalid Weight class provided; expected ResNet18_Weights but received "
                                        r"int\.$"):
        ResNet18_Weights.verify(3)
    with pytest.raises(KeyError):
        ResNet18_Weights.verify("IMAGENET1K_V2")
    with pytest.raises(ValueError, match=r"^Invalid weight name provided: 'resnet18'\.$"):
        get_weight("resnet18")
    with pytest.raises(ValueError, match="^The weight enum 'Nope_Weights' for the specific method couldn't be "):
        get_weight("Nope_Weights.DEFAULT")
    meta = ResNet18_Weights.DEFAULT.meta
    assert meta["categories"][:3] == ["tench", "goldfish", "great white shark"] and meta["categories"][-1] == \
        "toilet tissue"
    assert get_model_weights("resnet50") is ResNet50_Weights
    assert get_model_weights(models.resnet18) is ResNet18_Weights
    assert models.list_models() == sorted(RESNETS)
    assert models.list_models(include="resnet*", exclude="*1*") == ["resnet34", "resnet50"]
    with pytest.raises(ValueError, match="^Unknown model nope$"):
        models.get_model("nope")
    assert tuple(models.get_model("resnet18", num_classes=3).fc.weight.shape) == (3, 512)


# -- the cache and the download ---------------------------------------------------------------------
class FakeResponse(io.BytesIO):
    """What urlopen returns: a readable body with headers."""

    def info(self):
        return _Headers(len(self.getvalue()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Headers:
    def __init__(self, n):
        self.n = n

    def get_all(self, name):
        return [str(self.n)] if name == "Content-Length" else None


def _checkpoint_bytes():
    buf = io.BytesIO()
    torchlike.save({"w": torchlike.arange(6.0).reshape(2, 3), "n": torchlike.tensor(3)}, buf)
    return buf.getvalue()


def test_cache_directory_follows_torch_hub(monkeypatch, tmp_path):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert _hub.get_dir() == os.path.expanduser("~/.cache/torch/hub")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert _hub.get_dir() == str(tmp_path / "th" / "hub")


def test_download_checks_hash_and_renames(monkeypatch, tmp_path, capsys):
    data = _checkpoint_bytes()
    digest = hashlib.sha256(data).hexdigest()
    url = f"https://download.pytorch.org/models/tiny-{digest[:8]}.pth"
    requested = []

    def urlopen(req):
        requested.append((req.full_url, req.get_header("User-agent")))
        return FakeResponse(data)

    monkeypatch.setattr("urllib.request.urlopen", urlopen)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    sd = _hub.load_state_dict_from_url(url, check_hash=True)
    assert requested == [(url, "torch.hub")]
    assert torchlike.equal(sd["w"], torchlike.arange(6.0).reshape(2, 3)) and sd["n"].item() == 3
    target = tmp_path / "hub" / "checkpoints" / f"tiny-{digest[:8]}.pth"
    assert os.listdir(target.parent) == [target.name] and target.read_bytes() == data
    out, err = capsys.readouterr()
    assert out == f'Downloading: "{url}" to {target}\n'
    assert "100%" in err  # the progress bar
    # Second call: read from the cache, no download.
    _hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    assert len(requested) == 1


def test_hash_mismatch_is_an_error_and_leaves_nothing(monkeypatch, tmp_path):
    data = _checkpoint_bytes()
    monkeypatch.setattr("urllib.request.urlopen", lambda req: FakeResponse(data))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(RuntimeError, match=f'^invalid hash value \\(expected "f37072fd", got "{digest}"\\)$'):
        ResNet18_Weights.DEFAULT.get_state_dict(progress=False, check_hash=True)
    assert os.listdir(tmp_path / "hub" / "checkpoints") == []


def test_offline_error_names_path_and_url(monkeypatch, tmp_path):
    def offline(req):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    path = tmp_path / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    with pytest.raises(RuntimeError) as info:
        models.resnet18(weights=ResNet18_Weights.DEFAULT, progress=False)
    message = str(info.value)
    assert message.startswith("Could not download https://download.pytorch.org/models/resnet18-f37072fd.pth\n"
                              "  ([Errno -3] Temporary failure in name resolution).")
    assert f"\n  {path}\n" in message
    assert "place the file there yourself" in message and "TORCH_HOME" in message
    assert isinstance(info.value.__cause__, urllib.error.URLError)
    assert os.listdir(path.parent) == []
