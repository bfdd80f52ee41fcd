"""Loss functions. Fused PyTorch kernels are single ops here (``MseLossBackward0``,
``NllLossBackward0``, ``BinaryCrossEntropyBackward0``, ...); PyTorch's composite losses
(``l1_loss``, ``kl_div``, ``cross_entropy`` = ``log_softmax`` + ``nll_loss``) are composed the same
way, so the recorded graph matches PyTorch's.

Target checks that need values (class indices in range, probabilities in [0, 1]) read the
target/input on the host, as PyTorch's CPU kernels do.
"""
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .._size import Size
from .._storage import _known, _meta
from .._tensor import Tensor, _legacy_name
from ..autograd.record import apply
from .registry import op, REGISTRY
from . import reduction as _red

_ENUM = {"none": 0, "mean": 1, "sum": 2}


def legacy_get_string(size_average, reduce, emit_warning=True):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=4)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(x, reduction):
    if reduction == "mean":
        return jnp.mean(x)
    if reduction == "sum":
        return jnp.sum(x)
    return x


def _broadcast_shape(a, b):
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _warn_size(input, target):
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({Size(target.shape)!r}) that is different to the input size "
                      f"({Size(input.shape)!r}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)
    _broadcast_shape(input.shape, target.shape)


def _no_weight(weight, name):
    if weight is not None:
        raise NotImplementedError(f"torch.nn.functional.{name}(weight=...) is not supported by torchlike yet; "
                                  "multiply the unreduced loss (reduction='none') by the weight instead.")


# -- regression losses ------------------------------------------------------------------------------
@op("MseLossBackward0", nt=2, method=False, out=False)
def _mse_loss(input, target, reduction):
    return _reduce(jnp.square(input - target), reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_size(input, target)
    _no_weight(weight, "mse_loss")
    return apply(REGISTRY["_mse_loss"], (input, target), (_reduction(size_average, reduce, reduction),))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _warn_size(input, target)
    _no_weight(weight, "l1_loss")
    return _composite_reduce((input - target).abs(), _reduction(size_average, reduce, reduction))


def _composite_reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


@op("SmoothL1LossBackward0", nt=2, method=False, out=False)
def _smooth_l1_loss(input, target, reduction, beta):
    d = jnp.abs(input - target)
    return _reduce(jnp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _warn_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return apply(REGISTRY["_smooth_l1_loss"], (input, target), (reduction, float(beta)))


@op("HuberLossBackward0", nt=2, method=False, out=False)
def _huber_loss(input, target, reduction, delta):
    d = jnp.abs(input - target)
    return _reduce(jnp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _warn_size(input, target)
    _no_weight(weight, "huber_loss")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return apply(REGISTRY["_huber_loss"], (input, target), (_reduction(None, None, reduction), float(delta)))


# -- classification losses ------------------------------------------------------------------------
def _nll_name(args, statics):
    return "NllLoss2DBackward0" if _meta(args[0]).ndim == 4 else "NllLossBackward0"


@op(_nll_name, nt=3, promote=None, method=False, out=False)
def _nll_loss(input, target, weight, reduction, ignore_index):
    if input.ndim == 1:
        input, target = input[None], target[None]
    valid = target != ignore_index
    safe = jnp.where(valid, target, 0).astype(jnp.int64)
    picked = jnp.take_along_axis(input, safe[:, None], axis=1)[:, 0]
    w = valid.astype(input.dtype) if weight is None else jnp.where(valid, weight[safe], 0).astype(input.dtype)
    loss = -picked * w
    if reduction == "none":
        return loss.reshape(target.shape) if loss.ndim else loss
    if reduction == "sum":
        return jnp.sum(loss)
    return jnp.sum(loss) / jnp.sum(w)


def _check_nll(input, target, weight, ignore_index):
    if input.dim() < 1:
        raise ValueError(f"Expected 2 or more dimensions (got {input.dim()})")
    if input.dim() <= 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.dim() >= 2 and (target.dim() == 0 or input.shape[0] != target.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.dim() else 1}).")
    if input.dim() > 2 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, got "
                           f"{list(target.shape)}")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_legacy_name(target.dtype)}")
    c = input.shape[1] if input.dim() >= 2 else input.shape[0]
    if weight is not None and weight.numel() != c:
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                           f"weight tensor of shape: {list(weight.shape)}")
    if not _known(target._s[0]):
        return
    t = np.asarray(target._s[0])
    bad = t[(t != ignore_index) & ((t < 0) | (t >= c))]
    if bad.size:
        raise IndexError(f"Target {bad.flat[0]} is out of bounds.")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_nll(input, target, weight, ignore_index)
    spec = REGISTRY["_nll_loss"]
    if input.dim() in (1, 2, 4):
        return apply(spec, (input, target, weight), (reduction, int(ignore_index)))
    n, c = input.shape[:2]
    out_size = (n,) + tuple(input.shape[2:])
    x = input.contiguous().view(n, c, 1, -1)
    t = target.contiguous().view(n, 1, -1)
    out = apply(spec, (x, t, weight), (reduction, int(ignore_index)))
    return out if reduction != "none" else out.view(out_size)


@op("MulBackward1", method=False, out=False)
def _mul_scalar(input, other):
    return input * other


@op("DivBackward1", method=False, out=False)
def _div_scalar(input, other):
    return input / other


def _scale(t, s):
    return apply(REGISTRY["_mul_scalar"], (t,), (s,))


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if input.shape == target.shape and target.dtype.is_floating_point:
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim, n_classes)
    logp = _red.log_softmax(input, class_dim)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing == 0:
        return nll
    ignore = target == ignore_index
    if weight is not None:
        shape = [1] * logp.dim()
        shape[class_dim] = weight.shape[0]
        smooth = -(logp * weight.view(*shape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth.masked_fill(ignore, 0.0)
    if reduction == "mean":
        if weight is not None:  # the weights of the targets not ignored
            t = target._s[0]
            kept = t != ignore_index
            denom = Tensor._wrap(jnp.sum(jnp.where(kept, weight._s[0][jnp.where(kept, t, 0)], 0)))
        else:
            denom = (~ignore).sum()
        ret = smooth.sum() / denom
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return _scale(nll, 1 - label_smoothing) + _scale(ret, label_smoothing / n_classes)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim, n_classes):
    logp = _red.log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = _scale(target, 1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        shape = [1] * logp.dim()
        shape[class_dim] = weight.shape[0]
        prod = prod * weight.view(*shape)
    if reduction == "none":
        return -prod.sum(class_dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    return apply(REGISTRY["_div_scalar"], (total,), (input.numel() / n_classes,))


@op("BinaryCrossEntropyBackward0", nt=3, method=False, out=False)
def _binary_cross_entropy(input, target, weight, reduction):
    log_x = jnp.maximum(jnp.log(input), -100)
    log_1mx = jnp.maximum(jnp.log1p(-input), -100)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({Size(target.shape)!r}) that is different to the input size "
                         f"({Size(input.shape)!r}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        weight = weight.expand(*_broadcast_shape(target.shape, weight.shape))
    if _known(input._s[0]) and bool(jnp.any((input._s[0] < 0) | (input._s[0] > 1))):
        raise RuntimeError("all elements of input should be between 0 and 1")
    return apply(REGISTRY["_binary_cross_entropy"], (input, target, weight), (reduction,))


@op("BinaryCrossEntropyWithLogitsBackward0", nt=4, method=False, out=False)
def _bce_with_logits(input, target, weight, pos_weight, reduction):
    log_sig = jax.nn.log_sigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({Size(target.shape)!r}) must be the same as input size "
                         f"({Size(input.shape)!r})")
    return apply(REGISTRY["_bce_with_logits"], (input, target, weight, pos_weight), (reduction,))


def _torch_bce_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return apply(REGISTRY["_bce_with_logits"], (input, target, weight, pos_weight),
                 ({0: "none", 1: "mean", 2: "sum"}[reduction],))


@op("XlogyBackward0", nt=2, method=False, out=False, promote="float")
def _xlogy(input, other):
    return jax.scipy.special.xlogy(input, other)


def _kl_div(input, target, reduction, log_target):
    if log_target:
        out = target.exp() * (target - input)
    else:
        out = apply(REGISTRY["_xlogy"], (target, target), ()) - target * input
    return _composite_reduce(out, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in _ENUM and reduction != "batchmean":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    reduced = _kl_div(input, target, "sum" if reduction == "batchmean" else reduction, log_target)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.shape[0]
    return reduced


def _torch_kl_div(input, target, reduction=1, *, log_target=False):
    return _kl_div(input, target, {0: "none", 1: "mean", 2: "sum"}[reduction], log_target)


TORCH_API = {"binary_cross_entropy_with_logits": _torch_bce_with_logits, "kl_div": _torch_kl_div}
