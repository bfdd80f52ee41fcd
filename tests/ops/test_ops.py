"""Every registered op against PyTorch and jax.vjp through one harness (see harness.py)."""
import pathlib

import pytest

from oracle import oracle
from torchlike._ops.registry import REGISTRY

import harness
from samples import ROWS


def _fn_module(spec):
    """The module that declares the op (kw-only implementations are wrapped by the registry)."""
    fn = spec.fn
    if fn.__module__ == "torchlike._ops.registry" and fn.__closure__:
        for cell in fn.__closure__:
            if callable(cell.cell_contents) and hasattr(cell.cell_contents, "__module__"):
                return cell.cell_contents.__module__
    return fn.__module__


_NN_TESTS = pathlib.Path(__file__).parents[1] / "nn" / "test_functional.py"


def _has_own_tests(module):
    """nn ops (torchlike/_ops/nn_*.py, and torchlike.nn's internal module-hook op) are owned
    elsewhere and ship their own table of tests (tests/nn/test_functional.py); they are left out
    of this completeness check only while that test module exists."""
    return module.startswith(("torchlike._ops.nn_", "torchlike.nn.")) and _NN_TESTS.exists()


def test_every_registered_op_has_a_sample():
    covered = {name for s in ROWS for name in s.covers}
    missing = [name for name, spec in REGISTRY.items() if name not in covered
               and not _has_own_tests(_fn_module(spec))]
    assert not missing, f"registered ops without a sample row in tests/ops/samples.py: {missing}"


@pytest.mark.parametrize("sample", ROWS, ids=[s.id for s in ROWS])
def test_op(sample):
    torch = oracle()
    harness.check(sample, torch)
