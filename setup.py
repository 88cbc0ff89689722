"""Build hipflask's optional C helpers; the metadata lives in pyproject.toml.

The extension is optional: where it cannot be compiled (no C compiler, an
unsupported interpreter) the install goes on and hipflask uses the
pure-Python versions of the same helpers.
"""

from glob import glob

from setuptools import Extension, setup

# One C file per concern, compiled into one module (see _speedups.c).
SOURCES = sorted(glob("src/hipflask/http/_speedups*.c"))

setup(
    ext_modules=[
        Extension(
            "hipflask.http._speedups",
            SOURCES,
            depends=["src/hipflask/http/_speedups.h"],
            optional=True,
        )
    ]
)
