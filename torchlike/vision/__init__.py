"""torchvision for torchlike: ``models`` (ResNets, torchvision's names, shapes and weights files) and
the ``transforms`` those weights come with. Checkpoints are cached where PyTorch caches them."""
from . import models as models
from . import transforms as transforms
