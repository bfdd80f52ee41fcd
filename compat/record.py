"""Records what real PyTorch prints for each compat script: ``compat/expected/<name>.txt``
(stdout) and ``<name>.json`` (exit status, exception line, warnings, whether the script is
random). Run with the oracle's Python: ``/tmp/venv/bin/python compat/record.py [NAME...]``.

Scripts run verbatim: no ``torch.manual_seed`` is injected (PyTorch's default seed makes its
own runs repeatable; torchlike's RNG differs, hence the structural comparison, see
common.py). Scripts that load the pretrained resnet18 need torchvision and the checkpoint
``$TORCH_HOME/hub/checkpoints/resnet18-f37072fd.pth``; without them they are skipped here.
"""
import json
import subprocess
import sys

import common


def _torch_version():
    return subprocess.run([common.TORCH_PYTHON, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _has_torchvision():
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torchvision') is None)"
    return subprocess.run([common.TORCH_PYTHON, "-c", probe]).returncode == 0


def main(names):
    common.EXPECTED.mkdir(exist_ok=True)
    version, vision = _torch_version(), _has_torchvision()
    for script in common.scripts():
        name = script.stem
        if names and name not in names:
            continue
        if common.needs_checkpoint(script) and not vision:
            print(f"skip   {name}: needs torchvision and its resnet18 checkpoint (torchvision is not installed)")
            continue
        got = common.run([common.TORCH_PYTHON], script)
        (common.EXPECTED / f"{name}.txt").write_text(got["stdout"])
        meta = {"torch": version, "returncode": got["returncode"], "error": got["error"],
                "warnings": got["warnings"], "random": common.is_random(script)}
        (common.EXPECTED / f"{name}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
        print(f"record {name}: exit {got['returncode']}" + (" (random)" if meta["random"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(set(sys.argv[1:])))
