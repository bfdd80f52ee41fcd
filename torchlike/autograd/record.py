"""The single recording path: every op call goes through ``apply``.

``apply`` runs the op's forward as a cached ``jax.jit`` function and, when grad is needed,
records a Node. Nodes keep only the inputs PyTorch would save; the backward recomputes what
it needs from them inside its own compiled program (see ``vjp_pure``), so the tape never
traces ``jax.vjp`` per call. Compiled functions are cached per (op, static arguments, each
argument's dtype or scalar constant, default dtype); jax.jit then caches per shape.
"""
import weakref

import jax
import jax.numpy as jnp

from .. import _dtype
from . import grad_mode
from .node import _node_classes, node_class

_state = grad_mode.state
_default_dtype = _dtype._default
_pure = {}        # fkey -> (pure forward with casts, jitted forward)
_vjp_jit = {}     # node key -> jitted per-node VJP


class Saved:
    """What a node keeps of one saved tensor input: the array, and the tensor's version counter
    and version at save time, for PyTorch's in-place modification error."""

    __slots__ = ("array", "counter", "version", "index", "tensor")

    def __init__(self, t, index):
        self.tensor = weakref.ref(t)  # PyTorch's message names the tensor's grad_fn at backward time
        self.array = t._s[0] if index is not None else None  # outputs are recomputed, not kept
        self.counter = t._v
        self.version = t._v[0]
        self.index = index  # None: the node's own output (PyTorch saves some results)


def compute_dtype(spec, args):
    """The dtype the op computes in, by torch's promotion of tensors and Python scalars."""
    if spec.cast is not None:
        args = [args[i] for i in spec.cast]
    dims, zeros, scalars = [], [], []
    for a in args:
        if a is None:
            continue
        if isinstance(a, Tensor):
            (zeros if a._s[0].ndim == 0 else dims).append(a.dtype)
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


def _constant(spec, i, a):
    key = (spec, i)
    if key in _dynamic_positions or a != a:  # NaN never equals a cached key
        return False
    seen = _constants_seen.get(key)
    if seen is None:
        seen = _constants_seen[key] = set()
    item = (type(a), a)
    if item not in seen:
        if len(seen) >= _MAX_CONSTANTS:
            _dynamic_positions.add(key)
            return False
        seen.add(item)
    return True


def forward(spec, statics, args):
    """Runs the op; returns (fkey, raw output(s), arguments as passed, whether a tensor argument
    requires grad). ``fkey`` names the
    compiled forward: the op, its statics, each tensor's dtype and each scalar's type or value
    (jax.jit then caches per shape)."""
    xs, sig = [], []
    first = None
    mixed = False
    consts = None
    rg = False
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            arr = a._s[0]
            dt = arr.dtype
            if first is None:
                first = dt
            elif dt != first:
                mixed = True
            if a._rg:
                rg = True
            xs.append(arr)
            sig.append(dt)
        elif a is None:
            xs.append(None)
            sig.append(None)
        elif _constant(spec, i, a):
            xs.append(None)
            sig.append((type(a), a))
            if consts is None:
                consts = {}
            consts[i] = a
        else:
            xs.append(a)
            sig.append(type(a))
    if mixed:  # torch's promotion also reads which tensors are 0-dim
        sig = [(s, x.ndim == 0) if isinstance(a, Tensor) else s for s, x, a in zip(sig, xs, args)]
    # the default dtype decides what Python floats and integer division promote to
    fkey = (spec, statics, tuple(sig), _default_dtype[0])
    entry = _pure.get(fkey)
    if entry is None:
        compute = compute_dtype(spec, args) if spec.promote else None
        pure = _make_pure(spec, statics, compute, consts)
        entry = _pure[fkey] = (pure, jax.jit(pure))
    try:
        return fkey, entry[1](*xs), xs, rg
    except ValueError as e:  # no per-op device check: JAX refuses arrays committed to different devices
        if "incompatible devices" not in str(e):
            raise
        from .._device import reconcile_devices
        reconcile_devices(args, e)  # raises PyTorch's error, or moves one-device arrays onto a mesh
        return forward(spec, statics, args)


def apply(spec, args, statics=()):
    """Calls op ``spec`` on ``args`` (Tensors, Python scalars or None, in the op's tensor-
    parameter order) with hashable ``statics``; returns Tensor(s) with the node recorded."""
    try:
        fkey, out, xs, rg = forward(spec, statics, args)
    except TypeError as e:
        if "unhashable" not in str(e):
            raise
        statics = _freeze(statics)
        fkey, out, xs, rg = forward(spec, statics, args)
    wrap = Tensor._wrap
    multi = type(out) is tuple or type(out) is list
    if not (rg and _state.enabled and spec.grad_name is not None):
        return tuple(wrap(o) for o in out) if multi else wrap(out)
    if not multi:
        dt = out.dtype
        if dt not in _DIFF:  # integer/bool results never require grad
            return wrap(out)
        node = _record(spec, fkey, args, xs, statics, ((out.shape, dt, True),))
        res = wrap(out, node, 0)
        if spec.saves_out:
            node.checks.append(Saved(res, None))
        return res
    node = _record(spec, fkey, args, xs, statics, tuple((o.shape, o.dtype, o.dtype in _DIFF) for o in out))
    res = tuple(wrap(o, node, i) if node.out_avals[i][2] else wrap(o) for i, o in enumerate(out))
    if spec.saves_out:
        node.checks.extend(Saved(t, None) for t in res if t._node is node)
    return res


def _record(spec, fkey, args, xs, statics, out_avals):
    name = spec.grad_name if type(spec.grad_name) is str else spec.grad_name(args, statics)
    cls = _node_classes.get(name)
    node = (cls or node_class(name))()
    edges, diff, saved, avals, checks = [], [], [], [], []
    saves = spec.saves
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            edges.append(None)
            saved.append(xs[i])  # None where the scalar is compiled in
            avals.append(None)
            continue
        if a._rg:
            n = a._node
            edges.append((n, a._out_nr) if n is not None else (a._accumulator(), 0))
            diff.append(i)
        else:
            edges.append(None)
        arr = xs[i]
        if saves is None or i in saves or arr.dtype not in _DIFF:
            # integer and bool inputs (indices, masks) are always read by the VJP
            s = Saved(a, i)
            saved.append(arr)
            checks.append(s)
            avals.append(None)
        else:
            saved.append(None)
            avals.append((arr.shape, arr.dtype))
    node.out_avals = out_avals
    node.key = (fkey, tuple(diff), tuple(avals), tuple(x[2] for x in out_avals))
    node.fn = fkey
    node.saved = saved
    node.avals = avals
    node.edges = edges
    node.checks = checks
    node.n_out = len(out_avals)
    return node


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


Tensor = None  # set by torchlike._tensor once the class exists (the two modules need each other)
