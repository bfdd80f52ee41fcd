"""The device API against PyTorch's CPU build (no GPU here, as in this torch): torch.device,
device= on factories, Tensor.to/cpu/cuda, Module.to, torch.cuda, torch.backends and
torch.distributed before a group exists."""
import pytest

import torchlike
from tests.oracle import oracle

NO_CUDA = "Torch not compiled with CUDA enabled"


def outcome(f):
    """What f() gives: ("ok", repr) or (exception type name, message). torchlike's missing-CUDA
    error is an AssertionError (PyTorch's type) that is also a RuntimeError (see _device.py)."""
    try:
        return "ok", repr(f())
    except Exception as e:  # noqa: BLE001  (the test compares any exception)
        return "AssertionError" if isinstance(e, AssertionError) else type(e).__name__, str(e)


@pytest.mark.parametrize("args", [("cpu",), ("cuda",), ("cuda:1",), ("cuda", 0), ("cpu", 3), ("cpu:0",),
                                  ("meta",), ("cuda:-1",), ("cuda:x",), ("cuda:01",), ("cuda:1:2",), (" cuda",),
                                  ("CUDA",), ("xyz",), ("cuda", -1), ("cuda:0", 1), (None,), ("cuda", "x")])
def test_device_construction(args):
    torch = oracle()
    assert outcome(lambda: torchlike.device(*args)) == outcome(lambda: torch.device(*args))


def test_device_properties_equality_and_pickling():
    torch = oracle()
    import pickle
    for s in ("cpu", "cuda:1", "cpu:0"):
        ours, theirs = torchlike.device(s), torch.device(s)
        assert (ours.type, ours.index, str(ours), repr(ours)) == (theirs.type, theirs.index, str(theirs), repr(theirs))
        assert pickle.loads(pickle.dumps(ours)) == ours
    assert (torchlike.device("cpu") == "cpu") is (torch.device("cpu") == "cpu")  # never equal to a str
    assert torchlike.device("cuda", 0) == torchlike.device("cuda:0") != torchlike.device("cuda")
    assert len({torchlike.device("cpu"), torchlike.device("cpu")}) == 1
    # An int names the accelerator: PyTorch's error when there is none.
    assert outcome(lambda: torchlike.device(1)) == outcome(lambda: torch.device(1))


FACTORIES = {
    "zeros": lambda t, dev: t.zeros(2, device=dev),
    "tensor": lambda t, dev: t.tensor([1.0], device=dev),
    "randn": lambda t, dev: t.randn(2, device=dev).device,
    "arange": lambda t, dev: t.arange(3, device=dev),
    "zeros_like": lambda t, dev: t.zeros_like(t.ones(2), device=dev),
    "to": lambda t, dev: t.ones(2).to(dev),
    "to_dtype": lambda t, dev: t.ones(2).to(dev, t.float64),
    "cuda": lambda t, dev: t.ones(2).cuda(),
    "module_to": lambda t, dev: t.nn.Linear(2, 2).to(dev).weight.device,
    "module_cuda": lambda t, dev: t.nn.Linear(2, 2).cuda().weight.device,
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("dev", ["cpu", "cuda", "cuda:1", torchlike.device("cuda", 0)])
def test_placement_matches_pytorch(name, dev):
    torch = oracle()
    theirs_dev = torch.device(str(dev)) if isinstance(dev, torchlike.device) else dev
    ours = outcome(lambda: FACTORIES[name](torchlike, dev))
    theirs = outcome(lambda: FACTORIES[name](torch, theirs_dev))
    if theirs[0] == "AssertionError":  # ours names the devices JAX sees after PyTorch's sentence
        assert ours[0] == "AssertionError" and ours[1].startswith(NO_CUDA + " (torchlike: JAX has no GPU")
        assert "JAX sees: cpu:0" in ours[1]
    else:
        assert ours == theirs


def test_tensor_to_keeps_identity_and_follows_a_tensor():
    torch = oracle()
    x = torchlike.zeros(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(torchlike.device("cpu")) is x
    assert x.to("cpu", copy=True) is not x
    y = x.to(torchlike.zeros(1, dtype=torchlike.int32))
    assert (y.dtype, y.device) == (torchlike.int32, torchlike.device("cpu"))
    assert str(x.device) == str(torch.zeros(2).device) and x.is_cuda is False
    w = torchlike.ones(2, requires_grad=True)
    z = w.to("cpu", torchlike.float64)
    assert z.grad_fn.name() == torch.ones(2, requires_grad=True).to("cpu", torch.float64).grad_fn.name()


def test_default_device():
    torch = oracle()
    assert repr(torchlike.get_default_device()) == repr(torch.get_default_device())
    torchlike.set_default_device("cpu")
    try:
        assert torchlike.zeros(1).device == torchlike.device("cpu")
    finally:
        torchlike.set_default_device(None)
    with torchlike.device("cpu"):
        assert str(torchlike.ones(1).device) == "cpu"
    torchlike.set_default_device("cuda")
    try:
        with pytest.raises(AssertionError, match=NO_CUDA):
            torchlike.zeros(1)
    finally:
        torchlike.set_default_device(None)


def test_absent_tpu_and_mps():
    with pytest.raises(RuntimeError, match="no TPU device for tpu; JAX sees: cpu:0"):
        torchlike.zeros(1, device="tpu")
    with pytest.raises(NotImplementedError, match="no 'mps' device"):
        torchlike.zeros(1, device="mps")


CUDA_CALLS = ["is_available", "device_count", "is_initialized", "current_device", "synchronize", "get_device_name",
              "memory_allocated", "max_memory_allocated", "memory_reserved", "empty_cache", "manual_seed",
              "manual_seed_all", "get_device_capability"]


@pytest.mark.parametrize("name", CUDA_CALLS)
def test_cuda_module_matches_cpu_build(name):
    torch = oracle()
    args = (3,) if name.startswith("manual_seed") else ()
    ours = outcome(lambda: getattr(torchlike.cuda, name)(*args))
    theirs = outcome(lambda: getattr(torch.cuda, name)(*args))
    if theirs[0] == "AssertionError":
        assert ours[0] == "AssertionError" and ours[1].startswith(NO_CUDA)
    else:
        assert ours == theirs


def test_cuda_manual_seed_without_gpu_leaves_the_cpu_stream_alone():
    torch = oracle()
    for lib in (torch, torchlike):  # the same relation in both: the CUDA seed does not touch CPU draws
        lib.manual_seed(0)
        plain = lib.rand(3).tolist()
        lib.manual_seed(0)
        lib.cuda.manual_seed(5)
        lib.cuda.manual_seed_all(6)
        assert lib.rand(3).tolist() == plain


def test_unsupported_cuda_api_names_itself():
    with pytest.raises(NotImplementedError, match="torch.cuda.CUDAGraph is not supported"):
        torchlike.cuda.CUDAGraph
    assert not hasattr(torchlike.cuda, "__path__")


def test_backends():
    torch = oracle()
    for ours, theirs in ((torchlike.backends.mps, torch.backends.mps), (torchlike.backends.cudnn, torch.backends.cudnn)):
        assert ours.is_available() == theirs.is_available()
    c, tc = torchlike.backends.cudnn, torch.backends.cudnn
    assert (c.enabled, c.benchmark, c.deterministic, c.allow_tf32) == (tc.enabled, tc.benchmark, tc.deterministic,
                                                                       tc.allow_tf32)
    assert torchlike.backends.mps.is_built() == torch.backends.mps.is_built()
    assert torchlike.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    with c.flags(enabled=False, deterministic=True):
        assert (c.enabled, c.deterministic) == (False, True)
    assert (c.enabled, c.deterministic) == (True, False)


DIST_CALLS = {
    "is_available": lambda d, t: d.is_available(),
    "is_initialized": lambda d, t: d.is_initialized(),
    "get_rank": lambda d, t: d.get_rank(),
    "get_world_size": lambda d, t: d.get_world_size(),
    "barrier": lambda d, t: d.barrier(),
    "all_reduce": lambda d, t: d.all_reduce(t.ones(2)),
    "destroy": lambda d, t: d.destroy_process_group(),
    "reduce_op": lambda d, t: d.ReduceOp.SUM,
    "ddp": lambda d, t: t.nn.parallel.DistributedDataParallel(t.nn.Linear(2, 2)),
}


@pytest.mark.parametrize("name", sorted(DIST_CALLS))
def test_distributed_before_init_matches_pytorch(name):
    torch = oracle()
    import torch.distributed as tdist
    ours = outcome(lambda: DIST_CALLS[name](torchlike.distributed, torchlike))
    theirs = outcome(lambda: DIST_CALLS[name](tdist, torch))
    assert ours == theirs


def test_init_process_group_env_errors(monkeypatch):
    torch = oracle()
    import torch.distributed as tdist
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    ours = outcome(lambda: torchlike.distributed.init_process_group("gloo"))
    assert ours == outcome(lambda: tdist.init_process_group("gloo"))


def test_single_process_group_and_collectives(monkeypatch):
    dist = torchlike.distributed
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group("gloo")
    try:
        with pytest.raises(ValueError, match="trying to initialize the default process group twice!"):
            dist.init_process_group("gloo")
        assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size(), dist.get_backend()) == \
            (True, 0, 1, "gloo")
        t = torchlike.tensor([1.0, 2.0])
        v = t._version
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        assert t.tolist() == [1.0, 2.0] and t._version == v + 1
        dist.broadcast(t, 0)
        out = [torchlike.zeros(2)]
        dist.all_gather(out, t)
        assert out[0].tolist() == [1.0, 2.0]
        dist.barrier()
        assert dist.all_reduce(t, async_op=True).wait()
        with pytest.raises(ValueError, match="Invalid src rank: 1"):
            dist.broadcast(t, 1)
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_data_parallel_on_one_device_is_the_module():
    torch = oracle()
    torchlike.manual_seed(0)
    lin = torchlike.nn.Linear(3, 2)
    dp = torchlike.nn.DataParallel(lin)
    ref = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    assert repr(dp) == repr(ref)
    assert list(dp.state_dict()) == list(ref.state_dict())
    x = torchlike.ones(4, 3)
    assert dp(x).tolist() == lin(x).tolist()  # the same computation, one device
    assert dp.module is lin
