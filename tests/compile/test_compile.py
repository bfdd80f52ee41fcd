"""torchlike.compile: a whole training step as one program, with the same observable effects as
running it eagerly (parameters, .grad, optimizer state, random numbers), recompiling when
shapes change, and clear errors for what cannot be compiled."""
import jax
import numpy as np
import pytest

import torchlike as torch


def _setup(momentum=0.9):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    y = torch.tensor(rng.standard_normal(5).astype(np.float32))
    w1 = torch.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b1 = torch.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    w2 = torch.tensor(rng.standard_normal((4, 1)).astype(np.float32), requires_grad=True)
    params = [w1, b1, w2]
    opt = torch.optim.SGD(params, lr=0.01, momentum=momentum)

    def step(x, y):
        opt.zero_grad()
        loss = ((y - ((x @ w1 + b1) @ w2).squeeze()) ** 2).sum()
        loss.backward()
        opt.step()
        return loss
    return x, y, params, opt, step


def _arrays(ts):
    return [np.asarray(t.detach()) for t in ts]


def test_compiled_step_matches_eager():
    x, y, p_eager, opt_eager, eager = _setup()
    x2, y2, p_comp, opt_comp, step = _setup()
    compiled = torch.compile(step)
    for _ in range(6):
        le = eager(x, y)
        lc = compiled(x2, y2)
        np.testing.assert_allclose(float(lc), float(le), rtol=1e-6)
    for a, b in zip(_arrays(p_comp), _arrays(p_eager)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for a, b in zip(p_comp, p_eager):
        np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(np.asarray(opt_comp.state[a]["momentum_buffer"]),
                                   np.asarray(opt_eager.state[b]["momentum_buffer"]), rtol=1e-6, atol=1e-7)
    assert len(compiled.programs) == 1


def test_parameters_keep_identity_and_versions_advance():
    x, y, params, opt, step = _setup()
    compiled = torch.compile(step)
    ids = [id(p) for p in params]
    before = params[0]._version
    for _ in range(3):
        compiled(x, y)
    assert [id(p) for p in params] == ids
    assert params[0]._version > before
    assert all(p.is_leaf and p.requires_grad for p in params)


def test_recompiles_for_new_shapes_and_explains(capsys):
    x, y, params, opt, step = _setup()
    compiled = torch.compile(step, explain=True)
    compiled(x, y)
    compiled(x, y)
    compiled(x, y)
    compiled(torch.cat([x, x]), torch.cat([y, y]))
    out = capsys.readouterr().out
    assert "first compilation" in out
    assert "argument shapes, dtypes or requires_grad changed: ['float32[5, 3]', 'float32[5]'] -> " \
           "['float32[10, 3]', 'float32[10]']" in out
    assert len(compiled.programs) == 2


def test_a_new_python_argument_value_is_explained(capsys):
    """A Python number argument is compiled in: a new value compiles another program, and
    explain says so, with what to pass instead."""
    w = torch.ones(3, requires_grad=True)

    def step(x, scale):
        return (w * x * scale).sum()
    compiled = torch.compile(step, explain=True)
    x = torch.ones(3)
    for scale in (2, 2, 2, 3):
        assert float(compiled(x, scale)) == 3 * scale
    out = capsys.readouterr().out
    assert "a Python argument's value changed: 2 -> 3; each value is compiled into a program of its own, " \
           "a tensor argument would reuse one" in out
    assert len(compiled.programs) == 2


def test_learning_rate_changes_without_recompiling():
    """Learning rates set between calls, by hand (some values again) or by a scheduler every
    step, are inputs of the one program."""
    x, y, params, opt, step = _setup()
    x2, y2, params2, opt2, eager = _setup()
    compiled = torch.compile(step)
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, lambda epoch: 1 / (1 + epoch)) for o in (opt, opt2)]
    for lr in (0.01, 0.02, 0.02, 0.005, 0.01, 0.001, 0.001, None, None, None, None):
        for o in (opt, opt2):
            if lr is not None:
                o.param_groups[0]["lr"] = lr
        compiled(x, y)
        eager(x2, y2)
        if lr is None:
            for sched in schedules:
                sched.step()
        for a, b in zip(_arrays(params), _arrays(params2)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert len(compiled.programs) == 1


def test_a_learning_rate_tensor_changed_in_place_is_read_each_call():
    """A learning rate held in a Tensor, set after calls with a float one, can change in place
    between calls; the compiled step must read it each call, as eagerly."""
    x, y, params, opt, step = _setup()
    x2, y2, params2, opt2, eager = _setup()
    compiled = torch.compile(step)
    lrs = [torch.tensor(0.05, dtype=torch.float64) for _ in range(2)]
    for k in range(7):
        if k == 3:
            opt.param_groups[0]["lr"], opt2.param_groups[0]["lr"] = lrs
        if k == 5:
            with torch.no_grad():
                for lr in lrs:
                    lr.fill_(0.001)
        compiled(x, y)
        eager(x2, y2)
        for a, b in zip(_arrays(params), _arrays(params2)):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_random_numbers_advance_like_eager():
    """Draws advance the generator as eagerly, and manual_seed() between calls (a new seed, or
    an old one again) gives the numbers it gives eagerly."""
    w = torch.ones(3, requires_grad=True)

    def step():
        return w * torch.rand(3)

    def run(fn):
        out = []
        for seed in (0, None, None, 5, None, 0, 7):
            if seed is not None:
                torch.manual_seed(seed)
            out.append(np.asarray(fn().detach()))
        return np.stack(out)
    eager = run(step)
    compiled = torch.compile(step)
    ours = run(compiled)
    np.testing.assert_array_equal(ours, eager)
    assert len({tuple(a) for a in ours}) == 6  # only the draws right after manual_seed(0) agree
    assert len(compiled.programs) == 1


def test_classifier_steps_compile_with_eager_results():
    """Losses and layers that check their inputs' values eagerly (class targets in range,
    probabilities in [0, 1], embedding indices) compile: a traced step cannot know the values,
    so it leaves those checks to eager calls, and computes the same results."""
    from torchlike import nn

    def make():
        torch.manual_seed(0)
        emb, head = nn.Embedding(10, 4), nn.Linear(4, 3)
        weight = torch.tensor([1.0, 2.0, 0.5])
        ce = nn.CrossEntropyLoss(weight=weight, ignore_index=1, label_smoothing=0.1)
        bce = nn.BCELoss()
        opt = torch.optim.SGD([*emb.parameters(), *head.parameters()], lr=0.1)

        def step(tokens, labels):
            opt.zero_grad()
            logits = head(emb(tokens))
            loss = ce(logits, labels) + bce(torch.sigmoid(logits[:, 0]), (labels == 0).float())
            loss.backward()
            opt.step()
            return loss
        return [*emb.parameters(), *head.parameters()], step

    tokens, labels = torch.tensor([1, 4, 7, 9, 0]), torch.tensor([0, 1, 2, 2, 0])
    p_eager, eager = make()
    p_comp, step = make()
    compiled = torch.compile(step)
    for _ in range(4):
        np.testing.assert_allclose(float(compiled(tokens, labels)), float(eager(tokens, labels)), rtol=1e-5)
    for a, b in zip(p_comp, p_eager):
        np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=1e-5, atol=1e-6)
    assert len(compiled.programs) == 1


def test_item_inside_step_names_the_operation():
    w = torch.ones(3, requires_grad=True)

    def step():
        loss = (w * 2).sum()
        if loss.item() > 0:
            loss.backward()
        return loss
    compiled = torch.compile(step)
    compiled()
    with pytest.raises(RuntimeError, match=r"Tensor.item\(\).*fallback='eager'"):
        compiled()


def test_fallback_eager_runs_the_step():
    w = torch.ones(3, requires_grad=True)

    def step():
        loss = (w * 2).sum()
        if loss.item() > 0:
            loss.backward()
        return loss
    compiled = torch.compile(step, fallback="eager")
    for _ in range(3):
        compiled()
    np.testing.assert_allclose(np.asarray(w.grad), [6.0, 6.0, 6.0])


def test_compiled_module_is_one_node_with_eager_gradients_and_buffers():
    from torchlike import nn

    def make():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                             nn.Dropout(0.5), nn.Linear(4 * 8 * 8, 2))
    x = torch.rand(2, 3, 8, 8)
    eager, inner = make(), make()
    compiled = torch.compile(inner)
    for _ in range(2):
        torch.manual_seed(1)
        le = eager(x).sum()
        le.backward()
        torch.manual_seed(1)
        out = compiled(x)
        assert out.grad_fn.name() == "CompiledFunctionBackward"
        lc = out.sum()
        lc.backward()
        np.testing.assert_allclose(float(lc), float(le), rtol=1e-5)
    for p, q in zip(eager.parameters(), inner.parameters()):
        np.testing.assert_allclose(np.asarray(q.grad), np.asarray(p.grad), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(inner[1].running_var), np.asarray(eager[1].running_var), rtol=1e-6)
    assert int(inner[1].num_batches_tracked) == 2
    for name in ("running_mean", "running_var", "num_batches_tracked"):  # versions advance as eagerly
        assert getattr(inner[1], name)._version == getattr(eager[1], name)._version, name
    eager.eval()
    compiled.eval()
    np.testing.assert_allclose(np.asarray(compiled(x).detach()), np.asarray(eager(x).detach()), rtol=1e-5,
                               atol=1e-6)


def test_state_the_step_leaves_alone_keeps_its_version():
    """A parameter the step does not update (frozen: no .grad, so SGD skips it) is not
    written back: its version stays where an eager step leaves it."""
    x, y, p_eager, _, eager = _setup()
    x2, y2, p_comp, _, step = _setup()
    for params in (p_eager, p_comp):
        params[1].requires_grad_(False)
    compiled = torch.compile(step)
    for _ in range(4):
        np.testing.assert_allclose(float(compiled(x2, y2)), float(eager(x, y)), rtol=1e-6)
    assert [p._version for p in p_comp] == [p._version for p in p_eager]
    assert p_comp[0]._version > 0


def test_model_and_optimizer_passed_as_arguments_are_state():
    from torchlike import nn

    def make():
        torch.manual_seed(0)
        model = nn.Linear(3, 1)
        return model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(model, opt, x, y):
        opt.zero_grad()
        loss = ((model(x).squeeze(1) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    x, y = torch.rand(4, 3), torch.rand(4)
    m1, o1 = make()
    m2, o2 = make()
    compiled = torch.compile(step)
    for _ in range(4):
        le = step(m1, o1, x, y)
        lc = compiled(m2, o2, x, y)
        np.testing.assert_allclose(float(lc), float(le), rtol=1e-6)
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_allclose(np.asarray(q.detach()), np.asarray(p.detach()), rtol=1e-6, atol=1e-7)
    assert len(compiled.programs) == 1


def test_eager_changes_between_compiled_calls_are_seen():
    """The compiled step reuses what it knows of the state while every tensor still holds what
    the last program wrote; writes, .grad changes, requires_grad flips and hyperparameter
    changes made eagerly between calls must still be seen, as an eager step sees them."""
    def setup():
        x, y, params, opt, _ = _setup()
        w1, b1, w2 = params

        def step(x, y):  # no zero_grad: gradients accumulate, so .grad is state too
            loss = ((y - ((x @ w1 + b1) @ w2).squeeze()) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return x, y, params, opt, step

    def between(k, params, opt):
        w1, b1, w2 = params
        if k == 2:
            with torch.no_grad():
                w1.mul_(0.5)
        elif k == 3:
            b1.grad = None
        elif k == 4:
            w2.grad.zero_()
        elif k == 5:
            opt.param_groups[0]["momentum"] = 0.5
        elif k == 6:
            w2.requires_grad_(False)
            w2.grad = None

    x, y, p_eager, opt_eager, eager = setup()
    x2, y2, p_comp, opt_comp, step = setup()
    compiled = torch.compile(step)
    for k in range(9):
        between(k, p_eager, opt_eager)
        between(k, p_comp, opt_comp)
        le, lc = eager(x, y), compiled(x2, y2)
        np.testing.assert_allclose(float(lc), float(le), rtol=1e-5)
        for a, b in zip(p_comp, p_eager):
            np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=1e-5, atol=1e-6)
            assert (a.grad is None) == (b.grad is None) and a.requires_grad == b.requires_grad
            if a.grad is not None:
                np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-5, atol=1e-6)


def test_a_step_that_gives_a_tensor_a_grad_it_had_not_then_accumulates_into_it():
    """A program made for a state where one parameter has no .grad gives it one; the next call
    must accumulate into it, as eagerly, not run that program again as if it had none."""
    def setup():
        x, y, params, opt, _ = _setup(momentum=0.0)
        w1, b1, w2 = params

        def step(x, y):  # no zero_grad: gradients accumulate
            loss = ((y - ((x @ w1 + b1) @ w2).squeeze()) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return x, y, params, step

    x, y, p_eager, eager = setup()
    x2, y2, p_comp, step = setup()
    compiled = torch.compile(step)
    for k in range(5):
        if k == 1:
            p_eager[1].grad = p_comp[1].grad = None
        le, lc = eager(x, y), compiled(x2, y2)
        np.testing.assert_allclose(float(lc), float(le), rtol=1e-5)
        for a, b in zip(p_comp, p_eager):
            np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_conv_step_keeps_weights_in_xla_layout_with_eager_results(set_to_none):
    """On the CPU a compiled step stores conv weights, their .grad and momentum in the layout
    XLA's convolutions use (layout.py); users must still see PyTorch's OIHW values, eager
    writes between calls must be seen, and the relayout must not cost a second compilation."""
    from torchlike import nn
    from torchlike._tensor import _LayoutStorage

    def make():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(4, 6, 3, groups=2, bias=False), nn.Flatten(), nn.Linear(6 * 2 * 2, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)

        def step(x):
            opt.zero_grad(set_to_none=set_to_none)
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        return model, opt, step
    x = torch.rand(2, 3, 8, 8)
    m_eager, o_eager, eager = make()
    m_comp, o_comp, step = make()
    compiled = torch.compile(step)
    for k in range(6):
        if k == 4:  # an eager write through .data, which shares the weight's storage
            for m in (m_eager, m_comp):
                m[0].weight.data.mul_(0.5)
        np.testing.assert_allclose(float(compiled(x)), float(eager(x)), rtol=1e-5)
        if k == 2:
            assert m_comp[0].weight._s.__class__ is _LayoutStorage
            assert m_comp[0].weight.grad._s.__class__ is _LayoutStorage
    assert len(compiled.programs) == 1
    # JAX code reading a weight inside its own trace (interop) gets, and leaves, concrete values
    w = m_comp[0].weight
    assert list.__getitem__(w._s, 2) is None  # not read since the last compiled call wrote it
    read = jax.jit(lambda a: a + w.jax())(jax.numpy.zeros((4, 3, 3, 3), jax.numpy.float32))
    np.testing.assert_allclose(np.asarray(read), np.asarray(m_eager[0].weight.detach()), rtol=1e-4, atol=1e-6)
    assert not isinstance(w.jax(), jax.core.Tracer)
    for (name, a), b in zip(m_comp.state_dict().items(), m_eager.state_dict().values()):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6, err_msg=name)
    for a, b in zip(m_comp.parameters(), m_eager.parameters()):
        np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-4, atol=1e-6)
        buf_a, buf_b = o_comp.state[a]["momentum_buffer"], o_eager.state[b]["momentum_buffer"]
        assert buf_a.shape == buf_b.shape
        np.testing.assert_allclose(np.asarray(buf_a), np.asarray(buf_b), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(torch.compile(m_comp)(x).detach()), np.asarray(m_eager(x).detach()),
                               rtol=1e-4, atol=1e-5)
    shared = m_comp[0].weight.detach().numpy()  # shares memory, in PyTorch's layout
    assert shared.shape == (4, 3, 3, 3)
    shared[0] = 0.0
    np.testing.assert_array_equal(np.asarray(m_comp[0].weight.detach()[0]), np.zeros((3, 3, 3), np.float32))


@pytest.mark.parametrize("set_to_none", [True, False])
def test_small_state_is_packed_with_eager_results(set_to_none):
    """Small tensors a compiled step writes come back packed in one buffer per dtype
    (pack.py). Users must still read each tensor's own values; a .grad held from an earlier
    step must keep its values when zero_grad() replaced it (and be the same, updated Tensor
    when zero_grad(set_to_none=False) zeroed it in place), as eagerly; and steps that pack
    the same tensors differently, or tensors of two packs alike, must not mix them up."""
    from torchlike import nn
    from torchlike._compile.pack import Packed

    def make():
        torch.manual_seed(0)
        m1, m2 = nn.Linear(3, 2), nn.Linear(3, 2)
        o1 = torch.optim.SGD(m1.parameters(), lr=0.1, momentum=0.9)
        o2 = torch.optim.SGD(m2.parameters(), lr=0.1, momentum=0.9)

        def one(m, o):
            def step(x):
                o.zero_grad(set_to_none=set_to_none)
                loss = (m(x) ** 2).sum()
                loss.backward()
                o.step()
                return loss
            return step

        def both(x):
            o1.zero_grad(set_to_none=set_to_none)
            o2.zero_grad(set_to_none=set_to_none)
            loss = (m1(x) * m2(x)).sum()
            loss.backward()
            o1.step()
            o2.step()
            return loss

        def evaluate(x):  # reads both models' packed state, writes none of it
            with torch.no_grad():
                return (m1(x) * m2(x)).sum()
        return (m1, m2), [one(m1, o1), one(m2, o2), both, evaluate]
    x = torch.rand(4, 3)
    (e1, e2), eager = make()
    (c1, c2), steps = make()
    compiled = [torch.compile(s) for s in steps]
    # both() and evaluate() run eagerly first (a compiled step's first call), then find m1 and
    # m2 packed by two steps whose plans look alike
    for k, i in enumerate([0, 1, 0, 1, 3, 2, 0, 1, 3, 2, 2, 0, 1, 3]):
        held_e, held_c = e1.weight.grad, c1.weight.grad
        before = None if held_c is None else np.asarray(held_c)
        np.testing.assert_allclose(float(compiled[i](x)), float(eager[i](x)), rtol=1e-5)
        if held_c is not None:
            assert (c1.weight.grad is held_c) == (e1.weight.grad is held_e)
            assert held_c._version == held_e._version
            np.testing.assert_allclose(np.asarray(held_c), np.asarray(held_e), rtol=1e-5, atol=1e-6)
            if held_c is not c1.weight.grad:
                np.testing.assert_array_equal(np.asarray(held_c), before)
        if k == 7:
            assert type(list.__getitem__(c1.bias._s, 1)) is Packed
            assert type(list.__getitem__(c1.weight.grad._s, 1)) is Packed
            assert len(compiled[0].programs) == 1
        for a, b in zip([*c1.parameters(), *c2.parameters()], [*e1.parameters(), *e2.parameters()]):
            np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=1e-5, atol=1e-6)
            assert (a.grad is None) == (b.grad is None) and a._version == b._version
            if a.grad is not None:
                np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-5, atol=1e-6)


def test_a_replaced_grad_is_new_to_everything_that_can_see_the_old_one():
    """zero_grad() then backward() gives each parameter a new .grad. A compiled step may write
    the new gradient into the old Tensor when nothing else can see that Tensor (bind.py); a
    detached copy, a weak reference, an attribute or requires_grad set on the old one must all
    see what they see eagerly."""
    import weakref

    def between(k, w):
        if k == 3:
            return w.grad.detach()
        if k == 4:
            return weakref.ref(w.grad)
        if k == 5:
            w.grad.note = "old"
        if k == 6:
            w.grad.requires_grad_()
        return None

    def after(kept, w):
        if isinstance(kept, weakref.ref):
            return kept() is None
        return (getattr(w.grad, "note", None), w.grad.requires_grad,
                None if kept is None else np.asarray(kept).tolist())

    x, y, p_eager, _, eager = _setup()
    x2, y2, p_comp, _, step = _setup()
    compiled = torch.compile(step)
    for k in range(8):
        kept_e, kept_c = between(k, p_eager[0]), between(k, p_comp[0])
        np.testing.assert_allclose(float(compiled(x2, y2)), float(eager(x, y)), rtol=1e-5)
        assert after(kept_c, p_comp[0]) == after(kept_e, p_eager[0])
        for a, b in zip(p_comp, p_eager):
            np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-5, atol=1e-6)
            assert a.grad._version == b.grad._version


def test_a_replaced_grad_shared_with_numpy_keeps_its_values():
    """``numpy()`` of a .grad shares its memory; when zero_grad() then backward() replace that
    .grad, the array keeps the old values, as eagerly (a weight too large to be packed: its
    .grad is written in place of its own array)."""
    from torchlike import nn

    def make():
        torch.manual_seed(0)
        model = nn.Linear(100, 50)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).sum()
            loss.backward()
            opt.step()
            return loss
        return model, step

    x = torch.rand(3, 100)
    e_model, eager = make()
    c_model, step = make()
    compiled = torch.compile(step)
    for k in range(5):
        shared = [m.weight.grad.numpy() for m in (e_model, c_model)] if k >= 2 else []
        before = [a.copy() for a in shared]
        np.testing.assert_allclose(float(compiled(x)), float(eager(x)), rtol=1e-5)
        for a, b in zip(shared, before):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(np.asarray(c_model.weight.grad), np.asarray(e_model.weight.grad), rtol=1e-5)


def test_a_storage_a_parameter_lets_go_keeps_its_values():
    """Small parameters share one buffer between compiled calls (pack.py). A detached alias of
    a parameter whose storage was then replaced (``.data = ...``) must keep the values it had,
    as eagerly, while the parameter trains on."""
    x, y, p_eager, _, eager = _setup()
    x2, y2, p_comp, _, step = _setup()
    compiled = torch.compile(step)
    aliases = None
    for k in range(7):
        if k == 3:
            aliases = [p.detach() for p in (p_eager[1], p_comp[1])]
            for p in (p_eager[1], p_comp[1]):
                p.data = p.detach().clone()
        np.testing.assert_allclose(float(compiled(x2, y2)), float(eager(x, y)), rtol=1e-5)
        for a, b in zip(p_comp, p_eager):
            np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=1e-5, atol=1e-6)
        if aliases is not None:
            np.testing.assert_allclose(np.asarray(aliases[1]), np.asarray(aliases[0]), rtol=1e-6)


_STEP_NAMING_GLOBALS = """
def make_step(head):
    def step(x):
        opt.zero_grad()
        loss = (head(model(x)) ** 2).sum()
        loss.backward()
        opt.step()
        return loss

    def rebind(new):
        nonlocal head
        head = new
    return step, rebind
"""


def test_models_the_step_names_rebound_between_calls_are_seen():
    """A compiled step's usual call does not look for its state again; a global or closure
    variable the step names, rebound between calls to another model and optimizer made
    before, must still be what the next call trains, as eagerly."""
    from torchlike import nn

    def make():
        torch.manual_seed(0)
        models = [nn.Linear(3, 2), nn.Linear(3, 2)]
        opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in models]
        heads = [nn.Linear(2, 1), nn.Linear(2, 1)]
        namespace = {"model": models[0], "opt": opts[0]}
        exec(_STEP_NAMING_GLOBALS, namespace)  # a step whose module globals this test owns
        step, rebind = namespace["make_step"](heads[0])
        return models + heads, opts, namespace, step, lambda: rebind(heads[1])

    x = torch.rand(4, 3)
    e_models, e_opts, e_ns, eager, e_rebind = make()
    c_models, c_opts, c_ns, step, c_rebind = make()
    compiled = torch.compile(step)
    for k in range(7):
        if k == 3:
            e_ns["model"], e_ns["opt"] = e_models[1], e_opts[1]
            c_ns["model"], c_ns["opt"] = c_models[1], c_opts[1]
        if k == 5:
            e_rebind()
            c_rebind()
        np.testing.assert_allclose(float(compiled(x)), float(eager(x)), rtol=1e-5)
        for a, b in zip([p for m in c_models for p in m.parameters()], [p for m in e_models for p in m.parameters()]):
            np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=1e-5, atol=1e-6)


def test_optimizer_load_state_dict_between_calls_is_seen():
    """``load_state_dict`` gives the optimizer new state Tensors and new param group dicts
    (same sizes): the compiled step must use them, as an eager step does."""
    x, y, p_eager, opt_eager, eager = _setup()
    x2, y2, p_comp, opt_comp, step = _setup()
    compiled = torch.compile(step)
    for k in range(6):
        if k == 3:
            for opt in (opt_eager, opt_comp):
                saved = opt.state_dict()
                saved["param_groups"][0]["lr"] = 0.05
                for per_param in saved["state"].values():
                    per_param["momentum_buffer"] = per_param["momentum_buffer"] * 2
                opt.load_state_dict(saved)
        np.testing.assert_allclose(float(compiled(x2, y2)), float(eager(x, y)), rtol=1e-6)
    for a, b in zip(_arrays(p_comp), _arrays(p_eager)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    for a, b in zip(p_comp, p_eager):
        np.testing.assert_allclose(np.asarray(opt_comp.state[a]["momentum_buffer"]),
                                   np.asarray(opt_eager.state[b]["momentum_buffer"]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_clipped_gradients_and_adam_match_eager_versions_included(set_to_none):
    """clip_grad_norm_ writes the step's new .grad in place and Adam keeps three state
    tensors per parameter: values, version counters (.grad's too) and whether .grad is a new
    Tensor must come out of a compiled call as out of an eager one."""
    from torchlike import nn

    def make():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.01)

        def step(x):
            opt.zero_grad(set_to_none=set_to_none)
            loss = model(x).pow(2).sum()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            opt.step()
            return loss
        return model, opt, step
    x = torch.rand(6, 3)
    (m_e, o_e, eager), (m_c, o_c, step) = make(), make()
    compiled = torch.compile(step)
    held = None
    for _ in range(5):
        np.testing.assert_allclose(float(compiled(x)), float(eager(x)), rtol=1e-5)
        for a, b in zip(m_c.parameters(), m_e.parameters()):
            np.testing.assert_allclose(np.asarray(a.detach()), np.asarray(b.detach()), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(np.asarray(a.grad), np.asarray(b.grad), rtol=1e-5, atol=1e-6)
            assert (a._version, a.grad._version) == (b._version, b.grad._version)
        if held is not None:
            assert (held[0] is m_c[0].weight.grad) == (held[1] is m_e[0].weight.grad)
        held = m_c[0].weight.grad, m_e[0].weight.grad
        for s_c, s_e in zip(o_c.state.values(), o_e.state.values()):
            for name in s_e:
                np.testing.assert_allclose(np.asarray(s_c[name]), np.asarray(s_e[name]), rtol=1e-5, atol=1e-6)
                assert s_c[name]._version == s_e[name]._version, name
    assert len(compiled.programs) == 1
