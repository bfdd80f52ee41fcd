"""Matrix products. grad_fn names follow the kernel PyTorch dispatches to for the shapes given
(``matmul`` of two matrices records ``MmBackward0``, of two vectors ``DotBackward0``, ...)."""
import jax.numpy as jnp

from .._storage import _meta
from .._tensor import Tensor
from ..autograd.record import apply
from .registry import REGISTRY, _finish_out, op


def _matmul_name(args, statics):
    a, b = _meta(args[0]).ndim, _meta(args[1]).ndim
    if a == 1 and b == 1:
        return "DotBackward0"
    if a == 2 and b == 1:
        return "MvBackward0"
    if a == 1 and b == 2:
        return "SqueezeBackward4"
    if a == 2 and b == 2:
        return "MmBackward0"
    if a == 2:  # the matrix is expanded against the batch and copied
        return "CloneBackward0"
    return "UnsafeViewBackward0"


def _check_matmul(a, b):
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    k1 = a.shape[-1]
    k2 = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k1 != k2:
        if a.ndim == 2 and b.ndim == 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                               "to have the same number of elements, but got "
                               f"{a.shape[0]} and {b.shape[0]} elements respectively")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{k1}] but got: [{k2}].")


@op(_matmul_name, nt=2, saves={0: (1,), 1: (0,)}, dunder="matmul")
def matmul(input, other):
    _check_matmul(input, other)
    return jnp.matmul(input, other)


def _need(x, n, what):
    if x.ndim != n:
        raise RuntimeError(f"{what} must be a {n}D tensor" if what != "self" else f"self must be a matrix")


@op("MmBackward0", nt=2, saves={0: (1,), 1: (0,)})
def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_matmul(input, mat2)
    return input @ mat2


@op("BmmBackward0", nt=2, saves={0: (1,), 1: (0,)})
def bmm(input, mat2):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    return jnp.matmul(input, mat2)


@op("DotBackward0", nt=2, saves={0: (1,), 1: (0,)})
def dot(input, tensor):
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    _check_matmul(input, tensor)
    return jnp.dot(input, tensor)


inner = dot


@op("MvBackward0", nt=2, saves={0: (1,), 1: (0,)})
def mv(input, vec):
    return input @ vec


@op("MulBackward0", nt=2, saves={0: (1,), 1: (0,)})
def outer(input, vec2):
    return jnp.outer(input, vec2)


ger = outer
Tensor.ger = outer


@op("AddmmBackward0", nt=5, cast=(0, 1, 2), saves={1: (2,), 2: (1,)})
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return beta * input + alpha * (mat1 @ mat2)


def _inplace_matmul(f, out_shape):
    """addmm_/baddbmm_: PyTorch checks that ``self`` already has the product's shape."""
    def method(self, a, b, *, beta=1, alpha=1):
        shape = out_shape(a.shape, b.shape)
        if tuple(self.shape) != shape:
            raise RuntimeError(f"Bad in-place call: input tensor size {list(self.shape)} and output tensor size "
                               f"{list(shape)} should match")
        self._check_inplace()
        return self._set_result(f(self, a, b, beta=beta, alpha=alpha))
    return method


Tensor.addmm_ = _inplace_matmul(addmm, lambda a, b: (a[0], b[1]))


@op("BaddbmmBackward0", nt=5, cast=(0, 1, 2))
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * input + alpha * jnp.matmul(batch1, batch2)


Tensor.baddbmm_ = _inplace_matmul(baddbmm, lambda a, b: (a[0], a[1], b[2]))


@op(lambda a, s: "ViewBackward0", nt=2)
def _tensordot(a, b, dims):
    return jnp.tensordot(a, b, dims)


def _einsum_name(args, statics):
    """A one-operand einsum is a sum or a permutation in PyTorch; products end in a view."""
    if len(args) != 1:
        return "ViewBackward0"
    lhs, _, rhs = statics[0].partition("->")
    if len(set(lhs)) != len(lhs):
        return "ViewBackward0"
    if len(rhs) < len(lhs):
        return "SumBackward1"
    return "PermuteBackward0" if rhs != lhs else "AliasBackward0"


@op(_einsum_name, seq=True, nt=1)
def _einsum(operands, equation):
    return jnp.einsum(equation, *operands)


def einsum(equation, *operands):
    """torch.einsum(equation, *operands); operands may also be passed as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return apply(REGISTRY["_einsum"], tuple(operands), (equation.replace(" ", ""),))


def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, (list, tuple)):
        dims = tuple(tuple(d) if isinstance(d, (list, tuple)) else (d,) for d in dims)
    return _finish_out(out, apply(REGISTRY["_tensordot"], (a, b), (dims,)))
