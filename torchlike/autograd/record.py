"""The single recording path: every op call goes through ``apply``.

``apply`` runs the op's forward as a cached ``jax.jit`` function, or on the main thread
defers it (``lazy.py``: the op runs later, with the ops around it, as one program), and, when
grad is needed, records a Node. Nodes keep only the inputs PyTorch would save; the backward recomputes what
it needs from them inside its own compiled program (see ``vjp_pure``), so the tape never
traces ``jax.vjp`` per call. Compiled functions are cached per (op, static arguments, each
argument's dtype or scalar constant, default dtype); jax.jit then caches per shape.

Where the C extension was built, ``apply`` is its version (``native/apply.c``, installed by
``install_native``): it does what this file's ``apply`` does for an op whose caches are warm,
and calls this ``apply`` (kept as ``python_apply``) for everything else.
"""
import os
import re
import weakref

import jax
import jax.numpy as jnp
import numpy as np
from jax._src.array import ArrayImpl as _ArrayImpl

from .. import _dtype
from . import grad_mode, lazy as _lazy
from .node import Node, _node_classes, next_seq as _next_seq, node_class

_state = grad_mode.state
_ref = weakref.ref
_default_dtype = _dtype._default
_pure = {}        # fkey -> (pure forward with casts, jitted forward)
_vjp_jit = {}     # node key -> jitted per-node VJP


# What a node keeps to check one saved tensor for PyTorch's in-place modification error: a list
# [version counter, version at save time, input index or None for the node's own output, weakref
# to the tensor] (PyTorch's message names the tensor's grad_fn at backward time). A list, not an
# object: one is made per saved input of every recorded op.
COUNTER, VERSION, INDEX, TENSOR = range(4)


def saved_check(t, index):
    return [t._v, t._v[0], index, weakref.ref(t)]


def own_write(node, t, result=None):
    """``t`` was just written by the op that recorded ``node`` (an in-place op, or a module's
    buffer update): that write is not a later modification of what the node saved."""
    for s in node.checks:
        if s[COUNTER] is t._v:
            s[VERSION] = t._v[0]
        elif result is not None and s[INDEX] is None and s[COUNTER] is result._v:  # a saved result is now t
            s[COUNTER], s[VERSION] = t._v, t._v[0]


def compute_dtype(spec, args):
    """The dtype the op computes in, by torch's promotion of tensors and Python scalars."""
    if spec.cast is not None:
        args = [args[i] for i in spec.cast]
    dims, zeros, scalars = [], [], []
    for a in args:
        if a is None:
            continue
        if isinstance(a, Tensor):
            (zeros if _meta(a).ndim == 0 else dims).append(a.dtype)
        else:
            scalars.append(_dtype.scalar_dtype(a))
    out = _dtype.result_type(dims, zeros, scalars)
    if spec.promote == "float" and not (out.is_floating_point or out.is_complex):
        out = _dtype.get_default_dtype()
    return out


def _make_pure(spec, statics, compute, consts):
    """The op's forward as a function of its tensor arguments: casts to the compute dtype and
    puts back the Python scalars that were compiled in as constants."""
    fn = spec.fn
    cast_to = compute.np if compute is not None else None
    seq = spec.seq
    which = spec.cast

    def cast(x):
        if x is None:
            return x
        if hasattr(x, "dtype"):
            return x if x.dtype == cast_to else x.astype(cast_to)
        return jnp.asarray(x, cast_to)

    def pure(*xs):
        if consts:
            xs = [consts.get(i, x) for i, x in enumerate(xs)]
        if cast_to is not None:
            if which is None:
                xs = [cast(x) for x in xs]
            else:
                xs = [cast(x) if i in which else x for i, x in enumerate(xs)]
        return fn(list(xs), *statics) if seq else fn(*xs, *statics)
    return pure


# Python scalars (``x * 2``, ``alpha=1``, an exponent) are compiled in as constants: passing one
# as an argument costs a host-to-device transfer per call. A scalar position that has seen
# _MAX_CONSTANTS different values (``x * i`` in a loop) becomes a dynamic argument instead.
_MAX_CONSTANTS = 8
_constants_seen = {}
_dynamic_positions = set()
_known_constants = set()  # (spec, position, type, value) of nonzero constants: apply's one-lookup check


def _constant(spec, i, a):
    key = (spec, i)
    item = (type(a), a)
    seen = _constants_seen.get(key)
    # a zero skips the fast check: -0.0 equals 0.0 as a key, but not as a constant
    if a and seen is not None and item in seen:
        return True
    # NaN never equals a cached key
    if key in _dynamic_positions or a != a or (a == 0 and _negative_zero(a)):
        return False
    if seen is None:
        seen = _constants_seen[key] = set()
    if item not in seen:
        if len(seen) >= _MAX_CONSTANTS:
            _dynamic_positions.add(key)
            return False
        seen.add(item)
    if a:
        _known_constants.add((spec, i, type(a), a))
    return True


def _negative_zero(a):
    if isinstance(a, complex):
        return bool(np.signbit(a.real) or np.signbit(a.imag))
    return not isinstance(a, (int, np.integer)) and bool(np.signbit(a))


def apply(spec, args, statics=()):
    """Calls op ``spec`` on ``args`` (Tensors, Python scalars or None, in the op's tensor-
    parameter order) with hashable ``statics``; returns Tensor(s) with the node recorded.

    The op runs as the jitted function cached under ``fkey``: the op, its statics, each tensor's
    dtype and each scalar's type or value (jax.jit then caches per shape). This is the hot path
    of every eager op, hence one frame for the forward and plain loops."""
    xs, sig = [], []
    first = None
    mixed = False
    consts = None
    rg = 0                  # bit i: argument i requires grad
    lazy = _state.lazy      # defer the op (``lazy.py``): only arrays on the default device, no tracers
    pending = False         # an input is a deferred result
    i = 0
    for a in args:
        if isinstance(a, Tensor):
            s = a._s
            if s.__class__ is _PendingStorage:
                arr = list.__getitem__(s, 0)
                pending = True
            else:
                arr = s[0]
                if arr.__class__ is not _ArrayImpl:
                    lazy = False
            dt = arr.aval.dtype  # Array.dtype is a Python property over aval: 3x slower
            if first is None:
                first = dt
            elif dt is not first:  # equal dtypes that are distinct objects only cost a longer key
                mixed = True
            if a._rg:
                rg |= 1 << i
            xs.append(arr)
            sig.append(dt)
        elif a is None:
            xs.append(None)
            sig.append(None)
        elif a and (spec, i, a.__class__, a) in _known_constants or _constant(spec, i, a):
            xs.append(None)
            sig.append((type(a), a))
            if consts is None:
                consts = {}
            consts[i] = a
        else:
            xs.append(a)
            sig.append(type(a))
        i += 1
    key_sig = tuple(sig)
    if mixed:  # torch's promotion also reads which tensors are 0-dim
        key_sig = tuple((s, x.ndim == 0) if isinstance(a, Tensor) else s for s, x, a in zip(sig, xs, args))
    # the default dtype decides what Python floats and integer division promote to
    fkey = (spec, statics, key_sig, _default_dtype[0])
    try:
        entry = _pure.get(fkey)
    except TypeError as e:
        if "unhashable" not in str(e):
            raise
        return apply(spec, args, _freeze(statics))
    if entry is None:
        compute = compute_dtype(spec, args) if spec.promote else None
        pure = _make_pure(spec, statics, compute, consts)
        jitted = jax.jit(pure)
        entry = _pure[fkey] = (pure, jitted, _lazy.register(pure, jitted) if getattr(spec, "defer", True) else None)
    try:
        out = _lazy.record(entry, xs, rg and _state.enabled) if lazy and entry[2] is not None else None
    except (TypeError, ValueError) as e:  # the op's abstract evaluation
        _raise_if_broadcast(e)
        raise
    if out is None:
        if _quiet[0]:
            _lazy.tick()
        if pending:
            xs = [_lazy.resolve(x) for x in xs]
        try:
            out = entry[1](*xs)
        except ValueError as e:  # no per-op device check: JAX refuses arrays committed to different devices
            if "incompatible devices" not in str(e):
                _raise_if_broadcast(e)
                raise
            from .._device import reconcile_devices
            reconcile_devices(args, e)  # raises PyTorch's error, or moves one-device arrays onto a mesh
            return apply(spec, args, statics)
        except TypeError as e:
            _raise_if_broadcast(e)
            raise
        wrap = _wrap
    else:
        wrap = _wrap_pending
    if type(out) is tuple or type(out) is list:
        if not (rg and _state.enabled and spec.grad_name is not None):
            return tuple(wrap(o) for o in out)
        avals = tuple((o.shape, o.dtype, o.dtype in _DIFF) for o in out)
        node = _record(spec, fkey, args, xs, sig, statics, avals, tuple([x[2] for x in avals]), rg)
        res = tuple(wrap(o, node, i) if node.out_avals[i][2] else wrap(o) for i, o in enumerate(out))
        if spec.saves_out:
            node.checks.extend(saved_check(t, None) for t in res if t._node is node)
        return res
    if not (rg and _state.enabled and spec.grad_name is not None):
        return wrap(out)
    aval = out.aval
    dt = aval.dtype
    if dt not in _DIFF:  # integer/bool results never require grad
        return wrap(out)
    node = _record(spec, fkey, args, xs, sig, statics, ((aval.shape, dt, True),), _ONE_DIFF, rg)
    res = wrap(out, node, 0)
    if spec.saves_out:
        node.checks.append(saved_check(res, None))
    return res


_SHAPE = re.compile(r"\(([\d, ]*)\)")


def _raise_if_broadcast(e):
    """Raises PyTorch's error where ``e`` is JAX's for shapes that do not broadcast:
    ``infer_size`` folds the shapes left to right and names the first mismatch from the last
    dimension. Returns for any other error, which the caller raises as it is."""
    text = str(e)
    if "incompatible shapes for broadcasting" not in text.lower():
        return
    shapes = [tuple(int(d) for d in m.split(",") if d.strip()) for m in _SHAPE.findall(text.split(":", 1)[-1])]
    a = shapes[0] if shapes else ()
    for b in shapes[1:]:
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                   f"non-singleton dimension {i}") from None
        a = tuple(max(x, y) for x, y in zip(a, b))


def _record(spec, fkey, args, xs, sig, statics, out_avals, out_diff, diff):
    """The node of an op whose arguments ``diff`` (bit i: argument i) require grad."""
    name = spec.grad_name
    cls = _node_classes.get(name) if type(name) is str else None
    node = (cls or node_class(name if type(name) is str else name(args, statics)))()
    node.seq = _next_seq()
    edges, checks = [], []
    saved = xs     # copied only if some input is not saved
    avals = None   # shape and dtype of the inputs not saved
    saves = spec.saves  # None: every input; else {input: mask of the inputs whose gradients read it}
    i = 0
    for a in args:
        if not isinstance(a, Tensor):
            edges.append(None)  # saved: the scalar, or None where it is compiled in
            i += 1
            continue
        if diff >> i & 1:
            n = a._node
            edges.append((n, a._out_nr) if n is not None else (a._acc or a._accumulator(), 0))
        else:
            edges.append(None)
        if saves is None or saves.get(i, 0) & diff or sig[i] not in _DIFF:
            # integer and bool inputs (indices, masks) are always read by the VJP
            checks.append([a._v, a._v[0], i, _ref(a)])  # saved_check(a, i), without the call
        else:
            if saved is xs:
                saved = list(xs)
                avals = [None] * len(xs)
            saved[i] = None
            avals[i] = (xs[i].aval.shape, sig[i])  # a deferred result's Pending has an aval too
        i += 1
    avals = (None,) * len(xs) if avals is None else tuple(avals)
    node.out_avals = out_avals
    node.key = (fkey, _positions.get(diff) or _bits(diff), avals, out_diff)
    node.saved = saved
    node.avals = avals
    node.edges = edges
    node.checks = checks
    return node


_ONE_DIFF = (True,)
_positions = {}  # bit mask -> the tuple of its set bits' positions, shared by every node


def _bits(mask):
    t = _positions[mask] = tuple(i for i in range(mask.bit_length()) if mask >> i & 1)
    return t


_DIFF = frozenset(d.np for d in _dtype.ALL if d.is_floating_point or d.is_complex)



def _freeze(x):
    if isinstance(x, (list, tuple)):
        return tuple(_freeze(v) for v in x)
    return x


def vjp_pure(key, saved, cts):
    """Input cotangents of one node, from ``jax.vjp`` of the op's forward (traced inside jit)."""
    fkey, diff, avals, out_diff = key
    pure = _pure[fkey][0]
    full = [jnp.zeros(av[0], av[1]) if av is not None else s for s, av in zip(saved, avals)]

    multi = []

    def f(*d):
        xs = list(full)
        for i, v in zip(diff, d):
            xs[i] = v
        out = pure(*xs)
        if isinstance(out, (tuple, list)):
            multi.append(True)
            return tuple(o for o, keep in zip(out, out_diff) if keep)
        return out

    primal_out, pull = jax.vjp(f, *[full[i] for i in diff])
    cts = tuple(c for c, keep in zip(cts, out_diff) if keep)
    # An in-place op whose result was cast back to its input's dtype (x.add_(float64)) receives
    # gradients in that dtype; PyTorch's engine casts them to the output's dtype, as this does.
    outs = primal_out if isinstance(primal_out, tuple) else (primal_out,)
    cts = tuple(c if c.dtype == o.dtype else c.astype(o.dtype) for c, o in zip(cts, outs))
    return pull(cts if multi else cts[0])


def vjp_jitted(key):
    fn = _vjp_jit.get(key)
    if fn is None:
        fn = _vjp_jit[key] = jax.jit(lambda saved, cts: vjp_pure(key, saved, cts))
    return fn


def _wrap_pending(p, node=None, out_nr=0):
    storages = p.seg.storages
    if storages is None:  # its segment ran already: a read between the record and here
        return _wrap(p.get(), node, out_nr)
    s = _PendingStorage()
    s.append(p)
    storages.append(s)
    return _wrap_storage(s, node, out_nr)


def wrap_any(x, node=None, out_nr=0):
    """A Tensor over an array or a deferred op's Pending."""
    return _wrap_pending(x, node, out_nr) if x.__class__ is _lazy.Pending and x.value is None else \
        _wrap(_lazy.resolve(x), node, out_nr)


def install_native():
    """Makes ``apply``, ``lazy.record``, ``wrap_any``, ``Tensor._set_result`` and the backward
    engine's planning the C versions of their common case (``native/``: an op with warm caches, a
    backward pass without hooks) where that was built, unless ``TORCHLIKE_NATIVE=0``. They hand
    every other call to the Python functions, which stay the specification."""
    global apply, wrap_any, python_set_result
    if os.environ.get("TORCHLIKE_NATIVE", "1") == "0":
        return
    try:
        from . import _native
    except ImportError:  # not built (no C compiler at install): the Python path does it all
        return
    from . import engine
    from .node import AccumulateGrad
    python_set_result = Tensor._set_result
    Tensor._set_result = _native.setup(globals(), vars(_lazy), Tensor, Node, AccumulateGrad)
    apply, wrap_any = _native.apply, _native.wrap_any
    _lazy.record = _native.record
    _lazy._alive_indices = _native.alive_indices
    engine._native_walk, engine._native_layout = _native.walk, _native.layout


python_apply = apply
python_set_result = None  # Tensor._set_result in Python, where the C version replaced it
_quiet = _lazy._quiet  # ops left to run at the call before deferring again (``lazy.py``)
# set by torchlike._tensor once the class exists (the modules need each other)
Tensor = _wrap = _wrap_storage = _PendingStorage = _meta = None
