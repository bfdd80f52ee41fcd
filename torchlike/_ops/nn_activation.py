"""Activation functions (``torch.nn.functional.relu6``, ``gelu``, ``elu``, ...).

Each forward is written so that ``jax.vjp`` gives PyTorch's subgradient at the kinks: the
pass-through branch of a ``where`` carries ``x`` and the clipped branch a constant, so the
gradient at a boundary is PyTorch's (0 for hardtanh at ``min_val``), not ``jnp.clip``'s 0.5.
Branches that could overflow (``exp`` of a large input) read a masked input, so the unused
branch never turns a gradient into NaN.

The F-level functions take ``inplace=``: the result is written into ``input`` as PyTorch's
in-place kernels do, with PyTorch's in-place grad_fn name (``EluBackward1``, ...).
"""
import math

import jax
import jax.numpy as jnp

from .._storage import _meta
from ..autograd.record import apply, wrap_any
from .registry import op, REGISTRY


def _alias(t):
    """A view of ``t`` for an in-place op's input: the node saves the pre-write array under
    its own version counter, so writing the result into ``t`` does not trip the in-place
    modification check (PyTorch saves the result in these kernels instead)."""
    if t._node is None:
        return t  # a leaf: in-place on one that requires grad has already raised
    return wrap_any(_meta(t), t._node, t._out_nr)


def _run(name, input, statics, inplace):
    """Calls op ``name`` on ``input``; with ``inplace`` the result is written into ``input``."""
    if not inplace:
        return apply(REGISTRY[name], (input,), statics + (False,))
    input._check_inplace()
    return input._set_result(apply(REGISTRY[name], (_alias(input),), statics + (True,)))


def _named(base, inplace_name=None):
    return lambda args, statics: (inplace_name or base) if statics[-1] else base


def _const(x, v):
    return jnp.asarray(v, x.dtype)


# -- ops: the last static of each is ``inplace`` (it only picks the grad_fn name) ------------------
@op(_named("HardtanhBackward0"), promote=None, method=False, out=False, name="_hardtanh")
def _hardtanh(input, min_val, max_val, inplace):
    lo, hi = _const(input, min_val), _const(input, max_val)
    return jnp.where(input <= lo, lo, jnp.where(input >= hi, hi, input))


@op(_named("LeakyReluBackward0", "LeakyReluBackward1"), promote=None, method=False, out=False)
def _leaky_relu(input, negative_slope, inplace):
    return jnp.where(input > 0, input, input * _const(input, negative_slope))


@op(_named("ReluBackward0"), promote=None, method=False, out=False)
def _relu(input, inplace):
    return jnp.where(input > 0, input, _const(input, 0))


@op(_named("EluBackward0", "EluBackward1"), promote=None, method=False, out=False)
def _elu(input, alpha, scale, input_scale, inplace):
    neg = jnp.where(input > 0, _const(input, 0), input)
    return jnp.where(input > 0, input * scale, jnp.expm1(neg * input_scale) * (alpha * scale))


@op(_named("CeluBackward0", "CeluBackward1"), promote=None, method=False, out=False)
def _celu(input, alpha, inplace):
    neg = jnp.where(input > 0, _const(input, 0), input)
    return jnp.where(input > 0, input, jnp.expm1(neg / alpha) * alpha)


@op(_named("SiluBackward0"), promote=None, method=False, out=False)
def _silu(input, inplace):
    return input * jax.nn.sigmoid(input)


@op(_named("MishBackward0"), promote=None, method=False, out=False)
def _mish(input, inplace):
    return input * jnp.tanh(_softplus_fn(input, 1.0, 20.0))


@op(_named("HardsigmoidBackward0"), promote=None, method=False, out=False)
def _hardsigmoid(input, inplace):
    return jnp.where(input <= -3, _const(input, 0), jnp.where(input >= 3, _const(input, 1), input / 6 + 0.5))


@op(_named("HardswishBackward0"), promote=None, method=False, out=False)
def _hardswish(input, inplace):
    return jnp.where(input < -3, _const(input, 0), jnp.where(input <= 3, input * (input + 3) / 6, input))


@op(_named("ThresholdBackward0", "ThresholdBackward1"), promote=None, method=False, out=False)
def _threshold(input, threshold, value, inplace):
    return jnp.where(input > threshold, input, _const(input, value))


def _softplus_fn(x, beta, threshold):
    bx = x * beta
    safe = jnp.where(bx > threshold, _const(x, 0), bx)
    return jnp.where(bx > threshold, x, jnp.log1p(jnp.exp(safe)) / beta)


@op("SoftplusBackward0", promote=None, method=False, out=False, name="_softplus")
def _softplus(input, beta, threshold):
    return _softplus_fn(input, beta, threshold)


@op("GeluBackward0", promote=None, method=False, out=False)
def _gelu(input, approximate):
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (input + 0.044715 * input ** 3)
        return 0.5 * input * (1 + jnp.tanh(inner))
    return 0.5 * input * (1 + jax.scipy.special.erf(input * (1 / math.sqrt(2))))


@op("LogSigmoidBackward0", promote=None, method=False, out=False)
def _logsigmoid(input):
    return jax.nn.log_sigmoid(input)


@op("HardshrinkBackward0", promote=None, method=True, out=False)
def hardshrink(input, lambd=0.5):
    return jnp.where((input > lambd) | (input < -lambd), input, _const(input, 0))


@op("SoftshrinkBackward0", promote=None, method=False, out=False)
def _softshrink(input, lambd):
    return jnp.where(input > lambd, input - lambd, jnp.where(input < -lambd, input + lambd, _const(input, 0)))


@op("GluBackward0", promote=None, method=False, out=False)
def _glu(input, dim):
    a, b = jnp.split(input, 2, axis=dim)
    return a * jax.nn.sigmoid(b)


# -- F-level functions ---------------------------------------------------------------------------
def relu(input, inplace=False):
    return _run("_relu", input, (), inplace)


def relu_(input):
    return _run("_relu", input, (), True)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _run("_hardtanh", input, (min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return _run("_hardtanh", input, (0.0, 6.0), inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _run("_leaky_relu", input, (negative_slope,), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    return _run("_elu", input, (alpha, 1.0, 1.0), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return _run("_elu", input, (_SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _run("_celu", input, (alpha,), inplace)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def silu(input, inplace=False):
    return _run("_silu", input, (), inplace)


def mish(input, inplace=False):
    return _run("_mish", input, (), inplace)


def hardsigmoid(input, inplace=False):
    return _run("_hardsigmoid", input, (), inplace)


def hardswish(input, inplace=False):
    return _run("_hardswish", input, (), inplace)


def threshold(input, threshold, value, inplace=False):
    return _run("_threshold", input, (threshold, value), inplace)


def threshold_(input, threshold, value):
    return _run("_threshold", input, (threshold, value), True)


def softplus(input, beta=1, threshold=20):
    return apply(REGISTRY["_softplus"], (input,), (beta, threshold))


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh.")
    return apply(REGISTRY["_gelu"], (input,), (approximate,))


def logsigmoid(input):
    return apply(REGISTRY["_logsigmoid"], (input,), ())


def softshrink(input, lambd=0.5):
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return apply(REGISTRY["_softshrink"], (input,), (lambd,))


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.dim()
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")
    return apply(REGISTRY["_glu"], (input,), (d,))


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


# torch.X names (PyTorch exports these activations at the top level as well)
TORCH_API = {"selu": selu, "selu_": selu_, "celu": celu, "celu_": celu_, "threshold": threshold,
             "threshold_": threshold_, "hardshrink": hardshrink, "relu_": relu_}
