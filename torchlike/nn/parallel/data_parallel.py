"""DataParallel and DistributedDataParallel as one SPMD program over a jax.sharding.Mesh.

PyTorch copies the module to every GPU, scatters the batch, runs the copies and all-reduces the
gradients (DistributedDataParallel) or sums them onto the first GPU (DataParallel). Here the
module is not copied: each parameter and buffer becomes one array replicated over a Mesh of the
devices (``NamedSharding(mesh, P())``), each batch one array split along ``dim`` over them
(``P('batch')``), and XLA's partitioner (GSPMD) compiles every op, the fused backward and the
optimizer update for that layout, inserting the all-reduce of the gradients itself. So
``loss.backward()`` and ``optimizer.step()`` keep their meaning and the parameters stay identical
on every device.

Differences from PyTorch, by design:

* The output is not gathered onto one device: it stays split along the batch (its ``.device``
  is the mesh's first device, ``cpu`` or ``cuda:0``). Tensors on that device (targets) combine
  with it directly.
* Batch statistics (BatchNorm in training mode) are computed over the whole batch, as
  ``nn.SyncBatchNorm`` does, so training matches one device exactly; PyTorch's replicas use
  their own slice's statistics.
* A batch the device count does not divide (the last batch of an epoch, usually) is not split:
  every device computes the whole batch. Results are the same as for an even batch; only that
  batch runs without speed-up (``DataLoader(drop_last=True)`` avoids it). PyTorch would split it
  unevenly; XLA's shardings are even, and splitting over a sub-mesh would put the batch and the
  parameters on meshes of different shapes, which XLA's partitioner does not combine reliably.
* With several processes (``torchlike.distributed.init_process_group``), each process passes its
  own slice of the global batch and the output is the global batch; targets go through
  ``ddp.shard(targets)`` so that they are global too (a torchlike addition). ``loss.item()`` is
  then the global loss on every rank.
"""
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from ... import _device
from ..._tensor import Tensor
from ..modules.module import Module

def _local_devices(module, device_ids):
    """The devices to spread over: ``device_ids`` (indices or torch devices) or every local
    device of the platform the module's parameters live on."""
    first = next(iter(module.parameters()), None)
    platform = next(iter(first._s[0].devices())).platform if first is not None else jax.local_devices()[0].platform
    if device_ids is None:
        return _device.local_devices(platform)
    devs = []
    for d in device_ids:
        if isinstance(d, int):
            kind = "cuda" if platform == "gpu" else platform
            d = _device.device(kind, d)
        devs.append(_device.device(d).jax_device())
    return devs


class _Spmd(Module):
    """What both wrappers share: a mesh, replicated state and batches split along ``dim``."""

    def _setup(self, module, devices, dim, multi_process=False):
        self.module = module
        self.dim = dim
        self._multi = multi_process
        self._n = len(devices)
        self.mesh = Mesh(np.array(devices), ("batch",))
        self._replicated = NamedSharding(self.mesh, P())
        self._split = {}
        self._replicate()

    def _put(self, arr, sharding):
        if self._multi:
            local = np.asarray(arr)
            return jax.make_array_from_callback(arr.shape, sharding, lambda idx: local[idx])
        return jax.device_put(arr, sharding)

    def _replicate(self):
        """Puts every parameter, gradient and buffer on the mesh, in place (identity kept).
        While ``torchlike.compile`` traces a step they hold tracers: the compiled program takes
        them as they were put on the mesh when the step ran eagerly."""
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            for held in (t, t._grad):
                if held is None:
                    continue
                arr = held._s[0]
                if not isinstance(arr, jax.core.Tracer) and arr.sharding != self._replicated:
                    held._s[0] = self._put(arr, self._replicated)

    def _split_sharding(self):
        sharding = self._split.get(self.dim)
        if sharding is None:
            sharding = self._split[self.dim] = NamedSharding(self.mesh, P(*([None] * self.dim + ["batch"])))
        return sharding

    def _batch_sharding(self, size):
        return self._replicated if size % self._n else self._split_sharding()

    def _scatter(self, x):
        if isinstance(x, Tensor):
            if x.dim() <= self.dim:
                return x
            arr = x._s[0]
            if x._rg:
                raise NotImplementedError(
                    "torch.nn.parallel.DataParallel: inputs that require grad are not supported by torchlike; "
                    "pass them detached or compute with them outside the wrapper.")
            if self._multi:  # each process holds its slice; together they form the global batch
                out = jax.make_array_from_process_local_data(self._split_sharding(), np.asarray(arr))
            else:
                out = jax.device_put(arr, self._batch_sharding(arr.shape[self.dim]))
            return Tensor._wrap(out)
        if isinstance(x, (tuple, list)):
            return type(x)(self._scatter(v) for v in x)
        if isinstance(x, dict):
            return {k: self._scatter(v) for k, v in x.items()}
        return x

    def shard(self, tensor):
        """``tensor`` split along ``dim`` over the devices, as the wrapper splits its inputs
        (a torchlike addition: needed for targets when several processes train together)."""
        return self._scatter(tensor)

    def forward(self, *inputs, **kwargs):
        self._replicate()  # a parameter replaced since the last call (load_state_dict) rejoins the mesh
        return self.module(*self._scatter(inputs), **self._scatter(kwargs))


class DataParallel(_Spmd):
    """torch.nn.DataParallel: one process, all its devices (see the module docstring)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if output_device is not None:
            raise NotImplementedError("torch.nn.DataParallel(output_device=...) is not supported by torchlike: "
                                      "the output stays split over the devices; call .to(device) on it.")
        self.device_ids = device_ids
        self._setup(module, _local_devices(module, device_ids), dim)


class DistributedDataParallel(_Spmd):
    """torch.nn.parallel.DistributedDataParallel over every device of every process in the
    default group: one process per host drives all its devices (PyTorch runs one per GPU)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None, mixed_precision=None,
                 device_mesh=None, skip_all_reduce_unused_params=False):
        super().__init__()
        from ... import distributed as dist
        world = dist.get_world_size()  # PyTorch's ValueError when no group was initialized
        self.device_ids = device_ids
        self.find_unused_parameters = find_unused_parameters
        if world > 1:
            if device_mesh is None and init_sync:  # PyTorch starts every rank from rank 0's state
                for t in list(module.parameters()) + list(module.buffers()):
                    dist.broadcast(t, 0)
            devices = device_mesh.devices.flat if isinstance(device_mesh, Mesh) else jax.devices()
            self._setup(module, list(devices), dim, multi_process=True)
        else:
            devices = list(device_mesh.devices.flat) if isinstance(device_mesh, Mesh) else \
                _local_devices(module, device_ids)
            self._setup(module, devices, dim)

    def no_sync(self):
        """Gradients are reduced inside XLA's backward, so there is nothing to postpone: the
        accumulated gradients are the same as PyTorch's after the synchronised step."""
        import contextlib
        return contextlib.nullcontext()
