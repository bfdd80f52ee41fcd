"""torch.backends: the flags PyTorch scripts set or read. XLA chooses its own kernels, so the
cuDNN flags are kept for scripts to read back but change nothing."""
from . import cudnn as cudnn, mps as mps, cuda as cuda
