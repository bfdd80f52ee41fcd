"""torch.save / torch.load in PyTorch's own checkpoint formats, without PyTorch.

``save`` writes the zip archive torch 2.x writes (``data.pkl``, ``data/<key>`` storages,
``version``, ``byteorder``, ...), so ``torch.load(f, weights_only=True)`` reads it; with
``_use_new_zipfile_serialization=False`` it writes the pre-1.6 stream instead. ``load`` reads both
formats, from torch or torchlike, safely by default (``weights_only``).

Differences from PyTorch: loaded tensors never alias each other (two views of one storage load as
two tensors with the right values); every tensor lands on the device its location names when JAX
has it, else on the CPU; ``mmap=True`` is accepted but storages are read into memory; CRC-32 is
checked on load, so a corrupted storage is an error rather than silently wrong values; only pickle
protocol 2 (torch's default) is written.
"""
import io
import os
import pickle
import sys

from ._device import device as _device
from ._serialization import legacy as _legacy
from ._serialization import unpickler as _unpickler
from ._serialization.pickler import Pickler as _Pickler
from ._serialization.zipformat import ZipReader, ZipWriter, is_zipfile

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = _legacy.MAGIC_NUMBER
PROTOCOL_VERSION = _legacy.PROTOCOL_VERSION

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
_NOT_SEEKABLE = (". You can only torch.load from a file that is seekable. Please pre-load the data into a "
                 "buffer like io.BytesIO and try to load from it instead.")
# What a damaged pickle stream raises from inside the unpickler, and what an allowlisted function
# raises when called with damaged arguments; load reports either as one UnpicklingError.
_STREAM_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, KeyError, IndexError, MemoryError)
_CALL_ERRORS = (TypeError, AttributeError, OverflowError)


# -- allowlist for weights_only ---------------------------------------------------------------------
def add_safe_globals(safe_globals):
    """Marks globals (or ``(global, "module.name")`` pairs) as safe for ``weights_only`` loads."""
    for f in safe_globals:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError(f"Expected tuple of length 2 (global, str of callable full path), but got "
                                 f"tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError(f"Expected second item in tuple to be str of callable full path, but got: "
                                f"{type(f[1])}")
    _unpickler._user_safe_globals.update(safe_globals)


def get_safe_globals():
    return list(_unpickler._user_safe_globals)


def clear_safe_globals():
    _unpickler._user_safe_globals.clear()


class safe_globals:
    """Context manager: ``add_safe_globals`` for the duration of the block."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._added = [g for g in self.safe_globals if g not in _unpickler._user_safe_globals]
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _unpickler._user_safe_globals.difference_update(self._added)


# -- save -------------------------------------------------------------------------------------------
def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Saves ``obj`` to a path or a writable binary file object in PyTorch's checkpoint format."""
    if pickle_module is not pickle:
        raise NotImplementedError("torchlike.save: pickle_module is not supported; torchlike writes torch's "
                                  "checkpoint format with its own pickler. Leave pickle_module at its default.")
    if pickle_protocol != DEFAULT_PROTOCOL:
        raise NotImplementedError(f"torchlike.save: pickle_protocol={pickle_protocol} is not supported; "
                                  "torchlike writes pickle protocol 2, PyTorch's default.")
    if not _is_path(f) and not hasattr(f, "write"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    if _is_path(f):
        with open(f, "wb") as opened:
            return _save_to(obj, opened, _archive_name(f), _use_new_zipfile_serialization,
                            _disable_byteorder_record)
    _save_to(obj, f, "archive", _use_new_zipfile_serialization, _disable_byteorder_record)


def _save_to(obj, f, archive_name, zipped, no_byteorder):
    if not zipped:
        return _legacy.save(obj, f, _Pickler)
    buf = io.BytesIO()
    pickler = _Pickler(buf)
    pickler.dump(obj)
    writer = ZipWriter(f, archive_name)
    writer.write_record("data.pkl", buf.getbuffer())
    writer.write_record(".format_version", b"1")
    writer.write_record(".storage_alignment", b"64")
    if not no_byteorder:
        writer.write_record("byteorder", sys.byteorder.encode())
    for key, arr in pickler.storages.items():
        writer.write_record(f"data/{key}", arr.reshape(-1).view("u1"))
    writer.write_record("version", b"3\n")
    writer.write_record(".data/serialization_id", writer.serialization_id().encode())
    writer.finish()
    if hasattr(f, "flush"):
        f.flush()


def _archive_name(path):
    """PyTorch names the zip's top folder after the file, without its last extension."""
    base = os.path.basename(os.fspath(path))
    stem = base[:base.rfind(".")] if "." in base else base
    return stem or "archive"


# -- load -------------------------------------------------------------------------------------------
def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Loads an object saved by ``torch.save`` or ``torchlike.save``; see the module docstring."""
    if weights_only is None:
        weights_only = pickle_module is None
    truthy = ("1", "y", "yes", "true")
    force_on = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    force_off = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in truthy
    if force_on and force_off:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
                           "should be set, but both were set.")
    weights_only = True if force_on else weights_only
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        if pickle_load_args:
            import warnings
            warnings.warn("pickle_load_args only works if `weights_only=False`.")
            pickle_load_args = {}
        unpickler_cls = _unpickler.WeightsUnpickler
    else:
        unpickler_cls = _unpickler.general_unpickler((pickle_module or pickle).Unpickler)
    pickle_load_args.setdefault("encoding", "utf-8")
    restore = _restorer(map_location)
    if _is_path(f):
        with open(f, "rb") as opened:
            return _load_from(opened, f, restore, unpickler_cls, weights_only, mmap, pickle_load_args)
    _check_seekable(f)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    return _load_from(f, f, restore, unpickler_cls, weights_only, mmap, pickle_load_args)


def _load_from(opened, f, restore, unpickler_cls, weights_only, mmap, pickle_load_args):
    try:
        if is_zipfile(opened):
            reader = ZipReader(opened)
            try:
                return _load_zip(reader, restore, unpickler_cls, weights_only, pickle_load_args)
            finally:
                reader.close()
        if mmap:
            name = f"{f}, " if isinstance(f, str) else ""
            raise RuntimeError("mmap can only be used with files saved with "
                               f"`torch.save({name}_use_new_zipfile_serialization=True), "
                               "please torch.save your checkpoint with this option in order to use mmap.")
        _check_not_tar(opened, weights_only)
        if not opened.read(1):
            raise EOFError("Ran out of input: the checkpoint file is empty")
        opened.seek(-1, io.SEEK_CUR)
        return _unpickle(lambda: _legacy.load(opened, restore, unpickler_cls, weights_only, pickle_load_args),
                         weights_only)
    except _unpickler.Refused as e:
        raise pickle.UnpicklingError(_weights_only_message(str(e))) from None


def _load_zip(reader, restore, unpickler_cls, weights_only, pickle_load_args):
    if reader.has_record("constants.pkl") and not reader.has_record("data.pkl"):
        if weights_only:
            raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives passed to "
                               "``torch.load``. " + UNSAFE_MESSAGE)
        raise NotImplementedError("torchlike.load: TorchScript archives (torch.jit.save) are not supported; "
                                  "save a state_dict with torch.save instead.")
    byteorder = "little"
    if reader.has_record("byteorder"):
        mark = reader.get_record("byteorder")
        if mark not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + mark.decode(errors="replace"))
        byteorder = mark.decode()
    loaded = {}

    def load_storage(pid):
        if len(pid) != 5:
            raise pickle.UnpicklingError(f"Invalid storage id in checkpoint: {pid!r}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, _unpickler.StorageType) or not isinstance(numel, int):
            raise pickle.UnpicklingError(f"Invalid storage id in checkpoint: {pid!r}")
        if key not in loaded:
            location = location.decode("ascii") if isinstance(location, bytes) else str(location)
            raw = reader.get_record(f"data/{key}")
            storage = _unpickler.storage_from_bytes(raw, storage_type.dtype, numel, location, byteorder)
            storage.location = restore(storage, location)
            loaded[key] = storage
        return loaded[key]

    data = io.BytesIO(reader.get_record("data.pkl"))

    def run():
        up = unpickler_cls(data, **pickle_load_args)
        up.load_storage = load_storage
        return up.load()
    return _unpickle(run, weights_only)


def _unpickle(run, weights_only):
    """Runs an unpickling step; a corrupt stream becomes one UnpicklingError, never a partial result."""
    try:
        return run()
    except _unpickler.Refused:
        raise
    except _STREAM_ERRORS + _CALL_ERRORS as e:
        if not weights_only and not isinstance(e, _STREAM_ERRORS):
            raise  # a general pickle runs its own classes' code, which may raise anything
        raise pickle.UnpicklingError(f"the checkpoint's pickle data is corrupt ({type(e).__name__}: {e})") from e


def _weights_only_message(message):
    """torch.load's wrapping of a weights-only refusal: what failed and the two ways forward."""
    if "was not an allowed global by default" in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
                "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message + _DOCS_MESSAGE)
    updated = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if "whose module" not in message or "is blocked" not in message:
        updated += ("Please file an issue with the following so that we can make "
                    "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return updated + "\n\n" + message + _DOCS_MESSAGE


def _restorer(map_location):
    """map_location as a function (storage, saved location) -> the location the storage loads to."""
    def checked(location):
        location = location.decode("ascii") if isinstance(location, bytes) else str(location)
        try:
            _device(location)
        except RuntimeError:
            raise RuntimeError("don't know how to restore data location of torch.storage.UntypedStorage "
                               f"(tagged with {location})") from None
        return location

    if map_location is None:
        return lambda storage, location: checked(location)
    if isinstance(map_location, dict):
        return lambda storage, location: checked(map_location.get(location, location))
    if isinstance(map_location, (str, bytes, _device)) or type(map_location).__name__ == "device":
        return lambda storage, location: checked(map_location)

    def call(storage, location):
        result = map_location(storage, location)
        if result is None:
            return checked(location)
        if not isinstance(result, _unpickler.LoadedStorage):
            raise TypeError(f"map_location must return a storage or None, not {type(result).__name__}")
        return checked(result.location)
    return call


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def _check_seekable(f):
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(str(e) + _NOT_SEEKABLE) from None
        raise


def _check_not_tar(f, weights_only):
    """The pre-0.4 tar checkpoint format: recognized, and refused."""
    start = f.tell()
    f.seek(start + 257)
    magic = f.read(5)
    f.seek(start)
    if magic == b"ustar":
        if weights_only:
            raise RuntimeError("Cannot use ``weights_only=True`` with files saved in the legacy .tar format. "
                               + UNSAFE_MESSAGE)
        raise NotImplementedError("torchlike.load: checkpoints in PyTorch's pre-0.4 .tar format are not "
                                  "supported; load and re-save the file with PyTorch.")
