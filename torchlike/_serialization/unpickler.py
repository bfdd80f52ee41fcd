"""Unpicklers for checkpoints: the weights-only one (the default) and the general one.

Both resolve torch's pickle names (``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``,
``torch.float16``, ``torch.Size`` ...) to torchlike's equivalents. The weights-only unpickler
resolves nothing else: ``find_class`` is the only way a pickle reaches a callable or a class, so
refusing every other global there (with PyTorch's message) means a malicious file fails before any
of its code runs. Tensors are rebuilt from their storage with numpy (offset, sizes and strides are
bounds-checked first), copied, and wrapped as torchlike leaves.
"""
import _compat_pickle
import importlib
import pickle
import sys
from _codecs import encode
from collections import Counter, OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._device import device as _device
from .._size import Size
from .._tensor import Tensor

BLOCKED_MODULES = ("sys", "os", "posix", "nt")

_STORAGE_DTYPES = {"FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
                   "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
                   "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
                   "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
                   "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8"}
# Storages and dtypes torch has and torchlike does not: a checkpoint naming them is refused plainly.
_MISSING_STORAGES = ("QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage",
                     "ComplexHalfStorage")
_MISSING_DTYPES = ("complex32", "chalf", "quint8", "qint8", "qint32", "quint4x2", "quint2x4", "bits1x8",
                   "bits2x4", "bits4x2", "bits8", "bits16", "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz",
                   "float8_e4m3fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "uint1", "uint2", "uint3", "uint4",
                   "uint5", "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7")


class Refused(pickle.UnpicklingError):
    """A weights-only refusal (a global or persistent id outside the allowlist), not a corrupt file."""


class StorageType:
    """What a pickled ``torch.FloatStorage`` (etc.) name resolves to: it only carries the dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype = _dtype._BY_NAME[_STORAGE_DTYPES[name]]

    def __repr__(self):
        return f"StorageType(dtype={self.dtype})"


_UNTYPED = StorageType("UntypedStorage")


class LoadedStorage:
    """One storage of a checkpoint: a flat numpy array of its dtype (read-only, never aliased out)."""

    def __init__(self, array, dtype, location):
        self.array, self.dtype, self.location = array, dtype, location

    def nbytes(self):
        return self.array.nbytes

    def size(self):
        return self.array.size

    def __len__(self):
        return self.array.size

    def cpu(self):
        return LoadedStorage(self.array, self.dtype, "cpu")

    def cuda(self, device=None, non_blocking=False):
        return LoadedStorage(self.array, self.dtype, str(_device("cuda", device) if isinstance(device, int)
                                                         else _device(device or "cuda")))

    def to(self, device=None, non_blocking=False):
        return LoadedStorage(self.array, self.dtype, str(_device(device)))

    @property
    def device(self):
        return _device(self.location)

    def __repr__(self):
        return f"torchlike checkpoint storage ({self.dtype}, {self.array.size} elements, '{self.location}')"


def _check_storage(storage, name):
    if not isinstance(storage, LoadedStorage):
        raise pickle.UnpicklingError(f"{name} expects a storage from the checkpoint, got {type(storage).__name__}")


def _materialize(storage, offset, size, stride, dtype=None):
    """A torchlike Tensor viewing ``storage`` at offset/size/stride, as ``Tensor.set_`` would."""
    _check_storage(storage, "_rebuild_tensor")
    if storage.array is None:  # a legacy stream's storage, read after the pickle
        return storage.defer(offset, size, stride, dtype)
    dtype = dtype or storage.dtype
    data = storage.array
    if data.dtype != dtype.np:
        if data.nbytes % dtype.itemsize:
            raise RuntimeError(f"storage of {data.nbytes} bytes cannot be viewed as {dtype}")
        data = data.view(dtype.np)
    try:
        size = tuple(int(s) for s in size)
        stride = tuple(int(s) for s in stride)
        offset = int(offset)
    except (TypeError, ValueError):
        raise pickle.UnpicklingError("tensor sizes, strides and storage offset must be integers") from None
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} vs {len(size)}")
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(f"setStorage: invalid sizes {list(size)}, strides {list(stride)} or storage offset "
                           f"{offset} (all must be non-negative)")
    numel = int(np.prod(size, dtype=np.int64))
    needed = 0 if numel == 0 else offset + 1 + sum((s - 1) * st for s, st in zip(size, stride))
    if needed > data.size:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
            f"{dtype.itemsize} requiring a storage size of {needed * dtype.itemsize} are out of bounds for "
            f"storage of size {data.size * dtype.itemsize}")
    if numel == 0:
        out = np.zeros(size, dtype.np)
    else:
        base = data[offset:]
        out = np.array(np.lib.stride_tricks.as_strided(
            base, size, tuple(st * dtype.itemsize for st in stride), writeable=False))
    return Tensor._wrap(jax.device_put(jnp.asarray(out), _jax_device(storage.location)))


def _jax_device(location):
    """Where a storage tagged ``location`` goes: that device when JAX has it, else the CPU."""
    if location and location != "cpu":
        try:
            return _device(location).jax_device()
        except RuntimeError:
            pass
    return jax.devices("cpu")[0]


def _set_requires_grad(t, requires_grad):
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _materialize(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    return _set_requires_grad(_materialize(storage, storage_offset, size, stride), requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError(f"_rebuild_tensor_v3 expects a dtype, got {type(dtype).__name__}")
    return _set_requires_grad(_materialize(storage, storage_offset, size, stride, dtype), requires_grad)


def _parameter(data, requires_grad):
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"_rebuild_parameter expects a Tensor, got {type(data).__name__}")
    try:
        from ..nn.parameter import Parameter
    except ImportError:  # torchlike.nn not available: a leaf Tensor that requires grad stands in
        return _set_requires_grad(data.detach(), requires_grad)
    return Parameter(data, requires_grad)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    return _parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(_parameter(data, requires_grad), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if not isinstance(ret, Tensor):
        raise pickle.UnpicklingError("_rebuild_from_type_v2 expects its function to build a Tensor")
    if new_type is not type(ret):
        if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
            raise pickle.UnpicklingError(f"_rebuild_from_type_v2 cannot make a Tensor of type {new_type!r}")
        ret.__class__ = new_type
    return _set_state(ret, state)


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    if not isinstance(data, Tensor) or data.dtype is not dtype:
        raise pickle.UnpicklingError("_rebuild_device_tensor_from_cpu_tensor expects a Tensor of its dtype")
    return _set_requires_grad(data.detach(), requires_grad)


def _set_state(obj, state):
    """torch._utils._set_obj_state: ``state`` is a dict, or (dict, slots dict)."""
    if isinstance(state, tuple):
        if len(state) != 2:
            raise pickle.UnpicklingError(f"Invalid serialized state: {state!r}")
        dict_state, slots_state = state
    else:
        dict_state, slots_state = state, None
    for k, v in (dict_state or {}).items():
        setattr(obj, k, v)
    for k, v in (slots_state or {}).items():
        setattr(obj, k, v)
    return obj


_UNSUPPORTED_REBUILDS = {"_rebuild_qtensor": "quantized", "_rebuild_sparse_tensor": "sparse",
                         "_rebuild_meta_tensor_no_storage": "meta", "_rebuild_nested_tensor": "nested",
                         "_rebuild_wrapper_subclass": "wrapper-subclass",
                         "_rebuild_device_tensor_from_numpy": "storage-less device"}


def _unsupported(api, kind):
    def refuse(*args, **kwargs):
        raise NotImplementedError(
            f"torchlike.load: the checkpoint holds a {kind} tensor (torch._utils.{api}); torchlike has only "
            "dense CPU/accelerator tensors. Convert it in PyTorch (e.g. .to_dense(), .dequantize(), .cpu()) "
            "and save again.")
    refuse.__name__ = api
    return refuse


def _parameter_class():
    try:
        from ..nn.parameter import Parameter
        return Parameter
    except ImportError:
        return _parameter


def allowed_globals():
    """torch's weights-only allowlist, mapped to torchlike objects (full torch name -> object)."""
    rc = {"collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
          "torch.nn.parameter.Parameter": _parameter_class(), "torch.Size": Size, "torch.Tensor": Tensor,
          "torch.device": _device, "_codecs.encode": encode, "builtins.bytearray": bytearray,
          "builtins.set": set, "builtins.complex": complex,
          "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2}
    for d in _dtype.ALL:
        rc["torch." + d.name] = d
    for name, d in (("half", "float16"), ("float", "float32"), ("double", "float64"), ("short", "int16"),
                    ("int", "int32"), ("long", "int64"), ("cfloat", "complex64"), ("cdouble", "complex128")):
        rc["torch." + name] = _dtype._BY_NAME[d]
    for f in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter,
              _rebuild_parameter_with_state, _rebuild_device_tensor_from_cpu_tensor):
        rc["torch._utils." + f.__name__] = f
    for api, kind in _UNSUPPORTED_REBUILDS.items():
        rc["torch._utils." + api] = _unsupported(api, kind)
    rc["torch.storage.UntypedStorage"] = _UNTYPED
    rc["torch.UntypedStorage"] = _UNTYPED
    return rc


def _storage_or_dtype(module, name):
    """Storage class names in any torch module (``torch.cuda.FloatStorage`` too), as torch maps them."""
    if "Storage" in name and module.split(".")[0] == "torch":
        if name in _STORAGE_DTYPES:
            return StorageType(name)
        if name in _MISSING_STORAGES:
            raise NotImplementedError(f"torchlike.load: torch.{name} has no torchlike dtype")
    if module == "torch" and name in _MISSING_DTYPES:
        raise NotImplementedError(f"torchlike.load: torch.{name} has no torchlike dtype")
    return None


def _fix_imports(module, name):
    """Python 2 names (``__builtin__.set``) as protocol-2 pickles write them, as Python 3 names."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


_user_safe_globals = set()


def user_allowed_globals():
    rc = {}
    for f in _user_safe_globals:
        if isinstance(f, tuple):
            f, name = f
            rc[name] = f
        else:
            rc[f"{f.__module__}.{f.__qualname__}"] = f
    return rc


class _StorageLoading:
    """Mixin: persistent ids go to the ``load_storage(pid)`` callback the loader sets."""

    def persistent_load(self, pid):
        if type(pid) is not tuple or not pid:
            raise pickle.UnpicklingError(f"persistent_load id must be tuple or int, but got {type(pid)}")
        kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if kind != "storage":
            raise Refused(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
        return self.load_storage(pid)


class WeightsUnpickler(_StorageLoading, pickle.Unpickler):
    """torch.load(weights_only=True): only tensors, storages, containers and plain values."""

    def find_class(self, module, name):
        module, name = _fix_imports(module, name)
        full = f"{module}.{name}"
        if module in BLOCKED_MODULES:
            raise Refused(
                f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
        found = _storage_or_dtype(module, name)
        if found is not None:
            return found
        allowed = allowed_globals()
        if full in allowed:
            return allowed[full]
        user = user_allowed_globals()
        if full in user:
            return user[full]
        shown = full[len("builtins."):] if full.startswith("builtins.") else full
        raise Refused(
            f"Unsupported global: GLOBAL {shown} was not an allowed global by default. "
            f"Please use `torch.serialization.add_safe_globals([{shown}])` or the "
            f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global "
            "if you trust this class/function.")


def general_unpickler(base):
    """torch.load(weights_only=False) over ``base`` (``pickle.Unpickler`` or a pickle_module's)."""

    class GeneralUnpickler(_StorageLoading, base):
        def find_class(self, module, name):
            found = _storage_or_dtype(module, name)
            if found is not None:
                return found
            allowed = allowed_globals()
            if f"{module}.{name}" in allowed:
                return allowed[f"{module}.{name}"]
            if module == "torch" or module.startswith("torch."):
                return _torchlike_global(module, name)
            return super().find_class(module, name)

    return GeneralUnpickler


def _torchlike_global(module, name):
    """``torch.X.Y`` as ``torchlike.X.Y``; a clear error where torchlike has no such name."""
    target = "torchlike" + module[len("torch"):]
    try:
        obj = importlib.import_module(target)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj
    except (ImportError, AttributeError):
        raise NotImplementedError(
            f"torchlike.load: the checkpoint refers to {module}.{name}, which torchlike does not provide "
            f"(looked for {target}.{name}). Save a state_dict instead of the whole object.") from None


def storage_from_bytes(raw, dtype, numel, location, byteorder=sys.byteorder):
    """A LoadedStorage of ``numel`` elements of ``dtype`` from raw bytes written in ``byteorder``."""
    nbytes = numel * dtype.itemsize
    if len(raw) < nbytes:
        raise RuntimeError(f"checkpoint storage is truncated: expected {nbytes} bytes, found {len(raw)}")
    arr = np.frombuffer(raw, dtype=np.uint8, count=nbytes)
    if byteorder != sys.byteorder and dtype.itemsize > 1:
        part = dtype.itemsize // 2 if dtype.is_complex else dtype.itemsize
        arr = arr.view(f"u{part}").byteswap().view(np.uint8)
    return LoadedStorage(arr.view(dtype.np), dtype, location)
