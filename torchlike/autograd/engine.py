"""The backward engine: a topological walk of the recorded graph, run one of two ways.

* Fused: the whole walk is traced once into a single ``jax.jit`` program, cached by the
  graph's structure (each node's key and where its gradients flow). A training loop records
  the same structure every step, so its backward pass compiles once and then costs one call.
* Stepwise: the same walk in Python, one cached jitted VJP per node. Used when Python must
  run between nodes (tensor and node hooks) or when the backward must itself be recorded
  (``create_graph=True``).
Both take each node's VJP from ``record.vjp_pure`` (``jax.vjp`` of the op's forward).
"""
import operator
import re
import warnings

import jax
import jax.numpy as jnp

from .. import _dtype
from . import grad_mode, lazy, record
from .record import COUNTER, VERSION
from .node import AccumulateGrad, Node, node_class

_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second "
    "time or if you need to access saved tensors after calling backward.")
_MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace operation: "
    "[{desc}]{origin} is at version {now}; expected version {then} instead. Hint: enable anomaly "
    "detection to find the operation that failed to compute its gradient, with "
    "torch.autograd.set_detect_anomaly(True, check_nan=False).")
_CREATE_GRAPH_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak. (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)")
_UNUSED = ("The differentiated Tensor at index {i} appears to not have been used in the graph. Set "
           "allow_unused=True if this is the desired behavior.")

_SEQ = operator.attrgetter("seq")
_meta = _store = None  # torchlike._tensor's: what a tensor holds, and a write of a storage
_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")
_fused = {}  # graph structure -> compiled backward program
_MAX_PROGRAMS = 512


# -- entry points ---------------------------------------------------------------------------------
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None):
    """torch.autograd.backward: accumulates gradients of ``tensors`` into the leaves' ``.grad``."""
    Tensor = record.Tensor  # set by torchlike._tensor (the two modules need each other)
    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    seeds = _seeds(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        warnings.warn(_CREATE_GRAPH_CYCLE, UserWarning, stacklevel=3)
    _run(tensors, seeds, retain_graph, create_graph, inputs, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad: returns the gradients of ``outputs`` with respect to ``inputs``."""
    Tensor = record.Tensor
    if is_grads_batched:
        raise NotImplementedError("torch.autograd.grad(is_grads_batched=True) is not supported by torchlike "
                                  "yet; call grad once per batch entry instead.")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for t in inputs:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    seeds = _seeds(outputs, grad_outputs, "grad")
    if retain_graph is None:
        retain_graph = create_graph
    got = _run(outputs, seeds, retain_graph, create_graph, inputs, accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs, got)):
        if g is None:
            if materialize_grads:
                g = Tensor._wrap(jnp.zeros_like(t._s[0]))
            elif not allow_unused:
                raise RuntimeError(_UNUSED.format(i=i))
        result.append(g)
    return tuple(result)


def _seeds(tensors, grads, who):
    """Checks roots and their gradients; returns arrays/Tensors, or None for an implicit one."""
    Tensor = record.Tensor
    if grads is None:
        grads = (None,) * len(tensors)
    elif isinstance(grads, Tensor):
        grads = (grads,)
    else:
        grads = tuple(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} gradients but {len(tensors)} tensors" if who == "backward" else
                           f"grad requires one grad_output per output; got {len(grads)} and {len(tensors)}")
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            m = _meta(t)
            if m.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if m.dtype not in record._DIFF:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{t.dtype}")
            seeds.append(None)
            continue
        if not isinstance(g, Tensor):
            g = Tensor._wrap(jnp.asarray(g, t.dtype.np))
        if g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                               f"has a shape of {t.shape}.")
        if g.dtype is not t.dtype:
            g = g.to(t.dtype)
        seeds.append(g)
    return seeds


# -- planning --------------------------------------------------------------------------------------
def _edge_of(t):
    return (t._node, t._out_nr) if t._node is not None else (t._accumulator(), 0)


class _Plan:
    """The reachable nodes in execution order (``order``: each node after every node that
    feeds it gradient), and which of them must run (``needed``: all of them for a plain
    backward; for ``inputs=`` or ``autograd.grad`` only those on a path to a wanted gradient)."""

    def __init__(self, roots, inputs):
        order, hooked = (_native_walk and _native_walk(roots)) or _walk(roots)
        self.order = order
        self.python_between_nodes = hooked
        if inputs is None:
            self.wanted_leaves = None
            self.wanted_caps = ()
            self.needed = set(order)  # every reachable node
            return
        self.wanted_leaves = {e[0] for e in inputs if type(e[0]) is AccumulateGrad}
        self.wanted_caps = {(e[0], e[1]) for e in inputs if type(e[0]) is not AccumulateGrad}
        needed = set()
        for n in reversed(order):
            for e in n.edges:
                if e is None:
                    continue
                tgt = e[0]
                if type(tgt) is AccumulateGrad:
                    if tgt in self.wanted_leaves:
                        needed.add(n)
                elif tgt in needed or (tgt, e[1]) in self.wanted_caps:
                    needed.add(n)
        self.needed = needed


def _walk(roots):
    """(every node reachable from the edges ``roots`` in execution order, whether Python must
    run between nodes: hooks and custom Functions take the stepwise path)."""
    hooked = any(type(e[0]) is AccumulateGrad and e[0].variable._hooks for e in roots)
    order, seen = [], set()
    for e in roots:
        if type(e[0]) is not AccumulateGrad and e[0] not in seen:
            seen.add(e[0])
            order.append(e[0])
    for n in order:  # grows as it goes: every reachable node once
        if n.pre_hooks or n.hooks or n.key is None:
            hooked = True
        for e in n.edges:
            if e is not None:
                t = e[0]
                if type(t) is AccumulateGrad:
                    if t.variable._hooks:
                        hooked = True
                elif t not in seen:
                    seen.add(t)
                    order.append(t)
    # a node is made after the nodes of its inputs: latest first is an execution order,
    # and PyTorch's (its engine runs ready nodes by sequence number, highest first)
    order.sort(key=_SEQ, reverse=True)
    return order, hooked


# The C versions (``native/``) of ``_walk`` and of ``_Layout`` for backward() without ``inputs=``
# (set by ``record.install_native``); each gives None where the Python code must run
_native_walk = _native_layout = None


def _check_saved(node):
    if node._no_derivative:
        raise RuntimeError(f"derivative for aten::{node.key[0][0].name.lstrip('_')} is not implemented")
    if node._released:
        raise RuntimeError(_FREED)
    for s in node.checks:
        if s[COUNTER][0] != s[VERSION]:
            raise RuntimeError(_modified_message(node, s))


def _modified_message(node, s):
    from .._tensor import _legacy_name
    counter, version, index, ref = s
    shape, dt = node.out_avals[0][:2] if index is None else (node.saved[index].shape, node.saved[index].dtype)
    desc = f"torch.{_legacy_name(_dtype._BY_NP[dt])}Tensor {list(shape)}"
    t = ref()
    if index is None:  # a saved output is named by the node that made it
        origin = (node, 0)
    elif t is not None:  # a saved input by its grad_fn now
        origin = (t._node, t._out_nr) if t._node is not None else None
    else:
        e = node.edges[index]
        origin = e if e is not None and isinstance(e[0], Node) else None
    where = "" if origin is None else \
        f", which is output {origin[1]} of {_BACKWARD_SUFFIX.sub('', origin[0].name().split('::')[-1])},"
    return _MODIFIED.format(desc=desc, origin=where, now=counter[0], then=version)


# -- running ---------------------------------------------------------------------------------------
def _run(roots, seeds, retain_graph, create_graph, inputs, accumulate):
    lazy.resume()
    root_edges = [_edge_of(t) for t in roots]
    input_edges = None if inputs is None else [_edge_of(t) for t in inputs]
    plan = _Plan(root_edges, input_edges)
    needed = plan.needed
    for n in plan.order:
        if n in needed and (n.checks or n._released or n._no_derivative):
            _check_saved(n)
    if create_graph or plan.python_between_nodes or not _all_arrays(seeds):
        got = _run_stepwise(plan, root_edges, seeds, create_graph, input_edges, accumulate)
    else:
        got = _run_fused(plan, root_edges, seeds, input_edges, accumulate)
    if not retain_graph:
        for n in plan.order:
            if n.checks and n in needed:
                n.saved = None
                n._released = True
    return got


def _all_arrays(seeds):
    return all(s is None or s._node is None for s in seeds)


class _Layout:
    """Integer addressing of a plan for the fused program: a slot per (node, output) and per
    leaf, so the program's structure can be a hashable cache key."""

    def __init__(self, plan, root_edges, input_edges, accumulate):
        self.captures = []
        fields = _native_layout and plan.wanted_leaves is None and _native_layout(plan.order, root_edges)
        if fields:  # every node needed, no gradient captured
            self.steps, self.flat, self.sizes, self.leaves, self.leaf_index, self.index, self.roots = fields
            return
        self.index = index = {n: k for k, n in enumerate(plan.order)}
        self.leaves, self.leaf_index = [], {}
        wanted = plan.wanted_leaves
        steps, flat, sizes = [], [], []
        needed = plan.needed
        for k, n in enumerate(plan.order):
            if n not in needed:
                continue
            targets = []
            for e in n.edges:
                if e is None:
                    continue
                tgt = e[0]
                if type(tgt) is AccumulateGrad:
                    targets.append(None if wanted is not None and tgt not in wanted else self._leaf(tgt))
                else:
                    k2 = index.get(tgt)
                    targets.append(None if k2 is None else ("n", k2, e[1]))
            steps.append((k, n.key, tuple(targets), n.out_avals))
            flat.extend(n.saved)
            sizes.append(len(n.saved))
        self.steps = tuple(steps)  # (node index, node key, gradient targets, output avals)
        self.flat = flat           # the saved arrays of every step, in order
        self.sizes = tuple(sizes)  # how many each step saved
        self.roots = tuple(self._target(e) for e in root_edges)
        if input_edges is not None:
            self.captures = [self._target(e) for e in input_edges]
        for n in plan.order:
            if n.retained:
                for o in n.retained:
                    self.captures.append(("n", index[n], o))

    def _leaf(self, acc):
        j = self.leaf_index.get(acc)
        if j is None:
            j = self.leaf_index[acc] = len(self.leaves)
            self.leaves.append(acc)
        return ("l", j)

    def _target(self, e):
        tgt, nr = e
        if type(tgt) is AccumulateGrad:
            return self._leaf(tgt)
        k = self.index.get(tgt)
        return None if k is None else ("n", k, nr)


def _add(buf, key, g):
    prev = buf.get(key)
    buf[key] = g if prev is None else prev + g


def _root_meta(root_edges, seeds):
    meta = []
    for (node, nr), s in zip(root_edges, seeds):
        if isinstance(node, Node):
            shape, dt, _ = node.out_avals[nr]
        else:
            arr = _meta(node.variable)
            shape, dt = arr.shape, arr.dtype
        meta.append((shape, dt, s is None))
    return tuple(meta)


def _run_fused(plan, root_edges, seeds, input_edges, accumulate):
    lay = _Layout(plan, root_edges, input_edges, accumulate)
    leaf_vars = [a.variable for a in lay.leaves]
    into_grad = accumulate and input_edges is None
    existing = [_meta(v._grad) if into_grad and v._grad is not None else None for v in leaf_vars]
    steps = lay.steps
    meta = _root_meta(root_edges, seeds)
    captures = tuple(lay.captures)
    key = (steps, lay.roots, meta, captures, tuple([x is None for x in existing]))
    entry = _fused.get(key)
    if entry is None:
        if len(_fused) >= _MAX_PROGRAMS:  # a model whose graph changes every step
            lazy.flush()
            for old in _fused.values():
                lazy.unregister(old[2])
            _fused.clear()
        pure = _program(steps, lay.roots, meta, captures, len(leaf_vars), lay.sizes)
        jitted = jax.jit(pure)
        entry = _fused[key] = (pure, jitted, lazy.register(pure, jitted, len(steps)))
    # one flat argument list: the program's pytree of inputs is then cheap to take apart
    flat = lay.flat
    flat += [None if s is None else _meta(s) for s in seeds]
    flat += existing
    out = lazy.record(entry, flat) if grad_mode.state.lazy else None
    if out is not None:
        lazy.backward_recorded()
    else:
        out = entry[1](*[lazy.resolve(x) for x in flat])
    n = len(leaf_vars)
    return _deliver(plan, lay, leaf_vars, out[:n], out[n:], input_edges, accumulate, existing)


def _program(steps, roots, meta, captures, n_leaves, sizes):
    """The backward walk as a pure function of the saved arrays, then the seeds and the
    existing gradients, all flat (``sizes``: how many arrays each step saved), for jax.jit.
    Returns the leaves' gradients, then the captured ones."""
    def program(*flat):
        saved, i = [], 0
        for size in sizes:
            saved.append(flat[i:i + size])
            i += size
        seed_arrays, existing = flat[i:i + len(roots)], flat[i + len(roots):]
        buf = {}
        for tgt, s, (shape, dt, implicit) in zip(roots, seed_arrays, meta):
            if tgt is not None:
                _add(buf, tgt, jnp.ones(shape, dt) if implicit else s)
        caps = [None] * len(captures)
        for (k, key, targets, out_avals), sv in zip(steps, saved):
            cts = []
            for o, (shape, dt, diff) in enumerate(out_avals):
                ct = buf.pop(("n", k, o), None)
                for i, c in enumerate(captures):
                    if c == ("n", k, o):
                        caps[i] = ct
                cts.append(ct if ct is not None or not diff else jnp.zeros(shape, dt))
            grads = record.vjp_pure(key, sv, cts)
            for tgt, g in zip(targets, grads):
                if tgt is not None:
                    _add(buf, tgt, g)
        for i, c in enumerate(captures):
            if c[0] == "n" and caps[i] is None:
                caps[i] = buf.get(c)
            elif c[0] == "l":
                caps[i] = buf.get(c)
        leaf_grads = []
        for j in range(n_leaves):
            g = buf.get(("l", j))
            if g is not None and existing[j] is not None:
                g = existing[j] + g
            leaf_grads.append(g)
        return tuple(leaf_grads) + tuple(caps)
    return program


def _deliver(plan, lay, leaf_vars, leaf_grads, caps, input_edges, accumulate, existing):
    """Writes fused results back: leaf .grad (in place when it already exists), retained grads,
    and the requested inputs' gradients."""
    wrap = record.wrap_any
    n_inputs = 0 if input_edges is None else len(input_edges)
    wanted = None
    if input_edges is not None:
        wanted = [None if c is None else caps[i] for i, c in enumerate(lay.captures[:n_inputs])]
    if accumulate:
        if input_edges is None:
            for v, g in zip(leaf_vars, leaf_grads):
                if g is None:
                    continue
                if v._grad is None:
                    v._grad = wrap(g)
                else:
                    _store(v._grad._s, g)
                    v._grad._v[0] += 1
        else:
            for e, g in zip(input_edges, wanted):
                if g is not None:
                    _accumulate_into(e, wrap(g), False)
    for c, g in zip(lay.captures[n_inputs:], caps[n_inputs:]):
        if g is not None:
            _retain_into(plan.order[c[1]], c[2], wrap(g), False)
    if input_edges is None:
        return None
    return [None if g is None else wrap(g) for g in wanted]


def _accumulate_into(edge, g, create_graph):
    """Adds gradient ``g`` (a Tensor) into the .grad of the tensor behind ``edge``."""
    node, nr = edge
    if isinstance(node, AccumulateGrad):
        _accumulate_leaf(node.variable, g, create_graph)
    elif node.retained and nr in node.retained:
        _retain_into(node, nr, g, create_graph)


def _accumulate_leaf(v, g, create_graph):
    if v._grad is None:
        v._grad = g if create_graph else g.detach()
    elif create_graph or grad_mode.state.enabled and g._rg:
        v._grad = v._grad + g
    else:
        v._grad._s[0] = v._grad._s[0] + g._s[0]
        v._grad._v[0] += 1


def _retain_into(node, nr, g, create_graph):
    ref = node.retained.get(nr)
    t = ref() if ref is not None else None
    if t is None:
        return
    if t._grad is None:
        t._grad = g if create_graph else g.detach()
    else:
        t._grad = t._grad + g


# -- stepwise --------------------------------------------------------------------------------------
def _run_stepwise(plan, root_edges, seeds, create_graph, input_edges, accumulate):
    """The same walk in Python: runs hooks between nodes and records the backward itself when
    ``create_graph`` (each VJP is then an op whose own VJP again comes from jax.vjp)."""
    Tensor = record.Tensor
    buf = {}
    for e, s, (shape, dt, implicit) in zip(root_edges, seeds, _root_meta(root_edges, seeds)):
        _add(buf, e, Tensor._wrap(jnp.ones(shape, dt)) if implicit else s)
    wanted = {}
    want_keys = [] if input_edges is None else [tuple(e) for e in input_edges]
    with grad_mode.set_grad_enabled(create_graph):
        for n in plan.order:
            cts = []
            for o, (shape, dt, diff) in enumerate(n.out_avals):
                ct = buf.pop((n, o), None)
                if ct is not None and n.pre_hooks:
                    for nr, hook in list(n.pre_hooks.values()):
                        if nr == o:
                            r = hook(ct)
                            if r is not None:
                                ct = r
                if ct is not None and n.retained and o in n.retained:
                    _retain_into(n, o, ct, create_graph)
                if (n, o) in want_keys:
                    wanted[(n, o)] = ct
                cts.append(ct)
            if n not in plan.needed:
                continue
            if n.pre_hooks:
                for nr, hook in list(n.pre_hooks.values()):
                    if nr is None:
                        r = hook(tuple(cts))
                        if r is not None:
                            cts = list(r)
            grads = call_node(n, cts, create_graph)
            if n.hooks:
                for hook in list(n.hooks.values()):
                    r = hook(tuple(grads), tuple(cts))
                    if r is not None:
                        grads = list(r)
            for e, g in zip([e for e in n.edges if e is not None], grads):
                if g is None:
                    continue
                tgt = e[0]
                if isinstance(tgt, AccumulateGrad) and plan.wanted_leaves is not None \
                        and tgt not in plan.wanted_leaves:
                    continue
                _add(buf, (tgt, e[1]), g)
        # Leaves: hooks, then accumulation (or capture, for autograd.grad / inputs=).
        for k in [k for k in buf if isinstance(k[0], AccumulateGrad)]:
            g = buf[k]
            v = k[0].variable
            if v._hooks:
                for hook in list(v._hooks.values()):
                    r = hook(g)
                    if r is not None:
                        g = r
            if input_edges is not None:
                if k in want_keys:
                    wanted[k] = g
            elif accumulate:
                _accumulate_leaf(v, g, create_graph)
    if input_edges is None:
        return None
    got = [wanted.get(k) for k in want_keys]
    if accumulate:
        for e, g in zip(input_edges, got):
            if g is not None:
                _accumulate_into(e, g, create_graph)
    return [None if g is None else (g if create_graph else g.detach()) for g in got]


def call_node(node, cts, create_graph=False):
    """Input gradients of one node for output gradients ``cts`` (Tensors or None)."""
    Tensor = record.Tensor
    _check_saved(node)
    if node.key is None:
        from .function import call_function_node
        return call_function_node(node, cts)
    cts = [c if c is not None or not node.out_avals[o][2] else
           Tensor._wrap(jnp.zeros(node.out_avals[o][0], node.out_avals[o][1]))
           for o, c in enumerate(cts)]
    if create_graph:
        return _recorded_vjp(node, cts)
    arrays = [None if c is None else c._s[0] for c in cts]
    grads = record.vjp_jitted(node.key)([lazy.resolve(s) for s in node.saved], arrays)
    return [Tensor._wrap(g) for g in grads]


class _VjpSpec:
    """A node's VJP as an op of its own, so ``create_graph=True`` records the backward and
    higher derivatives again come from jax.vjp."""

    promote = None
    cast = None
    saves = None
    saves_out = False
    seq = False
    edges = None  # grad_fn.next_functions shows every input
    node_class = staticmethod(node_class)

    def __init__(self, key, name, n_saved):
        self.grad_name = name
        self.fn = lambda *xs: record.vjp_pure(key, xs[:n_saved], xs[n_saved:])


_vjp_specs = {}


def _recorded_vjp(node, cts):
    spec = _vjp_specs.get(node.key)
    if spec is None:
        spec = _vjp_specs[node.key] = _VjpSpec(node.key, node.name(), len(node.saved))
    args = []
    for s, av, e in zip(node.saved, node.avals, node.edges):
        if av is not None or not hasattr(s, "dtype"):
            args.append(None if av is not None else s)
        elif e is None:
            args.append(record.wrap_any(s))
        elif isinstance(e[0], AccumulateGrad):
            args.append(e[0].variable)
        else:
            args.append(record.wrap_any(s, e[0], e[1]))
    out = record.apply(spec, tuple(args) + tuple(cts))
    return list(out) if isinstance(out, tuple) else [out]
