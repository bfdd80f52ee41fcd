"""The one compiled piece: the recording path's common case in C (``torchlike/autograd/_native.c``).
Optional: where it cannot be built (no C compiler), torchlike runs the same path in Python."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("torchlike.autograd._native", ["torchlike/autograd/_native.c"], optional=True)])
