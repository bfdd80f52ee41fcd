"""Reference resnet18 training steps outside torchlike, for side-by-side timing: PyTorch eager
(a torchvision-equivalent definition, since torchvision is not installed beside the oracle) and
pure JAX under jax.jit in NCHW/OIHW or NHWC/HWIO layout. Same architecture, SGD with momentum
0.9, lr 1e-2, loss (pred - labels).sum()."""
import numpy as np

LAYERS = [(64, 1), (128, 2), (256, 2), (512, 2)]


def torch_resnet18():
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + idt)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for i, (c, s) in enumerate(LAYERS):
                setattr(self, f"layer{i + 1}", nn.Sequential(Block(cin, c, s), Block(c, c, 1)))
                cin = c
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))
    return ResNet()


def jax_resnet18_step(batch, layout="NCHW", seed=0):
    """Returns (step, state): step(state, x, labels) -> (state, loss), jitted, in ``layout``."""
    import jax
    import jax.numpy as jnp
    rng = np.random.default_rng(seed)
    nhwc = layout == "NHWC"

    def conv_w(cout, cin, k):
        w = rng.standard_normal((cout, cin, k, k)).astype(np.float32) * np.sqrt(2.0 / (cout * k * k))
        return jnp.asarray(w.transpose(2, 3, 1, 0) if nhwc else w)

    def bn(c):
        return {"w": jnp.ones(c), "b": jnp.zeros(c), "m": jnp.zeros(c), "v": jnp.ones(c)}

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
    params["fc_w"] = jnp.asarray(rng.standard_normal((1000, 512)).astype(np.float32) * 0.03)
    params["fc_b"] = jnp.zeros(1000)
    strides = [s for _, s in params["blocks"]]
    params["blocks"] = [b for b, _ in params["blocks"]]
    dn = ("NHWC", "HWIO", "NHWC") if nhwc else ("NCHW", "OIHW", "NCHW")
    caxis = 3 if nhwc else 1
    red = (0, 1, 2) if nhwc else (0, 2, 3)

    def conv(x, w, stride, pad):
        return jax.lax.conv_general_dilated(x, w, (stride, stride), [(pad, pad)] * 2, dimension_numbers=dn)

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
