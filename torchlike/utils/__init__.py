"""``torch.utils``: ``data`` is imported on first use, so ``import torchlike`` stays light."""
import importlib


def __getattr__(name):
    if name == "data":
        return importlib.import_module(".data", __name__)
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
