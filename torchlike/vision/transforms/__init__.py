"""torchvision.transforms, minimal: the functional pieces and the preset that pretrained weights use."""
from . import functional as functional
from .functional import InterpolationMode as InterpolationMode
from ._presets import ImageClassification as ImageClassification
