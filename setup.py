"""Build hipflask's optional C helpers; the metadata lives in pyproject.toml.

The extension is optional: where it cannot be compiled (no C compiler, an
unsupported interpreter) the install goes on and hipflask uses the
pure-Python versions of the same helpers.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "hipflask.http._speedups",
            ["src/hipflask/http/_speedups.c"],
            optional=True,
        )
    ]
)
