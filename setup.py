"""The one compiled piece: the recording path's common case in C (``torchlike/autograd/native/``).
Optional: where it cannot be built (no C compiler), torchlike runs the same path in Python."""
from glob import glob

from setuptools import Extension, setup

setup(ext_modules=[Extension("torchlike.autograd._native", sorted(glob("torchlike/autograd/native/*.c")),
                             depends=["torchlike/autograd/native/native.h"], optional=True)])
