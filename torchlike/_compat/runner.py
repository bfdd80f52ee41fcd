"""``torchlike run SCRIPT``: runs an unmodified PyTorch script with torchlike serving ``torch``.

Everything is process-local: a finder at the front of ``sys.meta_path`` and proxies in
``sys.modules``; nothing is installed, and a real PyTorch beside torchlike is never imported.
``serve_torch()`` undoes it all on exit, so tests can use it in-process too.
"""
import contextlib
import os
import runpy
import sys

from . import names as _names
from . import proxy

_SERVED_ROOTS = tuple(proxy.PREFIXES)


def _is_served(modname):
    return modname.split(".", 1)[0] in _SERVED_ROOTS


def _tensor_getattr(self, name):
    """Tensor attribute misses under ``torchlike run``: a torch.Tensor API torchlike lacks is
    named as such; anything else is PyTorch's own AttributeError."""
    if not (name.startswith("__") and name.endswith("__")):
        known = _names.names_of("torch.Tensor")
        if known is not None and name in known:
            raise proxy.missing(f"torch.Tensor.{name}")
    raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


@contextlib.contextmanager
def serve_torch():
    """While active, ``import torch`` / ``torchvision`` give torchlike-backed proxies."""
    from .._tensor import Tensor
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if _is_served(k)}
    finder = proxy.TorchFinder()
    sys.meta_path.insert(0, finder)
    hooked = "__getattr__" not in Tensor.__dict__
    if hooked:
        Tensor.__getattr__ = _tensor_getattr
    try:
        yield finder
    finally:
        if hooked:
            del Tensor.__getattr__
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if _is_served(k)]:
            del sys.modules[k]
        sys.modules.update(saved)


def format_report(touched=None):
    touched = proxy.touched if touched is None else touched
    if not touched:
        return "torchlike run --report: the script touched no torch API that torchlike lacks.\n"
    lines = [f"torchlike run --report: {len(touched)} torch name(s) the script touched are not provided "
             "by torchlike yet:"]
    for name in sorted(touched):
        lines.append(f"  {name}" + ("  (module)" if touched[name] == "module" else ""))
    return "\n".join(lines) + "\n"


def run_script(path, args=(), report=False):
    """Runs ``path`` as ``python path args...`` would, with torch served by torchlike.

    ``sys.argv``, ``sys.path[0]`` (the script's directory) and ``__name__ == "__main__"`` are
    set as Python sets them; SystemExit propagates so exit codes are preserved. With ``report``
    the names torchlike lacks are written to stderr when the script ends, however it ends."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"can't open file {os.path.abspath(path)!r}: [Errno 2] No such file or directory")
    old_argv, old_path0 = sys.argv, sys.path[0] if sys.path else None
    sys.argv = [path, *args]
    script_dir = os.path.dirname(os.path.abspath(path))
    if sys.path:
        sys.path[0] = script_dir
    else:
        sys.path.append(script_dir)
    proxy.touched.clear()
    try:
        with serve_torch():
            runpy.run_path(path, run_name="__main__")
    finally:
        sys.argv = old_argv
        if old_path0 is not None:
            sys.path[0] = old_path0
        if report:
            sys.stdout.flush()
            sys.stderr.write(format_report())
