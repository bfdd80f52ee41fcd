"""Data-parallel training on 8 simulated CPU devices matches one device and PyTorch.

The devices exist only in a fresh process started with
``XLA_FLAGS=--xla_force_host_platform_device_count=8``, so one subprocess (dp_worker.py) trains
every case once and reports; the tests here read its report and replay the same training in
PyTorch from the same initial parameters and data."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.oracle import oracle

ROOT = Path(__file__).resolve().parents[2]
MIXED = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


def simulated_env(n):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT),
               XLA_FLAGS=f"--xla_force_host_platform_device_count={n} --xla_cpu_multi_thread_eigen=false")
    return env


@pytest.fixture(scope="module")
def report():
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("dp_worker.py"))], env=simulated_env(8),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def close(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x, np.float64), np.asarray(y, np.float64), rtol=rtol, atol=atol)
    assert len(a) == len(b)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("case", ["mlp", "cnn", "uneven"])
def test_data_parallel_matches_one_device(report, case, compiled):
    """Also with the training step through ``torchlike.compile``: one program over the mesh."""
    one, dp = report[case]["one"], report[case]["dp_compiled" if compiled else "dp"]
    assert report["devices"] == 8
    assert dp["init"] == one["init"]
    close(dp["losses"], one["losses"])
    close(dp["grads"], one["grads"])
    close(dp["params"], one["params"])
    close(dp["buffers"], one["buffers"])
    # The parameters and their gradients live replicated on all 8 devices; torch sees one device.
    assert dp["param_devices"] == dp["grad_devices"] == 8
    assert dp["out_device"] == dp["param_device"] == "cpu"


def test_distributed_data_parallel_single_process(report):
    one, ddp = report["mlp"]["one"], report["ddp"]
    close(ddp["losses"], one["losses"])
    close(ddp["params"], one["params"])
    assert ddp["param_devices"] == 8


def _torch_model(torch, case):
    nn = torch.nn
    if case == "cnn":
        return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                             nn.Linear(4 * 4 * 4, 3))
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))


@pytest.mark.parametrize("case,x,y", [("mlp", "x", "y"), ("cnn", "xc", "yc"), ("uneven", "x10", "y10")])
def test_data_parallel_matches_pytorch(report, case, x, y):
    torch = oracle()
    ours = report[case]["dp"]
    model = _torch_model(torch, case)
    with torch.no_grad():
        for p, v in zip(model.parameters(), ours["init"]):
            p.copy_(torch.tensor(v))
    data = report["data"]
    xt = torch.tensor(data[x])
    yt = torch.tensor(data[y])
    loss_fn = torch.nn.CrossEntropyLoss() if case == "cnn" else torch.nn.MSELoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(len(ours["losses"])):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    close(ours["losses"], losses, rtol=1e-5, atol=1e-5)
    close(ours["params"], [p.detach().numpy() for p in model.parameters()], rtol=1e-4, atol=1e-5)
    close(ours["buffers"], [b.numpy() for b in model.buffers() if b.is_floating_point()], rtol=1e-4, atol=1e-5)


def test_mixed_devices_raise_pytorchs_error(report):
    assert report["cpu1_device"] == "cpu:1"
    assert report["mixed"] == MIXED.format("cpu:1", "cpu")
    assert report["mixed_matmul"] == MIXED.format("cpu", "cpu:3")
    assert report["mixed_mesh"] == MIXED.format("cpu", "cpu:1")


def test_tensor_on_the_mesh_first_device_joins_the_mesh(report):
    assert report["committed_target_loss_ok"] is True
    assert report["moved_back"] == "cpu"
