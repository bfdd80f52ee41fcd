"""Runs an example under torchlike or real PyTorch with the same random inputs.

``python replay.py torchlike EXAMPLE DRAWS.npz`` runs the example and saves every tensor its
random factories returned; ``python replay.py torch EXAMPLE DRAWS.npz`` runs the example with
``import torchlike`` turned back into ``import torch`` (the only edit the examples make) and
torch's random factories replaying those values, so both runs print the same numbers exactly
when torchlike computes what PyTorch computes.
"""
import re
import sys

import numpy as np

RANDOM = ("rand", "randn", "randint", "rand_like", "randn_like", "randperm", "normal")


def main(mode, path, draws_path):
    source = open(path).read()
    if mode == "torchlike":
        import torchlike as lib
        draws = []

        def recording(fn):
            def wrapper(*args, **kwargs):
                out = fn(*args, **kwargs)
                draws.append(np.asarray(out._s[0]))
                return out
            return wrapper
        for name in RANDOM:
            setattr(lib, name, recording(getattr(lib, name)))
        try:
            run(source, path)
        finally:
            np.savez(draws_path, *draws)
    else:
        import torch as lib
        saved = np.load(draws_path)
        queue = [saved[f"arr_{i}"] for i in range(len(saved.files))]

        def replaying(fn):
            def wrapper(*args, **kwargs):
                out = fn(*args, **kwargs)
                value = torch_from(lib, queue.pop(0), out)
                return value.requires_grad_(out.requires_grad)
            return wrapper
        for name in RANDOM:
            setattr(lib, name, replaying(getattr(lib, name)))
        source = re.sub(r"\btorchlike\b", "torch", source)
        run(source, path)


def torch_from(torch, arr, like):
    return torch.from_numpy(arr.copy()).to(like.dtype)


def run(source, path):
    code = compile(source, path, "exec")
    exec(code, {"__name__": "__main__", "__file__": path})


if __name__ == "__main__":
    main(*sys.argv[1:4])
