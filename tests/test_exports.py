"""The public names issue #2 lists: where they import from, and that they are typed.

- every Request and Response name exists on ``hipflask.Request`` /
  ``hipflask.Response`` and carries a type (an annotation, or a literal class
  value mypy infers);
- exceptions, ``abort`` and the data structures import from ``hipflask.http``
  (and Werkzeug's module names under it), ``abort`` from ``hipflask``;
- ``hipflask.http.__all__`` is exactly the public names of the toolkit modules;
- ``hipflask`` offers the same top-level names as ``flask`` (and Quart's
  websocket names);
- importing hipflask, and serving a request under both protocols, does not
  import werkzeug, flask or starlette (checked in a fresh interpreter).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import textwrap
import types
import typing as t

import pytest

import hipflask
import hipflask.http
from hipflask.http.request import cached

REQUEST_NAMES = [
    "method",
    "scheme",
    "host",
    "host_url",
    "root_path",
    "path",
    "full_path",
    "url",
    "base_url",
    "url_root",
    "script_root",
    "args",
    "form",
    "files",
    "values",
    "data",
    "get_data",
    "json",
    "get_json",
    "is_json",
    "stream",
    "headers",
    "cookies",
    "content_type",
    "content_length",
    "mimetype",
    "mimetype_params",
    "remote_addr",
    "access_route",
    "is_secure",
    "accept_mimetypes",
    "accept_languages",
    "accept_charsets",
    "accept_encodings",
    "authorization",
    "if_match",
    "if_none_match",
    "if_modified_since",
    "if_unmodified_since",
    "range",
    "user_agent",
    "referrer",
    "origin",
    "environ",
    "url_rule",
    "view_args",
    "endpoint",
    "blueprint",
    "blueprints",
    "max_content_length",
    "routing_exception",
    "on_json_loading_failed",
]

RESPONSE_NAMES = [
    "status",
    "status_code",
    "headers",
    "mimetype",
    "content_type",
    "content_length",
    "data",
    "get_data",
    "set_data",
    "json",
    "get_json",
    "set_cookie",
    "delete_cookie",
    "location",
    "cache_control",
    "vary",
    "expires",
    "last_modified",
    "set_etag",
    "get_etag",
    "add_etag",
    "make_conditional",
    "direct_passthrough",
    "response",
    "is_streamed",
    "call_on_close",
    "default_mimetype",
    "default_status",
    # Werkzeug 3.1 names beyond the list.
    "stream",
    "get_wsgi_headers",
    "get_app_iter",
    "get_wsgi_response",
    "content_security_policy",
    "content_security_policy_report_only",
    "access_control_allow_credentials",
    "access_control_allow_headers",
    "access_control_allow_methods",
    "access_control_allow_origin",
    "access_control_expose_headers",
    "access_control_max_age",
    "cross_origin_opener_policy",
    "cross_origin_embedder_policy",
]

# Parameters the issue names for some methods.
PARAMETERS = {
    (hipflask.Request, "get_data"): ["cache", "as_text", "parse_form_data"],
    (hipflask.Request, "get_json"): ["force", "silent", "cache"],
    (hipflask.Response, "set_cookie"): [
        "key",
        "value",
        "max_age",
        "expires",
        "path",
        "domain",
        "secure",
        "httponly",
        "samesite",
        "partitioned",
    ],
    (hipflask.Response, "make_conditional"): [
        "request_or_environ",
        "accept_ranges",
        "complete_length",
    ],
}

DATASTRUCTURES = [
    "MultiDict",
    "ImmutableMultiDict",
    "CombinedMultiDict",
    "Headers",
    "FileStorage",
    "Accept",
    "MIMEAccept",
    "CharsetAccept",
    "LanguageAccept",
    "Authorization",
    "WWWAuthenticate",
    "ETags",
    "IfRange",
    "Range",
    "ContentRange",
    "RequestCacheControl",
    "ResponseCacheControl",
    "ContentSecurityPolicy",
]
#: Werkzeug datastructures hipflask does not have (its own code needs none of
#: them): type-converting and immutable plain dicts/lists, the mixins they are
#: made of, and the test client's FileMultiDict.
NOT_IN_DATASTRUCTURES = {
    "FileMultiDict",
    "ImmutableDict",
    "ImmutableDictMixin",
    "ImmutableHeadersMixin",
    "ImmutableList",
    "ImmutableListMixin",
    "ImmutableMultiDictMixin",
    "ImmutableTypeConversionDict",
    "TypeConversionDict",
    "UpdateDictMixin",
}


def _instance_annotations(cls: type) -> dict[str, ast.expr]:
    """``self.name: type = ...`` annotations in the class's methods, by name."""
    found: dict[str, ast.expr] = {}
    for klass in cls.__mro__:
        for name in ("__init__", "from_asgi"):
            func = vars(klass).get(name)
            if func is None:
                continue
            func = getattr(func, "__func__", func)
            if not inspect.isfunction(func):
                continue
            tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.AnnAssign)
                    and isinstance(node.target, ast.Attribute)
                    and isinstance(node.target.value, ast.Name)
                    and node.target.value.id == "self"
                ):
                    found.setdefault(node.target.attr, node.annotation)
    return found


def _fully_annotated(func: t.Callable[..., t.Any]) -> bool:
    signature = inspect.signature(func)
    params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    return signature.return_annotation is not inspect.Signature.empty and all(
        p.annotation is not inspect.Parameter.empty for p in params
    )


def type_of(cls: type, name: str) -> object:
    """How ``cls.name`` is typed, or None when it is not."""
    for klass in cls.__mro__:
        if name in vars(klass):
            attr = vars(klass)[name]
            break
    else:
        for klass in cls.__mro__:
            annotation = vars(klass).get("__annotations__", {}).get(name)
            if annotation is not None:
                return annotation
        return _instance_annotations(cls).get(name)
    if isinstance(attr, property):
        getter = attr.fget
        return getter if getter is not None and _fully_annotated(getter) else None
    if isinstance(attr, cached):
        return attr.func if _fully_annotated(attr.func) else None
    if isinstance(attr, (types.FunctionType, classmethod, staticmethod)):
        func = t.cast("t.Callable[..., t.Any]", getattr(attr, "__func__", attr))
        return func if _fully_annotated(func) else None
    if hasattr(attr, "__orig_class__"):  # a generic descriptor, e.g. Prop[str]
        return attr.__orig_class__
    for klass in cls.__mro__:
        annotation = vars(klass).get("__annotations__", {}).get(name)
        if annotation is not None:
            return annotation
    if isinstance(attr, (bool, int, str)):  # mypy infers the type of a literal
        return type(attr)
    return _instance_annotations(cls).get(name)


@pytest.mark.parametrize(
    ("cls", "name"),
    [(hipflask.Request, name) for name in REQUEST_NAMES]
    + [(hipflask.Response, name) for name in RESPONSE_NAMES],
    ids=[f"Request.{n}" for n in REQUEST_NAMES]
    + [f"Response.{n}" for n in RESPONSE_NAMES],
)
def test_name_exists_and_is_typed(cls: type, name: str) -> None:
    has_it = any(
        name in vars(klass) or name in vars(klass).get("__annotations__", {})
        for klass in cls.__mro__
    )
    assert has_it or name in _instance_annotations(cls), f"{cls.__name__}.{name}"
    assert type_of(cls, name) is not None, f"{cls.__name__}.{name} has no type"


@pytest.mark.parametrize(
    ("cls", "name"), list(PARAMETERS), ids=[f"{c.__name__}.{n}" for c, n in PARAMETERS]
)
def test_method_parameters(cls: type, name: str) -> None:
    parameters = list(inspect.signature(getattr(cls, name)).parameters)
    assert parameters[0] == "self"
    assert parameters[1:] == PARAMETERS[cls, name]


def test_the_type_check_finds_missing_types() -> None:
    class Untyped:
        value = None

        def __init__(self) -> None:
            self.plain = 1

        def method(self, x):  # type: ignore[no-untyped-def]
            return x

        @property
        def prop(self):  # type: ignore[no-untyped-def]
            return 1

    for name in ("value", "plain", "method", "prop"):
        assert type_of(Untyped, name) is None, name


def test_request_and_response_classes() -> None:
    assert issubclass(hipflask.Request, hipflask.http.Request)
    assert issubclass(hipflask.Response, hipflask.http.Response)
    from hipflask import wrappers

    assert hipflask.Request is wrappers.Request
    assert hipflask.Response is wrappers.Response


def test_exceptions_and_abort() -> None:
    import werkzeug.exceptions

    from hipflask.http import exceptions

    standard = [
        name
        for name, value in vars(werkzeug.exceptions).items()
        if not name.startswith("_")
        and isinstance(value, type)
        and issubclass(value, werkzeug.exceptions.HTTPException)
    ]
    assert len(standard) > 35
    for name in standard:
        ours = getattr(hipflask.http, name)
        assert ours is getattr(exceptions, name)
        assert issubclass(ours, hipflask.http.HTTPException), name
    assert callable(hipflask.abort)
    assert hipflask.http.abort is exceptions.abort
    for abort in (hipflask.abort, hipflask.http.abort):
        with pytest.raises(hipflask.http.NotFound):
            abort(404)


def test_datastructures() -> None:
    from hipflask.http import datastructures

    for name in DATASTRUCTURES:
        assert getattr(hipflask.http, name) is getattr(datastructures, name)
        assert name in hipflask.http.__all__


def test_datastructures_has_werkzeugs_classes() -> None:
    import werkzeug.datastructures

    from hipflask.http import datastructures

    theirs = {
        name
        for name in dir(werkzeug.datastructures)
        if name[0].isupper()
        and isinstance(getattr(werkzeug.datastructures, name), type)
    }
    ours = {name for name in theirs if hasattr(datastructures, name)}
    assert theirs - ours == NOT_IN_DATASTRUCTURES
    assert ours <= set(datastructures.__all__)


def _toolkit_modules() -> list[types.ModuleType]:
    return [
        importlib.import_module(f"hipflask.http.{info.name}")
        for info in pkgutil.iter_modules(hipflask.http.__path__)
    ]


def test_http_all_is_every_public_toolkit_name() -> None:
    expected: dict[str, object] = {}
    for module in _toolkit_modules():
        names = getattr(module, "__all__", None)
        if names is None:
            # A module without __all__: the classes and functions it defines.
            names = [
                name
                for name, value in vars(module).items()
                if not name.startswith("_")
                and getattr(value, "__module__", None) == module.__name__
                and (inspect.isclass(value) or inspect.isfunction(value))
                and value is not cached
            ]
        for name in names:
            value = getattr(module, name)
            assert expected.setdefault(name, value) is value, f"{name}: two objects"
    exported = hipflask.http.__all__
    assert len(exported) == len(set(exported))
    assert sorted(exported) == sorted(expected)
    for name in exported:
        assert getattr(hipflask.http, name) is expected[name], name


def test_http_star_import() -> None:
    namespace: dict[str, t.Any] = {}
    exec("from hipflask.http import *", namespace)
    namespace.pop("__builtins__")
    assert sorted(namespace) == sorted(hipflask.http.__all__)


def _public(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_hipflask_offers_flasks_top_level_names() -> None:
    import flask

    # Beyond Flask: Quart's websocket API.
    websockets = {"websocket", "has_websocket_context", "WebsocketDisconnect"}
    assert (
        _public(hipflask) - {"annotations"}
        == (_public(flask) - {"annotations"}) | websockets
    )
    assert isinstance(hipflask.json, types.ModuleType)


FORBIDDEN = ("werkzeug", "flask", "starlette")

IMPORT_CHECK = """
import json, sys
import hipflask
import hipflask.http
import hipflask.testing
from hipflask import Flask, request

app = Flask("probe")

@app.route("/", methods=["GET", "POST"])
def index():
    return {"form": request.form.to_dict(), "json": request.get_json(silent=True)}

@app.route("/async")
async def asynchronous():
    return "async"

results = []
for asgi in (False, True):
    client = app.test_client(asgi=asgi)
    results.append(client.post("/", data={"a": "1"}).status_code)
    results.append(client.post("/", json={"b": 2}).status_code)
    results.append(client.get("/async").status_code)
    results.append(client.get("/missing").status_code)
loaded = sorted(
    {name.partition(".")[0] for name in sys.modules} & set(sys.argv[1:])
)
print(json.dumps({"results": results, "loaded": loaded}))
"""


def test_import_and_requests_do_not_load_werkzeug_flask_or_starlette() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, *FORBIDDEN],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    import json

    assert json.loads(done.stdout) == {
        "results": [200, 200, 200, 404] * 2,
        "loaded": [],
    }


def test_the_import_check_would_notice() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import werkzeug, sys; print(sorted({m.partition('.')[0]"
            " for m in sys.modules} & set(sys.argv[1:])))",
            *FORBIDDEN,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "['werkzeug']"
