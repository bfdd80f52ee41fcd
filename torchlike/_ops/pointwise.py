"""Elementwise ops: arithmetic, unary math, comparisons and logic. Broadcasting is jnp's,
which is PyTorch's."""
import jax
import jax.numpy as jnp

from .registry import op
from .._tensor import Tensor


def _is_tensor(x):
    return isinstance(x, Tensor)


# -- arithmetic ------------------------------------------------------------------------------------
@op("AddBackward0", nt=3, cast=(0, 1), saves=(), inplace=True, dunder="add")
def add(input, other, *, alpha=1):
    return input + other if isinstance(alpha, int) and alpha == 1 else input + alpha * other


def _sub_name(args, statics):
    return "SubBackward0" if _is_tensor(args[0]) else "RsubBackward1"


@op(_sub_name, nt=3, cast=(0, 1), saves=(), inplace=True, dunder="sub")
def sub(input, other, *, alpha=1):
    return input - other if isinstance(alpha, int) and alpha == 1 else input - alpha * other


subtract = sub


@op(lambda a, s: "RsubBackward0" if _is_tensor(a[1]) else "RsubBackward1", nt=3, cast=(0, 1), saves=())
def rsub(input, other, *, alpha=1):
    return other - alpha * input


@op("MulBackward0", nt=2, inplace=True, dunder="mul")
def mul(input, other):
    return input * other


multiply = mul


def _div_name(args, statics):
    if statics and statics[0] is not None:
        return "DivBackward1"
    return "DivBackward0" if _is_tensor(args[0]) else "MulBackward0"


@op(_div_name, nt=2, promote="float", inplace=True, dunder="truediv")
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return input / other
    if rounding_mode == "trunc":
        return jnp.trunc(input / other) if jnp.issubdtype(input.dtype, jnp.inexact) else \
            jax.lax.div(*jnp.broadcast_arrays(input, other))
    if rounding_mode == "floor":
        return jnp.floor_divide(input, other)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


divide = div
true_divide = div


@op("FloorDivideBackward0", nt=2, inplace=True, dunder="floordiv")
def floor_divide(input, other):
    return jnp.floor_divide(input, other)


@op("RemainderBackward0", nt=2, inplace=True, dunder="mod")
def remainder(input, other):
    return jnp.remainder(input, other)


@op("FmodBackward0", nt=2, inplace=True)
def fmod(input, other):
    return jnp.fmod(input, other)


def _pow_name(args, statics):
    if not _is_tensor(args[0]):
        return "PowBackward2"
    return "PowBackward1" if _is_tensor(args[1]) else "PowBackward0"


@op(_pow_name, nt=2, inplace=True, dunder="pow")
def pow(input, exponent):
    return jnp.power(input, exponent)


@op("PowBackward0")
def square(input):
    return input * input


@op("NegBackward0", saves=(), inplace=True)
def neg(input):
    return -input


negative = neg
Tensor.__neg__ = neg
Tensor.__pos__ = lambda self: self


@op("AbsBackward0", inplace=True)
def abs(input):
    return jnp.abs(input)


absolute = abs
Tensor.__abs__ = abs


def _unary(name, fn, grad, promote="float", saves=None, saves_out=False):
    """Declares a one-input float op (exp, sin, ...) with its in-place form."""
    fn.__name__ = name
    return op(grad, promote=promote, saves=saves, saves_out=saves_out, inplace=True)(fn)


exp = _unary("exp", lambda input: jnp.exp(input), "ExpBackward0", saves_out=True)
exp2 = _unary("exp2", lambda input: jnp.exp2(input), "Exp2Backward0", saves_out=True)
expm1 = _unary("expm1", lambda input: jnp.expm1(input), "Expm1Backward0", saves_out=True)
log = _unary("log", lambda input: jnp.log(input), "LogBackward0")
log2 = _unary("log2", lambda input: jnp.log2(input), "Log2Backward0")
log10 = _unary("log10", lambda input: jnp.log10(input), "Log10Backward0")
log1p = _unary("log1p", lambda input: jnp.log1p(input), "Log1PBackward0")
sqrt = _unary("sqrt", lambda input: jnp.sqrt(input), "SqrtBackward0", saves_out=True)
rsqrt = _unary("rsqrt", lambda input: jax.lax.rsqrt(input), "RsqrtBackward0", saves_out=True)
sin = _unary("sin", lambda input: jnp.sin(input), "SinBackward0")
cos = _unary("cos", lambda input: jnp.cos(input), "CosBackward0")
tan = _unary("tan", lambda input: jnp.tan(input), "TanBackward0", saves_out=True)
asin = _unary("asin", lambda input: jnp.arcsin(input), "AsinBackward0")
acos = _unary("acos", lambda input: jnp.arccos(input), "AcosBackward0")
atan = _unary("atan", lambda input: jnp.arctan(input), "AtanBackward0")
sinh = _unary("sinh", lambda input: jnp.sinh(input), "SinhBackward0")
cosh = _unary("cosh", lambda input: jnp.cosh(input), "CoshBackward0")
tanh = _unary("tanh", lambda input: jnp.tanh(input), "TanhBackward0", saves_out=True)
sigmoid = _unary("sigmoid", lambda input: jax.nn.sigmoid(input), "SigmoidBackward0", saves_out=True)
erf = _unary("erf", lambda input: jax.scipy.special.erf(input), "ErfBackward0")
reciprocal = _unary("reciprocal", lambda input: 1 / input, "ReciprocalBackward0", saves_out=True)
arcsin, arccos, arctan = asin, acos, atan


@op("ReluBackward0", promote=None, saves_out=True, inplace=True)
def relu(input):
    return jnp.maximum(input, jnp.zeros((), input.dtype))


def _rounding(name, fn):
    fn.__name__ = name
    return op(name.capitalize() + "Backward0", promote=None, saves=(), inplace=True)(fn)


floor = _rounding("floor", lambda input: jnp.floor(input))
ceil = _rounding("ceil", lambda input: jnp.ceil(input))
trunc = _rounding("trunc", lambda input: jnp.trunc(input))
fix = trunc
frac = _unary("frac", lambda input: input - jnp.trunc(input), "FracBackward0", promote=None, saves=())


@op("RoundBackward0", promote=None, saves=(), inplace=True)
def round(input, *, decimals=0):
    return jnp.round(input, decimals)


@op("SignBackward0", promote=None, saves=(), inplace=True)
def sign(input):
    return jnp.sign(input)


@op("SgnBackward0", promote=None, inplace=True)
def sgn(input):
    return jnp.sign(input)


def _clamp_name(args, statics):
    return "ClampBackward0" if _is_tensor(args[1]) or _is_tensor(args[2]) else "ClampBackward1"


@op(_clamp_name, nt=3, inplace=True)
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if min is not None:
        input = jnp.maximum(input, min) if max is None else input
    if max is not None:
        input = jnp.minimum(input, max) if min is None else jnp.clip(input, min, max)
    return input


clip = clamp
Tensor.clip = clamp
Tensor.clip_ = Tensor.clamp_


@op("ClampMinBackward0", nt=2, inplace=True)
def clamp_min(input, min):
    return jnp.maximum(input, min)


@op("ClampMaxBackward0", nt=2, inplace=True)
def clamp_max(input, max):
    return jnp.minimum(input, max)


@op("WhereBackward0", nt=3, cast=(1, 2), saves=(0,))
def where(condition, input, other):
    return jnp.where(condition, input, other)


@op("MaximumBackward0", nt=2)
def maximum(input, other):
    return jnp.maximum(input, other)


@op("MinimumBackward0", nt=2)
def minimum(input, other):
    return jnp.minimum(input, other)


@op("FmaxBackward0", nt=2)
def fmax(input, other):
    return jnp.fmax(input, other)


@op("FminBackward0", nt=2)
def fmin(input, other):
    return jnp.fmin(input, other)


@op("Atan2Backward0", nt=2, promote="float", inplace=True)
def atan2(input, other):
    return jnp.arctan2(input, other)


arctan2 = atan2


@op("LerpBackward1", nt=3, inplace=True)
def lerp(input, end, weight):
    return input + weight * (end - input)


@op("AddcmulBackward0", nt=4, cast=(0, 1, 2), inplace=True)
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@op("AddcdivBackward0", nt=4, cast=(0, 1, 2), inplace=True)
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


@op("ErfinvBackward0", promote="float", inplace=True)
def erfinv(input):
    return jax.scipy.special.erfinv(input)


# -- comparisons and logic: never differentiable -----------------------------------------------------
def _compare(name, fn, dunder=None):
    fn.__name__ = name
    return op(None, nt=2, inplace=False, dunder=None)(fn)


eq = _compare("eq", lambda input, other: input == other)
ne = _compare("ne", lambda input, other: input != other)
lt = _compare("lt", lambda input, other: input < other)
le = _compare("le", lambda input, other: input <= other)
gt = _compare("gt", lambda input, other: input > other)
ge = _compare("ge", lambda input, other: input >= other)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _cmp_dunder(f):
    def method(self, other):
        if not isinstance(other, (Tensor, int, float, bool, complex)):
            return NotImplemented
        return f(self, other)
    return method


for _name, _f in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
    setattr(Tensor, f"__{_name}__", _cmp_dunder(_f))
Tensor.__hash__ = lambda self: id(self)


@op(None, nt=2, promote=None)
def logical_and(input, other):
    return jnp.logical_and(input, other)


@op(None, nt=2, promote=None)
def logical_or(input, other):
    return jnp.logical_or(input, other)


@op(None, nt=2, promote=None)
def logical_xor(input, other):
    return jnp.logical_xor(input, other)


@op(None, promote=None)
def logical_not(input):
    return jnp.logical_not(input)


def _bitwise_check(x):
    if jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f'"bitwise_and_cpu" not implemented for \'{"Float" if x.dtype == jnp.float32 else x.dtype}\'')


@op(None, nt=2, inplace=True, dunder="and")
def bitwise_and(input, other):
    return jnp.bitwise_and(input, other)


@op(None, nt=2, inplace=True, dunder="or")
def bitwise_or(input, other):
    return jnp.bitwise_or(input, other)


@op(None, nt=2, inplace=True, dunder="xor")
def bitwise_xor(input, other):
    return jnp.bitwise_xor(input, other)


@op(None, inplace=True)
def bitwise_not(input):
    return jnp.invert(input)


Tensor.__invert__ = bitwise_not


@op(None, promote=None)
def isnan(input):
    return jnp.isnan(input)


@op(None, promote=None)
def isinf(input):
    return jnp.isinf(input)


@op(None, promote=None)
def isfinite(input):
    return jnp.isfinite(input)


@op("NanToNumBackward0", promote=None, inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)
