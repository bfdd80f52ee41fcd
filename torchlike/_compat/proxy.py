"""Module proxies that serve ``torch``, ``torchvision`` and their submodules from torchlike.

A proxy named ``torch.nn`` looks its attributes up on ``torchlike.nn`` when they are used, not
when the proxy is made, so the mapping follows torchlike as its modules land. A name real
PyTorch has but torchlike lacks raises ``MissingTorchAPI`` naming the ``torch.`` API (and is
remembered for ``torchlike run --report``); a name PyTorch does not have either raises
PyTorch's own ``AttributeError``.
"""
import dis
import importlib
import importlib.abc
import importlib.machinery
import sys
import types

from . import names as _names

# torch-side prefix -> torchlike-side module; the longest matching prefix wins.
PREFIXES = {"torch": "torchlike", "torchvision": "torchlike.vision"}
_IMPORT_FROM = dis.opmap["IMPORT_FROM"]
_MISSING_MESSAGE = "{name} is not provided by torchlike yet"

touched = {}  # missing torch name -> "module" or "name" (for --report), in first-touch order


class MissingTorchAPI(NotImplementedError, AttributeError):
    """A PyTorch API that torchlike does not provide yet. Also an AttributeError, so
    ``hasattr(torch, name)`` and ``getattr(torch, name, default)`` behave as for a missing name."""


class MissingTorchImport(NotImplementedError, ImportError):
    """``from torch.x import name`` of a PyTorch API that torchlike does not provide yet (an
    AttributeError there would become Python's generic "cannot import name")."""


# Tracebacks print them as what they are to the user: "NotImplementedError: torch.x is not ...".
for _cls in (MissingTorchAPI, MissingTorchImport):
    _cls.__module__ = "builtins"
    _cls.__qualname__ = "NotImplementedError"


def torchlike_name(torch_name):
    """``torch.nn.functional`` -> ``torchlike.nn.functional``; None for modules we do not serve."""
    head = torch_name.split(".", 1)
    if head[0] not in PREFIXES:
        return None
    return PREFIXES[head[0]] + ("." + head[1] if len(head) > 1 else "")


def _import_real(torch_name):
    """The torchlike module behind ``torch_name``, or None when torchlike has none (yet)."""
    target = torchlike_name(torch_name)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as e:
        # Only "this module does not exist" means missing; a failing import inside it must surface.
        if e.name is not None and (target == e.name or target.startswith(e.name + ".")):
            return None
        raise


def missing(name, from_import=False):
    touched.setdefault(name, "name")
    cls = MissingTorchImport if from_import else MissingTorchAPI
    return cls(_MISSING_MESSAGE.format(name=name))


def _called_from_import_from(depth=2):
    try:
        f = sys._getframe(depth)
    except ValueError:
        return False
    code = f.f_code.co_code
    return 0 <= f.f_lasti < len(code) and code[f.f_lasti] == _IMPORT_FROM


class TorchProxy(types.ModuleType):
    """Stands in for the torch module ``__name__``; attributes come from torchlike's module."""

    def __init__(self, torch_name):
        super().__init__(torch_name)
        object.__setattr__(self, "_tl_real", _UNSET)
        self.__path__ = []          # a package, so ``import torch.x.y`` reaches our finder
        self.__torchlike__ = torchlike_name(torch_name)

    def _tl_module(self):
        real = object.__getattribute__(self, "_tl_real")
        if real is _UNSET:
            real = _import_real(self.__name__)
            object.__setattr__(self, "_tl_real", real)
        return real

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            return self._dunder(name)
        full = f"{self.__name__}.{name}"
        real = self._tl_module()
        if real is not None:
            try:
                value = getattr(real, name)
            except AttributeError:
                pass
            else:
                if isinstance(value, types.ModuleType) and value.__name__.startswith("torchlike"):
                    return proxy_for(full)
                return value
            if _import_real(full) is not None:
                return proxy_for(full)
        if full in _names.modules() or (real is None and _names.is_torch_module(full)):
            # A torch submodule torchlike lacks: a proxy whose every name is missing.
            return proxy_for(full)
        known = _names.names_of(self.__name__)
        if known is None or name in known:
            raise missing(full, _called_from_import_from())
        raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")

    def _dunder(self, name):
        real = self._tl_module()
        if name == "__all__" and real is not None:
            return [n for n in dir(real) if not n.startswith("_")]
        if real is not None and name in ("__version__", "__doc__"):
            return getattr(real, name)
        raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")

    def __dir__(self):
        real = self._tl_module()
        own = set(object.__dir__(self))
        return sorted(own | (set(dir(real)) if real is not None else set()))

    def __repr__(self):
        return f"<module '{self.__name__}' (served by torchlike)>"


_UNSET = object()


def proxy_for(torch_name):
    """The one proxy for ``torch_name``, registered in sys.modules so imports and attribute
    access agree."""
    mod = sys.modules.get(torch_name)
    if isinstance(mod, TorchProxy):
        return mod
    mod = TorchProxy(torch_name)
    mod.__spec__ = importlib.machinery.ModuleSpec(torch_name, _LOADER, is_package=True)
    mod.__loader__ = _LOADER
    sys.modules[torch_name] = mod
    parent, _, leaf = torch_name.rpartition(".")
    if parent and isinstance(sys.modules.get(parent), TorchProxy):
        # Like the import system does for a submodule: the parent gets the attribute.
        object.__setattr__(sys.modules[parent], leaf, mod)
    if _import_real(torch_name) is None:
        touched.setdefault(torch_name, "module")
    return mod


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        return proxy_for(spec.name)

    def exec_module(self, module):
        pass


_LOADER = _Loader()


class TorchFinder(importlib.abc.MetaPathFinder):
    """Answers imports of ``torch``/``torchvision`` (and submodules) with proxies."""

    def find_spec(self, fullname, path=None, target=None):
        if torchlike_name(fullname) is None:
            return None
        if "." in fullname and _import_real(fullname) is None and not _names.is_torch_module(fullname):
            return None  # not a torch module either: Python's ModuleNotFoundError, as in PyTorch
        return importlib.machinery.ModuleSpec(fullname, _LOADER, is_package=True)
