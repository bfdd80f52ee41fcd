"""torchlike.nn.functional against torch.nn.functional.

One table of sample calls; one harness runs each call in both libraries on the same numpy
inputs and compares outputs (values, dtype, shape), the grad_fn chain (the first path down the
graph), and the gradients of every float input (backward of ``sum(out * cotangent)``). A few
entries are also checked against ``jax.grad`` of a pure-JAX formula, and misuse against
PyTorch's exception types and messages.
"""
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import torchlike
import torchlike.nn.functional as TF
from oracle import oracle, assert_close

RNG = np.random.default_rng(0)


def f32(*shape, lo=None, hi=None):
    if lo is not None:
        return RNG.uniform(lo, hi, shape).astype(np.float32)
    return RNG.standard_normal(shape).astype(np.float32)


def ints(hi, *shape):
    return RNG.integers(0, hi, shape).astype(np.int64)


X = f32(4, 3)
X[0, 0], X[0, 1], X[0, 2] = 0.0, 1.0, -1.0  # kinks of relu/hardtanh/threshold
X_BIG = X * 30  # large inputs for softplus/elu overflow branches
IMG = f32(2, 3, 6, 6)
SEQ = f32(2, 3, 7)
W_CONV = f32(4, 3, 3, 3)
W_CONV_T = f32(3, 2, 3, 3)
W_LIN, B_LIN = f32(5, 3), f32(5)
TGT = ints(3, 4)
TGT_IGN = np.array([0, -100, 2, 1], np.int64)
PROBS = f32(4, 3, lo=0.05, hi=0.95)
Q = f32(1, 2, 4, 8)


def G(x):
    """A float input that requires grad."""
    return ("grad", x)


def C(x):
    """A constant input (no grad)."""
    return ("const", x)


# name, call(F, *inputs), inputs, tolerance (rtol, atol), graph depth to compare
CASES = [
    ("relu", lambda F, x: F.relu(x), [G(X)]),
    ("relu6", lambda F, x: F.relu6(x * 4), [G(X)]),
    ("hardtanh", lambda F, x: F.hardtanh(x, -1.0, 1.0), [G(X)]),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2), [G(X)]),
    ("gelu", lambda F, x: F.gelu(x), [G(X)]),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh"), [G(X)]),
    ("silu", lambda F, x: F.silu(x), [G(X)]),
    ("elu", lambda F, x: F.elu(x, 0.7), [G(X_BIG)]),
    ("selu", lambda F, x: F.selu(x), [G(X)]),
    ("celu", lambda F, x: F.celu(x, 0.5), [G(X)]),
    ("softplus", lambda F, x: F.softplus(x), [G(X_BIG)]),
    ("softplus_beta", lambda F, x: F.softplus(x, beta=2, threshold=5), [G(X)]),
    ("sigmoid", lambda F, x: F.sigmoid(x), [G(X)]),
    ("tanh", lambda F, x: F.tanh(x), [G(X)]),
    ("mish", lambda F, x: F.mish(x), [G(X)]),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x * 4), [G(X)]),
    ("hardswish", lambda F, x: F.hardswish(x * 4), [G(X)]),
    ("logsigmoid", lambda F, x: F.logsigmoid(x), [G(X)]),
    ("threshold", lambda F, x: F.threshold(x, 0.1, -2.0), [G(X)]),
    ("hardshrink", lambda F, x: F.hardshrink(x, 0.5), [G(X)]),
    ("softshrink", lambda F, x: F.softshrink(x, 0.5), [G(X)]),
    ("softsign", lambda F, x: F.softsign(x), [G(X)]),
    ("glu", lambda F, x: F.glu(x, 0), [G(X)]),
    ("softmax", lambda F, x: F.softmax(x, 1), [G(X)]),
    ("log_softmax", lambda F, x: F.log_softmax(x, dim=0), [G(X)]),
    ("softmin", lambda F, x: F.softmin(x, 1), [G(X)]),
    ("elu_inplace", lambda F, x: F.elu(x * 1, inplace=True), [G(X)]),
    ("leaky_relu_inplace", lambda F, x: F.leaky_relu(x * 1, 0.1, True), [G(X)]),
    ("relu6_inplace", lambda F, x: F.relu6(x * 4, inplace=True), [G(X)]),
    ("relu_inplace", lambda F, x: F.relu(x * 1, inplace=True), [G(X)]),
    # linear maps
    ("linear_2d_bias", lambda F, x, w, b: F.linear(x, w, b), [G(X), G(W_LIN), G(B_LIN)]),
    ("linear_2d", lambda F, x, w: F.linear(x, w), [G(X), G(W_LIN)]),
    ("linear_3d_bias", lambda F, x, w, b: F.linear(x, w, b), [G(f32(2, 4, 3)), G(W_LIN), G(B_LIN)]),
    ("linear_3d", lambda F, x, w: F.linear(x, w), [G(f32(2, 4, 3)), G(W_LIN)]),
    ("linear_1d", lambda F, x, w: F.linear(x, w), [G(f32(3)), G(W_LIN)]),
    ("bilinear", lambda F, a, b, w, c: F.bilinear(a, b, w, c), [G(X), G(f32(4, 2)), G(f32(5, 3, 2)), G(B_LIN)]),
    # convolutions
    ("conv2d", lambda F, x, w, b: F.conv2d(x, w, b), [G(IMG), G(W_CONV), G(f32(4))]),
    ("conv2d_stride_pad_dil", lambda F, x, w: F.conv2d(x, w, None, 2, (1, 2), 2), [G(IMG), G(W_CONV)]),
    ("conv2d_stride_pad", lambda F, x, w: F.conv2d(x, w, None, (2, 1), (1, 2)), [G(IMG), G(W_CONV)]),
    # more output positions than nn_conv.PATCH_ROWS: XLA's convolution instead of patch matmuls
    ("conv2d_large", lambda F, x, w: F.conv2d(x, w, None, 1, 1), [G(f32(2, 3, 46, 46)), G(W_CONV)]),
    ("conv2d_same", lambda F, x, w: F.conv2d(x, w, padding="same"), [G(IMG), G(W_CONV)]),
    ("conv2d_same_even", lambda F, x, w: F.conv2d(x, w, padding="same"), [G(IMG), G(f32(4, 3, 2, 2))], 2),
    ("conv2d_valid_kw", lambda F, x, w: F.conv2d(x, w, padding="valid", stride=(1, 2)), [G(IMG), G(W_CONV)]),
    ("conv2d_groups", lambda F, x, w: F.conv2d(x, w, groups=3), [G(IMG), G(f32(6, 1, 3, 3))]),
    ("conv2d_unbatched", lambda F, x, w: F.conv2d(x, w), [G(IMG[0]), G(W_CONV)]),
    ("conv1d", lambda F, x, w, b: F.conv1d(x, w, b, padding=1), [G(SEQ), G(f32(4, 3, 3)), G(f32(4))]),
    ("conv_transpose2d", lambda F, x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1), [G(IMG), G(W_CONV_T), G(f32(2))]),
    ("conv_transpose2d_groups_dil",
     lambda F, x, w: F.conv_transpose2d(x, w, stride=1, padding=0, groups=3, dilation=2),
     [G(IMG), G(f32(3, 2, 2, 2))]),
    # normalization
    ("batch_norm_train", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True), [G(IMG), G(f32(3)), G(f32(3))]),
    ("batch_norm_eval", lambda F, x, m, v: F.batch_norm(x, m, v), [G(IMG), C(f32(3)), C(f32(3, lo=0.5, hi=2))]),
    ("batch_norm_2d", lambda F, x: F.batch_norm(x, None, None, training=True), [G(X)]),
    ("layer_norm", lambda F, x, w, b: F.layer_norm(x, (6,), w, b), [G(IMG), G(f32(6)), G(f32(6))]),
    ("layer_norm_2dims", lambda F, x: F.layer_norm(x, [6, 6], eps=1e-3), [G(IMG)]),
    ("group_norm", lambda F, x, w, b: F.group_norm(x, 3, w, b), [G(IMG), G(f32(3)), G(f32(3))]),
    # embedding / dropout (deterministic cases) / one_hot
    ("embedding", lambda F, i, w: F.embedding(i, w), [C(np.array([[1, 2], [4, 1]])), G(f32(5, 3))]),
    ("embedding_padding", lambda F, i, w: F.embedding(i, w, padding_idx=1), [C(np.array([1, 2, 1, 0])), G(f32(5, 3))]),
    ("embedding_padding_neg", lambda F, i, w: F.embedding(i, w, padding_idx=-1), [C(np.array([4, 2])), G(f32(5, 3))]),
    ("dropout_eval", lambda F, x: F.dropout(x * 1, 0.5, training=False), [G(X)]),
    ("dropout_p1", lambda F, x: F.dropout(x, 1.0), [G(X)]),
    ("one_hot", lambda F, t: F.one_hot(t), [C(np.array([0, 3, 1]))]),
    ("one_hot_n", lambda F, t: F.one_hot(t, 5), [C(np.array([[0, 3], [1, 1]]))]),
    # pooling
    ("max_pool2d", lambda F, x: F.max_pool2d(x, 2), [G(IMG)]),
    ("max_pool2d_full", lambda F, x: F.max_pool2d(x, 3, 2, 1, 1, True), [G(IMG)]),
    ("max_pool2d_dilation", lambda F, x: F.max_pool2d(x, (2, 3), (1, 2), dilation=2), [G(IMG)]),
    ("max_pool2d_indices", lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True, ceil_mode=True), [G(IMG)]),
    ("max_pool2d_ties", lambda F, x: F.max_pool2d(x.round(), 2, 1), [G(IMG * 0.4)]),
    ("max_pool1d", lambda F, x: F.max_pool1d(x, 3, 2, 1), [G(SEQ)]),
    ("max_pool1d_indices", lambda F, x: F.max_pool1d(x, 2, return_indices=True), [G(SEQ)]),
    ("avg_pool2d", lambda F, x: F.avg_pool2d(x, 2), [G(IMG)]),
    ("avg_pool2d_pad", lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, True), [G(IMG)]),
    ("avg_pool2d_nopad_count", lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False), [G(IMG)]),
    ("avg_pool2d_divisor", lambda F, x: F.avg_pool2d(x, 2, divisor_override=3), [G(IMG)]),
    ("avg_pool1d", lambda F, x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), [G(SEQ)]),
    ("adaptive_avg_pool2d", lambda F, x: F.adaptive_avg_pool2d(x, (4, 5)), [G(IMG)]),
    ("adaptive_avg_pool2d_1", lambda F, x: F.adaptive_avg_pool2d(x, 1), [G(IMG)]),
    ("adaptive_avg_pool2d_none", lambda F, x: F.adaptive_avg_pool2d(x, (None, 4)), [G(IMG)]),
    ("adaptive_max_pool2d", lambda F, x: F.adaptive_max_pool2d(x, (4, 5), True), [G(IMG)]),
    ("adaptive_avg_pool1d", lambda F, x: F.adaptive_avg_pool1d(x, 4), [G(SEQ)]),
    # padding / resampling
    ("pad_constant", lambda F, x: F.pad(x, (1, 2, 0, 1), value=0.5), [G(IMG)]),
    ("pad_crop", lambda F, x: F.pad(x, (-1, 2)), [G(IMG)]),
    ("pad_reflect", lambda F, x: F.pad(x, (1, 2, 2, 1), mode="reflect"), [G(IMG)]),
    ("pad_reflect1d", lambda F, x: F.pad(x, (2, 1), mode="reflect"), [G(SEQ)]),
    ("pad_replicate", lambda F, x: F.pad(x, (1, 2, 2, 1), mode="replicate"), [G(IMG)]),
    ("interp_nearest", lambda F, x: F.interpolate(x, scale_factor=2), [G(IMG)]),
    ("interp_nearest_size", lambda F, x: F.interpolate(x, size=(4, 9)), [G(IMG)]),
    ("interp_bilinear", lambda F, x: F.interpolate(x, size=(4, 9), mode="bilinear"), [G(IMG)]),
    ("interp_bilinear_ac", lambda F, x: F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
     [G(IMG)]),
    ("interp_linear", lambda F, x: F.interpolate(x, scale_factor=2, mode="linear"), [G(SEQ)]),
    # vector ops
    ("normalize", lambda F, x: F.normalize(x), [G(X)]),
    ("normalize_p1", lambda F, x: F.normalize(x, p=1.0, dim=0), [G(X)]),
    ("cosine_similarity", lambda F, a, b: F.cosine_similarity(a, b), [G(X), G(f32(4, 3))]),
    ("pairwise_distance", lambda F, a, b: F.pairwise_distance(a, b), [G(X), G(f32(4, 3))]),
    # losses
    ("mse_loss", lambda F, x, t: F.mse_loss(x, t), [G(X), C(f32(4, 3))]),
    ("mse_loss_none", lambda F, x, t: F.mse_loss(x, t, reduction="none"), [G(X), G(f32(4, 3))]),
    ("mse_loss_sum", lambda F, x, t: F.mse_loss(x, t, reduction="sum"), [G(X), C(f32(4, 3))]),
    ("l1_loss", lambda F, x, t: F.l1_loss(x, t), [G(X), C(f32(4, 3))]),
    ("l1_loss_none", lambda F, x, t: F.l1_loss(x, t, reduction="none"), [G(X), C(f32(4, 3))]),
    ("smooth_l1_loss", lambda F, x, t: F.smooth_l1_loss(x, t, beta=0.5), [G(X), C(f32(4, 3))]),
    ("smooth_l1_loss_beta0", lambda F, x, t: F.smooth_l1_loss(x, t, beta=0.0), [G(X), C(f32(4, 3))]),
    ("huber_loss", lambda F, x, t: F.huber_loss(x, t, reduction="sum", delta=0.5), [G(X), C(f32(4, 3))]),
    ("cross_entropy", lambda F, x, t: F.cross_entropy(x, t), [G(X), C(TGT)]),
    ("cross_entropy_weight_ignore", lambda F, x, t, w: F.cross_entropy(x, t, w, ignore_index=-100),
     [G(X), C(TGT_IGN), C(f32(3, lo=0.5, hi=2))]),
    ("cross_entropy_none", lambda F, x, t: F.cross_entropy(x, t, reduction="none", ignore_index=2), [G(X), C(TGT)]),
    ("cross_entropy_sum_ls", lambda F, x, t: F.cross_entropy(x, t, reduction="sum", label_smoothing=0.1),
     [G(X), C(TGT)]),
    ("cross_entropy_ls_weight", lambda F, x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.2),
     [G(X), C(TGT_IGN), C(f32(3, lo=0.5, hi=2))], 2),
    ("cross_entropy_probs", lambda F, x, t: F.cross_entropy(x, t), [G(X), C(PROBS)]),
    ("cross_entropy_probs_ls_w", lambda F, x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.3, reduction="sum"),
     [G(X), C(PROBS), C(f32(3, lo=0.5, hi=2))], 2),
    ("cross_entropy_4d", lambda F, x, t: F.cross_entropy(x, t), [G(IMG), C(ints(3, 2, 6, 6))]),
    ("cross_entropy_3d_none", lambda F, x, t: F.cross_entropy(x, t, reduction="none"), [G(SEQ), C(ints(3, 2, 7))]),
    ("cross_entropy_1d", lambda F, x, t: F.cross_entropy(x, t), [G(f32(3)), C(np.array(2))]),
    ("nll_loss", lambda F, x, t, w: F.nll_loss(x, t, w, reduction="sum"), [G(X), C(TGT), C(f32(3, lo=0.5, hi=2))]),
    ("nll_loss_all_ignored", lambda F, x, t: F.nll_loss(x, t, ignore_index=1), [G(X[:2]), C(np.array([1, 1]))]),
    ("binary_cross_entropy", lambda F, p, t: F.binary_cross_entropy(p, t), [G(PROBS), C(f32(4, 3, lo=0, hi=1))]),
    ("binary_cross_entropy_weight", lambda F, p, t, w: F.binary_cross_entropy(p, t, w, reduction="none"),
     [G(PROBS), C(f32(4, 3, lo=0, hi=1)), C(f32(3, lo=0, hi=1))]),
    ("bce_with_logits", lambda F, x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, pos_weight=pw),
     [G(X_BIG), C(f32(4, 3, lo=0, hi=1)), C(f32(3, lo=0, hi=1)), C(f32(3, lo=0.5, hi=3))]),
    ("kl_div_batchmean", lambda F, x, t: F.kl_div(x, t, reduction="batchmean"), [G(X), C(PROBS)]),
    ("kl_div_none", lambda F, x, t: F.kl_div(x, t, reduction="none"), [G(X), C(PROBS)]),
    ("kl_div_log_target", lambda F, x, t: F.kl_div(x, t.log(), reduction="sum", log_target=True), [G(X), C(PROBS)]),
    ("sdpa", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v), [G(Q), G(f32(1, 2, 4, 8)), G(f32(1, 2, 4, 8))]),
    ("sdpa_causal_scale", lambda F, q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
     [G(Q), G(f32(1, 2, 4, 8)), G(f32(1, 2, 4, 8))]),
    ("sdpa_mask", lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
     [G(Q), G(f32(1, 2, 4, 8)), G(f32(1, 2, 4, 8)), C(f32(4, 4))]),
    ("sdpa_bool_mask", lambda F, q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
     [G(Q), G(f32(1, 2, 4, 8)), G(f32(1, 2, 4, 8)), C(np.tril(np.ones((4, 4), bool)))]),
]


def _make(lib, spec, torch):
    kind, arr = spec
    if lib == "torch":
        t = torch.from_numpy(np.array(arr))
        return t.requires_grad_(True) if kind == "grad" else t
    t = torchlike.tensor(np.array(arr))
    return t.requires_grad_(True) if kind == "grad" else t


def _chain(fn, depth):
    names = []
    while fn is not None and len(names) < depth:
        names.append(type(fn).__name__)
        nxt = [f for f, _ in fn.next_functions if f is not None and "AccumulateGrad" not in type(f).__name__]
        fn = nxt[0] if nxt else None
    return names


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_torch(case):
    torch = oracle()
    name, call, specs = case[:3]
    depth = case[3] if len(case) > 3 else 3
    ours_in = [_make("ours", s, torch) for s in specs]
    theirs_in = [_make("torch", s, torch) for s in specs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _outputs(call(TF, *ours_in))
        theirs = _outputs(call(torch.nn.functional, *theirs_in))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype)
        assert tuple(o.shape) == tuple(t.shape)
        assert_close(o, t, rtol=1e-4, atol=1e-5)
        assert _chain(o.grad_fn, depth) == _chain(t.grad_fn, depth)
    ct = [f32(*tuple(t.shape)) for t in theirs]
    grads = [(o, t, c) for o, t, c in zip(ours, theirs, ct) if t.requires_grad]
    if not grads:
        return
    sum(((o * torchlike.tensor(c)).sum() for o, _, c in grads[1:]), (grads[0][0] * torchlike.tensor(grads[0][2])).sum()
        ).backward()
    sum(((t * torch.from_numpy(c)).sum() for _, t, c in grads)).backward()
    for o, t, s in zip(ours_in, theirs_in, specs):
        if s[0] == "grad":
            assert (o.grad is None) == (t.grad is None)
            if t.grad is not None:
                assert_close(o.grad, t.grad, rtol=1e-4, atol=1e-5)


# -- jax.grad as a second oracle --------------------------------------------------------------------
def _ref_conv(x, w):
    return jax.lax.conv_general_dilated(x, w, (1, 1), [(1, 1), (1, 1)], dimension_numbers=("NCHW", "OIHW", "NCHW"))


def _ref_ce(x, t):
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(x, 1), t[:, None], 1))


def _ref_ln(x):
    m = x.mean(-1, keepdims=True)
    return (x - m) / jnp.sqrt(((x - m) ** 2).mean(-1, keepdims=True) + 1e-5)


JAX_CASES = [
    ("conv2d", lambda x, w: TF.conv2d(x, w, padding=1).sum(), lambda x, w: _ref_conv(x, w).sum(), [IMG, W_CONV]),
    ("cross_entropy", lambda x: TF.cross_entropy(x, torchlike.tensor(TGT)), lambda x: _ref_ce(x, TGT), [X]),
    ("layer_norm", lambda x: (TF.layer_norm(x, (3,)) ** 2).sum(), lambda x: (_ref_ln(x) ** 2).sum(), [X]),
    ("gelu", lambda x: TF.gelu(x).sum(), lambda x: jax.nn.gelu(x, approximate=False).sum(), [X]),
    ("softplus", lambda x: TF.softplus(x).sum(), lambda x: jax.nn.softplus(x).sum(), [X]),
    ("mse_loss", lambda x: TF.mse_loss(x, torchlike.zeros(4, 3)), lambda x: jnp.mean(x ** 2), [X]),
]


@pytest.mark.parametrize("case", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_against_jax_grad(case):
    _, ours, ref, arrays = case
    inputs = [torchlike.tensor(a, requires_grad=True) for a in arrays]
    ours(*inputs).backward()
    expected = jax.grad(ref, argnums=tuple(range(len(arrays))))(*[jnp.asarray(a) for a in arrays])
    for t, e in zip(inputs, expected):
        np.testing.assert_allclose(np.asarray(t.grad), np.asarray(e), rtol=1e-4, atol=1e-5)


# -- stateful and random behaviour -----------------------------------------------------------------
def test_batch_norm_running_stats():
    torch = oracle()
    for momentum in (0.1, 0.5):
        rm, rv = torchlike.zeros(3), torchlike.ones(3)
        trm, trv = torch.zeros(3), torch.ones(3)
        for _ in range(2):
            TF.batch_norm(torchlike.tensor(IMG), rm, rv, training=True, momentum=momentum)
            torch.nn.functional.batch_norm(torch.from_numpy(IMG), trm, trv, training=True, momentum=momentum)
        assert_close(rm, trm)
        assert_close(rv, trv)
        assert rm._version == trm._version and rv._version == trv._version


def test_dropout_statistics_and_identity():
    torch = oracle()
    x = torchlike.ones(200, 50, requires_grad=True)
    y = TF.dropout(x, 0.3)
    assert type(y.grad_fn).__name__ == type(torch.nn.functional.dropout(torch.ones(2, requires_grad=True)).grad_fn).__name__
    vals = np.unique(np.asarray(y.detach()))
    assert len(vals) == 2 and vals[0] == 0 and np.isclose(vals[1], 1 / 0.7)
    assert abs((np.asarray(y.detach()) == 0).mean() - 0.3) < 0.03
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.asarray(y.detach()))
    assert TF.dropout(x, 0.0) is x and TF.dropout(x, 0.5, training=False) is x
    z = TF.dropout2d(torchlike.ones(4, 8, 3, 3), 0.5)
    per_channel = np.asarray(z).reshape(4, 8, 9)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()


def test_torch_namespace():
    torch = oracle()
    x, w = torchlike.tensor(IMG), torchlike.tensor(W_CONV)
    assert_close(torchlike.conv2d(x, w, None, 1, 1), torch.conv2d(torch.from_numpy(IMG), torch.from_numpy(W_CONV),
                                                                   None, 1, 1))
    rm, rv = torchlike.zeros(3), torchlike.ones(3)
    out = torchlike.batch_norm(x, None, None, rm, rv, True, 0.1, 1e-5, False)
    trm, trv = torch.zeros(3), torch.ones(3)
    ref = torch.batch_norm(torch.from_numpy(IMG), None, None, trm, trv, True, 0.1, 1e-5, False)
    assert_close(out, ref, rtol=1e-4, atol=1e-5)
    assert_close(rv, trv)
    wt = torchlike.tensor(W_LIN)
    assert_close(torchlike.embedding(wt, torchlike.tensor([1, 2])), torch.embedding(torch.from_numpy(W_LIN),
                                                                                      torch.tensor([1, 2])))
    assert not hasattr(torchlike, "mse_loss") and not hasattr(torchlike, "leaky_relu")


# -- misuse: PyTorch's exception types and messages ------------------------------------------------
ERRORS = [
    ("ce_float_target", lambda F, T: F.cross_entropy(T.tensor(X), T.tensor([0., 1, 2, 1]))),
    ("ce_int32_target", lambda F, T: F.cross_entropy(T.tensor(X), T.tensor([0, 1, 2, 1], dtype=T.int32))),
    ("ce_target_bounds", lambda F, T: F.cross_entropy(T.tensor(X), T.tensor([0, 1, 5, 1]))),
    ("ce_batch", lambda F, T: F.cross_entropy(T.tensor(X), T.tensor([0, 1, 2]))),
    ("ce_multi_target", lambda F, T: F.cross_entropy(T.tensor(X), T.tensor(PROBS[:, :2]))),
    ("ce_prob_ignore", lambda F, T: F.cross_entropy(T.tensor(X), T.tensor(PROBS), ignore_index=1)),
    ("ce_spatial_target", lambda F, T: F.cross_entropy(T.tensor(SEQ), T.tensor(ints(3, 2, 5)))),
    ("nll_weight", lambda F, T: F.nll_loss(T.tensor(X), T.tensor(TGT), weight=T.ones(2))),
    ("mse_bad_shape", lambda F, T: F.mse_loss(T.tensor(X), T.tensor(f32(5, 3)))),
    ("mse_bad_reduction", lambda F, T: F.mse_loss(T.tensor(X), T.tensor(X), reduction="avg")),
    ("bce_shape", lambda F, T: F.binary_cross_entropy(T.tensor(PROBS), T.tensor(PROBS[:, 0]))),
    ("bce_range", lambda F, T: F.binary_cross_entropy(T.tensor(X), T.tensor(PROBS))),
    ("bcel_shape", lambda F, T: F.binary_cross_entropy_with_logits(T.tensor(X), T.tensor(PROBS[:, 0]))),
    ("conv_channels", lambda F, T: F.conv2d(T.tensor(f32(2, 5, 6, 6)), T.tensor(W_CONV))),
    ("conv_same_stride", lambda F, T: F.conv2d(T.tensor(IMG), T.tensor(W_CONV), stride=2, padding="same")),
    ("conv_bad_padding", lambda F, T: F.conv2d(T.tensor(IMG), T.tensor(W_CONV), padding="foo")),
    ("conv_small", lambda F, T: F.conv2d(T.tensor(IMG[:, :, :2, :2]), T.tensor(W_CONV))),
    ("conv_dims", lambda F, T: F.conv2d(T.tensor(IMG[0, 0]), T.tensor(W_CONV))),
    ("conv_dtype", lambda F, T: F.conv2d(T.tensor(IMG.astype(np.float64)), T.tensor(W_CONV))),
    ("linear_shape", lambda F, T: F.linear(T.tensor(X), T.tensor(f32(5, 4)))),
    ("linear_dtype", lambda F, T: F.linear(T.tensor(X.astype(np.float64)), T.tensor(W_LIN))),
    ("bn_running", lambda F, T: F.batch_norm(T.tensor(IMG), T.zeros(5), T.ones(5), training=True)),
    ("bn_one_value", lambda F, T: F.batch_norm(T.tensor(X[:1]), T.zeros(3), T.ones(3), training=True)),
    ("bn_eval_none", lambda F, T: F.batch_norm(T.tensor(X), None, None)),
    ("ln_shape", lambda F, T: F.layer_norm(T.tensor(IMG), (5,))),
    ("gn_groups", lambda F, T: F.group_norm(T.tensor(IMG), 2)),
    ("emb_range", lambda F, T: F.embedding(T.tensor([1, 5]), T.tensor(W_LIN))),
    ("emb_dtype", lambda F, T: F.embedding(T.tensor([1., 2]), T.tensor(W_LIN))),
    ("emb_padding", lambda F, T: F.embedding(T.tensor([1, 2]), T.tensor(W_LIN), padding_idx=7)),
    ("dropout_p", lambda F, T: F.dropout(T.tensor(X), 1.5)),
    ("one_hot_dtype", lambda F, T: F.one_hot(T.tensor([1, 2], dtype=T.int32))),
    ("one_hot_negative", lambda F, T: F.one_hot(T.tensor([1, -2]))),
    ("one_hot_large", lambda F, T: F.one_hot(T.tensor([1, 3]), 3)),
    ("one_hot_empty", lambda F, T: F.one_hot(T.zeros(0, dtype=T.long))),
    ("maxpool_pad", lambda F, T: F.max_pool2d(T.tensor(IMG), 3, padding=2)),
    ("avgpool_pad", lambda F, T: F.avg_pool2d(T.tensor(IMG), 3, padding=2)),
    ("maxpool_small", lambda F, T: F.max_pool2d(T.tensor(IMG[:, :, :2, :2]), 3)),
    ("pad_odd", lambda F, T: F.pad(T.tensor(IMG), (1, 1, 1))),
    ("pad_long", lambda F, T: F.pad(T.tensor(X), (1, 1, 1, 1, 1, 1))),
    ("pad_reflect_size", lambda F, T: F.pad(T.tensor(IMG[:, :, :2, :2]), (3, 3, 0, 0), mode="reflect")),
    ("pad_mode_dims", lambda F, T: F.pad(T.tensor(IMG), (1, 1), mode="reflect")),
    ("pad_mode", lambda F, T: F.pad(T.tensor(SEQ), (1, 1), mode="foo")),
    ("smooth_l1_beta", lambda F, T: F.smooth_l1_loss(T.tensor(X), T.tensor(X), beta=-1)),
    ("huber_delta", lambda F, T: F.huber_loss(T.tensor(X), T.tensor(X), delta=0)),
    ("interp_align", lambda F, T: F.interpolate(T.tensor(IMG), size=(4, 5), align_corners=True)),
    ("interp_both", lambda F, T: F.interpolate(T.tensor(IMG), size=(4, 5), scale_factor=2)),
    ("glu_odd", lambda F, T: F.glu(T.tensor(X), 1)),
    ("bn_momentum_none", lambda F, T: F.batch_norm(T.tensor(X), T.zeros(3), T.ones(3), training=True, momentum=None)),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors(case):
    torch = oracle()
    _, call = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(torch.nn.functional, torch)
        with pytest.raises(type(theirs.value), match="^" + re.escape(str(theirs.value)) + "$"):
            call(TF, torchlike)


WARNINGS = [
    ("mse_broadcast", lambda F, T: F.mse_loss(T.tensor(X), T.tensor(X[:, :1]))),
    ("l1_broadcast", lambda F, T: F.l1_loss(T.tensor(X), T.tensor(X[:1]))),
    ("legacy_reduce", lambda F, T: F.mse_loss(T.tensor(X), T.tensor(X), size_average=False)),
    ("kl_mean", lambda F, T: F.kl_div(T.tensor(X), T.tensor(PROBS))),
    ("softmax_implicit", lambda F, T: F.softmax(T.tensor(X))),
]


@pytest.mark.parametrize("case", WARNINGS, ids=[c[0] for c in WARNINGS])
def test_warnings(case):
    torch = oracle()
    _, call = case
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        call(torch.nn.functional, torch)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        call(TF, torchlike)
    assert [(w.category, str(w.message)) for w in ours] == [(w.category, str(w.message)) for w in theirs]
