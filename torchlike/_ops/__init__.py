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
