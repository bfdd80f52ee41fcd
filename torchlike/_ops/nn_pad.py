"""Padding: ``torch.nn.functional.pad`` (constant, reflect, replicate, circular) and
``torch.constant_pad_nd``. ``pad`` lists (left, right) pairs from the last dimension backwards,
as in PyTorch; negative constant padding crops."""
import jax
import jax.numpy as jnp

from ..autograd.record import apply
from .registry import op, REGISTRY

_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _widths(ndim, pad):
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


@op("ConstantPadNdBackward0", promote=None, saves=(), method=False, out=False)
def _constant_pad(input, pad, value):
    config = [(lo, hi, 0) for lo, hi in _widths(input.ndim, pad)]
    return jax.lax.pad(input, jnp.asarray(value, input.dtype), config)


def _mode_name(args, statics):
    pad, mode = statics
    if mode == "circular":
        return "CopySlices"
    return {"reflect": "Reflection", "replicate": "Replication"}[mode] + f"Pad{len(pad) // 2}DBackward0"


@op(_mode_name, promote=None, saves=(), method=False, out=False)
def _mode_pad(input, pad, mode):
    return jnp.pad(input, _widths(input.ndim, pad), mode=_MODES[mode])


def constant_pad_nd(input, pad, value=0):
    pad = tuple(int(p) for p in pad)
    _check_length(input, pad)
    return apply(REGISTRY["_constant_pad"], (input,), (pad, value))


def _check_length(input, pad):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {input.dim()}")


def pad(input, pad, mode="constant", value=None):
    pad = tuple(int(p) for p in pad)
    if mode == "constant":
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    _check_length(input, pad)
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    shape = tuple(input.shape)
    for i in range(k):
        dim = input.dim() - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        if mode == "reflect" and (lo >= shape[dim] or hi >= shape[dim]):
            raise RuntimeError(f"Argument #{4 + 2 * i if k > 1 else 4}: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) at dimension {dim} "
                               f"of input {list(shape)}")
    if any(p < 0 for p in pad):
        raise NotImplementedError(f"torch.nn.functional.pad(mode='{mode}') with negative padding is not supported "
                                  "by torchlike; crop with slicing instead.")
    return apply(REGISTRY["_mode_pad"], (input,), (pad, mode))


TORCH_API = {"constant_pad_nd": constant_pad_nd}
