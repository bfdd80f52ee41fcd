"""``torchlike.compile(fn)``: a whole training step — forward, ``backward()``,
``optimizer.step()``, ``zero_grad()`` — as one XLA program.

The step is traced by running ``fn`` itself with every state tensor (see ``state.py``) holding a
JAX tracer: each op, the fused backward and the optimizer's update are jitted functions, so
they inline into one program. The program takes the state's arrays, gradients, learning rates
and the random generator's seed and counter, and returns their new values and ``fn``'s
result; the wrapper writes them back, so parameters, ``.grad``, optimizer state, buffers and
random numbers advance exactly as an eager call would. The first call runs eagerly
(optimizers and lazy modules create their state then); programs are cached by the state's
structure and the arguments' shapes and dtypes. On the CPU, state that convolutions read
transposed is kept in the layout they read it in (``layout.py``), so the program takes it
with no transpose, and small state comes back packed in one buffer per dtype (``pack.py``).
The write-back is Python written out per program (``bind.py``); a call like the last, with
the state as it left it, only checks that (``hot.py``) and goes straight to the program.
"""
import logging

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import jaxpr_as_fun

from .._storage import _LayoutStorage, _Storage, _keep, _restore, _set_layout
from .._tensor import Tensor
from ..autograd import grad_mode, lazy
from .._ops import random as _random
from .._ops.nn_conv import _channels_last
from . import layout, pack
from .bind import MISS, bind
from .state import find_state, fingerprint

log = logging.getLogger("torchlike.compile")

_CONCRETE = (
    "torchlike.compile could not compile {name}: {what} needs a concrete value while the step is being "
    "compiled (Python control flow on a tensor's value, .item(), .tolist(), printing a tensor, ...). "
    "Remove it from the step, or run this step eagerly: torchlike.compile({name}, fallback='eager').")


_LEAF = jax.tree_util.tree_structure(0)


class CompileError(RuntimeError):
    pass


class CompiledStep:
    def __init__(self, fn, explain=False, fallback=None):
        if fallback not in (None, "eager"):
            raise ValueError("fallback must be None or 'eager'")
        self.fn = fn
        self.explain = explain
        self.fallback = fallback
        self.programs = {}
        self.calls = 0
        self.last_key = None
        self.eager = False
        self.state = None
        self.state_print = None
        self.__wrapped__ = fn
        self.__name__ = getattr(fn, "__name__", "step")
        self._plain = {}  # argument kinds -> _Args, for calls with Tensor arguments only
        self._hot = None  # the last call's checks, while they may let the next call skip the rest

    def __call__(self, *args, **kwargs):
        self.calls += 1
        lazy.flush()  # eager ops deferred before the call: the checks and write-back read storages as stored
        hot = self._hot
        if hot is not None:
            if not kwargs:
                result = hot(args)
                if result is not MISS:
                    return result
            self._hot = None
        if self.calls == 1 or self.eager:
            return self.fn(*args, **kwargs)
        inputs, rebuild = self._flatten(args, kwargs)
        state = self.state
        if state is None or fingerprint(self.fn, state, rebuild.holders) != self.state_print:
            state = find_state(self.fn, rebuild.holders, {})
            state.holders = rebuild.holders
            arg_ids = {id(t) for t in inputs if isinstance(t, Tensor)}
            state.tensors = [t for t in state.tensors if id(t) not in arg_ids]
            self.state, self.state_print = state, fingerprint(self.fn, state, rebuild.holders)
        arrays, grads, signature = state.snapshot()
        key = (signature, rebuild.signature, grad_mode.state.enabled)
        last = self.last_key
        if last is not None and key[0][0] is last[0][0] and key[0][1] == last[0][1] and key[1] is last[1] \
                and key[2] == last[2]:
            program = self.programs[last]  # the usual case: no need to hash the whole signature
        else:
            program = self.programs.get(key)
            if program is None:
                self._report_recompile(key, state, rebuild)
                program = _Program(self, state, rebuild)
                try:
                    relaid = program.prepare(state, inputs, arrays, grads, signature)
                except CompileError:
                    if self.fallback == "eager":
                        self.eager = True
                        return self.fn(*args, **kwargs)
                    raise
                if relaid:  # the state now sits in the layouts the program takes
                    arrays, grads, signature = state.snapshot()
                    key = (signature, rebuild.signature, grad_mode.state.enabled)
                    program = self.programs.setdefault(key, program)
                self.programs[key] = program
            self.last_key = key
        lrs, flat_inputs = program._args(state, inputs)
        result = program.run(state, flat_inputs, arrays, grads, lrs)  # prepare() traced it: nothing left to fail
        # a call like this one may run again on what it wrote back only if that is the state
        # this program was made for (a step may, say, give a tensor a .grad it had not)
        if not kwargs and inputs is args and program.out_sig == key[0][0]:
            self._hot = state.written.arm(args, lrs)
        return result

    def _flatten(self, args, kwargs):
        """The arguments as leaves, and how to rebuild them; a step called with Tensors only
        (the usual case) skips the pytree walk."""
        if kwargs:
            return _flatten_args(args, kwargs)
        kinds = []
        for a in args:
            if not isinstance(a, Tensor):
                return _flatten_args(args, kwargs)
            arr = a._s[0]
            kinds.append((arr.shape, arr.dtype, a._rg))
        kinds = tuple(kinds)
        rebuild = self._plain.get(kinds)
        if rebuild is None:
            rebuild = self._plain[kinds] = _flatten_args(args, kwargs)[1]
        return args, rebuild

    def _report_recompile(self, key, state, rebuild):
        if self.last_key is None:
            why = "first compilation"
        elif key[1] != self.last_key[1]:
            why = _arguments_changed(self.last_key[1], key[1])
        elif len(key[0][0]) != len(self.last_key[0][0]):
            why = f"number of state tensors changed: {len(self.last_key[0][0])} -> {len(key[0][0])}"
        elif key[0][0] != self.last_key[0][0]:
            why = "a state tensor's shape, dtype, requires_grad or .grad presence changed"
        elif key[0][1] != self.last_key[0][1]:
            why = "an optimizer hyperparameter other than lr changed"
        else:
            why = "grad mode changed"
        self.last_key = key
        message = f"torchlike.compile: compiling {self.__name__} ({why})"
        if self.explain:
            print(message)
        log.info(message)


def _arguments_changed(old, new):
    """Why a call's arguments need another program: ``old`` and ``new`` are (treedef, kinds)."""
    (old_tree, old_kinds), (new_tree, new_kinds) = old, new
    changed = [(a, b) for a, b in zip(old_kinds, new_kinds) if a != b]
    if old_tree == new_tree and changed and all(a[0] == "py" and b[0] == "py" for a, b in changed):
        return (f"a Python argument's value changed: {', '.join(f'{a[1]!r} -> {b[1]!r}' for a, b in changed)}; "
                "each value is compiled into a program of its own, a tensor argument would reuse one")
    return f"argument shapes, dtypes or requires_grad changed: {_kinds(old_kinds)} -> {_kinds(new_kinds)}"


def _kinds(kinds):
    return [repr(k[1]) if k[0] == "py" else f"{jnp.dtype(k[1])}{list(k[0])}{' requires_grad' if k[2] else ''}"
            for k in kinds]


class _Args:
    """How to rebuild ``(args, kwargs)`` from a flat list of leaves (Tensors become arrays);
    ``holders`` are the modules and optimizers among them, whose state the step also uses."""

    def __init__(self, treedef, kinds, leaves):
        self.treedef = treedef
        self.kinds = kinds
        self.signature = (treedef, kinds)
        self.holders = tuple(x for x in leaves if not isinstance(x, (Tensor, int, float, bool, str, type(None))))


def _flatten_args(args, kwargs):
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=lambda x: isinstance(x, Tensor))
    kinds = tuple((x._s[0].shape, x._s[0].dtype, x._rg) if isinstance(x, Tensor) else ("py", x) for x in leaves)
    return leaves, _Args(treedef, kinds, leaves)


class _Program:
    def __init__(self, step, state, rebuild):
        self.step = step
        self.rebuild = rebuild
        self.out_tree = None
        self._scalars = {}
        self.out_sig = None
        self.jitted = None
        # per state tensor: (returned unchanged, version bumps, array layout, .grad layout,
        # .grad a new Tensor, .grad's version bumps)
        self.writeback = None
        self.bound_code = {}  # the write-back, written out for this program (``bind.py``)
        self._bound = None  # (state, its bound write-back)

    def _pure(self, arrays, grads, lrs, rng, inputs):
        """The step as a function of arrays; runs ``fn`` with tracers installed."""
        state = self._state
        # tracing runs the optimizer's in-place writes: versions are restored with the arrays
        saved = [(t, _keep(t._s), t._grad, t._v[0]) for t in state.tensors]
        saved_lrs = [g["lr"] for g in state.groups]
        gen = _random.default_generator
        saved_gen = gen._counter
        lazy.pause()  # the trace's ops on constants run as part of it, not deferred
        try:
            installed = []
            for t, a, g in zip(state.tensors, arrays, grads):
                t._s[0] = a
                # a fresh .grad Tensor for the trace, so the real one never holds a tracer
                t._grad = None if g is None else Tensor._wrap(g)
                installed.append(t._grad)
            for group, lr in zip(state.groups, lrs):
                group["lr"] = lr
            gen._traced = [rng, 0]
            leaves = [kind[1] if x is None else Tensor._wrap(x) for x, kind in zip(inputs, self.rebuild.kinds)]
            for leaf, kind in zip(leaves, self.rebuild.kinds):
                if isinstance(leaf, Tensor) and kind[2]:
                    leaf._rg = True
            args, kwargs = jax.tree_util.tree_unflatten(self.rebuild.treedef, leaves)
            try:
                result = self.step.fn(*args, **kwargs)
            except jax.errors.ConcretizationTypeError as e:
                raise CompileError(_CONCRETE.format(name=self.step.__name__, what=_culprit(e))) from e
            except jax.errors.TracerBoolConversionError as e:
                raise CompileError(_CONCRETE.format(name=self.step.__name__, what=_culprit(e))) from e
            except jax.errors.TracerArrayConversionError as e:
                raise CompileError(_CONCRETE.format(name=self.step.__name__, what=_culprit(e))) from e
            except jax.errors.TracerIntegerConversionError as e:
                raise CompileError(_CONCRETE.format(name=self.step.__name__, what=_culprit(e))) from e
            # the eager step's version bumps per tensor (the optimizer's in-place writes): a
            # run applies them, so versions advance exactly as eagerly
            self.bumps = [t._v[0] - version for t, _, _, version in saved]
            # whether each .grad after the step is a new Tensor (zero_grad() set it to None,
            # backward made a new one) or the one it had, written in place; and its version:
            # the new Tensor's (clip_grad_norm_ writes it in place), or the bumps of the old
            # one (the trace's stand-in starts at 0)
            self.grad_objects = [(t._grad is not g, 0 if t._grad is None else t._grad._v[0])
                                 for t, g in zip(state.tensors, installed)]
            self._check_no_new_state(state)
            new_arrays = [t._s[0] for t in state.tensors]
            new_grads = [None if t._grad is None else t._grad._s[0] for t in state.tensors]
            self.draws = gen._traced[1]
            out_leaves, self.out_tree = jax.tree_util.tree_flatten(result, is_leaf=lambda x: isinstance(x, Tensor))
            self.out_leaves = [None if isinstance(x, Tensor) else x for x in out_leaves]
            self.single = self.out_leaves == [None] and self.out_tree == _LEAF
            # a step that draws no random numbers leaves the generator alone: one output less
            return (new_arrays, new_grads, [x._s[0] for x in out_leaves if isinstance(x, Tensor)],
                    rng + np.array([0, self.draws], np.uint64) if self.draws else None)
        finally:
            for t, kept, grad, version in saved:
                _restore(t._s, kept)
                t._grad = grad
                t._v[0] = version
            for group, lr in zip(state.groups, saved_lrs):
                group["lr"] = lr
            gen._traced = None
            gen._counter = saved_gen
            lazy.unpause()

    def _args(self, state, inputs):
        lrs = [self._device_scalar(_as_float(g["lr"]), np.float64) for g in state.groups]
        # non-tensor arguments are part of the program's key (rebuild.kinds), not inputs
        flat_inputs = [x._s[0] if isinstance(x, Tensor) else None for x in inputs]
        return lrs, flat_inputs

    def prepare(self, state, inputs, arrays, grads, signature):
        """Traces the step and builds its program. Where the state holds convolution weights,
        the program takes and returns them in XLA's preferred layout (``layout.py``), and the
        small tensors it writes as one buffer per dtype (``pack.py``); returns True when that
        moved some tensor's storage (the caller's snapshot is then stale). Gradients and the
        generator state the step never reads (``zero_grad()`` first, no random draws) are not
        passed at all: each array argument costs the call."""
        self._state = state
        stored = [(s[4], s[7] if len(s) > 6 else None) for s in signature[0]]
        lrs, flat_inputs = self._args(state, inputs)
        rng = self.generator_state()
        logical = [_logical_aval(a, lay) for a, (lay, _) in zip(arrays, stored)]
        logical_grads = [None if g is None else _logical_aval(g, lay) for g, (_, lay) in zip(grads, stored)]
        closed, out_shape = jax.make_jaxpr(self._pure, return_shape=True)(
            logical, logical_grads, lrs, rng, flat_inputs)
        out_tree = jax.tree_util.tree_structure(out_shape)
        in_pos, out_pos = _slots(grads), _slots(out_shape[1])
        candidates = _relayable(state, arrays, grads)
        in_layouts = {in_pos[(kind, k)]: lay for k, pair in enumerate(stored)
                      for kind, lay in zip("ag", pair) if type(lay) is tuple}
        in_l, out_l = {}, {}
        relaid = False
        if candidates or in_layouts:
            ties = {in_pos[slot]: out_pos[slot] for slot in candidates if slot in in_pos and slot in out_pos}
            free = [out_pos[slot] for slot in candidates if slot not in in_pos and slot in out_pos]
            in_l, out_l = layout.choose(closed, ties, free, in_layouts)
            for (kind, k), i in in_pos.items():
                if in_l.get(i) != in_layouts.get(i):
                    t = state.tensors[k]
                    _relayout((t if kind == "a" else t._grad)._s, in_l.get(i))
                    relaid = True
            run = layout.rewrite(closed, in_l, out_l)
        else:
            run = jaxpr_as_fun(closed)
        n, n_grads = len(arrays), len(in_pos) - len(arrays)
        jaxpr = closed.jaxpr
        # a tensor the step leaves alone comes back as its input: not written, version unbumped
        kept = [jaxpr.outvars[k] is jaxpr.invars[k] for k in range(n)]
        packs = pack.plan(_packable(state, arrays, grads, out_shape, out_pos, kept, in_l, out_l))
        out_l = dict(out_l)  # rewrite()'s run reads out_l: the packs are the write-back's layouts
        for _, _, members in packs:
            for slot, spec in members:
                out_l[out_pos[slot]] = spec
        if packs:
            _repack(state, packs)
            relaid = True
        self.writeback = [(kept[k], self.bumps[k], out_l.get(k), out_l.get(out_pos.get(("g", k))),
                           *self.grad_objects[k]) for k in range(n)]
        self.grad_in = [g is not None for g in grads]
        self.grad_out = [g is not None for g in out_shape[1]]
        used = layout.used_inputs(jaxpr)
        grads_used = any(i in used for i in range(n, n + n_grads))
        self.rng_used = n + n_grads + len(lrs) in used
        if relaid:
            state.written = None
            signature = state.snapshot()[2]
        sources = self._take(signature[0], n, grads_used)
        self.out_packed = [(slot, j) for j, (_, _, members) in enumerate(packs) for slot, _ in members]
        packed = {slot for slot, _ in self.out_packed}
        # the program's flat outputs, each array once: the packs, the arrays and gradients
        # written outside them, fn's results, the generator state (kept arrays are not returned)
        out_slots = [("a", k) for k in range(n) if not kept[k] and ("a", k) not in packed]
        out_slots += [("g", k) for k in range(n) if self.grad_out[k] and ("g", k) not in packed]
        self.out_index = {slot: len(packs) + i for i, slot in enumerate(out_slots)}
        self.out_first = len(packs) + len(out_slots)
        n_taken, n_lrs, rng_used = len(self.taken), len(lrs), self.rng_used
        self.n_lrs, self.n_outs = n_lrs, len(out_shape[2])
        self.tensor_inputs = [i for i, x in enumerate(flat_inputs) if x is not None]

        def program(*given):
            """Takes the taken stored arrays, the learning rates, the generator state if the step
            draws, and the arguments' arrays, all flat: each pytree level costs the call."""
            rng = given[n_taken + n_lrs] if rng_used else None
            inputs = given[n_taken + n_lrs + rng_used:]
            new_arrays, new_grads, outs, next_rng = jax.tree_util.tree_unflatten(
                out_tree, run(*_gather(sources, given), *given[n_taken:n_taken + n_lrs], rng, *inputs))
            new = {"a": new_arrays, "g": new_grads}
            packs_out = [pack.pack_values([new[kind][k] for (kind, k), _ in members], dtype)
                         for dtype, _, members in packs]
            return (*packs_out, *[new[kind][k] for kind, k in out_slots], *outs,
                    *([next_rng] if self.draws else []))
        self.jitted = jax.jit(program)
        return relaid

    def _take(self, signature, n, grads_used):
        """Which stored arrays (the tensors' arrays, then the gradients that exist) the program
        is passed (``taken``), and how it finds each input of the traced step among them:
        ``("pack", i, layout)`` a slice of the ``i``-th taken array (a pack, passed once per
        plan, as its first holder's array), ``("one", i)`` the ``i``-th taken array itself, or
        None (a gradient the step never reads)."""
        layouts = [s[4] for s in signature] + [s[7] for s in signature if len(s) > 6]
        plans, self.taken, sources = {}, [], []
        for i, lay in enumerate(layouts):
            if type(lay) is pack.Packed:
                if lay.plan not in plans:
                    plans[lay.plan] = len(self.taken)
                    self.taken.append(i)
                sources.append(("pack", plans[lay.plan], lay))
            elif i < n or grads_used:
                sources.append(("one", len(self.taken)))
                self.taken.append(i)
            else:
                sources.append(None)
        return sources

    def run(self, state, inputs, arrays, grads, lrs):
        """Runs the program on the state's ``arrays`` and ``grads`` and writes the results back."""
        bound = self._bound
        if bound is None or bound[0] is not state:
            bound = self._bound = (state, bind(self, state))
        result = bound[1](inputs, lrs, arrays, grads)
        if self.out_sig is None:  # the same every run: the program's output shapes and dtypes are fixed
            state.written = None
            self.out_sig = state.snapshot()[2][0]
            state.written = bound[1]
        return result

    def result(self, outs):
        """``fn``'s result from the program's outputs for it."""
        outs = iter(outs)
        leaves = [Tensor._wrap(next(outs)) if x is None else x for x in self.out_leaves]
        return jax.tree_util.tree_unflatten(self.out_tree, leaves)

    def _device_scalar(self, value, dtype):
        """A scalar (or a tuple of them) seen again stays on the device between calls: a NumPy
        value passed to a jitted function costs its call a host-to-device copy (4 µs here).
        Putting one on the device costs 70 µs, so a value is first passed as NumPy (a learning
        rate a schedule sets anew each step), and put there when it comes again. The
        generator's next state is an output of the program, so stepping it costs nothing
        either (``generator_state``)."""
        cache = self._scalars
        key = (value, dtype)
        arr = cache.get(key)
        if arr is None:
            if len(cache) > 64:
                cache.clear()
            arr = cache[key] = np.asarray(value, dtype)
        elif type(arr) is np.ndarray:
            arr = cache[key] = jnp.asarray(value, dtype)
        return arr

    def generator_state(self):
        """The default generator's (seed, counter), an input of a program that draws random
        numbers: ``manual_seed()`` between calls changes what it draws, as eagerly."""
        gen = _random.default_generator
        return self._device_scalar((gen._seed, gen._counter), np.uint64)

    def generator_advanced(self, state):
        """Steps the default generator past the program's draws; ``state`` is the program's
        output for its next state, kept for the next call."""
        gen = _random.default_generator
        gen._counter += self.draws
        self._scalars[((gen._seed, gen._counter), np.uint64)] = state

    def _check_no_new_state(self, state):
        known = {id(t) for t in state.tensors}
        for t in find_state(self.step.fn, state.holders, {}).tensors:
            if id(t) not in known and isinstance(t._s[0], jax.core.Tracer):
                raise CompileError(
                    f"torchlike.compile: {self.step.__name__} created new state while being compiled (a tensor "
                    f"of shape {list(t.shape)} kept by a module or optimizer). Run the step once eagerly "
                    f"before compiling it, or create that state outside the step.")


def _slots(grads):
    """{("a", k) or ("g", k): position} of tensor k's array and .grad among a program's flat
    inputs or outputs: the arrays first, then the gradients that exist."""
    pos = {("a", k): k for k in range(len(grads))}
    for k, g in enumerate(grads):
        if g is not None:
            pos[("g", k)] = len(pos)
    return pos


def _relayable(state, arrays, grads):
    """The state slots (("a", k): tensor k's array, ("g", k): its .grad) a program may keep in
    another layout: floating tensors of 3 or more dimensions in one-device CPU storage that can
    change class (not shared with NumPy). Only XLA's CPU convolutions want another layout."""
    if not _channels_last():
        return []
    slots = []
    for k, (t, a) in enumerate(zip(state.tensors, arrays)):
        if a.ndim >= 3 and jnp.issubdtype(a.dtype, jnp.floating) and _movable(t._s, a):
            slots.append(("a", k))
            g = t._grad
            if g is None or _movable(g._s, grads[k]):
                slots.append(("g", k))
    return slots


def _movable(s, a):
    """Storage ``s`` may change class to hold its array ``a`` in another layout or a pack:
    plain or already relaid (not shared with NumPy), on one device."""
    return (s.__class__ is _Storage or s.__class__ is _LayoutStorage) and len(a.sharding.device_set) == 1


def _gather(sources, taken):
    """The traced step's array and gradient inputs, in its order, from the taken arrays the
    program is passed (see ``_Program._take``)."""
    return [None if src is None else src[2].view(taken[src[1]]) if src[0] == "pack" else taken[src[1]]
            for src in sources]


def _packable(state, arrays, grads, out_shape, out_pos, kept, in_l, out_l):
    """[(slot, shape, dtype)]: the state the program writes that may come back packed: small
    arrays in neither a convolution layout nor a kept (unwritten) tensor, and their new ``.grad``."""
    members = []
    for k, t in enumerate(state.tensors):
        new = out_shape[0][k]
        if kept[k] or k in in_l or k in out_l or not (pack.small(new.shape) and _movable(t._s, arrays[k])):
            continue
        members.append((("a", k), new.shape, new.dtype))
        g = out_pos.get(("g", k))
        new = out_shape[1][k]
        if g is not None and g not in out_l and (t._grad is None or _movable(t._grad._s, grads[k])):
            members.append((("g", k), new.shape, new.dtype))
    return members


def _repack(state, packs):
    """Moves the planned tensors' current values into their packs, so that the program's first
    call already takes them packed."""
    for dtype, _, members in packs:
        holders = [(state.tensors[k] if kind == "a" else state.tensors[k]._grad) for (kind, k), _ in members]
        cell = pack.Cell(pack.pack_values([spec.shape if t is None else t._s[0]
                                           for t, (_, spec) in zip(holders, members)], dtype))
        for t, (_, spec) in zip(holders, members):
            if t is not None:
                _set_layout(t._s, cell, spec)


def _logical_aval(a, lay):
    if lay is None:
        shape = a.shape
    elif type(lay) is tuple:
        shape = tuple(a.shape[i] for i in lay)
    else:
        shape = lay.shape
    return jax.ShapeDtypeStruct(shape, a.dtype)


def _relayout(s, perm):
    """Stores storage ``s``'s value in layout ``perm`` (None: PyTorch's)."""
    value = s[0]
    if perm is None:
        s[0] = value
    else:
        # the PyTorch-layout array is not kept: the program's first run replaces both anyway
        _set_layout(s, jnp.transpose(value, layout.inverse(perm)), perm)


def _as_float(x):
    return float(x._s[0]) if isinstance(x, Tensor) else float(x)


def _culprit(err):
    import traceback
    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        if "/torchlike/" in frame.filename and frame.name in ("item", "tolist", "__bool__", "__float__", "__int__",
                                                                "__index__", "numpy", "__repr__", "__array__"):
            return f"Tensor.{frame.name}()"
    return "an operation"


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False, explain=False, fallback=None):
    """Compiles ``model`` into XLA programs. A function (typically a whole training step:
    forward, backward, optimizer step) becomes one program per input shapes/dtypes and state
    structure; an ``nn.Module`` gets its forward compiled into one recorded op, so backward
    through it works as before (see ``_compile/module.py``). ``explain=True`` prints why each compilation
    happened (also logged to the ``torchlike.compile`` logger). ``fallback='eager'`` runs steps
    that cannot be compiled eagerly instead of raising. ``backend``, ``mode`` and ``dynamic`` are
    accepted for PyTorch compatibility and ignored."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable, explain=explain, fallback=fallback)
    if disable:
        return model
    from ..nn.modules.module import Module
    if isinstance(model, Module):
        from .module import CompiledModule
        return CompiledModule(model)
    return CompiledStep(model, explain=explain, fallback=fallback)
