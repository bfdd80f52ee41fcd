"""torchlike.utils.data against torch.utils.data: batches, lengths, collation, errors, shuffling."""
import collections
import importlib

import numpy as np
import pytest

import torchlike
from torchlike.utils import data as tud
from tests.oracle import assert_close, oracle

Point = collections.namedtuple("Point", ["x", "y"])

X = np.arange(21, dtype=np.float32).reshape(7, 3)
Y = np.arange(7, dtype=np.int64)


def _assert_same(ours, theirs):
    """Same structure, container types, tensor dtypes/shapes/values, and equal leaves."""
    if hasattr(ours, "_s"):
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert_close(ours, theirs, rtol=0, atol=0)
    elif isinstance(ours, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in ours:
            _assert_same(ours[k], theirs[k])
    elif isinstance(ours, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    else:
        assert ours == theirs


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (7, True), (10, False)])
def test_tensor_dataset_loader_matches_torch(batch_size, drop_last):
    torch = oracle()
    ours = tud.DataLoader(tud.TensorDataset(torchlike.tensor(X), torchlike.tensor(Y)),
                          batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y)),
                                         batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    a, b = list(ours), list(theirs)
    assert len(a) == len(b)
    _assert_same(a, b)


def _samples():
    return [
        {"img": np.full((2, 2), i, np.float32), "label": i, "w": i / 2, "name": f"s{i}",
         "pt": Point(np.int32(i), [i, i + 1]), "flag": bool(i % 2), "pair": (np.float64(i), b"b")}
        for i in range(3)
    ]


def test_default_collate_nested_matches_torch():
    torch = oracle()
    _assert_same(tud.default_collate(_samples()), torch.utils.data.default_collate(_samples()))
    t = torchlike.tensor(X)
    _assert_same(tud.default_collate([t[0], t[1]]),
                 torch.utils.data.default_collate([torch.tensor(X[0]), torch.tensor(X[1])]))
    for batch in ([1.5, 2.0], [1, 2], [np.uint8(3), np.uint8(4)], [np.array(1.5), np.array(2.5)]):
        _assert_same(tud.default_collate(batch), torch.utils.data.default_collate(batch))


def test_default_convert_matches_torch():
    torch = oracle()
    sample = {"a": np.arange(3, dtype=np.int16), "b": (np.float32(2), "s"), "c": Point(np.array(0), 1)}
    _assert_same(tud.default_convert(sample), torch.utils.data.default_convert(sample))


def _raises_like(fn_ours, fn_theirs):
    with pytest.raises(Exception) as theirs:
        fn_theirs()
    with pytest.raises(type(theirs.value)) as ours:
        fn_ours()
    assert str(ours.value) == str(theirs.value)


def test_errors_match_torch():
    torch = oracle()
    d = torch.utils.data
    _raises_like(lambda: tud.TensorDataset(torchlike.zeros(3), torchlike.zeros(4)),
                 lambda: d.TensorDataset(torch.zeros(3), torch.zeros(4)))
    _raises_like(lambda: tud.random_split(range(10), [3, 3]), lambda: d.random_split(range(10), [3, 3]))
    _raises_like(lambda: tud.random_split(range(10), [1.5, -0.5]), lambda: d.random_split(range(10), [1.5, -0.5]))
    _raises_like(lambda: tud.default_collate([object()]), lambda: d.default_collate([object()]))
    _raises_like(lambda: tud.default_collate([[1, 2], [1]]), lambda: d.default_collate([[1, 2], [1]]))
    _raises_like(lambda: tud.DataLoader(range(3), shuffle=True, sampler=[0]),
                 lambda: d.DataLoader(range(3), shuffle=True, sampler=[0]))
    _raises_like(lambda: tud.DataLoader(range(3), batch_size=2, batch_sampler=[[0]]),
                 lambda: d.DataLoader(range(3), batch_size=2, batch_sampler=[[0]]))
    _raises_like(lambda: tud.BatchSampler(range(3), 0, False), lambda: d.BatchSampler(range(3), 0, False))
    _raises_like(lambda: tud.WeightedRandomSampler([[1.0]], 2), lambda: d.WeightedRandomSampler([[1.0]], 2))
    _raises_like(lambda: tud.DataLoader(range(3), prefetch_factor=2), lambda: d.DataLoader(range(3), prefetch_factor=2))


def test_random_split_lengths_and_reproducibility():
    torch = oracle()
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.5, 0.5]):
        ours = tud.random_split(range(11 if lengths[0] == 0.5 else 10), lengths,
                                generator=torchlike.Generator().manual_seed(3))
        theirs = torch.utils.data.random_split(range(11 if lengths[0] == 0.5 else 10), lengths,
                                               generator=torch.Generator().manual_seed(3))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        assert sorted(i for s in ours for i in s) == list(range(sum(len(s) for s in ours)))
        again = tud.random_split(range(sum(len(s) for s in ours)), lengths,
                                 generator=torchlike.Generator().manual_seed(3))
        assert [list(s) for s in again] == [list(s) for s in ours]


def test_shuffle_is_a_permutation_and_seeded():
    def epoch(seed):
        torchlike.manual_seed(seed)
        return [int(i) for b in tud.DataLoader(range(10), batch_size=4, shuffle=True) for i in b]
    first = epoch(0)
    assert sorted(first) == list(range(10))
    assert epoch(0) == first
    g = torchlike.Generator().manual_seed(5)
    loader = tud.DataLoader(range(10), batch_size=3, shuffle=True, generator=g)
    e1 = [int(i) for b in loader for i in b]
    e2 = [int(i) for b in loader for i in b]
    assert sorted(e1) == sorted(e2) == list(range(10))
    assert e1 != e2  # each epoch reshuffles
    assert sorted(tud.SubsetRandomSampler([2, 4, 6])) == [2, 4, 6]
    drawn = list(tud.WeightedRandomSampler([0.0, 1.0, 0.0, 2.0], 6))
    assert len(drawn) == 6 and set(drawn) <= {1, 3}
    assert sorted(tud.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False)) == [0, 1, 2]


def test_datasets_samplers_and_iterable_match_torch():
    torch = oracle()
    d = torch.utils.data

    class Stream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 5

    class TStream(d.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 5

    for kw in ({"batch_size": 2}, {"batch_size": 2, "drop_last": True}, {"batch_size": None}):
        ours, theirs = tud.DataLoader(Stream(), **kw), d.DataLoader(TStream(), **kw)
        assert len(ours) == len(theirs)
        _assert_same(list(ours), list(theirs))
    cat, tcat = tud.ConcatDataset([range(3), range(10, 14)]), d.ConcatDataset([range(3), range(10, 14)])
    assert len(cat) == len(tcat) and [cat[i] for i in range(-7, 7)] == [tcat[i] for i in range(-7, 7)]
    sub = tud.Subset(range(10, 20), [1, 5, 7])
    _assert_same(list(tud.DataLoader(sub, batch_size=2)),
                 list(d.DataLoader(d.Subset(range(10, 20), [1, 5, 7]), batch_size=2)))
    assert list(tud.BatchSampler(tud.SequentialSampler(range(10)), 3, True)) == \
        list(d.BatchSampler(d.SequentialSampler(range(10)), 3, True))
    assert len(tud.DataLoader(range(10), batch_sampler=tud.BatchSampler(range(10), 4, False))) == 3
    loader = tud.DataLoader(range(5), batch_size=2, num_workers=2)  # accepted, runs in-process
    _assert_same(list(loader), list(d.DataLoader(range(5), batch_size=2, num_workers=0)))
    assert tud.get_worker_info() is None


def test_module_access_and_torch_run_mapping():
    assert importlib.import_module("torchlike.utils.data") is tud
    assert torchlike.utils.data is tud
    from torchlike._compat import serve_torch
    with serve_torch():
        import torch
        from torch.utils.data import DataLoader, TensorDataset
        assert DataLoader is tud.DataLoader and TensorDataset is tud.TensorDataset
        assert torch.utils.data.random_split is tud.random_split
