"""Elementwise ops: arithmetic, unary math, comparisons and logic. Broadcasting is jnp's,
which is PyTorch's."""
import jax
import jax.numpy as jnp

from .._storage import _meta
from .registry import op, REGISTRY, _finish_out
from .._tensor import Tensor
from ..autograd.record import apply


def _is_tensor(x):
    return isinstance(x, Tensor)


# -- arithmetic ------------------------------------------------------------------------------------
@op("AddBackward0", nt=3, cast=(0, 1), saves=(), inplace=True, dunder="add")
def add(input, other, *, alpha=1):
    return input + other if isinstance(alpha, int) and alpha == 1 else input + alpha * other


def _sub_name(args, statics):
    return "SubBackward0" if _is_tensor(args[0]) else "RsubBackward1"


_BOOL_SUB = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
             "`logical_xor()` operator instead.")


@op(_sub_name, nt=3, cast=(0, 1), saves=(), inplace=True, dunder="sub")
def sub(input, other, *, alpha=1):
    if input.dtype == jnp.bool_:
        raise RuntimeError(_BOOL_SUB)
    return input - other if isinstance(alpha, int) and alpha == 1 else input - alpha * other


subtract = sub


@op(lambda a, s: "RsubBackward0" if _is_tensor(a[1]) else "RsubBackward1", nt=3, cast=(0, 1), saves=())
def rsub(input, other, *, alpha=1):
    return other - alpha * input


@op("MulBackward0", nt=2, saves={0: (1,), 1: (0,)}, inplace=True, dunder="mul")
def mul(input, other):
    return input * other


multiply = mul


def _div_name(args, statics):
    return "DivBackward0" if _is_tensor(args[0]) else "MulBackward0"


@op(_div_name, nt=2, promote="float", saves={0: (1,), 1: (0, 1)}, inplace=True, dunder="truediv", name="div")
def _true_div(input, other):
    return input / other


@op("DivBackward2", nt=2, method=False, out=False, func=False)
def _div_rounding(input, other, rounding_mode):
    if rounding_mode == "trunc":
        if jnp.issubdtype(input.dtype, jnp.inexact):
            return jnp.trunc(input / other)
        return jax.lax.div(*jnp.broadcast_arrays(input, other))
    return jnp.floor_divide(input, other)


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return _true_div(input, other, out=out)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return _finish_out(out, apply(REGISTRY["_div_rounding"], (input, other), (rounding_mode,)))


def _div_(self, other, *, rounding_mode=None):
    self._check_inplace()
    return self._set_result(div(self, other, rounding_mode=rounding_mode))


divide = true_divide = div
Tensor.div = Tensor.divide = Tensor.true_divide = div
Tensor.div_ = Tensor.divide_ = Tensor.true_divide_ = _div_


# PyTorch records floor_divide but has no derivative for it: backward through it raises
# (autograd/engine.py, _check_saved)
@op("torch::autograd::NotImplemented", nt=2, inplace=True, dunder="floordiv")
def floor_divide(input, other):
    return jnp.floor_divide(input, other)


def _scalar_overload(base):
    """Name of the Tensor-Scalar (0) or Tensor-Tensor (1) overload; Scalar-Tensor has no derivative."""
    def name(args, statics):
        if not _is_tensor(args[0]):
            return "torch::autograd::NotImplemented"
        return base + ("1" if _is_tensor(args[1]) else "0")
    return name


@op(_scalar_overload("RemainderBackward"), nt=2, inplace=True, dunder="mod")
def remainder(input, other):
    return jnp.remainder(input, other)


@op(_scalar_overload("FmodBackward"), nt=2, inplace=True)
def fmod(input, other):
    return jnp.fmod(input, other)


def _pow_name(args, statics):
    if not _is_tensor(args[0]):
        return "PowBackward2"
    return "PowBackward1" if _is_tensor(args[1]) else "PowBackward0"


@op(_pow_name, nt=2, inplace=True, dunder="pow")
def pow(input, exponent):
    return jnp.power(input, exponent)


@op("PowBackward0", inplace=True)
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
    # where, not maximum: PyTorch's gradient at 0 is 0, maximum's VJP splits ties in half
    return jnp.where(input > 0, input, jnp.zeros((), input.dtype))


def _rounding(name, fn):
    fn.__name__ = name
    return op(name.capitalize() + "Backward0", promote=None, saves=(), inplace=True)(fn)


floor = _rounding("floor", lambda input: jnp.floor(input))
ceil = _rounding("ceil", lambda input: jnp.ceil(input))
trunc = _rounding("trunc", lambda input: jnp.trunc(input))
fix = trunc
frac = _unary("frac", lambda input: input - jnp.trunc(input), "FracBackward0", promote=None, saves=())


@op(lambda a, s: "RoundBackward1" if s[0] else "RoundBackward0", promote=None, saves=(), inplace=True)
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
    # where, not maximum/minimum/clip: PyTorch passes the gradient at the bounds themselves
    if min is not None:
        input = jnp.where(input < min, min, input)
    if max is not None:
        input = jnp.where(input > max, max, input)
    return input


clip = clamp
Tensor.clip = clamp
Tensor.clip_ = Tensor.clamp_


@op(_scalar_overload("ClampMinBackward"), nt=2, inplace=True)
def clamp_min(input, min):
    return jnp.where(input < min, min, input)


@op(_scalar_overload("ClampMaxBackward"), nt=2, inplace=True)
def clamp_max(input, max):
    return jnp.where(input > max, max, input)


@op("WhereBackward0", nt=3, cast=(1, 2), saves=(0,), method=lambda self, condition, other: where(condition, self, other))
def where(condition, input, other):
    if condition.dtype != jnp.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_legacy(condition.dtype)}")
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


@op(lambda a, s: "LerpBackward1" if _is_tensor(a[2]) else "LerpBackward0", nt=3, inplace=True)
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


def _ordered(name, f):
    def compare(input, other):
        if jnp.issubdtype(input.dtype, jnp.complexfloating):
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_legacy(input.dtype)}\'')
        return f(input, other)
    return compare


lt = _compare("lt", _ordered("lt", lambda input, other: input < other))
le = _compare("le", _ordered("le", lambda input, other: input <= other))
gt = _compare("gt", _ordered("gt", lambda input, other: input > other))
ge = _compare("ge", _ordered("ge", lambda input, other: input >= other))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _compare_inplace(name, fn):
    """``x.eq_(y)`` writes 0/1 in x's dtype; PyTorch records it (EqBackward1 against a tensor,
    EqBackward0 against a scalar) with a zero gradient, which jax.vjp of the cast also gives."""
    def impl(input, other, dtype):
        return fn(input, other).astype(dtype)
    impl.__name__ = "_" + name + "_"
    base = name.capitalize() + "Backward"
    spec = op(lambda a, s: base + ("1" if _is_tensor(a[1]) else "0"), nt=2, saves=(), method=False, out=False,
              func=False, name="_" + name + "_")(impl)

    def method(self, other):
        self._check_inplace()
        return self._set_result(apply(REGISTRY["_" + name + "_"], (self, other), (_meta(self).dtype,)))
    method.__name__ = name + "_"
    setattr(Tensor, name + "_", method)
    return spec


for _name, _f in (("eq", jnp.equal), ("ne", jnp.not_equal), ("lt", jnp.less), ("le", jnp.less_equal),
                  ("gt", jnp.greater), ("ge", jnp.greater_equal)):
    _compare_inplace(_name, _f)
Tensor.greater_, Tensor.greater_equal_, Tensor.less_, Tensor.less_equal_, Tensor.not_equal_ = (
    Tensor.gt_, Tensor.ge_, Tensor.lt_, Tensor.le_, Tensor.ne_)


def _cmp_dunder(f):
    def method(self, other):
        if not isinstance(other, (Tensor, int, float, bool, complex)):
            return NotImplemented
        return f(self, other)
    return method


for _name, _f in (("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge)):
    setattr(Tensor, f"__{_name}__", _cmp_dunder(_f))
Tensor.__hash__ = lambda self: id(self)


@op(None, nt=2, promote=None, inplace=True)
def logical_and(input, other):
    return jnp.logical_and(input, other)


@op(None, nt=2, promote=None, inplace=True)
def logical_or(input, other):
    return jnp.logical_or(input, other)


@op(None, nt=2, promote=None, inplace=True)
def logical_xor(input, other):
    return jnp.logical_xor(input, other)


@op(None, promote=None, inplace=True)
def logical_not(input):
    return jnp.logical_not(input)


def _bitwise_check(x, name):
    if jnp.issubdtype(x.dtype, jnp.inexact):
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_legacy(x.dtype)}\'')
    return x


@op(None, nt=2, inplace=True, dunder="and")
def bitwise_and(input, other):
    return jnp.bitwise_and(_bitwise_check(input, "bitwise_and"), other)


@op(None, nt=2, inplace=True, dunder="or")
def bitwise_or(input, other):
    return jnp.bitwise_or(_bitwise_check(input, "bitwise_or"), other)


@op(None, nt=2, inplace=True, dunder="xor")
def bitwise_xor(input, other):
    return jnp.bitwise_xor(_bitwise_check(input, "bitwise_xor"), other)


@op(None, inplace=True)
def bitwise_not(input):
    return jnp.invert(_bitwise_check(input, "bitwise_not"))


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


def _legacy(np_dtype):
    from .. import _dtype
    from .._tensor import _legacy_name
    return _legacy_name(_dtype._BY_NP[np_dtype])
