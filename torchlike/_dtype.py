"""torch dtypes and torch's type promotion (the only owner of both).

torchlike enables JAX's 64-bit mode on import so that ``int64`` and ``float64`` are real
64-bit types, as in PyTorch; every array torchlike creates carries an explicit dtype, so the
default ``float32`` is unaffected.
"""
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (after enabling x64)


class dtype:
    """A torch dtype: ``torchlike.float32`` prints as ``torch.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_kind")

    def __init__(self, name, np_dtype, kind):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating, 3 complex: torch's promotion categories
        self.is_floating_point = kind == 2
        self.is_complex = kind == 3
        self.is_signed = kind >= 2 or np.issubdtype(self.np, np.signedinteger)
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float64: complex128, float16: complex64, bfloat16: complex64}.get(self, complex64)


bool = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
uint16 = dtype("uint16", np.uint16, 1)
uint32 = dtype("uint32", np.uint32, 1)
uint64 = dtype("uint64", np.uint64, 1)
float16 = dtype("float16", np.float16, 2)
bfloat16 = dtype("bfloat16", jnp.bfloat16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
cfloat, cdouble = complex64, complex128

ALL = (bool, uint8, int8, int16, int32, int64, uint16, uint32, uint64,
       float16, bfloat16, float32, float64, complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}
_BY_NP = {d.np: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, "
            "uint32, uint16, uint8, and bool.") from None


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


def default_complex():
    return complex128 if _default[0] is float64 else complex64


def promote_types(a, b):
    """torch.promote_types: the lattice differs from numpy's across categories (int64 with
    float16 stays float16) and for bfloat16, which numpy does not know."""
    if a is b:
        return a
    if a._kind != b._kind:
        lo, hi = (a, b) if a._kind < b._kind else (b, a)
        if hi.is_complex and lo is float64:
            return complex128
        return hi
    if {a, b} == {bfloat16, float16}:
        return float32
    if bfloat16 in (a, b):
        other = b if a is bfloat16 else a
        return other if other.itemsize > 2 else bfloat16
    return _BY_NP[np.promote_types(a.np, b.np)]


def _combine(higher, lower):
    """torch's combine_categories: a lower-priority operand only counts if it is of a higher
    category (a Python float turns an integer tensor into the default float dtype)."""
    if higher is None:
        return lower
    if lower is None or higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def _fold(dtypes):
    out = None
    for d in dtypes:
        out = d if out is None else promote_types(out, d)
    return out


def result_type(dims, zerodims, scalars):
    """torch.result_type over operands grouped by priority: dtypes of tensors with dimensions,
    of zero-dim tensors, and of Python scalars (see ``scalar_dtype``)."""
    return _combine(_fold(dims), _combine(_fold(zerodims), _fold(scalars)))


def scalar_dtype(value):
    """The dtype torch gives a Python scalar operand (a 'wrapped number')."""
    t = type(value)
    if t is builtins_bool or isinstance(value, np.bool_):
        return bool
    if t is builtins_int or isinstance(value, np.integer):
        return int64
    if t is builtins_float or isinstance(value, np.floating):
        return _default[0]
    if t is builtins_complex or isinstance(value, np.complexfloating):
        return default_complex()
    raise TypeError(f"unsupported scalar type {t.__name__}")


import builtins as _b  # noqa: E402

builtins_bool, builtins_int, builtins_float, builtins_complex = _b.bool, _b.int, _b.float, _b.complex
