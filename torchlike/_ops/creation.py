"""Factories: tensor(), zeros(), arange(), the *_like and new_* forms. Created tensors are
leaves; none of these record a node."""
import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._device import device as _device_cls, place as _device_place
from .._storage import _meta, _numpy_storage
from .._tensor import Tensor, _check_requires_grad


def _place(arr, device):
    if device is None:
        from .._device_default import current
        device = current()
        if device is None:
            return arr
    dev = device if isinstance(device, _device_cls) else _device_cls(device)
    return _device_place(arr, dev.jax_device())


def _leaf(arr, requires_grad=False, device=None):
    t = Tensor._wrap(_place(arr, device))
    if requires_grad:
        _check_requires_grad(t.dtype)
        t._rg = True
    return t


def _infer_dtype(data):
    """torch.tensor's inference: bool < int64 < default float < default complex over the nest."""
    kind = -1  # no element at all: the default dtype
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            return None
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            kind = builtins.max(kind, 0)
        elif isinstance(x, (int, np.integer)):
            kind = builtins.max(kind, 1)
        elif isinstance(x, (float, np.floating)):
            kind = builtins.max(kind, 2)
        elif isinstance(x, (complex, np.complexfloating)):
            kind = 3
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if kind < 0:
        return _dtype.get_default_dtype()
    return [_dtype.bool, _dtype.int64, _dtype.get_default_dtype(), _dtype.default_complex()][kind]


def _to_numpy(data, dtype):
    if isinstance(data, Tensor):
        arr = np.asarray(data._s[0])
        return arr if dtype is None else arr.astype(dtype.np)
    if isinstance(data, np.ndarray):
        if dtype is None:
            dtype = _dtype.from_numpy_dtype(data.dtype)
        return data.astype(dtype.np)
    if hasattr(data, "__jax_array__") or isinstance(data, jax.Array):
        arr = np.asarray(data)
        return arr if dtype is None else arr.astype(dtype.np)
    inferred = _infer_dtype(data)
    if inferred is None:  # a list holding tensors
        data = _untensor(data)
        inferred = _infer_dtype(data)
    return np.array(data, dtype=(dtype or inferred).np)


def _untensor(x):
    if isinstance(x, Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_untensor(v) for v in x]
    return x


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    arr = _to_numpy(data, dtype)
    return _leaf(jnp.asarray(arr), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype is dtype) and device is None:
        return data
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    t = Tensor._wrap(None)
    t._s = _numpy_storage(ndarray)  # shares memory with ``ndarray``, as in PyTorch
    return t


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"zeros(): argument 'size' (position 1) must be tuple of ints, but found element of "
                            f"type {type(s).__name__} at pos 0")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _dt(dtype):
    return (dtype or _dtype.get_default_dtype()).np


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    flat = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if any(isinstance(s, int) and s < 0 for s in flat):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    return _leaf(jnp.zeros(_size(size), _dt(dtype)), requires_grad, device)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _leaf(jnp.ones(_size(size), _dt(dtype)), requires_grad, device)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    """Filled with zeros: XLA has no uninitialised memory."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value) if not isinstance(fill_value, Tensor) else fill_value.dtype
    return _leaf(jnp.full(_size((size,)), fill_value, dtype.np), requires_grad, device)


def _like(fill):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        dt = (dtype or input.dtype).np
        return _leaf(fill(_meta(input).shape, dt), requires_grad, device or _src_device(input))
    return like


def _src_device(t):
    d = t.device
    return None if d.type == "cpu" else d


zeros_like = _like(jnp.zeros)
ones_like = _like(jnp.ones)
empty_like = _like(jnp.zeros)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _leaf(jnp.full(_meta(input).shape, fill_value, (dtype or input.dtype).np), requires_grad,
                 device or _src_device(input))


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if builtins.all(isinstance(v, (int, np.integer)) for v in vals) \
            else _dtype.get_default_dtype()
    n = builtins.max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    # torch computes start + i * step in double, then casts
    arr = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]) if dtype.is_floating_point else \
        np.arange(vals[0], vals[1], vals[2])
    return _leaf(jnp.asarray(arr.astype(dtype.np)), requires_grad, device)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: like arange, but includes ``end``."""
    n = int(math.floor((end - start) / step)) + 1
    dt = dtype or _dtype.get_default_dtype()
    arr = start + np.arange(n, dtype=np.float64) * step
    return _leaf(jnp.asarray(arr.astype(dt.np)), requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    dt = dtype or _dtype.get_default_dtype()
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        # PyTorch fills the first half from start and the second half from end
        step = (end - start) / (steps - 1)
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    return _leaf(jnp.asarray(arr.astype(dt.np)), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dt = dtype or _dtype.get_default_dtype()
    exps = np.asarray(linspace(start, end, steps, dtype=_dtype.float64)._s[0])
    return _leaf(jnp.asarray((base ** exps).astype(dt.np)), requires_grad, device)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _leaf(jnp.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def legacy_new(cls, args, kwargs):
    """``torch.Tensor(...)``: sizes give a zero tensor, data gives a default-dtype copy."""
    if not args:
        return cls._wrap(jnp.zeros((0,), _dtype.get_default_dtype().np))
    if builtins.all(isinstance(a, (int, np.integer)) for a in args):
        return cls._wrap(jnp.zeros(tuple(args), _dtype.get_default_dtype().np))
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0]
    return cls._wrap(jnp.asarray(_to_numpy(args[0], _dtype.get_default_dtype())))


# -- Tensor.new_* -----------------------------------------------------------------------------------
def _new(fill):
    def new(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        return _leaf(fill(_size(size), (dtype or self.dtype).np), requires_grad, device or _src_device(self))
    return new


Tensor.new_zeros = _new(jnp.zeros)
Tensor.new_ones = _new(jnp.ones)
Tensor.new_empty = _new(jnp.zeros)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    return _leaf(jnp.full(_size((size,)), fill_value, (dtype or self.dtype).np), requires_grad,
                 device or _src_device(self))


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    return tensor(data, dtype=dtype or self.dtype, device=device or _src_device(self), requires_grad=requires_grad)


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
