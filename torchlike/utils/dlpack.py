"""torch.utils.dlpack: tensors to and from other frameworks (NumPy, JAX, PyTorch, CuPy, ...).

Importing this module gives Tensor its ``__dlpack__`` / ``__dlpack_device__`` protocol
methods. Both directions go through JAX's DLPack support, which shares memory where XLA
allows (it copies when a buffer is not aligned as XLA needs). JAX arrays are immutable, so a
producer that later writes into a shared buffer in place is a use DLPack leaves undefined.
"""
import ctypes

import jax
import jax.dlpack

from .._tensor import Tensor

_INVALID_CAPSULE = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed only "
                    "once, so you might have already constructed a tensor from it once.")
_REQUIRES_GRAD = "Can't export tensors that require gradient, use tensor.detach()"

_api = ctypes.pythonapi
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLTensorHead(ctypes.Structure):
    # DLManagedTensor starts with its DLTensor, which starts with the data pointer and device.
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice)]


class _Capsule:
    """A legacy ``dltensor`` capsule dressed in the ``__dlpack__`` protocol, for jax.dlpack."""

    def __init__(self, capsule):
        if not _api.PyCapsule_IsValid(capsule, b"dltensor"):
            raise RuntimeError(_INVALID_CAPSULE)
        head = _DLTensorHead.from_address(_api.PyCapsule_GetPointer(capsule, b"dltensor"))
        self._device = (head.device.device_type, head.device.device_id)
        self._capsule = capsule

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return self._capsule

    def __dlpack_device__(self):
        return self._device


def from_dlpack(ext_tensor):
    """A Tensor over the memory of ``ext_tensor``: any object with ``__dlpack__`` (a NumPy,
    JAX or PyTorch array) or a legacy DLPack capsule, which can be consumed only once."""
    if isinstance(ext_tensor, Tensor):
        return Tensor._wrap(ext_tensor._s[0])
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    elif not hasattr(ext_tensor, "__dlpack__"):
        raise AttributeError(f"'{type(ext_tensor).__name__}' object has no attribute '__dlpack__'")
    return Tensor._wrap(jax.dlpack.from_dlpack(ext_tensor))


def to_dlpack(tensor):
    """A legacy DLPack capsule of ``tensor`` (prefer passing the tensor itself: ``__dlpack__``)."""
    return tensor._s[0].__dlpack__()


def _tensor_dlpack(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
    if self.requires_grad:
        raise BufferError(_REQUIRES_GRAD)
    kwargs = {}
    if max_version is not None:
        kwargs["max_version"] = max_version
    if dl_device is not None:
        kwargs["dl_device"] = dl_device
    if copy is not None:
        kwargs["copy"] = copy
    return self._s[0].__dlpack__(stream=None if stream == -1 else stream, **kwargs)


def _tensor_dlpack_device(self):
    return self._s[0].__dlpack_device__()


Tensor.__dlpack__ = _tensor_dlpack
Tensor.__dlpack_device__ = _tensor_dlpack_device
