"""torchvision.models.resnet over torchlike.nn: the same module tree, parameter names, shapes,
default initialisation and reprs, so a torchvision checkpoint loads with ``load_state_dict`` as it is.

Initial values come from torchlike's random stream, so a freshly built model differs from
torchvision's in values (not in distributions).
"""
from functools import partial

from ... import _ops
from ... import nn
from ..transforms._presets import ImageClassification
from ._api import Weights, WeightsEnum, _handle_legacy_interface, _ovewrite_named_param, register_model
from ._meta import _IMAGENET_CATEGORIES

__all__ = ["ResNet", "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
           "ResNet152_Weights", "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
           "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2",
           "wide_resnet101_2"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # conv1 and downsample both stride when stride != 1.
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """ResNet V1.5, as torchvision: the stride sits on the 3x3 convolution (conv2), not on conv1."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # One flag per stage 2-4: replace that stage's stride 2 by a dilated convolution.
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        # Each residual branch starts at zero, so every block starts as the identity
        # (https://arxiv.org/abs/1706.02677).
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = self.avgpool(x)
        x = _ops.flatten(x, 1)
        return self.fc(x)

    def forward(self, x):
        return self._forward_impl(x)


def _resnet(block, layers, weights, progress, **kwargs):
    state_dict = None
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
        # Fetched before the model is built (torchvision builds first), so a missing file fails fast.
        state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    model = ResNet(block, layers, **kwargs)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model


# -- pretrained weights: torchvision's addresses (the file name carries the sha256 prefix) and metadata --
_COMMON_META = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}
_V1_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_RESNEXT_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnext"
_WIDE_RECIPE = "https://github.com/pytorch/vision/pull/912#issue-445437439"
_V1_DOCS = """These weights reproduce closely the results of the paper using a simple training recipe."""
_V2_DOCS = """
                These weights improve upon the results of the original paper by using TorchVision's `new training recipe
                <https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.
            """
_SCRATCH_DOCS = """
                These weights were trained from scratch by using TorchVision's `new training recipe
                <https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/>`_.
            """


def _w(file, num_params, acc1, acc5, ops, file_size, recipe=_V1_RECIPE, docs=_V1_DOCS, resize_size=None):
    transforms = (partial(ImageClassification, crop_size=224) if resize_size is None
                  else partial(ImageClassification, crop_size=224, resize_size=resize_size))
    return Weights(url=f"https://download.pytorch.org/models/{file}", transforms=transforms,
                   meta={**_COMMON_META, "num_params": num_params, "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": file_size, "_docs": docs})


_V2 = dict(docs=_V2_DOCS, resize_size=232)


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet18-f37072fd.pth", 11689512, 69.758, 89.078, 1.814, 44.661)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet34-b627a593.pth", 21797672, 73.314, 91.420, 3.664, 83.275)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet50-0676ba61.pth", 25557032, 76.130, 92.862, 4.089, 97.781)
    IMAGENET1K_V2 = _w("resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434, 4.089, 97.79,
                       recipe="https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621", **_V2)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet101-63fe2227.pth", 44549160, 77.374, 93.546, 7.801, 170.511)
    IMAGENET1K_V2 = _w("resnet101-cd907fc2.pth", 44549160, 81.886, 95.780, 7.801, 170.53,
                       recipe="https://github.com/pytorch/vision/issues/3995#new-recipe", **_V2)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnet152-394f9c45.pth", 60192808, 78.312, 94.046, 11.514, 230.434)
    IMAGENET1K_V2 = _w("resnet152-f82ba261.pth", 60192808, 82.284, 96.002, 11.514, 230.474,
                       recipe="https://github.com/pytorch/vision/issues/3995#new-recipe", **_V2)
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698, 4.23, 95.789,
                       recipe=_RESNEXT_RECIPE)
    IMAGENET1K_V2 = _w("resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.340, 4.23, 95.833,
                       recipe="https://github.com/pytorch/vision/issues/3995#new-recipe", **_V2)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnext101_32x8d-8ba56ff5.pth", 88791336, 79.312, 94.526, 16.414, 339.586,
                       recipe=_RESNEXT_RECIPE)
    IMAGENET1K_V2 = _w("resnext101_32x8d-110c445d.pth", 88791336, 82.834, 96.228, 16.414, 339.673,
                       recipe="https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres", **_V2)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("resnext101_64x4d-173b62eb.pth", 83455272, 83.246, 96.454, 15.46, 319.318,
                       recipe="https://github.com/pytorch/vision/pull/5935", docs=_SCRATCH_DOCS, resize_size=232)
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086, 11.398, 131.82, recipe=_WIDE_RECIPE)
    IMAGENET1K_V2 = _w("wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758, 11.398, 263.124,
                       recipe="https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres", **_V2)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _w("wide_resnet101_2-32ee1156.pth", 126886696, 78.848, 94.284, 22.753, 242.896,
                       recipe=_WIDE_RECIPE)
    IMAGENET1K_V2 = _w("wide_resnet101_2-d733dc28.pth", 126886696, 82.510, 96.020, 22.753, 484.747,
                       recipe="https://github.com/pytorch/vision/issues/3995#new-recipe", **_V2)
    DEFAULT = IMAGENET1K_V2


# -- builders: keyword-only weights/progress, torchvision's legacy ``pretrained=`` still accepted --
def _builder(weights_enum, block, layers, groups=None, width_per_group=None):
    def build(*, weights=None, progress=True, **kwargs):
        weights = weights_enum.verify(weights)
        if groups is not None:
            _ovewrite_named_param(kwargs, "groups", groups)
        if width_per_group is not None:
            _ovewrite_named_param(kwargs, "width_per_group", width_per_group)
        return _resnet(block, layers, weights, progress, **kwargs)
    return build


def _define(name, weights_enum, *args, **kwargs):
    build = _builder(weights_enum, *args, **kwargs)
    build.__name__ = build.__qualname__ = name
    build.__module__ = __name__
    build.__annotations__ = {"weights": weights_enum}
    build.__doc__ = (f"{name} as torchvision.models.{name}: ``weights`` (a :class:`{weights_enum.__name__}`, its "
                     "name as a string, or None for random initialisation), ``progress`` (a download progress bar "
                     "on stderr) and ``**kwargs`` for :class:`ResNet`.")
    return register_model()(_handle_legacy_interface(weights_enum.IMAGENET1K_V1)(build))


resnet18 = _define("resnet18", ResNet18_Weights, BasicBlock, [2, 2, 2, 2])
resnet34 = _define("resnet34", ResNet34_Weights, BasicBlock, [3, 4, 6, 3])
resnet50 = _define("resnet50", ResNet50_Weights, Bottleneck, [3, 4, 6, 3])
resnet101 = _define("resnet101", ResNet101_Weights, Bottleneck, [3, 4, 23, 3])
resnet152 = _define("resnet152", ResNet152_Weights, Bottleneck, [3, 8, 36, 3])
resnext50_32x4d = _define("resnext50_32x4d", ResNeXt50_32X4D_Weights, Bottleneck, [3, 4, 6, 3], 32, 4)
resnext101_32x8d = _define("resnext101_32x8d", ResNeXt101_32X8D_Weights, Bottleneck, [3, 4, 23, 3], 32, 8)
resnext101_64x4d = _define("resnext101_64x4d", ResNeXt101_64X4D_Weights, Bottleneck, [3, 4, 23, 3], 64, 4)
wide_resnet50_2 = _define("wide_resnet50_2", Wide_ResNet50_2_Weights, Bottleneck, [3, 4, 6, 3], None, 128)
wide_resnet101_2 = _define("wide_resnet101_2", Wide_ResNet101_2_Weights, Bottleneck, [3, 4, 23, 3], None, 128)
