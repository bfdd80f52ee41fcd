"""A compiled program bound to its state: the function that calls the program and writes its
results back into the state's tensors, and that checks, for a call like the last, that the
state is still exactly as the last call left it.

Per tensor that is a few identity checks and attribute stores, but read through a loop over
per-tensor flags (is it written, in which layout, is its ``.grad`` a new Tensor, by how much
does its version move) the loop costs several times the stores themselves: written that way
it took about 10 µs of the tutorial MLP's 55 µs step, whose program call takes 17. The flags
are fixed per program, so the function is written out once per program with every branch
resolved, as Python source (``_source``), and bound to a state's tensors by calling the code
it compiles to (``bind``).
"""
import sys
import weakref

from .._storage import _LayoutStorage, _NumpyStorage, _set_layout
from .._tensor import Tensor
from . import hot
from .pack import Cell

MISS = object()  # what a bound function returns when the state moved since its last run

_slot0 = list.__getitem__  # a storage's array as stored: no layout change, no NumPy copy


def bind(program, state):
    """``run(inputs, lrs, arrays=None, grads=None)`` for ``program`` on ``state``'s tensors. With
    ``arrays`` and ``grads`` (a snapshot of the state) it runs the program on them; without,
    on what its last run wrote back, or returns ``MISS`` when any tensor has moved since. The
    function also has ``last()``: the arrays and gradients its last run wrote back and the
    state's signature after it, or None when the state moved since; and ``arm(args, lrs)``,
    which gives the checked call that runs it again for arguments like ``args`` (``hot.py``)."""
    # the state's tensors are the program's, but its optimizers' shape is the state's own, and
    # the checks read the closure cells and globals of the step's code (``hot.py``)
    fn = getattr(program.step.fn, "__func__", program.step.fn)
    shape = (tuple(len(o.param_groups) for o in state.optimizers), len(state.groups), getattr(fn, "__code__", None))
    code = program.bound_code.get(shape)
    if code is None:
        code = program.bound_code[shape] = compile(
            _source(program, state), f"<torchlike.compile: {program.step.__name__}>", "exec")
    namespace = dict(MISS=MISS, slot0=_slot0, wrap=Tensor._wrap, laid=_laid, set_layout=_set_layout,
                     Cell=Cell, freeze=_freeze, NumpyStorage=_NumpyStorage, refs=sys.getrefcount,
                     weakrefs=weakref.getweakrefcount, **hot.namespace())
    exec(code, namespace)
    return namespace["bind"](state.tensors, program, state)


def _freeze(s):
    """Gives packed storage ``s`` a cell of its own holding its cell's current buffer: a tensor
    that leaves a compiled step's state keeps its values when the step's cell moves on."""
    _set_layout(s, Cell(_slot0(s, 0).pack), _slot0(s, 1))


def _laid(raw, layout):
    """A new Tensor whose storage holds ``raw`` in ``layout``: a compiled step's new ``.grad``."""
    t = Tensor._wrap(raw)
    s = t._s
    s.__class__ = _LayoutStorage
    s.extend((layout, None, None))
    return t


def _alone(gt):
    """The check that nothing but its tensor and the bound function holds ``.grad`` Tensor
    ``gt`` or what it shares with a ``detach()``ed copy (storage, version counter), that its
    storage shares no memory with NumPy (``numpy()`` hands out an array a write goes into), and
    that it is as new: a step that replaces the ``.grad`` (``zero_grad()``, then ``backward()``)
    may then write the new gradient into it rather than make a new Tensor, and no one can tell."""
    return (f"refs({gt}) == solo and refs({gt}._s) == solo_s and refs({gt}._v) == solo_v "
            f"and {gt}._s.__class__ is not NumpyStorage and {gt}._rg is False and {gt}._grad is None "
            f"and {gt}._hooks is None and {gt}._retains is False and not {gt}.__dict__ and not weakrefs({gt})")


def _source(program, state):
    """The bound function's source for ``state``'s tensors. Per tensor ``k`` its closure holds
    what the last run wrote: storage ``s<k>``, array ``a<k>``, requires_grad ``r<k>``, ``.grad``
    Tensor ``gt<k>``, its storage ``gs<k>`` and array ``g<k>`` (None where it has none); and
    per pack ``j`` the cell ``c<j>`` its tensors' storages share (``pack.py``)."""
    n = len(state.tensors)
    grad_in, grad_out = program.grad_in, program.grad_out
    cells = [f"{name}{k}" for k in range(n) for name in ("s", "a", "r", "gt", "gs", "g")]
    # the stored arrays the program is passed: the tensors' arrays, then the gradients that exist
    stored = [f"a{k}" for k in range(n)] + [f"g{k}" for k in range(n) if grad_in[k]]
    packed = dict(program.out_packed)  # (kind, k) -> pack j: "a" tensor k's array, "g" its .grad

    def new(slot):  # where a tensor's new array or .grad is among the program's outputs
        j = packed.get(slot)
        return f"r[{j}]" if j is not None else f"r[{program.out_index[slot]}]"

    def holds(slot, storage, array):  # the check that a storage holds what the last run wrote
        j = packed.get(slot)
        return f"slot0({storage}, 0) is {array if j is None else f'c{j}'}"

    def put(slot, storage, array, layout, name):  # the write of a new array into a storage
        j = packed.get(slot)
        if j is not None:  # the cell has it: a storage that already holds the cell needs nothing
            return f"if slot0({storage}, 0) is not c{j}: set_layout({storage}, c{j}, {name})"
        return f"{storage}[0] = {array}" if layout is None else f"set_layout({storage}, {array}, {name})"

    def made(slot, array, layout, name):  # a new Tensor holding a new .grad
        j = packed.get(slot)
        return f"wrap({array})" if layout is None else f"laid({array if j is None else f'c{j}'}, {name})"

    lines = [
        "def bind(tensors, program, state):",
        # how many references a .grad Tensor, its storage and version counter have when only
        # its tensor and this closure hold them, counted as the checks below count them
        "    probe = wrap(None); owner = wrap(None); owner._grad = probe; probe_s = probe._s",
        "    def count():",
        "        return refs(probe), refs(probe_s), refs(probe._v)",
        "    solo, solo_s, solo_v = count()",
        f"    ({''.join(f't{k}, ' for k in range(n))}) = tensors",
        f"    {' = '.join(cells) or '_'} = None",
        *[f"    c{j} = Cell(None)" for j in sorted(set(packed.values()))],
        "    jitted = program.jitted",
        # the layouts written back, by name: their values are not source text
        *[f"    lay{k}, glay{k} = program.writeback[{k}][2:4]" for k in range(n)],
        "",
        "    def unchanged():",
        "        return (True",
    ]
    for k in range(n):
        cond = f"t{k}._s is s{k} and {holds(('a', k), f's{k}', f'a{k}')} and t{k}._grad is gt{k} and t{k}._rg is r{k}"
        if grad_out[k]:
            cond += f" and gt{k}._s is gs{k} and {holds(('g', k), f'gs{k}', f'g{k}')}"
        lines.append(f"                and {cond}")
    lines += [
        "                )",
        "",
        "    def last():",
        "        if not unchanged():",
        "            return None",
        f"        return [{', '.join(f'a{k}' for k in range(n))}], "
        f"[{', '.join(f'g{k}' if grad_out[k] else 'None' for k in range(n))}], program.out_sig",
        "",
        "    def run(inputs, lrs, arrays=None, grads=None):",
        f"        nonlocal {', '.join(cells)}" if cells else "        pass",
        "        if arrays is None:",
        "            if not unchanged():",
        "                return MISS",
        "        else:",
    ]
    for k in range(n):
        j = packed.get(("a", k))
        if j is not None:  # a storage the tensor no longer has keeps its values
            lines.append(f"            if s{k} is not None and t{k}._s is not s{k} and slot0(s{k}, 0) is c{j}: "
                         f"freeze(s{k})")
        # requires_grad is read here only: a run does not change it, and the usual call checks it
        lines.append(f"            s{k} = t{k}._s; a{k} = arrays[{k}]; r{k} = t{k}._rg"
                     + (f"; g{k} = grads[{k}]" if grad_in[k] else ""))
    lines.append("            pass")
    given = [stored[i] for i in program.taken] + [f"lrs[{i}]" for i in range(program.n_lrs)]
    if program.rng_used:
        given.append("program.generator_state()")
    given += [f"inputs[{i}]" for i in program.tensor_inputs]
    lines.append(f"        r = jitted({', '.join(given)})")
    first, n_outs = program.out_first, program.n_outs
    if program.draws:
        lines.append(f"        program.generator_advanced(r[{first + n_outs}])")
    for k, (kept, bump, lay, glay, fresh, gversion) in enumerate(program.writeback):
        a, g = ("a", k), ("g", k)
        if not kept:
            lines += [f"        a{k} = {new(a)}", f"        {put(a, f's{k}', f'a{k}', lay, f'lay{k}')}"]
        if bump:
            lines.append(f"        t{k}._v[0] += {bump}")
        j = packed.get(g)
        # a .grad the tensor no longer has keeps its values (checked before it is let go: the
        # check must not hold it while it may be reused)
        let_go = (f"if gt{k} is not None and slot0(gt{k}._s, 0) is c{j}: freeze(gt{k}._s)"
                  if j is not None else "pass")
        if not grad_out[k]:
            lines.append(f"        t{k}._grad = gt{k} = gs{k} = g{k} = None")
        elif fresh:
            lines += [
                f"        g{k} = {new(g)}",
                f"        if t{k}._grad is gt{k} and gt{k} is not None and gt{k}._s is gs{k} and {_alone(f'gt{k}')}:",
                f"            gt{k}._v[0] = {gversion}",
                f"            {put(g, f'gs{k}', f'g{k}', glay, f'glay{k}')}",
                "        else:",
                f"            {let_go}",
                f"            t{k}._grad = gt{k} = {made(g, f'g{k}', glay, f'glay{k}')}; gs{k} = gt{k}._s",
            ]
            if gversion:
                lines.append(f"            gt{k}._v[0] = {gversion}")
        else:
            lines += [f"        if t{k}._grad is not gt{k}:", f"            {let_go}",
                      f"        gt{k} = t{k}._grad; gs{k} = gt{k}._s; g{k} = {new(g)}"]
            if gversion:
                lines.append(f"        gt{k}._v[0] += {gversion}")
            lines.append(f"        {put(g, f'gs{k}', f'g{k}', glay, f'glay{k}')}")
    # last: the storages let go of above were still reading the cells' previous buffers
    lines += [f"        c{j}.pack = r[{j}]" for j in sorted(set(packed.values()))]
    lines += [
        "        state.written = written",
        f"        return wrap(r[{first}])" if program.single else
        f"        return program.result(r[{first}:{first + n_outs}])",
        "",
        *hot.source(program, state),
        "    run.last, run.arm = last, arm",
        "    written = run",
        "    return run",
    ]
    return "\n".join(lines) + "\n"
