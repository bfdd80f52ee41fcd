"""A tensor's storage: the one-slot list (``Tensor._s``) holding its array, shared by the
tensor's ``.data`` and ``detach()`` aliases, and the storage kinds that hold the array another
way: shared with NumPy, in another physical layout (a compiled step's), or not computed yet (a
deferred op's). ``_meta`` reads what any of them holds for shape, dtype and device without
computing or converting anything; ``_store`` writes one.
"""
import jax
import jax.numpy as jnp
import numpy as np

from .autograd import lazy as _lazy


class _Storage(list):
    """A tensor's one-slot array holder, shared by ``.data`` and ``detach()`` aliases. A list
    subclass (not a list) so that ``numpy()`` can turn it into a ``_NumpyStorage`` in place."""

    __slots__ = ()


class _NumpyStorage(_Storage):
    """Storage shared with a NumPy array, as PyTorch's CPU tensors share memory with
    ``numpy()`` and ``from_numpy``: reads copy the array's current values onto the device (JAX
    arrays must not change under XLA), writes go into it. Slot 1 holds the NumPy array; slot 0 a
    tracer while ``torchlike.compile`` traces a step."""

    __slots__ = ()

    def __getitem__(self, i):
        traced = list.__getitem__(self, 0)
        return traced if traced is not None else jnp.array(list.__getitem__(self, 1), copy=True)

    def __setitem__(self, i, value):
        if isinstance(value, jax.core.Tracer):
            list.__setitem__(self, 0, value)
            return
        if isinstance(value, jax.Array) and not _on_host_default(value):
            # moved to another device or sharded (data parallel): the sharing ends, as a
            # PyTorch tensor moved off the CPU no longer shares the NumPy array
            list.__delitem__(self, slice(1, None))
            self.__class__ = _Storage
            list.__setitem__(self, 0, value)
            return
        list.__setitem__(self, 0, None)
        np.copyto(list.__getitem__(self, 1), np.asarray(value))


class _LayoutStorage(_Storage):
    """Storage whose array is kept in another physical layout: slot 0 holds ``raw`` and slot 1
    a permutation ``perm`` with the tensor's value ``= transpose(raw, perm)``. A compiled step
    keeps convolution weights this way (HWIO where PyTorch's API says OIHW), and their gradients
    and momentum buffers in the order XLA computes them, so the program takes and returns them
    as XLA's CPU convolutions use them instead of transposing each one every step. Slot 1 may
    instead hold a ``Packed`` layout, and slot 0 the ``Cell`` holding the flat buffer a compiled
    step returns small state in (``_compile/pack.py``): the value is a slice of the buffer, and
    the step writes its new buffer into the cell once for all the tensors that share it. Reads
    see PyTorch's layout, computed once per raw array or buffer and kept in slot 2 (slot 3: the
    buffer it was sliced from); a write makes the storage plain again."""

    __slots__ = ()

    def __getitem__(self, i):
        raw, layout, value, source = self
        if type(layout) is tuple:  # a permutation: a write replaces the storage's slots
            if value is None:
                with jax.ensure_compile_time_eval():  # a concrete array even when read inside a trace
                    value = jnp.transpose(raw, layout)
                list.__setitem__(self, 2, value)
            return value
        raw = raw.pack
        if source is not raw:
            with jax.ensure_compile_time_eval():
                value = layout.view(raw)
            list.__setitem__(self, slice(2, None), (value, raw))
        return value

    def __setitem__(self, i, value):
        list.__delitem__(self, slice(1, None))
        self.__class__ = _Storage
        list.__setitem__(self, 0, value)


class _PendingStorage(_Storage):
    """Storage of a deferred op's result (``autograd/lazy.py``): slot 0 holds a ``Pending``. A
    read runs its segment and makes the storage plain; code that only needs the shape or dtype
    reads them through ``_meta`` without running anything."""

    __slots__ = ()

    def __getitem__(self, i):
        value = list.__getitem__(self, 0).get()
        list.__setitem__(self, 0, value)
        self.__class__ = _Storage
        return value

    def __setitem__(self, i, value):
        self.__class__ = _Storage
        list.__setitem__(self, 0, value)


def _meta(t):
    """What ``t`` holds, for its shape, dtype and device: the array, or a deferred op's
    ``Pending`` (which knows them without running)."""
    s = t._s
    return list.__getitem__(s, 0) if s.__class__ is _PendingStorage else s[0]


def _store(s, value):
    """``s[0] = value`` where ``value`` may be a ``Pending``: a plain storage holds it (and is
    made plain again when its segment runs); storages with more to them get its array."""
    if value.__class__ is _lazy.Pending:
        if value.value is None and (s.__class__ is _Storage or s.__class__ is _PendingStorage):
            if s.__class__ is _PendingStorage:
                old = list.__getitem__(s, 0)
                tracked = old.seg is value.seg and old.value is None
            else:
                s.__class__ = _PendingStorage
                tracked = False
            list.__setitem__(s, 0, value)
            if not tracked:
                _lazy.track(s, value)
            return
        value = value.get()
    s[0] = value


def _set_layout(s, raw, layout):
    """Makes storage ``s`` hold ``raw`` in ``layout``: a permutation (the tensor's value is
    ``transpose(raw, perm)``), or a ``Packed`` slice of the buffer in ``Cell`` ``raw``."""
    if s.__class__ is not _LayoutStorage:
        s.__class__ = _LayoutStorage
    list.__setitem__(s, slice(None), (raw, layout, None, None))


def _raw(s):
    """(array, layout) a storage holds, without changing layout; layout None is PyTorch's. A
    packed storage gives its cell (``_compile/pack.py``)."""
    if s.__class__ is _LayoutStorage:
        return list.__getitem__(s, 0), list.__getitem__(s, 1)
    return s[0], None


def _keep(s):
    """Everything storage ``s`` holds, as stored, for ``_restore``: a compiled step's trace
    puts tracers in and must leave the storage exactly as it was."""
    return s.__class__, list(s)


def _restore(s, kept):
    cls, slots = kept
    if s.__class__ is not cls:
        s.__class__ = cls
    list.__setitem__(s, slice(None), slots)


def _known(arr):
    """Whether ``arr``'s values can be read: not while ``torchlike.compile`` traces a step. Ops
    check their inputs' values (class targets in range, indices in range, ...) only when they
    can: inside a compiled step those checks are not made (README)."""
    return not isinstance(arr, jax.core.Tracer)


def _on_host_default(arr):
    """Only an array on the one default CPU device can live in NumPy memory without moving."""
    devices = arr.devices()
    return len(devices) == 1 and next(iter(devices)) == jax.devices()[0] and jax.devices()[0].platform == "cpu"


def _storage(array):
    s = _Storage()
    s.append(array)
    return s


def _numpy_storage(ndarray):
    s = _NumpyStorage()
    list.append(s, None)
    list.append(s, ndarray)
    return s


# the recording path and the engine read storages through these (they load before this module)
from .autograd import engine as _engine, record as _record  # noqa: E402

_lazy._PendingStorage, _lazy._PlainStorage = _PendingStorage, _Storage  # a run makes its storages plain
_record._PendingStorage, _record._meta = _PendingStorage, _meta
_engine._meta, _engine._store = _meta, _store
