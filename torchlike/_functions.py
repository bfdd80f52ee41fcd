"""torch.* helpers that are not ops: predicates, result_type, and similar."""
from . import _dtype
from ._tensor import Tensor

__all__ = ["is_tensor", "is_floating_point", "is_complex", "numel", "result_type", "can_cast", "allclose",
           "isclose", "equal", "is_nonzero", "broadcast_shapes", "broadcast_tensors", "meshgrid", "cdist",
           "get_rng_state", "set_rng_state", "manual_seed", "seed", "initial_seed", "compile", "typename"]


def typename(obj, /):
    """``torch.typename``: the qualified type name PyTorch's error messages show."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module = obj.__class__.__module__ or ""
        qualname = obj.__class__.__qualname__
    if module == "torchlike" or module.startswith("torchlike."):  # torchlike's classes stand for torch's
        module = "torch" + module[len("torchlike"):]
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    def group(x):
        if isinstance(x, Tensor):
            return ("z" if x.ndim == 0 else "d"), x.dtype
        return "s", _dtype.scalar_dtype(x)
    groups = {"d": [], "z": [], "s": []}
    for x in (tensor1, tensor2):
        g, d = group(x)
        groups[g].append(d)
    return _dtype.result_type(groups["d"], groups["z"], groups["s"])


def can_cast(from_, to):
    return from_._kind <= to._kind


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    import jax.numpy as jnp
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    return Tensor._wrap(jnp.isclose(input._s[0], other._s[0], rtol, atol, equal_nan))


def equal(input, other):
    import jax.numpy as jnp
    return input.shape == other.shape and bool(jnp.all(input._s[0] == other._s[0]))


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def broadcast_shapes(*shapes):
    import numpy as np
    from ._size import Size
    return Size(np.broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes]))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    indexing = indexing or "ij"
    n = len(tensors)
    outs = []
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    for i, t in enumerate(tensors):
        view = [1] * n
        j = i
        if indexing == "xy" and n >= 2 and i < 2:
            j = 1 - i
        view[j] = -1
        outs.append(t.reshape(view).expand(shape))
    return tuple(outs)


def cdist(x1, x2, p=2.0):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.abs().pow(p).sum(-1).pow(1.0 / p)


from ._ops.random import get_rng_state, set_rng_state, manual_seed, seed, initial_seed  # noqa: E402


from ._compile.step import compile  # noqa: E402


Tensor.is_floating_point = lambda self: self.dtype.is_floating_point
Tensor.allclose = allclose
Tensor.isclose = isclose
Tensor.equal = equal
