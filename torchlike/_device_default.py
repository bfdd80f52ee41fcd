"""torch.set_default_device: where factories place tensors when no ``device=`` is given.

Unset, factories leave their arrays where JAX puts them: JAX's default device, which is the
accelerator on a GPU or TPU machine (PyTorch's default is always the CPU). ``get_default_device``
reports that device, so it says ``cpu`` on a CPU machine, as PyTorch does.
"""
_default = [None]


def current():
    return _default[0]


def set_default_device(device):
    from ._device import device as device_cls
    _default[0] = None if device is None else device_cls(device)


def get_default_device():
    import jax
    from ._device import of_jax_device
    dev = _default[0]
    if dev is None:
        return of_jax_device(jax.local_devices()[0])
    if dev.type != "cpu" and dev.index is None:  # PyTorch names the current accelerator's index
        return of_jax_device(dev.jax_device())
    return dev
