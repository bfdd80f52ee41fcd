"""``interpolate`` (nearest, nearest-exact, linear, bilinear, area) and
``scaled_dot_product_attention``.

Resampling is separable: each spatial axis is multiplied by an (out, in) weight matrix built on
the host with PyTorch's source-index rules, so values and gradients follow PyTorch's kernels.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._storage import _meta
from .._tensor import Tensor
from ..autograd.record import apply
from .random import _key
from .registry import op, REGISTRY


def _src_scale(in_size, out_size, scale, align_corners):
    if align_corners:
        return (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    return 1.0 / scale if scale else in_size / out_size


def _matrix(in_size, out_size, scale, mode, align_corners):
    dst = np.arange(out_size, dtype=np.float64)
    m = np.zeros((out_size, in_size))
    s = _src_scale(in_size, out_size, scale, align_corners)
    if mode == "nearest":
        src = np.minimum(np.floor(dst * np.float32(s)).astype(np.int64), in_size - 1)
        m[np.arange(out_size), src] = 1
        return m
    if mode == "nearest-exact":
        src = np.minimum(np.floor((dst + 0.5) * np.float32(s)).astype(np.int64), in_size - 1)
        m[np.arange(out_size), src] = 1
        return m
    src = dst * s if align_corners else np.maximum((dst + 0.5) * s - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = src - i0
    np.add.at(m, (np.arange(out_size), i0), 1 - lam)
    np.add.at(m, (np.arange(out_size), i1), lam)
    return m


def _upsample_name(args, statics):
    n = len(statics[0])
    mode = statics[2]
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact"}.get(mode) or ("Linear" if n == 1 else "Bilinear")
    return f"Upsample{kind}{n}DBackward0"


@op(_upsample_name, promote=None, saves=(), method=False, out=False)
def _upsample(input, size, scales, mode, align_corners):
    n = len(size)
    out = input
    for i in range(n):
        axis = input.ndim - n + i
        m = jnp.asarray(_matrix(input.shape[axis], size[i], scales[i], mode, align_corners), input.dtype)
        out = jnp.moveaxis(jnp.tensordot(out, m, axes=([axis], [1])), -1, axis)
    return out


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    n = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if antialias:
        raise NotImplementedError("torch.nn.functional.interpolate(antialias=True) is not supported by torchlike.")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * n
        if len(sizes) != n:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(input.shape[2:])} and output size of {list(sizes)}. Please "
                             "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, "
                             "...,oK) format.")
        sizes, scales = tuple(int(s) for s in sizes), (None,) * n
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * n
        sizes = tuple(int(math.floor(float(d) * float(f))) for d, f in zip(input.shape[2:], factors))
        scales = (None,) * n if recompute_scale_factor else tuple(float(f) for f in factors)
    if mode == "area":
        from . import nn_pool
        if n == 2:
            return nn_pool.adaptive_avg_pool2d(input, sizes)
        if n == 1:
            return nn_pool.adaptive_avg_pool1d(input, sizes)
    linear = {"linear": 1, "bilinear": 2}
    if mode in linear and linear[mode] != n:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {linear[mode] + 2}D input")
    if mode not in ("nearest", "nearest-exact", "linear", "bilinear"):
        raise NotImplementedError(f"torch.nn.functional.interpolate(mode='{mode}') is not supported by torchlike; "
                                  "use 'nearest', 'nearest-exact', 'linear', 'bilinear' or 'area'.")
    return apply(REGISTRY["_upsample"], (input,), (sizes, scales, mode, bool(align_corners)))


def _attention_name(args, statics):
    dropout = args[4] is not None
    return "ScaledDotProductFlashAttentionForCpuBackward0" if _meta(args[0]).ndim == 4 and not dropout \
        else "UnsafeViewBackward0"


@op(_attention_name, nt=5, promote=None, method=False, out=False)
def _sdpa(query, key, value, attn_mask, dropout_mask, is_causal, scale, enable_gqa):
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        reps = query.shape[-3] // key.shape[-3]
        key, value = jnp.repeat(key, reps, axis=-3), jnp.repeat(value, reps, axis=-3)
    s = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = jnp.matmul(query, jnp.swapaxes(key, -1, -2)) * s
    neg = jnp.asarray(-jnp.inf, scores.dtype)
    if is_causal:
        causal = jnp.tril(jnp.ones(scores.shape[-2:], bool))
        scores = jnp.where(causal, scores, neg)
    if attn_mask is not None:
        scores = jnp.where(attn_mask, scores, neg) if attn_mask.dtype == jnp.bool_ else scores + attn_mask
    weights = jax.nn.softmax(scores, axis=-1)
    if dropout_mask is not None:
        weights = weights * dropout_mask
    return jnp.matmul(weights, value)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    drop = None
    if dropout_p > 0.0:
        shape = tuple(query.shape[:-1]) + (key.shape[-2],)
        keep = jax.random.uniform(_key(None), shape) >= dropout_p
        dt = _meta(query).dtype
        drop = Tensor._wrap(jnp.where(keep, jnp.asarray(1 / (1 - dropout_p), dt), jnp.zeros((), dt)))
    return apply(REGISTRY["_sdpa"], (query, key, value, attn_mask, drop),
                 (bool(is_causal), scale, bool(enable_gqa)))
