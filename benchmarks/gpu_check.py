"""Checks that need a GPU, run by gpu.sh before the benchmarks: float32 matrix products are
full float32 unless ``torch.set_float32_matmul_precision`` allows TensorFloat-32 (PyTorch's
default; XLA's would be TensorFloat-32), convolutions follow ``cudnn.allow_tf32``, and a
resnet18 training step on the GPU with TensorFloat-32 off matches PyTorch's float32 CPU step
(tests/vision/test_resnet.py's comparison). Exits non-zero when a check fails."""
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "vision")]

import jax  # noqa: E402
import numpy as np  # noqa: E402

import torchlike  # noqa: E402
import torchlike.nn.functional as F  # noqa: E402


def rel_error(t, exact):
    return float(np.abs(np.asarray(t._s[0], np.float64) - exact).max() / np.abs(exact).max())


def conv2d_float64(x, w):
    """A stride-1, padding-1 convolution (NCHW, OIHW) in float64 NumPy: the exact reference."""
    k = w.shape[2]
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    h, wd = x.shape[2], x.shape[3]
    out = np.zeros((x.shape[0], w.shape[0], h, wd))
    for i in range(k):
        for j in range(k):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j].astype(np.float64))
    return out


def main():
    print(f"jax {jax.__version__}, default backend {jax.default_backend()}, devices {jax.devices()}")
    if jax.default_backend() != "gpu":
        sys.exit("no GPU: these checks are for a GPU machine")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 512, 512)).astype(np.float32)
    exact = a.astype(np.float64) @ b
    x, w = rng.standard_normal((8, 64, 16, 16)).astype(np.float32), rng.standard_normal((64, 64, 3, 3)).astype(
        np.float32)
    conv_exact = conv2d_float64(x, w)
    ta, tb, tx, tw = (torchlike.tensor(v) for v in (a, b, x, w))
    print(f"tensors on {ta.device}")
    errors = {}
    for setting in ("highest", "high"):
        torchlike.set_float32_matmul_precision(setting)
        errors[f"matmul, precision {setting}"] = rel_error(ta @ tb, exact)
    torchlike.set_float32_matmul_precision("highest")
    for allow in (True, False):
        torchlike.backends.cudnn.allow_tf32 = allow
        errors[f"conv2d, cudnn.allow_tf32={allow}"] = rel_error(F.conv2d(tx, tw, padding=1), conv_exact)
    for what, err in errors.items():
        print(f"{what:36s} max error / max |value|: {err:.1e}")
    failed = []
    if not errors["matmul, precision highest"] < 1e-5:
        failed.append("float32 matmul is not full float32 by default")
    if not errors["matmul, precision high"] > 10 * errors["matmul, precision highest"]:
        failed.append("set_float32_matmul_precision('high') did not allow TensorFloat-32")
    if not errors["conv2d, cudnn.allow_tf32=False"] < 1e-5:
        failed.append("cudnn.allow_tf32 = False did not give a full float32 convolution")

    # the CPU test's comparison, run here with everything on the GPU in full float32
    torchlike.backends.cudnn.allow_tf32 = False
    if importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: the resnet18 comparison is skipped")
    else:
        from test_resnet import test_training_and_eval_match_pytorch
        from torchlike.vision.models import resnet18
        torchlike.manual_seed(0)
        try:
            test_training_and_eval_match_pytorch(resnet18())
            print("resnet18 train and eval steps on the GPU (allow_tf32 off) match PyTorch's CPU float32 steps")
        except AssertionError as e:
            failed.append(f"resnet18 against PyTorch: {str(e)[:600]}")
    torchlike.backends.cudnn.allow_tf32 = True
    for f in failed:
        print("FAILED:", f)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    os.environ.setdefault("CI", "true")
    main()
