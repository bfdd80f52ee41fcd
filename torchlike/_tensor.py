"""Tensor: a jax.Array plus PyTorch's autograd state (requires_grad, grad, grad_fn, version).

The array lives in a one-slot storage (``_s``, see ``_storage.py``) that ``.data`` and
``detach()`` share, so an in-place update through either is seen by both, as PyTorch's shared
storage is. ``detach()`` also shares the version counter (``_v``); ``.data`` does not, as in
PyTorch. Op methods are attached by the registry (``torchlike/_ops``), not written here.
"""
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype
from ._device import of_array
from ._size import Size
from ._storage import _LayoutStorage, _meta, _NumpyStorage, _on_host_default, _storage, _Storage, _store
from .autograd import grad_mode
from .autograd import lazy as _lazy

_NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information. (Triggered internally at /__w/pytorch/pytorch/build/aten/src/ATen/core/"
    "TensorBody.h:493.)")
_NONLEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable "
    "in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")


def _check_requires_grad(dt, factory=True):
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients" if factory
                           else "only Tensors of floating point dtype can require gradients")


_new = object.__new__



class Tensor:
    __slots__ = ("_s", "_v", "_rg", "_node", "_out_nr", "_grad", "_retains", "_hooks", "_acc",
                 "__weakref__", "__dict__")

    def __new__(cls, *args, **kwargs):
        # torch.Tensor(data) / torch.Tensor(*sizes): the legacy constructor, default dtype.
        from ._ops.creation import legacy_new
        return legacy_new(cls, args, kwargs)

    @classmethod
    def _wrap(cls, array, node=None, out_nr=0):
        s = _Storage()  # not _storage(): this runs for every op's result
        s.append(array)
        return cls._wrap_storage(s, node, out_nr)

    @classmethod
    def _wrap_storage(cls, s, node=None, out_nr=0):
        """A new tensor over storage ``s`` (a deferred op's result gets a ``_PendingStorage``)."""
        t = _new(cls)
        t._s = s
        t._v = [0]
        t._rg = node is not None
        t._node = node
        t._out_nr = out_nr
        t._grad = None
        t._retains = False
        t._hooks = None
        t._acc = None
        return t

    # -- data -----------------------------------------------------------------------------------
    def jax(self):
        """The underlying jax.Array (no copy)."""
        return self._s[0]

    @property
    def dtype(self):
        return _dtype._BY_NP[_meta(self).dtype]

    @property
    def shape(self):
        return Size(_meta(self).shape)

    def size(self, dim=None):
        shape = _meta(self).shape
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))]

    def dim(self):
        return _meta(self).ndim

    ndimension = dim

    @property
    def ndim(self):
        return _meta(self).ndim

    def numel(self):
        return int(_meta(self).size)

    nelement = numel

    def element_size(self):
        return _meta(self).dtype.itemsize

    @property
    def itemsize(self):
        return _meta(self).dtype.itemsize

    @property
    def device(self):
        arr = _meta(self)
        return of_array(arr.device_array() if arr.__class__ is _lazy.Pending else arr)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "torch.strided"

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_contiguous(self, memory_format=None):
        return True

    @property
    def _version(self):
        return self._v[0]

    def item(self):
        arr = self._s[0]
        if arr.size != 1:
            raise RuntimeError(f"a Tensor with {arr.size} elements cannot be converted to Scalar")
        return np.asarray(arr).reshape(()).item()

    def tolist(self):
        return np.asarray(self._s[0]).tolist()

    def numpy(self, *, force=False):
        """Shares memory with the tensor (and its ``.data``/``detach()`` aliases) as in PyTorch:
        in-place ops on the tensor change the array and writes to the array change the tensor."""
        if self._rg and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        s = self._s
        if type(s) is _NumpyStorage:
            return list.__getitem__(s, 1)
        arr = s[0]
        if type(s) is _LayoutStorage:
            s[0] = arr  # memory shared with NumPy holds PyTorch's layout
        if type(s) is not _Storage or isinstance(arr, jax.core.Tracer) or not _on_host_default(arr):
            return np.asarray(arr)  # sharded, accelerator or traced arrays are not shared
        host = np.array(arr)  # a writable copy becomes the storage
        s.__class__ = _NumpyStorage
        list.__setitem__(s, 0, None)
        list.append(s, host)
        return host

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self._s[0])
        return arr if dtype is None else arr.astype(dtype)

    def __jax_array__(self):
        return self._s[0]

    def _scalar(self, kind):
        arr = self._s[0]
        if arr.size != 1:
            raise RuntimeError(f"a Tensor with {arr.size} elements cannot be converted to Scalar")
        return kind(np.asarray(arr).reshape(()).item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __complex__(self):
        return self._scalar(complex)

    def __bool__(self):
        arr = self._s[0]
        if arr.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(np.asarray(arr).reshape(()).item())

    def __index__(self):
        if self.dtype.is_floating_point or self.dtype.is_complex or _meta(self).size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(np.asarray(self._s[0]).reshape(()).item())

    def __len__(self):
        arr = _meta(self)
        if arr.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return arr.shape[0]

    def __iter__(self):
        if _meta(self).ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __format__(self, spec):
        if _meta(self).ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import format_tensor
        dev = self.device
        return format_tensor(np.asarray(self._s[0]), self.dtype,
                             device=None if dev.type == "cpu" else str(dev),
                             grad_fn_name=None if self._node is None else self._node.name(),
                             requires_grad=self._rg)

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        # Tensor's __module__ says "torch" (as PyTorch's repr does), so pickle gets the class
        # only for subclasses, which live under their own module names
        cls = type(self)
        return (_rebuild, (np.asarray(self._s[0]), self._rg, None if cls is Tensor else cls))

    def __deepcopy__(self, memo):
        if self._node is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        new = type(self)._wrap(jnp.array(self._s[0], copy=True))
        new._rg = self._rg
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        if hasattr(self, "__dict__"):
            new.__dict__.update(self.__dict__)
        memo[id(self)] = new
        return new

    # -- autograd state --------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if self._node is not None:
            raise RuntimeError(_NONLEAF_REQUIRES_GRAD)
        if value:
            _check_requires_grad(self.dtype, factory=False)
        self._rg = bool(value)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def output_nr(self):
        return self._out_nr

    @property
    def grad(self):
        if self._node is not None and not self._retains:
            warnings.warn(_NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def retains_grad(self):
        return self._retains

    def retain_grad(self):
        if not self._rg:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._node is not None and not self._retains:
            self._node._retain(self._out_nr, self)
            self._retains = True

    def register_hook(self, hook):
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .utils.hooks import RemovableHandle
        if self._node is not None:
            return self._node._add_pre_hook(self._out_nr, _TensorHook(hook))
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def _accumulator(self):
        # held strongly (PyTorch holds it weakly): the leaf <-> AccumulateGrad cycle is left to
        # the garbage collector, and re-creating the node on every op would cost more
        acc = self._acc
        if acc is None:
            acc = self._acc = _AccumulateGrad(self)
        return acc

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _engine.backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
                         inputs=inputs)

    def detach(self):
        t = Tensor._wrap(None)
        t._s = self._s
        t._v = self._v
        return t

    def detach_(self):
        self._node = None
        self._rg = False
        return self

    @property
    def data(self):
        t = Tensor._wrap(None)
        t._s = self._s
        return t

    @data.setter
    def data(self, value):
        self._s = _storage(value._s[0]) if value._s is self._s else value._s

    # -- in-place writes -------------------------------------------------------------------------
    def _set_result(self, result):
        """Makes ``self`` hold ``result`` in place: shared storage updated, version bumped, and
        the new grad_fn adopted. The leaf check runs before any work (see ``_check_inplace``)."""
        arr = _meta(result)
        mine = _meta(self)
        if arr.dtype != mine.dtype:
            if not _can_cast(result.dtype, self.dtype):
                raise RuntimeError(f"result type {_legacy_name(result.dtype)} can't be cast to the desired "
                                   f"output type {_legacy_name(self.dtype)}")
            arr = result._s[0].astype(mine.dtype)
        if arr.shape != mine.shape:
            raise RuntimeError(f"output with shape {list(mine.shape)} doesn't match the broadcast "
                               f"shape {list(arr.shape)}")
        _store(self._s, arr)
        self._v[0] += 1
        node = result._node
        if node is not None:
            # the op saved ``self`` before writing into it; that write is not a later modification
            _record.own_write(node, self, result)
            self._node = result._node
            self._out_nr = result._out_nr
            self._rg = True
        return self

    def _check_inplace(self):
        if self._rg and self._node is None and grad_mode.state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


class _TensorHook:
    """Adapts a tensor hook (grad -> grad or None) to a node pre-hook on one output."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, grad):
        return self.fn(grad)


def _rebuild(arr, requires_grad, cls=None):
    t = (cls or Tensor)._wrap(jnp.asarray(arr))
    t._rg = requires_grad
    return t


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _can_cast(src, dst):
    return src._kind <= dst._kind


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
           "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
           "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _legacy_name(dt):
    return _LEGACY.get(dt.name, dt.name)


Tensor.__module__ = "torch"

from .autograd import record as _record  # noqa: E402

_record.Tensor = Tensor
_record._wrap = Tensor._wrap
_record._wrap_storage = Tensor._wrap_storage
_record.install_native()
from .autograd import engine as _engine  # noqa: E402  (imported after the class: it needs record.Tensor)
from .autograd.node import AccumulateGrad as _AccumulateGrad  # noqa: E402
