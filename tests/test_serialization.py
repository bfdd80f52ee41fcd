"""torchlike.save / torchlike.load against real torch.save / torch.load (the oracle)."""
import io
import os
import pathlib
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import torchlike
from torchlike._serialization import zipformat
from torchlike.serialization import add_safe_globals, clear_safe_globals, safe_globals

from oracle import assert_close, oracle, to_numpy


class Opaque:
    """A user class: not on the weights_only allowlist."""

    def __init__(self, v=1):
        self.v = v


class RunsCode:
    """Unpickling this would run ``open(marker, 'w')`` through os.system if the loader let it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _saved(obj, **kwargs):
    b = io.BytesIO()
    torchlike.save(obj, b, **kwargs)
    return b.getvalue()


def _torch_saved(torch, obj, **kwargs):
    b = io.BytesIO()
    torch.save(obj, b, **kwargs)
    return b.getvalue()


def _assert_same_tensor(ours, theirs):
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.requires_grad == theirs.requires_grad
    np.testing.assert_array_equal(to_numpy(ours), to_numpy(theirs))


_DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
           "complex64", "complex128", "uint16", "uint32", "uint64"]


def _sample(lib):
    """The same nested object built from torch or torchlike."""
    out = OrderedDict()
    for name in _DTYPES:
        out[name] = lib.tensor([[1, 0, 3], [4, 5, 0]], dtype=getattr(lib, name))
    out["scalar"] = lib.tensor(2.5)
    out["empty"] = lib.zeros(0, 3)
    out["grad"] = lib.tensor([1.0, -2.0], requires_grad=True)
    out["meta"] = {"size": lib.Size([2, 3]), "dtype": lib.float16, "device": lib.device("cpu"),
                   "nums": [1, 2.5, -7, 2 ** 40, None, True, "s", b"raw", 1 + 2j], "tup": (1, (2, 3)), "set": {4}}
    return out


def test_torchlike_save_loads_in_torch_identically():
    torch = oracle()
    ours = _sample(torchlike)
    raw = _saved(ours)
    theirs = torch.load(io.BytesIO(raw), weights_only=True)
    assert list(theirs) == list(ours)
    for k in list(ours)[:-1]:
        _assert_same_tensor(ours[k], theirs[k])
    m = theirs["meta"]
    assert m["size"] == torch.Size([2, 3]) and m["dtype"] is torch.float16 and m["device"] == torch.device("cpu")
    assert m["nums"] == [1, 2.5, -7, 2 ** 40, None, True, "s", b"raw", 1 + 2j]
    assert m["tup"] == (1, (2, 3)) and m["set"] == {4}
    # torch re-saving what it loaded writes the very same pickle: our data.pkl is torch's, byte for byte
    again = zipfile.ZipFile(io.BytesIO(_torch_saved(torch, theirs)))
    mine = zipfile.ZipFile(io.BytesIO(raw))
    assert mine.namelist() == again.namelist()
    for name in mine.namelist():
        if not name.endswith("serialization_id"):
            assert mine.read(name) == again.read(name), name
    assert [i.header_offset for i in mine.infolist()] == [i.header_offset for i in again.infolist()]


def test_torch_save_loads_in_torchlike_zip_and_legacy():
    torch = oracle()
    theirs = _sample(torch)
    for zipped in (True, False):
        if not zipped:  # torch's own legacy writer cannot save these (it cannot load them back either)
            theirs = OrderedDict((k, v) for k, v in theirs.items() if k not in ("uint16", "uint32", "uint64"))
        ours = torchlike.load(io.BytesIO(_torch_saved(torch, theirs, _use_new_zipfile_serialization=zipped)))
        assert list(ours) == list(theirs)
        for k in list(theirs)[:-1]:
            assert type(ours[k]) is torchlike.Tensor
            _assert_same_tensor(ours[k], theirs[k])
        m = ours["meta"]
        assert type(m["size"]) is torchlike.Size and m["size"] == (2, 3)
        assert m["dtype"] is torchlike.float16 and m["device"] == torchlike.device("cpu")
        assert m["nums"] == [1, 2.5, -7, 2 ** 40, None, True, "s", b"raw", 1 + 2j] and m["set"] == {4}


def test_views_of_one_storage():
    torch = oracle()
    x = torch.arange(24.0).reshape(4, 6)
    views = {"x": x, "rows": x[1:3], "strided": x[::2, 1::3], "t": x.t(), "elem": x[3, 5], "flat": x.view(-1)[5:]}
    for zipped in (True, False):
        ours = torchlike.load(io.BytesIO(_torch_saved(torch, views, _use_new_zipfile_serialization=zipped)))
        for k, v in views.items():
            _assert_same_tensor(ours[k], v)
    # a tensor and its detach() share one storage when torchlike saves them, and still do in torch
    a = torchlike.tensor([1.0, 2.0, 3.0])
    loaded = torch.load(io.BytesIO(_saved([a, a.detach(), a.data])), weights_only=True)
    assert loaded[0].data_ptr() == loaded[1].data_ptr() == loaded[2].data_ptr()


def test_state_dict_round_trip():
    torch = oracle()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    model(torch.randn(4, 3))  # moves the running stats and num_batches_tracked
    sd = model.state_dict()
    ours = torchlike.load(io.BytesIO(_torch_saved(torch, sd)))
    assert type(ours) is OrderedDict and list(ours) == list(sd) and ours._metadata == sd._metadata
    for k in sd:
        _assert_same_tensor(ours[k], sd[k])
    back = torch.load(io.BytesIO(_saved(ours)), weights_only=True)
    assert back._metadata == sd._metadata
    fresh = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    fresh.load_state_dict(back)
    for k, v in fresh.state_dict().items():
        _assert_same_tensor(v, sd[k])


def test_parameters_round_trip():
    torch = oracle()
    params = {"w": torch.nn.Parameter(torch.ones(2, 2)), "frozen": torch.nn.Parameter(torch.zeros(1), False)}
    ours = torchlike.load(io.BytesIO(_torch_saved(torch, params)))
    try:
        from torchlike.nn import Parameter
    except ImportError:
        Parameter = torchlike.Tensor
    for k, v in params.items():
        assert isinstance(ours[k], Parameter) and ours[k].is_leaf
        _assert_same_tensor(ours[k], v)
    back = torch.load(io.BytesIO(_saved(ours)), weights_only=True)
    for k, v in params.items():
        assert type(back[k]) is type(v)
        _assert_same_tensor(back[k], v)


def test_malicious_pickle_is_refused_without_running(tmp_path):
    torch = oracle()
    marker = tmp_path / "pwned"
    raw = _torch_saved(torch, {"x": torch.ones(1), "evil": RunsCode(marker)})
    with pytest.raises(pickle.UnpicklingError) as ours:
        torchlike.load(io.BytesIO(raw))
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(raw))
    assert str(ours.value) == str(theirs.value)
    assert "posix.system" in str(ours.value) or "nt.system" in str(ours.value)
    assert not marker.exists()


def test_unknown_global_message_and_allowlist():
    torch = oracle()
    raw = _torch_saved(torch, {"o": Opaque(3)})
    with pytest.raises(pickle.UnpicklingError) as ours:
        torchlike.load(io.BytesIO(raw))
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(raw))
    assert str(ours.value) == str(theirs.value)
    assert "weights_only" in str(ours.value) and "Opaque" in str(ours.value)
    assert torchlike.load(io.BytesIO(raw), weights_only=False)["o"].v == 3
    with safe_globals([Opaque]):
        assert torchlike.load(io.BytesIO(raw))["o"].v == 3
    with pytest.raises(pickle.UnpicklingError):
        torchlike.load(io.BytesIO(raw))
    add_safe_globals([Opaque])
    try:
        assert torchlike.load(io.BytesIO(raw))["o"].v == 3
    finally:
        clear_safe_globals()
    with pytest.raises(RuntimeError, match="explicit pickle_module"):
        torchlike.load(io.BytesIO(raw), pickle_module=pickle, weights_only=True)
    assert torchlike.load(io.BytesIO(raw), pickle_module=pickle)["o"].v == 3


def test_truncated_and_corrupt_files():
    torch = oracle()
    zipped = _torch_saved(torch, {"a": torch.arange(50.0)})
    with pytest.raises(RuntimeError, match="central directory"):
        torchlike.load(io.BytesIO(zipped[:len(zipped) // 2]))
    with pytest.raises(RuntimeError, match="central directory"):
        torchlike.load(io.BytesIO(zipped[:-10]))
    flipped = bytearray(zipped)
    flipped[zipped.index(b"data/0") + 100] ^= 0xFF  # inside the storage: torch loads wrong values silently
    with pytest.raises(RuntimeError, match="data/0"):
        torchlike.load(io.BytesIO(bytes(flipped)))
    with pytest.raises(EOFError):
        torchlike.load(io.BytesIO(b""))
    with pytest.raises(RuntimeError, match="Invalid magic number"):
        torchlike.load(io.BytesIO(b"not a checkpoint at all" * 4))
    legacy = _torch_saved(torch, {"a": torch.arange(50.0)}, _use_new_zipfile_serialization=False)
    for cut in (5, 40, 120, len(legacy) - 3):
        with pytest.raises((RuntimeError, pickle.UnpicklingError)):
            torchlike.load(io.BytesIO(legacy[:cut]))


def test_out_of_bounds_view_is_an_error_not_a_crash():
    torch = oracle()

    class Forged:
        def __reduce__(self):
            return (torch._utils._rebuild_tensor_v2,
                    (torch.ones(4).untyped_storage(), 2, (1000,), (1,), False, OrderedDict()))
    raw = _torch_saved(torch, {"t": Forged()})
    with pytest.raises(RuntimeError) as theirs:
        torch.load(io.BytesIO(raw))
    with pytest.raises(RuntimeError, match="out of bounds") as ours:
        torchlike.load(io.BytesIO(raw))
    assert type(ours.value) is type(theirs.value)


def _relocated(raw, location):
    """The zip checkpoint ``raw`` with every storage's location tag rewritten (as a cuda save has)."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X" + len(location).to_bytes(4, "little")
                                    + location.encode())
            dst.writestr(name, data)
    return out.getvalue()


def test_map_location_variants():
    torch = oracle()
    x = torch.arange(6.0).reshape(2, 3)
    raw = _relocated(_torch_saved(torch, {"x": x}), "cuda:0")
    expect = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)["x"]
    seen = []

    def spy(storage, location):
        seen.append(location)
        return None
    for ml in (None, "cpu", torchlike.device("cpu"), torch.device("cpu"), {"cuda:0": "cpu"}, spy,
               lambda storage, location: storage.cpu()):
        got = torchlike.load(io.BytesIO(raw), map_location=ml)["x"]
        _assert_same_tensor(got, expect)
        assert got.device == torchlike.device("cpu")  # no GPU here: the CPU is where tensors land
    assert seen == ["cuda:0"]
    with pytest.raises(RuntimeError) as theirs:
        torch.load(io.BytesIO(raw), map_location="nodevice")
    with pytest.raises(RuntimeError) as ours:
        torchlike.load(io.BytesIO(raw), map_location="nodevice")
    assert str(ours.value) == str(theirs.value)


def test_paths_and_file_objects(tmp_path, monkeypatch):
    torch = oracle()
    t = torchlike.tensor([1.5, 2.5])
    path = tmp_path / "model.v1.pt"
    torchlike.save({"t": t, "u": torchlike.tensor([7, 8, 9])}, str(path))
    assert zipfile.ZipFile(path).namelist()[0] == "model.v1/data.pkl"  # torch names the folder the same
    _assert_same_tensor(torch.load(path, weights_only=True)["t"], torchlike.load(path)["t"])
    # mmap maps records by their offsets, which torch's debug mode recomputes from miniz's layout rules
    monkeypatch.setenv("TORCH_SERIALIZATION_DEBUG", "1")
    for mmap in (False, True):
        _assert_same_tensor(torchlike.load(path)["u"], torch.load(path, mmap=mmap, weights_only=True)["u"])
    torchlike.save(t, pathlib.Path(path))
    with open(path, "rb") as f:
        assert_close(torchlike.load(f), t)
    with open(path, "wb") as f:
        torchlike.save(t, f, _use_new_zipfile_serialization=False)
    assert_close(torch.load(str(path), weights_only=True), t)
    assert_close(torchlike.load(str(path)), t)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        torchlike.load(str(path), mmap=True)
    torchlike.save(t, path)
    assert_close(torchlike.load(path, mmap=True), t)
    with pytest.raises(ValueError, match="file path"):
        torchlike.load(io.BytesIO(path.read_bytes()), mmap=True)

    class NoSeek(io.RawIOBase):
        def readable(self):
            return True

        def seekable(self):
            return False
    with pytest.raises(io.UnsupportedOperation, match="seekable"):
        torchlike.load(NoSeek())


def test_big_endian_checkpoint_is_byteswapped():
    torch = oracle()
    x = torch.tensor([[1.5, -2.0], [3.25, 4.0]], dtype=torch.float64)
    c = torch.tensor([1 + 2j, -3j], dtype=torch.complex64)
    src = zipfile.ZipFile(io.BytesIO(_torch_saved(torch, {"x": x, "c": c})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.endswith("/byteorder"):
                data = b"big"
            elif name.endswith("data/0"):
                data = np.frombuffer(data, "<f8").astype(">f8").tobytes()
            elif name.endswith("data/1"):
                data = np.frombuffer(data, "<f4").astype(">f4").tobytes()
            dst.writestr(name, data)
    theirs = torch.load(io.BytesIO(out.getvalue()), weights_only=True)
    ours = torchlike.load(io.BytesIO(out.getvalue()))
    for k in ("x", "c"):
        _assert_same_tensor(ours[k], theirs[k])
        _assert_same_tensor(ours[k], {"x": x, "c": c}[k])


def test_zip64_fields_are_read_by_torch(monkeypatch):
    torch = oracle()
    monkeypatch.setattr(zipformat, "_ZIP64_LIMIT", 300)  # as if sizes and offsets were past 4 GiB
    obj = {"a": torchlike.arange(100.0), "b": torchlike.tensor([1, 2, 3])}
    raw = _saved(obj)
    theirs = torch.load(io.BytesIO(raw), weights_only=True)
    for k in obj:
        _assert_same_tensor(obj[k], theirs[k])
        _assert_same_tensor(torchlike.load(io.BytesIO(raw))[k], theirs[k])


def test_save_arguments():
    with pytest.raises(AttributeError, match="write"):
        torchlike.save(torchlike.ones(1), 3)
    with pytest.raises(NotImplementedError, match="pickle_protocol"):
        torchlike.save(torchlike.ones(1), io.BytesIO(), pickle_protocol=4)


def test_general_load_maps_torch_names():
    torch = oracle()
    raw = _torch_saved(torch, {"layout": torch.float64, "fn": torch.fx.symbolic_trace})
    with pytest.raises(NotImplementedError, match="torch.fx"):
        torchlike.load(io.BytesIO(raw), weights_only=False)
    nn = pytest.importorskip("torchlike.nn")
    model = nn.Sequential(nn.Linear(2, 1))
    raw = _saved(model)
    with pytest.raises(pickle.UnpicklingError, match="Sequential"):
        torchlike.load(io.BytesIO(raw))  # a whole module is not weights
    back = torchlike.load(io.BytesIO(raw), weights_only=False)
    assert type(back) is type(model)
    assert_close(back[0].weight, model[0].weight)
