"""parameters_to_vector (differentiable, like PyTorch's) and vector_to_parameters."""
from ..._tensor import Tensor
from ..._functions import typename

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    from ... import _ops
    vec = []
    param_device = None
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(param.reshape(-1))
    return _ops.cat(vec)


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = vec[pointer:pointer + num_param].reshape(tuple(param.shape)).data
        pointer += num_param


def _check_param_device(param, old_param_device):
    if old_param_device is None:
        return param.device.index if param.device.type == "cuda" else -1
    if param.device.type == "cuda":
        warn = (param.device.index or 0) != old_param_device
    else:
        warn = old_param_device != -1
    if warn:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return old_param_device
