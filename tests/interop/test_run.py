"""torchlike run: torch served by torchlike for one process, missing names named, --report."""
import os
import subprocess
import sys
import textwrap

import pytest

import torchlike
from oracle import oracle
from torchlike._compat import MissingTorchAPI, MissingTorchImport, serve_torch


def test_import_torch_serves_torchlike_and_restores_sys_modules():
    before = sys.modules.get("torch")
    with serve_torch():
        import torch
        assert torch.tensor is torchlike.tensor and torch.Tensor is torchlike.Tensor
        assert torch.autograd.grad is torchlike.autograd.grad
        from torch.autograd import backward
        assert backward is torchlike.autograd.backward
        import torch.autograd as autograd
        assert autograd is torch.autograd
        assert (torch.ones(2) * 3).tolist() == [3.0, 3.0]
    assert sys.modules.get("torch") is before


def test_missing_torch_names_are_named():
    with serve_torch():
        import torch
        assert hasattr(torch, "fft") and not hasattr(torch.fft, "rfft")
        with pytest.raises(NotImplementedError, match=r"^torch\.fft\.rfft is not provided by torchlike yet$") as e:
            torch.fft.rfft
        assert isinstance(e.value, (MissingTorchAPI, AttributeError))
        with pytest.raises(ImportError, match=r"torch\.fft\.rfft is not provided by torchlike yet") as e:
            from torch.fft import rfft  # noqa: F401
        assert isinstance(e.value, (MissingTorchImport, NotImplementedError))
        x = torch.ones(2)
        with pytest.raises(NotImplementedError, match=r"torch\.Tensor\.stft is not provided by torchlike yet"):
            x.stft
        assert getattr(torch, "stft", None) is None or callable(torch.stft)


def test_names_torch_lacks_too_give_pytorchs_attribute_error():
    torch = oracle()  # the real torch, for its own message
    with pytest.raises(AttributeError) as real:
        torch.no_such_name_zz
    with serve_torch():
        import torch as served
        with pytest.raises(AttributeError) as ours:
            served.no_such_name_zz
        assert not isinstance(ours.value, NotImplementedError)
        with pytest.raises(AttributeError, match="'Tensor' object has no attribute 'no_such_attr'"):
            served.ones(1).no_such_attr
        with pytest.raises(ModuleNotFoundError):
            import torch.no_such_module_zz  # noqa: F401
    assert str(ours.value) == str(real.value)


SCRIPT = textwrap.dedent("""
    import os, sys
    import torch
    from torch import autograd
    print(__name__, sys.argv[1:], os.path.basename(sys.path[0]))
    print(type(sys.modules["torch"]).__name__, any(m.startswith("torch._C") for m in sys.modules))
    print(open("data.txt").read().strip())
    print(hasattr(torch, "cuda"), hasattr(torch, "fft"))
    x = torch.tensor([1., 2.], requires_grad=True)
    (x * x).sum().backward()
    print(x.grad)
    if sys.argv[1:] == ["fail"]:
        torch.fft.rfft(x)
    sys.exit(int(sys.argv[1]) if sys.argv[1:] and sys.argv[1].isdigit() else 0)
""")


@pytest.fixture(scope="module")
def script_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("scripts")
    (d / "s.py").write_text(SCRIPT)
    (d / "data.txt").write_text("relative file ok\n")
    return d


def _run(args, cwd):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, "-m", "torchlike", "run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_script_runs_as_main_with_argv_paths_and_exit_code(script_dir):
    p = _run(["s.py", "3"], script_dir)
    assert p.returncode == 3, p.stderr
    assert p.stdout.splitlines() == ["__main__ ['3'] " + script_dir.name, "TorchProxy False", "relative file ok",
                                     "True True", "tensor([2., 4.])"]


def test_missing_api_traceback_and_report(script_dir):
    p = _run(["--report", "s.py", "fail"], script_dir)
    assert p.returncode == 1
    err = p.stderr.splitlines()
    tb_end = err.index("NotImplementedError: torch.fft.rfft is not provided by torchlike yet")
    assert err[0] == "Traceback (most recent call last):"
    assert all("_compat" not in line and "runpy" not in line for line in err[:tb_end])
    report = err[tb_end + 1:]
    assert report[0].startswith("torchlike run --report: ")
    assert "  torch.fft.rfft" in report and "  torch.fft  (module)" in report


def test_missing_script():
    p = _run(["no_such_script.py"], os.getcwd())
    assert p.returncode == 2 and "can't open file" in p.stderr
