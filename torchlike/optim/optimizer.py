"""Optimizer: param groups, per-parameter state, state_dict, hooks, and the compiled group update.

Each optimizer states its algorithm once, as a pure per-parameter JAX function
``_update(static, h, param, grad, state) -> (new_param, new_state)`` (the MLX
``apply_single`` pattern). ``Optimizer._apply_group`` runs it for every parameter of a group
inside ONE cached ``jax.jit`` call: ``static`` holds the flags that change the algorithm's
structure (maximize, nesterov, amsgrad, ...), ``h`` the float64 hyperparameters (lr, betas,
...) as a dynamic array, so a scheduler changing lr reuses the compiled code. Results are
written back in place (same Tensor objects, version bumped), as PyTorch's ``param.add_`` does.

Hyperparameters are float64 inside the update and cast to the parameter's dtype where
PyTorch's kernels cast a Python scalar, so float32 results follow PyTorch's single-tensor
(for-loop) algorithm to rounding.
"""
import functools
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._functions import typename
from .._storage import _meta, _store
from .._tensor import Tensor
from ..autograd import grad_mode, lazy
from ..autograd.record import wrap_any
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook):
    """Registers ``hook(optimizer, args, kwargs)`` to run before every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Registers ``hook(optimizer, args, kwargs)`` to run after every optimizer's step."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _scalar_dtype():
    """PyTorch keeps ``step`` in float64 only when the default dtype is float64."""
    return np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32


def _hyper(x):
    """A hyperparameter as a Python float (a one-element Tensor lr is read by value); inside
    ``torchlike.compile`` the learning rate is a traced value and stays one."""
    if isinstance(x, jax.core.Tracer):
        return x
    return float(x._s[0].reshape(())) if isinstance(x, Tensor) else float(x)


def _check_differentiable(name, differentiable):
    if differentiable:
        raise NotImplementedError(
            f"torch.optim.{name}(differentiable=True) is not supported by torchlike: the update runs as "
            f"one compiled JAX function outside the autograd tape. Use differentiable=False.")


# -- the compiled group update --------------------------------------------------------------------
def _to_real(x):
    return jnp.stack([x.real, x.imag], axis=-1) if jnp.iscomplexobj(x) else x


def _from_real(x, like):
    return jax.lax.complex(x[..., 0], x[..., 1]).astype(like.dtype) if jnp.iscomplexobj(like) else x


def _group_update(update, static, h, params, grads, states):
    """Runs ``update`` for each parameter; complex tensors are updated as (real, imag) pairs, as
    PyTorch's ``view_as_real`` does."""
    new_params, new_states = [], []
    for p, g, s in zip(params, grads, states):
        new_p, new_s = update(static, h, _to_real(p), _to_real(g), {k: _to_real(v) for k, v in s.items()})
        new_params.append(_from_real(new_p, p))
        new_states.append({k: _from_real(v, s.get(k, p)) for k, v in new_s.items()})  # new state is param-like
    return new_params, new_states


class _GroupUpdate:
    """A group's update as one function of flat arrays (hyperparameters, parameters, gradients,
    then each parameter's state in ``keys`` order), deferred as an op is (``autograd/lazy.py``).
    ``out_keys``: the state each parameter has after it, known once it has been traced."""

    def __init__(self, update, static, keys):
        self.out_keys = None
        n = len(keys)

        def flat(h, *arrays):
            params, grads, rest = arrays[:n], arrays[n:2 * n], arrays[2 * n:]
            states, i = [], 0
            for ks in keys:
                states.append(dict(zip(ks, rest[i:i + len(ks)])))
                i += len(ks)
            new_params, new_states = _group_update(update, static, h, params, grads, states)
            self.out_keys = tuple(tuple(s) for s in new_states)
            return tuple(new_params) + tuple(v for s in new_states for v in s.values())
        self.entry = lazy.entry(flat, n)


_group_updates = {}  # (update, static, state keys) -> _GroupUpdate


def _state_tensor(p, arr):
    """A state Tensor holding ``arr`` on the device of parameter ``p``."""
    return Tensor._wrap(jax.device_put(arr, next(iter(p._s[0].devices()))))


def _write(t, arr):
    """In-place write: the Tensor object (and everything sharing its storage) sees ``arr``."""
    _store(t._s, arr)
    t._v[0] += 1


class Optimizer:
    r"""Base class for all optimizers.

    Args:
        params (iterable): an iterable of Tensors or dicts (parameter groups).
        defaults (dict): default values of optimization options, used when a parameter group
            doesn't specify them.

    Subclasses written against PyTorch's API (overriding ``step``) work unchanged; torchlike's own
    optimizers also define ``_update``/``_static``/``_scalars`` for the compiled update.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # -- step hooks ------------------------------------------------------------------------------
    @staticmethod
    def profile_hook_step(func):
        """Wraps a ``step`` so the global and per-optimizer step hooks run around it."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), but got "
                                           f"{result}.")
            out = func(*args, **kwargs)
            for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
            return out
        return wrapper

    def _patch_step_function(self):
        if not getattr(self.__class__.step, "hooked", None):
            self.__class__.step = self.profile_hook_step(self.__class__.step)
            self.__class__.step.hooked = True

    def register_step_pre_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state_dict ------------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer state as PyTorch lays it out: ``state`` maps integer parameter ids to the
        per-parameter dicts (the live state Tensors, not copies), ``param_groups`` lists every
        group's options with ``params`` as those ids."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            hook_result = post_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            return value.to(dtype=_dtype.float32) if capturable or fused else value
        if param.is_floating_point():
            return value.to(dtype=param.dtype)
        return value

    def load_state_dict(self, state_dict):
        """Loads a ``state_dict()`` (torchlike's, or PyTorch's with its tensors converted). Like
        PyTorch, loaded state Tensors of the parameter's dtype are adopted, not copied."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            hook_result = pre_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # -- gradients and groups --------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Sets every parameter's ``.grad`` to None (default) or zeroes it in place."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad
                if grad is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        if grad._node is not None:
                            grad.detach_()
                        else:
                            grad.requires_grad_(False)
                        _write(grad, jnp.zeros_like(grad._s[0]))

    def step(self, closure=None):
        raise NotImplementedError

    def add_param_group(self, param_group):
        """Adds a parameter group (a dict with ``params`` and optional options) with PyTorch's checks."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- the compiled update, shared by torchlike's optimizers ------------------------------------
    def _step_groups(self, closure):
        """PyTorch's ``step``: the closure under enable_grad, then each group's update under
        no_grad. Parameters whose ``.grad`` is None are skipped."""
        loss = None
        if closure is not None:
            with grad_mode.enable_grad():
                loss = closure()
        with grad_mode.no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p._grad is not None]
                if params:
                    self._apply_group(group, params)
        return loss

    def _init_state(self, group, p, state):
        """Fills an empty per-parameter state (PyTorch's lazy initialization)."""

    def _apply_group(self, group, params):
        states = []
        for p in params:
            if p in self.state or self._stateful(group):
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(group, p, state)
                states.append(state)
            else:
                states.append({})
        scalars = self._scalars(group)
        if any(isinstance(v, jax.core.Tracer) for v in scalars):
            h = jnp.stack([jnp.asarray(v, jnp.float64) for v in scalars])
        else:
            h = np.asarray(scalars, dtype=np.float64)
        keys = tuple(tuple(k for k, v in st.items() if isinstance(v, Tensor)) for st in states)
        ukey = (type(self)._update, self._static(group), keys)
        fn = _group_updates.get(ukey)
        if fn is None:
            fn = _group_updates[ukey] = _GroupUpdate(*ukey)
        out = lazy.run(fn.entry, [h] + [_meta(p) for p in params] + [_meta(p._grad) for p in params]
                       + [_meta(st[k]) for st, ks in zip(states, keys) for k in ks])
        i = len(params)
        for p, state, new_p, out_keys in zip(params, states, out[:i], fn.out_keys):
            _write(p, new_p)
            for key in out_keys:
                arr = out[i]
                i += 1
                old = state.get(key)
                if isinstance(old, Tensor):
                    _write(old, arr)
                else:
                    state[key] = wrap_any(arr)

    def _stateful(self, group):
        """Whether the update keeps per-parameter state (SGD without momentum does not)."""
        return True

    @staticmethod
    def _zeros_like(p):
        return _state_tensor(p, jnp.zeros_like(p._s[0]))

    @staticmethod
    def _step_tensor(p, value=0.0):
        """The ``step`` count: float32 (float64 under a float64 default dtype). Unlike PyTorch,
        which keeps it on the CPU, it lives on the parameter's device so the update compiles as
        one computation there."""
        return _state_tensor(p, jnp.asarray(value, dtype=_scalar_dtype()))

    def _setdefault_groups(self, **options):
        """``__setstate__`` of PyTorch's optimizers: each group gains the ``options`` (in this
        order) that a pickle from an older version lacks."""
        for group in self.param_groups:
            for name, default in options.items():
                group.setdefault(name, default)

    def _convert_legacy_steps(self):
        """``__setstate__`` of PyTorch's optimizers: a float ``step`` from an old checkpoint
        becomes a 0-dim Tensor."""
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and "step" in p_state and not isinstance(p_state["step"], Tensor):
                    dt = np.float32 if group.get("capturable") or group.get("fused") else _scalar_dtype()
                    p_state["step"] = _state_tensor(p, jnp.asarray(float(p_state["step"]), dtype=dt))


Optimizer.__module__ = "torch.optim.optimizer"
