"""nn.Module, Parameter, containers and nn.utils against torch.nn: reprs, traversal orders, state_dict
keys and error texts, conversion, hooks, copying."""
import copy
import re
from collections import OrderedDict

import numpy as np
import pytest

import torchlike
import torchlike.nn as nn
from oracle import assert_close, oracle, to_numpy


def _from_torch(sd):
    """A torch state_dict as torchlike tensors (through numpy)."""
    return OrderedDict((k, torchlike.tensor(v.detach().numpy())) for k, v in sd.items())


def _same_error(ours, theirs, exc):
    with pytest.raises(exc) as t:
        theirs()
    with pytest.raises(exc) as o:
        ours()
    assert str(o.value) == str(t.value)


def _net(nn_):
    class Block(nn_.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn_.Linear(3, 4)
            self.register_buffer("steps", nn_.Parameter(nn_.Linear(1, 1).weight.data[0]).data)
            self.register_buffer("cache", nn_.Linear(1, 2).bias.data, persistent=False)

        def forward(self, x):
            return self.fc(x).relu()

    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.body = nn_.Sequential(Block(), nn_.ReLU(), nn_.Linear(4, 4))
            self.heads = nn_.ModuleList([nn_.Linear(4, 2), nn_.Linear(4, 2), nn_.Linear(4, 3)])
            self.extra = nn_.ModuleDict({"a": nn_.Identity(), "b": nn_.Flatten()})
            self.scale = nn_.Parameter(nn_.Linear(2, 1).weight.data)

        def forward(self, x):
            h = self.body(x)
            return self.heads[0](h) * self.scale.sum() + self.heads[1](h)
    return Net()


def test_repr_state_dict_and_traversal_match_torch():
    torch = oracle()
    ours, theirs = _net(nn), _net(torch.nn)
    assert repr(ours) == repr(theirs)
    sd_o, sd_t = ours.state_dict(), theirs.state_dict()
    assert type(sd_o) is OrderedDict
    assert list(sd_o) == list(sd_t)
    assert [tuple(v.shape) for v in sd_o.values()] == [tuple(v.shape) for v in sd_t.values()]
    assert sd_o._metadata == sd_t._metadata
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_parameters(prefix="m", recurse=False)] == \
        [n for n, _ in theirs.named_parameters(prefix="m", recurse=False)]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert all(not v.requires_grad and v.grad_fn is None for v in sd_o.values())
    assert any(v.requires_grad for v in ours.state_dict(keep_vars=True).values())
    assert sorted(k for k in dir(ours) if not k.startswith("_")) == \
        sorted(k for k in dir(theirs) if not k.startswith("_") and k in dir(ours))


def test_load_torch_state_dict_gives_same_outputs_and_grads():
    torch = oracle()
    ours, theirs = _net(nn), _net(torch.nn)
    assert repr(ours.load_state_dict(_from_torch(theirs.state_dict()))) == "<All keys matched successfully>"
    x = np.random.RandomState(0).randn(5, 3).astype(np.float32)
    yo, yt = ours(torchlike.tensor(x)), theirs(torch.tensor(x))
    assert_close(yo, yt)
    yo.sum().backward()
    yt.sum().backward()
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        if q.grad is None:
            assert p.grad is None, n
        else:
            assert_close(p.grad, q.grad)


def test_weight_tying_appears_once():
    torch = oracle()
    for nn_ in (nn, torch.nn):
        a, b = nn_.Linear(3, 3), nn_.Linear(3, 3)
        b.weight = a.weight
        seq = nn_.Sequential(a, b, a)
        names = [n for n, _ in seq.named_parameters()]
        all_names = [n for n, _ in seq.named_parameters(remove_duplicate=False)]
        mods = [n for n, _ in seq.named_modules(remove_duplicate=False)]
        if nn_ is nn:
            ours = (names, all_names, mods, list(seq.state_dict()), len(list(seq.parameters())))
        else:
            theirs = (names, all_names, mods, list(seq.state_dict()), len(list(seq.parameters())))
    assert ours == theirs
    assert ours[-1] == 3


def test_load_state_dict_errors_match_torch():
    torch = oracle()
    ours, theirs = nn.Linear(3, 4), torch.nn.Linear(3, 4)
    bad_t = {"weight": torch.zeros(4, 2), "extra": torch.zeros(1)}
    bad_o = _from_torch(bad_t)
    _same_error(lambda: ours.load_state_dict(bad_o), lambda: theirs.load_state_dict(bad_t), RuntimeError)
    assert "Missing key(s) in state_dict: \"bias\"" in str(pytest.raises(RuntimeError, ours.load_state_dict,
                                                                         bad_o).value)
    r_o = nn.Sequential(ours).load_state_dict({"0.weight": torchlike.zeros(4, 3), "1.x": torchlike.zeros(1)},
                                              strict=False)
    r_t = torch.nn.Sequential(theirs).load_state_dict({"0.weight": torch.zeros(4, 3), "1.x": torch.zeros(1)},
                                                      strict=False)
    assert repr(r_o) == repr(r_t) and r_o.missing_keys == ["0.bias"]
    assert (to_numpy(ours.weight) == 0).all()
    _same_error(lambda: ours.load_state_dict([1]), lambda: theirs.load_state_dict([1]), TypeError)
    _same_error(lambda: ours.load_state_dict({"weight": 3, "bias": torchlike.zeros(4)}),
                lambda: theirs.load_state_dict({"weight": 3, "bias": torch.zeros(4)}), RuntimeError)


def test_load_keeps_parameter_identity_and_assign():
    torch = oracle()
    m = nn.Linear(2, 2)
    w = m.weight
    sd = _from_torch(torch.nn.Linear(2, 2).state_dict())
    m.load_state_dict(sd)
    assert m.weight is w and isinstance(w, nn.Parameter)
    assert_close(w, sd["weight"])
    m.load_state_dict(sd, assign=True)
    assert m.weight is not w and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad


def test_registration_errors_match_torch():
    torch = oracle()
    for attempt in [
        lambda nn_, t: nn_.Linear(2, 2).register_buffer("a.b", t.zeros(1)),
        lambda nn_, t: nn_.Linear(2, 2).register_buffer("", t.zeros(1)),
        lambda nn_, t: nn_.Linear(2, 2).register_buffer("weight", t.zeros(1)),
        lambda nn_, t: nn_.Linear(2, 2).register_parameter("a.b", None),
        lambda nn_, t: nn_.Linear(2, 2).add_module("weight", nn_.ReLU()),
        lambda nn_, t: nn_.Linear(2, 2).add_module("x.y", nn_.ReLU()),
    ]:
        _same_error(lambda: attempt(nn, torchlike), lambda: attempt(torch.nn, torch), KeyError)
    for attempt in [
        lambda nn_, t: setattr(nn_.Linear(2, 2), "weight", t.zeros(2, 2)),
        lambda nn_, t: nn_.Linear(2, 2).register_buffer("b", 3),
        lambda nn_, t: nn_.Linear(2, 2).register_parameter("p", t.zeros(2)),
        lambda nn_, t: nn_.Linear(2, 2).add_module("m", 3),
        lambda nn_, t: nn_.Module(3),
        lambda nn_, t: nn_.Module(x=3),
    ]:
        _same_error(lambda: attempt(nn, torchlike), lambda: attempt(torch.nn, torch), TypeError)
    _same_error(lambda: setattr(nn.Linear(2, 2), "q", _nonleaf_param()),
                lambda: setattr(torch.nn.Linear(2, 2), "q", _nonleaf_param(torch)), ValueError)
    _same_error(lambda: nn.Linear(2, 2).nope, lambda: torch.nn.Linear(2, 2).nope, AttributeError)
    _same_error(lambda: nn.Module()(1), lambda: torch.nn.Module()(1), NotImplementedError)
    _same_error(lambda: nn.Linear(2, 2).train("yes"), lambda: torch.nn.Linear(2, 2).train("yes"), ValueError)
    _same_error(lambda: nn.Linear(2, 2).to(torchlike.int64), lambda: torch.nn.Linear(2, 2).to(torch.int64), TypeError)
    for target in ["0.nope", "0.weight.x", "1"]:
        _same_error(lambda: nn.Sequential(nn.Linear(1, 1), nn.ReLU()).get_parameter(target),
                    lambda: torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()).get_parameter(target),
                    AttributeError)


def _nonleaf_param(torch=torchlike):
    p = (torch.nn.Parameter if torch is not torchlike else nn.Parameter)(torch.ones(2))
    q = p * 2
    q.__class__ = type(p)
    return q


def test_setattr_delattr_and_buffers():
    torch = oracle()
    for nn_, t in ((nn, torchlike), (torch.nn, torch)):
        m = nn_.Linear(2, 2)
        m.register_buffer("buf", t.ones(2))
        m.buf = t.zeros(3)                       # stays a buffer
        m.register_buffer("tmp", t.ones(1), persistent=False)
        m.bias = None                            # parameter slot set to None
        m.sub = nn_.ReLU()
        del m.sub
        m.extra = nn_.Buffer(t.ones(2), persistent=False)
        m.plain = 5
        res = (list(m.state_dict()), [n for n, _ in m.named_buffers()], [n for n, _ in m.named_parameters()],
               list(m._modules), tuple(m.buf.shape), m.plain, repr(m))
        if nn_ is nn:
            ours = res
        else:
            theirs = res
    assert ours == theirs


def test_train_eval_zero_grad_requires_grad_apply():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.Linear(2, 1)))
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m(torchlike.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all((to_numpy(p.grad) == 0).all() for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "Dropout", "Linear", "Sequential", "Sequential"]


def test_to_double_half_keep_parameter_identity():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = m[0].weight
    old = to_numpy(w)
    m(torchlike.ones(4, 2)).sum().backward()
    assert m.double() is m
    assert m[0].weight is w and w.dtype is torchlike.float64 and w.grad.dtype is torchlike.float64
    assert m[1].num_batches_tracked.dtype is torchlike.int64 and m[1].running_mean.dtype is torchlike.float64
    np.testing.assert_allclose(to_numpy(w), old)
    m.half()
    assert w.dtype is torchlike.float16 and isinstance(w, nn.Parameter)
    m.to(torchlike.float32)
    assert w.dtype is torchlike.float32 and m[1].running_var.dtype is torchlike.float32
    assert m.to("cpu") is m and m.float() is m and m.cpu() is m
    out = m(torchlike.ones(4, 2))
    assert out.dtype is torchlike.float32


def test_to_does_not_change_the_tensor_a_parameter_was_made_from():
    src = torchlike.ones(2, 2)
    m = nn.Linear(2, 2)
    m.weight = nn.Parameter(src)
    m.double()
    assert src.dtype is torchlike.float32 and m.weight.dtype is torchlike.float64


def test_parameter_basics_match_torch():
    torch = oracle()
    data = [[1.0, -2.5], [0.25, 3.0]]
    p, q = nn.Parameter(torchlike.tensor(data)), torch.nn.Parameter(torch.tensor(data))
    assert repr(p) == repr(q) and str(p) == str(q)
    assert repr(nn.Parameter()) == repr(torch.nn.Parameter())
    assert repr(nn.Parameter(torchlike.tensor([1, 2]), requires_grad=False)) == \
        repr(torch.nn.Parameter(torch.tensor([1, 2]), requires_grad=False))
    assert isinstance(p, torchlike.Tensor) and p.is_leaf and p.requires_grad
    with torchlike.no_grad():
        assert nn.Parameter(torchlike.ones(1)).requires_grad
    assert type(p * 2) is torchlike.Tensor and type(p.detach()) is torchlike.Tensor
    assert type(p.data) is torchlike.Tensor
    _same_error(lambda: nn.Parameter(torchlike.tensor([1, 2])), lambda: torch.nn.Parameter(torch.tensor([1, 2])),
                RuntimeError)
    src = torchlike.zeros(2)
    shared = nn.Parameter(src)
    with torchlike.no_grad():
        shared.add_(1)
    assert (to_numpy(src) == 1).all()          # shares storage with its data, as in PyTorch
    b = nn.Buffer(torchlike.ones(2))
    assert isinstance(b, nn.Buffer) and type(b) is torchlike.Tensor and not isinstance(torchlike.ones(1), nn.Buffer)
    assert repr(nn.UninitializedParameter()) == repr(torch.nn.UninitializedParameter())


def test_deepcopy_keeps_types_ties_and_independence():
    a = nn.Linear(2, 2)
    m = nn.Sequential(a, nn.Linear(2, 2), nn.BatchNorm1d(2))
    m[1].weight = a.weight
    h = m.register_forward_hook(lambda mod, i, o: None)
    c = copy.deepcopy(m)
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight is c[1].weight
    assert c[0].weight is not a.weight and len(list(c.parameters())) == len(list(m.parameters()))
    with torchlike.no_grad():
        c[0].weight.fill_(7.0)
    assert not (to_numpy(a.weight) == 7).all()
    assert repr(c) == repr(m) and list(c.state_dict()) == list(m.state_dict()) and len(c._forward_hooks) == 1
    h.remove()
    assert not m._forward_hooks


def test_forward_hooks_match_torch():
    torch = oracle()
    logs = {}
    for nn_, t in ((nn, torchlike), (torch.nn, torch)):
        log = logs.setdefault(nn_ is nn, [])
        m = nn_.Linear(2, 2)
        h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
        h3 = m.register_forward_hook(lambda mod, args, kw, out: log.append(sorted(kw)), with_kwargs=True)
        h4 = m.register_forward_pre_hook(lambda mod, args, kw: (args, kw), with_kwargs=True, prepend=True)
        with t.no_grad():
            m.weight.copy_(t.eye(2))
            m.bias.zero_()
        log.append(m(t.ones(1, 2)).tolist())
        for h in (h1, h2, h3, h4):
            h.remove()
        log.append(m(t.ones(1, 2)).tolist())
    assert logs[True] == logs[False]


def test_full_backward_hook_matches_torch():
    torch = oracle()
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    res = {}
    for nn_, t in ((nn, torchlike), (torch.nn, torch)):
        seen = []
        m = nn_.Sequential(nn_.Linear(2, 3), nn_.ReLU())
        m[0].load_state_dict({"weight": t.tensor([[1.0, 0.5], [-1.0, 2.0], [0.3, 0.3]]), "bias": t.zeros(3)})

        def hook(mod, gin, gout):
            seen.append(("hook", [None if g is None else g.tolist() for g in gin], [g.tolist() for g in gout]))
            return (gin[0] * 2,)

        def pre(mod, gout):
            seen.append(("pre", [g.tolist() for g in gout]))
        m[0].register_full_backward_hook(hook)
        m[0].register_full_backward_pre_hook(pre)
        xi = t.tensor(x, requires_grad=True)
        m(xi).sum().backward()
        res[nn_ is nn] = (seen, xi.grad.tolist(), type(m(xi).grad_fn).__name__)
    assert res[True][0] == res[False][0]
    np.testing.assert_allclose(res[True][1], res[False][1], rtol=1e-6)


def test_lazy_linear_matches_torch():
    torch = oracle()
    ours, theirs = nn.LazyLinear(4), torch.nn.LazyLinear(4)
    assert repr(ours) == repr(theirs)
    assert ours.has_uninitialized_params()
    y = ours(torchlike.ones(2, 5))
    theirs(torch.ones(2, 5))
    assert type(ours) is nn.Linear and repr(ours) == repr(theirs) and tuple(y.shape) == (2, 4)
    assert tuple(ours.weight.shape) == (4, 5) and type(ours.weight) is nn.Parameter
    assert list(ours.state_dict()) == list(theirs.state_dict()) and not ours._forward_pre_hooks
    bound = 1 / 5 ** 0.5
    assert np.abs(to_numpy(ours.weight)).max() <= bound and np.abs(to_numpy(ours.bias)).max() <= bound
    lazy = nn.LazyLinear(4)
    lazy.load_state_dict(_from_torch(theirs.state_dict()))
    assert_close(lazy.weight, theirs.weight)


def test_sequential_and_lists_match_torch():
    torch = oracle()
    res = {}
    for nn_, t in ((nn, torchlike), (torch.nn, torch)):
        s = nn_.Sequential(nn_.Linear(1, 2), nn_.ReLU(), nn_.Linear(2, 3))
        s.append(nn_.Tanh())
        out = [len(s), repr(s[1:3]), type(s[-1]).__name__, [type(x).__name__ for x in s]]
        del s[1]
        s.insert(0, nn_.Sigmoid())
        out += [repr(s), repr(s + nn_.Sequential(nn_.ReLU())), repr(nn_.Sequential(OrderedDict(a=nn_.ReLU())))]
        ml = nn_.ModuleList([nn_.ReLU(), nn_.ReLU(), nn_.Linear(1, 1), nn_.ReLU()])
        ml.extend([nn_.Tanh()])
        out += [repr(ml), repr(ml[1:]), len(ml), repr(nn_.ModuleList())]
        md = nn_.ModuleDict({"x": nn_.ReLU()})
        md["y"] = nn_.Tanh()
        out += [repr(md), list(md.keys()), "x" in md, len(md)]
        pl = nn_.ParameterList([nn_.Parameter(t.ones(2, 3)), t.zeros(1)])
        pd = nn_.ParameterDict({"b": nn_.Parameter(t.ones(2)), "a": t.zeros(3, dtype=t.float64)})
        out += [repr(pl), repr(pd), list(pd.keys()), [type(p).__name__ for p in pl], list(pl.state_dict()),
                list(pd.state_dict())]
        res[nn_ is nn] = out
    assert res[True] == res[False]
    _same_error(lambda: nn.Sequential(nn.ReLU())[3], lambda: torch.nn.Sequential(torch.nn.ReLU())[3], IndexError)
    _same_error(lambda: nn.ParameterList()(1), lambda: torch.nn.ParameterList()(1), RuntimeError)


def test_get_submodule_and_parameter():
    m = nn.Sequential(OrderedDict(enc=nn.Sequential(nn.Linear(1, 2))))
    assert m.get_submodule("enc.0") is m.enc[0]
    assert m.get_parameter("enc.0.bias") is m.enc[0].bias
    m.enc[0].register_buffer("b", torchlike.ones(1))
    assert m.get_buffer("enc.0.b") is m.enc[0].b


def test_clip_grad_and_vector_utils_match_torch():
    torch = oracle()
    g = [np.array([[3.0, -4.0]], np.float32), np.array([12.0], np.float32)]
    for norm_type in (2.0, 1.0, float("inf")):
        ps_o = [nn.Parameter(torchlike.zeros(*a.shape)) for a in g]
        ps_t = [torch.nn.Parameter(torch.zeros(*a.shape)) for a in g]
        for p, q, a in zip(ps_o, ps_t, g):
            p.grad, q.grad = torchlike.tensor(a), torch.tensor(a)
        assert_close(nn.utils.clip_grad_norm_(ps_o, 5.0, norm_type), torch.nn.utils.clip_grad_norm_(ps_t, 5.0, norm_type))
        for p, q in zip(ps_o, ps_t):
            assert_close(p.grad, q.grad)
    p, q = nn.Parameter(torchlike.zeros(3)), torch.nn.Parameter(torch.zeros(3))
    p.grad, q.grad = torchlike.tensor([-3.0, 0.5, 9.0]), torch.tensor([-3.0, 0.5, 9.0])
    nn.utils.clip_grad_value_([p], 1.0)
    torch.nn.utils.clip_grad_value_([q], 1.0)
    assert_close(p.grad, q.grad)
    m = nn.Linear(2, 3)
    vec = nn.utils.parameters_to_vector(m.parameters())
    assert tuple(vec.shape) == (9,) and vec.requires_grad
    nn.utils.vector_to_parameters(torchlike.arange(9.0), m.parameters())
    np.testing.assert_array_equal(to_numpy(m.weight), np.arange(6.0).reshape(3, 2))
    assert isinstance(m.weight, nn.Parameter)


def test_state_dict_hooks_and_incompatible_keys():
    m = nn.Linear(1, 1)
    seen = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: seen.append(prefix))
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(tuple(keys.missing_keys)))
    m.state_dict(prefix="p.")
    m.load_state_dict({"weight": torchlike.ones(1, 1)}, strict=False)
    assert seen == ["p.", ("bias",)]
    assert re.match(r"_IncompatibleKeys\(missing_keys=\['bias'\], unexpected_keys=\[\]\)|"
                    r"IncompatibleKeys\(missing_keys=\['bias'\], unexpected_keys=\[\]\)",
                    repr(m.load_state_dict({"weight": torchlike.ones(1, 1)}, strict=False)))
