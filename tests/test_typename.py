"""torchlike.typename (torch.typename), the one definition nn.Module's and the optimizers'
messages use, against PyTorch."""
import pytest

import torchlike

from oracle import oracle


@pytest.mark.parametrize("make", [lambda t: 3, lambda t: int, lambda t: None, lambda t: "s", lambda t: [1],
                                  lambda t: t.zeros(2), lambda t: t.zeros(2, dtype=t.float64),
                                  lambda t: t.zeros(2, dtype=t.int64), lambda t: t.zeros((), dtype=t.bool)])
def test_typename_matches_torch(make):
    torch = oracle()
    assert torchlike.typename(make(torchlike)) == torch.typename(make(torch))


def test_messages_use_it():
    torch = oracle()
    for lib in (torchlike, torch):
        with pytest.raises(TypeError) as info:
            lib.optim.SGD(lib.zeros(2))
        with pytest.raises(TypeError) as info2:
            lib.nn.Module().register_buffer(1, None)
        if lib is torchlike:
            ours = (str(info.value), str(info2.value))
        else:
            assert ours == (str(info.value), str(info2.value))
