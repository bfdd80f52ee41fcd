import torch  # the tutorial's earlier blocks imported it

x = torch.rand((5, 5), requires_grad=True)
y = torch.rand(5, 5)
z = torch.rand(5, 5)

a = x + y
print(f"Does `a` require gradients? : {a.requires_grad}")
# Does `a` require gradients? : False
b = a + z
print(f"Does `b` require gradients?: {b.requires_grad}")
# Does `b` require gradients?: True
c = y + z
print(f"Does `c` require gradients?: {c.requires_grad}")
# Does `c` require gradients?: False
