"""``torchlike.compile(module)``: the module's forward as ONE recorded op.

The whole forward — every layer — becomes a single jitted JAX function of the parameters,
buffers, inputs and the random generator's seed and counter, recorded on the tape as one node
(``CompiledFunctionBackward``, PyTorch's name for a compiled region). Its VJP, like every
node's, is ``jax.vjp`` of that function, so ``loss.backward()`` outside works unchanged and
the backward through the module is also one compiled program. Buffers the forward updates
(BatchNorm's running statistics) are outputs of the function, written back after each call.
"""
import jax
import jax.numpy as jnp

from .._storage import _keep, _restore
from .._tensor import Tensor
from .._ops import random as _random
from ..autograd import grad_mode, lazy
from ..autograd.node import node_class
from ..autograd.record import apply, own_write


class _ModuleSpec:
    """An op whose forward is the module's forward (see ``record.apply`` for the fields)."""

    grad_name = "CompiledFunctionBackward"
    promote = None
    cast = None
    saves = None
    saves_out = False
    seq = False
    edges = None
    defer = False  # its trace reads the module's tensors and counts random draws: it runs at the call
    node_class = staticmethod(node_class)

    def __init__(self, compiled):
        self.compiled = compiled
        self.draws = {}
        self.bumps = {}  # statics -> version bumps the forward gives each buffer (traced once)

    def fn(self, *xs):
        *arrays, treedef, kinds, n_params, n_buffers, training = xs
        return self.compiled._trace(self, arrays, treedef, kinds, n_params, n_buffers, training)


class CompiledModule:
    """What ``torchlike.compile(module)`` returns (PyTorch's ``OptimizedModule``): calls run the
    compiled forward; attributes, ``parameters()``, ``train()`` ... reach the original module,
    which stays available as ``_orig_mod``."""

    def __init__(self, mod):
        object.__setattr__(self, "_orig_mod", mod)
        object.__setattr__(self, "_spec", _ModuleSpec(self))

    def __getattr__(self, name):
        return getattr(self._orig_mod, name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __repr__(self):
        return f"OptimizedModule(\n  (_orig_mod): {repr(self._orig_mod).replace(chr(10), chr(10) + '  ')}\n)"

    def __call__(self, *args, **kwargs):
        mod = self._orig_mod
        params = [p for p in mod.parameters()]
        buffers = [b for b in mod.buffers()]
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=lambda x: isinstance(x, Tensor))
        kinds = tuple("T" if isinstance(x, Tensor) else ("py", x) for x in leaves)
        inputs = [x for x in leaves if isinstance(x, Tensor)]
        gen = _random.default_generator
        counter = Tensor._wrap(jnp.asarray([gen._seed, gen._counter], jnp.uint64))  # the generator's state
        training = tuple(m.training for m in mod.modules())
        statics = (treedef, kinds, len(params), len(buffers), training)
        outs = apply(self._spec, tuple(params) + tuple(buffers) + tuple(inputs) + (counter,), statics)
        gen._counter += self._spec.draws.get(statics, 0)
        outs = outs if isinstance(outs, tuple) else (outs,)
        n_out = len(outs) - len(buffers)
        node = next((o._node for o in outs if o._node is not None), None)
        for b, new, bump in zip(buffers, outs[n_out:], self._spec.bumps[statics]):
            if new._s[0] is not b._s[0]:
                b._s[0] = new._s[0]
                b._v[0] += bump  # as eagerly: num_batches_tracked += 1 bumps, running stats do not
                if node is not None:  # the node saved the old values
                    own_write(node, b)
        results = list(outs[:n_out])
        return jax.tree_util.tree_unflatten(self._out_tree[statics], [results.pop(0) if x is None else x
                                                                        for x in self._out_leaves[statics]])

    @property
    def _out_tree(self):
        return self.__dict__.setdefault("_trees", {})

    @property
    def _out_leaves(self):
        return self.__dict__.setdefault("_leaves", {})

    def _trace(self, spec, arrays, treedef, kinds, n_params, n_buffers, training):
        """Runs the original forward with tracers standing in for every tensor."""
        mod = self._orig_mod
        tensors = list(mod.parameters()) + list(mod.buffers())
        saved = [(t, _keep(t._s), t._v[0]) for t in tensors]  # the trace's in-place writes bump versions
        gen = _random.default_generator
        outer = gen._traced
        counter = arrays[-1]
        it = iter(arrays[n_params + n_buffers:-1])
        lazy.pause()  # the trace's ops on constants run as part of it, not deferred
        try:
            for t, a in zip(tensors, arrays):
                t._s[0] = a
            gen._traced = [counter, 0]
            leaves = [Tensor._wrap(next(it)) if k == "T" else k[1] for k in kinds]
            args, kwargs = jax.tree_util.tree_unflatten(treedef, leaves)
            with grad_mode.no_grad():
                result = mod(*args, **kwargs)
            new_buffers = [t._s[0] for t in tensors[n_params:]]
            statics = (treedef, kinds, n_params, n_buffers, training)
            spec.draws[statics] = gen._traced[1]
            spec.bumps[statics] = [t._v[0] - version for t, _, version in saved[n_params:]]
            out_leaves, out_tree = jax.tree_util.tree_flatten(result, is_leaf=lambda x: isinstance(x, Tensor))
            self._out_tree[statics] = out_tree
            self._out_leaves[statics] = [None if isinstance(x, Tensor) else x for x in out_leaves]
            return tuple(x._s[0] for x in out_leaves if isinstance(x, Tensor)) + tuple(new_buffers)
        finally:
            for t, kept, version in saved:
                _restore(t._s, kept)
                t._v[0] = version
            gen._traced = outer
            lazy.unpause()
