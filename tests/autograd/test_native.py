"""The recording path's C version (``torchlike/autograd/native/``) leaves exactly what the
Python path leaves. The rest of the suite runs on the C path where it was built; these tests
compare the two paths on one transcript of observable state, and run the autograd and
optimizer suites again on the Python path, which stays the specification."""
import os
import subprocess
import sys

import pytest

import torchlike
from torchlike.autograd import engine, lazy, record

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OFF = {"TORCHLIKE_NATIVE": "0"}


def _native():
    try:
        from torchlike.autograd import _native
    except ImportError:
        return None
    return _native


def _run(args, env=None, timeout=600):
    full = {**os.environ, "PYTHONPATH": ROOT, "JAX_PLATFORMS": "cpu", **(env or {})}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=full, capture_output=True, text=True,
                          timeout=timeout)


def test_c_path_is_installed():
    """``pip install -e .`` builds it (README); CI must test it. Elsewhere a machine without a C
    compiler installs torchlike without it and runs the Python path."""
    native = _native()
    if os.environ.get("TORCHLIKE_NATIVE") == "0":
        pytest.skip("TORCHLIKE_NATIVE=0: the Python path was asked for")
    if native is None:
        if os.environ.get("CI") == "true":
            pytest.fail("torchlike.autograd._native was not built by the install")
        pytest.skip("torchlike.autograd._native is not built here (no C compiler at install)")
    assert record.apply is native.apply and record.apply is not record.python_apply
    assert lazy.record is native.record and record.wrap_any is native.wrap_any
    assert engine._native_walk is native.walk and engine._native_layout is native.layout
    assert type(torchlike.Tensor.__dict__["_set_result"]).__name__ == "method_descriptor"


def test_both_paths_leave_the_same_state():
    script = os.path.join("tests", "autograd", "native_scenarios.py")
    on, off = _run([script]), _run([script], OFF)
    assert on.returncode == 0, on.stderr[-3000:]
    assert off.returncode == 0, off.stderr[-3000:]
    assert on.stdout.splitlines() == off.stdout.splitlines()
    # the transcript covers what the C path handles and what it hands back
    for label in ("segment before backward: 8 ops", "raises RuntimeError a leaf Variable", "which is output 0 of Exp",
                  "numpy shared", "retained and hooked", "several outputs", "create_graph", "Adam",
                  "graphs, at the call", "max at the call"):
        assert label in on.stdout


def test_python_path_passes_the_autograd_and_optimizer_suites():
    out = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/autograd/test_semantics.py",
                "tests/autograd/test_deferred.py", "tests/optim"], OFF)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_switched_off_by_environment():
    out = _run(["-c", "import torchlike; from torchlike.autograd import record; "
                      "print(record.apply is record.python_apply)"], OFF)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
