"""Run in a subprocess with 8 simulated CPU devices (see test_data_parallel.py): trains the same
models on one device and data-parallel, and prints what the test compares, as JSON."""
import json
import math
import sys

import numpy as np

import torchlike as torch

nn = torch.nn


def mlp():
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))


def cnn():
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 3))


def train(make, x, y, loss_fn, wrap, steps=4, compiled=False):
    """``compiled``: the step through ``torchlike.compile`` (its first call runs eagerly)."""
    torch.manual_seed(0)
    model = make()
    init = [p.detach().numpy().tolist() for p in model.parameters()]
    net = wrap(model) if wrap else model
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def step():
        opt.zero_grad()
        out = net(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        return out, loss
    run = torch.compile(step) if compiled else step
    losses = []
    for _ in range(steps):
        out, loss = run()
        losses.append(loss.item())
    return {"init": init, "losses": losses,
            "grads": [p.grad.numpy().tolist() for p in model.parameters()],
            "params": [p.detach().numpy().tolist() for p in model.parameters()],
            "buffers": [b.numpy().tolist() for b in model.buffers() if b.is_floating_point()],
            "out_device": str(out.device), "param_device": str(model[0].weight.device),
            "param_devices": len(model[0].weight.jax().devices()),
            "grad_devices": len(model[0].weight.grad.jax().devices())}


def main():
    report = {"devices": len(__import__("jax").devices())}
    torch.manual_seed(1)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    xc, yc = torch.randn(8, 2, 4, 4), torch.randint(0, 3, (8,))
    x10, y10 = torch.randn(10, 3), torch.randn(10, 1)
    mse, ce = nn.MSELoss(), nn.CrossEntropyLoss()
    report["data"] = {k: v.numpy().tolist() for k, v in
                      dict(x=x, y=y, xc=xc, yc=yc, x10=x10, y10=y10).items()}
    dp = nn.DataParallel
    for name, args in {"mlp": (mlp, x, y, mse), "cnn": (cnn, xc, yc, ce), "uneven": (mlp, x10, y10, mse)}.items():
        report[name] = {"one": train(*args, wrap=None), "dp": train(*args, wrap=dp),
                        "dp_compiled": train(*args, wrap=dp, compiled=True)}
    # DistributedDataParallel in one process: the default group of one, all local devices.
    torch.distributed.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=0, world_size=1)
    report["ddp"] = train(mlp, x, y, mse, wrap=nn.parallel.DistributedDataParallel)
    torch.distributed.destroy_process_group()
    # Devices: cpu:k names the k-th simulated device; mixing them is PyTorch's error.
    a = torch.ones(2, device="cpu:1")
    b = torch.ones(2, device="cpu")
    report["cpu1_device"] = str(a.device)
    for label, f in {"mixed": lambda: a + b, "mixed_mesh": lambda: dp(mlp()).module[0].bias + torch.ones(8, device="cpu:1"),
                     "mixed_matmul": lambda: b.reshape(1, 2) @ torch.ones(2, 2, device="cpu:3")}.items():
        try:
            f()
            report[label] = None
        except RuntimeError as e:
            report[label] = str(e)
    # A target committed to the mesh's first device joins the mesh (same torch device).
    model = dp(mlp())
    target = torch.zeros(8, 1).to("cpu")
    loss = ((model(torch.ones(8, 3)) - target) ** 2).sum()
    loss.backward()
    report["committed_target_loss_ok"] = math.isfinite(loss.item())
    report["moved_back"] = str(torch.ones(4).to("cpu:2").cpu().device)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
