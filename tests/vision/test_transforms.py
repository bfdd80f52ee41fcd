"""torchlike.vision.transforms against what torchvision computes for tensors, built from PyTorch's
own ops (torchvision's tensor resize is ``interpolate(..., antialias=True)`` in float32, rounded
back for uint8; then crop, ``/ 255`` and normalise)."""
import numpy as np
import pytest

import torchlike
from torchlike.vision.models import ResNet18_Weights, ResNet50_Weights
from torchlike.vision.transforms import ImageClassification, InterpolationMode
from torchlike.vision.transforms import functional as F

from oracle import oracle, assert_close

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def torch_resize(torch, img, size):
    x = img.unsqueeze(0)
    out = torch.nn.functional.interpolate(x.float(), size=size, mode="bilinear", align_corners=False, antialias=True)
    if img.dtype == torch.uint8:
        out = out.round().to(torch.uint8)
    return out[0]


@pytest.mark.parametrize("shape,size,expected", [((3, 40, 50), [24], [24, 30]),   # shrink: antialiased
                                                 ((3, 20, 30), [32], [32, 48]),   # enlarge
                                                 ((3, 30, 21), [17, 13], [17, 13])])
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_resize_matches_torch_antialiased_bilinear(shape, size, expected, dtype):
    torch = oracle()
    rng = np.random.default_rng(0)
    arr = (rng.random(shape) * 255).astype(np.float32)
    arr = arr.astype(np.uint8) if dtype == "uint8" else arr / 255
    ours = F.resize(torchlike.from_numpy(arr), size)
    theirs = torch_resize(torch, torch.from_numpy(arr), expected)
    assert list(ours.shape) == [3, *expected] and str(ours.dtype) == str(theirs.dtype)
    if dtype == "uint8":  # values at exactly .5 may round either way after float32 summation
        assert np.abs(ours.numpy().astype(int) - theirs.numpy().astype(int)).max() <= 1
    else:
        assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_resize_is_differentiable_like_torch():
    torch = oracle()
    arr = np.random.default_rng(1).random((1, 3, 40, 50), np.float32)
    w = np.random.default_rng(2).random((1, 3, 24, 30), np.float32)
    x = torchlike.from_numpy(arr).requires_grad_()
    (F.resize(x, [24]) * torchlike.from_numpy(w)).sum().backward()
    tx = torch.from_numpy(arr).requires_grad_()
    out = torch.nn.functional.interpolate(tx, size=[24, 30], mode="bilinear", align_corners=False, antialias=True)
    (out * torch.from_numpy(w)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-5, atol=1e-6)


def test_center_crop_and_pad():
    # Expected values printed by torchvision 0.29.1's F.center_crop on the same tensor.
    img = torchlike.arange(5 * 7).reshape(1, 5, 7)
    assert F.center_crop(img, [3]).tolist() == [[[9, 10, 11], [16, 17, 18], [23, 24, 25]]]
    assert F.center_crop(img, 4).tolist() == [[[2, 3, 4, 5], [9, 10, 11, 12], [16, 17, 18, 19], [23, 24, 25, 26]]]
    padded = F.center_crop(img, [7, 8])  # larger than the image: zero padding, left/top get the smaller half
    assert list(padded.shape) == [1, 7, 8]
    assert padded[0, 0].tolist() == [0] * 8 and padded[0, 1].tolist() == [0, 1, 2, 3, 4, 5, 6, 0]
    assert padded[0, :, -1].tolist() == [0] * 7


def test_image_classification_preset_matches_torchvision_pipeline():
    torch = oracle()
    arr = np.random.default_rng(3).integers(0, 256, (2, 3, 60, 52), dtype=np.uint8)
    preset = ImageClassification(crop_size=40, resize_size=48)
    ours = preset(torchlike.from_numpy(arr))
    resized = torch.stack([torch_resize(torch, torch.from_numpy(a), [55, 48]) for a in arr])
    top, left = int(round((55 - 40) / 2.0)), int(round((48 - 40) / 2.0))
    cropped = resized[..., top:top + 40, left:left + 40].float() / 255
    theirs = (cropped - torch.tensor(MEAN).view(-1, 1, 1)) / torch.tensor(STD).view(-1, 1, 1)
    assert list(ours.shape) == [2, 3, 40, 40] and ours.dtype == torchlike.float32
    # After the uint8 round trip a value at a .5 tie may round the other way: one step, 1/255/std.
    diff = np.abs(ours.numpy() - theirs.numpy())
    assert diff.max() <= 1.001 / 255 / min(STD) and (diff > 1e-5).mean() < 0.01


def test_weights_transforms_preset():
    t = ResNet18_Weights.DEFAULT.transforms()
    assert isinstance(t, ImageClassification) and isinstance(t, torchlike.nn.Module)
    assert (t.crop_size, t.resize_size, t.mean, t.std) == ([224], [256], MEAN, STD)
    assert t.interpolation is InterpolationMode.BILINEAR and t.antialias is True
    assert ResNet50_Weights.DEFAULT.transforms().resize_size == [232]
    out = t(torchlike.rand(3, 230, 250))
    assert list(out.shape) == [3, 224, 224]
    assert t.describe().startswith("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)``")


def test_errors():
    with pytest.raises(TypeError, match=r"^Input tensor should be a float tensor\. Got torch\.uint8\.$"):
        F.normalize(torchlike.zeros(3, 2, 2, dtype=torchlike.uint8), MEAN, STD)
    with pytest.raises(ValueError, match=r"^std evaluated to zero after conversion to torch\.float32"):
        F.normalize(torchlike.zeros(3, 2, 2), MEAN, [1.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="^img should be Tensor"):
        F.resize(np.zeros((3, 4, 4)), [2])
    with pytest.raises(ValueError, match="^Size must be an int or a 1 or 2 element tuple/list, not a 3 element"):
        F.resize(torchlike.zeros(3, 4, 4), [1, 2, 3])
    with pytest.raises(RuntimeError, match=r"^The cast from torch\.float32 to torch\.int64 cannot be performed"):
        F.convert_image_dtype(torchlike.zeros(3, 2, 2), torchlike.int64)
    assert F.convert_image_dtype(torchlike.ones(1, 1, 1), torchlike.uint8).item() == 255
    assert F.convert_image_dtype(torchlike.full((1, 1, 1), 255, dtype=torchlike.uint8)).item() == 1.0
