"""Running unmodified PyTorch scripts on torchlike (``torchlike run``): module proxies for
``torch``/``torchvision``, the runner, and real PyTorch's name tables."""
from .proxy import MissingTorchAPI as MissingTorchAPI, MissingTorchImport as MissingTorchImport
from .runner import run_script as run_script, serve_torch as serve_torch, format_report as format_report
