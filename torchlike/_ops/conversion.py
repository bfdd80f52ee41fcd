"""dtype and device conversions: ``to``, ``float()``, ``long()``, ``type()``, ... and in-place
fills that replace values wholesale (``zero_``, ``fill_``, ``copy_``)."""
import jax
import jax.numpy as jnp

from .. import _dtype
from .._device import device as _device_cls, place, several_devices
from .._tensor import Tensor
from ..autograd.record import apply
from .registry import op, REGISTRY


@op("ToCopyBackward0", promote=None, saves=(), method=False, out=False)
def _to_copy(input, dtype, device):
    x = input if dtype is None else input.astype(dtype.np)
    return x if device is None else jax.device_put(x, device)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected keyword "
                        f"{sorted(kwargs)[0]!r}")
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            device = _device_cls(a)
        elif isinstance(a, bool):
            copy = a if a is not args[0] else copy
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments - got ({type(a).__name__})")
    return dtype, device, copy


def to(self, *args, **kwargs):
    dtype, device, copy = _parse_to(args, dict(kwargs))
    if device is not None:
        device = device if isinstance(device, _device_cls) else _device_cls(device)
    same_dtype = dtype is None or dtype is self.dtype
    same_device = device is None or device == self.device or (device.type == self.device.type
                                                               and device.index is None)
    if same_dtype and same_device and not copy:
        if device is not None and several_devices() and not self._s[0].committed:
            self._s[0] = place(self._s[0], device.jax_device())  # an explicit placement pins the array
        return self
    jdev = None if same_device else device.jax_device()
    return apply(REGISTRY["_to_copy"], (self,), (None if same_dtype else dtype, jdev))


Tensor.to = to


def _caster(dt):
    def cast(self, memory_format=None):
        return to(self, dt)
    return cast


for _name, _dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                   ("bfloat16", _dtype.bfloat16), ("long", _dtype.int64), ("int", _dtype.int32),
                   ("short", _dtype.int16), ("char", _dtype.int8), ("byte", _dtype.uint8),
                   ("bool", _dtype.bool), ("cfloat", _dtype.complex64), ("cdouble", _dtype.complex128)):
    setattr(Tensor, _name, _caster(_dt))

_TYPE_NAMES = {"torch.FloatTensor": _dtype.float32, "torch.DoubleTensor": _dtype.float64,
               "torch.HalfTensor": _dtype.float16, "torch.BFloat16Tensor": _dtype.bfloat16,
               "torch.LongTensor": _dtype.int64, "torch.IntTensor": _dtype.int32,
               "torch.ShortTensor": _dtype.int16, "torch.CharTensor": _dtype.int8,
               "torch.ByteTensor": _dtype.uint8, "torch.BoolTensor": _dtype.bool}


def _type(self, dtype=None, non_blocking=False, **kwargs):
    if dtype is None:
        from .._tensor import _legacy_name
        return f"torch.{_legacy_name(self.dtype)}Tensor"
    if isinstance(dtype, str):
        dtype = _TYPE_NAMES[dtype]
    return to(self, dtype)


Tensor.type = _type
Tensor.type_as = lambda self, other: to(self, other.dtype)
Tensor.cpu = lambda self, memory_format=None: to(self, "cpu")
Tensor.cuda = lambda self, device=None, non_blocking=False, memory_format=None: to(
    self, _device_cls("cuda", device if isinstance(device, int) else None) if not isinstance(device, (str, _device_cls)) else device)


@op("ZeroBackward0", promote=None, saves=(), method=False, out=False)
def _zero(input):
    return jnp.zeros_like(input)


def _zero_(self):
    self._check_inplace()
    return self._set_result(apply(REGISTRY["_zero"], (self,)))


@op(lambda a, s: "FillBackward3" if isinstance(a[1], Tensor) else "FillBackward2", nt=2, cast=(), promote=None,
    saves=(), method=False, out=False)
def _fill(input, value):
    return jnp.full(input.shape, value, input.dtype)


def _fill_(self, value):
    self._check_inplace()
    return self._set_result(apply(REGISTRY["_fill"], (self, value)))


@op("torch::autograd::CopyBackwards", nt=2, promote=None, saves=(), method=False, out=False)
def _copy(input, src):
    return jnp.broadcast_to(src.astype(input.dtype), input.shape)


def _copy_(self, src, non_blocking=False):
    self._check_inplace()
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    return self._set_result(apply(REGISTRY["_copy"], (self, src)))


Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.copy_ = _copy_


def _set_(self, source):
    self._s[0] = source._s[0]
    self._v[0] += 1
    return self


Tensor.set_ = _set_
