"""The usual call of a compiled step: arguments of the last call's kinds, the step's
surroundings and its state as the last call left them.

That call needs none of the general path's work (finding the state, reading its signature,
looking up the program): only checks that nothing it depends on moved. They are written out
with the program's bound write-back (``bind.py``), one test per argument, closure cell, global
name, optimizer and param group, each an identity or equality: read from lists in a loop they
cost the tutorial MLP's step 3 µs, a tenth of it. Any failed check takes the general path,
which may compile; every check here is one the general path makes too.
"""
import types

from ..autograd import grad_mode
from .state import _names


def source(program, state):
    """Lines of ``bind``'s body (``bind.py``) defining ``arm(args, lrs)``: after a general call
    with Tensor arguments ``args`` it records what that call saw and returns ``call(args)``,
    which runs the program again while nothing has moved and returns ``MISS`` otherwise. arm
    returns None where the step does not have the shape these lines were written for."""
    kinds = program.rebuild.kinds
    if any(kind[0] == "py" for kind in kinds):
        return ["    def arm(args, lrs):", "        return None"]
    fn = program.step.fn
    func = fn.__func__ if isinstance(fn, types.MethodType) else fn
    code = getattr(func, "__code__", None)
    n_cells = 0 if code is None else len(func.__closure__ or ())
    names = () if code is None else _names(code)
    groups = [len(o.param_groups) for o in state.optimizers]
    xs = [f"x{i}" for i in range(len(kinds))]
    # what arm records, compared by call: per argument its class, requires_grad and abstract
    # value (shape, dtype); the closure cells' and globals' contents; per optimizer its state
    # dict, that dict's size, its param_groups list and each group; a copy of each group dict
    seen = ([f"{p}{i}" for i in range(len(kinds)) for p in ("K", "R", "AV")] + [f"N{i}" for i in range(n_cells)]
            + [f"NG{i}" for i in range(len(names))]
            + [f"{p}{i}" for i in range(len(groups)) for p in ("ST", "NS", "PG")]
            + [f"P{i}_{j}" for i, n in enumerate(groups) for j in range(n)]
            + [f"{p}{i}" for i in range(len(state.groups)) for p in ("W", "LR")] + ["EN", "VER", "LRS"])
    lines = [
        "    grad_state, versions = grad_mode.state, structure_versions()",
        f"    {' = '.join(seen)} = None",
        "    step_fn = program.step.fn",
        "    func = step_fn.__func__ if isinstance(step_fn, MethodType) else step_fn",
        f"    ({''.join(f'o{i}, ' for i in range(len(groups)))}) = state.optimizers",
        f"    ({''.join(f'G{i}, ' for i in range(len(state.groups)))}) = state.groups",
    ]
    if code is not None:
        lines += ["    code, glob = func.__code__, func.__globals__",
                  f"    ({''.join(f'cell{i}, ' for i in range(n_cells))}) = func.__closure__ or ()"]
    lines += [
        "",
        "    def arm(args, lrs):",
        f"        nonlocal {', '.join(seen)}",
        f"        ({''.join(f'{x}, ' for x in xs)}) = args",
    ]
    if code is not None:  # a new code object may read other globals
        lines += ["        if func.__code__ is not code:", "            return None"]
    lines += [f"        if len(o{i}.param_groups) != {n}:\n            return None" for i, n in enumerate(groups)]
    lines += [f"        K{i}, R{i}, AV{i} = {x}.__class__, {x}._rg, {x}._s[0].aval" for i, x in enumerate(xs)]
    lines += [
        "        EN, VER = grad_state.enabled, versions[0]",
        "        try:",
        *[f"            N{i} = cell{i}.cell_contents" for i in range(n_cells)],
        "            pass",
        "        except ValueError:  # an empty cell",
        "            return None",
        *[f"        NG{i} = glob.get({name!r})" for i, name in enumerate(names)],
        *[f"        ST{i}, PG{i} = o{i}.state, o{i}.param_groups; NS{i} = len(ST{i})" for i in range(len(groups))],
        *[f"        ({''.join(f'P{i}_{j}, ' for j in range(n))}) = PG{i}" for i, n in enumerate(groups)],
        *[f"        W{i} = dict(G{i}); LR{i} = G{i}['lr']" for i in range(len(state.groups))],
        # a learning rate held in a Tensor can change in place: such steps read it every call
        "        LRS = lrs if all(type(g['lr']) in (float, int) for g in state.groups) else None",
        "        return call",
        "",
        "    def call(args):",
        f"        nonlocal {''.join(f'LR{i}, ' for i in range(len(state.groups)))}LRS",
        f"        if len(args) != {len(xs)}:",
        "            return MISS",
        f"        ({''.join(f'{x}, ' for x in xs)}) = args",
    ]
    for i, x in enumerate(xs):
        lines += [f"        if {x}.__class__ is not K{i} or {x}._rg is not R{i}:", "            return MISS",
                  f"        v{i} = {x}._s[0]", f"        if v{i}.aval != AV{i}:", "            return MISS"]
    same = ["grad_state.enabled is EN", "versions[0] == VER"]
    if code is not None:
        same += ["func.__code__ is code"] + [f"cell{i}.cell_contents is N{i}" for i in range(n_cells)]
        same += [f"glob.get({name!r}) is NG{i}" for i, name in enumerate(names)]
    for i, n in enumerate(groups):
        same += [f"o{i}.state is ST{i}", f"len(ST{i}) == NS{i}", f"o{i}.param_groups is PG{i}", f"len(PG{i}) == {n}"]
        same += [f"PG{i}[{j}] is P{i}_{j}" for j in range(n)]
    # the other hyperparameters: a new one takes the general path, which may compile
    same += [f"G{i} == W{i}" for i in range(len(state.groups))]
    lrs = [f"G{i}['lr']" for i in range(len(state.groups))]
    lines += [
        # a learning rate is an input of the program: a schedule that sets one every step
        # stays on this path
        "        try:",
        *[f"            W{i}['lr'] = {lr}" for i, lr in enumerate(lrs)],
        f"            if not ({' and '.join(same)}):",
        "                return MISS",
        "        except (ValueError, KeyError):  # a closure cell emptied, a group's lr deleted",
        "            return MISS",
        "        lrs = LRS",
        f"        if lrs is None or not ({' and '.join([f'{lr} is LR{i}' for i, lr in enumerate(lrs)] or ['True'])}):",
        "            lrs = program._args(state, ())[0]",
        # numbers are kept with what they give; a Tensor can change in place: read it each call
        f"            if LRS is not None and {' and '.join([f'type({lr}) in (float, int)' for lr in lrs] or ['True'])}:",
        f"                {''.join(f'LR{i}, ' for i in range(len(lrs)))}LRS = {''.join(f'{lr}, ' for lr in lrs)}lrs",
        "            else:",
        "                LRS = None",
        f"        return run([{', '.join(f'v{i}' for i in range(len(xs)))}], lrs)  # MISS if the state moved",
        "",
    ]
    return lines


def namespace():
    """What the lines of ``source`` name."""
    from ..nn.modules.module import structure_version  # not at import: nn imports this package
    return dict(grad_mode=grad_mode, structure_versions=lambda: structure_version, MethodType=types.MethodType)
