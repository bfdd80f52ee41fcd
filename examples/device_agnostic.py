"""The usual device-agnostic PyTorch script, only its import changed: it trains on the GPU when
JAX has one and on the CPU otherwise, with no other edit."""
import torchlike as torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print(device)

x = torch.randn(16, 3).to(device)
y = torch.randn(16, 1).to(device)
model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1)).to(device)
with torch.no_grad():  # the same starting point in every run (the replay test feeds torch these draws)
    for p in model.parameters():
        p.copy_(torch.randn(p.shape) * 0.5)

optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = torch.nn.MSELoss()
for step in range(5):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, f"{loss.item():.5f}")

print(model[0].weight.device, model[0].weight.grad.device, x.device)
print(torch.zeros(2, device=device))
print(torch.cuda.is_available() == (device.type == "cuda"), torch.backends.mps.is_available())
