"""numpy() and from_numpy share memory with the tensor both ways, as PyTorch's CPU tensors do."""
import numpy as np

import torchlike
from oracle import oracle


def _scenario(T):
    seen = []
    t = T.ones(5)
    n = t.numpy()
    t.add_(1)
    seen.append(n.tolist())
    n[0] = 7
    seen.append(t.tolist())
    m = np.ones(3)
    u = T.from_numpy(m)
    np.add(m, 1, out=m)
    seen.append(u.tolist())
    u.mul_(3)
    seen.append(m.tolist())
    w = T.tensor([1., 2.], requires_grad=True)
    (w * 2).sum().backward()
    g = w.grad.numpy()
    (w * 2).sum().backward()
    seen.append(g.tolist())
    d = w.detach().numpy()
    with T.no_grad():
        w -= 1
    seen.append(d.tolist())
    return seen


def test_numpy_shares_memory_like_pytorch():
    torch = oracle()
    assert _scenario(torchlike) == _scenario(torch)


def test_shared_tensor_still_computes_and_differentiates():
    m = np.array([1.0, 2.0], np.float32)
    t = torchlike.from_numpy(m).requires_grad_()
    (t * t).sum().backward()
    np.testing.assert_allclose(np.asarray(t.grad), [2.0, 4.0])
    m[:] = [3.0, 4.0]
    np.testing.assert_allclose(np.asarray((t * 1).detach()), [3.0, 4.0])
