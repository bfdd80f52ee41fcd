"""Records what real PyTorch prints for each compat script: ``compat/expected/<name>.txt``
(stdout) and ``<name>.json`` (exit status, exception line, warnings, whether the script is
random, the versions that recorded it). Run with the oracle's Python:
``/tmp/venv/bin/python compat/record.py [NAME...]``.

Scripts run verbatim: no ``torch.manual_seed`` is injected. PyTorch seeds its generator
afresh in every process, so a random script prints other numbers on every recording (and
torchlike's RNG is not PyTorch's anyway): such scripts are compared structurally, see common.py. Scripts that load the pretrained resnet18 run under ``common.VISION_PYTHON`` (real
torchvision; set ``TORCHLIKE_VISION_PYTHON``) with a temporary ``TORCH_HOME`` whose hub cache
holds a stand-in checkpoint that real ``torch.save`` wrote (compat/checkpoint.py: torchvision's
names and shapes, seeded values; the real ImageNet weights cannot be downloaded here). Without
that Python they are skipped.
"""
import json
import os
import subprocess
import sys

import common

VERSIONS = ("import importlib, json; print(json.dumps({m: importlib.import_module(m).__version__ "
            "for m in ('torch', 'torchvision') if importlib.util.find_spec(m)}))")


def _versions(python):
    """{'torch': ..., 'torchvision': ...} of ``python`` (torchvision only where installed);
    None when that Python or its torch is missing."""
    if not os.path.exists(python):
        return None
    proc = subprocess.run([python, "-c", "import importlib.util; " + VERSIONS], capture_output=True, text=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def _record(python, home, versions, script):
    name = script.stem
    got = common.run([python], script, home)
    (common.EXPECTED / f"{name}.txt").write_text(got["stdout"])
    meta = {**versions, "returncode": got["returncode"], "error": got["error"], "warnings": got["warnings"],
            "random": common.is_random(script)}
    (common.EXPECTED / f"{name}.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    print(f"record {name}: exit {got['returncode']}" + (" (random)" if meta["random"] else ""))


def main(names):
    common.EXPECTED.mkdir(exist_ok=True)
    todo = [s for s in common.scripts() if not names or s.stem in names]
    plain = [s for s in todo if not common.needs_checkpoint(s)]
    vision = [s for s in todo if common.needs_checkpoint(s)]
    if plain:
        versions = _versions(common.TORCH_PYTHON)
        if versions is None:
            print(f"error: no torch at {common.TORCH_PYTHON} (set TORCHLIKE_ORACLE_PYTHON)")
            return 1
        with common.torch_home() as home:
            versions = {"torch": versions["torch"]}
            for script in plain:
                _record(common.TORCH_PYTHON, home, versions, script)
    if vision:
        versions = _versions(common.VISION_PYTHON)
        if versions is None or "torchvision" not in versions:
            for script in vision:
                print(f"skip   {script.stem}: needs real torchvision ({common.VISION_PYTHON} has none; "
                      "set TORCHLIKE_VISION_PYTHON)")
            return 0
        with common.torch_home(common.VISION_PYTHON, "torch") as home:
            for script in vision:
                _record(common.VISION_PYTHON, home, versions, script)
    return 0


if __name__ == "__main__":
    sys.exit(main(set(sys.argv[1:])))
