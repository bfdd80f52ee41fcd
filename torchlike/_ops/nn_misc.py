"""Dropout, embedding, one_hot, normalize and cosine_similarity.

Dropout draws its mask from torchlike's global generator (not PyTorch's stream) and applies it
with ``mul``, so its grad_fn is PyTorch's ``MulBackward0``.
"""
import jax
import jax.numpy as jnp

from .._storage import _known, _meta
from .._tensor import Tensor, _legacy_name
from ..autograd.record import apply
from .random import _key
from .registry import op, REGISTRY
from . import pointwise as _pw


# -- dropout ---------------------------------------------------------------------------------------
def _mask_fn(key, shape, dtype, p):
    keep = jax.random.uniform(key, shape, jnp.float32) >= p
    return jnp.where(keep, jnp.asarray(1, dtype) / (1 - jnp.asarray(p, dtype)), jnp.zeros((), dtype))


_mask = jax.jit(_mask_fn, static_argnums=(1, 2))


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _apply_mask(input, mask_shape, p, inplace):
    dt = _meta(input).dtype
    if p == 1:
        mask = Tensor._wrap(jnp.zeros(mask_shape, dt))
    else:
        mask = Tensor._wrap(_mask(_key(None), mask_shape, dt, float(p)))
    if inplace:
        return input.mul_(mask)
    return _pw.mul(input, mask)


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    return _apply_mask(input, tuple(input.shape), p, inplace)


def _feature_dropout(n):
    def feature_dropout(input, p=0.5, training=True, inplace=False):
        _check_p(p)
        if not training or p == 0:
            return input
        batched = input.dim() == n + 2
        lead = 2 if batched else 1
        shape = tuple(input.shape[:lead]) + (1,) * (input.dim() - lead)
        return _apply_mask(input, shape, p, inplace)
    feature_dropout.__name__ = f"dropout{n}d"
    return feature_dropout


dropout1d, dropout2d, dropout3d = _feature_dropout(1), _feature_dropout(2), _feature_dropout(3)


def _torch_dropout(input, p, train):
    return dropout(input, p, train)


# -- embedding -------------------------------------------------------------------------------------
@op("EmbeddingBackward0", nt=2, promote=None, saves=(1,), method=False, out=False)
def _embedding(weight, indices, padding_idx):
    rows = jnp.take(weight, indices, axis=0)
    if padding_idx >= 0:
        # PyTorch's gradient skips the padding row; its value is still read.
        rows = jnp.where((indices == padding_idx)[..., None], jax.lax.stop_gradient(rows), rows)
    return rows


def _check_indices(indices, num):
    if indices.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_legacy_name(indices.dtype)}Tensor instead (while checking "
                           "arguments for embedding)")
    arr = indices._s[0]
    if arr.size and _known(arr) and bool(jnp.any((arr < 0) | (arr >= num))):
        raise IndexError("index out of range in self")


@jax.jit
def _renorm(weight, rows, max_norm, norm_type):
    sel = weight[rows]
    norms = jnp.sum(jnp.abs(sel) ** norm_type, axis=-1) ** (1 / norm_type)
    scale = jnp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    return weight.at[rows].set((sel * scale[:, None]).astype(weight.dtype))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= num:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    else:
        padding_idx = -1
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("torch.nn.functional.embedding(scale_grad_by_freq=True / sparse=True) is not "
                                  "supported by torchlike; use the defaults (dense gradients).")
    _check_indices(input, num)
    if max_norm is not None:
        rows = jnp.unique(input._s[0].reshape(-1))
        weight._s[0] = _renorm(weight._s[0], rows, float(max_norm), float(norm_type))
        weight._v[0] += 1
    return apply(REGISTRY["_embedding"], (weight, input), (int(padding_idx),))


def _torch_embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return embedding(indices, weight, None if padding_idx == -1 else padding_idx, None, 2.0,
                     scale_grad_by_freq, sparse)


# -- one_hot ---------------------------------------------------------------------------------------
def one_hot(tensor, num_classes=-1):
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    arr = tensor._s[0]
    if num_classes == -1:
        if arr.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(jnp.max(arr)) + 1
    if arr.size and _known(arr):
        if bool(jnp.any(arr < 0)):
            raise RuntimeError("Class values must be non-negative.")
        if bool(jnp.any(arr >= num_classes)):
            raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._wrap(jax.nn.one_hot(arr, int(num_classes), dtype=jnp.int64))


# -- normalize / cosine_similarity -----------------------------------------------------------------
def _p_norm(input, ord, dim, keepdim):
    # |x| with PyTorch's zero subgradient at 0 (jnp.abs has slope 1 there)
    a = jnp.where(input == 0, jnp.zeros((), input.dtype), jnp.abs(input))
    if ord == float("inf"):
        return jnp.max(a, axis=dim, keepdims=keepdim)
    if ord == float("-inf"):
        return jnp.min(a, axis=dim, keepdims=keepdim)
    if ord == 0:
        return jnp.sum(a != 0, axis=dim, keepdims=keepdim).astype(input.dtype)
    s = jnp.sum(a ** ord, axis=dim, keepdims=keepdim)
    # a zero vector gets PyTorch's zero (sub)gradient, not the NaN of d(s ** (1/p)) at s = 0
    zero = s == 0
    return jnp.where(zero, jnp.zeros((), s.dtype), jnp.where(zero, jnp.ones((), s.dtype), s) ** (1.0 / ord))


@op("LinalgVectorNormBackward0", promote=None, method=False, out=False)
def _vector_norm(input, ord, dim, keepdim):
    return _p_norm(input, ord, dim, keepdim)


@op("NormBackward1", promote=None, method=False, out=False)
def _norm_dim(input, p, dim, keepdim):
    """at::norm(input, p, dim), which pairwise_distance calls."""
    return _p_norm(input, p, dim, keepdim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    norm = apply(REGISTRY["_vector_norm"], (input,), (float(p), dim, True))
    denom = _pw.clamp_min(norm, eps).expand_as(input)
    result = _pw.div(input, denom)
    if out is not None:
        out._s[0] = result._s[0]
        out._v[0] += 1
        return out
    return result


@op("CloneBackward0", promote=None, saves=(), method=False, out=False)
def _clamped_clone(input, eps):
    # PyTorch clamps a clone of the norm in place under no_grad: clamped value, identity gradient.
    return input + jax.lax.stop_gradient(jnp.maximum(input, eps) - input)


def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    norms = []
    for x in (x1, x2):
        n = apply(REGISTRY["_vector_norm"], (x,), (2.0, dim, True))
        norms.append(apply(REGISTRY["_clamped_clone"], (n,), (eps,)))
    return (_pw.div(x1, norms[0]) * _pw.div(x2, norms[1])).sum(dim)


@op("AddBackward1", promote=None, saves=(), method=False, out=False)
def _add_scalar(input, other):
    return input + other


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    d = apply(REGISTRY["_add_scalar"], (x1 - x2,), (eps,))
    return apply(REGISTRY["_norm_dim"], (d,), (float(p), -1, keepdim))


TORCH_API = {"dropout": _torch_dropout, "embedding": _torch_embedding, "cosine_similarity": cosine_similarity,
             "pairwise_distance": pairwise_distance}
