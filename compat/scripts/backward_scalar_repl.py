# The tutorial's scalar backward example, then its REPL block (">>> expr" printed).
import torch

x1 = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
x2 = torch.tensor([4.0, 5.0, 6.0], requires_grad=True)
x3 = torch.tensor([7.0, 8.0, 9.0], requires_grad=True)
y1 = x1 * x2 
y2 = y1 + x3
z = torch.sum(y2)
z.backward()

print(y1.grad) # None
print(y2.grad)
print(y1.grad_fn)
print(y2.grad_fn)
print(y1.requires_grad)

print(x1.grad)
print(x1.grad_fn)
