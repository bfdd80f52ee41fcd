"""JAX interop: from_jax / Tensor.jax, to_jax under jax.grad / jit / vmap, functional_call."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torchlike
from torchlike.func import from_jax, functional_call, to_jax
from tests.oracle import assert_close, oracle, to_torch

X = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(3, 2)
W = np.linspace(0.5, -0.5, 8, dtype=np.float32).reshape(2, 4)


def f(x, w):
    return ((x @ w).tanh() ** 2).sum()


def test_from_jax_and_jax_share_the_array():
    arr = jnp.arange(3.0, dtype=jnp.float32)
    t = torchlike.from_jax(arr)
    assert t.jax() is arr and torchlike.from_jax is from_jax
    assert t.dtype is torchlike.float32 and not t.requires_grad
    with pytest.raises(TypeError):
        from_jax([1.0])


def test_to_jax_grad_matches_torch():
    torch = oracle()
    gx, gw = jax.grad(to_jax(f), argnums=(0, 1))(jnp.asarray(X), jnp.asarray(W))
    tx, tw = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    f(tx, tw).backward()
    assert_close(torchlike.from_jax(gx), tx.grad)
    assert_close(torchlike.from_jax(gw), tw.grad)


def test_to_jax_under_jit_and_vmap():
    pure = to_jax(f)
    eager = pure(jnp.asarray(X), jnp.asarray(W))
    np.testing.assert_allclose(jax.jit(pure)(jnp.asarray(X), jnp.asarray(W)), eager, rtol=1e-6)
    batch = jnp.stack([jnp.asarray(X), 2 * jnp.asarray(X)])
    got = jax.vmap(pure, in_axes=(0, None))(batch, jnp.asarray(W))
    np.testing.assert_allclose(got[1], pure(2 * jnp.asarray(X), jnp.asarray(W)), rtol=1e-6)


def test_to_jax_pytrees_and_no_tape():
    def g(p, x):
        out = x @ p["w"]
        assert out.grad_fn is None  # no tape inside to_jax
        return {"y": out, "n": out.sum()}
    res = to_jax(g)({"w": jnp.asarray(W)}, jnp.asarray(X))
    assert isinstance(res["y"], jax.Array) and res["y"].shape == (3, 4)


class Affine:
    """A module-like callable: tensors reachable by dotted attribute names."""

    def __init__(self):
        self.inner = type("Inner", (), {})()
        self.inner.weight = torchlike.zeros(2, 4, requires_grad=True)

    def __call__(self, x):
        return f(x, self.inner.weight)


def test_functional_call_routes_gradients_to_the_given_tensors():
    torch = oracle()
    m = Affine()
    w = torchlike.tensor(W, requires_grad=True)
    x = torchlike.tensor(X)
    out = functional_call(m, {"inner.weight": w}, (x,))
    out.backward()
    tw = to_torch(w, torch)
    ref = f(torch.tensor(X), tw)
    ref.backward()
    assert_close(out, ref)
    assert_close(w.grad, tw.grad)
    assert m.inner.weight.grad is None and m.inner.weight.tolist() == [[0.0] * 4] * 2
    assert m.inner.weight.is_leaf and m.inner.weight.requires_grad


def test_functional_call_inside_jax_grad():
    m = Affine()
    grads = jax.grad(to_jax(lambda p, x: functional_call(m, p, x)))({"inner.weight": jnp.asarray(W)},
                                                                  jnp.asarray(X))
    ref = jax.grad(to_jax(f), argnums=1)(jnp.asarray(X), jnp.asarray(W))
    np.testing.assert_allclose(grads["inner.weight"], ref, rtol=1e-6)


def test_functional_call_with_nn_linear_matches_torch_func():
    nn = pytest.importorskip("torchlike.nn")
    torch = oracle()
    lin = nn.Linear(2, 4)
    w, b = torchlike.tensor(W.T.copy(), requires_grad=True), torchlike.tensor(W[0], requires_grad=True)
    out = functional_call(lin, {"weight": w, "bias": b}, (torchlike.tensor(X),))
    out.sum().backward()
    tlin = torch.nn.Linear(2, 4)
    tw, tb = to_torch(w, torch), to_torch(b, torch)
    ref = torch.func.functional_call(tlin, {"weight": tw, "bias": tb}, (torch.tensor(X),))
    ref.sum().backward()
    assert_close(out, ref)
    assert_close(w.grad, tw.grad)
    assert_close(b.grad, tb.grad)
