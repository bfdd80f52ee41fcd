"""The op declaration. One ``@op`` entry gives the ``torchlike.X`` function, the ``Tensor.X``
method, the in-place ``Tensor.X_``, the operator dunders and the ``grad_fn`` name.

An op's implementation is a pure JAX function whose first ``nt`` parameters are tensors (or
Python scalars promoted like tensors) and whose remaining parameters are static (dims, flags).
Its parameter names and defaults are PyTorch's: the public wrapper is generated with the same
signature, so keyword calls behave as in PyTorch.

Fields of ``@op``:
  grad      grad_fn name (``"MulBackward0"``), a function (args, statics) -> name for ops whose
            name depends on the overload PyTorch picks, or None for non-differentiable ops.
  nt        how many leading parameters are tensors.
  promote   "same": compute in torch's promoted dtype; "float": same but integers become the
            default float; None: the implementation handles dtypes itself.
  saves     indices of tensor parameters the VJP reads (None: all). They are what the tape keeps
            alive and what the in-place modification error checks; unsaved inputs are passed to
            the VJP as zeros, so a wrong entry shows up as a wrong gradient in tests.
  saves_out PyTorch saves the result (exp, tanh, sigmoid, ...): modifying it in place before
            backward raises PyTorch's error, although torchlike recomputes it from the input.
  cast      indices of the tensor parameters that take part in promotion and are cast to the
            compute dtype (None: all); ``where``'s condition and ``add``'s alpha do not.
  edges     indices of the tensor parameters PyTorch differentiates, i.e. the entries of
            ``grad_fn.next_functions`` (None: those in ``cast``, else all); index and mask
            arguments and Scalar-only ones (``alpha``) are not edges.
  seq       the first parameter is a sequence of tensors (cat, stack).
  method    also a Tensor method (True), or a replacement method function.
  inplace   also a ``Tensor.X_`` method.
  dunder    "add" gives __add__, __radd__ and (with inplace) __iadd__.
  out       accept ``out=`` (most functions do in PyTorch).
"""
import inspect

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.node import node_class
from ..autograd.record import apply

REGISTRY = {}


class OpSpec:
    __slots__ = ("name", "fn", "grad_name", "nt", "promote", "cast", "saves", "saves_out", "seq",
                 "edges", "public", "doc", "__weakref__")

    def __init__(self, name, fn, grad, nt, promote, cast, saves, saves_out=False, seq=False):
        self.name, self.fn, self.grad_name, self.nt = name, fn, grad, nt
        self.promote, self.cast, self.saves, self.saves_out, self.seq = promote, cast, saves, saves_out, seq
        self.edges = cast

    node_class = staticmethod(node_class)

    def __repr__(self):
        return f"<op {self.name}>"


def _generate(spec, params, with_out):
    """Source for a wrapper with the implementation's exact signature."""
    names, sig_parts, defaults = [], [], {}
    kwonly_started = False
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and not kwonly_started:
            sig_parts.append("*")
            kwonly_started = True
        if p.kind is p.VAR_POSITIONAL:
            sig_parts.append("*" + p.name)
            kwonly_started = True
        elif p.default is p.empty:
            sig_parts.append(p.name)
        else:
            defaults["_d" + str(i)] = p.default
            sig_parts.append(f"{p.name}=_d{i}")
        names.append(p.name)
    # PyTorch also accepts NumPy's names: sum(x, axis=1, keepdims=True)
    aliases = [(a, n) for a, n in (("axis", "dim"), ("keepdims", "keepdim")) if n in names]
    if with_out or aliases:
        if not kwonly_started:
            sig_parts.append("*")
        if with_out:
            sig_parts.append("out=None")
        sig_parts.extend(f"{a}=None" for a, _ in aliases)
    tensors = names[:spec.nt]
    statics = names[spec.nt:]
    targs = f"tuple({tensors[0]})" if spec.seq else "(" + "".join(t + ", " for t in tensors) + ")"
    sargs = "(" + "".join(s + ", " for s in statics) + ")"
    call = f"_apply(_spec, {targs}, {sargs})"
    body = "".join(f"    if {a} is not None: {n} = {a}\n" for a, n in aliases)
    body += f"    return _out(out, {call})\n" if with_out else f"    return {call}\n"
    src = f"def {spec.name}({', '.join(sig_parts)}):\n{body}"
    return src, defaults, targs, sargs, sig_parts


def _finish_out(out, result):
    if out is None:
        return result
    if result._node is not None and grad_mode.state.enabled:
        raise RuntimeError(f"{_spec_name(result)}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out.shape != result.shape:
        out._s[0] = result._s[0].astype(out._s[0].dtype)
        out._v[0] += 1
        return out
    return out._set_result(result)


def _spec_name(result):
    return result._node.name() if result._node is not None else "op"


def op(grad=None, *, nt=1, promote="same", cast=None, saves=None, saves_out=False, seq=False, method=True,
       inplace=False, dunder=None, out=True, name=None, func=True, edges=None):
    def declare(fn):
        spec = OpSpec(name or fn.__name__, fn, grad, nt, promote, cast, saves, saves_out, seq)
        if edges is not None:
            spec.edges = edges
        params = list(inspect.signature(fn).parameters.values())
        if any(p.kind is p.KEYWORD_ONLY for p in params):
            names = [p.name for p in params]
            spec.fn = lambda *xs: fn(**dict(zip(names, xs)))  # runs only while jax traces
        src, defaults, targs, sargs, sig_parts = _generate(spec, params, out)
        ns = {"_apply": apply, "_spec": spec, "_out": _finish_out, **defaults}
        exec(src, ns)
        public = ns[spec.name]
        public.__doc__ = fn.__doc__
        public.__qualname__ = spec.name
        public.__module__ = "torchlike"
        spec.public = public
        spec.doc = fn.__doc__
        REGISTRY[spec.name] = spec
        if method:
            setattr(Tensor, spec.name, method if callable(method) else public)
        if inplace:
            parts = [p for p in sig_parts if p != "out=None"]
            if parts and parts[-1] == "*":
                parts.pop()
            inplace_src = (f"def {spec.name}_({', '.join(parts)}):\n"
                           f"    {params[0].name}._check_inplace()\n"
                           f"    return {params[0].name}._set_result({src.split('return ')[-1].strip()})\n")
            inplace_src = inplace_src.replace("_out(out, ", "(")
            inplace_src = inplace_src.replace("    return " + params[0].name + "._set_result(", "".join(
                f"    if {a} is not None: {n} = {a}\n" for a, n in (("axis", "dim"), ("keepdims", "keepdim"))
                if n in [p.name for p in params] and f"{a}=None" in parts) + "    return " + params[0].name + "._set_result(", 1)
            exec(inplace_src, ns)
            setattr(Tensor, spec.name + "_", ns[spec.name + "_"])
        if dunder:
            _dunders(spec, dunder, inplace)
        return public if func else fn
    return declare


def _dunders(spec, dunder, inplace):
    f = spec.public

    def forward(self, other):
        if not _operand(other):
            return NotImplemented
        return f(self, other)

    def reflected(self, other):
        if not _operand(other):
            return NotImplemented
        return f(other, self)

    setattr(Tensor, f"__{dunder}__", forward)
    setattr(Tensor, f"__r{dunder}__", reflected)
    if inplace:
        inplace_method = getattr(Tensor, spec.name + "_")

        def iop(self, other):
            if not _operand(other):
                return NotImplemented
            return inplace_method(self, other)
        setattr(Tensor, f"__i{dunder}__", iop)


def _operand(x):
    return isinstance(x, (Tensor, int, float, complex))


def call(spec, args, statics=()):
    """Calls a registered op from other op code (composite ops)."""
    return apply(spec, args, statics)
