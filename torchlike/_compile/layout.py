"""Physical layouts for a compiled step's state: which tensors the program should take and
return transposed, and the program rewritten to use them.

XLA's CPU convolutions want HWIO weights; PyTorch's API keeps OIHW, so a traced step transposes
every convolution weight in its forward, transposes the weight's gradient back, and updates
parameters and momentum in OIHW. XLA does not cancel transposes across that chain (measured:
the step then runs 1.16x slower than a JAX step that keeps its weights HWIO). This pass
re-evaluates the step's jaxpr with transposes deferred: a value is carried as ``(raw, perm)``
while only elementwise operations touch it, so a weight stored HWIO reaches the convolution
with no transpose at all, and its gradient, momentum and update stay HWIO to the program's
outputs. ``choose`` finds the state tensors for which that holds (what goes in HWIO comes out
HWIO); the compiled step stores those in ``_LayoutStorage`` and users still read OIHW.
"""
from jax import lax
from jax.extend import core as jcore

# primitives that act on each element alone: they commute with any transpose of all operands
_ELEMENTWISE = frozenset(
    "abs add add_any and clamp convert_element_type copy copy_p cos div eq erf exp exp2 expm1 ge gt "
    "integer_pow le log log1p logistic lt max min mul ne neg not or pow reduce_precision rsqrt select_n "
    "sign sin sqrt square sub tanh xor".split())
_CALLS = frozenset(("pjit", "jit", "closed_call"))
# reductions over ``axes``, and windowed operations whose parameters hold one entry per dimension:
# on a transposed operand they run on the raw array with their axes or windows permuted
_REDUCTIONS = frozenset("reduce_sum reduce_max reduce_min reduce_prod reduce_and reduce_or argmax argmin".split())
_WINDOWED = frozenset("reduce_window_sum reduce_window_max reduce_window_min select_and_scatter_add "
                      "select_and_gather_add".split())
_PER_DIM = ("window_dimensions", "window_strides", "padding", "base_dilation", "window_dilation")
_MIN_NDIM = 3  # 2-D transposes fold into XLA's dot; convolution weights are what pays


class _Deferred:
    """A value whose array is ``transpose(raw, perm)``, the transpose not yet emitted."""

    __slots__ = ("raw", "perm")

    def __init__(self, raw, perm):
        self.raw = raw
        self.perm = perm


def _compose(p, q):
    # transpose(transpose(x, p), q) == transpose(x, _compose(p, q))
    return tuple([p[i] for i in q])


def inverse(perm):
    inv = [0] * len(perm)
    for k, pk in enumerate(perm):
        inv[pk] = k
    return tuple(inv)


class _Emit:
    """Evaluation that builds the program: each rule binds real primitives."""

    @staticmethod
    def transpose(x, perm):
        return lax.transpose(x, perm)

    @staticmethod
    def bind(eqn, ins, params):
        out = eqn.primitive.bind(*ins, **params)
        return out if eqn.primitive.multiple_results else [out]


class _Trace:
    """Evaluation that only follows layouts (for ``choose``): values are avals, nothing is
    bound."""

    @staticmethod
    def transpose(x, perm):
        return x

    @staticmethod
    def bind(eqn, ins, params):
        return [v.aval for v in eqn.outvars]


def _materialize(v, how):
    return how.transpose(v.raw, v.perm) if v.__class__ is _Deferred else v


def _physical(v, perm, how):
    """``v``'s array in layout ``perm`` (the ``raw`` with ``transpose(raw, perm) == v``)."""
    if v.__class__ is _Deferred:
        if v.perm == perm:
            return v.raw
        v = how.transpose(v.raw, v.perm)
    return how.transpose(v, inverse(perm))


def _evaluate(jaxpr, consts, args, how):
    env = {}

    def read(a):
        return a.val if isinstance(a, jcore.Literal) else env[a]

    for v, x in zip(jaxpr.constvars, consts):
        env[v] = x
    for v, x in zip(jaxpr.invars, args):
        env[v] = x
    for eqn in jaxpr.eqns:
        ins = [read(a) for a in eqn.invars]
        name = eqn.primitive.name
        if name == "transpose":
            x, q = ins[0], tuple(eqn.params["permutation"])
            if x.__class__ is _Deferred:
                c = _compose(x.perm, q)
                outs = [x.raw if c == tuple(range(len(c))) else _Deferred(x.raw, c)]
            else:
                outs = [_Deferred(x, q)]
        elif name in _ELEMENTWISE and any(x.__class__ is _Deferred for x in ins):
            perm = next(x.perm for x in ins if x.__class__ is _Deferred)
            ins = [x if x.__class__ is not _Deferred and getattr(x, "ndim", 0) == 0 else _physical(x, perm, how)
                   for x in ins]
            outs = [_Deferred(how.bind(eqn, ins, eqn.params)[0], perm)]
        elif name in _REDUCTIONS and ins[0].__class__ is _Deferred:
            outs = [_reduce(eqn, ins[0], how)]
        elif name in _WINDOWED and _same_perm(ins):
            perm = ins[0].perm
            inv = inverse(perm)
            params = {k: (tuple(v[i] for i in inv) if k in _PER_DIM else v) for k, v in eqn.params.items()}
            outs = [_Deferred(how.bind(eqn, [x.raw for x in ins], params)[0], perm)]
        elif name == "conv_general_dilated":
            outs = [_convolution(eqn, [_materialize(x, how) for x in ins], how)]
        elif name in _CALLS:
            closed = eqn.params.get("jaxpr") or eqn.params["call_jaxpr"]
            outs = _evaluate(closed.jaxpr, closed.consts, ins, how)
        else:
            ins = [_materialize(x, how) for x in ins]
            outs = how.bind(eqn, ins, eqn.primitive.get_bind_params(eqn.params))
        for v, o in zip(eqn.outvars, outs):
            env[v] = o
    return [read(a) for a in jaxpr.outvars]


def _same_perm(ins):
    first = ins[0]
    return first.__class__ is _Deferred and all(x.__class__ is _Deferred and x.perm == first.perm for x in ins)


def _reduce(eqn, x, how):
    """A reduction of ``transpose(raw, perm)`` as a reduction of ``raw``: the same axes,
    renumbered, and the result still deferred (its kept axes keep their relative order)."""
    perm = x.perm
    axes = tuple(sorted(perm[a] for a in eqn.params["axes"]))
    kept_raw = [r for r in range(len(perm)) if r not in axes]
    kept = [perm[a] for a in range(len(perm)) if a not in eqn.params["axes"]]
    out = how.bind(eqn, [x.raw], dict(eqn.params, axes=axes))[0]
    q = tuple(kept_raw.index(r) for r in kept)
    return out if q == tuple(range(len(q))) else _Deferred(out, q)


def _convolution(eqn, ins, how):
    """XLA:CPU computes a convolution's result as (batch, spatial..., feature), row-major, and
    copies it when the program wants its dimensions in another order. The filter gradient is
    such a convolution (its "batch" is the weight's input channel), so it is emitted in that
    order and the permutation deferred: the ``.grad`` it becomes can then be stored as XLA made
    it."""
    spec = eqn.params["dimension_numbers"]
    out = spec.out_spec
    phys = (out[0], *out[2:], out[1])
    if phys == tuple(range(len(phys))):
        return how.bind(eqn, ins, eqn.params)[0]
    n = len(phys) - 2
    params = dict(eqn.params, dimension_numbers=spec._replace(out_spec=(0, n + 1, *range(1, n + 1))))
    return _Deferred(how.bind(eqn, ins, params)[0], tuple(phys.index(k) for k in range(len(phys))))


def _demands(jaxpr, names, found):
    """{input position: perm} for inputs some operation reads transposed by ``perm`` (a
    convolution weight read as HWIO): storing them so is the first guess ``choose`` tries."""
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name == "transpose":
            v = eqn.invars[0]
            if not isinstance(v, jcore.Literal) and v in names:
                found.setdefault(names[v], tuple(eqn.params["permutation"]))
        elif name in _CALLS:
            inner = (eqn.params.get("jaxpr") or eqn.params["call_jaxpr"]).jaxpr
            _demands(inner, {iv: names[v] for iv, v in zip(inner.invars, eqn.invars)
                             if not isinstance(v, jcore.Literal) and v in names}, found)
    return found


def choose(closed, ties, free_outs, in_layouts):
    """Layouts for a step's state. ``ties`` maps each input position whose tensor may change
    layout to the output position of its new value; ``free_outs`` are outputs with no input
    (a fresh ``.grad``); ``in_layouts`` ({position: perm}) say how inputs are stored now.
    Returns ({input: perm}, {output: perm}): a tied slot comes out in the layout it goes in, so
    the next call finds the same program, and it is transposed only where that layout lets its
    transposes cancel. Iterates to a fixed point: taking a weight HWIO is what makes its update
    come out HWIO."""
    layouts = dict(in_layouts)
    demands = _demands(closed.jaxpr, {v: i for i, v in enumerate(closed.jaxpr.invars)}, {})
    for i in ties:
        if i not in layouts and len(demands.get(i, ())) >= _MIN_NDIM:
            layouts[i] = inverse(demands[i])
    for _ in range(4):
        outs = _follow(closed, layouts)
        wanted = {i: _want(outs[o]) for i, o in ties.items()}
        if all(layouts.get(i) == w for i, w in wanted.items()):
            break
        layouts.update(wanted)
    else:
        outs = _follow(closed, layouts)
    out_layouts = {o: layouts.get(i) for i, o in ties.items()}
    out_layouts.update({o: _want(outs[o]) for o in free_outs})
    return {i: p for i, p in layouts.items() if p}, {o: p for o, p in out_layouts.items() if p}


def _follow(closed, layouts):
    args = [_Deferred(a, layouts[i]) if layouts.get(i) else a for i, a in enumerate(closed.in_avals)]
    return _evaluate(closed.jaxpr, closed.consts, args, _Trace)


def _want(v):
    return v.perm if v.__class__ is _Deferred and len(v.perm) >= _MIN_NDIM else None


def rewrite(closed, in_layouts, out_layouts):
    """The step's jaxpr as a function of flat arrays, inputs and outputs in the given layouts
    (None: PyTorch's), transposes deferred as the module docstring says."""

    def run(*flat):
        args = [_Deferred(a, in_layouts[i]) if in_layouts.get(i) else a for i, a in enumerate(flat)]
        outs = _evaluate(closed.jaxpr, closed.consts, args, _Emit)
        return [_physical(o, out_layouts[i], _Emit) if out_layouts.get(i) else _materialize(o, _Emit)
                for i, o in enumerate(outs)]
    return run


def used_inputs(jaxpr):
    """Positions of the inputs ``jaxpr`` reads (a program need not be passed the others)."""
    used = {v for eqn in jaxpr.eqns for v in eqn.invars if not isinstance(v, jcore.Literal)}
    used.update(v for v in jaxpr.outvars if not isinstance(v, jcore.Literal))
    return {i for i, v in enumerate(jaxpr.invars) if v in used}
