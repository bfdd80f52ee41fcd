# The tutorial's fine-tuning section: freeze a pretrained resnet18, replace its classifier, register
# every parameter in SGD, and only the classifier changes; only the imports changed.
import torchlike as torch
from torchlike.vision.models import resnet18, ResNet18_Weights
from torchlike import nn, optim

model = resnet18(weights=ResNet18_Weights.DEFAULT)

# Freeze all the parameters in the network
for param in model.parameters():
    param.requires_grad = False

model.fc = nn.Linear(512, 10)

# Optimize only the classifier
optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

# Not in the tutorial: one training step on random data, to show which parameters change.
data = torch.rand(2, 3, 64, 64)
labels = torch.rand(2, 10)
before = {name: p.detach().clone() for name, p in model.named_parameters()}
loss = (model(data) - labels).sum()
optimizer.zero_grad()
loss.backward()
optimizer.step()
changed = [name for name, p in model.named_parameters() if not torch.equal(p.detach(), before[name])]
print(f"loss: {loss.item():.4f}")
print(f"trainable parameters: {[name for name, p in model.named_parameters() if p.requires_grad]}")
print(f"parameters changed by optimizer.step(): {changed}")
print(f"unchanged: {len(before) - len(changed)} of {len(before)}")

# The same exclusion with torch.no_grad(): inference records no graph.
model.eval()
with torch.no_grad():
    prediction = model(data)
print(f"inference under no_grad: requires_grad={prediction.requires_grad}, grad_fn={prediction.grad_fn}")
