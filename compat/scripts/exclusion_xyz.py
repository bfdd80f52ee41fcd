import torch  # the tutorial's earlier blocks imported it

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients? : {a.requires_grad}")
# Does `a` require gradients? : False
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")
# Does `b` require gradients?: True
