"""Calling a Module with hooks: forward pre-hooks, forward hooks and full backward (pre-)hooks.

Backward hooks follow PyTorch's design: the module's tensor inputs and outputs pass through an
identity op whose grad_fn is ``BackwardHookFunctionBackward``; a pre-hook on the output node
captures grad_output, a hook on the input node sees grad_input. The identity's gradient comes
from ``jax.vjp`` like every other op's.
"""
import warnings

from ..._tensor import Tensor
from ..._ops.registry import op
from ...autograd import grad_mode


@op("BackwardHookFunctionBackward", seq=True, promote=None, saves=(), method=False, out=False)
def _backward_hook_function(tensors):
    return tuple(tensors)


class _BackwardHook:
    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply_on_tensors(self, register, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not idx or not grad_mode.state.enabled:
            return args, None
        new = _backward_hook_function([args[i] for i in idx])
        register(new[0].grad_fn)
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def setup_input_hook(self, args):
        def register(node):
            def hook(grad_input, _):
                if self.grad_outputs is None:
                    return None
                res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
                for user_hook in self.user_hooks:
                    out = user_hook(self.module, res, self.grad_outputs)
                    if out is None:
                        continue
                    if len(out) != len(res):
                        raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, "
                                           f"but expected {len(res)}")
                    res = out
                self.grad_outputs = None
                return [res[i] for i in self.input_tensors_index]
            node.register_hook(hook)
        res, self.input_tensors_index = self._apply_on_tensors(register, args)
        self.n_inputs = len(args)
        return res

    def setup_output_hook(self, result):
        def register(node):
            def hook(grad_output):
                self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output, self.n_outputs)
                for user_pre_hook in self.user_pre_hooks:
                    new = user_pre_hook(self.module, self.grad_outputs)
                    if new is None:
                        continue
                    if len(new) != len(self.grad_outputs):
                        raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got "
                                           f"{len(new)}, but expected {len(self.grad_outputs)}")
                    self.grad_outputs = tuple(new)
                local = self.grad_outputs
                if self.input_tensors_index is None:
                    warnings.warn(
                        "Full backward hook is firing when gradients are computed with respect to module outputs "
                        "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                        "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                        stacklevel=5)
                    grad_inputs = self._pack_with_none([], [], self.n_inputs)
                    for user_hook in self.user_hooks:
                        r = user_hook(self.module, grad_inputs, self.grad_outputs)
                        if r is not None and not (isinstance(r, tuple) and all(el is None for el in r)):
                            raise RuntimeError("Backward hook for Modules where no input requires gradient should "
                                               "always return None or None for all gradients.")
                    self.grad_outputs = None
                return tuple(local[i] for i in self.output_tensors_index)
            node.register_prehook(hook)
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, self.output_tensors_index = self._apply_on_tensors(register, args)
        self.n_outputs = len(args)
        return res if is_tuple else res[0]


def _run_forward_hook(module, hook_id, hook, args, kwargs, result):
    """One forward hook; what it returns, if not None, replaces the module's output."""
    if hook_id in module._forward_hooks_with_kwargs:
        r = hook(module, args, kwargs, result)
    else:
        r = hook(module, args, result)
    return result if r is None else r


def call_with_hooks(module, args, kwargs):
    result = None
    called_always = set()
    try:
        for hook_id, hook in module._forward_pre_hooks.items():
            if hook_id in module._forward_pre_hooks_with_kwargs:
                r = hook(module, args, kwargs)
                if r is not None:
                    if isinstance(r, tuple) and len(r) == 2:
                        args, kwargs = r
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {r}.")
            else:
                r = hook(module, args)
                if r is not None:
                    args = r if isinstance(r, tuple) else (r,)
        bw_hook = None
        full_hooks = list(module._backward_hooks.values()) if module._is_full_backward_hook else []
        pre_hooks = list(module._backward_pre_hooks.values())
        if full_hooks or pre_hooks:
            bw_hook = _BackwardHook(module, full_hooks, pre_hooks)
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in module._forward_hooks.items():
            if hook_id in module._forward_hooks_always_called:
                called_always.add(hook_id)
            result = _run_forward_hook(module, hook_id, hook, args, kwargs, result)
        if bw_hook:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                              f"Tensors but received {type(result)}", stacklevel=2)
            else:
                result = bw_hook.setup_output_hook(result)
        return result
    except Exception:
        for hook_id, hook in module._forward_hooks.items():
            if hook_id in module._forward_hooks_always_called and hook_id not in called_always:
                try:
                    result = _run_forward_hook(module, hook_id, hook, args, kwargs, result)
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {str(e)}", stacklevel=2)
        raise
