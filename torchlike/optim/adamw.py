"""AdamW: Adam with decoupled weight decay."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""Implements AdamW, as ``torch.optim.AdamW``: Adam whose weight decay does not accumulate in
    the moments.

    Update rule, per parameter :math:`\theta` with gradient :math:`g`; ``step`` counts from 1::

        g = -g                                       if maximize
        theta = theta * (1 - lr * weight_decay)
        m = m + (1 - beta1) * (g - m)                (exp_avg, a lerp)
        v = beta2 * v + (1 - beta2) * g * g          (exp_avg_sq)
        v_max = max(v_max, v)                        if amsgrad (max_exp_avg_sq); v_max is used below
        denom = sqrt(v) / sqrt(1 - beta2 ** step) + eps
        theta = theta - (lr / (1 - beta1 ** step)) * m / denom

    As in PyTorch 2.13 it is ``Adam(decoupled_weight_decay=True)`` with ``weight_decay=1e-2``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


AdamW.__module__ = "torch.optim.adamw"
