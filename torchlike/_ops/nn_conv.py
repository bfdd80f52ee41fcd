"""Linear maps and convolutions: ``linear``, ``bilinear``, ``convolution`` and its 1-D/2-D
(transposed) forms.

``linear`` is composed from ``addmm``/``mm`` and views exactly as PyTorch composes it, so the
recorded graph is PyTorch's (``AddmmBackward0`` over ``TBackward0`` for a 2-D input).
Convolutions keep PyTorch's NCHW/OIHW layout at the API and are one op
(``ConvolutionBackward0``): a ``jax.lax.conv_general_dilated``, which on the CPU runs
channels-last, or, on the CPU for small outputs where XLA's convolution emitter is slow, a
matrix product of the input's patches (``patches_nhwc``).
"""
import jax
import jax.numpy as jnp

from .._dtype import _BY_NP
from .._storage import _meta
from ..autograd.record import apply
from ..backends import cudnn
from .registry import op, REGISTRY
from . import linalg as _linalg


def _legacy(np_dtype):
    from .._tensor import _legacy_name
    return _legacy_name(_BY_NP[np_dtype])


# -- linear ----------------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_name(input)} != "
                           f"{_c_name(weight)}")
    if weight.dim() == 2 and input.dim() >= 1 and input.shape[-1] != weight.shape[1]:
        rows = input.numel() // input.shape[-1] if input.dim() > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    wt = weight.t()
    if input.dim() == 2 and bias is not None:
        return _linalg.addmm(bias, input, wt)
    if bias is not None:
        flat = input.reshape(-1, input.shape[-1])
        out = _linalg.addmm(bias, flat, wt)
        return out.view(*input.shape[:-1], out.shape[-1])
    if input.dim() == 1:
        return apply(REGISTRY["_squeeze_"], (_linalg.mm(input.unsqueeze(0), wt),), (0,))
    if input.dim() == 2:
        return _linalg.mm(input, wt)
    flat = input.reshape(-1, input.shape[-1])
    out = _linalg.mm(flat, wt)
    return apply(REGISTRY["_unsafe_view"], (out,), (tuple(input.shape[:-1]) + (out.shape[-1],),))


def _c_name(t):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16"}.get(
        t.dtype.name, t.dtype.name)


@op("UnsafeViewBackward0", promote=None, saves=(), method=False, out=False)
def _unsafe_view(input, shape):
    return input.reshape(shape)


@op("SqueezeBackward4", promote=None, saves=(), method=False, out=False)
def _squeeze_(input, dim):
    """PyTorch squeezes the product in place (``squeeze_``), hence this grad_fn name."""
    return jnp.squeeze(input, dim)


@op("TrilinearBackward0", nt=3, method=False, out=False)
def _bilinear_core(input1, input2, weight):
    return jnp.einsum("bi,oij,bj->bo", input1, weight, input2)


def bilinear(input1, input2, weight, bias=None):
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, input1.shape[-1])
    x2 = input2.reshape(-1, input2.shape[-1])
    out = apply(REGISTRY["_bilinear_core"], (x1, x2, weight), ())
    out = out.view(*lead, weight.shape[0])
    return out + bias if bias is not None else out


# -- convolution -----------------------------------------------------------------------------------
def _tuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v) if len(v) != 1 else (int(v[0]),) * n
    return (int(v),) * n


def _dims(n):
    sp = "DHW"[3 - n:]
    return ("NC" + sp, "OI" + sp, "NC" + sp)


def _channels_last():
    """XLA's CPU convolutions run faster channels-last (NHWC/HWIO) than NCHW (resnet18's step
    at batch 1: 1.2x), so on the CPU a 2-D convolution transposes in and out of that layout;
    users still see NCHW. GPUs and TPUs get NCHW and choose their own layout."""
    return jax.default_backend() == "cpu"


def _conv2d_channels_last(input, weight, stride, padding, dilation, groups, precision):
    out = jax.lax.conv_general_dilated(
        jnp.transpose(input, (0, 2, 3, 1)), jnp.transpose(weight, (2, 3, 1, 0)), window_strides=stride,
        padding=[(p, p) for p in padding], rhs_dilation=dilation,
        dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=groups, precision=precision)
    return jnp.transpose(out, (0, 3, 1, 2))


# XLA:CPU's convolution emitter is slow when the output is small (resnet18's 2x2 layer4 at a
# 64x64 input: 100 ms for one 512-channel 3x3 convolution at batch 8, and its filter gradient as
# slow); there a convolution is faster as one matrix product over the kernel's shifted windows
# (1.5 ms). The patches cost kh*kw times the input's memory, so only below this many output
# positions (batch x height x width), where measurements on this CPU favour it.
PATCH_ROWS = 4096


def _conv2d_patches(input, weight, stride, padding):
    out = patches_nhwc(jnp.transpose(input, (0, 2, 3, 1)), weight, stride, padding)
    return jnp.transpose(out, (0, 3, 1, 2))


def patches_nhwc(x, weight, stride, padding):
    """A stride/padding 2-D convolution of NHWC ``x`` with OIHW ``weight`` as one matrix
    product: the kernel's kh*kw shifted, strided windows of the padded input side by side
    (their VJP is a pad and a sum, cheap) times the weight as a (C_out, kh*kw*C_in) matrix.
    Transposing a large weight costs more than the product itself (5 ms for 512x512x3x3), so
    when the weight outweighs the patches the windows are interleaved to match OIHW and the
    weight is used as it is; otherwise the windows are laid side by side and the weight moved
    to (C_out, kh, kw, C_in). Pure JAX: the benchmarks' JAX reference uses it too."""
    cout, cin, kh, kw = weight.shape
    (sh, sw), (ph, pw) = stride, padding
    x = jnp.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    n, h, wd, _ = x.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    rows = n * oh * ow
    windows = [x[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw, :] for i in range(kh) for j in range(kw)]
    if cout >= 4 * rows:
        patches, w = jnp.stack(windows, axis=-1), weight
    else:
        patches = windows[0] if len(windows) == 1 else jnp.concatenate(windows, axis=-1)
        w = jnp.transpose(weight, (0, 2, 3, 1))
    k = cin * kh * kw
    out = jax.lax.dot_general(patches.reshape(rows, k), w.reshape(cout, k), (((1,), (1,)), ((), ())),
                              precision=jax.lax.Precision.HIGHEST)
    return out.reshape(n, oh, ow, cout)


def uses_patches(input_shape, weight_shape, stride, padding, dilation=(1, 1), groups=1):
    """Whether a 2-D convolution (NCHW input, OIHW weight shapes) runs as ``patches_nhwc``: on
    the CPU, without groups or dilation, up to ``PATCH_ROWS`` output positions."""
    n, _, h, w = input_shape
    kh, kw = weight_shape[2:]
    rows = n * ((h + 2 * padding[0] - kh) // stride[0] + 1) * ((w + 2 * padding[1] - kw) // stride[1] + 1)
    return _channels_last() and groups == 1 and tuple(dilation) == (1, 1) and rows <= PATCH_ROWS


@op("ConvolutionBackward0", nt=3, method=False, out=False, promote=None)
def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, allow_tf32):
    n = input.ndim - 2
    # PyTorch's cuDNN convolutions take TensorFloat-32 unless told not to; XLA's GPU default
    # does the same, and the global matmul precision (full float32) must not override it
    precision = jax.lax.Precision.DEFAULT if allow_tf32 else jax.lax.Precision.HIGHEST
    if not transposed and n == 2 and uses_patches(input.shape, weight.shape, stride, padding, dilation, groups):
        out = _conv2d_patches(input, weight, stride, padding)
    elif not transposed and n == 2 and _channels_last():
        out = _conv2d_channels_last(input, weight, stride, padding, dilation, groups, precision)
    elif not transposed:
        out = jax.lax.conv_general_dilated(
            input, weight, window_strides=stride, padding=[(p, p) for p in padding], rhs_dilation=dilation,
            dimension_numbers=_dims(n), feature_group_count=groups, precision=precision)
    else:
        # weight is (in, out/groups, *k): regroup to (out, in/groups, *k), flip the window, and run
        # the forward convolution of the input dilated by the stride.
        cin, cout_g, *k = weight.shape
        w = weight.reshape((groups, cin // groups, cout_g, *k))
        w = jnp.swapaxes(w, 1, 2).reshape((groups * cout_g, cin // groups, *k))
        w = jnp.flip(w, axis=tuple(range(2, 2 + n)))
        pads = [(d * (kk - 1) - p, d * (kk - 1) - p + op_) for kk, d, p, op_ in
                zip(k, dilation, padding, output_padding)]
        out = jax.lax.conv_general_dilated(
            input, w, window_strides=(1,) * n, padding=pads, lhs_dilation=stride, rhs_dilation=dilation,
            dimension_numbers=_dims(n), feature_group_count=groups, precision=precision)
    if bias is not None:
        out = out + bias.reshape((1, -1) + (1,) * n)
    return out


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    n = weight.dim() - 2
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    output_padding, padding = _tuple(output_padding, n), _tuple(padding, n)
    _check_conv(input, weight, bias, padding, dilation, transposed, groups, n)
    return apply(REGISTRY["_convolution"], (input, weight, bias),
                 (stride, padding, dilation, bool(transposed), output_padding, int(groups), bool(cudnn.allow_tf32)))


def _string_padding(padding, weight, stride, dilation, n):
    if padding == "valid":
        return (0,) * n
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for d, k in zip(dilation, weight.shape[2:])]
    if any(t % 2 for t in total):
        return tuple((t // 2, t - t // 2) for t in total)
    return tuple(t // 2 for t in total)


def _check_conv(input, weight, bias, padding, dilation, transposed, groups, n):
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(_meta(input).dtype)} but found "
                           f"{_legacy(_meta(weight).dtype)}")
    cin = input.shape[1]
    if not transposed:
        if cin != weight.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                               f"input{list(input.shape)} to have {weight.shape[1] * groups} channels, but "
                               f"got {cin} channels instead")
        padded = [s + 2 * p for s, p in zip(input.shape[2:], padding)]
        eff = [d * (k - 1) + 1 for d, k in zip(dilation, weight.shape[2:])]
        if any(p < e for p, e in zip(padded, eff)):
            raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                               f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                               "than actual input size")
    elif cin != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {weight.shape[0]} channels, but got {cin} channels "
                           "instead")


def _conv_nd(n, name, transposed):
    def conv(input, weight, bias=None, stride=1, padding=0, *rest):
        if transposed:
            output_padding, groups, dilation = (list(rest) + [0, 1, 1][len(rest):])[:3]
        else:
            dilation, groups = (list(rest) + [1, 1][len(rest):])[:2]
            output_padding = 0
        if input.dim() not in (n + 1, n + 2):
            kind = {1: "2D (unbatched) or 3D (batched)", 2: "3D (unbatched) or 4D (batched)",
                    3: "4D (unbatched) or 5D (batched)"}[n]
            raise RuntimeError(f"Expected {kind} input to {name}, but got input of size: {list(input.shape)}")
        batched = input.dim() == n + 2
        x = input if batched else input.unsqueeze(0)
        if isinstance(padding, str):
            padding = _string_padding(padding, weight, _tuple(stride, n), _tuple(dilation, n), n)
            if any(isinstance(p, tuple) for p in padding):
                x = _pad_same(x, padding)
                padding = 0
        out = convolution(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
        return out if batched else out.squeeze(0)
    conv.__name__ = conv.__qualname__ = name
    return conv


def _pad_same(x, padding):
    from .nn_pad import constant_pad_nd
    flat = []
    for left, right in reversed(padding):
        flat += [left, right]
    return constant_pad_nd(x, flat, 0)


def _positional(fn, names):
    import inspect
    params = [inspect.Parameter("input", inspect.Parameter.POSITIONAL_OR_KEYWORD),
              inspect.Parameter("weight", inspect.Parameter.POSITIONAL_OR_KEYWORD),
              inspect.Parameter("bias", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
    params += [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d) for k, d in names]
    sig = inspect.Signature(params)

    def public(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return fn(*bound.args)
    public.__signature__ = sig
    public.__name__ = public.__qualname__ = fn.__name__
    return public


_CONV = [("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1)]
_CONV_T = [("stride", 1), ("padding", 0), ("output_padding", 0), ("groups", 1), ("dilation", 1)]
conv1d = _positional(_conv_nd(1, "conv1d", False), _CONV)
conv2d = _positional(_conv_nd(2, "conv2d", False), _CONV)
conv3d = _positional(_conv_nd(3, "conv3d", False), _CONV)
conv_transpose1d = _positional(_conv_nd(1, "conv_transpose1d", True), _CONV_T)
conv_transpose2d = _positional(_conv_nd(2, "conv_transpose2d", True), _CONV_T)
conv_transpose3d = _positional(_conv_nd(3, "conv_transpose3d", True), _CONV_T)

TORCH_API = {"conv1d": conv1d, "conv2d": conv2d, "conv3d": conv3d, "conv_transpose1d": conv_transpose1d,
             "conv_transpose2d": conv_transpose2d, "conv_transpose3d": conv_transpose3d,
             "convolution": convolution, "bilinear": bilinear}
