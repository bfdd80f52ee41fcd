"""Adagrad."""
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer, _check_differentiable, _hyper, _state_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Implements Adagrad, as ``torch.optim.Adagrad``.

    Update rule, per parameter :math:`\theta` with gradient :math:`g`; ``step`` counts from 1::

        g = -g                                       if maximize
        g = g + weight_decay * theta                 if weight_decay != 0
        clr = lr / (1 + (step - 1) * lr_decay)
        s = s + g * g                                (sum, starting at initial_accumulator_value)
        theta = theta - clr * g / (sqrt(s) + eps)

    As in PyTorch, the state (``step``, ``sum``) is created at construction. All parameters of a
    group are updated in one compiled JAX call. Sparse gradients do not exist in torchlike;
    ``foreach`` and ``fused`` are accepted and recorded; ``differentiable=True`` is not supported.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        _check_differentiable("Adagrad", differentiable)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = self._step_tensor(p)
                state["sum"] = self._sum(p, initial_accumulator_value)

    @staticmethod
    def _sum(p, value):
        arr = p._s[0]
        fill = complex(value, value) if jnp.iscomplexobj(arr) else value
        return _state_tensor(p, jnp.full(arr.shape, fill, arr.dtype))

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(foreach=None, maximize=False, differentiable=False, fused=None)
        self._convert_legacy_steps()

    def share_memory(self):
        """A no-op: JAX arrays are not shared across processes through torch.multiprocessing."""

    def step(self, closure=None):
        """Performs a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_groups(closure)

    def _init_state(self, group, p, state):
        state["step"] = self._step_tensor(p)
        state["sum"] = self._sum(p, self.defaults["initial_accumulator_value"])

    @staticmethod
    def _static(group):
        return (group["weight_decay"] != 0, bool(group["maximize"]))

    @staticmethod
    def _scalars(group):
        return (_hyper(group["lr"]), _hyper(group["lr_decay"]), _hyper(group["eps"]), _hyper(group["weight_decay"]))

    @staticmethod
    def _update(static, h, param, grad, state):
        has_weight_decay, maximize = static
        lr, lr_decay, eps, weight_decay = h[0], h[1], h[2], h[3]
        dt = param.dtype
        step = state["step"] + 1
        if maximize:
            grad = -grad
        if has_weight_decay:
            grad = grad + weight_decay.astype(dt) * param
        clr = lr / (1 + (step.astype(jnp.float64) - 1) * lr_decay)
        state_sum = state["sum"] + grad * grad
        std = jnp.sqrt(state_sum) + eps.astype(dt)
        return param + ((-clr).astype(dt) * grad) / std, {"step": step, "sum": state_sum}


Adagrad.__module__ = "torch.optim.adagrad"
