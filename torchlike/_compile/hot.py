"""The usual call of a compiled step: arguments of the last call's kinds, state as the last
program left it. ``Hot`` checks exactly that and goes straight to the program."""
from operator import is_

from .._tensor import Tensor
from ..autograd import grad_mode
from .state import _roots, optimizer_marks, structure_version

MISS = object()


class Hot:
    """The usual training loop calls a step again with arguments of the same kinds and the
    state as the last call left it. That call needs none of the general path's work (finding
    the state, reading its signature, looking up the program): only checks that nothing it
    depends on moved, each cheaper than what it replaces. Any failed check takes the general
    path, which may compile. Every check here is one the general path makes too."""

    __slots__ = ("step", "program", "state", "kinds", "roots", "version", "marks", "groups",
                 "lrs", "enabled")

    def __init__(self, step, program, state, args, lrs):
        self.step, self.program, self.state = step, program, state
        # a learning rate held in a Tensor can change in place: such steps read it every call
        self.lrs = lrs if all(type(g["lr"]) in (float, int) for g in state.groups) else None
        self.kinds = tuple((a._s[0].shape, a._s[0].dtype, a._rg) for a in args)
        self.roots = _roots(step.fn)
        self.version = structure_version()
        self.marks = optimizer_marks(state.optimizers)
        self.groups = [(g, dict(g)) for g in state.groups]
        self.enabled = grad_mode.state.enabled

    def __call__(self, args):
        kinds = self.kinds
        if len(args) != len(kinds):
            return MISS
        inputs = []
        for a, (shape, dtype, rg) in zip(args, kinds):
            if not isinstance(a, Tensor) or a._rg is not rg:
                return MISS
            arr = a._s[0]
            if arr.shape != shape or arr.dtype != dtype:
                return MISS
            inputs.append((arr,))
        roots = _roots(self.step.fn)
        state = self.state
        if len(roots) != len(self.roots) or not all(map(is_, roots, self.roots)) \
                or grad_mode.state.enabled is not self.enabled or structure_version() != self.version \
                or optimizer_marks(state.optimizers) != self.marks \
                or not all([g == was for g, was in self.groups]) or not state.unchanged():
            return MISS  # a hyperparameter (the learning rate included) changed, or the state moved
        w = state.written
        lrs = self.lrs
        if lrs is None:
            lrs = self.program._args(state, ())[0]
        return self.program.run(state, inputs, w.arrays, w.grads, lrs)
