"""The peers: how to build each one's app, which protocol drives it, what it is.

A ``Framework`` names its protocol (``wsgi`` or ``asgi``), the module with its
``build(scenario)`` function (hipflask and Flask share ``flask_api``, built
with ``api=`` the module), the packages it needs, the statement whose import
time and memory the start-up probe measures, and notes on the idiomatic
equivalents it uses where it lacks a feature.

``reference_of`` gives the hipflask flavour a peer's ratio is taken against:
hipflask-wsgi for WSGI peers, hipflask-asgi for ASGI ones, so both sides of a
ratio ran through the same driver.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass, field
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

    def build(self, scenario: str) -> Any:
        """The app for ``scenario`` (``LookupError`` when the peer has none)."""
        module = importlib.import_module(self.module)
        if self.api is None:
            return module.build(scenario)
        app = module.build(scenario, importlib.import_module(self.api))
        if self.config:
            app.config.update(self.config)
        return app


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

HIPFLASK = {"wsgi": "hipflask-wsgi", "asgi": "hipflask-asgi"}
RAW = {"wsgi": "raw-wsgi", "asgi": "raw-asgi"}


def reference_of(name: str) -> str:
    """The hipflask flavour whose time a peer's ratio divides."""
    return HIPFLASK[FRAMEWORKS[name].protocol]


def build_app(framework: str, scenario: str) -> Any:
    """The app of ``framework`` for ``scenario`` (used by the server target)."""
    return FRAMEWORKS[framework].build(scenario)
