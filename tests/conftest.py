"""Test set-up: JAX on CPU, and the PyTorch oracle (required under CI=true)."""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import pytest  # noqa: E402

import torchlike  # noqa: E402,F401  (enables x64 before any test builds arrays)


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with default dtype float32 and grad mode on."""
    from torchlike.autograd import grad_mode
    torchlike.set_default_dtype(torchlike.float32)
    grad_mode.state.enabled = True
    yield
