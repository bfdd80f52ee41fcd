"""The autograd tutorial's MLP training step (x 5x3, w1 3x4, w2 4x1; forward, loss, backward,
SGD update under no_grad) in torchlike eager, PyTorch eager and pure JAX (jax.jit), in one
process. Prints medians and ratios. Run: python benchmarks/mlp_step.py"""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

from common import first_call_ms, interleaved_us, machine, stored, table, torch_device, torch_sync  # noqa: E402

LR = 1e-3
rng = np.random.default_rng(0)
DATA = {k: rng.standard_normal(s).astype(np.float32)
        for k, s in dict(x=(5, 3), y=(5,), w1=(3, 4), b1=(4,), w2=(4, 1), b2=(1,)).items()}


def make_data(T, device=None):
    """x, y and the parameters [w1, b1, w2, b2] as ``T`` tensors (torchlike or torch)."""
    x, y = T.tensor(DATA["x"], device=device), T.tensor(DATA["y"], device=device)
    return x, y, [T.tensor(DATA[k], requires_grad=True, device=device) for k in ("w1", "b1", "w2", "b2")]


def loss_of(x, y, params):
    w1, b1, w2, b2 = params
    y1 = x @ w1 + b1
    y2 = y1 @ w2 + b2
    return ((y - y2.squeeze()) ** 2).sum()


def sgd_update(T, params):
    """The tutorial's update by hand: under no_grad, then the gradients dropped."""
    with T.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None


def eager_step(T, x, y, params):
    loss = loss_of(x, y, params)
    loss.backward()
    sgd_update(T, params)
    return loss


def make_eager(T, device=None):
    x, y, params = make_data(T, device)
    return lambda: (eager_step(T, x, y, params), params)


def make_compiled(T, schedule=False):
    """``schedule``: a scheduler sets a new learning rate after every step (a warmup or
    per-batch cosine schedule), so each call's learning rate is new."""
    x, y, params = make_data(T)
    opt = T.optim.SGD(params, lr=LR)
    scheduler = T.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 / (1 + 1e-6 * k)) if schedule else None

    def step(x, y):
        opt.zero_grad()
        loss = loss_of(x, y, params)
        loss.backward()
        opt.step()
        return loss
    compiled = T.compile(step)
    if scheduler is None:
        return lambda: (compiled(x, y), params)

    def scheduled():
        loss = compiled(x, y)
        scheduler.step()
        return loss, params
    return scheduled


def make_jax(with_grads=False):
    """Pure JAX; ``with_grads`` also returns the gradients, as a compiled torchlike step must
    (PyTorch's ``.grad`` is observable after the step): the floor for torchlike compiled."""
    import jax
    import jax.numpy as jnp

    def loss_fn(params, x, y):
        w1, b1, w2, b2 = params
        y2 = (x @ w1 + b1) @ w2 + b2
        return ((y - y2.squeeze()) ** 2).sum()

    @jax.jit
    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        new = [p - LR * g for p, g in zip(params, grads)]
        return (new, loss, grads) if with_grads else (new, loss)

    state = {"p": [jnp.asarray(DATA[k]) for k in ("w1", "b1", "w2", "b2")]}
    x, y = jnp.asarray(DATA["x"]), jnp.asarray(DATA["y"])

    def run():
        state["p"], loss, *grads = step(state["p"], x, y)
        return loss, state["p"]
    return run


def main():
    import jax
    import torchlike
    def sync(out):  # the loss and the updated parameters: dispatch is asynchronous
        loss, params = out
        jax.block_until_ready([stored(t) if hasattr(t, "_s") else t for t in [loss, *params]])
    def two_compiled_steps():
        step = make_compiled(torchlike)
        for _ in range(2):  # a compiled step compiles on its second call
            sync(step())
    first = [("torchlike eager", first_call_ms(lambda: sync(make_eager(torchlike)()))),
             ("torchlike compiled", first_call_ms(two_compiled_steps))]
    steps = [("torchlike eager", make_eager(torchlike), sync), ("torchlike compiled", make_compiled(torchlike), sync),
             ("torchlike compiled, lr/step", make_compiled(torchlike, schedule=True), sync)]
    try:
        import torch
        torch.set_num_threads(os.cpu_count())
        device = torch_device(torch)
        tsync = torch_sync(torch, device)
        first.append(("PyTorch eager", first_call_ms(lambda: tsync(make_eager(torch, device)()))))
        steps.append(("PyTorch eager", make_eager(torch, device), tsync))
    except ImportError:
        print("(PyTorch not installed: its row is missing)")
    first.append(("pure JAX jit", first_call_ms(lambda: sync(make_jax()()))))
    steps.append(("pure JAX jit", make_jax(), sync))
    steps.append(("pure JAX jit + grads out", make_jax(with_grads=True), sync))
    rows = interleaved_us(steps, repeat=25)
    print(f"machine: {machine()}; jax {jax.__version__}; devices {jax.devices()}")
    table("tutorial MLP step", rows, ["PyTorch eager", "pure JAX jit"])
    print("\nfirst step, compilation included (ms): " + ", ".join(f"{n} {v:.0f}" for n, v in first))


if __name__ == "__main__":
    main()
