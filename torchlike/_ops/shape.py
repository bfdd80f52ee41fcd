"""Shape ops: views and copies that move elements without computing on them.

torchlike's views are copies (JAX arrays are immutable); see the README for what that changes.
"""
import jax
import jax.numpy as jnp

from .. import _dtype
from .._storage import _meta
from .registry import op, REGISTRY
from .._tensor import Tensor, _wrap_dim
from ..autograd.record import apply


def _shape_arg(shape):
    """view(2, 3), view((2, 3)) and view([2, 3]) all mean the same shape."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _infer(shape, numel, orig):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return tuple(numel // known if s == -1 else s for s in shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


@op("ViewBackward0", promote=None, saves=(), method=False)
def reshape(input, shape):
    return jnp.reshape(input, shape)


def _reshape_public(input, *shape):
    shape = _infer(_shape_arg(shape), _meta(input).size, input.shape)
    return apply(REGISTRY["reshape"], (input,), (shape,))


def reshape(input, shape):  # noqa: F811  (the public form checks the shape first)
    return _reshape_public(input, shape)


Tensor.reshape = _reshape_public
def _view(self, *shape):
    """``view(*shape)``, or ``view(dtype)``: the same bytes read as another dtype."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return _view_dtype(self, shape[0])
    return _reshape_public(self, *shape)


def _view_dtype(self, dtype):
    if dtype is self.dtype:
        return self.detach() if self._node is None else self
    arr = self._s[0]
    old, new = arr.dtype.itemsize, dtype.itemsize
    if old != new and (arr.ndim == 0 or (arr.shape[-1] * old) % new):
        raise RuntimeError(f"self.size(-1) must be divisible by {new // old if new > old else 1} to view "
                           f"{self.dtype} as {dtype} (different element sizes), but got "
                           f"{arr.shape[-1] if arr.ndim else 1}")
    if old > new:
        out = jax.lax.bitcast_convert_type(arr, dtype.np).reshape(arr.shape[:-1] + (-1,))
    elif old < new:
        out = jax.lax.bitcast_convert_type(arr.reshape(arr.shape[:-1] + (-1, new // old)), dtype.np)
    else:
        out = jax.lax.bitcast_convert_type(arr, dtype.np)
    return Tensor._wrap(out)  # a reinterpretation has no gradient


Tensor.view = _view
Tensor.view_as = lambda self, other: _reshape_public(self, other.shape)
Tensor.reshape_as = Tensor.view_as


def flatten(input, start_dim=0, end_dim=-1):
    shape = _meta(input).shape
    if not shape:
        return _reshape_public(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return _reshape_public(input, shape[:s] + (n,) + shape[e + 1:])


def unflatten(input, dim, sizes):
    shape = _meta(input).shape
    d = _wrap_dim(dim, len(shape))
    sizes = list(sizes)
    if -1 in sizes:
        known = 1
        for v in sizes:
            if v != -1:
                known *= v
        sizes[sizes.index(-1)] = shape[d] // known
    return _reshape_public(input, shape[:d] + tuple(sizes) + shape[d + 1:])


Tensor.flatten = flatten
Tensor.unflatten = unflatten


def _squeeze_name(args, statics):
    dim = statics[0]
    return "SqueezeBackward0" if dim is None else "SqueezeBackward1" if isinstance(dim, int) else "SqueezeBackward2"


@op(_squeeze_name, promote=None, saves=())
def squeeze(input, dim=None):
    if dim is None:
        return jnp.squeeze(input)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(d % max(input.ndim, 1) for d in dims if input.ndim and input.shape[d % input.ndim] == 1)
    return jnp.squeeze(input, dims) if dims else input


@op("UnsqueezeBackward0", promote=None, saves=())
def unsqueeze(input, dim):
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return jnp.expand_dims(input, dim % n)


@op("TBackward0", promote=None, saves=())
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T


@op("TransposeBackward0", promote=None, saves=())
def transpose(input, dim0, dim1):
    return jnp.swapaxes(input, dim0, dim1)


swapaxes = swapdims = transpose
Tensor.swapaxes = Tensor.swapdims = transpose


@op("PermuteBackward0", promote=None, saves=(), method=False)
def permute(input, dims):
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                           f"the length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} "
                           f"is not equal to len(dims) = {len(dims)}")
    return jnp.transpose(input, dims)


Tensor.permute = lambda self, *dims: permute(self, _shape_arg(dims))
Tensor.T = property(lambda self: permute(self, tuple(range(self.ndim - 1, -1, -1))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
Tensor.H = property(lambda self: permute(self, tuple(range(self.ndim - 1, -1, -1))))


@op("ExpandBackward0", promote=None, saves=(), method=False)
def _expand(input, size):
    return jnp.broadcast_to(input, size)


def check_expand(self, sizes):
    """The shape ``self.expand(*sizes)`` gives, or PyTorch's error (also used by ``x[i] = v``)."""
    from .._tensor import _legacy_name
    sizes = tuple(sizes)
    shape = _meta(self).shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.{_legacy_name(self.dtype)}Tensor{{{list(shape)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    full = tuple(s if s != -1 else shape[i - lead] for i, s in enumerate(sizes))
    for i, d in enumerate(shape):
        if d != 1 and full[lead + i] != d:
            raise RuntimeError(f"The expanded size of the tensor ({full[lead + i]}) must match the existing size "
                               f"({d}) at non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  "
                               f"Tensor sizes: {list(shape)}")
    return full


def _expand_public(self, *sizes):
    full = check_expand(self, _shape_arg(sizes))
    return apply(REGISTRY["_expand"], (self,), (full,))


Tensor.expand = _expand_public
Tensor.expand_as = lambda self, other: _expand_public(self, other.shape)


def broadcast_to(input, size):
    return _expand_public(input, size)


Tensor.broadcast_to = broadcast_to


@op("RepeatBackward0", promote=None, saves=(), method=False)
def _repeat(input, repeats):
    return jnp.tile(input, repeats)


def _repeat_public(self, *sizes):
    sizes = _shape_arg(sizes)
    if len(sizes) < self.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    x = self._s[0]
    return apply(REGISTRY["_repeat"], (self,), (sizes,)) if x.ndim == len(sizes) else \
        apply(REGISTRY["_repeat"], (_reshape_public(self, (1,) * (len(sizes) - x.ndim) + x.shape),), (sizes,))


Tensor.repeat = _repeat_public


# PyTorch builds repeat_interleave from index_select and a view
@op(lambda a, s: "ViewBackward0" if s[1] is None or isinstance(s[0], int) else "IndexSelectBackward0",
    promote=None, saves=())
def repeat_interleave(input, repeats, dim=None):
    return jnp.repeat(input, repeats, axis=dim)


@op("CatBackward0", seq=True, saves=(), method=False)
def cat(tensors, dim=0):
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    first = tensors[0].shape
    d = dim % max(len(first), 1)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != len(first):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(first)} and {t.ndim}")
        for k, (a, b) in enumerate(zip(first, t.shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} but got "
                                   f"size {b} for tensor number {i} in the list.")
    return jnp.concatenate(tensors, axis=dim)


concat = concatenate = cat


@op("StackBackward0", seq=True, saves=(), method=False)
def stack(tensors, dim=0):
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        first = tensors[0].shape
        for i, t in enumerate(tensors):
            if t.shape != first:
                raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(first)} at entry "
                                   f"0 and {list(t.shape)} at entry {i}")
    return jnp.stack(tensors, axis=dim)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t if t.ndim > 1 else t.unsqueeze(0) for t in tensors], 0)


@op("SplitWithSizesBackward0", promote=None, saves=(), method=False)
def _split_sizes(input, sizes, dim):
    import numpy as np
    return tuple(jnp.split(input, np.cumsum(sizes)[:-1].tolist(), axis=dim))


@op("SplitBackward0", promote=None, saves=(), method=False)
def _split_even(input, sizes, dim):
    import numpy as np
    return tuple(jnp.split(input, np.cumsum(sizes)[:-1].tolist(), axis=dim))


def split(tensor, split_size_or_sections, dim=0):
    n = _meta(tensor).shape[_wrap_dim(dim, tensor.ndim)]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        sizes = [step] * (n // step) + ([n % step] if n % step else []) if step else [0]
        return apply(REGISTRY["_split_even"], (tensor,), (tuple(sizes), dim))
    sizes = tuple(int(s) for s in split_size_or_sections)
    if sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {dim}), but got split_sizes={list(sizes)}")
    return apply(REGISTRY["_split_sizes"], (tensor,), (sizes, dim))


def chunk(input, chunks, dim=0):
    n = _meta(input).shape[_wrap_dim(dim, input.ndim)]
    step = -(-n // chunks)
    return split(input, step, dim)


@op("UnbindBackward0", promote=None, saves=(), method=False)
def _unbind(input, dim):
    return tuple(jnp.moveaxis(input, dim, 0))


def unbind(input, dim=0):
    return apply(REGISTRY["_unbind"], (input,), (dim,))


Tensor.split = split
Tensor.chunk = chunk
Tensor.unbind = unbind


@op("FlipBackward0", promote=None, saves=())
def flip(input, dims):
    return jnp.flip(input, tuple(dims) if not isinstance(dims, int) else dims)


@op("RollBackward0", promote=None, saves=())
def roll(input, shifts, dims=None):
    return jnp.roll(input, shifts, dims)


@op("PermuteBackward0", promote=None, saves=())
def movedim(input, source, destination):
    return jnp.moveaxis(input, source, destination)


moveaxis = movedim
Tensor.moveaxis = movedim


@op("SliceBackward0", promote=None, saves=())
def narrow(input, dim, start, length):
    import jax
    return jax.lax.slice_in_dim(input, start % input.shape[dim], start % input.shape[dim] + length, axis=dim)


@op("SelectBackward0", promote=None, saves=())
def select(input, dim, index):
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {dim}")
    return jnp.take(input, index % size, axis=dim)


@op("TrilBackward0", promote=None, saves=(), inplace=True)
def tril(input, diagonal=0):
    return jnp.tril(input, diagonal)


@op("TriuBackward0", promote=None, saves=(), inplace=True)
def triu(input, diagonal=0):
    return jnp.triu(input, diagonal)


@op(lambda a, s: "DiagEmbedBackward0" if _meta(a[0]).ndim == 1 else "DiagonalBackward0_copy", promote=None,
    saves=())
def diag(input, diagonal=0):
    return jnp.diag(input, diagonal)


@op("DiagonalBackward0", promote=None, saves=())
def diagonal(input, offset=0, dim1=0, dim2=1):
    return jnp.diagonal(input, offset, dim1, dim2)


@op("TraceBackward0", promote=None, saves=())
def trace(input):
    return jnp.trace(input)


@op("CloneBackward0", promote=None, saves=())
def clone(input, *, memory_format=None):
    return jnp.array(input, copy=True)


def contiguous(self, memory_format=None):
    return self


Tensor.contiguous = contiguous


def atleast_1d(input):
    return input if input.ndim >= 1 else _reshape_public(input, (1,))


# -- in-place views: they change the tensor's shape, so they bypass _set_result's shape check ------
def _inplace_view(name, grad, fn, defaults=()):
    """``x.t_()``, ``x.squeeze_()``, ...: ``x`` takes the view's shape and PyTorch's in-place
    grad_fn (``TBackward1``, ...)."""
    spec_name = "_inplace_" + name  # (nn_conv registers its own "_squeeze_")
    op(grad, promote=None, saves=(), method=False, out=False, func=False, name=spec_name)(fn)

    def method(self, *args):
        self._check_inplace()
        args = args + defaults[len(args):]
        result = apply(REGISTRY[spec_name], (self,), tuple(tuple(a) if isinstance(a, list) else a for a in args))
        self._s[0] = result._s[0]
        self._v[0] += 1
        if result._node is not None:
            self._node, self._out_nr, self._rg = result._node, result._out_nr, True
        return self
    method.__name__ = name + "_"
    return method


Tensor.squeeze_ = _inplace_view(
    "squeeze", lambda a, s: "SqueezeBackward3" if not s or s[0] is None else
    "SqueezeBackward4" if isinstance(s[0], int) else "SqueezeBackward5",
    lambda input, dim: REGISTRY["squeeze"].fn(input, dim), defaults=(None,))
Tensor.unsqueeze_ = _inplace_view("unsqueeze", "UnsqueezeBackward1", lambda input, dim: REGISTRY["unsqueeze"].fn(input, dim))
Tensor.t_ = _inplace_view("t", "TBackward1", lambda input: _t_inplace(input))
Tensor.transpose_ = Tensor.swapaxes_ = Tensor.swapdims_ = _inplace_view(
    "transpose", "TransposeBackward1", lambda input, dim0, dim1: jnp.swapaxes(input, dim0, dim1))


def _t_inplace(x):
    if x.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x.T
