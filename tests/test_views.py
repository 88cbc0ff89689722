"""Class-based views: ``View`` and ``MethodView``."""

from __future__ import annotations

import asyncio
import typing as t
from functools import wraps

import flask
import flask.views
import pytest

import hipflask
import hipflask.views
from hipflask import Blueprint, Flask, Response, request
from hipflask.testing import FlaskClient
from hipflask.views import MethodView, View


def allow(rv: t.Any) -> list[str]:
    return sorted(x.strip() for x in rv.headers["Allow"].split(","))


# -- View ----------------------------------------------------------------------------


def test_view_dispatch_request(app: Flask, client: FlaskClient) -> None:
    class Index(View):
        methods = ["GET", "POST"]

        def dispatch_request(self) -> str:
            return f"{request.method} index"

    app.add_url_rule("/", view_func=Index.as_view("index"))
    assert client.get("/").text == "GET index"
    assert client.post("/").text == "POST index"
    assert client.put("/").status_code == 405
    assert allow(client.options("/")) == ["GET", "HEAD", "OPTIONS", "POST"]


def test_as_view_attributes(app: Flask) -> None:
    class Documented(View):
        """The docstring."""

        methods = ["PUT"]

        def dispatch_request(self) -> str:
            return ""

    view = Documented.as_view("named")
    assert view.__name__ == "named"
    assert view.__doc__ == "The docstring."
    assert view.__module__ == __name__
    assert view.view_class is Documented  # type: ignore[attr-defined]
    assert view.methods == ["PUT"]  # type: ignore[attr-defined]
    assert view.provide_automatic_options is None  # type: ignore[attr-defined]
    app.add_url_rule("/", view_func=view)
    assert "named" in app.view_functions


def test_view_arguments_and_url_values(app: Flask, client: FlaskClient) -> None:
    class Greeter(View):
        def __init__(self, greeting: str, punctuation: str = ".") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self, name: str) -> str:  # type: ignore[override]
            return f"{self.greeting}, {name}{self.punctuation}"

    app.add_url_rule(
        "/<name>", view_func=Greeter.as_view("greet", "Hello", punctuation="!")
    )
    assert client.get("/World").text == "Hello, World!"


@pytest.mark.parametrize("init_every_request", [True, False])
def test_init_every_request(
    app: Flask, client: FlaskClient, init_every_request: bool
) -> None:
    created: list[int] = []

    class Counter(View):
        def __init__(self) -> None:
            created.append(1)
            self.count = 0

        def dispatch_request(self) -> str:
            self.count += 1
            return str(self.count)

    Counter.init_every_request = init_every_request
    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    bodies = [client.get("/").text for _ in range(3)]
    if init_every_request:
        assert bodies == ["1", "1", "1"]
        assert len(created) == 3
    else:
        assert bodies == ["1", "2", "3"]
        assert len(created) == 1


def test_decorators_are_applied_in_order(app: Flask, client: FlaskClient) -> None:
    def tag(label: str) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
        def decorator(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
            @wraps(f)
            def wrapper(**kwargs: t.Any) -> t.Any:
                return f"{label}({f(**kwargs)})"

            return wrapper

        return decorator

    class Decorated(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "view"

    view = Decorated.as_view("decorated")
    app.add_url_rule("/", view_func=view)
    assert client.get("/").text == "outer(inner(view))"
    # The attributes are set on the outermost function.
    assert view.view_class is Decorated  # type: ignore[attr-defined]
    assert view.__name__ == "decorated"


@pytest.mark.parametrize("provide", [True, False, None])
@pytest.mark.parametrize("methods", [["GET"], ["GET", "OPTIONS"]])
def test_provide_automatic_options(
    protocol: str, provide: bool | None, methods: list[str]
) -> None:
    def build(mod: t.Any) -> t.Any:
        class Options(mod.views.View):  # type: ignore[misc]
            provide_automatic_options = provide

            def dispatch_request(self) -> str:
                return f"view {mod.request.method}"

        Options.methods = methods
        app = mod.Flask("options", root_path="/nonexistent-root")
        app.add_url_rule("/", view_func=Options.as_view("options"))
        return app

    ours = build(hipflask).test_client(asgi=protocol == "asgi").options("/")
    theirs = build(flask).test_client().options("/")
    assert (ours.status_code, ours.data) == (theirs.status_code, theirs.data)
    if provide is None and methods == ["GET"]:
        assert ours.data == b""
        assert ours.headers["Allow"] == "GET, HEAD, OPTIONS"
    if provide is False and "OPTIONS" in methods:
        assert ours.text == "view OPTIONS"


def test_unimplemented_dispatch_request(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/", view_func=View.as_view("base"))
    with pytest.raises(NotImplementedError):
        client.get("/")


# -- MethodView ----------------------------------------------------------------------


class Item(MethodView):
    def get(self, item_id: int | None = None) -> str:
        return f"get {item_id}"

    def post(self) -> tuple[str, int]:
        return f"created {request.get_json()['name']}", 201

    def delete(self, item_id: int) -> tuple[str, int]:
        return "", 204


def test_method_view_dispatch(app: Flask, client: FlaskClient) -> None:
    view = Item.as_view("item")
    app.add_url_rule("/items/", view_func=view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=view, methods=["GET", "DELETE"])
    assert client.get("/items/").text == "get None"
    rv = client.post("/items/", json={"name": "pen"})
    assert (rv.status_code, rv.text) == (201, "created pen")
    assert client.get("/items/3").text == "get 3"
    assert client.delete("/items/3").status_code == 204
    assert client.delete("/items/").status_code == 405
    assert client.put("/items/3").status_code == 405


def test_method_view_methods_are_derived(app: Flask) -> None:
    assert Item.methods == {"GET", "POST", "DELETE"}

    class Child(Item):
        def put(self) -> str:
            return "put"

    assert Child.methods == {"GET", "POST", "DELETE", "PUT"}

    class Explicit(Item):
        methods = ["GET"]

    assert Explicit.methods == ["GET"]

    class Mixin:
        def patch(self) -> str:
            return "patch"

    class WithMixin(Mixin, MethodView):
        pass

    assert WithMixin.methods == {"PATCH"}


def test_method_view_methods_match_flask() -> None:
    def classes(base: type[t.Any]) -> list[t.Any]:
        class A(base):  # type: ignore[misc]
            def get(self) -> str:
                return ""

            def trace(self) -> str:
                return ""

        class B(A):
            def options(self) -> str:
                return ""

        class C(base):  # type: ignore[misc]
            methods = ["POST"]

            def get(self) -> str:
                return ""

        class D(C):
            def put(self) -> str:
                return ""

        return [set(cls.methods or ()) for cls in (A, B, C, D)]

    assert classes(MethodView) == classes(flask.views.MethodView)


def test_head_falls_back_to_get(app: Flask, client: FlaskClient) -> None:
    class Page(MethodView):
        def get(self) -> Response:
            return Response("body", headers={"X-Method": request.method})

    app.add_url_rule("/", view_func=Page.as_view("page"))
    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.headers["X-Method"] == "HEAD"
    assert rv.data == b""


def test_explicit_head_is_used(app: Flask, client: FlaskClient) -> None:
    class Page(MethodView):
        def get(self) -> str:
            return "get"

        def head(self) -> Response:
            return Response("", headers={"X-Head": "own"})

    app.add_url_rule("/", view_func=Page.as_view("page"))
    assert client.head("/").headers["X-Head"] == "own"


def test_async_method_view(app: Flask, client: FlaskClient) -> None:
    class Async(MethodView):
        async def get(self) -> str:
            await asyncio.sleep(0)
            return "async get"

        def post(self) -> str:
            return "sync post"

    app.add_url_rule("/", view_func=Async.as_view("async"))
    assert client.get("/").text == "async get"
    assert client.post("/").text == "sync post"


def test_async_view_dispatch_request(app: Flask, client: FlaskClient) -> None:
    class Async(View):
        async def dispatch_request(self) -> str:
            await asyncio.sleep(0)
            return f"async {request.path}"

    app.add_url_rule("/here", view_func=Async.as_view("async"))
    assert client.get("/here").text == "async /here"


def test_method_view_in_blueprint_with_url_for(app: Flask, client: FlaskClient) -> None:
    class Users(MethodView):
        def get(self, user_id: int) -> str:
            return hipflask.url_for(".user", user_id=user_id + 1)

    bp = Blueprint("api", __name__, url_prefix="/api")
    bp.add_url_rule("/users/<int:user_id>", view_func=Users.as_view("user"))
    app.register_blueprint(bp)
    assert client.get("/api/users/1").text == "/api/users/2"


def test_method_view_behaviour_matches_flask(protocol: str) -> None:
    def build(mod: t.Any) -> t.Any:
        app = mod.Flask("views", root_path="/nonexistent-root")

        class Thing(mod.views.MethodView):  # type: ignore[misc]
            def get(self) -> str:
                return "get"

            def post(self) -> str:
                return "post"

        app.add_url_rule("/", view_func=Thing.as_view("thing"))
        return app

    ours = build(hipflask).test_client(asgi=protocol == "asgi")
    theirs = build(flask).test_client()
    for method in ("GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"):
        a, b = ours.open("/", method=method), theirs.open("/", method=method)
        assert (a.status_code, a.data) == (b.status_code, b.data), method
        # Werkzeug lists methods in set order (it varies between processes).
        assert sorted(a.headers.get("Allow", "").split(", ")) == sorted(
            b.headers.get("Allow", "").split(", ")
        ), method


def test_http_method_funcs_are_flasks() -> None:
    assert hipflask.views.http_method_funcs == flask.views.http_method_funcs
