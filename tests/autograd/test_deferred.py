"""Deferred execution (``torchlike/autograd/lazy.py``): eager ops are recorded and run later,
as one program per segment, with every observable effect what PyTorch gives at the call."""
import threading

import jax
import numpy as np
import pytest

import torchlike
from torchlike.autograd import lazy
from tests.oracle import assert_close, oracle

RNG = np.random.default_rng(0)
DATA = {k: RNG.standard_normal(s).astype(np.float32)
        for k, s in dict(x=(5, 3), y=(5,), w1=(3, 4), b1=(4,), w2=(4, 1), b2=(1,)).items()}


def _pending(t):
    return type(t._s).__name__ == "_PendingStorage"


@pytest.fixture(autouse=True)
def _deferring():
    """Earlier tests may have read every value at once, which makes ops run at the call for a
    while (``lazy._QUIET_OPS``): these tests start deferring."""
    lazy.flush()
    lazy.resume()


@pytest.fixture
def segments(monkeypatch):
    """Each segment run, as (ran as its own program?, had that program before?, how many
    results it returned: None for a one-op segment, which returns every result)."""
    runs = []
    run = lazy._run

    def spy(seg, values, live):
        key = (tuple(seg.ops), tuple(seg.ext_sig), live)
        had = key in lazy._programs
        run(seg, values, live)
        runs.append((key in lazy._programs, had, None if live is None else len(live)))
    monkeypatch.setattr(lazy, "_run", spy)
    return runs


def _tutorial_loop(T, steps, optimizer, read_every_step):
    x, y = T.tensor(DATA["x"]), T.tensor(DATA["y"])
    params = [T.tensor(DATA[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    opt = T.optim.SGD(params, lr=0.01, momentum=0.9) if optimizer else None
    losses = []
    for _ in range(steps):
        w1, b1, w2, b2 = params
        if opt:
            opt.zero_grad()
        loss = ((y - ((x @ w1 + b1) @ w2 + b2).squeeze()) ** 2).sum()
        loss.backward()
        if opt:
            opt.step()
        else:
            with T.no_grad():
                for p in params:
                    p -= 0.01 * p.grad
                    p.grad = None
        losses.append(loss.item() if read_every_step else loss)
    return [float(v) for v in losses], params


@pytest.mark.parametrize("optimizer", [False, True], ids=["by-hand", "SGD-momentum"])
@pytest.mark.parametrize("read_every_step", [False, True], ids=["no-reads", "item-each-step"])
def test_training_loop_matches_pytorch(segments, optimizer, read_every_step):
    torch = oracle()
    ours, params = _tutorial_loop(torchlike, 10, optimizer, read_every_step)
    theirs, tparams = _tutorial_loop(torch, 10, optimizer, read_every_step)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    for p, q in zip(params, tparams):
        assert_close(p, q)
    if not read_every_step:
        # a segment per step (the next forward starts the next one; the last one, run by the
        # reads after the loop, still returns the gradients), the later ones run as one program
        assert len(segments) == 10
        assert all(compiled for compiled, _, _ in segments[-3:-1])
        assert segments[-2][1]  # the step reused the program the one before compiled


def test_step_returns_only_what_is_still_referenced(segments):
    ours, params = _tutorial_loop(torchlike, 5, False, False)
    # the last full step: its parameters and the loss the loop kept; gradients, set to None, and
    # the forward's intermediates, dropped, are not results of the program
    assert segments[-2][2] == 5


def test_shape_dtype_and_device_without_running():
    x = torchlike.tensor([[1., 2.], [3., 4.]])
    y = (x * 2).sum(0, keepdim=True)
    assert _pending(y)
    assert (y.shape, y.dtype, y.device, y.dim(), len(y), y.numel(), y.size(1)) == \
        ((1, 2), torchlike.float32, x.device, 2, 1, 2, 2)
    assert _pending(y)
    assert y.tolist() == [[8., 12.]] and not _pending(y)


def test_an_error_raises_at_the_call_and_the_segment_goes_on():
    torch = oracle()
    results = []
    for T in (torchlike, torch):
        a = T.ones(2, 3) * 3
        with pytest.raises(RuntimeError) as e:
            a @ T.ones(2, 3)
        results.append((str(e.value), (a + 1).tolist()))
    assert results[0] == results[1]


def test_values_kept_across_runs():
    torch = oracle()
    out = []
    for T in (torchlike, torch):
        a = T.tensor([1., 2., 3.], requires_grad=True)
        h = a * 2           # kept while later ops run
        y = (h.exp() * a).sum()
        y.backward(retain_graph=True)  # the graph's saved values outlive the segment
        g1 = a.grad.clone()
        y.backward()
        out.append((h.tolist(), g1.tolist(), a.grad.tolist(), y.item()))
    np.testing.assert_allclose(np.array(out[0][:3]), np.array(out[1][:3]), rtol=1e-6)
    assert out[0][3] == pytest.approx(out[1][3], rel=1e-6)


def test_modified_saved_value_still_raises():
    torch = oracle()
    messages = []
    for T in (torchlike, torch):
        a = T.tensor([1., 2.], requires_grad=True)
        y = a.exp()
        y.add_(1)
        with pytest.raises(RuntimeError) as e:
            y.sum().backward()
        messages.append(str(e.value))
    assert messages[0] == messages[1]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="NumPy shares memory with tensors on the host only")
def test_numpy_of_a_deferred_tensor_shares_memory():
    x = torchlike.tensor([1., 2.])
    y = x + 1
    n = y.numpy()
    n[0] = 10.
    y.mul_(2)
    assert y.tolist() == [20., 6.] and n.tolist() == [20., 6.]


def test_deferred_values_enter_compiled_steps_and_jax_transforms():
    from torchlike.func import functional_call

    def make():
        torchlike.manual_seed(0)
        return torchlike.nn.Linear(3, 2)

    model, twin = make(), make()
    opt, topt = (torchlike.optim.SGD(m.parameters(), lr=0.1) for m in (model, twin))
    x = torchlike.tensor(DATA["x"])

    def step(m, o):
        o.zero_grad()
        loss = m(x).pow(2).mean()
        loss.backward()
        o.step()
        return loss
    compiled = torchlike.compile(lambda: step(model, opt))
    deferred = []
    for _ in range(3):
        with torchlike.no_grad():  # eager writes between compiled calls, deferred where the storage is plain
            for m in (model, twin):
                m.weight.mul_(0.9)
        deferred.append(_pending(model.weight))
        assert compiled().item() == pytest.approx(step(twin, topt).item(), rel=1e-6)
    assert_close(model.weight, twin.weight)
    assert deferred[:2] == [True, True]  # the first call runs eagerly, the second compiles

    w = model.weight * 2  # deferred, then read inside a JAX trace
    assert _pending(w)
    got = jax.jit(lambda v: functional_call(model, {"weight": torchlike.from_jax(v) + w * 0}, (x,)).jax())(
        model.weight.jax())
    assert_close(torchlike.from_jax(got), model(x))


def test_other_threads_run_eagerly():
    kinds = []
    x = torchlike.tensor([1., 2.])
    thread = threading.Thread(target=lambda: kinds.append(type((x + 1)._s).__name__))
    thread.start()
    thread.join()
    assert kinds == ["_Storage"] and _pending(x + 1)


def test_a_loop_that_never_reads_stays_bounded():
    y = torchlike.zeros(3)
    for _ in range(2 * lazy._MAX_OPS + 5):
        y = y + 1
        assert len(lazy._current.ops) <= lazy._MAX_OPS
    assert y.tolist() == [2. * lazy._MAX_OPS + 5] * 3


def test_reading_every_value_at_once_runs_ops_at_the_call():
    x = torchlike.tensor([1., 2.])
    kinds = []
    for k in range(lazy._QUIET_AFTER + 2):
        y = x * k
        kinds.append(_pending(y))
        assert y.tolist() == [k, 2. * k]
    assert kinds == [True] * lazy._QUIET_AFTER + [False] * 2
    (x.requires_grad_() * 2).sum().backward()  # a backward pass: a training loop, deferred again
    assert _pending(x * 3)


def test_compiled_segments_take_new_values(segments):
    torch = oracle()
    for k in range(5):  # the first runs go op by op, the later ones as one program
        a = np.full(3, k, np.float32)
        ours = ((torchlike.tensor(a) * 3).sin() + torchlike.tensor(float(k))).tolist()
        theirs = ((torch.tensor(a) * 3).sin() + k).tolist()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert [compiled for compiled, _, _ in segments][-3:] == [True] * 3


def test_backward_programs_of_a_changing_graph_are_let_go(monkeypatch):
    from torchlike.autograd import engine
    monkeypatch.setattr(engine, "_MAX_PROGRAMS", 3)
    a = torchlike.tensor([1., 2.], requires_grad=True)
    grads, made = [], set()
    for n in range(1, 8):  # a new graph structure each time: n multiplications
        y = a
        for _ in range(n):
            y = y * 1.5
        y.sum().backward()
        grads.append(a.grad.tolist()[0])
        made.update(e[2] for e in engine._fused.values())
    np.testing.assert_allclose(grads, np.cumsum([1.5 ** n for n in range(1, 8)]), rtol=1e-6)
    live = {e[2] for e in engine._fused.values()}
    assert len(live) <= 3 and len(made) >= 7
    assert all(lazy._fns[eid] is None and lazy._jits[eid] is None for eid in made - live)


def test_the_environment_can_turn_deferral_off():
    import os
    import subprocess
    import sys
    code = ("import torchlike; x = torchlike.tensor([1., 2.]) * 2; "
            "print(type(x._s).__name__, x.tolist())")
    kinds = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "TORCHLIKE_DEFER": value}).stdout.split()[0]
             for value in ("0", "1")]
    assert kinds == ["_Storage", "_PendingStorage"]
