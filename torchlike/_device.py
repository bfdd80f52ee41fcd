"""torch.device over JAX devices: "cuda" names JAX's GPUs, "tpu" its TPUs, "cpu" the host."""
import jax

_PLATFORM = {"cpu": "cpu", "cuda": "gpu", "tpu": "tpu"}


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and index is None:
            type, index = "cuda", type
        kind, _, idx = str(type).partition(":")
        if kind not in _PLATFORM and kind not in ("mps", "meta", "xla"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, "
                f"xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}")
        if idx:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed explicitly: "
                                   + str(type))
            index = int(idx)
        self.type, self.index = kind, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def jax_device(self):
        """The JAX device this names; an absent one raises PyTorch's error type."""
        platform = _PLATFORM.get(self.type)
        try:
            devs = jax.devices(platform)
        except RuntimeError:
            devs = []
        idx = self.index or 0
        if not devs or idx >= len(devs):
            seen = ", ".join(str(d) for d in jax.devices())
            raise RuntimeError(f"{self.type} device {idx} is not available; JAX sees: {seen}")
        return devs[idx]


def of_array(arr):
    """The torch device of a jax.Array."""
    try:
        d = next(iter(arr.devices()))
    except AttributeError:
        return CPU
    if d.platform == "cpu":
        return CPU
    kind = "cuda" if d.platform == "gpu" else d.platform
    return device(kind, d.id)


CPU = device("cpu")
