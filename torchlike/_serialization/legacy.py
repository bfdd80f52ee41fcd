"""PyTorch's pre-1.6 checkpoint stream (``torch.save(..., _use_new_zipfile_serialization=False)``).

Layout: pickled magic number, pickled protocol version (1001), pickled sys info, the pickled
object (storages as persistent ids ``('storage', type, key, location, numel, view)``), the pickled
sorted list of storage keys, then each storage as an int64 element count and its raw bytes.

The storages come after the pickle that uses them, so tensors are rebuilt in two steps: while
unpickling, each tensor is a placeholder of the right shape and dtype that remembers where it
views its storage; once the storage bytes are read, every placeholder gets its values. A storage
that is short or out of bounds fails the whole load, so no partial result escapes.
"""
import pickle
import struct
import sys

import numpy as np

from .._dtype import _BY_NP
from .._tensor import Tensor
from .pickler import STORAGE_NAMES
from . import unpickler as U

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


class _PendingStorage(U.LoadedStorage):
    """A storage whose bytes come later; a view of another one keeps (root, element offset)."""

    def __init__(self, dtype, numel, location, root=None, offset=0):
        super().__init__(None, dtype, location)
        self.numel, self.root, self.offset = numel, root, offset
        self.pending = []  # (tensor, offset, size, stride, dtype) to fill once the bytes are read

    def nbytes(self):
        return self.numel * self.dtype.itemsize

    def size(self):
        return self.numel

    def defer(self, offset, size, stride, dtype):
        """A Tensor of the right shape and dtype, given its values once the bytes are read."""
        dtype = dtype or self.dtype
        try:
            shape = tuple(int(s) for s in size)
        except (TypeError, ValueError):
            raise pickle.UnpicklingError("tensor sizes must be integers") from None
        if any(s < 0 for s in shape):
            raise RuntimeError(f"setStorage: invalid sizes {list(shape)} (all must be non-negative)")
        t = Tensor._wrap(np.broadcast_to(np.zeros((), dtype.np), shape))
        self.pending.append((t, offset, size, stride, dtype))
        return t


def load(f, restore, unpickler_cls, weights_only, pickle_load_args):
    """Read a legacy stream from ``f`` (seekable); ``restore(storage, location)`` applies map_location."""
    meta_load = _meta_loader(unpickler_cls, pickle_load_args)
    try:
        magic = meta_load(f)
    except EOFError:
        raise
    except Exception as e:
        raise RuntimeError("Invalid magic number; corrupt file?") from e
    if magic != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = meta_load(f)
    if protocol != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    sys_info = meta_load(f)
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    byteorder = "little" if little else "big"

    storages = {}

    def load_storage(pid):
        if len(pid) != 6:
            raise pickle.UnpicklingError(f"Invalid storage id in legacy checkpoint: {pid!r}")
        _, storage_type, key, location, numel, view = pid
        if not isinstance(storage_type, U.StorageType):
            raise pickle.UnpicklingError(f"Invalid storage type in legacy checkpoint: {storage_type!r}")
        location = location.decode("ascii") if isinstance(location, bytes) else location
        if key not in storages:
            pending = _PendingStorage(storage_type.dtype, int(numel), location)
            pending.location = restore(pending, location)
            storages[key] = pending
        root = storages[key]
        if view is None:
            return root
        view_key, offset, view_size = view
        if view_key not in storages:
            storages[view_key] = _PendingStorage(root.dtype, int(view_size), root.location, root, int(offset))
        return storages[view_key]

    class LegacyUnpickler(unpickler_cls):
        def persistent_load(self, pid):
            if not weights_only and type(pid) is tuple and pid and pid[0] in ("module", b"module"):
                return pid[1]  # a pickled nn.Module class with its source: the class itself
            return super().persistent_load(pid)

    up = LegacyUnpickler(f, **pickle_load_args)
    up.load_storage = load_storage
    result = up.load()
    keys = meta_load(f)
    if not isinstance(keys, list):
        raise RuntimeError("legacy checkpoint: the storage key list is missing or corrupt")
    for key in keys:
        root = storages.get(key)
        if root is None or root.root is not None:
            raise RuntimeError(f"legacy checkpoint: storage key {key!r} was never referenced")
        head = f.read(8)
        if len(head) < 8:
            raise RuntimeError(f"legacy checkpoint is truncated: storage {key!r} is missing")
        (numel,) = struct.unpack("<q" if byteorder == "little" else ">q", head)
        if numel < 0 or numel > sys.maxsize // 16:
            raise RuntimeError(f"legacy checkpoint is corrupt: storage {key!r} claims {numel} elements")
        raw = f.read(numel * root.dtype.itemsize)
        root.array = U.storage_from_bytes(raw, root.dtype, numel, root.location, byteorder).array
        root.numel = numel
    for storage in storages.values():
        if storage.root is not None:
            base = storage.root.array
            if base is None or storage.offset + storage.numel > base.size:
                raise RuntimeError("legacy checkpoint: a storage view lies outside its storage")
            storage.array = base[storage.offset:storage.offset + storage.numel]
    for storage in storages.values():
        if storage.pending and storage.array is None:
            raise RuntimeError("legacy checkpoint is truncated: a tensor's storage was never written")
        for t, offset, size, stride, dtype in storage.pending:
            t._s[0] = U._materialize(U.LoadedStorage(storage.array, storage.dtype, storage.location),
                                     offset, size, stride, dtype)._s[0]
    return result


def _meta_loader(unpickler_cls, pickle_load_args):
    def meta_load(f):
        return unpickler_cls(f, **pickle_load_args).load()
    return meta_load


def save(obj, f, pickler_cls):
    """Write ``obj`` to ``f`` in the legacy stream format."""
    info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, info):
        pickle.dump(header, f, protocol=2)
    p = pickler_cls(f, legacy=True)
    p.dump(obj)
    keys = sorted(p.storages)
    pickle.dump(keys, f, protocol=2)
    for key in keys:
        arr = p.storages[key]
        typed = _BY_NP[arr.dtype].name in STORAGE_NAMES  # an UntypedStorage counts bytes
        f.write(struct.pack("=q", arr.size if typed else arr.nbytes))
        f.write(memoryview(np.ascontiguousarray(arr).reshape(-1).view(np.uint8)))

