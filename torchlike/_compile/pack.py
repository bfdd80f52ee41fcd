"""Small state packed into one buffer per dtype between a compiled step's calls.

Each array a program takes or returns costs the call about 2 µs (measured on this CPU: the
tutorial MLP's step returning its four parameters and four gradients as eight arrays took
39 µs, as two packed buffers 24 µs), which is most of a small model's step. So the program
returns the small tensors it writes — parameters, their ``.grad``, optimizer state — as one
flat buffer per dtype, and takes that buffer back next call. Each tensor's storage holds the
buffer and a ``Packed`` layout (``_LayoutStorage``): users still read the tensor's own value,
sliced out once per write, and writing it makes its storage plain again.
"""
import math
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

from .._tensor import _LayoutStorage, _Storage

MAX_ELEMENTS = 4096  # above this the copy into the pack costs more than a buffer saves


class Packed(tuple):
    """A tensor stored as elements ``[offset, offset + size)`` of plan ``plan``'s pack. The
    plan is part of the layout so that a program's key says which tensors share a buffer: all
    tensors of one plan hold the same pack (``verify``)."""

    __slots__ = ()

    def __new__(cls, plan, offset, shape):
        return tuple.__new__(cls, (plan, offset, tuple(shape)))

    @property
    def plan(self):
        return self[0]

    def view(self, pack):
        return unpack(pack, self[1], self[2])


@partial(jax.jit, static_argnums=(1, 2))
def unpack(pack, offset, shape):
    return lax.reshape(lax.slice(pack, (offset,), (offset + math.prod(shape),)), shape)


def packable(storage, array, shape):
    """A storage whose value (of ``shape``) may move into a pack: plain or relaid storage (not
    shared with NumPy) on one device, small enough."""
    return ((storage.__class__ is _Storage or storage.__class__ is _LayoutStorage)
            and math.prod(shape) <= MAX_ELEMENTS and len(array.sharding.device_set) == 1)


def plan(members):
    """``members`` ([(slot, shape, dtype)]) grouped into packs: {dtype: [(slot, Packed)]}, only
    dtypes with two or more members (one array packed alone saves nothing)."""
    by_dtype = {}
    for slot, shape, dtype in members:
        by_dtype.setdefault(jnp.dtype(dtype), []).append((slot, shape))
    packs = []
    for dtype, group in by_dtype.items():
        if len(group) < 2:
            continue
        # the same plan each time the step is traced again (after an eager write, say), so that
        # its program's key comes out the same and nothing recompiles
        plan = (dtype.name, tuple(slot for slot, _ in group))
        offset, layout = 0, []
        for slot, shape in group:
            layout.append((slot, Packed(plan, offset, shape)))
            offset += math.prod(shape)
        packs.append((dtype, offset, layout))
    return packs


def verify(storage, raw, layout, first):
    """(raw, layout) of a packed storage, made plain unless every storage of its plan seen so
    far (``first``: plan -> array) holds the same pack: the program takes one buffer per plan.
    Only a user's swapping storages between steps packed alike could break that."""
    if first.setdefault(layout[0], raw) is raw:
        return raw, layout
    storage[0] = storage[0]
    return storage[0], None


def pack_values(values, dtype):
    """One flat buffer of ``values`` (None: zeros of the given shape) in order."""
    return jnp.concatenate([jnp.zeros(math.prod(v), dtype) if isinstance(v, tuple) else jnp.ravel(v)
                            for v in values])
