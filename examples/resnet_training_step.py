# The tutorial's complete training step on a pretrained resnet18; only the imports changed.
# The weights are read from PyTorch's cache ($TORCH_HOME/hub/checkpoints/resnet18-f37072fd.pth)
# or downloaded there; offline with no cached file, resnet18() stops with an error naming both.
import torchlike as torch
from torchlike.vision.models import resnet18, ResNet18_Weights

data = torch.rand(1, 3, 64, 64)
labels = torch.rand(1, 1000)

model = resnet18(weights=ResNet18_Weights.DEFAULT)

# 初始化优化器时，告诉优化器应该更新模型的哪些参数（张量）
optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

prediction = model(data) # forward pass

loss = (prediction - labels).sum()

# pytorch 中 backward（）函数的计算，当进行反向传播时，梯度是累加起来而不是被替换，但在处理每一个 batch 时，如不需要与其他 batch 的梯度累加，需要对每个 batch 调用一遍 zero_grad（）将参数梯度置 0.
# 如果不是处理每个 batch 清除一次梯度，而是两次或多次再清除一次，也就是进行了梯度累加，相当于提高了 batch_size
# 执行 w.grad.data.zero_()
optim.zero_grad()

# 根据计算图，反向传播，通过链式法则，计算每个一参数的梯度
# 梯度就会被张量本身“存储”起来（它们具有 grad 和 requires_grad 属性）
loss.backward() # backward pass

# 优化器遍历它应该更新的所有参数（张量），并使用它们内部存储的 grad 来更新它们的值
# 不同的优化器有不同的策略
# 单纯的 SGD 计算 w.data = w.data - lr * w.wgrad.data
# Adam 会计算梯度一阶和二阶动量，然后再计算更新 w
optim.step() # gradient descent

# What happened (not in the tutorial): the loss, and that every parameter got a gradient and moved.
print(f"prediction: {tuple(prediction.shape)} {prediction.grad_fn.name()}")
print(f"loss: {loss.item():.4f}")
with torch.no_grad():
    print(f"loss after one SGD step: {(model(data) - labels).sum().item():.4f}")
with_grad = sum(p.grad is not None for p in model.parameters())
print(f"parameters with a gradient: {with_grad} of {len(list(model.parameters()))}")
