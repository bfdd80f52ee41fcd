"""Runs every compat script under ``torchlike run``, compares with what real PyTorch printed
(compat/expected, made by record.py) and writes compat/REPORT.md.

    python compat/run.py [--jobs N] [--report PATH | --no-report] [NAME...]

Exit status 0 when every recorded script passes. The comparison rule is in common.py. Every
script gets a temporary TORCH_HOME holding the stand-in resnet18 checkpoint (compat/checkpoint.py)
and a JAX compilation cache shared by the run's scripts.
"""
import argparse
import ast
import concurrent.futures
import importlib
import importlib.util
import pathlib
import sys

import common

sys.path.insert(0, str(common.REPO))
SLOWEST = "resnet_training_step"
TABLED = ("torch", "torch.nn", "torch.nn.functional", "torch.optim")
# torchvision has no generated name table (it is not installed beside the oracle): every public
# name a file takes from these modules is a row.
UNTABLED = ("torchvision.models",)
# Tensor attributes whose value is not a Tensor: ``y.grad_fn.name()`` calls Node.name, not the
# (undocumented) ``Tensor.name``, so the attribute after one of these is no Tensor use.
NOT_TENSOR_VALUED = frozenset({"grad_fn", "shape", "dtype", "device", "layout"})


def run_one(script, home, extra_env):
    expected = common.load_expected(script.stem)
    if expected is None:
        why = ("needs real torchvision to record (compat/record.py under TORCHLIKE_VISION_PYTHON); not recorded"
               if common.needs_checkpoint(script) else "not recorded")
        return script.stem, "skipped", why
    structural = expected.get("random", False)
    got = common.run(common.torchlike_cmd(), script, home, extra_env)
    diff = common.compare(expected, got, structural)
    kind = "random: compared structurally" if structural else "exact"
    if "torchvision" in expected:
        kind += f"; recorded under torch {expected['torch']}, torchvision {expected['torchvision']}"
    return script.stem, ("pass" if diff is None else "FAIL"), kind if diff is None else f"{kind}; {diff}"


def _compile_cache(home):
    """JAX's persistent compilation cache, shared by the scripts of one run (and dropped with it):
    the resnet scripts each build resnet18 and most scripts compile the same small ops, so each
    is compiled once per run instead of once per script. Only with ``filelock``, which makes
    JAX lock entries that parallel scripts read and write."""
    if importlib.util.find_spec("filelock") is None:
        return {}
    return {"JAX_COMPILATION_CACHE_DIR": str(pathlib.Path(home) / "jax_cache"),
            "JAX_COMPILATION_CACHE_MAX_SIZE": str(2 ** 30),  # enables the file lock
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def run_all(todo, jobs):
    """Results in name order. Runs with a temporary TORCH_HOME holding the stand-in checkpoint,
    written with ``torchlike.save`` by compat/checkpoint.py (so no torch or torchvision is needed
    here). The slowest script (SLOWEST, a resnet18 training step) starts first; the other resnet
    scripts go last, when the model-building ops it compiled are in the shared cache."""
    loads = [s for s in todo if common.needs_checkpoint(s) and common.load_expected(s.stem) is not None]
    writer = (sys.executable, "torchlike") if loads else ()
    order = sorted(todo, key=lambda s: (s.stem != SLOWEST, s in loads, s.name))
    with common.torch_home(*writer) as home, concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        extra_env = _compile_cache(home)
        results = list(pool.map(lambda s: run_one(s, home, extra_env), order))
    return sorted(results)


# -- API coverage ------------------------------------------------------------------------------------
def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return list(reversed(parts))
    return None


def _as_torch(module):
    """examples/ import torchlike under torch's names: ``torchlike.nn`` counts as ``torch.nn``."""
    if module == "torchlike.vision" or module.startswith("torchlike.vision."):
        return "torchvision" + module[len("torchlike.vision"):]
    if module == "torchlike" or module.startswith("torchlike."):
        return "torch" + module[len("torchlike"):]
    return module


def scan(path):
    """(torch module, name) pairs and Tensor attribute names a file uses, by static analysis:
    module aliases come from its import statements; any other ``obj.attr`` whose attr is a
    ``torch.Tensor`` attribute counts as a Tensor use, unless ``obj`` is itself ``x.grad_fn``,
    ``x.shape`` or another attribute in NOT_TENSOR_VALUED."""
    from torchlike._compat import names
    tree = ast.parse(pathlib.Path(path).read_text())
    aliases, used, tensor = {}, set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = _as_torch(a.name)
                else:
                    aliases[a.name.split(".")[0]] = _as_torch(a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = _as_torch(node.module)
            for a in node.names:
                full = f"{module}.{a.name}"
                if names.is_torch_module(full):
                    aliases[a.asname or a.name] = full
                elif _tabled(module, a.name):
                    used.add((module, a.name))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain = _dotted(node)
        if chain is not None and chain[0] in aliases:
            full = ".".join([aliases[chain[0]], *chain[1:]])
            mod, _, name = full.rpartition(".")
            if not names.is_torch_module(full) and _tabled(mod, name):
                used.add((mod, name))
        elif chain is None or chain[0] not in aliases:
            receiver = node.value.attr if isinstance(node.value, ast.Attribute) else None
            if node.attr in (names.names_of("torch.Tensor") or ()) and receiver not in NOT_TENSOR_VALUED:
                tensor.add(node.attr)
    return used, tensor


def _tabled(module, name):
    from torchlike._compat import names
    if module in UNTABLED:
        return not name.startswith("_")
    return module in TABLED and name in (names.names_of(module) or ())


def supported(module, name):
    from torchlike._compat.proxy import torchlike_name
    if module == "torch.Tensor":
        from torchlike import Tensor
        return hasattr(Tensor, name)
    try:
        real = importlib.import_module(torchlike_name(module))
    except ImportError:  # not there yet, or (while it is being written) failing to import
        return False
    return hasattr(real, name)


def coverage():
    files = common.scripts() + sorted((common.REPO / "examples").glob("*.py"))
    where = {}
    for f in files:
        used, tensor = scan(f)
        for key in used | {("torch.Tensor", t) for t in tensor}:
            where.setdefault(key, []).append(f.relative_to(common.REPO).as_posix())
    order = {m: i for i, m in enumerate(TABLED + UNTABLED + ("torch.Tensor",))}
    return [(m, n, supported(m, n), files) for (m, n), files in
            sorted(where.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]


# -- report --------------------------------------------------------------------------------------------
def write_report(path, results, cov):
    lines = ["# compat report", "",
             "Generated by `python compat/run.py`: do not edit. Each script in `compat/scripts/` is run under "
             "`torchlike run` and compared with the output real PyTorch printed (`compat/expected/`, "
             "made by `compat/record.py`).", "",
             "Comparison rule: stdout line by line with object addresses (`0x...`) masked, the exit status, "
             "the exception line of a failing script, and the warnings printed. Scripts that print random "
             "numbers (torchlike's RNG is not PyTorch's) are *compared structurally*: numbers with a decimal "
             "point or exponent are masked and spacing and line breaks are ignored (where a tensor's repr "
             "wraps depends on its numbers' widths), so all other text -- shapes, dtypes, integers, "
             "grad_fn names, flags -- must still match.", "",
             "`mlp_y1_grad` and `mlp_y2_grad` are the tutorial's blocks as written: real PyTorch raises "
             "\"Trying to backward through the graph a second time\" there, and so must torchlike. "
             "`mlp_grads_retain_graph` is the one adapted script (`l.backward(retain_graph=True)`). "
             "The resnet18 scripts (`resnet_setup`, `resnet_training_step`, `finetune_freeze`) load "
             "`resnet18(weights=ResNet18_Weights.DEFAULT)` from `$TORCH_HOME/hub/checkpoints/resnet18-f37072fd.pth`. "
             "The ImageNet weights cannot be downloaded here, so both sides get a temporary `TORCH_HOME` holding a "
             "stand-in with torchvision's names, shapes and initialisation and the same seeded values "
             "(`compat/checkpoint.py`): written by real `torch.save` when recording under real torchvision "
             "(torchvision needs a newer torch than the oracle's, hence the versions shown), by `torchlike.save` "
             "when running, so the test needs neither torch nor torchvision. They print nothing: what is compared "
             "is that the weights load, the forward, backward and optimizer step run, and no warning or error "
             "appears. The scripts of one run share a temporary JAX persistent compilation cache (compile time "
             "only: resnet18's ops are compiled once, not once per script).", "",
             "| script | result | details |", "| --- | --- | --- |"]
    for name, status, detail in results:
        detail = detail.replace("|", "\\|")
        lines.append(f"| `{name}` | {status} | {detail} |")
    n_ok = sum(1 for c in cov if c[2])
    lines += ["", f"## API coverage ({n_ok} of {len(cov)} names supported)", "",
              "Names of `torch`, `torch.nn`, `torch.nn.functional`, `torch.optim`, `torchvision.models` and "
              "`torch.Tensor` used by `compat/scripts/` and `examples/` (static scan with `ast`: module names "
              "through the files' own imports; `obj.attr` counts as a Tensor use when `attr` is a `torch.Tensor` "
              "attribute and `obj` is not a non-Tensor attribute such as `x.grad_fn`: `y.grad_fn.name()` is "
              "`Node.name`, which torchlike has, not the undocumented `Tensor.name`).", "",
              "| name | supported | used in |", "| --- | --- | --- |"]
    for module, name, ok, files in cov:
        shown = ", ".join(f"`{f}`" for f in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        lines.append(f"| `{module}.{name}` | {'yes' if ok else '**no**'} | {shown} |")
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("names", nargs="*")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--report", default=str(common.ROOT / "REPORT.md"))
    p.add_argument("--no-report", action="store_true")
    args = p.parse_args(argv)
    todo = [s for s in common.scripts() if not args.names or s.stem in args.names]
    results = run_all(todo, args.jobs)
    for name, status, detail in results:
        print(f"{status:7} {name}: {detail}")
    if not args.no_report:
        write_report(args.report, results, coverage())
        print(f"wrote {args.report}")
    return 0 if all(r[1] != "FAIL" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
