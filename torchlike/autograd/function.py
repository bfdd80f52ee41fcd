"""User-defined ``torch.autograd.Function``: the one place a derivative is written by hand —
by the user, in their ``backward``."""
from .. import _storage, _tensor
from . import grad_mode
from .node import next_seq, node_class


class FunctionCtx:
    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._dirty = ()

    def save_for_backward(self, *tensors):
        self.saved_tensors = tuple(tensors)

    def save_for_forward(self, *tensors):
        self.saved_for_forward = tuple(tensors)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = node_class(name + "Backward")


class Function(metaclass=_FunctionMeta):
    """Subclass with static ``forward(ctx, ...)`` and ``backward(ctx, *grads)``; call ``apply``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        Tensor = _tensor.Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if hasattr(cls, "setup_context") and cls.setup_context is not Function.setup_context:
            cls.setup_context(ctx, args, out)
        multi = isinstance(out, tuple)
        outs = out if multi else (out,)
        if not (grad_mode.state.enabled and any(ctx.needs_input_grad)):
            return out
        node = cls._backward_cls()
        node.seq = next_seq()
        node.key = None
        node.fn = (cls, ctx)
        node.saved = ()
        node.avals = ()
        node.checks = []
        node.edges = [((a._node, a._out_nr) if a._node is not None else (a._accumulator(), 0))
                      if isinstance(a, Tensor) and a._rg else None for a in args]
        node.out_avals = tuple((_storage._meta(o).shape, _storage._meta(o).dtype, id(o) not in ctx._non_differentiable)
                               if isinstance(o, Tensor) else ((), None, False) for o in outs)
        ctx._node = node
        results = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and node.out_avals[i][2]:
                if any(o is a for a in args):
                    o = o.view_as(o) if o._node is None and not o._rg else o
                t = Tensor._wrap(o._s[0], node, i)
                t._s = o._s
                t._v = o._v
                results.append(t)
            else:
                results.append(o)
        return tuple(results) if multi else results[0]

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass


def call_function_node(node, cts):
    """Runs a custom Function's Python backward for output grads ``cts`` (Tensors or None)."""
    import jax.numpy as jnp
    cls, ctx = node.fn
    Tensor = _tensor.Tensor
    if ctx.materialize_grads:
        cts = [c if c is not None else Tensor._wrap(jnp.zeros(node.out_avals[o][0], node.out_avals[o][1]))
               if node.out_avals[o][1] is not None else None for o, c in enumerate(cts)]
    grads = cls.backward(ctx, *cts)
    if not isinstance(grads, tuple):
        grads = (grads,)
    n_in = len(node.edges)
    if len(grads) < n_in:
        raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                           f"(expected {n_in}, got {len(grads)})")
    return [g for g, e in zip(grads[:n_in], node.edges) if e is not None]


class once_differentiable:
    def __new__(cls, fn):
        return fn
