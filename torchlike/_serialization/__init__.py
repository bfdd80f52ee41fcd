"""The pieces behind ``torchlike.save`` / ``torchlike.load`` (public API in ``torchlike/serialization.py``).

``zipformat``: the zip container PyTorch writes (miniz layout, 64-byte aligned records).
``pickler``: a protocol-2 pickle writer that names torch's globals (``torch._utils._rebuild_tensor_v2``).
``unpickler``: the restricted (weights_only) and the general unpicklers, and tensor rebuilding.
``legacy``: the pre-1.6 stream format (magic number, sys info, pickle, raw storages).
"""
