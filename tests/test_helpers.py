"""Helpers for views: url_for, redirect, make_response, abort, files."""

from __future__ import annotations

import typing as t
import warnings
from pathlib import Path

import flask
import pytest
import werkzeug.routing

import hipflask
from hipflask import (
    Blueprint,
    Flask,
    Response,
    abort,
    make_response,
    redirect,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from hipflask.http.exceptions import Aborter, HTTPException, NotFound
from hipflask.routing import BuildError
from hipflask.testing import FlaskClient

FIXTURES = Path(__file__).resolve().parent / "fixtures"


# -- url_for against Flask -----------------------------------------------------------


def build_urls(mod: t.Any, config: dict[str, t.Any]) -> t.Any:
    app = mod.Flask("urls", root_path="/nonexistent-root", subdomain_matching=True)
    app.config.update(config)
    app.add_url_rule("/", "index", lambda: "")
    app.add_url_rule("/page/<int:n>", "page", lambda n: "")
    app.add_url_rule("/files/<path:name>", "files", lambda name: "")
    app.add_url_rule("/only-post", "post", lambda: "", methods=["POST"])
    app.add_url_rule("/method", "method_get", lambda: "", methods=["GET"])
    app.add_url_rule("/method-post", "method_get", methods=["POST"])
    bp = mod.Blueprint("bp", "urls", url_prefix="/bp")
    bp.add_url_rule("/", "index", lambda: "")
    bp.add_url_rule("/<slug>", "item", lambda slug: "")
    sub = mod.Blueprint("api", "urls", subdomain="api")
    sub.add_url_rule("/v1", "v1", lambda: "")
    app.register_blueprint(bp)
    app.register_blueprint(sub)
    return app


URL_CALLS: list[tuple[str, dict[str, t.Any]]] = [
    ("index", {}),
    ("index", {"_external": True}),
    ("index", {"_external": False}),
    ("index", {"_scheme": "https", "_external": True}),
    ("index", {"_anchor": "sec 1/ä?x"}),
    ("index", {"q": "a b", "list": [1, 2]}),
    ("page", {"n": 3}),
    ("page", {"n": 3, "extra": "é"}),
    ("files", {"name": "a/b c.txt"}),
    ("post", {}),
    ("method_get", {"_method": "POST"}),
    ("method_get", {"_method": "GET"}),
    ("bp.index", {}),
    ("bp.item", {"slug": "x y"}),
    ("api.v1", {}),
    ("api.v1", {"_external": False}),
]
URL_ERRORS: list[tuple[str, dict[str, t.Any]]] = [
    ("missing", {}),
    ("page", {}),
    ("page", {"n": "not-int"}),
    ("index", {"_scheme": "https", "_external": False}),
]
CONFIGS = [
    {"SERVER_NAME": "example.test"},
    {"SERVER_NAME": "example.test:8080", "APPLICATION_ROOT": "/root"},
    {
        "SERVER_NAME": "example.test",
        "PREFERRED_URL_SCHEME": "https",
        "APPLICATION_ROOT": "/app/",
    },
]


def url_results(
    app: t.Any, mod: t.Any, calls: list[tuple[str, dict[str, t.Any]]]
) -> list[str]:
    results = []
    for endpoint, values in calls:
        try:
            results.append(mod.url_for(endpoint, **values))
        except (ValueError, TypeError, LookupError, RuntimeError) as e:
            name = type(e).__name__
            if isinstance(e, (werkzeug.routing.BuildError, BuildError)):
                name = "BuildError"
            results.append(f"<{name}>")
    return results


@pytest.mark.parametrize("config", CONFIGS, ids=repr)
def test_url_for_in_app_context_matches_flask(config: dict[str, t.Any]) -> None:
    ours, theirs = build_urls(hipflask, config), build_urls(flask, config)
    with ours.app_context():
        got = url_results(ours, hipflask, URL_CALLS + URL_ERRORS)
    with theirs.app_context():
        expected = url_results(theirs, flask, URL_CALLS + URL_ERRORS)
    assert got == expected


@pytest.mark.parametrize("config", [{}, *CONFIGS], ids=repr)
@pytest.mark.parametrize(
    ("base_url", "path"),
    [
        ("http://example.test/", "/"),
        ("https://example.test:8443/script/", "/bp/x"),
        ("http://api.example.test/", "/v1"),
        ("http://localhost/", "/page/1"),
    ],
)
def test_url_for_in_request_context_matches_flask(
    config: dict[str, t.Any], base_url: str, path: str
) -> None:
    ours, theirs = build_urls(hipflask, config), build_urls(flask, config)
    calls = URL_CALLS + URL_ERRORS + [(".index", {}), (".item", {"slug": "s"})]
    # A host that does not match SERVER_NAME warns, on both (compared too).
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        with ours.test_request_context(path, base_url=base_url):
            got = url_results(ours, hipflask, calls)
    with warnings.catch_warnings(record=True) as their_warnings:
        warnings.simplefilter("always")
        with theirs.test_request_context(path, base_url=base_url):
            expected = url_results(theirs, flask, calls)
    assert got == expected
    assert {str(w.message) for w in our_warnings} == {
        str(w.message) for w in their_warnings
    }


def test_url_for_without_server_name_outside_request() -> None:
    app = build_urls(hipflask, {})
    with app.app_context(), pytest.raises(RuntimeError) as ours:
        url_for("index")
    reference = build_urls(flask, {})
    with reference.app_context(), pytest.raises(RuntimeError) as theirs:
        flask.url_for("index")
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        url_for("index")


def test_app_url_for_without_any_context() -> None:
    app = build_urls(hipflask, {"SERVER_NAME": "example.test"})
    assert app.url_for("page", n=2) == "http://example.test/page/2"
    reference = build_urls(flask, {"SERVER_NAME": "example.test"})
    assert app.url_for("page", n=2) == reference.url_for("page", n=2)


def test_url_for_in_views(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/item/<int:id>")
    def item(id: int) -> str:
        return " ".join(
            [
                url_for(".item", id=id + 1),
                url_for("shop.item", id=1, _external=True),
                url_for("index", _anchor="top"),
                url_for(".item", id=1, _scheme="https", _external=True),
            ]
        )

    app.register_blueprint(bp)
    app.add_url_rule("/", "index", lambda: url_for("index", page=2))
    assert client.get("/").text == "/?page=2"
    assert client.get("/shop/item/4", base_url="https://x.test/root/").text == (
        "/root/shop/item/5 https://x.test/root/shop/item/1 /root/#top"
        " https://x.test/root/shop/item/1"
    )


def test_url_build_error_handlers(app: Flask) -> None:
    calls: list[tuple[str, dict[str, t.Any]]] = []

    def handler(
        error: Exception, endpoint: str, values: dict[str, t.Any]
    ) -> str | None:
        calls.append((endpoint, dict(values)))
        return "/fallback" if endpoint == "known-missing" else None

    app.url_build_error_handlers.append(t.cast(t.Any, handler))
    with app.test_request_context():
        assert url_for("known-missing", x=1) == "/fallback"
        with pytest.raises(BuildError):
            url_for("other-missing")
    assert calls[0] == (
        "known-missing",
        {"x": 1, "_anchor": None, "_method": None, "_scheme": None, "_external": False},
    )


def test_url_defaults_are_injected(app: Flask) -> None:
    app.add_url_rule("/<lang>/home", "home", lambda lang: "")

    @app.url_defaults
    def lang(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("lang", "en")

    with app.test_request_context():
        assert url_for("home") == "/en/home"
        assert url_for("home", lang="de") == "/de/home"


# -- redirect ------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect(app: Flask, client: FlaskClient, code: int) -> None:
    app.add_url_rule("/", "index", lambda: redirect("/target?x=1", code))
    rv = client.get("/")
    assert rv.status_code == code
    assert rv.headers["Location"] == "/target?x=1"
    assert b"/target?x=1" in rv.data


def test_redirect_uses_the_app_response_class(app: Flask, client: FlaskClient) -> None:
    class MyResponse(Response):
        pass

    app.response_class = MyResponse
    app.add_url_rule("/", "index", lambda: redirect("/x"))
    with app.test_request_context():
        assert isinstance(redirect("/x"), MyResponse)
    assert client.get("/").status_code == 302


def test_redirect_outside_app_context_with_response_class() -> None:
    class Other(Response):
        pass

    rv = redirect("/elsewhere", 307, Other)
    assert isinstance(rv, Other)
    assert (rv.status_code, rv.headers["Location"]) == (307, "/elsewhere")
    plain = redirect("/elsewhere")
    assert plain.status_code == 302


def test_redirect_body_matches_flask() -> None:
    for location in ("/a b", "https://example.test/ä?q=<x>", "relative"):
        ours = redirect(location)
        theirs = flask.redirect(location)
        assert ours.get_data() == theirs.get_data()
        assert ours.headers["Location"] == theirs.headers["Location"]


def test_app_redirect_method(app: Flask) -> None:
    rv = app.redirect("/x", 303)
    assert (rv.status_code, rv.headers["Location"]) == (303, "/x")


# -- make_response -------------------------------------------------------------------


def test_make_response_forms(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> Response:
        rv = make_response("body", 201, {"X-A": "1"})
        rv.headers["X-B"] = "2"
        return rv

    app.add_url_rule("/empty", "empty", lambda: make_response())
    app.add_url_rule("/tuple", "tuple", lambda: make_response(("t", 202)))
    app.add_url_rule("/json", "json", lambda: make_response({"a": 1}, 203))
    rv = client.get("/")
    assert (rv.status_code, rv.text, rv.headers["X-A"], rv.headers["X-B"]) == (
        201,
        "body",
        "1",
        "2",
    )
    assert (client.get("/empty").status_code, client.get("/empty").data) == (200, b"")
    assert (client.get("/tuple").status_code, client.get("/tuple").text) == (202, "t")
    rv = client.get("/json")
    assert (rv.status_code, rv.json) == (203, {"a": 1})


@pytest.mark.parametrize(
    "value",
    [
        "text",
        b"bytes",
        ("text", 404),
        ("text", {"X-H": "v"}),
        ("text", 201, [("X-H", "v")]),
        ("text", "299 CUSTOM"),
        ({"a": 1}, 400),
        ([1, 2], 200, {"X-H": "v"}),
        (x for x in ["gen", "erator"]),
    ],
    ids=repr,
)
def test_make_response_matches_flask(app: Flask, value: t.Any) -> None:
    reference = flask.Flask("ref")
    with reference.test_request_context():
        value_for_flask = value
        if hasattr(value, "__next__"):
            value_for_flask = iter(["gen", "erator"])
        theirs = flask.make_response(value_for_flask)
    with app.test_request_context():
        ours = make_response(value)
    assert (ours.status, ours.get_data()) == (theirs.status, theirs.get_data())
    assert sorted(ours.headers.items()) == sorted(theirs.headers.items())


def test_make_response_outside_app_context() -> None:
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        make_response("x")


# -- abort ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [400, 401, 403, 404, 405, 409, 410, 418, 429, 500, 503]
)
def test_abort_codes_match_flask(app: Flask, client: FlaskClient, code: int) -> None:
    app.add_url_rule("/", "index", lambda: abort(code))
    reference = flask.Flask("ref")
    reference.add_url_rule("/", "index", lambda: flask.abort(code))
    ours, theirs = client.get("/"), reference.test_client().get("/")
    assert (ours.status, ours.data) == (theirs.status, theirs.data)


def test_abort_with_description_and_response(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/d", "d", lambda: abort(404, description="No such thing."))
    app.add_url_rule("/r", "r", lambda: abort(Response("custom", 451)))
    assert b"No such thing." in client.get("/d").data
    rv = client.get("/r")
    assert (rv.status_code, rv.text) == (451, "custom")


def test_abort_unknown_code_is_lookup_error(app: Flask) -> None:
    with app.app_context(), pytest.raises(LookupError, match="no exception for 999"):
        abort(999)
    with pytest.raises(LookupError, match="no exception for 999"):
        abort(999)


def test_abort_uses_the_app_aborter(app: Flask, client: FlaskClient) -> None:
    class Gone(HTTPException):
        code = 410
        description = "Custom gone."

    app.aborter.mapping[410] = Gone
    app.add_url_rule("/", "index", lambda: abort(410))
    assert b"Custom gone." in client.get("/").data
    with pytest.raises(NotFound):
        abort(404)


def test_make_aborter_makes_the_app_aborter(protocol: str) -> None:
    class Teapot(HTTPException):
        code = 418
        description = "Short and stout."

    class TeapotAborter(Aborter):
        def __init__(self) -> None:
            super().__init__(extra={418: Teapot})

    class App(Flask):
        def make_aborter(self) -> Aborter:
            return TeapotAborter()

    app = App(__name__)
    assert isinstance(app.aborter, TeapotAborter)
    assert type(Flask(__name__).aborter) is Flask.aborter_class
    app.add_url_rule("/", "index", lambda: abort(418))
    rv = app.test_client(asgi=protocol == "asgi").get("/")
    assert rv.status_code == 418
    assert b"Short and stout." in rv.data


# -- files ---------------------------------------------------------------------------


def test_send_file_and_send_from_directory(protocol: str) -> None:
    app = Flask("files", root_path=str(FIXTURES))
    app.add_url_rule("/file", "file", lambda: send_file(FIXTURES / "static/hello.txt"))
    app.add_url_rule(
        "/dir/<path:name>",
        "dir",
        lambda name: send_from_directory(FIXTURES / "static", name),
    )
    client = app.test_client(asgi=protocol == "asgi")
    expected = (FIXTURES / "static/hello.txt").read_bytes()
    rv = client.get("/file")
    assert (rv.status_code, rv.data) == (200, expected)
    assert rv.mimetype == "text/plain"
    assert client.get("/dir/hello.txt").data == expected
    assert client.get("/dir/missing.txt").status_code == 404
    assert client.get("/dir/../test_helpers.py").status_code == 404
    assert client.get("/static/hello.txt").data == expected


def test_static_url_for() -> None:
    static_app = Flask("static_app", root_path=str(FIXTURES))
    with static_app.test_request_context("/", base_url="http://x.test/root/"):
        assert url_for("static", filename="hello.txt") == "/root/static/hello.txt"
        assert request.script_root == "/root"


def test_get_root_path_is_importable_from_helpers() -> None:
    import hipflask.helpers
    import hipflask.scaffold

    assert hipflask.helpers.get_root_path is hipflask.scaffold.get_root_path
    assert hipflask.helpers.get_root_path(__name__) == str(Path(__file__).parent)
