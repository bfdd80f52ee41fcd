"""Tensor printing: PyTorch 2.13's ``torch/_tensor_str.py`` rebuilt on NumPy arrays.

``format_tensor`` produces exactly what ``repr(torch_tensor)`` prints for a dense tensor
holding the same values: the same column widths, integer/scientific/fixed-point mode choice,
``...`` summarization, line wrapping and ``dtype=`` / ``device=`` / ``grad_fn=`` suffixes.
``set_printoptions``, ``get_printoptions`` and ``printoptions`` mirror torch's and share one
global ``PRINT_OPTS``, as torch does.

Floating values are formatted as Python floats (float64), as torch does through
``Tensor.tolist()`` / ``Tensor.item()``; float16 and bfloat16 widen to float64 exactly.

Differences from PyTorch: only dense (strided) tensors are printed; there is no sparse,
quantized, nested, meta or functorch-wrapped tensor printing, and no forward-AD tangents.
"""
import contextlib
import dataclasses
import math

import numpy as np

from . import _dtype


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: "bool | None" = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """torch.set_printoptions. As in torch, an unknown ``profile`` is ignored and
    ``sci_mode`` is always reset (to None, automatic, when not given)."""
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """torch.get_printoptions: a dict that can be passed back to ``set_printoptions``."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """torch.printoptions: set print options for the duration of a ``with`` block."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses one layout for all elements: the column width, and for floats whether every
    value is integral ('27.') and whether scientific notation is needed."""

    def __init__(self, values, floating):
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)

        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        magnitudes = np.abs(nonzero_finite)
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        if self.sci_mode:
            spec, extra = f".{PRINT_OPTS.precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the '.' that marks an integral float
        else:
            spec, extra = f".{PRINT_OPTS.precision}f", 0
        for value in nonzero_finite.tolist():
            self.max_width = max(self.max_width, len(format(value, spec)) + extra)

    def width(self):
        return self.max_width

    def format(self, value):
        if not self.floating_dtype:
            text = f"{value}"
        elif self.sci_mode:
            text = format(value, f"{self.max_width}.{PRINT_OPTS.precision}e")
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = format(value, f".{PRINT_OPTS.precision}f")
        return text.rjust(self.max_width)


def _element_str(value, real_formatter, imag_formatter):
    if imag_formatter is None:
        return real_formatter.format(value)
    real = real_formatter.format(value.real)
    imag = (imag_formatter.format(value.imag) + "j").lstrip()
    # a negative imaginary part (-0. included) already carries its sign
    return real + imag if imag[0] in "+-" else real + "+" + imag


def _vector_str(values, indent, summarize, real_formatter, imag_formatter):
    element_length = real_formatter.width() + 2  # ', ' between elements
    if imag_formatter is not None:
        element_length += imag_formatter.width() + 1  # the 'j'
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))

    def fmt(items):
        return [_element_str(v, real_formatter, imag_formatter) for v in items.tolist()]

    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        data = fmt(values[:edge]) + [" ..."] + fmt(values[-edge:])
    else:
        data = fmt(values)

    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(values, indent, summarize, real_formatter, imag_formatter):
    ndim = values.ndim
    if ndim == 0:
        return _element_str(values.item(), real_formatter, imag_formatter)
    if ndim == 1:
        return _vector_str(values, indent, summarize, real_formatter, imag_formatter)

    def sub(i):
        return _tensor_str_with_formatter(values[i], indent + 1, summarize,
                                          real_formatter, imag_formatter)

    edge, n = PRINT_OPTS.edgeitems, values.shape[0]
    if summarize and n > 2 * edge:
        slices = [sub(i) for i in range(edge)] + ["..."] + [sub(i) for i in range(n - edge, n)]
    else:
        slices = [sub(i) for i in range(n)]
    return "[" + ("," + "\n" * (ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(values):
    """The elements that will be printed when summarizing: the formatter sizes columns
    from these alone. (As in torch, edgeitems=0 keeps a whole 1-D tensor: ``x[-0:]``.)"""
    edge = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim == 1:
        if values.shape[0] > 2 * edge:
            return np.concatenate((values[:edge], values[-edge:]))
        return values
    if not edge:
        return np.empty([0] * values.ndim, dtype=values.dtype)
    n = values.shape[0]
    rows = range(n) if n <= 2 * edge else [*range(edge), *range(n - edge, n)]
    return np.stack([_summarized_data(values[i]) for i in rows])


def _tensor_str(values, indent, is_complex):
    if values.size == 0:
        return "[]"
    summarize = values.size > PRINT_OPTS.threshold
    floating = values.dtype.kind in "fc"

    def formatter(part):
        return _Formatter(_summarized_data(part) if summarize else part, floating)

    if is_complex:
        return _tensor_str_with_formatter(values, indent, summarize,
                                          formatter(values.real), formatter(values.imag))
    return _tensor_str_with_formatter(values, indent, summarize, formatter(values), None)


def _as_printable(values, dtype):
    """float64/complex128 for floating dtypes (exact, and what Python formatting sees in
    torch via ``tolist()``); integer and bool arrays are kept as they are."""
    values = np.asarray(values)
    if dtype.is_complex:
        return values.astype(np.complex128)
    if dtype.is_floating_point:
        if values.dtype.kind != "f":  # ml_dtypes' bfloat16 widens through float32 (exact)
            values = values.astype(np.float32)
        return values.astype(np.float64)
    return values


def _add_suffixes(text, suffixes, indent):
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1  # torch's arithmetic, kept as is
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(values, dtype, *, device=None, grad_fn_name=None, requires_grad=False):
    """What ``repr()`` of a torch tensor prints, for the values in the NumPy array ``values``
    (a bfloat16 array uses ml_dtypes' bfloat16) of torchlike dtype ``dtype``.

    ``device`` is None (or 'cpu') for the CPU, else a string such as 'cuda:0', printed as
    ``device='cuda:0'``. ``grad_fn_name`` (e.g. 'MulBackward0') prints ``grad_fn=<...>``;
    otherwise ``requires_grad=True`` prints when set.
    """
    values = _as_printable(values, dtype)
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if device is not None and str(device) != "cpu":
        suffixes.append(f"device='{device}'")

    if values.size == 0:
        # no elements to show the dtype by, so anything but the default float is spelled out
        if values.ndim != 1:
            suffixes.append("size=" + str(tuple(values.shape)))
        if dtype is not _dtype.get_default_dtype():
            suffixes.append("dtype=" + repr(dtype))
        text = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(values.shape)))
        implied = (_dtype.get_default_dtype(), _dtype.default_complex(), _dtype.int64, _dtype.bool)
        if not any(dtype is d for d in implied):
            suffixes.append("dtype=" + repr(dtype))
        text = _tensor_str(values, indent, dtype.is_complex)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + text, suffixes, indent)
