"""torch.return_types: the named tuples returned by max/min/sort/topk/... with PyTorch's repr."""
import collections

_types = {}


def _make(name, fields):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__repr__": __repr__, "__str__": __repr__, "__slots__": ()})
    cls.__module__ = "torch.return_types"
    return cls


def return_type(name, *values, fields=("values", "indices")):
    cls = _types.get(name)
    if cls is None:
        cls = _types[name] = _make(name, fields)
    return cls(*values)
