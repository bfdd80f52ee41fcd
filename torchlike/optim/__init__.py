"""torch.optim: optimizers whose per-group update is one compiled JAX call, and lr schedulers."""
from . import lr_scheduler as lr_scheduler
from .adagrad import Adagrad as Adagrad
from .adam import Adam as Adam
from .adamw import AdamW as AdamW
from .optimizer import Optimizer as Optimizer
from .rmsprop import RMSprop as RMSprop
from .sgd import SGD as SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]

_NOT_PROVIDED = ("Adadelta", "Adafactor", "Adamax", "ASGD", "LBFGS", "Muon", "NAdam", "RAdam", "Rprop", "SparseAdam",
                 "swa_utils")


def __getattr__(name):
    if name in _NOT_PROVIDED:
        raise NotImplementedError(f"torch.optim.{name} is not implemented in torchlike; available: "
                                  f"{', '.join(__all__[:-1])}.")
    raise AttributeError(f"module 'torch.optim' has no attribute '{name}'")
