"""torchvision.models: ResNets and their pretrained weights."""
from ._api import (Weights as Weights, WeightsEnum as WeightsEnum, get_model as get_model,
                   get_model_builder as get_model_builder, get_model_weights as get_model_weights,
                   get_weight as get_weight, list_models as list_models)
from .resnet import *  # noqa: F401,F403
from .resnet import __all__ as _resnet_all
from . import resnet as resnet
