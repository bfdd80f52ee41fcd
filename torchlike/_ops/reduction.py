"""Reductions over all elements or along ``dim`` (an int or a tuple of ints), with ``keepdim``."""
import jax
import jax.numpy as jnp

from .._storage import _meta
from ..autograd.record import apply
from .registry import REGISTRY, _finish_out, op
from .._tensor import Tensor
from .returns import return_type


def _axes(dim):
    if dim is None or isinstance(dim, int):
        return dim
    return tuple(dim) if len(dim) else None


def _acc_dtype(x, dtype):
    """torch accumulates integer and bool sums in int64 unless ``dtype`` says otherwise."""
    if dtype is not None:
        return dtype.np
    if jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == jnp.bool_:
        return jnp.int64
    return x.dtype


def _by_dim(base):
    return lambda args, statics: base + ("0" if statics[0] is None else "1")


@op(_by_dim("SumBackward"), promote=None, saves=())
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.sum(input, axis=_axes(dim), keepdims=keepdim, dtype=_acc_dtype(input, dtype))


@op("NansumBackward0", promote=None)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.nansum(input, axis=_axes(dim), keepdims=keepdim, dtype=_acc_dtype(input, dtype))


def _float_only(x, what, dtype=None):
    if dtype is None and not jnp.issubdtype(x.dtype, jnp.inexact):
        name = {jnp.int64: "Long", jnp.int32: "Int", jnp.bool_: "Bool"}.get(x.dtype.type, str(x.dtype))
        raise RuntimeError(f"{what}(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {name}")


@op(_by_dim("MeanBackward"), promote=None, saves=())
def mean(input, dim=None, keepdim=False, *, dtype=None):
    _float_only(input, "mean", dtype)
    return jnp.mean(input, axis=_axes(dim), keepdims=keepdim, dtype=None if dtype is None else dtype.np)


@op(_by_dim("ProdBackward"), promote=None)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.prod(input, axis=dim, keepdims=keepdim, dtype=_acc_dtype(input, dtype))


def _with_indices(name, reduce, arg):
    """max/min: ``(values, indices)`` along a dim, the plain reduction without one, and the
    elementwise maximum with a second tensor, as PyTorch's overloads do."""
    def impl(input, dim, keepdim):
        if dim is None:
            return reduce(input)
        values = reduce(input, axis=dim, keepdims=keepdim)
        indices = arg(input, axis=dim, keepdims=keepdim)
        return values, indices
    impl.__name__ = "_" + name
    spec_fn = op(lambda a, s: name.capitalize() + ("Backward1" if s[0] is None else "Backward0"),
                 promote=None, method=False, out=False, func=False, name="_" + name)(impl)
    spec = REGISTRY["_" + name]
    other_op = {"max": "maximum", "min": "minimum"}[name]

    def public(input, dim=None, keepdim=False, *, out=None):
        if isinstance(dim, Tensor):
            return REGISTRY[other_op].public(input, dim, out=out)
        if dim is None:
            if _meta(input).size == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            return _finish_out(out, apply(spec, (input,), (None, False)))
        values, indices = apply(spec, (input,), (dim, keepdim))
        return return_type(name, values, indices)
    public.__name__ = public.__qualname__ = name
    setattr(Tensor, name, public)
    return public


max = _with_indices("max", jnp.max, jnp.argmax)
min = _with_indices("min", jnp.min, jnp.argmin)


@op("AmaxBackward0", promote=None)
def amax(input, dim=(), keepdim=False):
    return jnp.max(input, axis=_axes(dim), keepdims=keepdim)


@op("AminBackward0", promote=None)
def amin(input, dim=(), keepdim=False):
    return jnp.min(input, axis=_axes(dim), keepdims=keepdim)


@op(None, promote=None)
def argmax(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmax(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmax(input, axis=dim, keepdims=keepdim)


@op(None, promote=None)
def argmin(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmin(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmin(input, axis=dim, keepdims=keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


@op("VarBackward0", promote=None)
def _var(input, dim, correction, keepdim):
    return jnp.var(input, axis=_axes(dim), ddof=correction, keepdims=keepdim)


@op("StdBackward0", promote=None)
def _std(input, dim, correction, keepdim):
    return jnp.std(input, axis=_axes(dim), ddof=correction, keepdims=keepdim)


def _moment(spec_name):

    def public(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
        if isinstance(dim, bool):  # var(input, unbiased)
            dim, unbiased = None, dim
        return _finish_out(out, apply(REGISTRY[spec_name], (input,),
                                      (_freeze(dim), _correction(unbiased, correction), keepdim)))
    public.__name__ = public.__qualname__ = spec_name[1:]
    setattr(Tensor, spec_name[1:], public)
    return public


def _freeze(dim):
    return tuple(dim) if isinstance(dim, list) else dim


var = _moment("_var")
std = _moment("_std")


@op("LogsumexpBackward0", promote="float")
def logsumexp(input, dim, keepdim=False):
    return jax.nn.logsumexp(input, axis=_axes(dim), keepdims=keepdim)


@op("SoftmaxBackward0", promote=None, saves_out=True)
def softmax(input, dim=None, dtype=None):
    x = input if dtype is None else input.astype(dtype.np)
    return jax.nn.softmax(x, axis=_implicit_dim(x, dim))


@op("LogSoftmaxBackward0", promote=None, saves_out=True)
def log_softmax(input, dim=None, dtype=None):
    x = input if dtype is None else input.astype(dtype.np)
    return jax.nn.log_softmax(x, axis=_implicit_dim(x, dim))


def _implicit_dim(x, dim):
    if dim is not None:
        return dim
    return 0 if x.ndim in (0, 1, 3) else 1


@op("CumsumBackward0", promote=None, saves=(), inplace=True)
def cumsum(input, dim, *, dtype=None):
    return jnp.cumsum(input, axis=dim, dtype=_acc_dtype(input, dtype))


@op("CumprodBackward0", promote=None, inplace=True)
def cumprod(input, dim, *, dtype=None):
    return jnp.cumprod(input, axis=dim, dtype=_acc_dtype(input, dtype))


def _norm_name(args, statics):
    # torch.norm dispatches to linalg.vector_norm; the nuclear norm sums singular values
    return "SumBackward1" if statics[0] == "nuc" else "LinalgVectorNormBackward0"


@op(_norm_name, promote=None)
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    x = input if dtype is None else input.astype(dtype.np)
    axes = _axes(dim)
    if p == "fro" or p == 2:
        return jnp.sqrt(jnp.sum(jnp.abs(x) ** 2, axis=axes, keepdims=keepdim))
    if p == "nuc":
        return jnp.linalg.norm(x, ord="nuc", axis=axes, keepdims=keepdim)
    if p == float("inf"):
        return jnp.max(jnp.abs(x), axis=axes, keepdims=keepdim)
    if p == float("-inf"):
        return jnp.min(jnp.abs(x), axis=axes, keepdims=keepdim)
    if p == 0:
        return jnp.sum(x != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
    return jnp.sum(jnp.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)


@op(None, promote=None)
def all(input, dim=None, keepdim=False):
    return jnp.all(input, axis=_axes(dim), keepdims=keepdim)


@op(None, promote=None)
def any(input, dim=None, keepdim=False):
    return jnp.any(input, axis=_axes(dim), keepdims=keepdim)


@op(None, promote=None)
def count_nonzero(input, dim=None):
    return jnp.count_nonzero(input, axis=_axes(dim)).astype(jnp.int64)
