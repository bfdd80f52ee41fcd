"""torch.nn: modules, parameters, functional and init."""
from . import functional as functional
from . import functional as F  # noqa: F401  (modules call F.*)
from . import init as init
from . import utils as utils
from .parameter import (Parameter as Parameter, UninitializedParameter as UninitializedParameter,
                        Buffer as Buffer, UninitializedBuffer as UninitializedBuffer)
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from . import parallel as parallel
from .parallel import DataParallel as DataParallel
