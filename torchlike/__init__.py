"""torchlike: PyTorch's API and autograd semantics, computed by JAX on XLA.

Thin re-exports only; see the modules for the code.
"""
from . import _dtype
from ._dtype import (dtype as dtype, bool as bool, uint8 as uint8, int8 as int8, int16 as int16, int32 as int32,
                     int64 as int64, uint16 as uint16, uint32 as uint32, uint64 as uint64, float16 as float16,
                     bfloat16 as bfloat16, float32 as float32, float64 as float64, complex64 as complex64,
                     complex128 as complex128, half as half, float as float, double as double, short as short,
                     int as int, long as long, cfloat as cfloat, cdouble as cdouble,
                     get_default_dtype as get_default_dtype, set_default_dtype as set_default_dtype,
                     promote_types as promote_types)
from ._size import Size as Size
from ._device import device as device
from ._device_default import set_default_device as set_default_device, get_default_device as get_default_device
from ._tensor import Tensor as Tensor
from ._tensor_str import set_printoptions as set_printoptions, get_printoptions as get_printoptions, \
    printoptions as printoptions
from .autograd.grad_mode import (no_grad as no_grad, enable_grad as enable_grad,
                                 set_grad_enabled as set_grad_enabled, inference_mode as inference_mode,
                                 is_grad_enabled as is_grad_enabled,
                                 is_inference_mode_enabled as is_inference_mode_enabled)
from . import autograd as autograd
from ._ops import *  # noqa: F401,F403  (every registered op and factory, by its torch name)
from ._ops import __all__ as _ops_all
from ._ops.random import Generator as Generator, default_generator as default_generator
from ._functions import *  # noqa: F401,F403
from ._functions import __all__ as _functions_all
from ._precision import set_float32_matmul_precision as set_float32_matmul_precision, \
    get_float32_matmul_precision as get_float32_matmul_precision
from . import nn as nn
from . import optim as optim
from . import cuda as cuda, backends as backends, distributed as distributed
from . import func as func, viz as viz
from .func import from_jax as from_jax
from .utils.dlpack import from_dlpack as from_dlpack
from .serialization import save as save, load as load

__version__ = "0.1.0"
