"""Reference resnet18 training steps outside torchlike, for side-by-side timing: PyTorch eager
(tests/vision/torch_resnet.py's torchvision-equivalent definition, since torchvision is not
installed beside the oracle) and pure JAX under jax.jit in NCHW/OIHW or NHWC/HWIO layout. Same
architecture, SGD with momentum 0.9, lr 1e-2, loss (pred - labels).sum()."""
import sys
from pathlib import Path

import numpy as np

LAYERS = [(64, 1), (128, 2), (256, 2), (512, 2)]


def torch_resnet18():
    """PyTorch eager: the torchvision ResNet-18 mirror the tests compare torchlike against."""
    import torch
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "vision"))
    from torch_resnet import torch_resnet18 as build
    return build(torch)


def jax_resnet18_step(batch, layout="NCHW", seed=0):
    """Returns (step, state): step(state, x, labels) -> (state, loss), jitted, in ``layout``:
    "NCHW" (OIHW weights), "NHWC" (HWIO weights), "NHWC/OIHW" (NHWC activations, weights
    kept in PyTorch's OIHW layout and transposed in the step, as torchlike eager keeps them) or
    "NHWC/patches" (NHWC, OIHW weights, and the convolutions torchlike runs as patch matmuls on
    the CPU written the same way: torchlike's pure-JAX ``patches_nhwc``, same rule)."""
    import jax
    import jax.numpy as jnp
    rng = np.random.default_rng(seed)
    from torchlike._ops.nn_conv import patches_nhwc, uses_patches
    nhwc = layout.startswith("NHWC")
    oihw_weights = layout != "NHWC"

    def conv_w(cout, cin, k):
        w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cout * k * k))).astype(np.float32)
        return jnp.asarray(w if oihw_weights else w.transpose(2, 3, 1, 0))

    def bn(c):
        f32 = jnp.float32  # explicit: torchlike turns on JAX's 64-bit mode in this process
        return {"w": jnp.ones(c, f32), "b": jnp.zeros(c, f32), "m": jnp.zeros(c, f32), "v": jnp.ones(c, f32)}

    params = {"conv1": conv_w(64, 3, 7), "bn1": bn(64), "blocks": []}
    cin = 64
    for c, s in LAYERS:
        for stride in (s, 1):
            blk = {"conv1": conv_w(c, cin, 3), "bn1": bn(c), "conv2": conv_w(c, c, 3), "bn2": bn(c)}
            if stride != 1 or cin != c:
                blk["down"] = conv_w(c, cin, 1)
                blk["down_bn"] = bn(c)
            params["blocks"].append((blk, stride))
            cin = c
    params["fc_w"] = jnp.asarray((rng.standard_normal((1000, 512)) * 0.03).astype(np.float32))
    params["fc_b"] = jnp.zeros(1000, jnp.float32)
    strides = [s for _, s in params["blocks"]]
    params["blocks"] = [b for b, _ in params["blocks"]]
    dn = ("NHWC", "HWIO", "NHWC") if nhwc else ("NCHW", "OIHW", "NCHW")
    caxis = 3 if nhwc else 1
    red = (0, 1, 2) if nhwc else (0, 2, 3)

    def conv(x, w, stride, pad):
        nchw_shape = (x.shape[0], x.shape[3], x.shape[1], x.shape[2])
        if layout == "NHWC/patches" and uses_patches(nchw_shape, w.shape, (stride,) * 2, (pad,) * 2):
            return patches_nhwc(x, w, (stride, stride), (pad, pad))
        if nhwc and oihw_weights:
            w = jnp.transpose(w, (2, 3, 1, 0))
        # XLA's default precision, as torchlike's and PyTorch's convolutions (TensorFloat-32 on a
        # GPU): importing torchlike sets JAX's global default to full float32 for matmuls
        return jax.lax.conv_general_dilated(x, w, (stride, stride), [(pad, pad)] * 2, dimension_numbers=dn,
                                            precision=jax.lax.Precision.DEFAULT)

    def batchnorm(x, p):
        mean = x.mean(red)
        var = x.var(red)
        shape = [1] * 4
        shape[caxis] = -1
        return (x - mean.reshape(shape)) / jnp.sqrt(var.reshape(shape) + 1e-5) * p["w"].reshape(shape) + \
            p["b"].reshape(shape)

    def forward(p, x):
        x = jax.nn.relu(batchnorm(conv(x, p["conv1"], 2, 3), p["bn1"]))
        window = (1, 3, 3, 1) if nhwc else (1, 1, 3, 3)
        st = (1, 2, 2, 1) if nhwc else (1, 1, 2, 2)
        padding = [(0, 0), (1, 1), (1, 1), (0, 0)] if nhwc else [(0, 0), (0, 0), (1, 1), (1, 1)]
        x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, window, st, padding)
        for blk, s in zip(p["blocks"], strides):
            idt = x
            if "down" in blk:
                idt = batchnorm(conv(x, blk["down"], s, 0), blk["down_bn"])
            out = jax.nn.relu(batchnorm(conv(x, blk["conv1"], s, 1), blk["bn1"]))
            out = batchnorm(conv(out, blk["conv2"], 1, 1), blk["bn2"])
            x = jax.nn.relu(out + idt)
        x = x.mean((1, 2) if nhwc else (2, 3))
        return x @ p["fc_w"].T + p["fc_b"]

    def loss_fn(p, x, labels):
        return (forward(p, x) - labels).sum()

    @jax.jit
    def step(state, x, labels):
        p, mom = state
        loss, g = jax.value_and_grad(loss_fn)(p, x, labels)
        mom = jax.tree_util.tree_map(lambda m, gi: 0.9 * m + gi, mom, g)
        p = jax.tree_util.tree_map(lambda w, m: w - 1e-2 * m, p, mom)
        return (p, mom), loss

    state = (params, jax.tree_util.tree_map(jnp.zeros_like, params))
    shape = (batch, 64, 64, 3) if nhwc else (batch, 3, 64, 64)
    x = jnp.asarray(rng.random(shape).astype(np.float32))
    labels = jnp.asarray(rng.random((batch, 1000)).astype(np.float32))
    return step, state, x, labels
