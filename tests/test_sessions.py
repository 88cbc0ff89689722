"""Sessions: Flask's signed cookie format, access tracking, settings, rotation."""

from __future__ import annotations

import hashlib
import typing as t
import uuid
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import flask
import flask.sessions
import pytest
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup

import hipflask
from hipflask import Flask, Response, session
from hipflask.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)
from hipflask.testing import FlaskClient

SECRET = "shared secret"

#: Values of every type the tagged serializer knows, nested.
RICH_SESSION: dict[str, t.Any] = {
    "user_id": 42,
    "name": "Zoë",
    "tuple": (1, "two", (3,)),
    "bytes": b"\x00\xffraw",
    "markup": Markup("<b>bold</b>"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "when": datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
    "nested": {" t": "looks like a tag", "list": [1, {"t": (1, 2)}]},
    "tag_key_dict": {" di": "dict whose only key is a tag"},
    "none": None,
}


def session_cookie(response: t.Any, name: str = "session") -> str | None:
    """The value of the Set-Cookie for ``name`` in a response, if any."""
    for header in response.headers.getlist("Set-Cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        if name in parsed:
            return parsed[name].value
    return None


def set_cookie_attributes(response: t.Any, name: str = "session") -> dict[str, str]:
    """The attributes of the Set-Cookie for ``name``, lower-cased."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            attributes = {}
            for part in header.split(";")[1:]:
                key, _, value = part.strip().partition("=")
                attributes[key.lower()] = value
            return attributes
    raise AssertionError(f"no Set-Cookie for {name}")


def writer_app(mod: t.Any, **config: t.Any) -> t.Any:
    app = mod.Flask("writer", root_path="/nonexistent-root")
    app.config.update({"SECRET_KEY": SECRET, **config})

    def write() -> str:
        mod.session.update(RICH_SESSION)
        return "written"

    app.add_url_rule("/write", "write", write)

    def read() -> t.Any:
        return repr(sorted(dict(mod.session).items()))

    app.add_url_rule("/read", "read", read)

    return app


# -- the cookie format ---------------------------------------------------------------


def test_interface_uses_flasks_signing_settings() -> None:
    ours = SecureCookieSessionInterface()
    theirs = flask.sessions.SecureCookieSessionInterface()
    assert ours.salt == theirs.salt == "cookie-session"
    assert ours.key_derivation == theirs.key_derivation == "hmac"
    assert ours.digest_method().name == theirs.digest_method().name == "sha1"
    assert ours.digest_method(b"x").digest() == hashlib.sha1(b"x").digest()


def test_flask_cookie_is_read_by_hipflask(protocol: str) -> None:
    flask_rv = writer_app(flask).test_client().get("/write")
    cookie = session_cookie(flask_rv)
    assert cookie
    app = writer_app(hipflask)
    rv = app.test_client(asgi=protocol == "asgi").get(
        "/read", headers={"Cookie": f"session={cookie}"}
    )
    assert rv.text == repr(sorted(RICH_SESSION.items()))


def test_hipflask_cookie_is_read_by_flask(protocol: str) -> None:
    app = writer_app(hipflask)
    rv = app.test_client(asgi=protocol == "asgi").get("/write")
    cookie = session_cookie(rv)
    assert cookie
    flask_client = writer_app(flask).test_client()
    # Werkzeug's client replaces a Cookie header with its jar: use the jar.
    flask_client.set_cookie("session", cookie)
    flask_rv = flask_client.get("/read")
    assert flask_rv.text == repr(sorted(RICH_SESSION.items()))


def test_cookie_is_byte_identical_to_flasks_for_the_same_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # itsdangerous stamps the time; freeze it so both sign the same payload.
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_700_000_000)
    app = writer_app(hipflask)
    ours = session_cookie(app.test_client().get("/write"))
    theirs = session_cookie(writer_app(flask).test_client().get("/write"))
    assert ours == theirs


def test_cookie_attributes_match_flask() -> None:
    config = {
        "SESSION_COOKIE_NAME": "sid",
        "SESSION_COOKIE_DOMAIN": "example.test",
        "SESSION_COOKIE_PATH": "/app",
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_PARTITIONED": True,
    }
    ours = writer_app(hipflask, **config).test_client().get("/write")
    theirs = writer_app(flask, **config).test_client().get("/write")
    assert set_cookie_attributes(ours, "sid") == set_cookie_attributes(theirs, "sid")
    assert set_cookie_attributes(ours, "sid") == {
        "domain": "example.test",
        "secure": "",
        "path": "/app",
        "samesite": "Lax",
        "partitioned": "",
    }


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {"httponly": "", "path": "/"}),
        ({"APPLICATION_ROOT": "/root"}, {"httponly": "", "path": "/root"}),
        (
            {"SESSION_COOKIE_SAMESITE": "Strict", "SESSION_COOKIE_SECURE": True},
            {"httponly": "", "path": "/", "samesite": "Strict", "secure": ""},
        ),
    ],
)
def test_cookie_settings(
    client: FlaskClient, app: Flask, config: dict[str, t.Any], expected: dict[str, str]
) -> None:
    app.config.update(config)

    @app.route("/")
    def index() -> str:
        session["x"] = 1
        return ""

    rv = client.get("/")
    assert set_cookie_attributes(rv) == expected


def test_permanent_session_expiry(app: Flask, client: FlaskClient) -> None:
    app.permanent_session_lifetime = timedelta(hours=2)

    @app.route("/")
    def index() -> str:
        session.permanent = True
        session["x"] = 1
        return str(session.permanent)

    before = datetime.now(timezone.utc).replace(microsecond=0)
    rv = client.get("/")
    assert rv.text == "True"
    expires = datetime.strptime(
        set_cookie_attributes(rv)["expires"], "%a, %d %b %Y %H:%M:%S GMT"
    ).replace(tzinfo=timezone.utc)
    assert (
        before + timedelta(hours=2) <= expires <= before + timedelta(hours=2, seconds=5)
    )


# -- reading and writing -------------------------------------------------------------


def test_session_round_trip(app: Flask, client: FlaskClient) -> None:
    @app.post("/")
    def store() -> str:
        session["value"] = "stored"
        session["items"] = [1, (2, 3)]
        return ""

    @app.get("/")
    def load() -> str:
        return repr((session.get("value"), session.get("items")))

    client.post("/")
    assert client.get("/").text == "('stored', [1, (2, 3)])"


def test_emptied_session_deletes_the_cookie(app: Flask, client: FlaskClient) -> None:
    @app.route("/set")
    def set_value() -> str:
        session["x"] = 1
        return ""

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return ""

    client.get("/set")
    rv = client.get("/clear")
    attributes = set_cookie_attributes(rv)
    assert session_cookie(rv) == ""
    assert attributes["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert attributes["max-age"] == "0"
    assert rv.headers["Vary"] == "Cookie"
    assert client.get_cookie("session") is None


def test_modified_accessed_new_permanent(app: Flask) -> None:
    with app.test_request_context():
        interface = app.session_interface
        opened = interface.open_session(app, t.cast(t.Any, current_request()))
        assert isinstance(opened, SecureCookieSession)
        assert (opened.modified, opened.accessed, opened.new) == (False, False, False)
        assert opened.permanent is False
        opened.get("x")
        assert (opened.modified, opened.accessed) == (False, True)
        opened["x"] = 1
        assert (opened.modified, opened.accessed) == (True, True)
        opened.permanent = True
        assert opened["_permanent"] is True


def current_request() -> t.Any:
    from hipflask import request

    return request._get_current_object()  # type: ignore[attr-defined]


def test_nested_mutation_needs_modified(app: Flask, client: FlaskClient) -> None:
    @app.route("/init")
    def init() -> str:
        session["items"] = []
        return ""

    @app.route("/append")
    def append() -> str:
        session["items"].append(len(session["items"]))
        if "mark" in session.get("flags", ()):
            session.modified = True
        return ""

    @app.route("/mark")
    def mark() -> str:
        session["flags"] = ["mark"]
        return ""

    app.add_url_rule("/show", "show", lambda: repr(session["items"]))
    client.get("/init")
    client.get("/append")
    # A change inside a mutable value is not seen without ``modified``.
    assert client.get("/show").text == "[]"
    client.get("/mark")
    client.get("/append")
    assert client.get("/show").text == "[0]"


# -- Vary and access tracking --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "vary"),
    [
        ("/nothing", False),
        ("/get", True),
        ("/getitem", True),
        ("/contains", True),
        ("/iterate", True),
        ("/length", True),
        ("/truth", True),
        ("/setdefault", True),
        ("/set", True),
        ("/permanent", True),
    ],
)
def test_vary_cookie_whenever_the_session_was_accessed(
    app: Flask, client: FlaskClient, path: str, vary: bool
) -> None:
    views: dict[str, t.Callable[[], t.Any]] = {
        "/nothing": lambda: "",
        "/get": lambda: str(session.get("k")),
        "/getitem": lambda: str(session["k"]),
        "/contains": lambda: str("k" in session),
        "/iterate": lambda: ",".join(session),
        "/length": lambda: str(len(session)),
        "/truth": lambda: str(bool(session)),
        "/setdefault": lambda: str(session.setdefault("k", "v")),
        "/set": lambda: str(session.__setitem__("k", "v")),
        "/permanent": lambda: str(session.permanent),
    }
    for rule, view in views.items():
        app.add_url_rule(rule, rule, view)
    # A cookie is present, so reading it really depends on it.
    client.get("/set")
    rv = client.get(path)
    assert rv.status_code == 200
    assert ("Cookie" in rv.headers.getlist("Vary")) is vary
    assert len(rv.headers.getlist("Vary")) == (1 if vary else 0)


def test_vary_merges_with_existing_vary(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> Response:
        session.get("x")
        return Response("", headers={"Vary": "Accept-Encoding"})

    assert client.get("/").headers["Vary"] == "Accept-Encoding, Cookie"


def test_session_not_opened_unless_touched(protocol: str) -> None:
    opened: list[str] = []

    class Counting(SecureCookieSessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> t.Any:
            opened.append(request.path)
            return super().open_session(app, request)

    app = Flask("lazy", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY=SECRET, SESSION_REFRESH_EACH_REQUEST=False)
    app.session_interface = Counting()
    app.add_url_rule("/untouched", "untouched", lambda: "")
    app.add_url_rule("/touched", "touched", lambda: str(session.get("x")))

    @app.route("/write")
    def write() -> str:
        session["x"] = 1
        return ""

    client = app.test_client(asgi=protocol == "asgi")
    client.get("/untouched")
    client.get("/touched")
    client.get("/write")
    client.get("/untouched")  # with a session cookie now
    assert opened == ["/touched", "/write"]


def test_untouched_permanent_session_is_refreshed(protocol: str) -> None:
    app = Flask("refresh", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY=SECRET)

    @app.route("/login")
    def login() -> str:
        session["user_id"] = 1
        session.permanent = True
        return ""

    app.add_url_rule("/ignored", "ignored", lambda: "")
    client = app.test_client(asgi=protocol == "asgi")
    first = client.get("/login")
    assert first.headers["Vary"] == "Cookie"
    rv = client.get("/ignored")
    # As in Flask: the permanent session's cookie is sent again, with Vary.
    assert rv.headers["Vary"] == "Cookie"
    assert session_cookie(rv)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    rv = client.get("/ignored")
    assert session_cookie(rv) is None
    assert "Vary" not in rv.headers


def test_non_permanent_session_is_not_refreshed(
    app: Flask, client: FlaskClient
) -> None:
    @app.route("/login")
    def login() -> str:
        session["user_id"] = 1
        return ""

    app.add_url_rule("/ignored", "ignored", lambda: "")
    client.get("/login")
    rv = client.get("/ignored")
    assert session_cookie(rv) is None
    assert "Vary" not in rv.headers


# -- secret keys ---------------------------------------------------------------------


def test_no_secret_key_reads_null_session_and_refuses_writes(protocol: str) -> None:
    app = Flask("nokey", root_path="/nonexistent-root")
    app.testing = True
    app.add_url_rule("/read", "read", lambda: repr((session.get("x"), "x" in session)))

    @app.route("/write")
    def write() -> str:
        session["x"] = 1
        return ""

    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/read").text == "(None, False)"
    with pytest.raises(RuntimeError) as ours:
        client.get("/write")
    reference = flask.Flask("nokey")
    reference.testing = True

    @reference.route("/write")
    def flask_write() -> str:
        flask.session["x"] = 1
        return ""

    with pytest.raises(RuntimeError) as theirs:
        reference.test_client().get("/write")
    assert str(ours.value) == str(theirs.value)
    assert "no secret key was set" in str(ours.value)


@pytest.mark.parametrize(
    "method", ["__setitem__", "__delitem__", "clear", "pop", "popitem", "update"]
)
def test_null_session_refuses_every_write(method: str) -> None:
    null = NullSession()
    args: dict[str, tuple[t.Any, ...]] = {
        "__setitem__": ("k", 1),
        "__delitem__": ("k",),
        "pop": ("k",),
        "update": ({"k": 1},),
    }
    with pytest.raises(RuntimeError, match="no secret key was set"):
        getattr(null, method)(*args.get(method, ()))
    with pytest.raises(RuntimeError, match="no secret key was set"):
        null.setdefault("k", 1)


def test_secret_key_fallbacks(protocol: str) -> None:
    def signed_by(key: str) -> str:
        rv = writer_app(flask, SECRET_KEY=key).test_client().get("/write")
        return t.cast(str, session_cookie(rv))

    old_cookie = signed_by("old key")
    app = writer_app(hipflask, SECRET_KEY_FALLBACKS=["older key", "old key"])
    app.config["SECRET_KEY"] = "new key"
    client = app.test_client(asgi=protocol == "asgi")
    rv = client.get("/read", headers={"Cookie": f"session={old_cookie}"})
    assert rv.text == repr(sorted(RICH_SESSION.items()))
    # New cookies are signed with the newest key only.
    new_cookie = session_cookie(client.get("/write"))
    newest = URLSafeTimedSerializer(
        "new key",
        salt="cookie-session",
        serializer=SecureCookieSessionInterface.serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    assert new_cookie is not None
    assert newest.loads(new_cookie)["user_id"] == 42
    # Without the fallback the old cookie is just ignored (an empty session).
    app.config["SECRET_KEY_FALLBACKS"] = None
    rv = client.get("/read", headers={"Cookie": f"session={old_cookie}"})
    assert rv.text == "[]"


# -- bad cookies ---------------------------------------------------------------------


def signed(payload: t.Any, key: str = "test key", salt: str = "cookie-session") -> str:
    serializer = URLSafeTimedSerializer(
        key,
        salt=salt,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return serializer.dumps(payload)


BAD_COOKIES = [
    "garbage",
    "",
    "a.b.c",
    "....",
    "eyJ4IjoxfQ.AAAAAA.not-a-signature",
    "\u00e9t\u00e9",
    "x" * 5000,
    signed({"x": 1}, key="another key"),
    signed({"x": 1}, salt="other salt"),
    signed({"x": 1})[:-3],
    ".eJyrVspJLS5RslIqLU4tUqoFADM8BeI.ZZZ.zzz",
]

#: Correctly signed (so only from someone holding the key) but odd payloads.
ODD_SIGNED = [
    "not a dict",
    [1, 2, 3],
    {"x": {" t": "tag with a non-list"}},
    {"x": {" d": "not a date"}},
    {"x": {" u": "not a uuid"}},
    {"x": {" b": "%%%not base64"}},
    {"x": {" m": "<i>markup</i>"}, "y": {" di": {"z__": 1}}},
]


@pytest.mark.parametrize("cookie", BAD_COOKIES)
def test_bad_cookies_give_an_empty_session(
    app: Flask, client: FlaskClient, cookie: str
) -> None:
    app.add_url_rule("/", "index", lambda: repr(dict(session)))
    rv = client.get("/", headers={"Cookie": f"session={cookie}"})
    assert rv.status_code == 200
    assert rv.text == "{}"


@pytest.mark.parametrize("payload", ODD_SIGNED, ids=repr)
def test_odd_signed_payloads_as_flask(
    app: Flask, client: FlaskClient, payload: t.Any
) -> None:
    def outcome(mod: t.Any, test_client: t.Any) -> tuple[int, str]:
        test_client.set_cookie("session", signed(payload))
        rv = test_client.get("/")
        return rv.status_code, rv.text

    app.add_url_rule("/", "index", lambda: repr(dict(session)))
    reference = flask.Flask("x")
    reference.config.update(SECRET_KEY="test key")
    reference.add_url_rule("/", "index", lambda: repr(dict(flask.session)))
    ours = outcome(None, client)
    theirs = outcome(flask, reference.test_client())
    assert ours[0] == 200
    if theirs[0] == 200:
        assert ours == theirs
    else:
        # Flask fails with a 500 here; hipflask starts an empty session.
        assert ours == (200, "{}")


def test_expired_cookie_gives_an_empty_session(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.permanent_session_lifetime = timedelta(seconds=60)
    app.add_url_rule("/", "index", lambda: repr(dict(session)))
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_700_000_000)
    cookie = signed({"x": 1})
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_700_000_030)
    assert client.get("/", headers={"Cookie": f"session={cookie}"}).text == "{'x': 1}"
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1_700_000_090)
    assert client.get("/", headers={"Cookie": f"session={cookie}"}).text == "{}"


# -- custom interfaces ---------------------------------------------------------------


class MemorySession(dict[str, t.Any], SessionMixin):
    def __init__(self, sid: str, initial: dict[str, t.Any] | None = None) -> None:
        super().__init__(initial or {})
        self.sid = sid
        self.modified = False


class MemoryInterface(SessionInterface):
    """Server-side sessions in a dict, keyed by an id cookie."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, t.Any]] = {}

    def open_session(self, app: t.Any, request: t.Any) -> MemorySession:
        sid = request.cookies.get("sid") or uuid.uuid4().hex
        return MemorySession(sid, self.store.get(sid))

    def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
        self.store[session.sid] = dict(session)
        response.set_cookie("sid", session.sid, httponly=True)


def test_custom_session_interface(app: Flask, client: FlaskClient) -> None:
    interface = MemoryInterface()
    app.session_interface = interface

    @app.route("/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    assert list(interface.store.values()) == [{"n": 3}]


def test_open_session_returning_none_gives_a_null_session(
    app: Flask, client: FlaskClient
) -> None:
    class Refusing(SecureCookieSessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> None:
            return None

    app.session_interface = Refusing()
    app.add_url_rule(
        "/",
        "index",
        lambda: type(session._get_current_object()).__name__,  # type: ignore[attr-defined]
    )
    assert client.get("/").text == "NullSession"


def test_session_interface_defaults(app: Flask) -> None:
    interface = SessionInterface()
    app.config.update(SESSION_COOKIE_PATH=None, APPLICATION_ROOT="/base")
    assert interface.get_cookie_name(app) == "session"
    assert interface.get_cookie_path(app) == "/base"
    assert interface.get_cookie_domain(app) is None
    assert interface.get_cookie_httponly(app) is True
    assert interface.get_cookie_secure(app) is False
    assert interface.get_cookie_samesite(app) is None
    assert interface.get_cookie_partitioned(app) is False
    assert interface.is_null_session(interface.make_null_session(app))
    plain = SecureCookieSession()
    assert interface.get_expiration_time(app, plain) is None
    assert not interface.should_set_cookie(app, plain)
    plain.permanent = True
    assert interface.should_set_cookie(app, plain)
    with pytest.raises(NotImplementedError):
        interface.open_session(app, t.cast(t.Any, None))
