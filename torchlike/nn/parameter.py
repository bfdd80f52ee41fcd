"""nn.Parameter, nn.Buffer and the lazy (uninitialized) parameter and buffer.

A Parameter is a leaf Tensor subclass that shares its data's storage slot (``_s``) and version
counter, as ``torch.Tensor._make_subclass`` does. A Buffer, as in PyTorch, is a plain Tensor
flagged ``_is_buffer`` (``isinstance(t, Buffer)`` checks the flag).
"""
import jax.numpy as jnp

from .. import _dtype
from .._storage import _storage
from .._tensor import Tensor

__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]

_UNINIT_SHAPE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
    "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
    "`forward` to initialize the parameters before accessing their attributes.")


def _alias(cls, data, requires_grad):
    """A leaf of class ``cls`` sharing ``data``'s storage and version counter."""
    if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t = cls._wrap(data._s[0])
    t._s = data._s
    t._v = data._v
    t._rg = bool(requires_grad)
    return t


def _empty(dtype=None):
    return Tensor._wrap(jnp.zeros((0,), (dtype or _dtype.get_default_dtype()).np))


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned as an attribute."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _empty()
        return _alias(cls, data, requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__



class UninitializedTensorMixin:
    def materialize(self, shape, device=None, dtype=None):
        """Gives the tensor data of ``shape`` and turns it into its ``cls_to_become``."""
        dt = dtype or self.dtype
        arr = jnp.zeros(tuple(shape), dt.np)
        if device is not None:
            from .._device import device as _device
            import jax
            arr = jax.device_put(arr, _device(device).jax_device())
        self._s = _storage(arr)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(_UNINIT_SHAPE)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
                           "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


def is_lazy(param):
    """Whether ``param`` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _alias(cls, _empty(dtype), requires_grad)

    def __deepcopy__(self, memo):
        result = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    def __instancecheck__(self, instance):
        if self is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A Tensor that a Module registers as a buffer when assigned as an attribute. ``Buffer(x)``
    returns a plain Tensor flagged as a buffer, as in PyTorch."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _empty()
        t = data.detach()
        t._rg = data.requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = _alias(cls, _empty(dtype), requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
