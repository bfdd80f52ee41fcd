"""torchlike.optim.lr_scheduler against torch.optim.lr_scheduler: each schedule is built the same
way on both sides and stepped 120+ times; lrs (and cycled momenta/betas) must be identical, as
must state_dicts and errors. No gradients are set, so ``optimizer.step()`` updates nothing."""
import math
import warnings

import pytest

import torchlike
from oracle import oracle

STEPS = 120


def _optimizer(T, kind="SGD", groups=1):
    params = [T.ones(2, requires_grad=True) for _ in range(groups)]
    if kind == "SGD":
        return T.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], lr=0.1, momentum=0.9)
    return T.optim.Adam([{"params": [p], "lr": 0.01 * (i + 1)} for i, p in enumerate(params)], lr=0.01)


def _lambda(epoch):
    return 0.95 ** epoch


def _mult(epoch):
    return 0.9 if epoch % 3 else 1.05


SCHEDULES = {
    "StepLR": lambda S, o: S.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 75], gamma=0.3),
    "ExponentialLR": lambda S, o: S.ExponentialLR(o, gamma=0.97),
    "CosineAnnealingLR": lambda S, o: S.CosineAnnealingLR(o, T_max=25, eta_min=0.001),
    "LambdaLR": lambda S, o: S.LambdaLR(o, lr_lambda=_lambda),
    "LambdaLR-list": lambda S, o: S.LambdaLR(o, lr_lambda=[_lambda, lambda e: 1 / (e + 1)]),
    "MultiplicativeLR": lambda S, o: S.MultiplicativeLR(o, lr_lambda=_mult),
    "LinearLR": lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=40),
    "ConstantLR": lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=30),
    "PolynomialLR": lambda S, o: S.PolynomialLR(o, total_iters=90, power=2.0),
    "CosineAnnealingWarmRestarts": lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-4),
    "OneCycleLR-cos": lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=STEPS + 1),
    "OneCycleLR-linear-3phase": lambda S, o: S.OneCycleLR(
        o, max_lr=0.5, epochs=11, steps_per_epoch=11, pct_start=0.25, anneal_strategy="linear", div_factor=10.0,
        final_div_factor=100.0, three_phase=True, base_momentum=0.8, max_momentum=0.9),
    "OneCycleLR-nomomentum": lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=STEPS, cycle_momentum=False),
    "SequentialLR": lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=10), S.ExponentialLR(o, gamma=0.9),
            S.CosineAnnealingLR(o, T_max=30)], milestones=[10, 50]),
    "ChainedScheduler": lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=20),
                                                         S.ExponentialLR(o, gamma=0.98)]),
}


def _trace(T, name, kind, steps=STEPS):
    opt = _optimizer(T, kind, groups=2)
    sched = SCHEDULES[name](T.optim.lr_scheduler, opt)
    out = [(list(sched.get_last_lr()), [dict((k, g[k]) for k in ("lr", "momentum", "betas") if k in g)
                                        for g in opt.param_groups])]
    for _ in range(steps - 1 if name.startswith("OneCycleLR-n") else steps):
        opt.step()
        sched.step()
        out.append((list(sched.get_last_lr()), [dict((k, g[k]) for k in ("lr", "momentum", "betas") if k in g)
                                                for g in opt.param_groups]))
    return opt, sched, out


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_lr_sequence_identical(name, kind):
    torch = oracle()
    opt_ours, sched_ours, ours = _trace(torchlike, name, kind)
    opt_theirs, sched_theirs, theirs = _trace(torch, name, kind)
    assert ours == theirs
    assert opt_ours.state_dict()["param_groups"] == opt_theirs.state_dict()["param_groups"]
    assert _plain(sched_ours.state_dict()) == _plain(sched_theirs.state_dict())


def _plain(sd):
    """A scheduler state_dict with callables and nested dicts made comparable."""
    if isinstance(sd, dict):
        return {k: _plain(v) for k, v in sd.items() if k not in ("optimizer",)}
    if isinstance(sd, list):
        return [_plain(v) for v in sd]
    if callable(sd):
        return "<callable>"
    return sd


@pytest.mark.parametrize("mode,threshold_mode", [("min", "rel"), ("max", "abs")])
def test_reduce_lr_on_plateau(mode, threshold_mode):
    torch = oracle()
    metrics = [math.sin(i / 5.0) + (0.01 * i if mode == "max" else -0.01 * i) for i in range(STEPS)]
    traces = []
    for T in (torchlike, torch):
        opt = _optimizer(T, groups=2)
        sched = T.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=mode, factor=0.5, patience=3, threshold=0.01,
                                                       threshold_mode=threshold_mode, cooldown=2, min_lr=[0.01, 0.002])
        trace = []
        for m in metrics:
            opt.step()
            sched.step(T.tensor(m))
            trace.append((sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter, sched.best))
        traces.append((trace, _plain(sched.state_dict())))
    assert traces[0] == traces[1]


def test_state_dict_resume_continues_identically():
    torch = oracle()
    results = []
    for T in (torchlike, torch):
        opt = _optimizer(T)
        sched = T.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15)
        for _ in range(20):
            opt.step()
            sched.step()
        sd, opt_sd = sched.state_dict(), opt.state_dict()
        opt2 = _optimizer(T)
        opt2.load_state_dict(opt_sd)
        sched2 = T.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=15, last_epoch=19)
        sched2.load_state_dict(sd)
        lrs = []
        for _ in range(30):
            opt.step()
            sched.step()
            opt2.step()
            sched2.step()
            lrs.append((sched.get_last_lr(), sched2.get_last_lr()))
        assert all(a == b for a, b in lrs)
        results.append(lrs)
    assert results[0] == results[1]


def test_initial_lr_and_closed_form_epoch():
    torch = oracle()
    outs = []
    for T in (torchlike, torch):
        opt = _optimizer(T)
        sched = T.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt.step()
            sched.step(7)
        outs.append((opt.param_groups[0]["initial_lr"], sched.base_lrs, sched.get_last_lr(), sched.last_epoch,
                     [str(w.message) for w in caught]))
    assert outs[0] == outs[1]


def _outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
        except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
            return type(e).__name__, str(e)
    return [(w.category.__name__, str(w.message)) for w in caught]


def _overstep(T):
    opt = _optimizer(T)
    sched = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    for _ in range(3):
        opt.step()
        sched.step()


def _cases(T):
    S = T.optim.lr_scheduler
    return [
        lambda: S.StepLR(object(), 3),
        lambda: S.StepLR(_optimizer(T), 3, last_epoch=4),
        lambda: S.ConstantLR(_optimizer(T), factor=2.0),
        lambda: S.LinearLR(_optimizer(T), start_factor=0),
        lambda: S.LinearLR(_optimizer(T), end_factor=1.5),
        lambda: S.LambdaLR(_optimizer(T), lr_lambda=[_lambda, _lambda]),
        lambda: S.MultiplicativeLR(_optimizer(T), lr_lambda=3),
        lambda: S.OneCycleLR(_optimizer(T), max_lr=1.0),
        lambda: S.OneCycleLR(_optimizer(T), max_lr=1.0, total_steps=0),
        lambda: S.OneCycleLR(_optimizer(T), max_lr=1.0, epochs=2, steps_per_epoch=-1),
        lambda: S.OneCycleLR(_optimizer(T), max_lr=1.0, total_steps=10, pct_start=1),
        lambda: S.OneCycleLR(_optimizer(T), max_lr=1.0, total_steps=10, anneal_strategy="exp"),
        lambda: S.OneCycleLR(_optimizer(T), max_lr=[1.0, 2.0], total_steps=10),
        lambda: S.OneCycleLR(T.optim.Adagrad([T.ones(1, requires_grad=True)]), max_lr=1.0, total_steps=10),
        lambda: _overstep(T),
        lambda: S.ReduceLROnPlateau(_optimizer(T), factor=1.0),
        lambda: S.ReduceLROnPlateau(_optimizer(T), mode="avg"),
        lambda: S.ReduceLROnPlateau(_optimizer(T), threshold_mode="x"),
        lambda: S.ReduceLROnPlateau(_optimizer(T), min_lr=[0.1, 0.2]),
        lambda: S.SequentialLR(o := _optimizer(T), [S.StepLR(o, 2)], milestones=[3]),
        lambda: S.SequentialLR(o := _optimizer(T), [S.ReduceLROnPlateau(o)], milestones=[]),
        lambda: S.ChainedScheduler([]),
        lambda: S.CosineAnnealingWarmRestarts(_optimizer(T), T_0=0),
        lambda: S.CosineAnnealingWarmRestarts(_optimizer(T), T_0=2, T_mult=0),
        lambda: S.ExponentialLR(o := _optimizer(T), 0.5).step(),  # lr_scheduler.step() before optimizer.step()
    ]


def test_errors_and_warnings_match_torch():
    torch = oracle()
    for ours, theirs in zip(_cases(torchlike), _cases(torch)):
        expected = _outcome(theirs)
        assert _outcome(ours) == expected


def test_cyclic_lr_not_implemented():
    with pytest.raises(NotImplementedError, match="CyclicLR"):
        torchlike.optim.lr_scheduler.CyclicLR(_optimizer(torchlike), base_lr=0.01, max_lr=0.1)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_training_under_one_cycle_matches_torch(kind):
    """The cycled lr and momentum (beta1 for Adam) reach the compiled update every step."""
    import numpy as np
    from oracle import assert_close
    torch = oracle()
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4)).astype(np.float32)
    grads = rng.standard_normal((60, 3, 4)).astype(np.float32)
    finals = []
    for T in (torchlike, torch):
        p = T.tensor(init, requires_grad=True)
        opt = T.optim.SGD([p], lr=0.1, momentum=0.9) if kind == "SGD" else T.optim.Adam([p], lr=0.01)
        sched = T.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.2, total_steps=60, three_phase=True)
        for g in grads:
            p.grad = T.tensor(g)
            opt.step()
            sched.step()
        finals.append(p)
    assert_close(finals[0], finals[1])


def test_tensor_lr_is_filled_in_place():
    torch = oracle()
    outs = []
    for T in (torchlike, torch):
        lr = T.tensor(0.5)
        opt = T.optim.SGD([T.ones(2, requires_grad=True)], lr=lr)
        sched = T.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        for _ in range(3):
            opt.step()
            sched.step()
        outs.append((opt.param_groups[0]["lr"] is lr, float(lr), [float(x) for x in sched.get_last_lr()],
                     float(opt.param_groups[0]["initial_lr"])))
    assert outs[0] == outs[1]
