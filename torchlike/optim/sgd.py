"""Stochastic gradient descent, optionally with momentum."""
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer, _check_differentiable, _hyper

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Implements stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Update rule, per parameter :math:`\theta` with gradient :math:`g`, at step :math:`t`::

        g = -g                                   if maximize
        g = g + weight_decay * theta             if weight_decay != 0
        if momentum != 0:
            b = g                                if t == 1 (no momentum_buffer yet)
            b = momentum * b + (1 - dampening) * g   otherwise
            g = g + momentum * b                 if nesterov, else g = b
        theta = theta - lr * g

    The momentum buffer is ``state[p]["momentum_buffer"]``. All parameters of a group are
    updated in one compiled JAX call. ``foreach`` and ``fused`` are accepted and recorded (the
    update is always one fused call); ``differentiable=True`` is not supported.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_differentiable("SGD", differentiable)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False)

    def step(self, closure=None):
        """Performs a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_groups(closure)

    def _stateful(self, group):
        return group["momentum"] != 0

    @staticmethod
    def _static(group):
        return (group["weight_decay"] != 0, group["momentum"] != 0, bool(group["nesterov"]), bool(group["maximize"]))

    @staticmethod
    def _scalars(group):
        return (_hyper(group["lr"]), _hyper(group["momentum"]), _hyper(group["dampening"]),
                _hyper(group["weight_decay"]))

    @staticmethod
    def _update(static, h, param, grad, state):
        has_weight_decay, has_momentum, nesterov, maximize = static
        lr, momentum, dampening, weight_decay = h[0], h[1], h[2], h[3]
        dt = param.dtype
        if maximize:
            grad = -grad
        if has_weight_decay:
            grad = grad + weight_decay.astype(dt) * param
        new_state = {}
        if has_momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = grad
            else:
                buf = buf * momentum.astype(dt) + (1 - dampening).astype(dt) * grad
            new_state["momentum_buffer"] = buf
            grad = grad + momentum.astype(dt) * buf if nesterov else buf
        return param + (-lr).astype(dt) * grad, new_state


SGD.__module__ = "torch.optim.sgd"
