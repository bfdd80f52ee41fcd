"""torch.autograd: backward, grad, grad-mode context managers and custom Functions."""
from .engine import backward as backward, grad as grad
from .function import Function as Function, FunctionCtx as FunctionCtx, once_differentiable as once_differentiable
from .grad_mode import (no_grad as no_grad, enable_grad as enable_grad, set_grad_enabled as set_grad_enabled,
                        inference_mode as inference_mode, is_grad_enabled as is_grad_enabled,
                        is_inference_mode_enabled as is_inference_mode_enabled)
from . import graph as graph


class Variable:
    """Deprecated in PyTorch: ``Variable(t)`` returns ``t``."""

    def __new__(cls, data, requires_grad=False, volatile=False):
        if requires_grad:
            data.requires_grad_(True)
        return data


def set_detect_anomaly(mode, check_nan=True):
    return _Anomaly()


class detect_anomaly:
    def __init__(self, check_nan=True):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Anomaly(detect_anomaly):
    pass
from .gradcheck import gradcheck as gradcheck, gradgradcheck as gradgradcheck, GradcheckError as GradcheckError
from .jax_check import check_against_jax as check_against_jax
