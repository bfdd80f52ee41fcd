"""Two processes on localhost form a jax.distributed group (gloo on CPU) through
torchlike.distributed and train with DistributedDataParallel; the result matches PyTorch
training on the whole batch from rank 0's initial weights."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.oracle import oracle

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_distributed_data_parallel():
    torch = oracle()
    gen = np.random.default_rng(0)
    data = {"x": gen.standard_normal((8, 3)).tolist(), "y": gen.standard_normal((8, 1)).tolist()}
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT), RANK=str(rank), WORLD_SIZE="2",
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=port, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false")
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).with_name("ddp_worker.py")),
                                       json.dumps(data)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    r0, r1 = outs
    assert (r0["rank"], r1["rank"], r0["world"]) == (0, 1, 2)
    assert r0["all_reduce"] == r1["all_reduce"] == 3.0
    assert r0["init"] == r1["init"]  # rank 0's weights were broadcast
    assert r0["losses"] == r1["losses"] and r0["params"] == r1["params"]
    # PyTorch on the whole batch: DDP's averaged gradients are the whole-batch mean's gradients.
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    with torch.no_grad():
        for p, v in zip(model.parameters(), r0["init"]):
            p.copy_(torch.tensor(v))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.tensor(data["x"], dtype=torch.float32), torch.tensor(data["y"], dtype=torch.float32)
    losses = []
    for _ in range(2):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(r0["losses"], losses, rtol=1e-5)
    for ours, theirs in zip(r0["params"], model.parameters()):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
