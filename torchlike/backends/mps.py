"""torch.backends.mps: JAX has no Metal backend that torchlike serves, so MPS is never available."""


def is_available():
    return False


def is_built():
    return False
