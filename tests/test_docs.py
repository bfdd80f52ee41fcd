"""docs/ops.md is generated from the registry; it must list every op as declared now."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_op_docs_are_generated_from_the_current_registry():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_op_docs.py"), "--check"], cwd=ROOT)
    assert proc.returncode == 0, "docs/ops.md is stale: run python tools/gen_op_docs.py"
