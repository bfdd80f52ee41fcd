"""The tutorial's examples print what PyTorch prints: each runs under torchlike and under real
PyTorch (same random inputs, replayed) and stdout must match line for line, object addresses
aside. The MLP example also proves the tutorial's own mistake is rejected as PyTorch rejects it."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oracle import oracle

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["autograd_q.py", "backward_scalar.py", "backward_vector.py", "requires_grad_session.py",
            "exclusion.py", "mlp.py"]
ADDRESS = re.compile(r"0x[0-9a-f]+")
NUMBER = re.compile(r"-?\d+\.\d*(?:e[+-]\d+)?")


def same_output(ours, theirs):
    """Line for line; a printed number may differ by one unit in its last printed digit, since
    XLA and PyTorch sum in different orders (everything else must be identical)."""
    a, b = ours.splitlines(), theirs.splitlines()
    assert len(a) == len(b), (ours, theirs)
    for x, y in zip(a, b):
        if x == y:
            continue
        assert NUMBER.sub("#", x) == NUMBER.sub("#", y), (x, y)
        for u, v in zip(NUMBER.findall(x), NUMBER.findall(y)):
            digits = len(u.split(".")[1].split("e")[0])
            assert abs(float(u) - float(v)) <= 1.01 * 10 ** -digits * max(1.0, abs(float(u)) if "e" in u else 1.0), (x, y)


def _run(mode, example, draws):
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "replay.py"), mode, str(ROOT / "examples" / example),
                           str(draws)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return ADDRESS.sub("0x?", proc.stdout)


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_prints_what_pytorch_prints(example, tmp_path):
    oracle()
    draws = tmp_path / "draws.npz"
    ours = _run("torchlike", example, draws)
    theirs = _run("torch", example, draws)
    same_output(ours, theirs)


TUTORIAL_MISTAKE = """
import torchlike as torch
import torchlike.autograd as autograd
x = torch.randn((5, 3))
y = torch.randn(5)
w1 = torch.randn((3, 4), requires_grad=True)
b1 = torch.randn(4, requires_grad=True)
w2 = torch.randn((4, 1), requires_grad=True)
b2 = torch.randn(1, requires_grad=True)
y1 = x @ w1 + b1
y2 = y1 @ w2 + b2
l = ((y - y2.squeeze()) ** 2).sum()
l.backward()
try:
    autograd.grad(l, y2, retain_graph=True)
except RuntimeError as e:
    print(type(e).__name__, e)
"""


def test_tutorial_mlp_without_retain_graph_is_rejected_like_pytorch(tmp_path):
    oracle()
    script = tmp_path / "mistake.py"
    script.write_text(TUTORIAL_MISTAKE)
    draws = tmp_path / "draws.npz"
    ours = _run("torchlike", script, draws)
    theirs = _run("torch", script, draws)
    assert ours.startswith("RuntimeError Trying to backward through the graph a second time")
    assert ours == theirs
