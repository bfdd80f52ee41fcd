"""compat/: the tutorial's unmodified PyTorch scripts run under `torchlike run` and match the
output real PyTorch printed (compat/expected). The comparison rule is in compat/common.py."""
import os
import pathlib
import subprocess
import sys

import pytest

COMPAT = pathlib.Path(__file__).resolve().parent.parent / "compat"
sys.path.insert(0, str(COMPAT))
import common  # noqa: E402


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


def test_every_recorded_script_is_random_or_exact_as_recorded():
    for script in common.scripts():
        exp = common.load_expected(script.stem)
        if exp is None:
            assert common.needs_checkpoint(script), f"{script.name} has no recorded PyTorch output"
        else:
            assert exp["random"] == common.is_random(script)


def test_compat_scripts_pass_under_torchlike():
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    p = subprocess.run([sys.executable, str(COMPAT / "run.py"), "--no-report", "--jobs", "2"], env=env,
                       capture_output=True, text=True, timeout=900)
    lines = [ln for ln in p.stdout.splitlines() if ln.split(" ", 1)[0] in ("pass", "FAIL", "skipped")]
    failed = [ln for ln in lines if ln.startswith("FAIL")]
    assert not failed, "\n".join(failed) + p.stderr[-2000:]
    skipped = {ln.split()[1].rstrip(":") for ln in lines if ln.startswith("skipped")}
    assert skipped == {s.stem for s in common.scripts() if common.needs_checkpoint(s)}
    assert p.returncode == 0
    assert len(lines) == len(common.scripts())
