"""``torch.set_float32_matmul_precision``: PyTorch computes float32 matrix products in full
float32 unless asked otherwise, where XLA on a recent GPU would use TensorFloat-32. The setting
is JAX's ``jax_default_matmul_precision``, which every jitted program is keyed on, so a change
retraces instead of reusing programs traced under the old one. Convolutions follow
``torch.backends.cudnn.allow_tf32`` instead (their own argument), as in PyTorch."""
import warnings

import jax

_JAX = {"highest": "highest", "high": "tensorfloat32", "medium": "tensorfloat32"}
_current = ["highest"]


def _apply(precision):
    _current[0] = precision
    jax.config.update("jax_default_matmul_precision", _JAX[precision])


def set_float32_matmul_precision(precision):
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _JAX:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _apply(precision)


def get_float32_matmul_precision():
    return _current[0]


_apply("highest")
