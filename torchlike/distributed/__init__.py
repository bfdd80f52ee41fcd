"""torch.distributed on jax.distributed: one process per host (or per launch), JAX's collectives.

``init_process_group`` reads PyTorch's rendezvous (``env://``: RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT, as torchrun sets them; or ``tcp://host:port`` with ``rank``/``world_size``) and, for
more than one process, calls ``jax.distributed.initialize`` with the master as JAX's coordinator.
Call it before creating any tensor: JAX must join the group before it starts its backends. On
CPU the collectives go through gloo (``backend="gloo"``), on GPU through NCCL.

The collectives act on process-local tensors, in place, as PyTorch's do. Data parallelism does
not need them: ``nn.parallel.DistributedDataParallel`` builds one global array over every
process's devices and XLA all-reduces the gradients inside the compiled backward.
"""
import datetime
import enum
import os

import jax
import jax.numpy as jnp
import numpy as np

_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
_ENV_MISSING = ("Error initializing torch.distributed using env:// rendezvous: environment variable {} expected, "
                "but not set")


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8

    def __repr__(self):
        return f"<RedOpType.{self.name}: {self.value}>"


class ReduceOp:
    """torch.distributed.ReduceOp: ``ReduceOp.SUM`` and its siblings."""
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    RedOpType = RedOpType


_REDUCE = {RedOpType.SUM: jnp.sum, RedOpType.AVG: jnp.mean, RedOpType.PRODUCT: jnp.prod, RedOpType.MIN: jnp.min,
           RedOpType.MAX: jnp.max,
           RedOpType.BAND: lambda x, axis: jnp.bitwise_and.reduce(x, axis=axis),
           RedOpType.BOR: lambda x, axis: jnp.bitwise_or.reduce(x, axis=axis),
           RedOpType.BXOR: lambda x, axis: jnp.bitwise_xor.reduce(x, axis=axis)}


class _Group:
    def __init__(self, backend, rank, world_size, multi):
        self.backend, self.rank, self.world_size, self.multi = backend, rank, world_size, multi


_group = [None]


class Work:
    """What ``async_op=True`` returns: the collective has already run."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


def is_available():
    return True


def is_initialized():
    return _group[0] is not None


def is_gloo_available():
    return True


def is_nccl_available():
    return bool(jax.local_devices()) and jax.local_devices()[0].platform == "gpu"


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _env(name):
    value = os.environ.get(name)
    if value is None:
        raise ValueError(_ENV_MISSING.format(name))
    return value


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Joins (or, for one process, just records) the default group; see the module docstring."""
    if _group[0] is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise NotImplementedError("torch.distributed.init_process_group(store=...) is not supported by torchlike: "
                                  "pass init_method='tcp://host:port' or set MASTER_ADDR/MASTER_PORT.")
    init_method = init_method or "env://"
    address = None
    if init_method.startswith("env://"):
        rank = int(_env("RANK")) if rank == -1 else rank
        world_size = int(_env("WORLD_SIZE")) if world_size == -1 else world_size
        if world_size > 1:
            address = f"{_env('MASTER_ADDR')}:{_env('MASTER_PORT')}"
    elif init_method.startswith("tcp://"):
        address = init_method[len("tcp://"):]
        if rank == -1 or world_size == -1:
            raise ValueError("Error initializing torch.distributed using tcp:// rendezvous: rank and world_size "
                             "must be given")
    else:
        raise NotImplementedError(f"torch.distributed.init_process_group(init_method={init_method!r}) is not "
                                  "supported by torchlike: use env:// or tcp://host:port.")
    backend = (backend or ("nccl" if is_nccl_available() else "gloo")).lower()
    multi = world_size > 1
    if multi:
        if backend in ("gloo", "cpu:gloo"):
            jax.config.update("jax_cpu_collectives_implementation", "gloo")
        kwargs = {}
        if timeout is not None:
            kwargs["initialization_timeout"] = int(timeout.total_seconds() if isinstance(timeout, datetime.timedelta)
                                                   else timeout)
        jax.distributed.initialize(address, num_processes=world_size, process_id=rank, **kwargs)
    _group[0] = _Group(backend, rank, world_size, multi)


def _default():
    g = _group[0]
    if g is None:
        raise ValueError(_NOT_INITIALIZED)
    return g


def destroy_process_group(group=None):
    g = _group[0]
    if g is None:
        raise AssertionError("Process group cannot be None")
    if g.multi:
        jax.distributed.shutdown()
    _group[0] = None


def get_rank(group=None):
    return _default().rank


def get_world_size(group=None):
    return _default().world_size


def get_backend(group=None):
    return _default().backend


def barrier(group=None, async_op=False, device_ids=None):
    if _default().multi:
        from jax.experimental import multihost_utils
        multihost_utils.sync_global_devices("torchlike.distributed.barrier")
    return Work() if async_op else None


def _gathered(tensor):
    """Every process's copy of ``tensor``, stacked along a new first axis."""
    if not _default().multi:
        return tensor._s[0][None]
    from jax.experimental import multihost_utils
    return jnp.asarray(multihost_utils.process_allgather(tensor._s[0], tiled=False))


def _write(tensor, arr):
    """In place and outside autograd, as PyTorch's collectives write (the version still moves)."""
    old = tensor._s[0]
    arr = arr.astype(old.dtype)
    tensor._s[0] = jax.device_put(arr, old.sharding) if old.committed else arr
    tensor._v[0] += 1


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces ``tensor`` over all processes, in place."""
    if op not in _REDUCE:
        raise NotImplementedError(f"torch.distributed.all_reduce(op={op!r}) is not supported by torchlike")
    _write(tensor, _REDUCE[op](_gathered(tensor), axis=0))
    return Work() if async_op else None


def broadcast(tensor, src, group=None, async_op=False, group_src=None):
    """Copies process ``src``'s ``tensor`` into every process's, in place."""
    src = src if group_src is None else group_src
    if not 0 <= src < _default().world_size:
        raise ValueError(f"Invalid src rank: {src}")
    _write(tensor, _gathered(tensor)[src])
    return Work() if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fills ``tensor_list[i]`` with process i's ``tensor``."""
    world = _default().world_size
    if len(tensor_list) != world:
        raise ValueError(f"torch.distributed.all_gather: tensor_list has {len(tensor_list)} entries for a world "
                         f"of {world}")
    for t, arr in zip(tensor_list, _gathered(tensor)):
        _write(t, arr)
    return Work() if async_op else None


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(f"module 'torchlike.distributed' has no attribute '{name}'")
    raise NotImplementedError(f"torch.distributed.{name} is not supported by torchlike: it covers process groups, "
                              "barrier, all_reduce, broadcast and all_gather on jax.distributed.")
