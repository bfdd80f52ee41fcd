"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm``.

Statistics use the biased variance, as PyTorch's kernels do. In training, ``batch_norm``
updates ``running_mean``/``running_var`` in place (outside the graph) with the unbiased batch
variance. Like PyTorch's kernel, the update does not bump their version counters.
"""
import jax
import jax.numpy as jnp

from .._size import Size
from .._storage import _meta, _store
from ..autograd import lazy
from ..autograd.record import apply
from .registry import op, REGISTRY


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


@op("NativeBatchNormBackward0", nt=5, promote=None, method=False, out=False)
def _native_batch_norm(input, weight, bias, running_mean, running_var, training, eps):
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if training:
        mean = jnp.mean(input, axis=axes)
        var = jnp.mean(jnp.square(input - mean.reshape(shape)), axis=axes)
    else:
        mean, var = running_mean.astype(input.dtype), running_var.astype(input.dtype)
    y = (input - mean.reshape(shape)) * jax.lax.rsqrt(var + eps).reshape(shape)
    y = _affine(y, weight, bias, shape)
    return (y, mean, var) if training else y


def _running_update_pure(running, batch, momentum, correction):
    return ((1 - momentum) * running + momentum * batch * correction).astype(running.dtype)


_RUNNING_UPDATE = lazy.entry(_running_update_pure)


def _running_update(buffer, batch, momentum, correction):
    """Writes the running statistic ``buffer`` (no version bump, as PyTorch's kernel)."""
    _store(buffer._s, lazy.run(_RUNNING_UPDATE, [_meta(buffer), _meta(batch), momentum, correction]))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-05):
    if momentum is None or isinstance(momentum, str):
        raise TypeError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                        f"{type(momentum).__name__}")
    c = input.shape[1] if input.dim() > 1 else 1
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if training:
        n = input.numel() // c
        if n == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{Size(input.shape)!r}")
        y, mean, var = apply(REGISTRY["_native_batch_norm"], (input, weight, bias, None, None), (True, eps))
        if running_mean is not None:
            _running_update(running_mean, mean, momentum, 1.0)
        if running_var is not None:
            _running_update(running_var, var, momentum, n / (n - 1))
        return y
    if running_mean is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if running_var is None:
        raise RuntimeError("running_var must be defined in evaluation mode")
    return apply(REGISTRY["_native_batch_norm"], (input, weight, bias, running_mean, running_var), (False, eps))


def torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """torch.batch_norm: the ATen argument order."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@op("NativeLayerNormBackward0", nt=3, promote=None, method=False, out=False)
def _native_layer_norm(input, weight, bias, normalized_shape, eps):
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean = jnp.mean(input, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    y = (input - mean) * jax.lax.rsqrt(var + eps)
    return _affine(y, weight, bias, normalized_shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    if tuple(input.shape[input.dim() - len(shape):]) != shape or len(shape) > input.dim():
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t.shape)} and normalized_shape = {list(shape)}")
    return apply(REGISTRY["_native_layer_norm"], (input, weight, bias), (shape, eps))


def torch_layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    return layer_norm(input, normalized_shape, weight, bias, eps)


@op("NativeGroupNormBackward0", nt=3, promote=None, method=False, out=False)
def _native_group_norm(input, weight, bias, num_groups, eps):
    n, c = input.shape[:2]
    x = input.reshape((n, num_groups, -1))
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    y = ((x - mean) * jax.lax.rsqrt(var + eps)).reshape(input.shape)
    return _affine(y, weight, bias, (1, c) + (1,) * (input.ndim - 2))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={num_groups}")
    return apply(REGISTRY["_native_group_norm"], (input, weight, bias), (int(num_groups), eps))


def torch_group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    return group_norm(input, num_groups, weight, bias, eps)


TORCH_API = {"batch_norm": torch_batch_norm, "layer_norm": torch_layer_norm, "group_norm": torch_group_norm}
