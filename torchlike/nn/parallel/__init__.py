"""torch.nn.parallel: data parallelism on jax.sharding."""
from .data_parallel import DataParallel as DataParallel, DistributedDataParallel as DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
