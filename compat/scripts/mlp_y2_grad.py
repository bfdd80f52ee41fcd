import torch
import torch.autograd as autograd

x = torch.randn((5, 3), requires_grad=False)
y = torch.randn(5, requires_grad=False)

w1 = torch.randn((3, 4), requires_grad=True)
b1 = torch.randn(4, requires_grad=True)

w2 = torch.randn((4, 1), requires_grad=True)
b2 = torch.randn(1, requires_grad=True)

y1 = x @ w1 + b1
y2 = y1 @ w2 + b2

l = ((y - y2.squeeze()) ** 2).sum()

l.backward()

# The next block, run after the one above as the tutorial does. Real PyTorch raises
# "Trying to backward through the graph a second time" here: l.backward() freed the graph.
y2_grad = autograd.grad(l, y2, retain_graph=True)

# y2 的梯度 d(y2) = 2(y2 - y)
print(y2_grad)
print(l)
print(y)
print(y2)
print(2 * (y2.squeeze() - y))

# y1 的梯度 d(y1) = y2_grad @ w.t()
print(y2_grad[0] @ w2.t())
