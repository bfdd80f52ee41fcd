"""torchlike.optim against torch.optim: 100-step parameter trajectories on the same gradients,
state and state_dict layout, loading PyTorch's state_dicts, reprs, errors and hooks.

Shapes are reused across tests so XLA compiles each (optimizer, flags) update once.
"""
import warnings

import numpy as np
import pytest

import torchlike
from oracle import assert_close, oracle

SHAPES = [(3, 4), (5,), ()]
STEPS = 100

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.3, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.3, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1}),
    ("Adagrad", {"lr": 0.05, "eps": 1e-6, "maximize": True}),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]


def _pair(torch, dtype="float32", seed=0, shapes=SHAPES):
    """The same initial parameters as torchlike and torch leaves."""
    rng = np.random.default_rng(seed)
    inits = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [torchlike.tensor(x, requires_grad=True) for x in inits]
    theirs = [torch.tensor(x, requires_grad=True) for x in inits]
    return ours, theirs


def _grads(n, seed=1, dtype="float32", shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(n)]


def _set_grads(params, grads, module, skip=()):
    for i, (p, g) in enumerate(zip(params, grads)):
        p.grad = None if i in skip else module.tensor(g)


def _run(opt_ours, opt_theirs, ours, theirs, grads, torch, skip=(), check_every=10, rtol=1e-5, atol=1e-6):
    for step, g in enumerate(grads, 1):
        _set_grads(ours, g, torchlike, skip)
        _set_grads(theirs, g, torch, skip)
        opt_ours.step()
        opt_theirs.step()
        if step % check_every == 0 or step == len(grads):
            for a, b in zip(ours, theirs):
                assert_close(a, b, rtol=rtol, atol=atol)


def _assert_state_matches(opt_ours, opt_theirs, rtol=1e-5, atol=1e-6):
    sa, sb = opt_ours.state_dict(), opt_theirs.state_dict()
    assert sa["param_groups"] == sb["param_groups"]
    assert sorted(sa["state"]) == sorted(sb["state"])
    for k in sb["state"]:
        assert list(sa["state"][k]) == list(sb["state"][k])
        for key, vb in sb["state"][k].items():
            va = sa["state"][k][key]
            assert isinstance(va, torchlike.Tensor)
            assert str(va.dtype) == str(vb.dtype), key
            assert_close(va, vb, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=IDS)
def test_trajectory_matches_torch(name, kwargs):
    """100 steps on a fixed sequence of random gradients; the third parameter never gets a
    gradient (skipped by both), and the trajectories agree to float32 rounding."""
    torch = oracle()
    ours, theirs = _pair(torch)
    opt_ours = getattr(torchlike.optim, name)(ours, **kwargs)
    opt_theirs = getattr(torch.optim, name)(theirs, **kwargs)
    _run(opt_ours, opt_theirs, ours, theirs, _grads(STEPS), torch, skip=(2,))
    _assert_state_matches(opt_ours, opt_theirs)
    assert repr(opt_ours) == repr(opt_theirs)


@pytest.mark.parametrize("name,kwargs", [CONFIGS[2], CONFIGS[5], CONFIGS[10], CONFIGS[13]],
                         ids=["SGD", "Adam", "RMSprop", "Adagrad"])
def test_closure_gradients_from_the_params(name, kwargs):
    """Gradients of a fixed function of the params, each side computing its own by backward
    inside ``step(closure)``; the closure runs with grad enabled even when step is called
    under no_grad."""
    torch = oracle()
    ours, theirs = _pair(torch, shapes=SHAPES[:2])
    opt_ours = getattr(torchlike.optim, name)(ours, **kwargs)
    opt_theirs = getattr(torch.optim, name)(theirs, **kwargs)

    def closure_for(T, opt, params):
        def closure():
            opt.zero_grad()
            loss = ((params[0] - 0.5) ** 2).sum() + (params[0].sum(0)[:1] * params[1][:1]).sum() + (params[1] ** 4).mean()
            loss.backward()
            return loss
        return closure

    c_ours, c_theirs = closure_for(torchlike, opt_ours, ours), closure_for(torch, opt_theirs, theirs)
    for _ in range(STEPS):
        with torchlike.no_grad():
            loss_ours = opt_ours.step(c_ours)
        loss_theirs = opt_theirs.step(c_theirs)
        assert_close(loss_ours, loss_theirs, rtol=1e-4, atol=1e-5)
    # Here each side's gradients come from its own forward, so rounding differences feed back
    # through the loss: 100 steps of that drift slightly more than with shared gradients.
    for a, b in zip(ours, theirs):
        assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_param_groups_with_own_options():
    torch = oracle()
    ours, theirs = _pair(torch)

    def groups(p):
        return [{"params": p[:2], "lr": 0.02}, {"params": [p[2]], "momentum": 0.5, "weight_decay": 0.1}]

    opt_ours = torchlike.optim.SGD(groups(ours), lr=0.1, momentum=0.9)
    opt_theirs = torch.optim.SGD(groups(theirs), lr=0.1, momentum=0.9)
    assert repr(opt_ours) == repr(opt_theirs)
    _run(opt_ours, opt_theirs, ours, theirs, _grads(20), torch)
    _assert_state_matches(opt_ours, opt_theirs)


def test_update_is_in_place_and_keeps_identity():
    torchlike.manual_seed(0)
    p = torchlike.randn(3, 4, requires_grad=True)
    view = p.detach()
    opt = torchlike.optim.Adam([p], lr=0.1)
    p.grad = torchlike.ones(3, 4)
    version = p._version
    opt.step()
    state = opt.state[p]
    exp_avg = state["exp_avg"]
    assert opt.param_groups[0]["params"][0] is p
    assert p._version == version + 1 and p.is_leaf and p.requires_grad
    assert np.array_equal(view.numpy(), p.detach().numpy())  # detach() shares storage
    p.grad = torchlike.ones(3, 4)
    opt.step()
    assert opt.state[p]["exp_avg"] is exp_avg and exp_avg._version == 2
    assert float(state["step"]) == 2.0


def test_scheduler_lr_changes_do_not_recompile(monkeypatch):
    from torchlike.optim import optimizer
    traces = []  # the group update's Python runs only while JAX traces it
    real = optimizer._group_update
    monkeypatch.setattr(optimizer, "_group_update", lambda *a: traces.append(1) or real(*a))
    ours = [torchlike.tensor(np.ones(s, np.float32), requires_grad=True) for s in SHAPES]
    opt = torchlike.optim.SGD(ours, lr=0.1, momentum=0.9)
    sched = torchlike.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=20)
    for g in _grads(3):
        _set_grads(ours, g, torchlike)
        opt.step()
        sched.step()
    ours[0].tolist()
    size = len(traces)
    for g in _grads(5, seed=2):
        _set_grads(ours, g, torchlike)
        opt.step()
        sched.step()
        ours[0].tolist()
    assert len(traces) == size


def test_state_dict_round_trip_continues_identically():
    torch = oracle()
    ours, _ = _pair(torch)
    opt = torchlike.optim.Adam(ours, lr=0.01, amsgrad=True)
    grads = _grads(30)
    for g in grads[:10]:
        _set_grads(ours, g, torchlike)
        opt.step()
    copies = [torchlike.tensor(p.detach().numpy().copy(), requires_grad=True) for p in ours]
    sd = opt.state_dict()
    assert sd["state"][0]["exp_avg"] is opt.state[ours[0]]["exp_avg"]  # live tensors, as PyTorch
    clone = torchlike.optim.Adam(copies, lr=0.5)
    clone.load_state_dict({"state": {k: {n: v.clone() for n, v in s.items()} for k, s in sd["state"].items()},
                           "param_groups": sd["param_groups"]})
    assert clone.param_groups[0]["lr"] == 0.01 and clone.param_groups[0]["params"][0] is copies[0]
    for g in grads[10:]:
        _set_grads(ours, g, torchlike)
        _set_grads(copies, g, torchlike)
        opt.step()
        clone.step()
    for a, b in zip(ours, copies):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def _state_dict_from_torch(sd):
    """A torch optimizer state_dict with every tensor converted through NumPy."""
    def conv(v):
        return torchlike.tensor(v.detach().numpy()) if hasattr(v, "detach") else v
    return {"state": {k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.parametrize("name,kwargs", [CONFIGS[1], CONFIGS[6], CONFIGS[8], CONFIGS[11], CONFIGS[13]],
                         ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_load_torch_state_dict_and_continue(name, kwargs):
    torch = oracle()
    _, theirs = _pair(torch)
    opt_theirs = getattr(torch.optim, name)(theirs, **kwargs)
    grads = _grads(40)
    for g in grads[:20]:
        _set_grads(theirs, g, torch, skip=(2,))
        opt_theirs.step()
    ours = [torchlike.tensor(p.detach().numpy().copy(), requires_grad=True) for p in theirs]
    opt_ours = getattr(torchlike.optim, name)(ours, lr=123.0)
    opt_ours.load_state_dict(_state_dict_from_torch(opt_theirs.state_dict()))
    _assert_state_matches(opt_ours, opt_theirs, rtol=0, atol=0)
    _run(opt_ours, opt_theirs, ours, theirs, grads[20:], torch, skip=(2,), check_every=5)
    _assert_state_matches(opt_ours, opt_theirs)


def test_load_state_dict_errors():
    torch = oracle()
    ours, theirs = _pair(torch)
    for T, ps in ((torchlike, ours), (torch, theirs)):
        opt = T.optim.SGD(ps)
        sd = opt.state_dict()
        with pytest.raises(ValueError, match="different number of parameter groups"):
            T.optim.SGD([{"params": ps[:1]}, {"params": ps[1:]}]).load_state_dict(sd)
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            T.optim.SGD(ps[:2]).load_state_dict(sd)


def test_float64_and_complex_params():
    torch = oracle()
    ours, theirs = _pair(torch, dtype="float64")
    opt_ours, opt_theirs = torchlike.optim.Adam(ours, lr=0.01), torch.optim.Adam(theirs, lr=0.01)
    _run(opt_ours, opt_theirs, ours, theirs, _grads(20, dtype="float64"), torch, rtol=1e-12, atol=1e-13)
    _assert_state_matches(opt_ours, opt_theirs, rtol=1e-12, atol=1e-13)

    rng = np.random.default_rng(3)
    z = (rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype(np.complex64)
    for name, kwargs in (("Adam", {"lr": 0.05, "amsgrad": True}), ("Adagrad", {"initial_accumulator_value": 0.2}),
                         ("SGD", {"lr": 0.1, "momentum": 0.9})):
        a, b = torchlike.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
        opt_a, opt_b = getattr(torchlike.optim, name)([a], **kwargs), getattr(torch.optim, name)([b], **kwargs)
        for i in range(10):
            g = (z * (i + 1) * 0.3 - 0.2j).astype(np.complex64)
            a.grad, b.grad = torchlike.tensor(g), torch.tensor(g)
            opt_a.step()
            opt_b.step()
        assert_close(a, b)
        _assert_state_matches(opt_a, opt_b)


def test_zero_grad():
    torch = oracle()
    for T in (torchlike, torch):
        p = T.ones(2, requires_grad=True)
        opt = T.optim.SGD([p], lr=0.1)
        (p * 3).sum().backward()
        grad = p.grad
        opt.zero_grad(set_to_none=False)
        assert p.grad is grad and p.grad.tolist() == [0.0, 0.0]
        opt.zero_grad()
        assert p.grad is None
        opt.step()  # no gradients: nothing to do
        assert p.tolist() == [1.0, 1.0]


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
        return type(e).__name__, str(e)
    return None


BAD_ARGS = [
    ("SGD", {"lr": -0.1}), ("SGD", {"momentum": -1}), ("SGD", {"weight_decay": -1}), ("SGD", {"nesterov": True}),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}), ("SGD", {"foreach": True, "fused": True}),
    ("Adam", {"lr": -1.0}), ("Adam", {"eps": -1.0}), ("Adam", {"betas": (1.0, 0.9)}), ("Adam", {"betas": (0.9, -0.1)}),
    ("Adam", {"weight_decay": -1.0}), ("Adam", {"betas": (0.9, 1)}), ("AdamW", {"betas": (0.9, 1.5)}),
    ("RMSprop", {"lr": -1.0}), ("RMSprop", {"eps": -1.0}), ("RMSprop", {"momentum": -1.0}),
    ("RMSprop", {"weight_decay": -1.0}), ("RMSprop", {"alpha": -1.0}),
    ("Adagrad", {"lr": -1.0}), ("Adagrad", {"lr_decay": -1.0}), ("Adagrad", {"weight_decay": -1.0}),
    ("Adagrad", {"initial_accumulator_value": -1.0}), ("Adagrad", {"eps": -1.0}),
]


@pytest.mark.parametrize("name,kwargs", BAD_ARGS)
def test_invalid_hyperparameters(name, kwargs):
    torch = oracle()
    ours, theirs = _pair(torch, shapes=[(2,)])
    expected = _outcome(lambda: getattr(torch.optim, name)(theirs, **kwargs))
    assert expected is not None
    assert _outcome(lambda: getattr(torchlike.optim, name)(ours, **kwargs)) == expected


def test_param_errors_match_torch():
    torch = oracle()

    def cases(T):
        p = T.ones(2, requires_grad=True)
        q = T.zeros(3, requires_grad=True)
        return [
            lambda: T.optim.SGD(p),
            lambda: T.optim.SGD([]),
            lambda: T.optim.SGD([p, 5]),
            lambda: T.optim.SGD([p * 2]),
            lambda: T.optim.SGD([{"params": {p}}]),
            lambda: T.optim.SGD([{"params": [p]}, {"params": p}]),
            lambda: T.optim.SGD([p]).add_param_group([q]),
            lambda: T.optim.SGD([{"params": [p]}, {"params": [("q", q)]}]),
            lambda: T.optim.SGD([{"params": [("p", p), q]}]),
        ]

    for ours, theirs in zip(cases(torchlike), cases(torch)):
        expected = _outcome(theirs)
        assert expected is not None
        assert _outcome(ours) == expected


def test_add_param_group_and_named_params():
    torch = oracle()
    reprs, dicts = [], []
    for T in (torchlike, torch):
        p, q = T.ones(2, requires_grad=True), T.zeros(3, requires_grad=True)
        opt = T.optim.Adam([("w", p)], lr=0.1)
        opt.add_param_group({"params": [("b", q)], "betas": (0.5, 0.6)})
        reprs.append(repr(opt))
        dicts.append(opt.state_dict()["param_groups"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            T.optim.SGD([p, p])
        assert [str(w.message) for w in caught if "duplicate" in str(w.message)]
    assert reprs[0] == reprs[1]
    assert dicts[0] == dicts[1]


def test_step_hooks_and_module_names():
    torch = oracle()
    calls = []
    p = torchlike.ones(2, requires_grad=True)
    opt = torchlike.optim.SGD([p], lr=1.0)
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    p.grad = torchlike.ones(2)
    opt.step()
    h1.remove()
    h2.remove()
    opt.step()
    assert calls == [("pre", True), ("post", True)]
    assert p.tolist() == [-1.0, -1.0]
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        assert getattr(torchlike.optim, name).__module__ == getattr(torch.optim, name).__module__
    assert torchlike.optim.Optimizer.__module__ == torch.optim.Optimizer.__module__


def test_unsupported_features_raise_not_implemented():
    p = torchlike.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"torch\.optim\.Adam\(differentiable=True\)"):
        torchlike.optim.Adam([p], differentiable=True)
    with pytest.raises(NotImplementedError, match=r"torch\.optim\.LBFGS"):
        torchlike.optim.LBFGS([p])


def test_tensor_subclass_parameters_and_tensor_lr():
    torch = oracle()

    class Param(torchlike.Tensor):
        pass

    p = Param._wrap(torchlike.ones(3)._s[0])
    p.requires_grad_(True)
    lr = torchlike.tensor(0.5)
    opt = torchlike.optim.SGD([p], lr=lr, momentum=0.5)
    tp = torch.ones(3, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=torch.tensor(0.5), momentum=0.5)
    for i in range(3):
        p.grad, tp.grad = torchlike.full((3,), float(i)), torch.full((3,), float(i))
        opt.step()
        topt.step()
    assert type(opt.param_groups[0]["params"][0]) is Param
    assert_close(p, tp)


def test_step_dtype_follows_default_dtype_and_deepcopy():
    import copy
    torch = oracle()
    dtypes = []
    for T in (torchlike, torch):
        prev = T.get_default_dtype()
        T.set_default_dtype(T.float64)
        try:
            p = T.ones(2, dtype=T.float32, requires_grad=True)
            opt = T.optim.RMSprop([p])
            p.grad = T.ones(2, dtype=T.float32)
            opt.step()
        finally:
            T.set_default_dtype(prev)
        twin = copy.deepcopy(opt)
        twin_p = twin.param_groups[0]["params"][0]
        assert twin_p is not p and twin.state[twin_p]["step"] is not opt.state[p]["step"]
        dtypes.append((str(opt.state[p]["step"].dtype), str(opt.state[p]["square_avg"].dtype), repr(twin) == repr(opt)))
    assert dtypes[0] == dtypes[1]
