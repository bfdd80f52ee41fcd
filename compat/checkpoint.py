"""Writes the stand-in for torchvision's pretrained resnet18 checkpoint that the resnet compat
scripts load (``resnet18(weights=ResNet18_Weights.DEFAULT)``): the real ImageNet weights cannot
be downloaded here, and the scripts print nothing that depends on the values.

    python compat/checkpoint.py MODULE PATH

MODULE is ``torch`` (record.py, under real torchvision: the file is real ``torch.save`` output)
or ``torchlike`` (run.py: no torch or torchvision needed at test time). Either way the file holds
the same values: torchvision's resnet18 state_dict names, shapes and dtypes (from the fixture
torchvision recorded, tests/vision/fixtures/resnet18_state_dict_shapes.json; torchvision's strict
``load_state_dict`` checks them when recording), filled from numpy's seeded generator the way
torchvision initialises resnet18 (kaiming-normal convolutions, unit batch norms, uniform fc).
"""
import importlib
import json
import math
import pathlib
import sys

import numpy as np

SHAPES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "vision" / "fixtures" / \
    "resnet18_state_dict_shapes.json"


def state_dict_arrays():
    """{name: numpy array} in torchvision's state_dict order."""
    entries = json.loads(SHAPES.read_text())["state_dict"]
    shapes = {key: shape for key, shape, _ in entries}
    rng = np.random.default_rng(0)
    out = {}
    for key, shape, dtype in entries:
        if dtype == "torch.int64":  # num_batches_tracked
            out[key] = np.zeros(shape, np.int64)
            continue
        owner, _, leaf = key.rpartition(".")
        if len(shape) == 4:  # conv: kaiming_normal_(mode="fan_out", nonlinearity="relu")
            std = math.sqrt(2.0 / (shape[0] * shape[2] * shape[3]))
            value = rng.standard_normal(shape) * std
        elif len(shapes.get(owner + ".weight", ())) == 2:  # fc: nn.Linear's bounds
            bound = 1.0 / math.sqrt(shapes[owner + ".weight"][1])
            value = rng.uniform(-bound, bound, shape)
        elif leaf in ("weight", "running_var"):  # batch norm
            value = np.ones(shape)
        else:  # batch norm bias, running_mean
            value = np.zeros(shape)
        out[key] = np.ascontiguousarray(value, dtype=np.float32)
    return out


def main(module, path):
    torch = importlib.import_module(module)
    state = {k: torch.from_numpy(v) for k, v in state_dict_arrays().items()}
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
