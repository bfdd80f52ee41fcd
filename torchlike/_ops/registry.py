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
            the VJP as zeros, so a wrong entry shows up as a wrong gradient in tests. A dict
            {index: indices of the inputs whose gradients read it} keeps an input only where one
            of those requires grad, as PyTorch saves ``other`` of ``a * other`` only for ``a``'s
            gradient (modifying it in place is then no error when ``a`` needs none). The spec
            keeps either form as {index: bit mask of those inputs} (-1: any input).
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

from .._storage import _meta
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
        self.promote, self.cast, self.saves_out, self.seq = promote, cast, saves_out, seq
        self.saves = None if saves is None else \
            {i: sum(1 << j for j in saves[i]) if isinstance(saves, dict) else -1 for i in saves}
        self.edges = cast

    node_class = staticmethod(node_class)

    def __repr__(self):
        return f"<op {self.name}>"


_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))  # PyTorch also takes NumPy's names


class _Source:
    """The pieces every generated wrapper of one op shares: its signature (the
    implementation's, plus ``out=`` and the NumPy aliases), the lines applying the aliases, and
    the ``_apply`` call expression."""

    def __init__(self, spec, params, with_out):
        names, sig, self.defaults = [], [], {}
        kwonly = False
        for i, p in enumerate(params):
            if p.kind is p.KEYWORD_ONLY and not kwonly:
                sig.append("*")
                kwonly = True
            if p.default is p.empty:
                sig.append(p.name)
            else:
                self.defaults[f"_d{i}"] = p.default
                sig.append(f"{p.name}=_d{i}")
            names.append(p.name)
        aliases = [(a, n) for a, n in _ALIASES if n in names]
        extra = [f"{a}=None" for a, _ in aliases]
        star = [] if kwonly else ["*"]
        self.signature = ", ".join(sig + (star + extra if extra else []))
        tail = (["out=None"] if with_out else []) + extra
        self.signature_out = ", ".join(sig + (star + tail if tail else []))
        self.alias_lines = "".join(f"    if {a} is not None: {n} = {a}\n" for a, n in aliases)
        self.first = names[0]
        self.call = self._call(spec, names)
        # the dunder form: self and other, every later parameter at its default
        later = [f"_d{i}" for i in range(2, len(params))]
        self.binary_ok = len(params) >= 2 and all(d in self.defaults for d in later) and not spec.seq
        if self.binary_ok:
            self.binary_call = self._call(spec, ["self", "other"] + later)

    @staticmethod
    def _call(spec, names):
        tensors, statics = names[:spec.nt], names[spec.nt:]
        targs = f"tuple({tensors[0]})" if spec.seq else "(" + "".join(t + ", " for t in tensors) + ")"
        return f"_apply(_spec, {targs}, ({''.join(s + ', ' for s in statics)}))"


def _finish_out(out, result):
    if out is None:
        return result
    if result._node is not None and grad_mode.state.enabled:
        raise RuntimeError(f"{_spec_name(result)}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out.shape != result.shape:
        out._s[0] = result._s[0].astype(_meta(out).dtype)
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
        src = _Source(spec, params, out)
        ns = {"_apply": apply, "_spec": spec, "_out": _finish_out, "_Tensor": Tensor, "_OPERAND": _OPERAND,
              **src.defaults}
        body = (f"    _r = {src.call}\n    return _r if out is None else _out(out, _r)\n" if out
                else f"    return {src.call}\n")
        exec(f"def {spec.name}({src.signature_out}):\n{src.alias_lines}{body}", ns)
        public = ns[spec.name]
        public.__doc__ = fn.__doc__
        public.__qualname__ = spec.name
        public.__module__ = "torchlike"
        spec.public = public
        spec.doc = fn.__doc__
        if spec.name in REGISTRY:
            raise RuntimeError(f"op {spec.name!r} is declared twice")
        REGISTRY[spec.name] = spec
        if method:
            setattr(Tensor, spec.name, method if callable(method) else public)
        if inplace:
            exec(f"def {spec.name}_({src.signature}):\n{src.alias_lines}"
                 f"    {src.first}._check_inplace()\n    return {src.first}._set_result({src.call})\n", ns)
            setattr(Tensor, spec.name + "_", ns[spec.name + "_"])
        if dunder:
            _dunders(spec, dunder, inplace, src, ns)
        return public if func else fn
    return declare


def _dunders(spec, dunder, inplace, src, ns):
    """``__op__``, ``__rop__`` and ``__iop__``: they call ``_apply`` directly (one Python frame
    less than going through the public function) with every later parameter at its default."""
    if not src.binary_ok:
        raise TypeError(f"op {spec.name} cannot have operator dunders: parameters after the second need defaults")
    check = "    if not isinstance(other, _OPERAND):\n        return NotImplemented\n"
    exec(f"def __{dunder}__(self, other):\n{check}    return {src.binary_call}\n", ns)
    reflected = src.binary_call.replace("(self, other, ", "(other, self, ", 1)
    exec(f"def __r{dunder}__(self, other):\n{check}    return {reflected}\n", ns)
    setattr(Tensor, f"__{dunder}__", ns[f"__{dunder}__"])
    setattr(Tensor, f"__r{dunder}__", ns[f"__r{dunder}__"])
    if inplace:
        exec(f"def __i{dunder}__(self, other):\n{check}    self._check_inplace()\n"
             f"    return self._set_result({src.binary_call})\n", ns)
        setattr(Tensor, f"__i{dunder}__", ns[f"__i{dunder}__"])


_OPERAND = (Tensor, int, float, complex)


def call(spec, args, statics=()):
    """Calls a registered op from other op code (composite ops)."""
    return apply(spec, args, statics)
