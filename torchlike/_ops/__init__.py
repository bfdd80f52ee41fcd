"""Every op family; importing them fills the registry and attaches Tensor methods."""
from . import pointwise, reduction, linalg, shape, creation, random, conversion, indexing  # noqa: F401
from .registry import REGISTRY

_modules = (pointwise, reduction, linalg, shape, creation, random, conversion, indexing)
__all__ = []
for _m in _modules:
    for _name, _value in vars(_m).items():
        if _name.startswith("_") or _name in __all__ or not callable(_value):
            continue
        if isinstance(_value, type) or getattr(_value, "__module__", "").startswith(("jax", "numpy", "builtins")):
            continue
        if _name in ("op", "apply", "return_type", "Tensor", "legacy_new"):
            continue
        globals()[_name] = _value
        __all__.append(_name)

# Neural-network families: their F-level functions live in torchlike.nn.functional; only the
# names PyTorch also exports at the top level (torch.conv2d, torch.batch_norm, ...) are listed
# in each module's TORCH_API, with torch's own signatures.
from . import nn_activation, nn_conv, nn_pad, nn_norm, nn_pool, nn_loss, nn_misc, nn_sample  # noqa: E402

for _m in (nn_activation, nn_conv, nn_pad, nn_norm, nn_pool, nn_loss, nn_misc, nn_sample):
    for _name, _value in getattr(_m, "TORCH_API", {}).items():
        if _name not in __all__:
            if _value.__name__ != _name and _value.__name__.startswith(("_", "torch_")):
                _value.__name__ = _value.__qualname__ = _name  # only exported under torch's name
            globals()[_name] = _value
            __all__.append(_name)
