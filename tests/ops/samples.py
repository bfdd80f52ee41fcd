"""The op table: sample rows for every registered op (``torchlike._ops.registry.REGISTRY``).

A row names the spec it exercises (``op``), the public API to call (``fn``, default ``op``) and
its arguments: NumPy arrays become tensors (floating ones require grad unless ``grad`` says
which do), ``DT("float64")`` becomes each library's dtype, anything else is passed as is.
``harness.forms`` derives the function, method, in-place, ``out=`` and operator forms from
that; a row with ``call=lambda T, *args: ...`` tests exactly that callable instead (for
internal specs reached through ``x[idx]``, ``x.to(...)``, ``torch.var``, ...).

Shapes are reused across rows ((3, 4), (4,), (3, 1), ()) to keep XLA compilations few.
"""
import numpy as np

F32, F64, I64, I32, BOOL = np.float32, np.float64, np.int64, np.int32, np.bool_


class DT:
    """A dtype argument, resolved to ``torch.<name>`` or ``torchlike.<name>``."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


class Sample:
    def __init__(self, op, *args, fn=None, call=None, kw=None, grad=None, func=True, method=True, inplace=True,
                 out=True, dunder=True, backward=True, jax=True, tol=None, gtol=None, name="", covers=()):
        self.op, self.args, self.call, self.kw = op, args, call, kw or {}
        self.fn = fn or op
        if grad is None:
            grad = tuple(i for i, a in enumerate(args) if _is_float(a))
        self.grad = grad
        self.func, self.method, self.inplace, self.out, self.dunder = func, method, inplace, out, dunder
        self.backward, self.jax, self.tol, self.gtol = backward, jax, tol, gtol
        self.id = f"{op}-{name}" if name else op
        self.covers = (op,) + tuple(covers)  # specs this row exercises (in-place forms have their own)

    def __repr__(self):
        return self.id


def _is_float(a):
    if isinstance(a, list):
        return any(_is_float(x) for x in a)
    return isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.inexact)


_seed = [0]


def _rng():
    _seed[0] += 1
    return np.random.default_rng(_seed[0])


def r(*shape, lo=-2.0, hi=2.0, dtype=F32):
    """Uniform values away from zero (|x| >= 0.1), so kinks and poles are not sampled."""
    x = _rng().uniform(lo, hi, shape)
    if lo < 0 < hi:
        x = np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)
    return np.asarray(x).astype(dtype)


def pos(*shape, dtype=F32):
    return r(*shape, lo=0.5, hi=2.0, dtype=dtype)


def unit(*shape, dtype=F32):
    return r(*shape, lo=-0.9, hi=0.9, dtype=dtype)


def ints(*shape, lo=-5, hi=6, dtype=I64, nonzero=False):
    x = _rng().integers(lo, hi, shape)
    if nonzero:
        x = np.where(x == 0, 1, x)
    return x.astype(dtype)


def mask(*shape):
    return _rng().uniform(0, 1, shape) < 0.5


def special(*shape):
    """Values with nan, +-inf and zeros among ordinary ones."""
    x = r(*shape).reshape(-1)
    x[:4] = [np.nan, np.inf, -np.inf, 0.0]
    return x.reshape(shape)


S = Sample
ROWS = []


def rows(*samples):
    ROWS.extend(samples)


# -- pointwise: arithmetic ---------------------------------------------------------------------------
rows(
    S("add", r(3, 4), r(3, 4)), S("add", r(3, 4), r(4), name="bcast"), S("add", r(3, 4), 2.5, name="scalar"),
    S("add", r(3, 4), r(3, 1), kw={"alpha": 2}, name="alpha"), S("add", ints(3, 4), ints(3, 4), name="int"),
    S("add", ints(3, 4), 1.5, name="int-float"), S("add", r(3, 4), r(3, 4, dtype=F64), name="f32-f64"),
    S("add", r(3, 1), r(3, 4), name="bcast-inplace-error"),
    S("sub", r(3, 4), r(3, 4)), S("sub", r(3, 4), 2, name="scalar"), S("sub", r(3, 4), r(4), kw={"alpha": 3}, name="alpha"),
    S("sub", mask(3, 4), mask(3, 4), name="bool-error"),
    S("rsub", r(3, 4), r(3, 4)), S("rsub", r(3, 4), 2.0, name="scalar"),
    S("mul", r(3, 4), r(3, 4)), S("mul", r(3, 4), r(4), name="bcast"), S("mul", r(3, 4), 3, name="scalar"),
    S("mul", ints(3, 4), r(3, 4), name="int-float"), S("mul", r(3, 4), r(), name="0d"),
    S("div", r(3, 4), r(3, 4)), S("div", r(3, 4), 2.0, name="scalar"), S("div", ints(3, 4), ints(3, 4, nonzero=True), name="int"),
    S("div", r(3, 4), r(3, 4), kw={"rounding_mode": "floor"}, name="floor", covers=("_div_rounding",)),
    S("div", r(3, 4), r(3, 4), kw={"rounding_mode": "trunc"}, name="trunc"),
    S("div", ints(3, 4), ints(3, 4, nonzero=True), kw={"rounding_mode": "floor"}, name="int-floor"),
    S("div", ints(3, 4), ints(3, 4, nonzero=True), kw={"rounding_mode": "trunc"}, name="int-trunc"),
    S("div", r(3, 4), 2.0, kw={"rounding_mode": "floor"}, name="scalar-floor"),
    S("div", r(3, 4), r(3, 4), kw={"rounding_mode": "bad"}, name="bad-mode"),
    S("floor_divide", r(3, 4), r(3, 4)), S("floor_divide", ints(3, 4), ints(3, 4, nonzero=True), name="int"),
    S("floor_divide", r(3, 4), 2.0, name="scalar"),
    S("remainder", r(3, 4), r(3, 4)), S("remainder", ints(3, 4), ints(3, 4, nonzero=True), name="int"),
    S("remainder", r(3, 4), 1.5, name="scalar"),
    S("fmod", r(3, 4), r(3, 4)), S("fmod", ints(3, 4), ints(3, 4, nonzero=True), name="int"),
    S("fmod", r(3, 4), 1.5, name="scalar"),
    S("pow", pos(3, 4), r(3, 4)), S("pow", r(3, 4), 2, name="int-exp"), S("pow", pos(3, 4), 0.5, name="float-exp"),
    S("pow", ints(3, 4, lo=0), 2, name="int"), S("pow", r(3, 4), 3.0, name="scalar3"),
    S("square", r(3, 4)), S("square", ints(3, 4), name="int"),
    S("neg", r(3, 4)), S("neg", ints(3, 4), name="int"),
    S("abs", r(3, 4)), S("abs", ints(3, 4), name="int"),
)
rows(
    S("pow", 2.0, r(3, 4), name="scalar-base", method=False, call=lambda T, x: T.pow(2.0, x)),
    S("sub", r(3, 4), call=lambda T, x: 2 - x, name="rsub-dunder"),
    S("div", r(3, 4), call=lambda T, x: 2 / x, name="rdiv-dunder"),
    S("pow", r(3, 4), call=lambda T, x: 2 ** x, name="rpow-dunder"),
    S("neg", r(3, 4), call=lambda T, x: -x, name="dunder"),
    S("abs", r(3, 4), call=lambda T, x: abs(x), name="dunder"),
    S("abs", r(3, 4), call=lambda T, x: T.absolute(x), name="absolute"),
)

# -- pointwise: unary float functions ----------------------------------------------------------------
for _name, _gen in (("exp", r), ("exp2", r), ("expm1", r), ("log", pos), ("log2", pos), ("log10", pos),
                    ("log1p", pos), ("sqrt", pos), ("rsqrt", pos), ("sin", r), ("cos", r), ("tan", unit),
                    ("asin", unit), ("acos", unit), ("atan", r), ("sinh", r), ("cosh", r), ("tanh", r),
                    ("sigmoid", r), ("erf", r), ("reciprocal", r), ("erfinv", unit), ("frac", r)):
    rows(S(_name, _gen(3, 4)))
for _name in ("exp", "log", "sqrt", "sin", "sigmoid", "tanh", "reciprocal", "erfinv"):
    rows(S(_name, ints(3, 4, lo=1), name="int"))
rows(S("exp", r(3, 4, dtype=F64), name="f64"), S("log", r(3, 4), name="neg-nan"),
     S("sqrt", special(3, 4), name="special", backward=False))

# -- pointwise: rounding, sign, clamps, selections ----------------------------------------------------
rows(
    S("relu", r(3, 4)), S("relu", ints(3, 4), name="int"),
    S("floor", r(3, 4)), S("ceil", r(3, 4)), S("trunc", r(3, 4)), S("floor", ints(3, 4), name="int"),
    S("round", r(3, 4) * 3), S("round", r(3, 4) * 30, kw={"decimals": 1}, name="decimals"),
    S("sign", r(3, 4)), S("sign", ints(3, 4), name="int"), S("sgn", r(3, 4)),
    S("clamp", r(3, 4), -0.5, 0.5), S("clamp", r(3, 4), kw={"min": 0.0}, name="min"),
    S("clamp", r(3, 4), kw={"max": 0.3}, name="max"), S("clamp", r(3, 4), r(3, 4), r(3, 4) + 3, name="tensor"),
    S("clamp", ints(3, 4), -1, 2, name="int"), S("clamp", r(3, 4), name="neither"),
    S("clamp", r(3, 4), -0.5, 0.5, fn="clip", name="clip"),
    S("clamp_min", r(3, 4), 0.2), S("clamp_max", r(3, 4), 0.2), S("clamp_min", r(3, 4), r(3, 4), name="tensor"),
    S("where", mask(3, 4), r(3, 4), r(3, 4)), S("where", mask(3, 4), r(3, 4), 0.0, name="scalar"),
    S("where", mask(3, 4), r(4), r(3, 1), name="bcast"), S("where", mask(3, 4), ints(3, 4), r(3, 4), name="mixed"),
    S("maximum", r(3, 4), r(3, 4)), S("minimum", r(3, 4), r(4), name="bcast"), S("minimum", r(3, 4), r(3, 4)),
    S("fmax", special(3, 4), r(3, 4), backward=False), S("fmin", special(3, 4), r(3, 4), backward=False),
    S("fmax", r(3, 4), r(3, 4), name="grad"), S("fmin", r(3, 4), r(3, 4), name="grad"),
    S("atan2", r(3, 4), r(3, 4)), S("atan2", ints(3, 4), ints(3, 4), name="int"),
    S("lerp", r(3, 4), r(3, 4), 0.3), S("lerp", r(3, 4), r(3, 4), unit(3, 4), name="tensor-weight"),
    S("addcmul", r(3, 4), r(3, 4), r(3, 4)), S("addcmul", r(3, 4), r(3, 4), r(4), kw={"value": 0.5}, name="value"),
    S("addcdiv", r(3, 4), r(3, 4), r(3, 4)), S("addcdiv", r(3, 4), r(3, 4), r(4), kw={"value": 2}, name="value"),
    S("nan_to_num", special(3, 4)), S("nan_to_num", special(3, 4), 1.0, 9.0, -9.0, name="args"),
    S("isnan", special(3, 4)), S("isinf", special(3, 4)), S("isfinite", special(3, 4)),
)

# -- comparisons and logic -----------------------------------------------------------------------------
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    _a = r(3, 4)
    # (an int tensor compared in place with a float one stays out of the graph here; PyTorch records it)
    rows(S(_name, _a, np.where(mask(3, 4), _a, r(3, 4)), covers=("_" + _name + "_",)),
         S(_name, r(3, 4), 0.5, name="scalar"), S(_name, ints(3, 4), r(4), name="mixed", inplace=False))
for _name in ("logical_and", "logical_or", "logical_xor"):
    # x.logical_and_(y) on a float x is not differentiable: PyTorch (and torchlike) keep x's old
    # grad_fn, so x's gradient passes through unchanged, which replaying in JAX does not model
    rows(S(_name, mask(3, 4), mask(3, 4)), S(_name, r(3, 4), ints(3, 4), name="nonbool", jax=False))
rows(S("logical_not", mask(3, 4)), S("logical_not", ints(3, 4), name="int"))
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    rows(S(_name, ints(3, 4), ints(3, 4)), S(_name, mask(3, 4), mask(3, 4), name="bool"),
         S(_name, ints(3, 4), 3, name="scalar"), S(_name, r(3, 4), r(3, 4), name="float-error"))
rows(S("bitwise_not", ints(3, 4)), S("bitwise_not", mask(3, 4), name="bool"),
     S("bitwise_not", ints(3, 4), call=lambda T, x: ~x, name="dunder"))

# -- reductions -------------------------------------------------------------------------------------------
rows(
    S("sum", r(3, 4)), S("sum", r(3, 4), 1, name="dim"), S("sum", r(3, 4), (0, 1), True, name="dims-keep"),
    S("sum", r(3, 4), kw={"dim": -1, "keepdim": True}, name="kw"), S("sum", ints(3, 4), name="int"),
    S("sum", mask(3, 4), 0, name="bool"), S("sum", r(3, 4), kw={"dtype": DT("float64")}, name="dtype"),
    S("sum", r(3, 4), [], name="empty-dims"),
    S("nansum", special(3, 4) * 0 + r(3, 4)), S("nansum", ints(3, 4), 1, name="int"),
    S("mean", r(3, 4)), S("mean", r(3, 4), 0, name="dim"), S("mean", r(3, 4), (0, 1), True, name="dims-keep"),
    S("mean", ints(3, 4), name="int-error"), S("mean", ints(3, 4), kw={"dtype": DT("float32")}, name="int-dtype"),
    S("prod", r(3, 4)), S("prod", r(3, 4), 1, name="dim"), S("prod", r(3, 4), 0, True, name="keep"),
    S("prod", ints(3, 4), name="int"),
    S("amax", r(3, 4)), S("amax", r(3, 4), 1, name="dim"), S("amin", r(3, 4), (0, 1), name="dims"),
    S("amin", r(3, 4)),
    S("argmax", r(3, 4)), S("argmax", r(3, 4), 1, name="dim"), S("argmin", r(3, 4), 0, True, name="keep"),
    S("argmin", r(3, 4)), S("argmax", r(3, 4), kw={"keepdim": True}, name="keep-nodim"),
    S("logsumexp", r(3, 4), 1), S("logsumexp", r(3, 4), (0, 1), True, name="dims"),
    S("logsumexp", ints(3, 4), 1, name="int"),
    S("softmax", r(3, 4), 1), S("softmax", r(3, 4), 0, name="dim0"),
    S("softmax", r(3, 4), 1, DT("float64"), name="dtype"),
    S("log_softmax", r(3, 4), 1), S("log_softmax", r(3, 4), -1, name="neg-dim"),
    S("cumsum", r(3, 4), 1), S("cumsum", ints(3, 4), 0, name="int"),
    S("cumprod", r(3, 4), 1), S("cumprod", ints(3, 4), 0, name="int"),
    S("norm", r(3, 4)), S("norm", r(3, 4), 1, name="p1"), S("norm", r(3, 4), 2, 1, name="dim"),
    S("norm", r(3, 4), float("inf"), name="inf"), S("norm", r(3, 4), 3, 1, True, name="p3"),
    S("norm", r(3, 4), "fro", (0, 1), name="fro-dims"), S("norm", r(3, 4), "nuc", name="nuc", backward=False),
    S("all", mask(3, 4)), S("all", mask(3, 4), 1, name="dim"), S("all", r(3, 4), name="float"),
    S("any", mask(3, 4)), S("any", mask(3, 4), 0, True, name="keep"), S("any", ints(3, 4), 1, name="int"),
    S("count_nonzero", ints(3, 4)), S("count_nonzero", ints(3, 4), 1, name="dim"),
)
rows(
    S("_max", r(3, 4), fn="max"), S("_max", r(3, 4), 1, fn="max", name="dim"),
    S("_max", r(3, 4), 1, True, fn="max", name="keep"), S("_max", ints(3, 4), 0, fn="max", name="int"),
    S("_min", r(3, 4), fn="min"), S("_min", r(3, 4), 0, fn="min", name="dim"),
    S("_min", r(3, 4), kw={"dim": 1, "keepdim": True}, fn="min", name="kw"),
    S("maximum", r(3, 4), r(3, 4), fn="max", name="max-other"),
    S("_var", r(3, 4), fn="var"), S("_var", r(3, 4), 1, fn="var", name="dim"),
    S("_var", r(3, 4), 1, False, True, fn="var", name="biased-keep"),
    S("_var", r(3, 4), kw={"dim": (0, 1), "correction": 0}, fn="var", name="correction"),
    S("_var", r(3, 4), False, fn="var", name="unbiased-pos"),
    S("_std", r(3, 4), fn="std"), S("_std", r(3, 4), 0, fn="std", name="dim"),
    S("_std", r(3, 4), kw={"dim": 1, "correction": 2, "keepdim": True}, fn="std", name="correction"),
)

# -- linear algebra ---------------------------------------------------------------------------------------
rows(
    S("matmul", r(3, 4), r(4, 5)), S("matmul", r(4), r(4), name="vv"), S("matmul", r(3, 4), r(4), name="mv"),
    S("matmul", r(4), r(4, 5), name="vm"), S("matmul", r(2, 3, 4), r(4, 5), name="bm"),
    S("matmul", r(2, 3, 4), r(2, 4, 5), name="bb"), S("matmul", r(2, 3, 4), r(4), name="bv"),
    S("matmul", r(3, 4), r(2, 4, 5), name="mb"), S("matmul", r(3, 4), r(3, 4), name="mismatch"),
    S("matmul", ints(3, 4), ints(4, 5), name="int"),
    S("mm", r(3, 4), r(4, 5)), S("mm", r(3, 4), r(3, 4), name="mismatch"), S("mm", r(4), r(4, 5), name="1d"),
    S("bmm", r(2, 3, 4), r(2, 4, 5)), S("bmm", r(3, 4), r(4, 5), name="2d"),
    S("dot", r(4), r(4)), S("dot", r(4), r(5), name="mismatch"), S("dot", r(3, 4), r(4), name="2d"),
    S("mv", r(3, 4), r(4)), S("outer", r(4), r(3)), S("outer", r(4), r(3), fn="ger", name="ger"),
    S("addmm", r(3, 5), r(3, 4), r(4, 5)), S("addmm", r(5), r(3, 4), r(4, 5), kw={"beta": 0.5, "alpha": 2},
                                             name="bcast-scaled"),
    S("baddbmm", r(2, 3, 5), r(2, 3, 4), r(2, 4, 5)),
    S("baddbmm", r(3, 5), r(2, 3, 4), r(2, 4, 5), kw={"beta": 0.5, "alpha": 2}, name="scaled"),
    S("_tensordot", r(3, 4), r(4, 5), fn="tensordot", kw={"dims": 1}),
    S("_tensordot", r(2, 3, 4), r(3, 4), fn="tensordot", name="dims2"),
    S("_tensordot", r(2, 3, 4), r(4, 3), fn="tensordot", kw={"dims": ([1, 2], [1, 0])}, name="lists"),
    S("_einsum", r(3, 4), r(4, 5), call=lambda T, a, b: T.einsum("ij,jk->ik", a, b)),
    S("_einsum", r(3, 4), r(4, 5), call=lambda T, a, b: T.einsum("ij, jk", [a, b]), name="list"),
    S("_einsum", r(2, 3, 4), call=lambda T, a: T.einsum("bij->j", a), name="unary"),
)

# -- shape ----------------------------------------------------------------------------------------------
rows(
    S("reshape", r(3, 4), (4, 3)), S("reshape", r(3, 4), (-1,), name="infer"), S("reshape", r(3, 4), (5, -1), name="bad"),
    S("reshape", r(3, 4), call=lambda T, x: x.view(2, 6), name="view"),
    S("reshape", r(3, 4), call=lambda T, x: x.view(-1, 2, 3), name="view-infer"),
    S("reshape", r(3, 4), r(4, 3), call=lambda T, x, y: x.view_as(y), name="view-as"),
    S("reshape", r(3, 4), call=lambda T, x: x.reshape(2, -1, -1), name="two-infer"),
    S("reshape", r(2, 3, 4), call=lambda T, x: T.flatten(x, 1), name="flatten"),
    S("reshape", r(3, 4), call=lambda T, x: x.flatten(), name="flatten-method"),
    S("reshape", r(3, 4), call=lambda T, x: x.unflatten(1, (2, -1)), name="unflatten"),
    S("squeeze", r(3, 1), covers=("_inplace_squeeze",)), S("squeeze", r(3, 1), 1, name="dim"), S("squeeze", r(3, 1), 0, name="noop"),
    S("squeeze", r(3, 1), (0, 1), name="dims"),
    S("unsqueeze", r(3, 4), 0, covers=("_inplace_unsqueeze",)), S("unsqueeze", r(3, 4), -1, name="neg"), S("unsqueeze", r(3, 4), 3, name="bad"),
    S("t", r(3, 4), covers=("_inplace_t",)), S("t", r(4), name="1d"), S("t", r(2, 3, 4), name="3d"),
    S("transpose", r(3, 4), 0, 1, covers=("_inplace_transpose",)), S("transpose", r(2, 3, 4), -1, 0, name="neg"),
    S("transpose", r(3, 4), 0, 1, fn="swapaxes", name="swapaxes"),
    S("permute", r(2, 3, 4), (2, 0, 1)), S("permute", r(2, 3, 4), call=lambda T, x: x.permute(1, 2, 0), name="varargs"),
    S("permute", r(3, 4), call=lambda T, x: x.T, name="T"), S("permute", r(3, 4), call=lambda T, x: x.mT, name="mT"),
    S("_expand", r(3, 1), call=lambda T, x: x.expand(2, 3, 4)),
    S("_expand", r(3, 1), call=lambda T, x: x.expand(-1, 4), name="minus1"),
    S("_expand", r(3, 1), r(3, 4), call=lambda T, x, y: x.expand_as(y), name="as"),
    S("_expand", r(3, 1), call=lambda T, x: T.broadcast_to(x, (3, 4)), name="broadcast_to"),
    S("_expand", r(3, 4), call=lambda T, x: x.expand(2, 4), name="bad"),
    S("_repeat", r(3, 4), call=lambda T, x: x.repeat(2, 1)),
    S("_repeat", r(4), call=lambda T, x: x.repeat(2, 3), name="newdims"),
    S("repeat_interleave", r(3, 4), 2), S("repeat_interleave", r(3, 4), 2, 1, name="dim"),
    S("cat", [r(3, 4), r(3, 4)]), S("cat", [r(3, 4), r(3, 1)], 1, name="dim"), S("cat", [r(3, 4), r(3, 4)], -1, name="neg"),
    S("cat", [r(3, 4), r(3, 4, dtype=F64)], name="promote"), S("cat", [r(3, 4), r(3, 1)], name="bad"),
    S("cat", [r(3, 4), r(3, 4)], fn="concat", name="concat"),
    S("stack", [r(3, 4), r(3, 4)]), S("stack", [r(3, 4), r(3, 4)], 2, name="last"), S("stack", [r(3, 4), r(4)], name="bad"),
    S("cat", [r(4), r(4)], call=lambda T, a, b: T.hstack([a, b]), name="hstack"),
    S("cat", [r(4), r(4)], call=lambda T, a, b: T.vstack([a, b]), name="vstack"),
    S("_split_even", r(3, 4), call=lambda T, x: x.split(2, 1)),
    S("_split_even", r(3, 4), call=lambda T, x: T.chunk(x, 2, 1), name="chunk"),
    S("_split_even", r(3, 4), call=lambda T, x: T.split(x, 2), name="uneven"),
    S("_split_sizes", r(3, 4), call=lambda T, x: T.split(x, [1, 3], 1)),
    S("_split_sizes", r(3, 4), call=lambda T, x: x.split([1, 1], 0), name="bad"),
    S("_unbind", r(3, 4), call=lambda T, x: x.unbind(1)), S("_unbind", r(3, 4), call=lambda T, x: T.unbind(x), name="f"),
    S("flip", r(3, 4), (0,)), S("flip", r(3, 4), [0, 1], name="both"),
    S("roll", r(3, 4), 1, 0), S("roll", r(3, 4), (1, -1), (0, 1), name="multi"), S("roll", r(3, 4), 2, name="flat"),
    S("movedim", r(2, 3, 4), 0, 2), S("movedim", r(2, 3, 4), 0, 2, fn="moveaxis", name="moveaxis"),
    S("narrow", r(3, 4), 1, 1, 2), S("narrow", r(3, 4), 0, -2, 2, name="neg"),
    S("select", r(3, 4), 1, 2), S("select", r(3, 4), 0, -1, name="neg"), S("select", r(3, 4), 0, 3, name="bad"),
    S("tril", r(3, 4)), S("tril", r(3, 4), -1, name="diag"), S("triu", r(3, 4)), S("triu", r(3, 4), 1, name="diag"),
    S("diag", r(4)), S("diag", r(3, 4), name="2d"), S("diag", r(4), 1, name="offset"),
    S("diagonal", r(3, 4)), S("diagonal", r(2, 3, 4), 1, 1, 2, name="dims"),
    S("trace", r(3, 4)), S("clone", r(3, 4)), S("clone", ints(3, 4), name="int"),
)

# -- indexing --------------------------------------------------------------------------------------------
_idx = np.array([2, 0, 2], I64)
rows(
    S("_index", r(3, 4), call=lambda T, x: x[1], name="int"),
    S("_index", r(3, 4), call=lambda T, x: x[-1, 2], name="neg"),
    S("_index", r(3, 4), call=lambda T, x: x[:, 1:3], name="slice"),
    S("_index", r(3, 4), call=lambda T, x: x[::2, ::-1] if False else x[::2, 1::2], name="step"),
    S("_index", r(3, 4), call=lambda T, x: x[None, ..., 1], name="none-ellipsis"),
    S("_index", r(3, 4), call=lambda T, x: x[...], name="ellipsis"),
    S("_index", r(3, 4), call=lambda T, x: x[[0, 2]], name="list"),
    S("_index", r(3, 4), _idx, call=lambda T, x, i: x[i], name="tensor"),
    S("_index", r(3, 4), _idx, call=lambda T, x, i: x[1:, i[:2]], name="mixed"),
    S("_index", r(3, 4), _idx, call=lambda T, x, i: x[i, i + 1], name="two-adv"),
    S("_index", r(3, 4), mask(3, 4), call=lambda T, x, m: x[m], name="mask"),
    S("_index", r(3, 4), np.array([True, False, True]), call=lambda T, x, m: x[m, 1:], name="row-mask"),
    S("_index", r(3, 4), call=lambda T, x: x[3], name="oob"),
    S("_index", r(3, 4), call=lambda T, x: x[0, 0, 0], name="too-many"),
    S("_index", r(3, 4), call=lambda T, x: x[[0, 5]], name="oob-list"),
    S("_index", r(3, 4), call=lambda T, x: x[1.5], name="float", jax=False),
    S("_index", r(3, 4), call=lambda T, x: x[x > 0.5], name="mask-self"),
    S("_index", r(2, 3, 4), _idx, call=lambda T, x, i: x[:, i, 1:3], name="adv-middle"),
    S("_index", r(2, 3, 4), call=lambda T, x: x[[0, 1], :, [1, 2]], name="adv-split"),
    S("_index_put", r(3, 4), call=lambda T, x: _setitem(x * 2, 0, 0.0), name="scalar"),
    S("_index_put", r(3, 4), r(4), call=lambda T, x, v: _setitem(x * 1, 1, v), name="row"),
    S("_index_put", r(3, 4), r(3, 1), call=lambda T, x, v: _setitem(x + 0, (slice(None), slice(1, 3)), v),
      name="bcast"),
    S("_index_put", r(3, 4), r(3), call=lambda T, x, v: _setitem(x * 2, (slice(None), 2), v), name="col"),
    S("_index_put", r(3, 4), mask(3, 4), call=lambda T, x, m: _setitem(x * 2, m, 0.5), name="mask"),
    S("_index_put", r(3, 4), r(2, 4), call=lambda T, x, v: _setitem(x * 2, [0, 2], v), name="adv"),
    S("_index_put", r(3, 4), r(2, 3), call=lambda T, x, v: _setitem(x * 2, 0, v), name="bad-shape"),
    S("_index_put", r(3, 4), call=lambda T, x: _setitem(x, 0, 1.0), name="leaf-error"),
    S("_index_put", r(3, 4), r(2, 4), call=lambda T, x, v: x.index_put((T.tensor([0, 2]),), v), name="index_put"),
    S("_index_put", r(3, 4), r(2, 4), call=lambda T, x, v: x.index_put((T.tensor([0, 0]),), v, True),
      name="accumulate"),
    S("_gather", r(3, 4), 1, ints(3, 2, lo=0, hi=4), fn="gather"),
    S("_gather", r(3, 4), 0, ints(2, 4, lo=0, hi=3), fn="gather", name="dim0"),
    S("_gather", r(3, 4), 1, ints(3, 2, lo=0, hi=4, dtype=I32), fn="gather", name="int32-error"),
    S("_scatter", r(3, 4), 1, np.array([[0, 1], [2, 3], [1, 0]]), r(3, 2), fn="scatter"),
    S("_scatter", r(3, 4), 1, np.array([[0, 1], [2, 3], [1, 0]]), kw={"value": 2.0}, fn="scatter", name="value"),
    S("_scatter", r(3, 4), 1, np.array([[0, 0], [2, 2], [1, 1]]), r(3, 2), fn="scatter_add", name="add"),
    S("_scatter", r(3, 4), 1, np.array([[0, 0], [2, 2], [1, 1]]), r(3, 2), "sum", fn="scatter_reduce",
      name="reduce-sum"),
    # (amax/amin gradients: PyTorch splits them among ties with self, jax.vjp does not; no backward)
    S("_scatter", r(3, 4), 1, np.array([[0, 1], [2, 3], [1, 0]]), r(3, 2), "amax", fn="scatter_reduce",
      name="reduce-amax", backward=False),
    S("_index_select", r(3, 4), 1, np.array([3, 0, 3]), fn="index_select"),
    S("_index_select", r(3, 4), 0, _idx, fn="index_select", name="dim0"),
    S("_index_add", r(3, 4), 0, np.array([0, 2]), r(2, 4), fn="index_add"),
    S("_index_add", r(3, 4), 1, np.array([1, 1]), r(3, 2), kw={"alpha": 2}, fn="index_add", name="alpha"),
    S("masked_fill", r(3, 4), mask(3, 4), 0.5), S("masked_fill", r(3, 4), mask(4), -1.0, name="bcast"),
    S("masked_fill", r(3, 4), mask(3, 4), r(), name="tensor-value"),
    S("masked_fill", r(3, 4), ints(3, 4), 0.5, name="int-mask"),
    S("_index", r(3, 4), mask(3, 4), fn="masked_select", name="masked_select"),
    S("take", r(3, 4), np.array([[0, 5], [11, 3]])), S("take", r(3, 4), np.array([-1, 2]), name="neg"),
    S("_sort", r(3, 4), fn="sort"), S("_sort", r(3, 4), 0, True, fn="sort", name="desc"),
    S("_sort", r(3, 4), kw={"dim": 1, "descending": True, "stable": True}, fn="sort", name="kw"),
    S("_sort", ints(3, 4), fn="sort", name="int", kw={"stable": True}),
    S("_sort", r(3, 4), call=lambda T, x: T.argsort(x, 1, True), name="argsort"),
    S("_topk", r(3, 4), 2, fn="topk"), S("_topk", r(3, 4), 2, 0, False, fn="topk", name="smallest"),
    S("_topk", r(3, 4), 5, fn="topk", name="too-big"),
)


def _setitem(t, index, value):
    t[index] = value
    return t


# -- conversions ------------------------------------------------------------------------------------------
rows(
    S("_to_copy", r(3, 4), call=lambda T, x: x.to(T.float64)),
    S("_to_copy", r(3, 4), call=lambda T, x: x.double(), name="double"),
    S("_to_copy", r(3, 4), call=lambda T, x: x.to(dtype=T.float16), name="half", tol=(1e-3, 1e-3)),
    S("_to_copy", r(3, 4), call=lambda T, x: x.long(), name="long"),
    S("_to_copy", r(3, 4), call=lambda T, x: x.to("cpu", T.float64), name="device-dtype", jax=False),
    S("_to_copy", r(3, 4), call=lambda T, x: x.to(x), name="same", jax=False),
    S("_to_copy", r(3, 4), call=lambda T, x: x.to(T.float32, copy=True), name="copy"),
    S("_to_copy", r(3, 4), r(3, 4, dtype=F64), call=lambda T, x, y: x.type_as(y), name="type_as"),
    S("_to_copy", r(3, 4), call=lambda T, x: x.type(T.float64), name="type"),
    S("_to_copy", r(3, 4), call=lambda T, x: x.float(), name="float-same"),
    S("_to_copy", ints(3, 4), call=lambda T, x: x.float(), name="int-float"),
    S("_to_copy", ints(3, 4), call=lambda T, x: x.bool(), name="bool"),
    S("_fill", r(3, 4), call=lambda T, x: (x * 1).fill_(2.5)),
    S("_fill", r(3, 4), r(), call=lambda T, x, v: (x * 1).fill_(v), name="tensor"),
    S("_copy", r(3, 4), r(4), call=lambda T, x, s: (x * 1).copy_(s)),
    S("_copy", r(3, 4), r(3, 4, dtype=F64), call=lambda T, x, s: (x * 1).copy_(s), name="cast"),
    S("_zero", r(3, 4), call=lambda T, x: (x * 1).zero_()),
)
