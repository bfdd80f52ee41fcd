"""Adam (and, with ``decoupled_weight_decay=True``, AdamW's update)."""
import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import Optimizer, _check_differentiable, _hyper

__all__ = ["Adam"]


def _lerp(start, end, weight):
    """ATen's lerp: exact at both ends, choosing its formula by the size of the weight."""
    return jnp.where(jnp.abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight))


class Adam(Optimizer):
    r"""Implements Adam, as ``torch.optim.Adam``.

    Update rule, per parameter :math:`\theta` with gradient :math:`g`; ``step`` counts from 1::

        g = -g                                       if maximize
        theta = theta * (1 - lr * weight_decay)      if decoupled_weight_decay (AdamW)
        g = g + weight_decay * theta                 elif weight_decay != 0
        m = m + (1 - beta1) * (g - m)                (exp_avg, a lerp)
        v = beta2 * v + (1 - beta2) * g * g          (exp_avg_sq)
        v_max = max(v_max, v)                        if amsgrad (max_exp_avg_sq); v_max is used below
        denom = sqrt(v) / sqrt(1 - beta2 ** step) + eps
        theta = theta - (lr / (1 - beta1 ** step)) * m / denom

    State per parameter: ``step`` (a 0-dim float32 Tensor), ``exp_avg``, ``exp_avg_sq`` and,
    with amsgrad, ``max_exp_avg_sq``. All parameters of a group are updated in one compiled JAX
    call. ``foreach``, ``fused`` and ``capturable`` are accepted and recorded;
    ``differentiable=True`` is not supported.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        _check_differentiable(type(self).__name__, differentiable)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        self._setdefault_groups(amsgrad=False, maximize=False, foreach=None, capturable=False, differentiable=False,
                                decoupled_weight_decay=False, fused=None)
        self._convert_legacy_steps()

    def step(self, closure=None):
        """Performs a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_groups(closure)

    def _init_state(self, group, p, state):
        state["step"] = self._step_tensor(p)
        state["exp_avg"] = self._zeros_like(p)
        state["exp_avg_sq"] = self._zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = self._zeros_like(p)

    @staticmethod
    def _static(group):
        return (bool(group["amsgrad"]), bool(group["maximize"]), group["weight_decay"] != 0,
                bool(group["decoupled_weight_decay"]))

    @staticmethod
    def _scalars(group):
        beta1, beta2 = group["betas"]
        return (_hyper(group["lr"]), _hyper(beta1), _hyper(beta2), _hyper(group["eps"]),
                _hyper(group["weight_decay"]))

    @staticmethod
    def _update(static, h, param, grad, state):
        amsgrad, maximize, has_weight_decay, decoupled = static
        lr, beta1, beta2, eps, weight_decay = h[0], h[1], h[2], h[3], h[4]
        dt = param.dtype
        if maximize:
            grad = -grad
        step = state["step"] + 1
        if has_weight_decay:
            if decoupled:
                param = param * (1 - lr * weight_decay).astype(dt)
            else:
                grad = grad + weight_decay.astype(dt) * param
        exp_avg = _lerp(state["exp_avg"], grad, (1 - beta1).astype(dt))
        exp_avg_sq = state["exp_avg_sq"] * beta2.astype(dt) + ((1 - beta2).astype(dt) * grad) * grad
        # PyTorch reads the step back as a Python float and does the bias corrections in double.
        step64 = step.astype(jnp.float64)
        bias_correction1 = 1 - beta1 ** step64
        bias_correction2 = 1 - beta2 ** step64
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2 ** 0.5
        new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        second = exp_avg_sq
        if amsgrad:
            second = jnp.maximum(state["max_exp_avg_sq"], exp_avg_sq)
            new_state["max_exp_avg_sq"] = second
        denom = jnp.sqrt(second) / bias_correction2_sqrt.astype(dt) + eps.astype(dt)
        return param + ((-step_size).astype(dt) * exp_avg) / denom, new_state


Adam.__module__ = "torch.optim.adam"
