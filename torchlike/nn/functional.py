"""torch.nn.functional: PyTorch's signatures over torchlike's nn op families.

Thin re-exports; the ops and their argument handling live in ``torchlike/_ops/nn_*.py``.
Dropout masks come from torchlike's global generator, so they differ from PyTorch's.
"""
import warnings as _warnings

from .._ops.nn_activation import (relu as relu, relu_ as relu_, relu6 as relu6, hardtanh as hardtanh,
                                  hardtanh_ as hardtanh_, leaky_relu as leaky_relu, leaky_relu_ as leaky_relu_,
                                  elu as elu, elu_ as elu_, selu as selu, selu_ as selu_, celu as celu,
                                  celu_ as celu_, silu as silu, mish as mish, hardsigmoid as hardsigmoid,
                                  hardswish as hardswish, threshold as threshold, threshold_ as threshold_,
                                  softplus as softplus, gelu as gelu, logsigmoid as logsigmoid,
                                  hardshrink as hardshrink, softshrink as softshrink, glu as glu,
                                  softsign as softsign, tanhshrink as tanhshrink)
from .._ops.nn_conv import (linear as linear, bilinear as bilinear, conv1d as conv1d, conv2d as conv2d,
                            conv3d as conv3d, conv_transpose1d as conv_transpose1d,
                            conv_transpose2d as conv_transpose2d, conv_transpose3d as conv_transpose3d)
from .._ops.nn_norm import batch_norm as batch_norm, layer_norm as layer_norm, group_norm as group_norm
from .._ops.nn_pad import pad as pad
from .._ops.nn_pool import (max_pool1d as max_pool1d, max_pool2d as max_pool2d,
                            max_pool1d_with_indices as max_pool1d_with_indices,
                            max_pool2d_with_indices as max_pool2d_with_indices, avg_pool1d as avg_pool1d,
                            avg_pool2d as avg_pool2d, adaptive_avg_pool1d as adaptive_avg_pool1d,
                            adaptive_avg_pool2d as adaptive_avg_pool2d, adaptive_max_pool1d as adaptive_max_pool1d,
                            adaptive_max_pool2d as adaptive_max_pool2d,
                            adaptive_max_pool2d_with_indices as adaptive_max_pool2d_with_indices)
from .._ops.nn_loss import (mse_loss as mse_loss, l1_loss as l1_loss, smooth_l1_loss as smooth_l1_loss,
                            huber_loss as huber_loss, nll_loss as nll_loss, cross_entropy as cross_entropy,
                            binary_cross_entropy as binary_cross_entropy,
                            binary_cross_entropy_with_logits as binary_cross_entropy_with_logits,
                            kl_div as kl_div)
from .._ops.nn_misc import (dropout as dropout, dropout1d as dropout1d, dropout2d as dropout2d,
                            dropout3d as dropout3d, embedding as embedding, one_hot as one_hot,
                            normalize as normalize, cosine_similarity as cosine_similarity,
                            pairwise_distance as pairwise_distance)
from .._ops.nn_sample import interpolate as interpolate, scaled_dot_product_attention as scaled_dot_product_attention
from .._ops.pointwise import sigmoid as sigmoid, tanh as tanh
from .._ops import reduction as _reduction


def _softmax_dim(name, ndim):
    _warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                   "as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim())
    return _reduction.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim())
    return _reduction.log_softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.dim())
    return _reduction.softmax(-input, dim, dtype)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    _warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                   stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)
