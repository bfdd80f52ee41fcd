"""torch.func, and the bridge between torchlike and JAX's own transformations.

* ``from_jax(array)`` / ``Tensor.jax()``: a Tensor over a jax.Array and back, no copy.
* ``functional_call(module, params_and_buffers, args, kwargs)``: calls ``module`` with some of
  its tensors replaced, as torch.func does; gradients flow to the tensors passed in.
* ``to_jax(fn)``: a function of torchlike Tensors as a pure JAX function of jax.Arrays, which
  ``jax.grad``, ``jax.jit`` and ``jax.vmap`` accept. Inside, the arrays (JAX tracers under a
  transformation) are wrapped as Tensors and torchlike's ops run under ``no_grad``: every op is
  a jitted JAX function, so JAX traces straight through them and no tape is recorded.
"""
import contextlib
import functools

import jax
import numpy as np

from ._tensor import Tensor
from .autograd import grad_mode

__all__ = ["from_jax", "functional_call", "to_jax"]


def from_jax(array):
    """A Tensor over ``array`` (no copy). Tracers are accepted, so this works inside jax.jit."""
    if isinstance(array, Tensor):
        return array
    if not isinstance(array, jax.Array):
        raise TypeError(f"from_jax(): expected a jax.Array, but got {type(array).__name__}")
    return Tensor._wrap(array)


# -- functional_call ---------------------------------------------------------------------------------
_STATE = ("_s", "_v", "_rg", "_node", "_out_nr", "_acc")


def _resolve(module, name):
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


@contextlib.contextmanager
def _swapped(module, values, strict):
    """Makes each named tensor of ``module`` stand for the given tensor: same array, version
    counter, requires_grad and graph position (a leaf's gradient reaches the given tensor)."""
    saved, done, keep = [], set(), []
    if strict:
        _check_strict(module, values)
    try:
        for name, value in values.items():
            target = _resolve(module, name)
            if not isinstance(target, Tensor):
                raise AttributeError(f"{name} is not a tensor of the module")
            if not isinstance(value, Tensor):
                value = from_jax(value) if isinstance(value, jax.Array) else Tensor._wrap(np.asarray(value))
            if id(target) in done:  # tied weights: the first value wins, as tie_weights=True does
                continue
            done.add(id(target))
            saved.append((target, tuple(getattr(target, k) for k in _STATE)))
            if value._rg and value._node is None:
                keep.append(value._accumulator())  # alive for the call, however _acc refers to it
            target._s, target._v, target._rg = value._s, value._v, value._rg
            target._node, target._out_nr, target._acc = value._node, value._out_nr, value._acc
        yield
    finally:
        for target, state in reversed(saved):
            for k, v in zip(_STATE, state):
                setattr(target, k, v)


def _check_strict(module, values):
    named = getattr(module, "named_parameters", None)
    if named is None:
        return
    expected = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
    missing = sorted(expected - set(values))
    unexpected = sorted(set(values) - expected)
    if missing or unexpected:
        parts = []
        if unexpected:
            parts.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
        if missing:
            parts.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
        raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(parts))


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                    strict=False):
    """torch.func.functional_call: ``module(*args, **kwargs)`` with the named tensors replaced
    for the call. ``module`` may be any callable whose tensors are reachable by dotted
    attribute names (an nn.Module, or a plain object)."""
    if not tie_weights:
        raise NotImplementedError("torch.func.functional_call(tie_weights=False) is not supported by torchlike "
                                  "yet; pass one value per tied tensor instead.")
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (list, tuple)):
        merged = {}
        for d in dicts:
            for k in d:
                if k in merged:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is "
                                     "ambiguous")
            merged.update(d)
        dicts = merged
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, dict(dicts), strict):
        return module(*args, **(kwargs or {}))


# -- to_jax --------------------------------------------------------------------------------------------
def _is_array(x):
    return isinstance(x, (jax.Array, np.ndarray))


def _to_tensors(tree):
    return jax.tree_util.tree_map(lambda x: Tensor._wrap(x) if _is_array(x) else x, tree)


def _to_arrays(tree):
    return jax.tree_util.tree_map(lambda x: x._s[0] if isinstance(x, Tensor) else x, tree,
                                  is_leaf=lambda x: isinstance(x, Tensor))


def to_jax(fn):
    """``fn`` (Tensors in, Tensors out, any pytree of them) as a pure function of jax.Arrays.

    The result can be given to jax.grad, jax.jit and jax.vmap. Tensors the function closes
    over (a module's parameters) are constants to JAX; pass them as arguments, for instance
    through ``functional_call``, to differentiate with respect to them."""
    @functools.wraps(fn)
    def pure(*args, **kwargs):
        with grad_mode.no_grad():
            return _to_arrays(fn(*_to_tensors(args), **_to_tensors(kwargs)))
    return pure
