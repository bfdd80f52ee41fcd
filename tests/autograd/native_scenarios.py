"""Prints what a wide range of eager code leaves behind: values, versions, grad_fn names and
edges, gradients, errors, and the deferred segment and nodes as recorded. ``test_native.py``
runs it with the C recording path and with ``TORCHLIKE_NATIVE=0`` and compares the two
transcripts line by line. Run: python tests/autograd/native_scenarios.py"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

import torchlike as T  # noqa: E402
from torchlike.autograd import lazy  # noqa: E402

RNG = np.random.default_rng(0)


def show(label, *items):
    print(label, *[describe(x) for x in items])


def describe(x):
    if isinstance(x, T.Tensor):
        fn = x.grad_fn
        edges = None if fn is None else [None if f is None else type(f).__name__ for f, _ in fn.next_functions]
        grad = None if not x.is_leaf or x.grad is None else x.grad.tolist()
        return (f"{x.tolist()} {x.dtype} {tuple(x.shape)} v{x._version} rg={x.requires_grad} "
                f"fn={type(fn).__name__ if fn else None} edges={edges} grad={grad}")
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(describe(v) for v in x) + "]"
    return repr(x)


def attempt(label, fn):
    try:
        show(label, fn())
    except Exception as e:  # noqa: BLE001 - the transcript records every error as raised
        print(label, "raises", type(e).__name__, str(e).split("\n")[0])


def segment():
    """The current segment as recorded: each op's inputs (as references) and its inputs' avals,
    and the saved-tensor checks and keys of the nodes made since ``mark``."""
    seg = lazy._current
    if seg is None:
        return "no segment"
    return f"{len(seg.ops)} ops, refs {[op[1] for op in seg.ops]}, several {[op[2] for op in seg.ops]}, " \
           f"ext {[str(s) for s in seg.ext_sig]}, values {len(seg.values)}, storages {len(seg.storages)}"


def node(t):
    n = t.grad_fn
    checks = [(c[1], c[2], c[3]() is not None) for c in n.checks]
    key = n.key
    return (f"{type(n).__name__} seq-rank saved={[type(s).__name__ for s in n.saved]} avals={n.avals} "
            f"out={n.out_avals} checks={checks} diff={key[1]} out_diff={key[3]} statics={key[0][1]} "
            f"sig={key[0][2]}")


def tutorial_loop():
    x, y = T.tensor(RNG.standard_normal((5, 3)), dtype=T.float32), T.tensor(RNG.standard_normal(5), dtype=T.float32)
    params = [T.tensor(RNG.standard_normal(s), dtype=T.float32, requires_grad=True) for s in ((3, 4), (4,), (4, 1), (1,))]
    w1, b1, w2, b2 = params
    for step in range(6):
        y1 = x @ w1 + b1
        y2 = y1 @ w2 + b2
        d = y - y2.squeeze()
        loss = (d ** 2).sum()
        if step == 4:
            print("segment before backward:", segment())
            for t in (y1, y2, d, loss):
                print("node:", node(t))
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 1e-3 * p.grad
                p.grad = None
        show(f"step {step}", loss, *params)


def constants_and_dtypes():
    a = T.tensor([1.5, -2.0, 3.0], requires_grad=True)
    for c in (2, 2, 3.5, 2, True, 0, -0.0, 1j):
        attempt(f"a * {c!r}", lambda c=c: a * c)
    for i in range(12):  # a position that sees many values becomes a dynamic argument
        r = a * (i + 1)
    show("a * 12", r)
    b64 = T.tensor([1.0, 2.0, 3.0], dtype=T.float64)
    i32 = T.tensor([1, 2, 3], dtype=T.int32)
    show("mixed", a + b64, a * i32, i32 + 1, i32 / 2, i32 * 2.5, a + T.tensor(2.0, dtype=T.float64))
    attempt("shape error", lambda: a + T.ones(4))
    attempt("int requires grad", lambda: T.ones(2, dtype=T.int64, requires_grad=True))
    s = (a * 2).sum()
    s.backward()
    show("a after", a)


def inplace():
    leaf = T.tensor([1.0, 2.0], requires_grad=True)
    attempt("leaf in-place", lambda: leaf.add_(1))
    show("leaf unchanged", leaf)
    h = leaf * 3
    h.add_(2)
    h += 1
    h -= T.tensor([0.5, 0.5])
    show("non-leaf in-place", h)
    h.sum().backward()
    show("grad through in-place", leaf)
    e = leaf.exp()
    e.add_(1)
    attempt("saved output modified", lambda: e.sum().backward())
    m = leaf * 1
    p = m * m
    m.add_(1)
    attempt("saved input modified", lambda: p.sum().backward())
    c = T.zeros(2)
    attempt("broadcast into smaller", lambda: c.add_(T.ones(3, 2)))
    f = T.zeros(2, dtype=T.float32)
    f += T.tensor([1.0, 2.0], dtype=T.float64)
    show("cast into float32", f)
    n = T.zeros(2, dtype=T.int64)
    attempt("float into int", lambda: n.add_(T.tensor([0.5, 0.5])))
    with T.no_grad():
        leaf.mul_(2)
    show("no_grad in-place on leaf", leaf)


def aliases_and_numpy():
    w = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = w.detach()
    data = w.data
    with T.no_grad():
        w -= 0.5 * T.ones(3)
    show("aliases", w, d, data)
    d.mul_(2)
    show("after detach write", w, d)
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = T.from_numpy(arr)
    u = t * 2
    t += 1
    show("numpy shared", t, u, arr.tolist())
    v = w.view(3, 1)
    show("view", v * 2)


def graphs():
    a = T.tensor([0.5, 1.0, 2.0], requires_grad=True)
    b = T.tensor([3.0, -1.0, 0.25], requires_grad=True)
    out = (a * b).sum()
    out.backward(retain_graph=True)
    out.backward()
    show("accumulated", a, b)
    attempt("second backward", lambda: out.backward())
    q = (a.sin() * b).sum()
    show("autograd.grad", T.autograd.grad(q, [b], retain_graph=True))
    show("grad of a only", T.autograd.grad(q, a))
    mid = a * 2
    mid.retain_grad()
    hooked = []
    mid.register_hook(lambda g: hooked.append(g.tolist()))
    (mid ** 2).sum().backward()
    show("retained and hooked", mid.grad, hooked)
    top, idx = (a * b).max(dim=0)
    parts = (a + b).chunk(3)
    (top + parts[1].sum()).backward()
    show("several outputs", top, idx, parts, a, b)
    g = (a ** 3).sum()
    (ga,) = T.autograd.grad(g, a, create_graph=True)
    ga.sum().backward()
    show("create_graph", ga, a)
    with T.no_grad():
        show("no_grad", a * 2)
    with T.inference_mode():
        show("inference", a + 1)
    with T.enable_grad():
        show("enable_grad", a + 1)


def optimizers():
    lin = T.nn.Linear(3, 2)
    with T.no_grad():
        lin.weight.copy_(T.tensor(RNG.standard_normal((2, 3)), dtype=T.float32))
        lin.bias.fill_(0.1)
    x = T.tensor(RNG.standard_normal((4, 3)), dtype=T.float32)
    for opt in (T.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9), T.optim.Adam(lin.parameters(), lr=0.01)):
        for _ in range(3):
            opt.zero_grad()
            loss = T.nn.functional.mse_loss(lin(x), T.zeros(4, 2))
            loss.backward()
            opt.step()
        show(type(opt).__name__, loss, lin.weight, lin.bias, lin.weight.grad)


def at_the_call():
    """The same code with every op run at its call (as code that reads each value does)."""
    lazy.pause()
    try:
        for scenario in (tutorial_loop, constants_and_dtypes, inplace, graphs):
            print(f"-- {scenario.__name__}, at the call")
            scenario()
        a = T.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
        for _ in range(2):  # an op with several results, twice
            top, idx = a.max(dim=1)
            show("max at the call", top, idx)
    finally:
        lazy.unpause()


if __name__ == "__main__":
    for scenario in (tutorial_loop, constants_and_dtypes, inplace, aliases_and_numpy, graphs, optimizers,
                     at_the_call):
        print(f"-- {scenario.__name__}")
        scenario()
        lazy.flush()
