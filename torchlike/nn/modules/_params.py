"""Parameter set-up shared by the layer modules, as PyTorch writes it in each of them: the
weight/bias pair of Linear, Bilinear and the convolutions, and the affine pair of the norm layers."""
import math

from ..._ops.creation import empty
from .. import init
from ..parameter import Parameter


def weight_and_bias(module, weight_shape, bias_shape, bias, device, dtype):
    """``module.weight`` and, when ``bias``, ``module.bias`` (uninitialised); else ``bias`` is None."""
    module.weight = Parameter(empty(weight_shape, device=device, dtype=dtype))
    if bias:
        module.bias = Parameter(empty(bias_shape, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)


def affine(module, shape, affine, bias, device, dtype):
    """A norm layer's ``weight`` and ``bias`` of ``shape`` when ``affine`` (bias only with ``bias``);
    otherwise both registered as None."""
    if affine:
        weight_and_bias(module, shape, shape, bias, device, dtype)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def reset_affine(module):
    """A norm layer's affine default: weight 1, bias 0."""
    init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


def reset_kaiming_uniform(module):
    """Linear's and the convolutions' default: weight ``kaiming_uniform_(a=sqrt(5))``, bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)
