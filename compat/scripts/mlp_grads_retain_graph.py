# ADAPTED, not verbatim: the tutorial's MLP blocks as a working port (see compat/REPORT.md):
# l.backward(retain_graph=True) so the autograd.grad calls after it can run, and its
# y_grad typo read as y1_grad. Everything else, REPL lines printed, is the tutorial's.
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

l.backward(retain_graph=True)

y2_grad = autograd.grad(l, y2, retain_graph=True)

# y2 的梯度 d(y2) = 2(y2 - y)
print(y2_grad)
print(l)
print(y)
print(y2)
print(2 * (y2.squeeze() - y))

# y1 的梯度 d(y1) = y2_grad @ w.t()
print(y2_grad[0] @ w2.t())

y1_grad = autograd.grad(l, y1, retain_graph=True)

print(y1_grad)
print(y1_grad[0].shape)

# 计算 w1 的梯度
print(x.t() @ y1_grad[0])
print(w1.grad)

# 计算 b1 的梯度
print(y1_grad[0].t())
print(y1_grad[0].t().sum(axis=1))

# sum([0.1996,  0.7140,  0.3094, -0.2773,  0.6976]) = 1.6432
print(b1.grad )
