"""torch.autograd: backward, grad, grad-mode context managers, custom Functions, gradient
checks (finite differences, and against jax.grad)."""
from .engine import backward as backward, grad as grad
from .function import Function as Function, FunctionCtx as FunctionCtx, once_differentiable as once_differentiable
from .grad_mode import (no_grad as no_grad, enable_grad as enable_grad, set_grad_enabled as set_grad_enabled,
                        inference_mode as inference_mode, is_grad_enabled as is_grad_enabled,
                        is_inference_mode_enabled as is_inference_mode_enabled)
from .gradcheck import gradcheck as gradcheck, gradgradcheck as gradgradcheck, GradcheckError as GradcheckError
from .jax_check import check_against_jax as check_against_jax
from . import graph as graph


class Variable:
    """Deprecated in PyTorch: ``Variable(t)`` returns ``t``."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if requires_grad:
            data.requires_grad_(True)
        return data


class detect_anomaly:
    """Accepted for compatibility; torchlike records no forward traces for anomaly reports."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def set_detect_anomaly(mode, check_nan=True):
    """Accepted for compatibility (see ``detect_anomaly``)."""
    return detect_anomaly(check_nan)
