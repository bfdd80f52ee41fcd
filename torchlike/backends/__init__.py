"""torch.backends: the flags PyTorch scripts set or read. The TensorFloat-32 flags
(``cuda.matmul.allow_tf32``, ``cudnn.allow_tf32``) set the precision of GPU matrix products and
convolutions; XLA chooses its own kernels, so the other cuDNN flags are kept for scripts to
read back but change nothing."""
from . import cudnn as cudnn, mps as mps, cuda as cuda
