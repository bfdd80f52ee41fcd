"""Finds the tensors a training step reads and writes: the state a compiled step must take in
and hand back (parameters, gradients, buffers, optimizer state, learning rates).

The search starts from what the function can name — its closure cells, the globals its code
refers to, a bound method's object — and follows modules, optimizers, containers and plain
objects a few levels deep. Each call compares a cheap fingerprint — what the function names, the
modules' structure version, the optimizers' state and groups — and searches again only when it
moved, so a model or optimizer that grows state between calls is noticed and recompiled.
"""
import types

from .._storage import _raw
from .._tensor import Tensor
from .pack import Packed, verify

_MAX_DEPTH = 4


class State:
    """The step's state: ``tensors`` (read and possibly written, each with its ``.grad``) and
    ``groups`` (optimizer param groups whose learning rate is fed in as a value)."""

    def __init__(self):
        self.tensors = []
        self.groups = []
        self.owners = []
        self.holders = ()
        self.written = None  # the bound write-back of the program that last ran (``bind.py``)
        self._seen = set()

    def add_tensor(self, t):
        if id(t) not in self._seen:
            self._seen.add(id(t))
            self.tensors.append(t)

    def snapshot(self):
        """(arrays, gradients, signature): the arrays the state's tensors and their ``.grad``
        hold, in the layout they are stored in (``_LayoutStorage``), and what a compiled program
        depends on besides their values. When every tensor still holds what the last program
        wrote, that program's result signature is reused instead of reading each shape again."""
        last = None if self.written is None else self.written.last()
        if last is not None:
            arrays, grads, signature = last
            return arrays, grads, (signature, self._groups_signature())
        arrays, grads, sig, first = [], [], [], {}
        for t in self.tensors:
            a, layout = _raw(t._s)
            if type(layout) is Packed:
                a, layout = verify(t._s, a, layout, first)
            g = t._grad
            arrays.append(a)
            if g is None:
                grads.append(None)
                sig.append((id(t), a.shape, a.dtype, t._rg, layout, None))
            else:
                g, glayout = _raw(g._s)
                if type(glayout) is Packed:
                    g, glayout = verify(t._grad._s, g, glayout, first)
                grads.append(g)
                sig.append((id(t), a.shape, a.dtype, t._rg, layout, g.shape, g.dtype, glayout))
        return arrays, grads, (tuple(sig), self._groups_signature())

    def _groups_signature(self):
        groups = []
        for g in self.groups:
            hyper = tuple([kv for kv in g.items() if kv[0] != "params" and kv[0] != "lr"])
            try:
                hash(hyper)
            except TypeError:
                hyper = tuple((k, _hashable(v)) for k, v in hyper)
            groups.append((id(g), hyper))
        return tuple(groups)


def _hashable(v):
    if type(v) in (int, float, bool, str, type(None)):
        return v
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def find_state(fn, args, kwargs):
    state = State()
    seen = set()
    roots = _roots(fn) + list(args) + list(kwargs.values())
    for obj in roots:
        _visit(obj, state, seen, 0)
    state.optimizers = [o for o in state.owners if hasattr(o, "param_groups")]
    return state


def fingerprint(fn, state, holders=()):
    """Changes whenever ``find_state`` could find something different."""
    return (tuple([id(r) for r in _roots(fn)]), tuple([id(h) for h in holders]), structure_version(),
            optimizer_marks(state.optimizers))


def optimizer_marks(optimizers):
    """What changes when an optimizer gains state or param groups, or replaces them
    (``load_state_dict`` puts in new state Tensors and new group dicts)."""
    return [(id(o.state), len(o.state), id(o.param_groups), *map(id, o.param_groups)) for o in optimizers]


def structure_version():
    """Bumped by every change to any module's parameters, buffers or submodules."""
    global _structure_version
    if _structure_version is None:  # not at import: nn imports this package
        from ..nn.modules.module import structure_version as _structure_version
    return _structure_version[0]


_structure_version = None


def _roots(fn):
    """What ``fn`` can name: a bound method's object, closure cells, the globals its code reads.
    A list built by plain loops: the compiled step checks it every call."""
    roots = []
    if isinstance(fn, types.MethodType):
        roots.append(fn.__self__)
        fn = fn.__func__
    code = getattr(fn, "__code__", None)
    if code is None:  # a callable object, e.g. a Module
        roots.append(fn)
        return roots
    for cell in fn.__closure__ or ():
        try:
            roots.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    g = fn.__globals__
    for name in _names(code):
        if name in g:
            roots.append(g[name])
    return roots


_names_of = {}


def _names(code):
    """Global names a function's code (nested functions included) may read; cached per code
    object, since the compiled step asks on every call."""
    names = _names_of.get(code)
    if names is None:
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names |= _names(const)
        names = _names_of[code] = tuple(sorted(names))
    return names


def _visit(obj, state, seen, depth):
    if depth > _MAX_DEPTH or id(obj) in seen:
        return
    if isinstance(obj, (int, float, str, bytes, bool, type(None), types.ModuleType, type)):
        return
    seen.add(id(obj))
    if isinstance(obj, Tensor):
        state.add_tensor(obj)
        return
    from ..nn.modules.module import Module
    from ..optim.optimizer import Optimizer
    from .._ops.random import Generator
    if isinstance(obj, Module):
        for t in obj.parameters():
            state.add_tensor(t)
        for t in obj.buffers():
            state.add_tensor(t)
        return
    if isinstance(obj, Optimizer):
        state.owners.append(obj)
        for group in obj.param_groups:
            state.groups.append(group)
            for p in group["params"]:
                state.add_tensor(p)
        for per_param in obj.state.values():
            for v in per_param.values():
                if isinstance(v, Tensor):
                    state.add_tensor(v)
        return
    if isinstance(obj, Generator):
        return
    if isinstance(obj, (types.FunctionType, types.MethodType)):
        for r in _roots(obj):
            _visit(r, state, seen, depth + 1)
        return
    if isinstance(obj, dict):
        for v in obj.values():
            _visit(v, state, seen, depth + 1)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _visit(v, state, seen, depth + 1)
        return
    d = getattr(obj, "__dict__", None)
    if isinstance(d, dict) and not isinstance(obj, types.BuiltinFunctionType):
        for v in d.values():
            _visit(v, state, seen, depth + 1)
