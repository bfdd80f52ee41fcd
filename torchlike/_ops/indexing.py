"""Indexing: ``x[idx]``, ``x[idx] = v``, gather/scatter, index_select, masked ops, sort/topk.

An index is split into a static structure (ints, slices, None, Ellipsis) and dynamic integer
arrays (advanced indices). Boolean masks become integer indices on the host first, since their
result shape depends on the data, as it does in PyTorch.
"""
import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._storage import _meta
from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.record import apply
from .registry import op, REGISTRY, _finish_out
from .returns import return_type

_ADV = "adv"


def _split_index(x, index):
    """(structure, arrays, name-of-the-last-view): PyTorch applies basic indices as a chain of
    views (select, slice, unsqueeze) and advanced ones as one index op."""
    if not isinstance(index, tuple):
        index = (index,)
    structure, arrays = [], []
    shape = _meta(x).shape
    dim = 0
    last = None
    n_specified = sum(1 for i in index if i is not None and i is not Ellipsis
                      and not (isinstance(i, (Tensor, np.ndarray)) and _is_bool(i))) + \
        sum(_mask_ndim(i) for i in index if isinstance(i, (Tensor, np.ndarray)) and _is_bool(i))
    if n_specified > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    advanced = False
    for i in index:
        if i is None:
            structure.append(None)
            last = "UnsqueezeBackward0"
        elif i is Ellipsis:
            structure.append(Ellipsis)
            dim = len(shape) - (n_specified - dim)
        elif isinstance(i, bool):
            structure.append(None if i else slice(0, 0))
            last = "UnsqueezeBackward0"
        elif isinstance(i, (int, np.integer)) or (isinstance(i, Tensor) and _meta(i).ndim == 0
                                                   and not _is_bool(i) and not i.dtype.is_floating_point):
            i = int(i)
            size = shape[dim]
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {size}")
            structure.append(i % size)
            dim += 1
            last = "SelectBackward0"
        elif isinstance(i, (float, complex, str)):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
        elif isinstance(i, slice):
            s = slice(*(None if v is None else int(v) for v in (i.start, i.stop, i.step)))
            if s.step is not None and s.step <= 0:
                raise ValueError("step must be greater than zero")
            structure.append(("slice", s.start, s.stop, s.step))
            if s != slice(None):
                last = "SliceBackward0"
            dim += 1
        else:
            arr = i._s[0] if isinstance(i, Tensor) else np.asarray(i)
            if arr.dtype == np.bool_ or arr.dtype == jnp.bool_:
                host = np.asarray(arr)
                for k, n in enumerate(host.shape):
                    if n != shape[dim + k]:
                        raise IndexError(f"The shape of the mask {list(host.shape)} at index {k} does not match the "
                                         f"shape of the indexed tensor {list(shape)} at index {dim + k}")
                for comp in np.nonzero(host):
                    structure.append(_ADV)
                    arrays.append(jnp.asarray(comp, jnp.int64))
                dim += host.ndim
            else:
                if not np.issubdtype(arr.dtype, np.integer):
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                host = np.asarray(arr)
                size = shape[dim]
                if host.size and (host.max() >= size or host.min() < -size):
                    bad = host.max() if host.max() >= size else host.min()
                    raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
                structure.append(_ADV)
                arrays.append(jnp.asarray(host % size if host.size else host, jnp.int64))
                dim += 1
            advanced = True
    if advanced:
        last = "IndexBackward0"
    return tuple(structure), arrays, last or "AliasBackward0"


def _is_bool(i):
    dt = _meta(i).dtype if isinstance(i, Tensor) else i.dtype
    return dt == np.bool_


def _mask_ndim(i):
    return (i._s[0] if isinstance(i, Tensor) else i).ndim


def _rebuild(structure, arrays):
    """The index tuple for jnp; slices travel as tuples because Python 3.11 cannot hash them."""
    it = iter(arrays)
    out = []
    for s in structure:
        if isinstance(s, str):
            out.append(next(it))
        elif isinstance(s, tuple):
            out.append(slice(*s[1:]))
        else:
            out.append(s)
    return tuple(out)


@op(lambda a, s: s[1], nt=1, promote=None, saves=(), method=False, out=False, seq=True, edges=(0,))
def _index(xs, structure, name):
    return xs[0][_rebuild(structure, xs[1:])]


@op(lambda a, s: s[1], nt=1, promote=None, saves=(), method=False, out=False, seq=True, edges=(0, 1))
def _index_put(xs, structure, name, accumulate):
    x, v = xs[0], xs[1]
    idx = _rebuild(structure, xs[2:])
    v = jnp.asarray(v).astype(x.dtype)
    return x.at[idx].add(v) if accumulate else x.at[idx].set(v)


def _getitem(self, index):
    structure, arrays, name = _split_index(self, index)
    return apply(REGISTRY["_index"], (self, *[Tensor._wrap(a) for a in arrays]), (structure, name))


_VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _setitem(self, index, value):
    structure, arrays, name = _split_index(self, index)
    advanced = _ADV in structure
    if not advanced and self._rg and self._node is None and grad_mode.state.enabled:
        raise RuntimeError(_VIEW_OF_LEAF)  # basic indexing writes through a view, as PyTorch's copy_
    self._check_inplace()
    name = "IndexPutBackward0" if advanced else "torch::autograd::CopySlices"
    if isinstance(value, Tensor) and _meta(value).ndim > 0:
        target = jax.eval_shape(lambda x: x[_rebuild(structure, arrays)], self._s[0]).shape
        if not advanced:
            from .shape import check_expand
            check_expand(value, target)
        try:
            np.broadcast_shapes(_meta(value).shape, target)
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
                               f"indexing result of shape {list(target)}") from None
    result = apply(REGISTRY["_index_put"], (self, value, *[Tensor._wrap(a) for a in arrays]),
                   (structure, name, False))
    self._set_result(result)


Tensor.__getitem__ = _getitem
Tensor.__setitem__ = _setitem


def index_put(input, indices, values, accumulate=False):
    structure, arrays, _ = _split_index(input, tuple(indices))
    return apply(REGISTRY["_index_put"], (input, values, *[Tensor._wrap(a) for a in arrays]),
                 (structure, "IndexPutBackward0", accumulate))


def _index_put_(self, indices, values, accumulate=False):
    self._check_inplace()
    return self._set_result(index_put(self, indices, values, accumulate))


Tensor.index_put = index_put
Tensor.index_put_ = _index_put_


def _check_index(index, what):
    if not isinstance(index, Tensor):
        raise TypeError(f"{what}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in (_dtype.int64, _dtype.int32):
        raise RuntimeError(f"{what}(): Expected dtype int32/int64 for index")


@op("GatherBackward0", nt=2, promote=None, saves=(1,), method=False, out=False, edges=(0,))
def _gather(input, index, dim):
    return jnp.take_along_axis(input, index, axis=dim)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _check_index(index, "gather")
    dim = _wrap_dim(dim, input.ndim)
    return _finish_out(out, apply(REGISTRY["_gather"], (input, index), (dim,)))


def _scatter_impl(input, index, src, dim, reduce):
    idx = list(jnp.meshgrid(*[jnp.arange(n) for n in index.shape], indexing="ij"))
    idx[dim] = index
    idx = tuple(idx)
    src = src[tuple(slice(0, n) for n in index.shape)] if jnp.ndim(src) else jnp.broadcast_to(src, index.shape)
    src = src.astype(input.dtype)
    if reduce is None:
        return input.at[idx].set(src)
    if reduce in ("add", "sum"):
        return input.at[idx].add(src)
    if reduce in ("multiply", "prod"):
        return input.at[idx].multiply(src)
    if reduce == "amax":
        return input.at[idx].max(src)
    if reduce == "amin":
        return input.at[idx].min(src)
    raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")


_SCATTER_NAMES = {"scatter": "ScatterBackward0", "add": "ScatterAddBackward0", "reduce": "ScatterReduceBackward0"}


@op(lambda a, s: "ScatterBackward1" if not isinstance(a[2], Tensor) else _SCATTER_NAMES[s[2]],
    nt=3, promote=None, saves=(1,), method=False, out=False, edges=(0, 2))
def _scatter(input, index, src, dim, reduce, overload):
    return _scatter_impl(input, index, src, dim, reduce)


def scatter(input, dim, index, src=None, value=None, *, reduce=None, out=None):
    _check_index(index, "scatter")
    if src is None:
        src = value
    return _finish_out(out, apply(REGISTRY["_scatter"], (input, index, src),
                                  (_wrap_dim(dim, input.ndim), reduce, "scatter")))


def scatter_add(input, dim, index, src, *, out=None):
    return _finish_out(out, apply(REGISTRY["_scatter"], (input, index, src), (_wrap_dim(dim, input.ndim), "add", "add")))


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None):
    if not include_self:
        raise NotImplementedError("torch.scatter_reduce(include_self=False) is not supported by torchlike yet; "
                                  "scatter into a tensor filled with the reduction's identity instead")
    return _finish_out(out, apply(REGISTRY["_scatter"], (input, index, src),
                                  (_wrap_dim(dim, input.ndim), reduce, "reduce")))


def _inplace(f):
    def method(self, *args, **kwargs):
        self._check_inplace()
        return self._set_result(f(self, *args, **kwargs))
    return method


Tensor.gather = gather
Tensor.scatter = scatter
Tensor.scatter_ = _inplace(scatter)
Tensor.scatter_add = scatter_add
Tensor.scatter_add_ = _inplace(scatter_add)
Tensor.scatter_reduce = scatter_reduce
Tensor.scatter_reduce_ = _inplace(scatter_reduce)


@op("IndexSelectBackward0", nt=2, promote=None, saves=(1,), method=False, out=False, edges=(0,))
def _index_select(input, index, dim):
    return jnp.take(input, index, axis=dim)


def index_select(input, dim, index, *, out=None):
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    return _finish_out(out, apply(REGISTRY["_index_select"], (input, index), (_wrap_dim(dim, input.ndim),)))


Tensor.index_select = index_select


@op("IndexAddBackward0", nt=3, promote=None, saves=(1,), method=False, out=False, edges=(0, 2))
def _index_add(input, index, source, dim, alpha):
    idx = [slice(None)] * input.ndim
    idx[dim] = index
    return input.at[tuple(idx)].add(alpha * source.astype(input.dtype))


def index_add(input, dim, index, source, *, alpha=1, out=None):
    return _finish_out(out, apply(REGISTRY["_index_add"], (input, index, source), (_wrap_dim(dim, input.ndim), alpha)))


Tensor.index_add = index_add
Tensor.index_add_ = _inplace(index_add)


def _masked_fill_name(args, statics):
    return "MaskedFillBackward1" if isinstance(args[2], Tensor) else "MaskedFillBackward0"


_C_TYPES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


@op(_masked_fill_name, nt=3, promote=None, saves=(1,), inplace=True, out=False, edges=(0, 2))
def masked_fill(input, mask, value):
    if mask.dtype != jnp.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPES.get(mask.dtype.name, mask.dtype.name)}")
    return jnp.where(mask, jnp.asarray(value).astype(input.dtype), input)


def masked_select(input, mask, *, out=None):
    host = np.asarray(jnp.broadcast_to(mask._s[0], jnp.broadcast_shapes(_meta(mask).shape, _meta(input).shape)))
    full = input.expand(host.shape) if _meta(input).shape != host.shape else input
    structure, arrays, _ = _split_index(full, Tensor._wrap(jnp.asarray(host)))
    return _finish_out(out, apply(REGISTRY["_index"], (full, *[Tensor._wrap(a) for a in arrays]),
                                  (structure, "MaskedSelectBackward0")))


Tensor.masked_select = masked_select


def nonzero(input, *, out=None, as_tuple=False):
    host = np.asarray(input._s[0])
    idx = np.nonzero(host)
    if as_tuple:
        return tuple(Tensor._wrap(jnp.asarray(i, jnp.int64)) for i in idx)
    return Tensor._wrap(jnp.asarray(np.stack(idx, axis=1) if idx else np.zeros((0, 0)), jnp.int64))


def argwhere(input):
    return nonzero(input)


Tensor.nonzero = nonzero
Tensor.argwhere = argwhere


@op("TakeBackward0", nt=2, promote=None, saves=(1,), edges=(0,))
def take(input, index):
    return jnp.take(input.reshape(-1), index)


# sort and topk keep their input: the VJP re-sorts it (PyTorch keeps the indices instead)
@op(lambda a, s: "SortBackward1" if s[2] is not None else "SortBackward0", promote=None, method=False, out=False)
def _sort(input, dim, descending, stable):
    idx = jnp.argsort(-input if descending and jnp.issubdtype(input.dtype, jnp.number) and input.dtype != jnp.bool_
                      else input, axis=dim, stable=True)
    if descending and input.dtype == jnp.bool_:
        idx = jnp.flip(jnp.argsort(input, axis=dim, stable=True), dim)
    return jnp.take_along_axis(input, idx, axis=dim), idx.astype(jnp.int64)


def sort(input, dim=-1, descending=False, stable=None, *, out=None):
    """``stable`` given (any value) picks PyTorch's stable overload (SortBackward1); the sort is
    always stable here."""
    values, indices = apply(REGISTRY["_sort"], (input,), (_wrap_dim(dim, input.ndim), descending, stable))
    return return_type("sort", values, indices)


def argsort(input, dim=-1, descending=False, stable=None):
    return sort(input, dim, descending, stable).indices


@op("TopkBackward0", promote=None, method=False, out=False)
def _topk(input, k, dim, largest, sorted):
    x = jnp.moveaxis(input, dim, -1)
    vals, idx = jax.lax.top_k(x if largest else -x, k)
    vals = vals if largest else -vals
    return jnp.moveaxis(vals, -1, dim), jnp.moveaxis(idx, -1, dim).astype(jnp.int64)


def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    if not 0 <= k <= (_meta(input).shape[_wrap_dim(dim, input.ndim)] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    values, indices = apply(REGISTRY["_topk"], (input,), (k, _wrap_dim(dim, input.ndim), largest, sorted))
    return return_type("topk", values, indices)


Tensor.sort = sort
Tensor.argsort = argsort
Tensor.topk = topk
