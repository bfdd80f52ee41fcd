"""A pickle protocol-2 writer that speaks PyTorch's names.

Python's own Pickler checks that every global it writes can be imported under its name, so it
cannot write ``torch._utils._rebuild_tensor_v2`` without importing torch. This writer emits the
same opcodes Python's Pickler would (memo, batching, ``__reduce_ex__``), but writes torchlike's
objects the way ``torch.save`` does: tensors through the rebuild functions with a persistent id
for their storage, Parameters, ``torch.Size``, dtypes and devices by their torch names, and any
other global of the ``torchlike`` package under ``torch``.
"""
import _compat_pickle
import codecs
import copyreg
import pickle
import struct
import sys
import types
from collections import OrderedDict

import numpy as np

from .. import _dtype
from .._device import device as _device, of_array
from .._size import Size
from .._storage import _meta
from .._tensor import Tensor

_BATCHSIZE = 1000

# torch's pickle name for each dtype's storage; dtypes without a legacy typed storage are written
# through ``_rebuild_tensor_v3`` with an UntypedStorage and the dtype, as torch does.
STORAGE_NAMES = {"float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
                 "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
                 "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
                 "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage"}


class TorchGlobal:
    """A stand-in written as ``GLOBAL module name``; one instance per name so the memo finds it."""
    _cache = {}

    def __new__(cls, module, name):
        key = (module, name)
        if key not in cls._cache:
            g = object.__new__(cls)
            g.module, g.name = module, name
            cls._cache[key] = g
        return cls._cache[key]


_REBUILD_V2 = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_V3 = TorchGlobal("torch._utils", "_rebuild_tensor_v3")
_REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
_REBUILD_PARAMETER_STATE = TorchGlobal("torch._utils", "_rebuild_parameter_with_state")
_REBUILD_FROM_TYPE = TorchGlobal("torch._tensor", "_rebuild_from_type_v2")
_TORCH_TENSOR = TorchGlobal("torch", "Tensor")
_TORCH_SIZE = TorchGlobal("torch", "Size")
_TORCH_DEVICE = TorchGlobal("torch", "device")
_UNTYPED = TorchGlobal("torch.storage", "UntypedStorage")
_STORAGE, _CPU = "storage", "cpu"  # constants, so the memo writes them once as torch's pickles do


class _StorageId:
    """Written as a persistent id: ``('storage', storage_type, key, location, numel)``."""
    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


class Pickler:
    """``Pickler(file).dump(obj)``; ``storages`` then maps each key to its contiguous numpy array."""

    def __init__(self, file, legacy=False):
        self.write = file.write
        self.legacy = legacy  # the pre-1.6 stream adds a view slot (always None) to each storage id
        self.memo = {}
        self.storages = {}  # key -> numpy array (contiguous), in the order torch writes them
        self._keys = {}     # id(jax array) -> (key, array kept alive so the id stays unique)

    def dump(self, obj):
        self.write(pickle.PROTO + b"\x02")
        self.save(obj)
        self.write(pickle.STOP)

    # -- memo -------------------------------------------------------------------------------------
    def memoize(self, obj):
        idx = len(self.memo)
        self.write(pickle.BINPUT + bytes([idx]) if idx < 256 else pickle.LONG_BINPUT + struct.pack("<I", idx))
        self.memo[id(obj)] = (idx, obj)

    def _get(self, idx):
        self.write(pickle.BINGET + bytes([idx]) if idx < 256 else pickle.LONG_BINGET + struct.pack("<I", idx))

    # -- dispatch ---------------------------------------------------------------------------------
    def save(self, obj):
        if isinstance(obj, _StorageId):
            self.save(obj.pid)
            self.write(pickle.BINPERSID)
            return
        t = type(obj)
        if obj is None:
            return self.write(pickle.NONE)
        if t is bool:
            return self.write(pickle.NEWTRUE if obj else pickle.NEWFALSE)
        if t is int:
            return self._save_int(obj)
        if t is float:
            return self.write(pickle.BINFLOAT + struct.pack(">d", obj))
        hit = self.memo.get(id(obj))
        if hit is not None:
            return self._get(hit[0])
        if t is str:
            data = obj.encode("utf-8", "surrogatepass")
            self.write(pickle.BINUNICODE + struct.pack("<I", len(data)) + data)
            return self.memoize(obj)
        if t is tuple:
            return self._save_tuple(obj)
        if t is list:
            self.write(pickle.EMPTY_LIST)
            self.memoize(obj)
            return self._batch_appends(obj)
        if t is dict:
            self.write(pickle.EMPTY_DICT)
            self.memoize(obj)
            return self._batch_setitems(iter(obj.items()))
        if t is bytes:
            if not obj:
                return self.save_reduce(bytes, (), obj=obj)
            return self.save_reduce(codecs.encode, (str(obj, "latin1"), "latin1"), obj=obj)
        if t in (set, frozenset):
            return self.save_reduce(t, (list(obj),), obj=obj)
        if t is TorchGlobal:
            return self._write_global(obj.module, obj.name, obj)
        if isinstance(obj, Tensor):
            return self.save_reduce(*self._reduce_tensor(obj), obj=obj)
        if isinstance(obj, Size):
            return self.save_reduce(_TORCH_SIZE, (tuple(obj),), obj=obj)
        if isinstance(obj, _dtype.dtype):
            return self._write_global("torch", obj.name, obj)
        if isinstance(obj, _device):
            kind = obj.type.encode().decode()  # a fresh string, as torch's C++ reduce makes: memoized anew
            args = (kind,) if obj.index is None else (kind, obj.index)
            return self.save_reduce(_TORCH_DEVICE, args, obj=obj)
        reduce = copyreg.dispatch_table.get(t)
        if reduce is not None:
            rv = reduce(obj)
        elif isinstance(obj, type) or t is types.FunctionType:
            return self.save_global(obj)
        else:
            rv = obj.__reduce_ex__(2)
        if isinstance(rv, str):
            return self.save_global(obj, rv)
        if not isinstance(rv, tuple) or not 2 <= len(rv) <= 6:
            raise pickle.PicklingError(f"{t.__name__}.__reduce__ must return a string or a tuple of 2 to 6 items")
        self.save_reduce(*rv, obj=obj)

    def _save_int(self, obj):
        if 0 <= obj <= 0xFF:
            self.write(pickle.BININT1 + bytes([obj]))
        elif 0 <= obj <= 0xFFFF:
            self.write(pickle.BININT2 + struct.pack("<H", obj))
        elif -0x80000000 <= obj <= 0x7FFFFFFF:
            self.write(pickle.BININT + struct.pack("<i", obj))
        else:
            data = pickle.encode_long(obj)
            n = len(data)
            self.write(pickle.LONG1 + bytes([n]) + data if n < 256 else pickle.LONG4 + struct.pack("<i", n) + data)

    def _save_tuple(self, obj):
        if not obj:
            return self.write(pickle.EMPTY_TUPLE)
        n = len(obj)
        if n > 3:
            self.write(pickle.MARK)
        for item in obj:
            self.save(item)
        hit = self.memo.get(id(obj))
        if hit is not None:  # the tuple contained itself: pop what was pushed and fetch it
            self.write(pickle.POP * n if n <= 3 else pickle.POP_MARK)
            return self._get(hit[0])
        self.write((pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)[n - 1] if n <= 3 else pickle.TUPLE)
        self.memoize(obj)

    def _batch_appends(self, items):
        items = list(items)
        for start in range(0, len(items), _BATCHSIZE):
            batch = items[start:start + _BATCHSIZE]
            if len(batch) == 1:
                self.save(batch[0])
                self.write(pickle.APPEND)
                continue
            self.write(pickle.MARK)
            for x in batch:
                self.save(x)
            self.write(pickle.APPENDS)

    def _batch_setitems(self, items):
        items = list(items)
        for start in range(0, len(items), _BATCHSIZE):
            batch = items[start:start + _BATCHSIZE]
            if len(batch) == 1:
                self.save(batch[0][0])
                self.save(batch[0][1])
                self.write(pickle.SETITEM)
                continue
            self.write(pickle.MARK)
            for k, v in batch:
                self.save(k)
                self.save(v)
            self.write(pickle.SETITEMS)

    def save_reduce(self, func, args, state=None, listitems=None, dictitems=None, state_setter=None, *, obj=None):
        if state_setter is not None:
            raise pickle.PicklingError("torchlike.save writes pickle protocol 2, which has no state_setter")
        if getattr(func, "__name__", "") == "__newobj__":
            cls = args[0]
            self.save(cls)
            self.save(tuple(args[1:]))
            self.write(pickle.NEWOBJ)
        else:
            self.save(func)
            self.save(tuple(args))
            self.write(pickle.REDUCE)
        if obj is not None:
            hit = self.memo.get(id(obj))
            if hit is not None:  # obj was reached through its own reduce arguments
                self.write(pickle.POP)
                self._get(hit[0])
            else:
                self.memoize(obj)
        if listitems is not None:
            self._batch_appends(listitems)
        if dictitems is not None:
            self._batch_setitems(dictitems)
        if state is not None:
            self.save(state)
            self.write(pickle.BUILD)

    def save_global(self, obj, name=None):
        name = name or getattr(obj, "__qualname__", None) or obj.__name__
        module = pickle.whichmodule(obj, name)
        try:
            __import__(module)
            found = sys.modules[module]
            for part in name.split("."):
                found = getattr(found, part)
        except (ImportError, KeyError, AttributeError):
            found = None
        if found is not obj:
            raise pickle.PicklingError(f"Can't pickle {obj!r}: it's not found as {module}.{name}")
        if module == "torchlike" or module.startswith("torchlike."):
            module = "torch" + module[len("torchlike"):]
        if "." in name:  # a nested name: protocol 2 rebuilds it with getattr on its parent
            parent, last = name.rsplit(".", 1)
            return self.save_reduce(getattr, (TorchGlobal(module, parent), last), obj=obj)
        self._write_global(module, name, obj)

    def _write_global(self, module, name, obj):
        if (module, name) in _compat_pickle.REVERSE_NAME_MAPPING:
            module, name = _compat_pickle.REVERSE_NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.REVERSE_IMPORT_MAPPING:
            module = _compat_pickle.REVERSE_IMPORT_MAPPING[module]
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
        self.memoize(obj)

    # -- tensors ------------------------------------------------------------------------------------
    def _storage_id(self, t):
        arr = t._s[0]
        entry = self._keys.get(id(arr))
        if entry is None:
            entry = self._keys[id(arr)] = (str(len(self._keys)), arr)
            self.storages[entry[0]] = np.ascontiguousarray(np.asarray(arr)).reshape(-1)
        key = entry[0]
        dev = of_array(arr)
        location = _CPU if dev.type == "cpu" else str(dev)
        numel = int(arr.size)
        name = STORAGE_NAMES.get(t.dtype.name)
        view = (None,) if self.legacy else ()
        if name is None:
            return _StorageId((_STORAGE, _UNTYPED, key, location, numel * arr.dtype.itemsize) + view), True
        return _StorageId((_STORAGE, TorchGlobal("torch", name), key, location, numel) + view), False

    def _tensor_args(self, t, requires_grad):
        pid, untyped = self._storage_id(t)
        shape = tuple(int(d) for d in _meta(t).shape)
        stride, acc = [], 1
        for d in reversed(shape):
            stride.append(acc)
            acc *= max(d, 1)
        args = (pid, 0, shape, tuple(reversed(stride)), requires_grad, OrderedDict())
        if untyped:
            return _REBUILD_V3, args + (t.dtype,)
        return _REBUILD_V2, args

    def _reduce_tensor(self, t):
        state = dict(getattr(t, "__dict__", {}))
        if _is_parameter(t):
            inner = _Reduced(*self._tensor_args(t, False))
            hooks = OrderedDict()
            if not state:
                return _REBUILD_PARAMETER, (inner, t.requires_grad, hooks)
            return _REBUILD_PARAMETER_STATE, (inner, t.requires_grad, hooks, state)
        func, args = self._tensor_args(t, t.requires_grad)
        if type(t) is Tensor and not state:
            return func, args
        return _REBUILD_FROM_TYPE, (func, _TORCH_TENSOR, args, state)


class _Reduced:
    """An object written as ``func(*args)``: the plain tensor inside a pickled Parameter."""
    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce_ex__(self, proto):
        return self.func, self.args


def _is_parameter(t):
    mod = sys.modules.get("torchlike.nn.parameter")
    return mod is not None and isinstance(t, getattr(mod, "Parameter", ()))
