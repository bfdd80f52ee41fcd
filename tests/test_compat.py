"""compat/: the tutorial's unmodified PyTorch scripts run under `torchlike run` and match the
output real PyTorch printed (compat/expected). The comparison rule is in compat/common.py."""
import importlib
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

COMPAT = pathlib.Path(__file__).resolve().parent.parent / "compat"
sys.path.insert(0, str(COMPAT))
import common  # noqa: E402
import checkpoint  # noqa: E402


def _got(stdout, returncode=0, error=None, warnings=()):
    return {"stdout": stdout, "returncode": returncode, "error": error, "warnings": list(warnings)}


def test_comparison_rule():
    exp = _got("<AddBackward0 object at 0x7f0450d4bbb0>\ntensor([1., 2.])\n")
    assert common.compare(exp, _got("<AddBackward0 object at 0x55d1c2a0>\ntensor([1., 2.])\n"), False) is None
    diff = common.compare(exp, _got("<AddBackward0 object at 0x1>\ntensor([1., 3.])\n"), False)
    assert diff.startswith("stdout line 2:")
    # random scripts: numbers masked, wrapping ignored, everything else compared
    rnd = _got("tensor([ 3.1403, -3.8336], grad_fn=<MulBackward0>)\ntorch.Size([5, 4])\n")
    assert common.compare(rnd, _got("tensor([ -6.3900, -15.0191],\n       grad_fn=<MulBackward0>)\n"
                                    "torch.Size([5, 4])\n"), True) is None
    assert common.compare(rnd, _got("tensor([1.0, 2.0], grad_fn=<AddBackward0>)\ntorch.Size([5, 4])\n"),
                          True) is not None
    assert common.compare(rnd, _got(rnd["stdout"].replace("[5, 4]", "[4, 5]")), True) is not None
    assert "exit status" in common.compare(_got("", 1, "RuntimeError: x"), _got("", 0), False)
    assert common.compare(_got("", 0, None, ["UserWarning: w"]), _got(""), False).startswith("warnings")


def test_every_script_is_recorded_random_or_exact_as_recorded():
    for script in common.scripts():
        exp = common.load_expected(script.stem)
        assert exp is not None, f"{script.name} has no recorded PyTorch output (run compat/record.py)"
        assert exp["random"] == common.is_random(script)
        assert ("torchvision" in exp) == common.needs_checkpoint(script)


def test_stand_in_checkpoint_has_torchvisions_resnet18_layout():
    """The layout is torchvision's (its fixture); the values are seeded, initialised as torchvision
    does, and the same on every call (the recorded and the torchlike run load equal files)."""
    want = json.loads(checkpoint.SHAPES.read_text())["state_dict"]
    got = checkpoint.state_dict_arrays()
    assert [[k, list(v.shape), "torch." + str(v.dtype)] for k, v in got.items()] == want
    again = checkpoint.state_dict_arrays()
    assert all(np.array_equal(got[k], again[k]) for k in got)
    assert np.all(got["bn1.weight"] == 1) and np.all(got["layer1.0.bn1.running_var"] == 1)
    assert abs(got["conv1.weight"].std() - (2 / (64 * 7 * 7)) ** 0.5) < 2e-3
    assert np.abs(got["fc.bias"]).max() <= 512 ** -0.5


def test_coverage_scan_counts_torchvision_names_and_not_node_attributes(tmp_path):
    run = importlib.import_module("run")
    src = tmp_path / "s.py"
    src.write_text("import torchlike as torch\nfrom torchlike.vision.models import resnet18\n"
                   "y = torch.ones(2).sum()\nprint(y.grad_fn.name(), y.shape.numel(), y.mean())\n")
    used, tensor = run.scan(src)
    assert used == {("torch", "ones"), ("torchvision.models", "resnet18")}
    assert tensor == {"sum", "grad_fn", "shape", "mean"}
    assert run.supported("torchvision.models", "resnet18")


def test_compat_scripts_pass_under_torchlike():
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    p = subprocess.run([sys.executable, str(COMPAT / "run.py"), "--no-report", "--jobs", "2"], env=env,
                       capture_output=True, text=True, timeout=900)
    lines = [ln for ln in p.stdout.splitlines() if ln.split(" ", 1)[0] in ("pass", "FAIL", "skipped")]
    failed = [ln for ln in lines if ln.startswith("FAIL")]
    assert not failed, "\n".join(failed) + p.stderr[-2000:]
    assert not [ln for ln in lines if ln.startswith("skipped")]
    assert p.returncode == 0
    assert len(lines) == len(common.scripts())
