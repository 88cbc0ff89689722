"""Message flashing: flash, get_flashed_messages, categories and filters."""

from __future__ import annotations

import typing as t

import flask
import pytest
from markupsafe import Markup

import hipflask
from hipflask import (
    Flask,
    flash,
    get_flashed_messages,
    message_flashed,
    redirect,
    render_template_string,
    session,
)
from hipflask.testing import FlaskClient


def build(mod: t.Any) -> t.Any:
    """The same flashing app on Flask or hipflask."""
    app = mod.Flask("flashing", root_path="/nonexistent-root")
    app.config["SECRET_KEY"] = "k"

    def add() -> t.Any:
        mod.flash("plain")
        mod.flash("careful", "warning")
        mod.flash("broken", "error")
        mod.flash(Markup("<b>bold</b>"), "info")
        return mod.redirect("/show")

    app.add_url_rule("/add", "add", add)

    def show() -> str:
        query = mod.request.args
        filters = query.getlist("filter")
        with_categories = "categories" in query
        first = mod.get_flashed_messages(
            with_categories=with_categories, category_filter=filters
        )
        again = mod.get_flashed_messages(with_categories=True)
        return repr((first, again))

    app.add_url_rule("/show", "show", show)

    return app


@pytest.mark.parametrize(
    "query",
    ["", "categories", "filter=error", "filter=error&filter=info&categories", "x=1"],
)
def test_flashing_matches_flask(protocol: str, query: str) -> None:
    ours = build(hipflask).test_client(asgi=protocol == "asgi")
    theirs = build(flask).test_client()
    assert ours.get("/add").status_code == theirs.get("/add").status_code == 302
    first = ours.get(f"/show?{query}").text
    assert first == theirs.get(f"/show?{query}").text
    assert "bold" in first
    # Shown once: the next request has none, on both.
    assert ours.get(f"/show?{query}").text == theirs.get(f"/show?{query}").text
    assert ours.get("/show").text == "([], [])"


def test_flash_then_read_on_next_request(app: Flask, client: FlaskClient) -> None:
    @app.route("/login")
    def login() -> t.Any:
        flash("You were logged in")
        flash("Check your mail", "info")
        return redirect("/")

    @app.route("/")
    def index() -> str:
        return repr(get_flashed_messages(with_categories=True))

    rv = client.get("/login", follow_redirects=True)
    assert rv.text == "[('message', 'You were logged in'), ('info', 'Check your mail')]"
    # Read once: the next request sees nothing.
    assert client.get("/").text == "[]"


def test_categories_and_filters(app: Flask) -> None:
    with app.test_request_context():
        flash("one")
        flash("two", "error")
        flash("three", "warning")
        flash("four", "error")
        assert get_flashed_messages() == ["one", "two", "three", "four"]
        assert get_flashed_messages(category_filter=["error"]) == ["two", "four"]
        assert get_flashed_messages(
            with_categories=True, category_filter=["warning", "message"]
        ) == [("message", "one"), ("warning", "three")]
        # Filtering does not consume: the full list is still there this request.
        assert len(get_flashed_messages(with_categories=True)) == 4
        assert get_flashed_messages(category_filter=["nothing"]) == []


def test_flashes_are_stored_in_the_session(app: Flask) -> None:
    with app.test_request_context():
        assert not session.modified
        flash("Zap")
        session.modified = False
        flash("Zip")
        assert session.modified
        assert session["_flashes"] == [("message", "Zap"), ("message", "Zip")]
        assert get_flashed_messages() == ["Zap", "Zip"]
        assert "_flashes" not in session


def test_flashed_markup_survives_the_cookie(app: Flask, client: FlaskClient) -> None:
    @app.route("/add")
    def add() -> str:
        flash(Markup("<em>hi</em>"))
        return ""

    @app.route("/show")
    def show() -> str:
        (message,) = get_flashed_messages()
        return f"{type(message).__name__}:{message}"

    client.get("/add")
    assert client.get("/show").text == "Markup:<em>hi</em>"


def test_get_flashed_messages_in_templates(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> str:
        flash("hello", "greeting")
        flash("bye", "farewell")
        return render_template_string(
            "{% for c, m in get_flashed_messages(with_categories=true) %}"
            "[{{ c }}:{{ m }}]{% endfor %}"
            "|{{ get_flashed_messages(category_filter=['farewell']) }}"
        )

    assert client.get("/").text == "[greeting:hello][farewell:bye]|[&#39;bye&#39;]"


def test_message_flashed_signal(app: Flask, client: FlaskClient) -> None:
    received: list[tuple[t.Any, str, str]] = []

    def record(sender: t.Any, message: str, category: str, **extra: t.Any) -> None:
        received.append((sender, message, category))

    @app.route("/")
    def index() -> str:
        flash("saved", "success")
        flash("plain")
        return ""

    with message_flashed.connected_to(record, app):
        client.get("/")
    assert received == [(app, "saved", "success"), (app, "plain", "message")]


def test_flash_without_secret_key_is_an_error(protocol: str) -> None:
    app = Flask("nokey", root_path="/nonexistent-root")
    app.testing = True

    @app.route("/")
    def index() -> str:
        flash("x")
        return ""

    with pytest.raises(RuntimeError, match="no secret key was set"):
        app.test_client(asgi=protocol == "asgi").get("/")


def test_get_flashed_messages_without_flashes_does_not_write_a_cookie(
    app: Flask, client: FlaskClient
) -> None:
    app.add_url_rule("/", "index", lambda: repr(get_flashed_messages()))
    rv = client.get("/")
    assert rv.text == "[]"
    assert "Set-Cookie" not in rv.headers


def test_flash_outside_request_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        flash("x")
    with pytest.raises(RuntimeError, match="outside of request context"):
        get_flashed_messages()
