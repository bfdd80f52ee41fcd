"""Pooling: max/avg pooling (1-D and 2-D, padding, dilation, ceil_mode) and adaptive pooling.

Windows are gathered with index tables built on the host from the static shapes. Max pooling
takes the first maximum of each window with ``take_along_axis``, so its gradient goes to
exactly the element PyTorch's returned index names (ties included); average pooling divides
by PyTorch's divisor (``count_include_pad``, windows clipped by ``ceil_mode``).
The 1-D forms are the 2-D ops between ``unsqueeze``/``squeeze``, as in PyTorch.
"""
import numpy as np
import jax
import jax.numpy as jnp

from ..autograd.record import apply
from .registry import op, REGISTRY
from .returns import return_type


def _pair(v, what="kernel_size"):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return (int(v[0]),) * 2
        return tuple(int(x) for x in v)
    return (int(v),) * 2


def _out_size(size, k, s, p, d, ceil):
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _table(size, k, s, p, d, out):
    """(out, k) source positions of each window, and which of them fall inside the input."""
    idx = (np.arange(out) * s - p)[:, None] + np.arange(k)[None, :] * d
    return np.clip(idx, 0, size - 1), (idx >= 0) & (idx < size)


def _gather(x, th, tw):
    """x[..., H, W] -> x[..., oh, ow, kh * kw]."""
    (ih, vh), (iw, vw) = th, tw
    patches = x[..., ih[:, None, :, None], iw[None, :, None, :]]
    valid = vh[:, None, :, None] & vw[None, :, None, :]
    flat = ih[:, None, :, None] * x.shape[-1] + iw[None, :, None, :]
    lead = patches.shape[:-2]
    return patches.reshape(lead + (-1,)), valid.reshape(valid.shape[:2] + (-1,)), flat.reshape(flat.shape[:2] + (-1,))


def _max_of(patches, valid, flat):
    patches = jnp.where(valid, patches, jnp.asarray(-jnp.inf, patches.dtype))
    arg = jnp.argmax(patches, axis=-1)[..., None]
    values = jnp.take_along_axis(patches, arg, axis=-1)[..., 0]
    indices = jnp.take_along_axis(jnp.broadcast_to(jnp.asarray(flat), patches.shape), arg, axis=-1)[..., 0]
    return values, indices.astype(jnp.int64)


@op("MaxPool2DWithIndicesBackward0", promote=None, method=False, out=False)
def _max_pool2d(input, kernel_size, stride, padding, dilation, out_hw):
    tables = [_table(input.shape[i - 2], kernel_size[i], stride[i], padding[i], dilation[i], out_hw[i])
              for i in range(2)]
    return _max_of(*_gather(input, *tables))


@op("MaxPool2DWithIndicesBackward0", promote=None, method=False, out=False)
def _max_pool2d_values(input, kernel_size, stride, padding, dilation, out_hw):
    """max_pool2d without indices, as one reduce_window: its VJP (select-and-scatter) is far
    cheaper than scattering through gathered patches, and it also sends a tie's gradient to
    the first maximum in the window, as PyTorch does."""
    lead = input.ndim - 2
    pads = [(0, 0)] * lead
    for i in range(2):
        size = input.shape[lead + i]
        high = (out_hw[i] - 1) * stride[i] + dilation[i] * (kernel_size[i] - 1) + 1 - size - padding[i]
        pads.append((padding[i], max(high, 0)))
    # a concrete identity lets JAX pick its differentiable max-window primitive
    init = np.array(-np.inf if jnp.issubdtype(input.dtype, jnp.floating) else jnp.iinfo(input.dtype).min,
                    input.dtype)
    out = jax.lax.reduce_window(input, init, jax.lax.max, (1,) * lead + kernel_size,
                                (1,) * lead + stride, pads, window_dilation=(1,) * lead + dilation)
    return out[(Ellipsis, slice(0, out_hw[0]), slice(0, out_hw[1]))]


@op("AvgPool2DBackward0", promote=None, saves=(), method=False, out=False)
def _avg_pool2d(input, kernel_size, stride, padding, out_hw, ceil_mode, count_include_pad, divisor_override):
    size = input.shape[-2:]
    tables = [_table(size[i], kernel_size[i], stride[i], padding[i], 1, out_hw[i]) for i in range(2)]
    patches, valid, _ = _gather(input, *tables)
    total = jnp.sum(jnp.where(valid, patches, jnp.zeros((), patches.dtype)), axis=-1)
    if divisor_override:
        return total / divisor_override
    div = [], []
    for i in range(2):
        start = np.arange(out_hw[i]) * stride[i] - padding[i]
        end = np.minimum(start + kernel_size[i], size[i] + padding[i])
        pool = end - start
        inside = np.minimum(end, size[i]) - np.maximum(start, 0)
        div[0].append(pool)
        div[1].append(inside)
    counts = div[0] if count_include_pad else div[1]
    divisor = (counts[0][:, None] * counts[1][None, :]).astype(np.float64)
    return total / jnp.asarray(divisor, total.dtype)


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"non-empty 3D or 4D (batch mode) tensor expected for input")
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not len(stride)) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    for i in range(2):
        if (d[i] * (k[i] - 1) + 1) // 2 < p[i]:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    size = tuple(input.shape[-2:])
    out = tuple(_out_size(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(2))
    if out[0] < 1 or out[1] < 1:
        c = input.shape[-3]
        raise RuntimeError(f"Given input size: ({c}x{size[0]}x{size[1]}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}). Output size is too small")
    return k, s, p, d, out


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    k, s, p, d, out = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices and d == (1, 1):  # JAX's max-window VJP has no window dilation
        return apply(REGISTRY["_max_pool2d_values"], (input,), (k, s, p, d, out))
    values, indices = apply(REGISTRY["_max_pool2d"], (input,), (k, s, p, d, out))
    return (values, indices) if return_indices else values


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, d, out = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode)
    return apply(REGISTRY["_avg_pool2d"], (input,),
                 (k, s, p, out, ceil_mode, count_include_pad, divisor_override))


def _one(v, name):
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise RuntimeError(f"max_pool1d() {name} must be a single int, but got {len(v)}")
        return int(v[0])
    return int(v)


def _check_1d(input, name):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{name}() Expected 2D or 3D input tensor, but got {list(input.shape)}")


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    _check_1d(input, "max_pool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not len(stride)) else _one(stride, "stride")
    x = input.unsqueeze(-2)
    args = _pool_args(x, (1, k), (1, s), (0, _one(padding, "padding")), (1, _one(dilation, "dilation")), ceil_mode)
    values, indices = apply(REGISTRY["_max_pool2d"], (x,), args)
    values = values.squeeze(-2)
    return (values, indices.squeeze(-2)) if return_indices else values


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    _check_1d(input, "avg_pool1d")
    k = _one(kernel_size, "kernel_size")
    s = k if stride is None or (isinstance(stride, (list, tuple)) and not len(stride)) else _one(stride, "stride")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, _one(padding, "padding")), ceil_mode,
                     count_include_pad)
    return out.squeeze(-2)


# -- adaptive pooling ------------------------------------------------------------------------------
def _adaptive_bounds(size, out):
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


@op("AdaptiveAvgPool2DBackward0", promote=None, saves=(), method=False, out=False)
def _adaptive_avg_pool2d(input, output_size):
    mats = []
    for size, out in zip(input.shape[-2:], output_size):
        start, end = _adaptive_bounds(size, out)
        cols = np.arange(size)[None, :]
        m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
        mats.append(jnp.asarray(m, input.dtype))
    return jnp.einsum("...hw,oh,pw->...op", input, mats[0], mats[1])


@op("AdaptiveMaxPool2DBackward0", promote=None, method=False, out=False)
def _adaptive_max_pool2d(input, output_size):
    tables = []
    for size, out in zip(input.shape[-2:], output_size):
        start, end = _adaptive_bounds(size, out)
        k = int((end - start).max())
        idx = start[:, None] + np.arange(k)[None, :]
        tables.append((np.minimum(idx, size - 1), idx < end[:, None]))
    return _max_of(*_gather(input, *tables))


def _output_size(input, output_size, n):
    sizes = tuple(output_size) if isinstance(output_size, (list, tuple)) else (output_size,) * n
    if len(sizes) != n:
        raise ValueError(f"adaptive_avg_pool{n}d(): internal error: output_size.size() must be {n}")
    return tuple(int(input.shape[input.dim() - n + i]) if v is None else int(v) for i, v in enumerate(sizes))


def adaptive_avg_pool2d(input, output_size):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    out = _output_size(input, output_size, 2)
    if out == (1, 1):
        return input.mean((-1, -2), keepdim=True)
    return apply(REGISTRY["_adaptive_avg_pool2d"], (input,), (out,))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    values, indices = apply(REGISTRY["_adaptive_max_pool2d"], (input,), (_output_size(input, output_size, 2),))
    return (values, indices) if return_indices else values


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_avg_pool1d(input, output_size):
    out = _output_size(input, output_size, 1)
    x = input.unsqueeze(-2)
    return apply(REGISTRY["_adaptive_avg_pool2d"], (x,), ((1,) + out,)).squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out = _output_size(input, output_size, 1)
    values, indices = apply(REGISTRY["_adaptive_max_pool2d"], (input.unsqueeze(-2),), ((1,) + out,))
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values


def _torch_max_pool(fn, name):
    def public(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
        return fn(input, kernel_size, stride, padding, dilation, ceil_mode)
    public.__name__ = public.__qualname__ = name
    return public


def _torch_adaptive_max_pool1d(input, output_size):
    return return_type("adaptive_max_pool1d", *adaptive_max_pool1d(input, output_size, True))


TORCH_API = {"max_pool2d": _torch_max_pool(max_pool2d, "max_pool2d"),
             "max_pool1d": _torch_max_pool(max_pool1d, "max_pool1d"),
             "max_pool1d_with_indices": max_pool1d_with_indices, "avg_pool1d": avg_pool1d,
             "adaptive_avg_pool1d": adaptive_avg_pool1d, "adaptive_max_pool1d": _torch_adaptive_max_pool1d}
