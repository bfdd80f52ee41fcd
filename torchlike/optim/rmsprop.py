"""RMSprop."""
import jax.numpy as jnp

from .._tensor import Tensor
from .adam import _lerp
from .optimizer import Optimizer, _check_differentiable, _hyper

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""Implements RMSprop, as ``torch.optim.RMSprop``.

    Update rule, per parameter :math:`\theta` with gradient :math:`g`::

        g = -g                                       if maximize
        g = g + weight_decay * theta                 if weight_decay != 0
        v = alpha * v + (1 - alpha) * g * g          (square_avg)
        if centered:
            m = m + (1 - alpha) * (g - m)            (grad_avg, a lerp)
            avg = sqrt(v - m * m) + eps
        else:
            avg = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / avg               (momentum_buffer)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / avg

    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` / ``grad_avg`` when
    used. All parameters of a group are updated in one compiled JAX call. ``foreach`` and
    ``capturable`` are accepted and recorded; ``differentiable=True`` is not supported.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        _check_differentiable("RMSprop", differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(momentum=0, centered=False, foreach=None, maximize=False, differentiable=False,
                                capturable=False)
        self._convert_legacy_steps()

    def step(self, closure=None):
        """Performs a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_groups(closure)

    def _init_state(self, group, p, state):
        state["step"] = self._step_tensor(p)
        state["square_avg"] = self._zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = self._zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = self._zeros_like(p)

    @staticmethod
    def _static(group):
        return (group["weight_decay"] != 0, group["momentum"] > 0, bool(group["centered"]), bool(group["maximize"]))

    @staticmethod
    def _scalars(group):
        return (_hyper(group["lr"]), _hyper(group["alpha"]), _hyper(group["eps"]), _hyper(group["weight_decay"]),
                _hyper(group["momentum"]))

    @staticmethod
    def _update(static, h, param, grad, state):
        has_weight_decay, has_momentum, centered, maximize = static
        lr, alpha, eps, weight_decay, momentum = h[0], h[1], h[2], h[3], h[4]
        dt = param.dtype
        if maximize:
            grad = -grad
        new_state = {"step": state["step"] + 1}
        if has_weight_decay:
            grad = grad + weight_decay.astype(dt) * param
        square_avg = state["square_avg"] * alpha.astype(dt) + ((1 - alpha).astype(dt) * grad) * grad
        new_state["square_avg"] = square_avg
        if centered:
            grad_avg = _lerp(state["grad_avg"], grad, (1 - alpha).astype(dt))
            new_state["grad_avg"] = grad_avg
            avg = jnp.sqrt(square_avg + (-grad_avg) * grad_avg)
        else:
            avg = jnp.sqrt(square_avg)
        avg = avg + eps.astype(dt)
        if has_momentum:
            buf = state["momentum_buffer"] * momentum.astype(dt) + grad / avg
            new_state["momentum_buffer"] = buf
            return param + (-lr).astype(dt) * buf, new_state
        return param + ((-lr).astype(dt) * grad) / avg, new_state


RMSprop.__module__ = "torch.optim.rmsprop"
