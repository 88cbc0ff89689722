"""Signals: what is sent, in which order, with which arguments; free when idle."""

from __future__ import annotations

import asyncio
import contextlib
import typing as t

import flask
import pytest

import hipflask
from hipflask import Flask, Response, signals
from hipflask.testing import FlaskClient

SIGNAL_NAMES = [
    "template_rendered",
    "before_render_template",
    "request_started",
    "request_finished",
    "request_tearing_down",
    "got_request_exception",
    "appcontext_tearing_down",
    "appcontext_pushed",
    "appcontext_popped",
    "message_flashed",
]


def describe(name: str, extra: dict[str, t.Any]) -> str:
    """A comparable one-line description of one signal."""
    parts = [name]
    for key in sorted(extra):
        value = extra[key]
        if key in ("response",):
            value = f"{value.status_code}"
        elif key in ("exception", "exc"):
            value = type(value).__name__
        elif key == "template":
            value = value.name
        elif key == "context":
            value = sorted(k for k in value if k in ("whom",))
        parts.append(f"{key}={value}")
    return " ".join(parts)


@contextlib.contextmanager
def recording(mod: t.Any, app: t.Any) -> t.Iterator[list[str]]:
    """Connect to every signal of ``mod`` for ``app`` and record what comes."""
    events: list[str] = []
    connected = []
    for name in SIGNAL_NAMES:
        signal = getattr(mod, name)

        def receiver(sender: t.Any, _name: str = name, **extra: t.Any) -> None:
            assert sender is app
            events.append(describe(_name, extra))

        signal.connect(receiver, app)
        connected.append((signal, receiver))
    try:
        yield events
    finally:
        for signal, receiver in connected:
            signal.disconnect(receiver, app)


def build(mod: t.Any) -> t.Any:
    app = mod.Flask("signals", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)
    app.logger.disabled = True

    def index() -> str:
        return "ok"

    app.add_url_rule("/", "index", index)

    def template() -> str:
        return t.cast(str, mod.render_template_string("Hi {{ whom }}", whom="you"))

    app.add_url_rule("/template", "template", template)

    def flash() -> str:
        mod.flash("saved", "success")
        return ""

    app.add_url_rule("/flash", "flash", flash)

    def error() -> str:
        raise ZeroDivisionError

    app.add_url_rule("/error", "error", error)

    def abort() -> t.NoReturn:
        mod.abort(418)
        raise AssertionError("not reached")

    app.add_url_rule("/abort", "abort", abort)

    return app


@pytest.mark.parametrize(
    "path", ["/", "/template", "/flash", "/error", "/abort", "/missing"]
)
def test_signals_for_a_request_match_flask(protocol: str, path: str) -> None:
    flask_app = build(flask)
    with recording(flask, flask_app) as expected:
        flask_app.test_client().get(path)
    app = build(hipflask)
    with recording(hipflask, app) as got:
        app.test_client(asgi=protocol == "asgi").get(path)
    assert got == expected
    assert got  # something was sent


def test_signals_of_an_app_context_match_flask() -> None:
    flask_app = build(flask)
    with recording(flask, flask_app) as expected, flask_app.app_context():
        pass
    app = build(hipflask)
    with recording(hipflask, app) as got, app.app_context():
        pass
    assert (
        got
        == expected
        == [
            "appcontext_pushed",
            "appcontext_tearing_down exc=NoneType",
            "appcontext_popped",
        ]
    )


def test_signal_objects_are_flasks_names() -> None:
    for name in SIGNAL_NAMES:
        ours = getattr(hipflask, name)
        assert ours is getattr(signals, name)
        assert ours.name == getattr(flask, name).name


def test_request_finished_receives_the_final_response(
    app: Flask, client: FlaskClient
) -> None:
    seen: list[Response] = []

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "1"
        return response

    app.add_url_rule("/", "index", lambda: "body")

    def on_finished(sender: t.Any, response: Response, **extra: t.Any) -> None:
        seen.append(response)

    with signals.request_finished.connected_to(on_finished, app):
        client.get("/")
    assert seen[0].headers["X-After"] == "1"
    assert seen[0].get_data() == b"body"


def test_request_started_sees_the_request(app: Flask, client: FlaskClient) -> None:
    seen: list[str] = []
    app.add_url_rule("/<name>", "index", lambda name: name)

    def on_started(sender: t.Any, **extra: t.Any) -> None:
        seen.append(f"{hipflask.request.path} {hipflask.request.endpoint}")

    with signals.request_started.connected_to(on_started, app):
        client.get("/hello")
    assert seen == ["/hello index"]


def test_async_receiver(app: Flask, client: FlaskClient) -> None:
    seen: list[str] = []

    async def on_finished(sender: t.Any, response: Response, **extra: t.Any) -> None:
        await asyncio.sleep(0)
        seen.append(f"async {response.status_code}")

    app.add_url_rule("/", "index", lambda: "")
    with signals.request_finished.connected_to(on_finished, app):
        client.get("/")
    assert seen == ["async 200"]


def test_receivers_for_another_app_are_not_called(client: FlaskClient) -> None:
    other = Flask("other", root_path="/nonexistent-root")
    seen: list[t.Any] = []
    app = t.cast(Flask, client.application)
    app.add_url_rule("/", "index", lambda: "")
    with signals.request_started.connected_to(lambda s, **kw: seen.append(s), other):
        client.get("/")
    assert seen == []


def test_template_signals_carry_template_and_context(
    app: Flask, client: FlaskClient
) -> None:
    seen: list[tuple[str, str, str]] = []

    def before(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
        seen.append(("before", template.name or "<string>", context["whom"]))

    def rendered(sender: t.Any, template: t.Any, context: dict[str, t.Any]) -> None:
        seen.append(("rendered", template.name or "<string>", context["whom"]))

    app.add_url_rule(
        "/", "index", lambda: hipflask.render_template_string("{{ whom }}", whom="w")
    )
    with (
        signals.before_render_template.connected_to(before, app),
        signals.template_rendered.connected_to(rendered, app),
    ):
        assert client.get("/").text == "w"
    assert seen == [("before", "<string>", "w"), ("rendered", "<string>", "w")]


def test_no_signal_is_sent_when_nobody_listens(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    for name in SIGNAL_NAMES:
        signal = getattr(signals, name)
        # Nobody listens (whatever other tests left connected).
        monkeypatch.setattr(signal, "receivers", {})
        monkeypatch.setattr(
            signal, "send", lambda *a, _name=name, **kw: sent.append(_name)
        )
    app = t.cast(Flask, client.application)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(app.logger, "disabled", True)
    app.add_url_rule("/", "index", lambda: "")
    app.add_url_rule("/error", "error", lambda: 1 / 0)
    client.get("/")
    client.get("/error")
    with app.app_context():
        pass
    assert sent == []
