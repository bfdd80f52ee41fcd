"""torch.set_default_device: where factories place tensors when no ``device=`` is given."""
_default = [None]


def current():
    return _default[0]


def set_default_device(device):
    from ._device import device as device_cls
    _default[0] = None if device is None else device_cls(device)


def get_default_device():
    from ._device import CPU
    return _default[0] or CPU
