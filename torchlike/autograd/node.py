"""Graph nodes: the ``grad_fn`` objects users see.

A node keeps what its vector-Jacobian product needs: the op's pure JAX function (``fn``), the
arrays PyTorch would save, and the shapes of the inputs it does not save (the engine passes
zeros in their place, which XLA removes since the VJP never reads them).
"""
import itertools
import weakref

_node_classes = {}


def node_class(name):
    """One Python class per grad_fn name, so ``type(y.grad_fn).__name__`` is PyTorch's."""
    cls = _node_classes.get(name)
    if cls is None:
        # "torch::autograd::CopySlices" names a class CopySlices, as in PyTorch
        cls = _node_classes[name] = type(name.split("::")[-1], (Node,), {
            "__slots__": (), "_name": name,
            # PyTorch records these ops but has no derivative for them: backward raises
            "_no_derivative": name == "torch::autograd::NotImplemented"})
    return cls


next_seq = itertools.count().__next__  # creation order: every node after its inputs' nodes


class Node:
    # hot attributes in slots; rarely set ones (hooks, retained grads) default on the class
    __slots__ = ("key", "fn", "saved", "avals", "edges", "checks", "out_avals", "seq", "__dict__",
                 "__weakref__")
    pre_hooks = hooks = retained = None
    _released = False
    _no_derivative = False

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})

    def name(self):
        return self._name

    @property
    def next_functions(self):
        shown = None if self.key is None else self.key[0][0].edges
        return tuple((e[0], e[1]) if e is not None else (None, 0)
                     for i, e in enumerate(self.edges) if shown is None or i in shown)

    def register_hook(self, hook):
        """hook(grad_inputs, grad_outputs) runs after this node's VJP."""
        from ..utils.hooks import RemovableHandle
        if self.hooks is None:
            self.hooks = {}
        handle = RemovableHandle(self.hooks)
        self.hooks[handle.id] = hook
        return handle

    def register_prehook(self, hook):
        """hook(grad_outputs) runs before this node's VJP and may replace grad_outputs."""
        return self._add_pre_hook(None, hook)

    def _add_pre_hook(self, output_nr, hook):
        from ..utils.hooks import RemovableHandle
        if self.pre_hooks is None:
            self.pre_hooks = {}
        handle = RemovableHandle(self.pre_hooks)
        self.pre_hooks[handle.id] = (output_nr, hook)
        return handle

    def _retain(self, output_nr, tensor):
        if self.retained is None:
            self.retained = {}
        self.retained[output_nr] = weakref.ref(tensor)

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grads):
        from .engine import call_node
        return call_node(self, grads)


class AccumulateGrad:
    """The edge into a leaf tensor; holds the leaf (``.variable``) as PyTorch's does."""

    __slots__ = ("variable", "pre_hooks", "hooks", "metadata", "__weakref__")

    def __init__(self, variable):
        self.variable = variable
        self.pre_hooks = None
        self.hooks = None
        self.metadata = {}

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


AccumulateGrad.__module__ = "torch.autograd.graph"
