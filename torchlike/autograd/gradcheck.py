"""torch.autograd.gradcheck and gradgradcheck: the tape's gradients against central finite
differences, as PyTorch's slow mode computes them.

The numerical Jacobian perturbs one element at a time by ``eps`` (run the check in float64);
the analytical one is built row by row from ``autograd.grad`` with one-hot grad_outputs. Both
are ``(input.numel(), output.numel())`` matrices compared with ``allclose(rtol, atol)``, and a
mismatch raises ``GradcheckError`` with PyTorch's message. Differences from PyTorch:
``fast_mode=True`` runs the (stricter) slow check; the reentrancy and undefined-grad checks
are not run (torchlike's backward is deterministic and never passes undefined gradients);
forward-mode and batched checks and complex inputs raise NotImplementedError.
"""
import warnings

import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .. import _storage, _tensor
from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


GradcheckError.__module__ = "torch.autograd.gradcheck"

_NOT_DOUBLE = ("Input #{idx} requires gradient and is not a double precision floating point or complex. This "
               "check will likely fail if all the inputs are not of double precision floating point or complex. ")
_NONE_REQUIRE = ("gradcheck expects at least one input tensor to require gradient, but none of them have "
                 "requires_grad=True.")


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if isinstance(o, _tensor.Tensor) and o.requires_grad)


def _unsupported(**flags):
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"torch.autograd.gradcheck({name}=True) is not supported by torchlike yet; "
                                      f"compare against jax.grad with torchlike.autograd.check_against_jax.")


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """Checks the gradients of ``func`` at ``inputs`` against finite differences; True when
    they agree. With ``raise_exception`` a mismatch raises GradcheckError, else returns False."""
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    _unsupported(check_forward_ad=check_forward_ad, check_batched_grad=check_batched_grad,
                 check_batched_forward_grad=check_batched_forward_grad)
    try:
        return _check(func, _as_tuple(inputs), eps, atol, rtol, check_grad_dtypes, check_backward_ad)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _check(func, inputs, eps, atol, rtol, check_grad_dtypes, check_backward_ad):
    diff_idx = _check_inputs(inputs)
    out = func(*inputs)
    outputs = _differentiable_outputs(out)
    all_out = tuple(o for o in _as_tuple(out) if isinstance(o, _tensor.Tensor))
    numerical = _numerical_jacobian(func, inputs, diff_idx, eps)  # [input][output]
    if not outputs:
        for per_input in numerical:
            for jac in per_input:
                if np.any(jac != 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    if not check_backward_ad:
        return True
    diff_inputs = [inputs[j] for j in diff_idx]
    out_pos = [next(k for k, o in enumerate(all_out) if o is d) for d in outputs]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobian(o, diff_inputs, check_grad_dtypes)
        for j, a in enumerate(analytical):
            n = numerical[j][out_pos[i]]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
                                     f"numerical:{_show(n)}\nanalytical:{_show(a)}\n")
    _check_mul_by_grad_output(outputs, diff_inputs)
    return True


def _check_inputs(inputs):
    diff_idx = []
    for idx, inp in enumerate(inputs):
        if isinstance(inp, _tensor.Tensor) and inp.requires_grad:
            if inp.dtype.is_complex:
                raise NotImplementedError("torch.autograd.gradcheck with complex inputs is not supported by "
                                          "torchlike yet.")
            if inp.dtype is not _dtype.float64:
                warnings.warn(_NOT_DOUBLE.format(idx=idx), UserWarning, stacklevel=4)
            diff_idx.append(idx)
    if not diff_idx:
        raise ValueError(_NONE_REQUIRE)
    return diff_idx


def _numerical_jacobian(func, inputs, diff_idx, eps):
    """Per differentiable input, per tensor output: (input.numel, output.numel) central differences."""
    result = []
    for j in diff_idx:
        x = inputs[j]
        flat = x._s[0].reshape(-1)
        columns = []
        for e in range(flat.shape[0]):
            plus = _outputs(func, inputs, j, flat.at[e].add(eps).reshape(_storage._meta(x).shape), x)
            minus = _outputs(func, inputs, j, flat.at[e].add(-eps).reshape(_storage._meta(x).shape), x)
            columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
        n_out = len(columns[0]) if columns else len(_outputs(func, inputs, j, x._s[0], x))
        result.append([np.stack([c[k] for c in columns]) if columns else np.zeros((0, 0))
                       for k in range(n_out)])
    return result


def _outputs(func, inputs, j, array, original):
    t = _tensor.Tensor._wrap(array)
    t._rg = original._rg
    args = inputs[:j] + (t,) + inputs[j + 1:]
    return [np.asarray(o._s[0]).reshape(-1) for o in _as_tuple(func(*args)) if isinstance(o, _tensor.Tensor)]


def _analytical_jacobian(output, diff_inputs, check_grad_dtypes):
    n_out = output.numel()
    jacs = [np.zeros((inp.numel(), n_out), np.asarray(inp._s[0]).dtype) for inp in diff_inputs]
    flat_shape = _storage._meta(output).shape
    for k in range(n_out):
        one_hot = jnp.zeros(_storage._meta(output).size, _storage._meta(output).dtype).at[k].set(1).reshape(flat_shape)
        grads = _grad(output, diff_inputs, _tensor.Tensor._wrap(one_hot), retain_graph=True, allow_unused=True)
        for jac, g, inp in zip(jacs, grads, diff_inputs):
            if g is None:
                continue
            if g.shape != inp.shape:
                raise GradcheckError("Analytical gradient has incorrect size")
            if check_grad_dtypes and g.dtype is not inp.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
            jac[:, k] = np.asarray(g._s[0]).reshape(-1)
    return jacs


def _check_mul_by_grad_output(outputs, diff_inputs):
    zeros = [_tensor.Tensor._wrap(jnp.zeros_like(o._s[0])) for o in outputs]
    grads = _grad(outputs, diff_inputs, zeros, allow_unused=True)
    for g in grads:
        if g is not None and np.any(np.asarray(g._s[0]) != 0):
            raise GradcheckError("backward not multiplied by grad_output")


def _show(jac):
    return repr(_tensor.Tensor._wrap(jnp.asarray(jac)))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """Checks second-order gradients: gradcheck of ``(inputs, grad_outputs) -> autograd.grad(
    func(inputs), inputs, grad_outputs, create_graph=True)``. Default grad_outputs are random
    in [-1, 1), drawn from torchlike's generator."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        from .._ops.random import rand
        grad_outputs = tuple(
            (rand(o.shape, dtype=o.dtype if o.dtype.is_floating_point else _dtype.float64) * 2 - 1)
            .requires_grad_(True)
            for o in _differentiable_outputs(func(*inputs)))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(grad_outputs)
    diff_in = {i for i, x in enumerate(inputs) if isinstance(x, _tensor.Tensor) and x.requires_grad}
    diff_go = {i for i, x in enumerate(grad_outputs) if x.requires_grad}

    def new_func(*args):
        input_args = tuple(x.requires_grad_() if i in diff_in else x for i, x in enumerate(args[:-n]))
        outputs = _differentiable_outputs(func(*input_args))
        gos = tuple(x.requires_grad_() if i in diff_go else x for i, x in enumerate(args[-n:]))
        diff_input_args = tuple(x for i, x in enumerate(input_args) if i in diff_in)
        grads = _grad(outputs, diff_input_args, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(new_func, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
                     check_batched_grad=check_batched_grad, fast_mode=fast_mode,
                     check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev, masked=masked)
