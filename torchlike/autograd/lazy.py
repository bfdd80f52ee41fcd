"""Deferred execution of eager ops: a run of ops becomes one XLA program.

An eager op dispatched on its own costs 7-12 µs of XLA dispatch however small it is, and a
training step of small ops is mostly that (``../shared/FACTS.md``). So ops on the main thread
are recorded instead of run: ``record`` gives each result as a ``Pending`` that knows its
shape and dtype (from the op's abstract evaluation, cached per input avals, so a shape or dtype
error still raises at the call, as eagerly), and the Tensor holds it in a ``_PendingStorage``.
Autograd is unchanged: nodes, versions and hooks are recorded at the call as before.

A segment of recorded ops runs when one of its values is read (any ``t._s[0]`` of a pending
storage: printing, ``item()``, NumPy, an op that cannot be deferred), where a forward pass
begins after a backward pass in the segment (so a training loop gives one segment per step:
forward, fused backward, update), or when it reaches ``_MAX_OPS``. A segment whose structure
(its ops, how they connect, its inputs' avals, which results are still referenced) has run
more often than its size warrants (``_COMPILE_AFTER``, plus one per ``_OPS_PER_RUN`` ops: a
loop long enough to repay the compilation) runs as one jitted program; any other runs op by op
through each op's own cached jit, as it would have eagerly, so code that runs a few times
compiles nothing new. A program returns only the results something still references; XLA
drops the work of the others.

Deferral is for the main thread only (one segment, no locks): elsewhere ops run at the call,
and a value another thread reads is computed by running its segment there. ``TORCHLIKE_DEFER=0``
in the environment turns it off for the process.
"""
import functools
import os
import sys
import threading

import jax
import numpy as np
from jax._src.array import ArrayImpl

from . import grad_mode

try:  # whether a JAX trace is active: a run inside one must still compute concrete values
    from jax._src.core import trace_state_clean as _no_trace
except ImportError:  # pragma: no cover - older or newer JAX: always evaluate eagerly
    def _no_trace():
        return False

_MAX_OPS = 256        # a segment this long runs, so a loop that never reads stays bounded
_COMPILE_AFTER = 2    # runs of one structure op by op before it gets its own program, plus
_OPS_PER_RUN = 8      # one more run per this many ops in it: a larger program costs more to compile
_MAX_PROGRAMS = 1024  # structures remembered; a workload whose structure keeps changing clears them

_fns = []        # eid -> the op's pure function (traced into segment programs)
_jits = []       # eid -> the op's jitted function (segments run op by op)
_sizes = []      # eid -> how many ops it counts as (a fused backward: its nodes)
_avals = {}      # (eid, *input avals) -> (several outputs?, output avals), or None: not deferrable
_programs = {}   # segment key -> jitted program
_seen = {}       # segment key -> runs so far
_state = grad_mode.state
_refs = sys.getrefcount


def register(pure, jitted, size=1):
    """An id for an op's (pure, jitted) pair, under which segments name it; ``size``: how many
    ops it counts as."""
    _fns.append(pure)
    _jits.append(jitted)
    _sizes.append(size)
    return len(_fns) - 1


def unregister(eid):
    """Lets an op's functions go (a fused backward dropped from its cache): the caller ran the
    current segment first, so no recorded op still names ``eid``."""
    _fns[eid] = _jits[eid] = None


def entry(fn, size=1):
    """An op-like entry (pure, jitted, eid) for a pure function of arrays that runs outside
    ``apply`` (an optimizer's update, batch norm's running statistics), for ``run``."""
    jitted = jax.jit(fn)
    return fn, jitted, register(fn, jitted, size)


def run(entry, xs):
    """``entry``'s function on ``xs`` (arrays, Pendings, Python scalars, NumPy arrays):
    deferred where it can be, as an op is, else run now."""
    if _state.lazy:
        out = record(entry, xs)
        if out is not None:
            return out
    return entry[1](*[resolve(x) for x in xs])


class Pending:
    """A deferred op's result: its aval now, its array once its segment has run."""

    __slots__ = ("aval", "value", "seg", "k")

    def __init__(self, aval, seg, k):
        self.aval = aval
        self.value = None
        self.seg = seg
        self.k = k

    # what code reads of an array without needing its values
    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)

    def device_array(self):
        """An array on this value's device: one of its segment's inputs (all are on the one
        default device while deferring), or the value itself."""
        if self.value is None and self.seg.ext:
            for x in self.seg.ext:
                if x.__class__ is ArrayImpl:
                    return x
        return self.get()

    def get(self):
        """The array, running the segment if it has not run."""
        if self.value is None:
            flush(self.seg)
            if self.value is None:  # the segment failed: its error again
                raise RuntimeError("a deferred operation failed earlier") from self.seg.error
        return self.value


class _Segment:
    __slots__ = ("ops", "ext", "ext_ids", "ext_sig", "values", "storages", "done", "error", "backward")

    def __init__(self):
        self.ops = []        # (eid, input refs, several outputs?); a ref: value index k >= 0, or ~input
        self.ext = []        # the arrays and Python scalars the segment takes
        self.ext_ids = {}    # id -> index in ext (ext keeps each one alive, so ids stay unique)
        self.ext_sig = []    # their avals (types for Python scalars): part of the segment key
        self.values = []     # the Pendings, by k
        self.storages = []   # storages a Pending was written into, each once
        self.done = False
        self.error = None
        self.backward = False  # holds a backward pass: the next recorded forward op starts a new segment


_current = None


def record(entry, xs, recording=False):
    """Defers op ``entry`` = (pure, jitted, eid) on ``xs`` (arrays, Pendings, Python scalars,
    None); returns its Pending(s), or None where the op cannot be deferred (an output that is
    not an array). ``recording``: the op records a node (a forward pass)."""
    global _current
    seg = _current
    if seg is None or len(seg.ops) >= _MAX_OPS or (recording and seg.backward):
        if seg is not None:
            flush(seg)
        elif len(_default_devices()) > 1:  # arrays may be on different devices: see ``disable``
            disable()
            return None
        seg = _current = _Segment()
    eid = entry[2]
    refs, key = [], [eid]  # key: the op and its inputs' avals, under which its output avals are cached
    ext_ids = seg.ext_ids
    for x in xs:
        c = x.__class__
        if c is Pending and x.seg is seg and x.value is None:
            refs.append(x.k)
            key.append(x.aval)
            continue
        if x is None:  # where a constant or an absent tensor is: the op's id says so
            refs.append(None)
            continue
        if c is Pending:
            x = x.get()
            c = x.__class__
        j = ext_ids.get(id(x))
        if j is None:
            if c is ArrayImpl:
                if x.committed and x.devices() != _default_devices():
                    disable()  # a tensor placed off the default device
                    return None
                sig = x.aval
            elif isinstance(x, _SCALARS):
                sig = c
            elif c is np.ndarray:  # hyperparameters: taken as the call's values
                sig = (c, x.shape, x.dtype)
            else:  # a tracer: not deferred
                return None
            j = ext_ids[id(x)] = len(seg.ext)
            seg.ext.append(x)
            seg.ext_sig.append(sig)
        refs.append(~j)
        key.append(seg.ext_sig[j])
    key = tuple(key)
    out = _avals.get(key, False)
    if out is False:
        out = _avals[key] = _abstract(entry[1], xs)
    if out is None or seg.done:  # not deferrable, or its trace read a deferred value
        return None
    several, out_avals = out
    values = seg.values
    k = len(values)
    seg.ops.append((eid, tuple(refs), several))
    if not several:
        p = Pending(out_avals, seg, k)
        values.append(p)
        return p
    ps = tuple(Pending(a, seg, k + i) for i, a in enumerate(out_avals))
    values.extend(ps)
    return ps


_SCALARS = (int, float, complex, np.generic)
@functools.cache
def _default_devices():
    """{the default device}, or all devices where there are several (no deferral then)."""
    devices = jax.local_devices()
    return set(devices) if len(devices) > 1 else {jax.devices()[0]}


def backward_recorded():
    """The op just recorded was a backward pass. The segment goes on through what follows it
    (the optimizer's update, ``zero_grad``) and ends where the next forward pass begins: a
    training loop then runs one program per step, and the step's gradients, read by the
    update inside it and dropped by ``zero_grad``, need not leave it."""
    _current.backward = True


def _abstract(jitted, xs):
    """(several outputs?, output avals) of the op, by tracing it; its errors are the op's."""
    args = [x.aval if x.__class__ is Pending and x.value is None else
            (x.value if x.__class__ is Pending else x) for x in xs]
    out = jitted.eval_shape(*args)
    several = isinstance(out, (tuple, list))
    outs = tuple(out) if several else (out,)
    if any(not hasattr(o, "shape") for o in outs):
        return None
    avals = tuple(jax.core.ShapedArray(o.shape, o.dtype, weak_type=getattr(o, "weak_type", False)) for o in outs)
    return several, avals if several else avals[0]


def track(s, p):
    """Storage ``s`` now holds Pending ``p`` (the caller set its class and slot)."""
    s_list = p.seg.storages
    if s_list is not None:
        s_list.append(s)


def resolve(x):
    return x.get() if x.__class__ is Pending else x


def flush(seg=None):
    """Runs segment ``seg`` (default: the current one): every result still referenced gets its
    array, and the storages holding them become plain again."""
    global _current
    if seg is None:
        seg = _current
        if seg is None:
            return
    if seg.done:
        return
    seg.done = True
    if seg is _current:
        _current = None
    values, storages = seg.values, seg.storages
    seg.storages = None
    if not seg.ops:  # its only op turned out not deferrable
        seg.values = seg.ext = seg.ext_ids = seg.ext_sig = seg.ops = None
        return
    if len(seg.ops) == 1:  # one op (a value read right after it): its own jit, every result
        live_storages, live = storages, None
        _single_op_segment()
    else:
        _counts[0] = 0
        live_storages = [storages[k] for k in _alive_indices(storages)]
        # the storages of tensors that are gone are freed here, and the Pendings only they
        # held: a Pending's reference count then shows whether anything still reads it
        del storages
        live = _alive_indices(values)
    try:
        if _no_trace():
            _run(seg, values, live)
        else:
            with jax.ensure_compile_time_eval():  # read inside a trace: concrete values still
                _run(seg, values, live)
    except BaseException as e:
        seg.error = e
        raise
    finally:
        seg.values = seg.ext = seg.ext_ids = seg.ext_sig = seg.ops = None
    plain = _PlainStorage
    for s in live_storages:
        if s.__class__ is _PendingStorage:
            p = list.__getitem__(s, 0)
            if p.value is not None:
                list.__setitem__(s, 0, p.value)
                s.__class__ = plain


def _alive_indices(items):
    """Indices of the items something besides ``items`` refers to."""
    return tuple([k for k in range(len(items)) if _refs(items[k]) > _BASE])


def _calibrate():
    # the reference count of an item only ``items`` holds, as ``_alive_indices`` sees it
    global _BASE
    probe = [object()]
    _BASE = _refs(probe[0])
    assert _alive_indices(probe) == () and _alive_indices([probe[0], probe[0]]) == (0, 1)  # noqa: S101


def _run(seg, values, live):
    if live is None:
        _replay(seg.ops, seg.ext, values)
        return
    key = (tuple(seg.ops), tuple(seg.ext_sig), live)
    program = _programs.get(key)
    if program is None:
        n = _seen.get(key, 0) + 1
        if len(_seen) >= _MAX_PROGRAMS:
            _seen.clear()
            _programs.clear()
        _seen[key] = n
        if n <= _COMPILE_AFTER + sum(_sizes[op[0]] for op in seg.ops) // _OPS_PER_RUN:
            _replay(seg.ops, seg.ext, values)
            return
        program = _programs[key] = jax.jit(_program(seg.ops, live))
    for k, v in zip(live, program(seg.ext)):
        values[k].value = v


def _replay(ops, ext, values):
    """The segment op by op, each through its cached jit: what eager execution does."""
    for p, v in zip(values, _walk([(_jits[eid], refs, several) for eid, refs, several in ops], ext)):
        p.value = v


def _program(ops, live):
    steps = [(_fns[eid], refs, several) for eid, refs, several in ops]

    def program(ext):
        vals = _walk(steps, ext)
        return [vals[k] for k in live]
    return program


def _walk(steps, ext):
    """Every value of a segment: each (function, input refs, several outputs?) in ``steps`` on
    the values before it and the segment's inputs ``ext``; run as it is, or traced by jit."""
    vals = []
    for fn, refs, several in steps:
        out = fn(*[None if r is None else (vals[r] if r >= 0 else ext[~r]) for r in refs])
        if several:
            vals.extend(out)
        else:
            vals.append(out)
    return vals


# Code that reads every value as soon as it is made (printing each step, ``.item()`` after each
# op) gains nothing from deferring and pays for it: after _QUIET_AFTER one-op segments in a row,
# the next _QUIET_OPS ops run at the call, as without deferral (or until a backward pass).
_QUIET_AFTER = 8
_QUIET_OPS = 256
_counts = [0]  # one-op segments in a row
_quiet = [0]   # ops left to run at the call
_paused = [0]  # depth of ``pause()`` calls not yet undone


def _single_op_segment():
    _counts[0] += 1
    if _counts[0] >= _QUIET_AFTER:
        _counts[0] = 0
        _quiet[0] = _QUIET_OPS
        _refresh()


def tick():
    """An op ran at the call while quiet (``record.apply`` calls this only then)."""
    _quiet[0] -= 1
    if not _quiet[0]:
        _refresh()


def resume():
    """A backward pass begins: a training loop, which deferral serves."""
    if _quiet[0]:
        _quiet[0] = 0
        _refresh()


def _refresh():
    _state.lazy = (grad_mode.deferring and not _paused[0] and not _quiet[0]
                   and threading.current_thread() is threading.main_thread())


def disable():
    """Tensors may live on different devices (several devices, or a tensor moved off the
    default one): a segment's inputs could then be on different devices, which one program
    cannot take, and eager ops must raise PyTorch's error for them. Deferral stops for the
    process."""
    flush()
    grad_mode.deferring = False
    _refresh()


def pause():
    """No deferral until ``unpause``: a compiled step's trace installs tracers in tensors and
    reads storages as stored, so what was deferred runs first."""
    flush()
    _paused[0] += 1
    _refresh()


def unpause():
    _paused[0] -= 1
    _refresh()


_PendingStorage = _PlainStorage = None  # set by torchlike._tensor (the storages live there)
_calibrate()
if os.environ.get("TORCHLIKE_DEFER", "1") == "0":  # every op at its call: profiling one op, debugging
    grad_mode.deferring = False
    _refresh()
