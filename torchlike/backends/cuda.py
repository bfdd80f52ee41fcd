"""torch.backends.cuda: the matmul precision flag; XLA sets GPU matmul precision itself."""
from .._device import local_devices


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built():
    return bool(local_devices("gpu"))
