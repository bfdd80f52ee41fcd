"""One harness for every sample row (tinygrad's ``helper_test_op``, PyTorch's OpInfo idea).

``check(sample)`` runs each form of the row (function, method, in-place, ``out=``, operator
dunders, or the row's own ``call``) in torchlike and in real PyTorch on the same inputs and
compares, per output: values (tolerance by dtype), dtype, shape, ``requires_grad``, and the
``grad_fn`` name and class name. Where PyTorch raises, torchlike must raise the same exception
type (and message, except for argument-parser TypeErrors). Then both run backward with the same
random upstream gradient and the inputs' ``.grad`` are compared; the same gradients are also
checked against ``jax.vjp`` of the computation replayed with grad mode off, so that every
gradient has two oracles: PyTorch and JAX differentiating the ops' registered forwards directly
(which catches a wrong ``saves`` entry, whose input would reach the tape's VJP as zeros).
"""
import operator

import jax
import jax.numpy as jnp
import numpy as np

import torchlike
from torchlike._tensor import Tensor

from samples import DT

_TOL = {"float16": (1e-2, 1e-3), "bfloat16": (5e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-9, 1e-10),
        "complex64": (1e-4, 1e-5), "complex128": (1e-9, 1e-10)}

# operator forms generated for rows of these ops: (operator, reflected available, in-place operator)
DUNDERS = {"add": (operator.add, operator.iadd), "sub": (operator.sub, operator.isub),
           "mul": (operator.mul, operator.imul), "div": (operator.truediv, operator.itruediv),
           "floor_divide": (operator.floordiv, operator.ifloordiv), "remainder": (operator.mod, operator.imod),
           "pow": (operator.pow, operator.ipow), "matmul": (operator.matmul, None),
           "bitwise_and": (operator.and_, operator.iand), "bitwise_or": (operator.or_, operator.ior),
           "bitwise_xor": (operator.xor, operator.ixor), "eq": (operator.eq, None), "ne": (operator.ne, None),
           "lt": (operator.lt, None), "le": (operator.le, None), "gt": (operator.gt, None),
           "ge": (operator.ge, None)}


# -- building the same inputs for both libraries -----------------------------------------------------
def _resolve(v, mod):
    if isinstance(v, DT):
        return getattr(mod, v.name)
    if isinstance(v, tuple):
        return tuple(_resolve(x, mod) for x in v)
    if isinstance(v, list):
        return [_resolve(x, mod) for x in v]
    if isinstance(v, dict):
        return {k: _resolve(x, mod) for k, x in v.items()}
    return v


def _make(arr, mod, rg):
    if mod is torchlike:
        t = torchlike.from_numpy(np.array(arr))
    else:
        t = mod.from_numpy(np.array(arr))
    if rg:
        t.requires_grad_(True)
    return t


def build(sample, mod, with_grad=True):
    """(args, leaves): the row's arguments for ``mod``; arrays (also inside lists) become tensors."""
    leaves = []

    def conv(v, i):
        if isinstance(v, np.ndarray):
            rg = with_grad and i in sample.grad
            t = _make(v, mod, rg)
            leaves.append(t if rg else None)
            return t
        if isinstance(v, list) and v and all(isinstance(x, np.ndarray) for x in v):
            return [conv(x, i) for x in v]
        return _resolve(v, mod)
    args = [conv(v, i) for i, v in enumerate(sample.args)]
    return args, leaves


# -- forms ---------------------------------------------------------------------------------------------
def forms(sample, torch):
    """(name, fn(mod, args, kwargs)) for every way the row's op can be called."""
    if sample.call is not None:
        return [("call", lambda m, a, kw: sample.call(m, *a, **kw))]
    fn = sample.fn
    out = []
    first_is_tensor = bool(sample.args) and isinstance(sample.args[0], np.ndarray)
    if sample.func:
        out.append(("function", lambda m, a, kw: getattr(m, fn)(*a, **kw)))
    if sample.method and first_is_tensor and hasattr(torch.Tensor, fn):
        out.append(("method", lambda m, a, kw: getattr(a[0], fn)(*a[1:], **kw)))
    if sample.inplace and first_is_tensor and hasattr(torch.Tensor, fn + "_"):
        out.append(("inplace", lambda m, a, kw: getattr(a[0].clone(), fn + "_")(*a[1:], **kw)))
    if sample.op in DUNDERS and sample.dunder and len(sample.args) == 2 and not sample.kw:
        f, fi = DUNDERS[sample.op]
        out.append(("dunder", lambda m, a, kw: f(a[0], a[1])))
        if not isinstance(sample.args[1], np.ndarray):
            out.append(("reflected", lambda m, a, kw: f(a[1], a[0])))
        if fi is not None and first_is_tensor:
            out.append(("idunder", lambda m, a, kw: fi(a[0].clone(), a[1])))
    return out


# -- comparison ----------------------------------------------------------------------------------------
def flatten(r):
    if isinstance(r, (tuple, list)):
        return [x for v in r for x in flatten(v)]
    return [r]


def _np(x):
    if isinstance(x, Tensor):
        arr = np.asarray(x._s[0])
    else:
        x = x.detach()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        arr = x.numpy(force=True)  # PyTorch may hand back a ZeroTensor gradient
    return arr.astype(np.float64) if arr.dtype.name == "bfloat16" else arr


def assert_values(ours, theirs, dtype_name, what, tol=None):
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != torch {b.shape}"
    rtol, atol = tol or _TOL.get(dtype_name, (0, 0))
    if rtol == 0 and atol == 0:
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def compare_outputs(ours, theirs, torch, what, tol=None):
    assert type(ours).__name__ == type(theirs).__name__ or not isinstance(theirs, tuple), \
        f"{what}: result type {type(ours).__name__} != torch {type(theirs).__name__}"
    fo, ft = flatten(ours), flatten(theirs)
    assert len(fo) == len(ft), f"{what}: {len(fo)} outputs != torch {len(ft)}"
    for k, (o, t) in enumerate(zip(fo, ft)):
        w = f"{what} output {k}"
        if not isinstance(t, torch.Tensor):
            assert not isinstance(o, Tensor) and type(o) is type(t) and o == t, f"{w}: {o!r} != torch {t!r}"
            continue
        assert isinstance(o, Tensor), f"{w}: got {type(o).__name__}, torch gives a Tensor"
        assert str(o.dtype) == str(t.dtype), f"{w}: dtype {o.dtype} != torch {t.dtype}"
        assert tuple(o.shape) == tuple(t.shape), f"{w}: shape {tuple(o.shape)} != torch {tuple(t.shape)}"
        assert_values(o, t, str(t.dtype)[6:], w, tol)
        assert o.requires_grad == t.requires_grad, f"{w}: requires_grad {o.requires_grad} != {t.requires_grad}"
        assert o.is_leaf == t.is_leaf, f"{w}: is_leaf {o.is_leaf} != torch {t.is_leaf}"
        on = None if o.grad_fn is None else o.grad_fn.name()
        tn = None if t.grad_fn is None else t.grad_fn.name()
        assert on == tn, f"{w}: grad_fn {on} != torch {tn}"
        if t.grad_fn is not None:
            assert type(o.grad_fn).__name__ == type(t.grad_fn).__name__


def _run(fn, mod, args, kw):
    try:
        return fn(mod, args, kw), None
    except Exception as e:  # noqa: BLE001  (compared with torch's below)
        return None, e


def compare_errors(ours, theirs, what):
    assert ours is not None, f"{what}: torch raised {type(theirs).__name__}: {theirs} but torchlike did not"
    assert type(ours) is type(theirs) or (isinstance(theirs, NotImplementedError) is False
                                          and type(ours).__name__ == type(theirs).__name__), \
        f"{what}: raised {type(ours).__name__}: {ours}; torch raised {type(theirs).__name__}: {theirs}"
    if not isinstance(theirs, TypeError):
        assert str(ours) == str(theirs), f"{what}: message {str(ours)!r} != torch {str(theirs)!r}"


def _float_outputs(flat, torch_flat):
    return [(o, t) for o, t in zip(flat, torch_flat)
            if isinstance(t, object) and hasattr(t, "requires_grad") and t.requires_grad]


def _cotangent(t, k):
    rng = np.random.default_rng(1000 + k)
    arr = np.asarray(rng.uniform(-1, 1, tuple(t.shape)) + 0.5)
    return arr.astype(str(t.dtype)[6:])


def check(sample, torch):
    """Runs every form of ``sample``; returns the names of the forms it ran."""
    ran = []
    for name, fn in forms(sample, torch):
        what = f"{sample.id} [{name}]"
        targs, tleaves = build(sample, torch)
        oargs, oleaves = build(sample, torchlike)
        theirs, terr = _run(fn, torch, targs, _resolve(sample.kw, torch))
        ours, oerr = _run(fn, torchlike, oargs, _resolve(sample.kw, torchlike))
        if terr is not None:
            compare_errors(oerr, terr, what)
            ran.append(name)
            continue
        if oerr is not None:
            raise AssertionError(f"{what}: torchlike raised {type(oerr).__name__}: {oerr}") from oerr
        compare_outputs(ours, theirs, torch, what, sample.tol)
        ran.append(name)
        if sample.backward:
            _check_backward(sample, fn, ours, theirs, oleaves, tleaves, what, torch)
    if sample.out and sample.call is None and sample.func:
        _check_out(sample, torch)
    return ran


def _check_backward(sample, fn, ours, theirs, oleaves, tleaves, what, torch):
    pairs = _float_outputs(flatten(ours), flatten(theirs))
    if not pairs:
        return
    cts = [_cotangent(t, k) for k, (_, t) in enumerate(pairs)]
    try:
        torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(c) for c in cts])
    except RuntimeError as e:
        # floor_divide, Scalar % Tensor, ...: PyTorch records them but raises in backward;
        # torchlike gives a zero gradient there instead (a known difference, see the README)
        assert "is not implemented" in str(e), e
        return
    torchlike.autograd.backward([o for o, _ in pairs], [torchlike.from_numpy(c) for c in cts])
    for i, (ol, tl) in enumerate(zip(oleaves, tleaves)):
        if tl is None:
            continue
        w = f"{what} grad of input {i}"
        if tl.grad is None:
            assert ol.grad is None, f"{w}: torch has no grad, torchlike has one"
            continue
        assert ol.grad is not None, f"{w}: torchlike has no grad"
        assert str(ol.grad.dtype) == str(tl.grad.dtype), f"{w}: dtype {ol.grad.dtype} != torch {tl.grad.dtype}"
        assert_values(ol.grad, tl.grad, str(tl.dtype)[6:], w, sample.gtol)
    if sample.jax:
        used = [ol if tl is not None and tl.grad is not None else None for ol, tl in zip(oleaves, tleaves)]
        _check_jax(sample, fn, used, cts, what)


def _check_jax(sample, fn, oleaves, cts, what):
    """jax.vjp of the same computation, run with grad mode off on traced arrays."""
    idx = [i for i, leaf in enumerate(oleaves) if leaf is not None]
    if not idx:
        return
    args0, _ = build(sample, torchlike, with_grad=False)
    flat0 = []

    def walk(v):
        if isinstance(v, Tensor):
            flat0.append(v)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    for a in args0:
        walk(a)

    def f(*arrays):
        for k, i in enumerate(idx):
            flat0[i]._s = [arrays[k]]
        with torchlike.no_grad():
            r = fn(torchlike, args0, _resolve(sample.kw, torchlike))
        outs = [o for o in flatten(r) if isinstance(o, Tensor) and o.dtype.is_floating_point]
        return tuple(o._s[0] for o in outs)

    primals = [oleaves[i]._s[0] for i in idx]
    outs, pull = jax.vjp(f, *primals)
    assert len(outs) >= len(cts), f"{what}: JAX replay gives {len(outs)} float outputs, torch {len(cts)}"
    outs_cts = tuple(jnp.asarray(c) for c in cts) + tuple(jnp.zeros_like(o) for o in outs[len(cts):])
    grads = pull(outs_cts)
    for k, i in enumerate(idx):
        ours = oleaves[i].grad
        assert ours is not None, f"{what}: no torchlike grad for input {i}"
        dt = str(ours.dtype)[6:]
        rtol, atol = sample.gtol or _TOL.get(dt, (0, 0))
        np.testing.assert_allclose(_np(ours), np.asarray(grads[k], np.float64), rtol=rtol, atol=atol,
                                   err_msg=f"{what} grad of input {i} vs jax.vjp")


def _check_out(sample, torch):
    """``out=``: the result lands in the given tensor (resized from empty), which is returned."""
    what = f"{sample.id} [out=]"
    targs, _ = build(sample, torch, with_grad=False)
    oargs, _ = build(sample, torchlike, with_grad=False)
    tkw, okw = _resolve(sample.kw, torch), _resolve(sample.kw, torchlike)
    try:
        ref = getattr(torch, sample.fn)(*targs, **tkw)
    except Exception:  # noqa: BLE001  (the function form already compared the error)
        return
    if not isinstance(ref, torch.Tensor):
        return
    tout = torch.empty(0, dtype=ref.dtype)
    try:
        tres = getattr(torch, sample.fn)(*targs, **tkw, out=tout)
    except TypeError:
        return  # torch has no out= here
    oout = torchlike.empty(0, dtype=getattr(torchlike, str(ref.dtype)[6:]))
    ores = getattr(torchlike, sample.fn)(*oargs, **okw, out=oout)
    assert (ores is oout) == (tres is tout), f"{what}: out tensor not returned"
    compare_outputs(oout, tout, torch, what, sample.tol)
