"""The usual call of a compiled step: arguments of the last call's kinds, state as the last
program left it. ``Hot`` checks exactly that and goes straight to the program."""
import types
from operator import is_

from .._tensor import Tensor
from ..autograd import grad_mode
from .bind import MISS
from .state import _names, _roots


class Hot:
    """The usual training loop calls a step again with arguments of the same kinds and the
    state as the last call left it. That call needs none of the general path's work (finding
    the state, reading its signature, looking up the program): only checks that nothing it
    depends on moved, each cheaper than what it replaces. Any failed check takes the general
    path, which may compile. Every check here is one the general path makes too."""

    __slots__ = ("step", "program", "state", "run", "kinds", "named", "code", "cells", "names", "globals",
                 "versions", "version", "optimizers", "groups", "lrs", "enabled")

    def __init__(self, step, program, state, args, lrs):
        self.step, self.program, self.state = step, program, state
        self.run = state.written  # checks that every tensor holds what it wrote back
        # a learning rate held in a Tensor can change in place: such steps read it every call
        self.lrs = lrs if all(type(g["lr"]) in (float, int) for g in state.groups) else None
        self.kinds = tuple((a._s[0].aval, a._rg) for a in args)
        self._name_roots(step.fn)
        self.versions = _structure_versions()
        self.version = self.versions[0]
        self.optimizers = [(o, o.state, len(o.state), o.param_groups, list(o.param_groups))
                           for o in state.optimizers]
        self.groups = [(g, dict(g)) for g in state.groups]
        self.enabled = grad_mode.state.enabled

    def _name_roots(self, fn):
        """What ``_roots(fn)`` reads, kept so that a call reads only what can change: the
        closure cells' contents and the globals named (an absent global reads as None: both
        add no state). A function with an empty cell is read through ``_roots`` itself."""
        self.named = _roots(fn)
        func = fn.__func__ if isinstance(fn, types.MethodType) else fn
        code = getattr(func, "__code__", None)
        self.cells = None
        if code is not None and all(_filled(c) for c in func.__closure__ or ()):
            self.code, self.cells, self.globals, self.names = code, func.__closure__ or (), func.__globals__, _names(code)
            self.named = self._read()

    def _read(self):
        named = [c.cell_contents for c in self.cells]
        named += map(self.globals.get, self.names)
        return named

    def __call__(self, args):
        kinds = self.kinds
        if len(args) != len(kinds):
            return MISS
        inputs = []
        for a, (aval, rg) in zip(args, kinds):
            if not isinstance(a, Tensor) or a._rg is not rg:
                return MISS
            arr = a._s[0]
            if arr.aval != aval:
                return MISS
            inputs.append(arr)
        if grad_mode.state.enabled is not self.enabled or self.versions[0] != self.version:
            return MISS
        if self.cells is None:
            if not _same(_roots(self.step.fn), self.named):
                return MISS
        elif self.step.fn.__code__ is not self.code or not _same(self._read(), self.named):
            return MISS
        for o, st, n, pg, groups in self.optimizers:
            if o.state is not st or len(st) != n or o.param_groups is not pg or not _same(pg, groups):
                return MISS  # an optimizer gained state or groups, or had them replaced
        if not all([g == was for g, was in self.groups]):
            return MISS  # a hyperparameter (the learning rate included) changed
        lrs = self.lrs
        if lrs is None:
            lrs = self.program._args(self.state, ())[0]
        return self.run(inputs, lrs)  # MISS if the state moved


def _same(xs, ys):
    return len(xs) == len(ys) and all(map(is_, xs, ys))


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _structure_versions():
    from ..nn.modules.module import structure_version  # not at import: nn imports this package
    return structure_version
