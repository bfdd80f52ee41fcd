"""Data-parallel training over every local device with nn.DataParallel.

On a machine with several GPUs (or TPU cores) it uses them all. On a CPU-only machine it asks
XLA for 4 simulated CPU devices, which shows the mechanics (the parameters replicated on each
device, the batch split across them, XLA all-reducing the gradients) but not a speed-up: the
simulated devices share the same cores. Run: python examples/data_parallel.py
"""
import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")  # before JAX starts

import torchlike as torch  # noqa: E402

nn = torch.nn


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))


def train(model, x, y, steps=5):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(1)
x = torch.randn(64, 10).to(device)
y = (x[:, 0] > 0).long()

single = make_model().to(device)
one = train(single, x, y)

module = make_model().to(device)
parallel = nn.DataParallel(module)
print(f"devices: {len(parallel.mesh.devices.flat)}; weight replicated on "
      f"{len(module[0].weight.jax().devices())}, batch split {len(x)} -> {len(x) // len(parallel.mesh.devices.flat)} "
      "rows each")
many = train(parallel, x, y)
for step, (a, b) in enumerate(zip(one, many)):
    print(f"step {step}: one device {a:.6f}   data-parallel {b:.6f}")
diff = max((p - q).abs().max().item() for p, q in zip(single.parameters(), module.parameters()))
print(f"largest parameter difference after training: {diff:.2e}")
