"""What compat/record.py and compat/run.py share: where things live, how a script is run and
what of its run is compared.

The comparison rule (also written at the top of the generated REPORT.md):
* stdout, line by line, with object addresses (``0x7f...``) masked;
* the exit status, and for a failing script the exception line (``RuntimeError: ...``);
* the warnings printed (``UserWarning: ...``), in order, with their file/line prefix dropped.
A script whose output depends on random numbers (torchlike's RNG is not PyTorch's) is
compared *structurally*: the same, except that every number with a decimal point or exponent
(and nan/inf) is masked and spacing and line breaks are ignored (where PyTorch wraps a
tensor's repr depends on the printed width of its numbers), so everything else -- shapes,
dtypes, integer values, grad_fn names, requires_grad flags, the lines' text -- must match. A script is
random when it calls a random factory or builds a randomly initialised layer or model:
see ``RANDOM_CALLS``.
"""
import ast
import contextlib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent
SCRIPTS = ROOT / "scripts"
EXPECTED = ROOT / "expected"
REPO = ROOT.parent
TORCH_PYTHON = os.environ.get("TORCHLIKE_ORACLE_PYTHON", "/tmp/venv/bin/python")
# Real torchvision (with the torch it needs, which may be newer than the oracle's): records the
# scripts that load the pretrained resnet18.
VISION_PYTHON = os.environ.get("TORCHLIKE_VISION_PYTHON", "/tmp/tvenv/bin/python")
CHECKPOINT = "resnet18-f37072fd.pth"  # ResNet18_Weights.IMAGENET1K_V1's file name in the hub cache

RANDOM_CALLS = frozenset({
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
    "multinomial", "poisson", "normal_", "uniform_", "random_", "exponential_", "dropout", "Dropout",
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "Embedding", "RNN",
    "LSTM", "GRU", "MultiheadAttention", "Transformer", "resnet18", "resnet34", "resnet50"})
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")
_SPACES = re.compile(r"\s+")
_WARNING = re.compile(r"\b(\w*Warning): (.*)$")


def scripts():
    return sorted(SCRIPTS.glob("*.py"))


def is_random(path):
    """Whether the script's output may depend on random numbers (see the module docstring)."""
    for node in ast.walk(ast.parse(pathlib.Path(path).read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if name in RANDOM_CALLS:
                return True
    return False


def needs_checkpoint(path):
    """Scripts that load torchvision's pretrained resnet18 (a checkpoint in $TORCH_HOME)."""
    return "ResNet18_Weights" in pathlib.Path(path).read_text()


@contextlib.contextmanager
def torch_home(python=None, module=None):
    """A temporary ``TORCH_HOME`` (so no user's cache is read). With ``python``, its hub cache
    holds the stand-in resnet18 checkpoint, written by compat/checkpoint.py under that Python
    with ``module`` (torch or torchlike)."""
    with tempfile.TemporaryDirectory(prefix="compat_torch_home_") as home:
        if python is not None:
            path = pathlib.Path(home) / "hub" / "checkpoints" / CHECKPOINT
            subprocess.run([python, str(ROOT / "checkpoint.py"), module, str(path)], check=True,
                           env=dict(os.environ, JAX_PLATFORMS="cpu"))
        yield home


def run(cmd, script, home, extra_env=None, timeout=600):
    """Runs ``cmd + [script]`` in the script's directory with ``TORCH_HOME=home`` (and
    ``extra_env``); returns what compare() looks at."""
    env = dict(os.environ, JAX_PLATFORMS="cpu", PYTHONIOENCODING="utf-8", TORCH_HOME=str(home), **(extra_env or {}))
    proc = subprocess.run([*cmd, script.name], cwd=script.parent, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return {"stdout": proc.stdout, "returncode": proc.returncode, "error": _error_line(proc),
            "warnings": [m.group(1) + ": " + m.group(2) for m in map(_WARNING.search, proc.stderr.splitlines())
                         if m], "stderr": proc.stderr}


def _error_line(proc):
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else None


def mask(line, structural):
    line = _ADDRESS.sub("0x…", line)
    if structural:
        line = _SPACES.sub("", _FLOAT.sub("#", line))
    return line


def compare(expected, got, structural):
    """None when ``got`` matches ``expected``; else a one-line description of the first difference."""
    exp_lines, got_lines = expected["stdout"].splitlines(), got["stdout"].splitlines()
    diff = (_first_stream_difference if structural else _first_line_difference)(exp_lines, got_lines)
    if diff is not None:
        return diff
    if expected["returncode"] != got["returncode"]:
        return (f"exit status {got['returncode']} (expected {expected['returncode']})"
                + (f"; error: {_show(got['error'])}" if got["error"] else ""))
    if expected["error"] is not None and mask(expected["error"], False) != mask(got["error"] or "", False):
        return f"error: expected {_show(expected['error'])}, got {_show(got['error'])}"
    exp_w = [mask(w, False) for w in expected["warnings"]]
    got_w = [mask(w, False) for w in got["warnings"]]
    if exp_w != got_w:
        return f"warnings: expected {exp_w}, got {got_w}"
    return None


def _first_line_difference(exp_lines, got_lines):
    for i in range(max(len(exp_lines), len(got_lines))):
        e = exp_lines[i] if i < len(exp_lines) else None
        g = got_lines[i] if i < len(got_lines) else None
        if e is None or g is None or mask(e, False) != mask(g, False):
            return f"stdout line {i + 1}: expected {_show(e)}, got {_show(g)}"
    return None


def _first_stream_difference(exp_lines, got_lines):
    """Structural: the masked outputs as one stream, since where a tensor's repr wraps depends
    on the printed width of its numbers; the difference is reported by line."""
    (se, oe), (sg, og) = _stream(exp_lines), _stream(got_lines)
    if se == sg:
        return None
    k = next((i for i, (a, b) in enumerate(zip(se, sg)) if a != b), min(len(se), len(sg)))
    le = oe[k] if k < len(oe) else None
    lg = og[k] if k < len(og) else None
    e = exp_lines[le] if le is not None else None
    g = got_lines[lg] if lg is not None else None
    return f"stdout line {(le if le is not None else len(exp_lines)) + 1}: expected {_show(e)}, got {_show(g)}"


def _stream(lines):
    text, owner = [], []
    for i, ln in enumerate(lines):
        m = mask(ln, True)
        text.append(m)
        owner.extend([i] * len(m))
    return "".join(text), owner


def _show(line):
    if line is None:
        return "(no line)"
    return "`" + (line if len(line) <= 160 else line[:157] + "...") + "`"


def load_expected(name):
    txt, meta = EXPECTED / f"{name}.txt", EXPECTED / f"{name}.json"
    if not (txt.exists() and meta.exists()):
        return None
    out = json.loads(meta.read_text())
    out["stdout"] = txt.read_text()
    return out


def torchlike_cmd():
    return [sys.executable, "-m", "torchlike", "run"]
