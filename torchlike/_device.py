"""torch.device over JAX devices: "cuda" names JAX's GPUs, "tpu" its TPUs, "cpu" the host.

Indices count the devices of this process (``jax.local_devices``), as a CUDA index counts the
GPUs one process sees. "tpu" is torchlike's own device type (PyTorch/XLA calls TPUs "xla"), so
a script that picks ``"cuda" if torch.cuda.is_available() else "cpu"`` runs unchanged on a GPU
and a script written for "tpu" on a TPU.

When JAX has several CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=N``, the
simulated devices the data-parallel tests use), ``"cpu:k"`` names the k-th of them; with one CPU
device every ``"cpu:k"`` is the host, as in PyTorch. An array sharded over several devices (a
data-parallel parameter or batch) reports the first of them: ``cpu`` or ``cuda:0``.
"""
import jax

_PLATFORM = {"cpu": "cpu", "cuda": "gpu", "tpu": "tpu"}
_TYPE_OF_PLATFORM = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "rocm": "cuda", "tpu": "tpu"}
_TORCH_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_BAD_TYPE = ("Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, "
             "vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {}")
# Absent devices. PyTorch's CPU-only build raises AssertionError("Torch not compiled with CUDA
# enabled") for any CUDA tensor; torchlike keeps that type and first sentence, then names what
# JAX does see, so `except AssertionError` written against PyTorch still catches it.
_NO_CUDA = "Torch not compiled with CUDA enabled (torchlike: JAX has no GPU device; JAX sees: {seen})"
_BAD_ORDINAL = "CUDA error: invalid device ordinal (torchlike: {dev} requested; JAX sees: {seen})"
_NO_DEVICE = "torchlike: no {platform} device for {dev}; JAX sees: {seen}"
_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


class CudaUnavailableError(AssertionError, RuntimeError):
    """PyTorch's CPU build raises AssertionError for a CUDA tensor; this is one, and also the
    RuntimeError that every other absent device raises, so callers that ask JAX for a device and
    fall back to the CPU on RuntimeError (torch.load's map_location) need no special case."""


class device:
    """torch.device: a device type and an optional index."""

    __slots__ = ("type", "index", "_prev")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool) and index is None:
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            type, index = accelerator_type(), type
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({_typename(type)}), but expected one of:\n * (torch.device device)\n      didn't match "
                            f"because some of the arguments have invalid types: (!{_typename(type)}!)\n * "
                            f"(str type, int index = -1)\n")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not {_typename(index)}")
        kind, colon, idx = type.partition(":")
        if kind not in _TORCH_TYPES and kind != "tpu":
            if kind.strip() != kind:
                raise RuntimeError(f"Invalid device string: '{type}'")
            raise RuntimeError(_BAD_TYPE.format(type))
        if colon:
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise RuntimeError(f"Invalid device string: '{type}'")
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            index = int(idx)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = kind, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        # As in PyTorch, a device never equals a string: device("cpu") == "cpu" is False.
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        from . import _device_default
        self._prev = _device_default.current()
        _device_default.set_default_device(self)
        return self

    def __exit__(self, *exc):
        from . import _device_default
        _device_default._default[0] = self._prev

    def jax_device(self):
        """The JAX device this names; an absent one raises PyTorch's error type (see the module
        constants) with the devices JAX does see."""
        platform = _PLATFORM.get(self.type)
        if platform is None:
            raise NotImplementedError(
                f"torchlike has no '{self.type}' device: tensors live on JAX's devices (cpu, cuda = JAX's GPUs, "
                f"tpu = JAX's TPUs); JAX sees: {_seen()}. Use device='cpu' or an accelerator JAX lists.")
        devs = local_devices(platform)
        idx = self.index or 0
        if platform == "cpu":
            if len(devs) == 1:  # PyTorch ignores a CPU index
                return devs[0]
            if idx < len(devs):
                return devs[idx]
            raise RuntimeError(_NO_DEVICE.format(platform="CPU", dev=self, seen=_seen()))
        if not devs:
            if self.type == "cuda":
                raise CudaUnavailableError(_NO_CUDA.format(seen=_seen()))
            raise RuntimeError(_NO_DEVICE.format(platform="TPU", dev=self, seen=_seen()))
        if idx >= len(devs):
            if self.type == "cuda":
                raise RuntimeError(_BAD_ORDINAL.format(dev=self, seen=_seen()))
            raise RuntimeError(_NO_DEVICE.format(platform="TPU", dev=self, seen=_seen()))
        return devs[idx]


def _typename(x):
    return "NoneType" if x is None else type(x).__name__


_local = {}  # JAX platform -> this process's devices of it


def local_devices(platform):
    devs = _local.get(platform)
    if devs is None:
        try:
            devs = list(jax.local_devices(backend=platform))
        except RuntimeError:
            devs = []
        _local[platform] = devs
    return devs


def _seen():
    return ", ".join(f"{d.platform}:{d.id} ({d.device_kind})" for d in jax.devices())


def accelerator_type():
    """The torch device type of JAX's accelerator ("cuda" or "tpu"); PyTorch's error without one."""
    for platform in ("gpu", "tpu"):
        if local_devices(platform):
            return _TYPE_OF_PLATFORM[platform]
    raise RuntimeError(_NO_ACCELERATOR)


_of_device = {}  # jax.Device -> torch device


def of_jax_device(d):
    """The torch device naming one JAX device."""
    dev = _of_device.get(d)
    if dev is None:
        kind = _TYPE_OF_PLATFORM.get(d.platform, d.platform)
        devs = local_devices("gpu" if kind == "cuda" else d.platform)
        k = devs.index(d) if d in devs else d.id
        dev = _of_device[d] = CPU if kind == "cpu" and k == 0 else device(kind, k)
    return dev


def of_array(arr):
    """The torch device of a jax.Array: its device, or the first of those it is sharded over."""
    try:
        devs = arr.devices()
    except AttributeError:  # a tracer inside a compiled region
        return CPU
    if len(devs) == 1:
        return of_jax_device(next(iter(devs)))
    sharding = getattr(arr, "sharding", None)
    addressable = getattr(sharding, "addressable_devices", devs) or devs
    first = of_jax_device(min(addressable, key=lambda d: d.id))
    return CPU if first.type == "cpu" else first


CPU = device("cpu")


_MIXED = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


def reconcile_devices(args, err):
    """Called only when a compiled op refused its arguments as committed to different devices
    (so the fast path never checks devices). Tensors on different torch devices get PyTorch's
    error. Tensors that are on the same torch device but not on the same JAX devices (one array on
    ``cuda:0``, another replicated or sharded over a data-parallel mesh that starts at ``cuda:0``)
    are reconciled: each one-device array is replicated over the mesh, in place (the tensor's
    device and values do not change), and the caller runs the op again."""
    from ._tensor import Tensor
    tensors = [a for a in args if isinstance(a, Tensor) and getattr(a._s[0], "committed", False)]
    seen = []
    for t in tensors:
        dev = of_array(t._s[0])
        if dev not in seen:
            seen.append(dev)
    if len(seen) > 1:
        raise RuntimeError(_MIXED.format(seen[0], seen[1])) from None
    widest = max(tensors, key=lambda t: len(t._s[0].devices()), default=None)
    sharding = None if widest is None else widest._s[0].sharding
    if not isinstance(sharding, jax.sharding.NamedSharding):
        raise RuntimeError(_MIXED.format(seen[0], seen[0]) + f" ({err})") from None
    replicated = jax.sharding.NamedSharding(sharding.mesh, jax.sharding.PartitionSpec())
    mesh_devices = set(sharding.mesh.devices.flat)
    for t in tensors:
        arr = t._s[0]
        if len(arr.devices()) < len(mesh_devices):
            if not arr.devices() <= mesh_devices:
                raise RuntimeError(_MIXED.format(seen[0], seen[0]) + f" ({err})") from None
            t._s[0] = jax.device_put(arr, replicated)


def several_devices():
    """Whether this process has more than one JAX device, so tensors can be on different ones."""
    return len(jax.local_devices()) > 1


def place(arr, target):
    """``arr`` on JAX device ``target``. With several devices the result is committed to it (as
    an explicit PyTorch placement is), so JAX refuses to mix it with another device's tensors;
    with one device an array already there is returned as it is."""
    if target in getattr(arr, "devices", lambda: ())() and (not several_devices() or arr.committed):
        return arr
    return jax.device_put(arr, target)
