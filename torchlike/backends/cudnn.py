"""torch.backends.cudnn: flags with PyTorch's defaults. ``allow_tf32`` is read by each
convolution (TensorFloat-32 on a GPU, as PyTorch's cuDNN convolutions; full float32 when
False). XLA picks its GPU kernels itself, so the others change nothing; ``deterministic`` is
best served by XLA_FLAGS=--xla_gpu_deterministic_ops."""
import contextlib

from .._device import local_devices

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    return bool(local_devices("gpu"))


def version():
    return None


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    global_names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    g = globals()
    saved = {n: g[n] for n in global_names}
    g.update(enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit, deterministic=deterministic,
             allow_tf32=allow_tf32)
    try:
        yield
    finally:
        g.update(saved)
