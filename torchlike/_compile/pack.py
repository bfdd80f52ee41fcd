"""Small state packed into one buffer per dtype between a compiled step's calls.

Each array a program takes or returns costs the call about 2 µs (measured on this CPU: the
tutorial MLP's step returning its four parameters and four gradients as eight arrays took
39 µs, as two packed buffers 24 µs), which is most of a small model's step. So the program
returns the small tensors it writes — parameters, their ``.grad``, optimizer state — as one
flat buffer per dtype, and takes that buffer back next call. Each tensor's storage holds a
``Cell`` with the buffer and a ``Packed`` layout (``_LayoutStorage``): users still read the
tensor's own value, sliced out once per buffer, and writing it makes its storage plain again.
The tensors of one buffer share its cell, so that a call writes its new buffer once, not into
each tensor's storage.
"""
import math
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

MAX_ELEMENTS = 4096  # above this the copy into the pack costs more than a buffer saves
# More small arrays than this (resnet18 has about 200: batch norm's, their gradients and
# momentum) made XLA's compilation 2 s slower and the step no faster: packing pays where a
# step is a few small arrays and the per-array cost is most of it.
MAX_MEMBERS = 32


class Cell:
    """The buffer the tensors of one pack share; a compiled step's call replaces it."""

    __slots__ = ("pack",)

    def __init__(self, pack):
        self.pack = pack


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

    @property
    def shape(self):
        return self[2]

    def view(self, pack):
        return unpack(pack, self[1], self[2])


@partial(jax.jit, static_argnums=2)
def unpack(pack, offset, shape):
    # the offset is an argument, not a constant, so that reading a model's packed tensors
    # compiles once per shape; inside a program it is a constant and XLA makes it a slice
    return lax.reshape(lax.dynamic_slice_in_dim(pack, offset, math.prod(shape)), shape)


def small(shape):
    return math.prod(shape) <= MAX_ELEMENTS


def plan(members):
    """``members`` ([(slot, shape, dtype)]) grouped into packs: [(dtype, size, [(slot,
    Packed)])], only for dtypes with two (one array packed alone saves nothing) to
    ``MAX_MEMBERS`` members."""
    by_dtype = {}
    for slot, shape, dtype in members:
        by_dtype.setdefault(jnp.dtype(dtype), []).append((slot, shape))
    packs = []
    for dtype, group in by_dtype.items():
        if not 2 <= len(group) <= MAX_MEMBERS:
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


def verify(storage, cell, layout, first):
    """(buffer, layout) of a packed storage holding ``cell``, made plain unless every storage of
    its plan seen so far (``first``: plan -> cell) holds the same cell: the program takes one
    buffer per plan. Only a user's swapping storages between steps packed alike could break
    that."""
    if first.setdefault(layout.plan, cell) is cell:
        return cell.pack, layout
    storage[0] = storage[0]
    return storage[0], None


def pack_values(values, dtype):
    """One flat buffer of ``values`` in order (a shape stands for zeros of that shape: a
    ``.grad`` the step will create)."""
    return jnp.concatenate([jnp.zeros(math.prod(v), dtype) if isinstance(v, tuple) else jnp.ravel(v)
                            for v in values])
