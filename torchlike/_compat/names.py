"""Real PyTorch's public names (generated into ``_torch_names.py``), parsed on first use."""
import functools

# torchvision is not in the generated tables (it is not installed beside the oracle); these
# are the modules scripts import from it.
TORCHVISION_MODULES = frozenset({"torchvision", "torchvision.models", "torchvision.transforms",
                                 "torchvision.datasets", "torchvision.io", "torchvision.ops",
                                 "torchvision.utils", "torchvision.transforms.functional",
                                 "torchvision.models.detection"})


@functools.lru_cache(maxsize=None)
def _tables():
    from . import _torch_names
    return {m: frozenset(s.split()) for m, s in _torch_names.NAMES.items()}


@functools.lru_cache(maxsize=None)
def modules():
    from . import _torch_names
    return frozenset(_torch_names.MODULES.split()) | TORCHVISION_MODULES


def names_of(module):
    """Public names of torch module ``module`` (or of ``torch.Tensor``); None when not tabled."""
    return _tables().get(module)


def is_torch_module(name):
    return name in modules()


def version():
    from . import _torch_names
    return _torch_names.VERSION
