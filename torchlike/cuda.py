"""torch.cuda over JAX's GPU devices.

``is_available()`` is true when JAX sees a GPU; ``cuda:k`` is this process's k-th GPU. Without
one, the calls that need a GPU raise PyTorch's CPU-build error (AssertionError "Torch not
compiled with CUDA enabled"), with the devices JAX sees appended. torchlike has one random
stream for every device: with a GPU, ``manual_seed`` seeds it (as ``torch.manual_seed`` does);
without one it does nothing, as in PyTorch, where it seeds only the absent GPUs' generators.
Streams, events, graphs and allocator controls are not modelled.
"""
import jax

from ._device import device as _device, local_devices as _local_devices

_current = [0]


def _gpus():
    return _local_devices("gpu")


def _require():
    if not _gpus():
        _device("cuda").jax_device()  # raises PyTorch's error naming JAX's devices


def _index(device):
    if device is None:
        return _current[0]
    if isinstance(device, int):
        return device
    d = _device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return _current[0] if d.index is None else d.index


def _jax_device(device=None):
    _require()
    return _device("cuda", _index(device)).jax_device()


def is_available():
    return bool(_gpus())


def device_count():
    return len(_gpus())


def is_initialized():
    return bool(_gpus())


def init():
    _require()


def current_device():
    _require()
    return _current[0]


def set_device(device):
    """Makes ``device`` the one ``"cuda"`` without an index names for factories."""
    idx = _index(device)
    if idx < 0:
        return
    _device("cuda", idx).jax_device()
    _current[0] = idx


class device:
    """torch.cuda.device: a context manager that selects a GPU."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev = -1

    def __enter__(self):
        self.prev = _current[0]
        set_device(self.idx)

    def __exit__(self, *exc):
        _current[0] = self.prev
        return False


def get_device_name(device=None):
    return _jax_device(device).device_kind


def get_device_capability(device=None):
    cc = getattr(_jax_device(device), "compute_capability", None)
    if cc is None:
        return (0, 0)
    major, _, minor = str(cc).partition(".")
    return (int(major), int(minor or 0))


def synchronize(device=None):
    """Waits for all work queued on the device: JAX dispatches asynchronously, as CUDA does."""
    _require()
    (jax.device_put(0, _jax_device(device)) + 0).block_until_ready()
    jax.effects_barrier()


def manual_seed(seed):
    """Seeds torchlike's generator when there is a GPU (one stream serves every device)."""
    if is_available():
        from ._ops.random import default_generator
        default_generator.manual_seed(int(seed))


manual_seed_all = manual_seed


def seed():
    if is_available():
        from ._ops.random import default_generator
        default_generator.seed()


seed_all = seed


def empty_cache():
    """Nothing to release: XLA's allocator keeps its pool (set XLA_PYTHON_CLIENT_ALLOCATOR=platform
    before importing JAX to return memory eagerly)."""


def _stat(device, key):
    if not _gpus():
        return 0
    stats = _jax_device(device).memory_stats() or {}
    return int(stats.get(key, 0))


def memory_allocated(device=None):
    return _stat(device, "bytes_in_use")


def max_memory_allocated(device=None):
    return _stat(device, "peak_bytes_in_use")


def memory_reserved(device=None):
    return _stat(device, "bytes_reserved") or _stat(device, "bytes_in_use")


max_memory_reserved = memory_reserved


def reset_peak_memory_stats(device=None):
    """Not supported by XLA's allocator statistics: the peak is kept for the process."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(f"module 'torchlike.cuda' has no attribute '{name}'")
    raise NotImplementedError(f"torch.cuda.{name} is not supported by torchlike: torchlike.cuda covers device "
                              "queries, seeding, synchronize and memory statistics over JAX's GPUs.")
