# The tutorial's REPL block on .requires_grad_() (">>> expr" printed).
import torch

a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
print(a.requires_grad_(True))
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)
