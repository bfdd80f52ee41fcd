"""torch.backends.cuda: the matmul precision flag, which is ``torch.set_float32_matmul_precision``
seen as a bool, as in PyTorch."""
from .._device import local_devices
from .._precision import _apply, get_float32_matmul_precision


class _Matmul:
    @property
    def allow_tf32(self):
        return get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value):
        if not isinstance(value, bool):
            raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got {type(value).__name__}")
        _apply("high" if value else "highest")

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built():
    return bool(local_devices("gpu"))
