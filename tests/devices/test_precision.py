"""Float32 matmul and convolution precision: ``torch.set_float32_matmul_precision`` and the
TensorFloat-32 flags against PyTorch, and what they set in JAX (full float32 unless asked: XLA
on a recent GPU would otherwise use TensorFloat-32 where PyTorch does not)."""
import re
import warnings

import jax
import pytest

import torchlike
from tests.oracle import oracle


def _steps(lib):
    """The precision seen after each of a sequence of settings, with any warning or error."""
    seen = []

    def do(f, read_precision=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                f()
                result = ("ok",)
            except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
                result = (type(e).__name__, str(e))
        seen.append((result, [str(w.message).split(" (Triggered")[0] for w in caught],
                     lib.get_float32_matmul_precision() if read_precision else None,
                     lib.backends.cuda.matmul.allow_tf32))

    for p in ("high", "medium", "highest", "x", "HIGH", 1, None):
        do(lambda: lib.set_float32_matmul_precision(p))
    do(lambda: setattr(lib.backends.cuda.matmul, "allow_tf32", True))
    do(lambda: setattr(lib.backends.cuda.matmul, "allow_tf32", "x"))
    # PyTorch 2.13 refuses get_float32_matmul_precision once the legacy flag turned TF32 off
    # again (it calls that mixing two APIs), so only the flag is compared from here
    do(lambda: setattr(lib.backends.cuda.matmul, "allow_tf32", False), read_precision=False)
    lib.set_float32_matmul_precision("medium")
    do(lambda: setattr(lib.backends.cuda.matmul, "allow_tf32", False), read_precision=False)
    return seen


@pytest.fixture
def restore():
    yield
    torchlike.set_float32_matmul_precision("highest")
    torchlike.backends.cudnn.allow_tf32 = True


def test_matmul_precision_settings_match_pytorch(restore):
    torch = oracle()
    try:
        assert _steps(torchlike) == _steps(torch)
    finally:
        torch.set_float32_matmul_precision("highest")


def test_precision_reaches_jax(restore):
    assert torchlike.get_float32_matmul_precision() == "highest"
    assert jax.config.jax_default_matmul_precision == "highest"
    torchlike.set_float32_matmul_precision("high")
    assert jax.config.jax_default_matmul_precision == "tensorfloat32"
    torchlike.backends.cuda.matmul.allow_tf32 = False
    assert jax.config.jax_default_matmul_precision == "highest"


def _conv_precisions():
    """The precisions in the traced forward and backward of a 1-D convolution and a 2-D
    transposed one (on the CPU small 2-D convolutions are patch matmuls, always full float32;
    these two run as XLA convolutions everywhere)."""
    F = torchlike.nn.functional
    x1, w1 = torchlike.ones(1, 2, 5, requires_grad=True), torchlike.ones(3, 2, 3, requires_grad=True)
    x2, w2 = torchlike.ones(1, 2, 5, 5, requires_grad=True), torchlike.ones(2, 3, 3, 3, requires_grad=True)

    def loss(a, b, c, d):
        wrap = torchlike.from_jax
        return (F.conv1d(wrap(a), wrap(b)).sum() + F.conv_transpose2d(wrap(c), wrap(d)).sum())._s[0]
    text = str(jax.make_jaxpr(jax.grad(loss, argnums=(0, 1, 2, 3)))(*(t._s[0] for t in (x1, w1, x2, w2))))
    return set(re.findall(r"conv_general_dilated\[[^\]]*?precision=(\([^)]*\)|None)", text, re.S))


def test_convolutions_follow_cudnn_allow_tf32(restore):
    """TensorFloat-32 (XLA's default) while ``cudnn.allow_tf32`` is True, as PyTorch's cuDNN
    convolutions, whatever the matmul precision; full float32 when it is False."""
    torch = oracle()
    assert torchlike.backends.cudnn.allow_tf32 is torch.backends.cudnn.allow_tf32 is True
    assert _conv_precisions() == {"(Precision.DEFAULT, Precision.DEFAULT)"}
    torchlike.set_float32_matmul_precision("high")
    torchlike.backends.cudnn.allow_tf32 = False
    assert _conv_precisions() == {"(Precision.HIGHEST, Precision.HIGHEST)"}
