"""Cross-checks torchlike's tape gradients against jax.grad for the autograd tutorial's models.

* The small MLP (x 5x3, w1 3x4, b1 4, w2 4x1, b2 1): the loss's gradients with respect to every
  parameter, from l.backward() and from jax.grad of the same function (torchlike.func.to_jax).
* resnet18 (once torchlike.vision lands): the gradients of loss = (model(data) - labels).sum()
  with respect to every parameter, via torchlike.func.functional_call.
Prints the largest absolute difference per tensor and exits 1 when one exceeds the tolerance.
"""
import sys

import jax
import numpy as np

import torchlike as torch
from torchlike.autograd import check_against_jax
from torchlike.func import functional_call, to_jax

TOL = 1e-5


def mlp_check():
    torch.manual_seed(0)
    x = torch.randn((5, 3))
    y = torch.randn(5)
    params = [torch.randn((3, 4), requires_grad=True), torch.randn(4, requires_grad=True),
              torch.randn((4, 1), requires_grad=True), torch.randn(1, requires_grad=True)]

    def loss(w1, b1, w2, b2):
        y1 = x @ w1 + b1
        y2 = y1 @ w2 + b2
        return ((y - y2.squeeze()) ** 2).sum()

    result = check_against_jax(loss, *params)
    worst = 0.0
    for name, d in zip(["w1", "b1", "w2", "b2"], result):
        print(f"mlp      {name:4} max |tape - jax.grad| = {d:.3g}")
        worst = max(worst, d)
    return worst


def resnet_check():
    try:
        from torchlike.vision.models import resnet18
    except ImportError:
        print("resnet18 skipped: torchlike.vision is not available yet")
        return 0.0
    torch.manual_seed(0)
    model = resnet18()
    model.eval()  # batch norm from running statistics, so both passes compute the same function
    data = torch.rand(1, 3, 64, 64)
    labels = torch.rand(1, 1000)
    loss = (model(data) - labels).sum()
    loss.backward()
    named = dict(model.named_parameters())
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def pure_loss(p):
        return (functional_call(model, {**p, **buffers}, (data,)) - labels).sum()

    grads = jax.grad(to_jax(pure_loss))({k: v.detach().jax() for k, v in named.items()})
    worst = 0.0
    for k, p in named.items():
        d = float(np.max(np.abs(np.asarray(p.grad.jax()) - np.asarray(grads[k]))))
        worst = max(worst, d / max(1.0, float(np.max(np.abs(np.asarray(grads[k]))))))
    print(f"resnet18 {len(named)} parameters, largest relative |tape - jax.grad| = {worst:.3g}")
    return worst


if __name__ == "__main__":
    worst = max(mlp_check(), resnet_check())
    print("OK" if worst <= TOL else f"MISMATCH (tolerance {TOL})")
    sys.exit(0 if worst <= TOL else 1)
