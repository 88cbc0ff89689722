"""The peers: how to build each one's app, which protocol drives it, what it is.

A ``Framework`` names its protocol (``wsgi`` or ``asgi``), the module with its
``build(scenario)`` function (hipflask and Flask share ``flask_api``, built
with ``api=`` the module), the packages it needs, the statement whose import
time and memory the start-up probe measures, and notes on the idiomatic
equivalents it uses where it lacks a feature.

Some frameworks run compiled helpers when they are built (hipflask's
``hipflask.http._speedups``, Falcon's Cython ``cyutil``, FastAPI's Rust
``pydantic_core``): ``compiled`` names those modules, and the report says
which were in use. A ``pure`` flavour runs the same framework with them made
unimportable, so its own Python fallbacks run: what it costs as pure Python.
Those flavours are timed in process only (no server or memory runs) and no
target counts them.

``reference_of`` gives the hipflask flavour a peer's ratio is taken against:
hipflask-wsgi for WSGI peers, hipflask-asgi for ASGI ones, so both sides of a
ratio ran through the same driver.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Framework:
    """One peer in one protocol."""

    name: str
    label: str
    protocol: str
    module: str
    requires: tuple[str, ...]
    distribution: str | None
    import_statement: str
    api: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    #: Config set on a Flask-API app after it is built.
    config: dict[str, Any] = field(default_factory=dict)
    #: Compiled helper modules the peer uses when they are installed.
    compiled: tuple[str, ...] = ()
    #: Run with ``compiled`` made unimportable (the peer's pure-Python code);
    #: in-process timings only.
    pure: bool = False

    def missing(self) -> list[str]:
        """The required top-level packages that are not installed."""
        return [
            name for name in self.requires if importlib.util.find_spec(name) is None
        ]

    def version(self) -> str:
        """The installed version of the peer ('stdlib' for the raw callables)."""
        if self.distribution is None:
            return "stdlib"
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    def compiled_in_use(self) -> list[str]:
        """The ``compiled`` modules this flavour runs: installed and not blocked."""
        if self.pure:
            return []
        return [name for name in self.compiled if _is_extension(name)]

    def build(self, scenario: str) -> Any:
        """The app for ``scenario`` (``LookupError`` when the peer has none)."""
        if self.pure:
            _block(self.compiled)
        module = importlib.import_module(self.module)
        if self.api is None:
            return module.build(scenario)
        app = module.build(scenario, importlib.import_module(self.api))
        if self.config:
            app.config.update(self.config)
        return app


def _is_extension(name: str) -> bool:
    """Whether ``name`` imports as a compiled extension module."""
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:  # a parent package is missing
        return False
    origin = spec.origin if spec is not None else None
    return origin is not None and origin.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )


class _Blocker(importlib.abc.MetaPathFinder):
    """Makes the given modules unimportable: their packages' fallbacks run."""

    def __init__(self, names: Sequence[str]):
        self.names = tuple(names)

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self.names:
            raise ImportError(f"{fullname} is blocked: pure-Python run")
        return None


def _block(names: Sequence[str]) -> None:
    """Block ``names`` in this process; they must not be imported yet."""
    loaded = [name for name in names if name in sys.modules]
    if loaded:
        raise RuntimeError(f"already imported, cannot block: {', '.join(loaded)}")
    if not any(
        isinstance(finder, _Blocker) and finder.names == tuple(names)
        for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _Blocker(names))


_HIPFLASK_NOTES = {
    "websocket": "Quart-style @app.websocket + websocket.receive/send",
}
_ASGI_INLINE_NOTE = (
    "sync views with ASGI_SYNC_INLINE=True (they do no blocking I/O); by default"
    " hipflask runs sync views in a worker thread under ASGI"
)
_FALCON_NOTES = {
    "template": "jinja2 Template loaded once (no Falcon templating)",
    "session": "itsdangerous-signed cookie (no Falcon sessions)",
    "middleware_hooks": "3 middleware components (process_request/response)",
}
#: Falcon's Cython helpers: percent-decoding and query-string parsing, the
#: buffered body reader, WSGI header encoding.
_FALCON_COMPILED = ("falcon.cyutil.misc", "falcon.cyutil.reader", "falcon.cyutil.uri")
#: hipflask's optional C helpers (the query and urlencoded-body parser).
_HIPFLASK_COMPILED = ("hipflask.http._speedups",)

FRAMEWORKS: dict[str, Framework] = {
    framework.name: framework
    for framework in (
        Framework(
            "hipflask-wsgi",
            "hipflask (WSGI)",
            "wsgi",
            "benchmarks.apps.flask_api",
            ("hipflask",),
            "hipflask",
            "import hipflask",
            api="hipflask",
            compiled=_HIPFLASK_COMPILED,
        ),
        Framework(
            "hipflask-asgi",
            "hipflask (ASGI)",
            "asgi",
            "benchmarks.apps.flask_api",
            ("hipflask",),
            "hipflask",
            "import hipflask",
            api="hipflask",
            compiled=_HIPFLASK_COMPILED,
            notes={**_HIPFLASK_NOTES, "*": _ASGI_INLINE_NOTE},
            # The same sync views as under WSGI; they do no blocking I/O, so they
            # run on the event loop (the ASGI peers' endpoints are async).
            config={"ASGI_SYNC_INLINE": True},
        ),
        Framework(
            "raw-wsgi",
            "raw WSGI",
            "wsgi",
            "benchmarks.apps.raw_wsgi",
            ("jinja2", "itsdangerous", "python_multipart"),
            None,
            "import json, urllib.parse",
        ),
        Framework(
            "raw-asgi",
            "raw ASGI",
            "asgi",
            "benchmarks.apps.raw_asgi",
            ("jinja2", "itsdangerous", "python_multipart"),
            None,
            "import json, urllib.parse",
        ),
        Framework(
            "falcon",
            "Falcon (WSGI)",
            "wsgi",
            "benchmarks.apps.falcon_wsgi",
            ("falcon",),
            "falcon",
            "import falcon",
            notes=_FALCON_NOTES,
            compiled=_FALCON_COMPILED,
        ),
        Framework(
            "falcon-asgi",
            "Falcon (ASGI)",
            "asgi",
            "benchmarks.apps.falcon_asgi",
            ("falcon",),
            "falcon",
            "import falcon.asgi",
            notes=_FALCON_NOTES,
            compiled=_FALCON_COMPILED,
        ),
        Framework(
            "starlette",
            "Starlette",
            "asgi",
            "benchmarks.apps.starlette_app",
            ("starlette",),
            "starlette",
            "import starlette.applications, starlette.routing, starlette.responses",
            notes={"middleware_hooks": "3 pure ASGI middleware classes"},
        ),
        Framework(
            "bottle",
            "Bottle",
            "wsgi",
            "benchmarks.apps.bottle_app",
            ("bottle",),
            "bottle",
            "import bottle",
            notes={
                "template": "bottle.jinja2_template (autoescape on)",
                "session": "Bottle signed cookie (get_cookie/set_cookie secret=)",
            },
        ),
        Framework(
            "fastapi",
            "FastAPI",
            "asgi",
            "benchmarks.apps.fastapi_app",
            ("fastapi",),
            "fastapi",
            "import fastapi",
            compiled=("pydantic_core._pydantic_core",),
            notes={
                "form_post": "pydantic model as Form()",
                "session": "Starlette SessionMiddleware",
                "middleware_hooks": '3 @app.middleware("http") functions',
            },
        ),
        Framework(
            "quart",
            "Quart",
            "asgi",
            "benchmarks.apps.quart_app",
            ("quart",),
            "quart",
            "import quart",
        ),
        Framework(
            "flask",
            "Flask",
            "wsgi",
            "benchmarks.apps.flask_api",
            ("flask",),
            "flask",
            "import flask",
            api="flask",
        ),
    )
}


def _pure(base: str, label: str) -> Framework:
    """``base`` run with its compiled helpers blocked."""
    return replace(FRAMEWORKS[base], name=f"{base}-pure", label=label, pure=True)


# Last: the chart's colours of the peers above stay as they were.
for _flavour in (
    _pure("falcon", "Falcon (WSGI, pure Python)"),
    _pure("falcon-asgi", "Falcon (ASGI, pure Python)"),
    _pure("hipflask-wsgi", "hipflask (WSGI, pure Python)"),
    _pure("hipflask-asgi", "hipflask (ASGI, pure Python)"),
):
    FRAMEWORKS[_flavour.name] = _flavour

HIPFLASK = {"wsgi": "hipflask-wsgi", "asgi": "hipflask-asgi"}
RAW = {"wsgi": "raw-wsgi", "asgi": "raw-asgi"}


def reference_of(name: str) -> str:
    """The hipflask flavour whose time a peer's ratio divides."""
    return HIPFLASK[FRAMEWORKS[name].protocol]


def build_app(framework: str, scenario: str) -> Any:
    """The app of ``framework`` for ``scenario`` (used by the server target)."""
    return FRAMEWORKS[framework].build(scenario)
