"""Data-parallel step time: an MLP and a small CNN trained with nn.DataParallel on 1, 2, 4 and 8
devices (forward, backward, SGD step; median over repeated steps).

  python benchmarks/data_parallel.py                 # simulated CPU devices, one subprocess per count
  python benchmarks/data_parallel.py --real-devices  # the devices JAX sees here (benchmarks/gpu.sh)

Simulated devices (XLA_FLAGS=--xla_force_host_platform_device_count=N) are N XLA devices sharing
the same CPU cores: they show that the sharded program compiles and what partitioning costs, not
a speed-up. On a 2-core machine more simulated devices can only be slower. Real scaling needs
real devices; ``--real-devices`` uses the first 1, 2, 4, 8 of them (as many as exist).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNTS = (1, 2, 4, 8)


def _models(nn):
    return {
        "mlp": (lambda: nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                      nn.Linear(256, 10)), (256, 64)),
        "cnn": (lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                      nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
                                      nn.Linear(16 * 16 * 16, 10)), (64, 3, 16, 16)),
    }


def step_times(n_devices, model_names, steps=10, warmup=3):
    """Median milliseconds per training step for each model on the first ``n_devices`` devices."""
    import jax
    import torchlike as torch
    nn = torch.nn
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = {}
    for name in model_names:
        make, shape = _models(nn)[name]
        torch.manual_seed(0)
        model = make().to(device)
        ids = list(range(n_devices))
        net = nn.DataParallel(model, device_ids=ids) if n_devices > 1 else model
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        x = torch.randn(*shape).to(device)
        y = torch.randint(0, 10, (shape[0],)).to(device)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            return loss
        times = []
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            jax.block_until_ready(step().jax())
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1e3)
        out[name] = statistics.median(times)
    return out


def _worker(args):
    print(json.dumps(step_times(args.devices, args.models, args.steps)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-devices", action="store_true", help="use the devices JAX sees, no simulation")
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--devices", type=int, help=argparse.SUPPRESS)  # the worker's own count
    args = parser.parse_args(argv)
    if args.devices is not None:
        return _worker(args)
    rows = []
    if args.real_devices:
        import jax
        available = len(jax.local_devices())
        print(f"real devices: {jax.local_devices()}")
        for n in [c for c in COUNTS if c <= available]:
            rows.append((n, step_times(n, args.models, args.steps)))
    else:
        for n in COUNTS:
            env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT),
                       XLA_FLAGS=f"--xla_force_host_platform_device_count={n}")
            proc = subprocess.run([sys.executable, __file__, "--devices", str(n), "--steps", str(args.steps),
                                   "--models", *args.models], env=env, capture_output=True, text=True)
            if proc.returncode:
                sys.exit(proc.stderr[-2000:])
            rows.append((n, json.loads(proc.stdout.strip().splitlines()[-1])))
    kind = "real" if args.real_devices else "simulated CPU"
    print(f"\nnn.DataParallel training step, median ms ({kind} devices; {os.cpu_count()} CPU cores)")
    print(f"{'devices':>8s}" + "".join(f"{m:>12s}{'x 1 dev':>10s}" for m in args.models))
    base = rows[0][1]
    for n, t in rows:
        print(f"{n:8d}" + "".join(f"{t[m]:12.2f}{t[m] / base[m]:10.2f}" for m in args.models))
    if not args.real_devices:
        print("Note: simulated devices share this machine's cores, so these numbers show the cost of the\n"
              "partitioned program (per-device launch and collective overhead), never a speed-up.")


if __name__ == "__main__":
    main()
