"""torchvision.transforms.functional, for torchlike Tensors (..., C, H, W): the few functions the
weights' preset transforms use. PIL images are not supported.

``resize`` with bilinear antialiasing is PyTorch's separable triangle filter (the one behind
``interpolate(..., antialias=True)``), written as two small matrix products, so it is
differentiable through the usual ops.
"""
import numbers
from enum import Enum
from functools import lru_cache

import numpy as np

from ... import _dtype
from ... import _ops
from ..._tensor import Tensor
from ...nn import functional as F

__all__ = ["InterpolationMode", "resize", "center_crop", "crop", "convert_image_dtype", "normalize",
           "get_dimensions"]


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_NO_PIL = ("torchlike.vision.transforms works on torchlike Tensors (..., C, H, W) only; convert a PIL image "
           "first, e.g. torchlike.from_numpy(numpy.asarray(img)).permute(2, 0, 1).")


def _assert_image_tensor(img):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}. " + _NO_PIL)
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    height, width = img.shape[-2:]
    return [channels, height, width]


def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:  # the smaller edge
        requested_new_short = size[0]
        new_short, new_long = requested_new_short, int(requested_new_short * long / short)
        if max_size is not None:
            if max_size <= requested_new_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                                 f"size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


@lru_cache(maxsize=64)
def _aa_bilinear_matrix(in_size, out_size):
    """(out_size, in_size) weights of PyTorch's antialiased bilinear resampling along one axis
    (align_corners=False): a triangle filter widened by the scale when shrinking, each row
    normalised to sum to one."""
    scale = in_size / out_size
    support = scale if scale >= 1.0 else 1.0
    invscale = 1.0 / scale if scale >= 1.0 else 1.0
    m = np.zeros((out_size, in_size), np.float64)
    for i in range(out_size):
        center = scale * (i + 0.5)
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size)
        j = np.arange(xmin, xmax)
        w = np.maximum(0.0, 1.0 - np.abs((j - center + 0.5) * invscale))
        total = w.sum()
        m[i, xmin:xmax] = w / total if total != 0 else w
    return m


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    if isinstance(size, (list, tuple)):
        if len(size) not in [1, 2]:
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    _, image_height, image_width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((image_height, image_width), list(size), max_size)
    if [image_height, image_width] == output_size:
        return img
    mode = interpolation.value
    if mode not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode {mode} is unsupported with Tensor input")
    if antialias is None or mode not in ("bilinear", "bicubic"):
        antialias = False
    # As torchvision: compute in float32 (float64 stays), round back to an integer input dtype.
    out_dtype = img.dtype
    x = img if out_dtype in (_dtype.float32, _dtype.float64) else img.to(_dtype.float32)
    if mode == "bilinear" and antialias:
        mh = _ops.tensor(_aa_bilinear_matrix(image_height, output_size[0]), dtype=x.dtype)
        mw = _ops.tensor(_aa_bilinear_matrix(image_width, output_size[1]), dtype=x.dtype)
        x = _ops.matmul(_ops.matmul(mh, x), mw.t())
    elif antialias:
        raise NotImplementedError("torchvision.transforms.functional.resize(interpolation=BICUBIC, antialias=True) "
                                  "is not supported by torchlike; use InterpolationMode.BILINEAR.")
    else:
        squeeze = x.ndim < 4
        x4 = x.unsqueeze(0) if squeeze else x
        x4 = x4.reshape(-1, *x4.shape[-3:])
        align = False if mode in ("bilinear", "bicubic") else None
        x4 = F.interpolate(x4, size=output_size, mode=mode, align_corners=align)
        x = x4.reshape(*x.shape[:-2], *output_size)
    if out_dtype != x.dtype:
        if not out_dtype.is_floating_point:
            x = _ops.round(x)
        x = x.to(out_dtype)
    return x


def crop(img, top, left, height, width):
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        inner = img[..., max(top, 0):bottom, max(left, 0):right]
        return F.pad(inner, [padding_ltrb[0], padding_ltrb[2], padding_ltrb[1], padding_ltrb[3]], value=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = F.pad(img, [padding_ltrb[0], padding_ltrb[2], padding_ltrb[1], padding_ltrb[3]], value=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def _max_value(dtype):
    if dtype == _dtype.bool:
        return 1
    return int(np.iinfo(dtype.np).max)


def convert_image_dtype(image, dtype=_dtype.float32):
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == _dtype.float32 and dtype in (_dtype.int32, _dtype.int64)) or (
                image.dtype == _dtype.float64 and dtype == _dtype.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
        # max + 1 - eps maps [0, 1] evenly onto the integers (only 1.0 becomes the maximum).
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    input_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = float(_max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return _ops.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return image.to(dtype) * factor


def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean = _ops.as_tensor(mean, dtype=tensor.dtype)
    std = _ops.as_tensor(std, dtype=tensor.dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)
