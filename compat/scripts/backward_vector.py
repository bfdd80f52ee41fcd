import torch

x1 = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
x2 = torch.tensor([4.0, 5.0, 6.0], requires_grad=True)
x3 = torch.tensor([7.0, 8.0, 9.0], requires_grad=True)
y1 = x1 * x2 
y2 = y1 + x3

# 这里不使用 z = torch.sum(y2)，直接用梯度
# 此时 external_grad 就是 y2 相对于 z 的梯度
external_grad = torch.tensor([1., 1., 1.0])
y2.backward(external_grad)

print(x1.grad) # tensor([4., 5., 6.])
print(x2.grad) # tensor([1., 2., 3.])
print(x3.grad) # tensor([1., 1., 1.])

