"""Autograd semantics, scenario by scenario: each scenario is written once against a module
``T`` and run with both torchlike and real PyTorch; everything it reports (values, gradients,
grad_fn names, flags, exception types and messages) must be the same."""
import warnings

import numpy as np
import pytest

import torchlike
from oracle import oracle

SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


def observe(T, fn):
    """Runs a scenario; turns tensors into comparable plain data and exceptions into text."""
    log = []

    def see(*items):
        log.append(tuple(_plain(x) for x in items))

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn(T, see)
        log.append(("warnings", tuple(str(w.message)[:120] for w in caught)))
    except Exception as e:  # noqa: BLE001  (the exception is the observation)
        log.append(("raised", type(e).__name__, str(e)))
    return log


def _plain(x):
    if hasattr(x, "detach") and hasattr(x, "shape"):
        arr = np.asarray(x.detach().numpy() if hasattr(x.detach(), "numpy") else x)
        return ("tensor", str(x.dtype), tuple(x.shape), np.round(arr.astype(np.float64), 5).tolist(),
                bool(x.requires_grad))
    if isinstance(x, (list, tuple)):
        return tuple(_plain(v) for v in x)
    return x


@pytest.mark.parametrize("fn", SCENARIOS, ids=lambda f: f.__name__)
def test_same_as_pytorch(fn):
    torch = oracle()
    ours = observe(torchlike, fn)
    theirs = observe(torch, fn)
    assert ours == theirs


# -- requires_grad propagation, leaves, grad_fn ----------------------------------------------------
@scenario
def propagation(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = T.tensor([3., 4.])
    a = x + y
    b = y * 2
    see(a.requires_grad, b.requires_grad, a.is_leaf, b.is_leaf, x.is_leaf, a.grad_fn.name(), b.grad_fn)
    see([type(n).__name__ if n is not None else None for n, _ in a.grad_fn.next_functions])
    see(x.grad_fn, type(a.grad_fn).__name__)


@scenario
def accumulate_across_backwards(T, see):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    see(x.grad, g is x.grad, g)


@scenario
def nonleaf_grad_is_none_with_warning(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.sum().backward()
    see(y.grad)


@scenario
def retain_grad(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    see(y.grad, y.retains_grad)
    z.backward()
    see(y.grad, x.grad)


@scenario
def implicit_gradient_needs_scalar(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    (x * 2).backward()


@scenario
def wrong_gradient_shape(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    (x * 2).backward(T.ones(3))


@scenario
def backward_without_grad(T, see):
    T.tensor([1., 2.]).sum().backward()


@scenario
def second_backward_through_freed_graph(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    see(x.grad)
    y.backward()


@scenario
def second_backward_without_saved_tensors_works(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    see(x.grad)


@scenario
def retain_graph_allows_second_backward(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    see(x.grad)


@scenario
def requires_grad_on_integer(T, see):
    T.tensor([1, 2]).requires_grad_()


@scenario
def requires_grad_factory_integer(T, see):
    T.zeros(2, dtype=T.long, requires_grad=True)


@scenario
def set_requires_grad_on_nonleaf(T, see):
    x = T.tensor([1.], requires_grad=True)
    y = x * 2
    y.requires_grad = False


@scenario
def inplace_on_leaf_requiring_grad(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    x.add_(1)


@scenario
def inplace_on_leaf_under_no_grad(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    (x * x).sum().backward()
    with T.no_grad():
        x -= 0.1 * x.grad
    see(x, x.requires_grad, x.is_leaf, x.grad_fn, x._version)


@scenario
def modified_saved_tensor(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x * 2
    z = y * y
    y.add_(1)
    see(y.grad_fn.name(), y._version)
    z.sum().backward()


@scenario
def modified_saved_output(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x.exp()
    y.mul_(2)
    y.sum().backward()


@scenario
def modified_leaf_input(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    w = T.tensor([3., 4.])
    y = x * w
    w.add_(1)
    y.sum().backward()


@scenario
def inplace_not_saved_is_fine(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x + 1
    z = y + 2
    y.add_(1)
    z.sum().backward()
    see(x.grad, y.grad_fn.name())


@scenario
def product_saves_a_factor_only_for_the_other_factors_gradient(T, see):
    """PyTorch saves ``a`` of ``a * b`` (and of ``a @ b``, ``a / b``) only when ``b`` requires
    grad: modifying ``a`` in place afterwards is an error only then."""
    x = T.tensor([1., 2.], requires_grad=True)
    w = T.tensor([[1.], [3.]], requires_grad=True)
    h = x * 3
    h.mul_(2)                  # h * 2: h is not saved
    h += 1
    h.div_(4)                  # h / 4: h is not saved
    h.sum().backward()
    see(x.grad, h.grad_fn.name())
    for other in (T.tensor([2., 5.]), T.tensor([2., 5.], requires_grad=True)):
        for f in (lambda a, b: a * b, lambda a, b: b * a, lambda a, b: a / b, lambda a, b: b / a,
                  lambda a, b: a @ b, lambda a, b: T.dot(a, b)):
            a = x * 1
            try:
                out = f(a, other)
                a.add_(1)
                out.sum().backward()
                see("ok", x.grad)
            except RuntimeError as e:
                see("raised", str(e)[:120])
    m1 = T.tensor([[1., 2.]], requires_grad=True)
    m2 = T.tensor([[1., 0.], [2., 1.]], requires_grad=True)
    b = T.tensor([1., 1.], requires_grad=True)
    for grad_m2 in (False, True):
        m2.requires_grad_(grad_m2)
        bias, mat1 = b * 1, m1 * 1
        out = T.addmm(bias, mat1, m2)
        bias.add_(1)           # the bias is never saved
        mat1.add_(1)           # mat1 is saved for m2's gradient only
        try:
            out.sum().backward()
            see("ok", m1.grad, b.grad)
        except RuntimeError as e:
            see("raised", str(e)[:120])


@scenario
def setitem_on_nonleaf_keeps_gradient(T, see):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    y = x * 2
    y[0] = 0
    see(y, y.grad_fn.name())
    (y * y).sum().backward()
    see(x.grad)


@scenario
def inplace_relu_on_nonleaf(T, see):
    x = T.tensor([-1., 2., 3.], requires_grad=True)
    y = x * 1
    y.relu_()
    y.sum().backward()
    see(x.grad, y.grad_fn.name())


# -- autograd.grad ----------------------------------------------------------------------------------
@scenario
def grad_basic(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = T.autograd.grad(y, x)
    see(g, x.grad)


@scenario
def grad_of_intermediate(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    see(T.autograd.grad(y, [h, x]))


@scenario
def grad_unused_input(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    u = T.tensor([1., 2.], requires_grad=True)
    y = (x * 2).sum()
    see(T.autograd.grad(y, [x, u], allow_unused=True, retain_graph=True))
    see(T.autograd.grad(y, [x, u], materialize_grads=True, retain_graph=True))
    T.autograd.grad(y, [x, u])


@scenario
def grad_input_without_requires_grad(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    c = T.tensor([1., 2.])
    T.autograd.grad((x * c).sum(), c)


@scenario
def grad_with_grad_outputs(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x * x
    see(T.autograd.grad(y, x, grad_outputs=T.tensor([1., 10.])))


@scenario
def create_graph_second_derivative(T, see):
    x = T.tensor([1., 2., 3.], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = T.autograd.grad(y, x, create_graph=True)
    see(g, g.requires_grad)
    (gg,) = T.autograd.grad(g.sum(), x)
    see(gg)


@scenario
def create_graph_third_derivative(T, see):
    x = T.tensor([0.5, 1.5], requires_grad=True)
    y = (x.sin() * x).sum()
    (g,) = T.autograd.grad(y, x, create_graph=True)
    (g2,) = T.autograd.grad(g.sum(), x, create_graph=True)
    (g3,) = T.autograd.grad(g2.sum(), x)
    see(g, g2, g3)


@scenario
def backward_create_graph_accumulates_differentiable_grad(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = (x ** 2).sum()
    y.backward(create_graph=True)
    see(x.grad, x.grad.requires_grad)
    x.grad.sum().backward()


@scenario
def backward_inputs(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    w = T.tensor([3., 4.], requires_grad=True)
    (x * w).sum().backward(inputs=[w])
    see(x.grad, w.grad)


@scenario
def backward_two_roots(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    a = (x * 2).sum()
    b = (x * x).sum()
    T.autograd.backward([a, b])
    see(x.grad)


# -- hooks -------------------------------------------------------------------------------------------
@scenario
def tensor_hooks(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    y = x * 3
    h = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    see(x.grad, seen)
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    see(x.grad)


@scenario
def hook_on_tensor_without_grad(T, see):
    T.tensor([1.]).register_hook(lambda g: g)


# -- grad mode ----------------------------------------------------------------------------------------
@scenario
def grad_modes(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    with T.no_grad():
        a = x * 2
        with T.enable_grad():
            b = x * 2
    with T.set_grad_enabled(False):
        c = x * 2
    with T.inference_mode():
        d = x * 2
    see(a.requires_grad, b.requires_grad, c.requires_grad, d.requires_grad, T.is_grad_enabled())

    @T.no_grad()
    def f(v):
        return v * 2
    see(f(x).requires_grad, T.is_grad_enabled())
    T.set_grad_enabled(False)
    see(T.is_grad_enabled(), (x * 2).requires_grad)
    T.set_grad_enabled(True)


@scenario
def detach_and_data(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    d = x.detach()
    see(d.requires_grad, d.is_leaf)
    d.zero_()
    see(x)
    x.data.add_(5)
    see(x, x._version)
    y = x * 2
    see(y.detach().requires_grad, y.data.requires_grad)


@scenario
def numpy_of_requires_grad(T, see):
    T.tensor([1.], requires_grad=True).numpy()


@scenario
def item_and_conversions(T, see):
    x = T.tensor([2.5], requires_grad=True)
    see(x.item(), float(x), int(x), bool(x), "{:+.2f}".format(x.sum()), "%d" % T.tensor(3))
    T.tensor([1., 2.]).item()


@scenario
def custom_function(T, see):
    class Cube(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = T.tensor([1., 2.], requires_grad=True)
    y = Cube.apply(x)
    see(y, type(y.grad_fn).__name__)
    (y * 2).sum().backward()
    see(x.grad)


@scenario
def backward_through_op_without_derivative(T, see):
    x = T.tensor([1., 2.], requires_grad=True)
    y = x // 2
    see(y.requires_grad, type(y.grad_fn).__name__)
    (3 % x).sum().backward()
