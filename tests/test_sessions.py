"""Sessions: Flask's signed cookie format, access tracking, settings, rotation."""

from __future__ import annotations

import base64
import hashlib
import random
import typing as t
import uuid
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import flask
import flask.sessions
import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer
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


# -- the cookie reader (in-house verification, checked against itsdangerous) --------

READER_KEYS = ["older key", "old key", "new key"]
READER_NOW = 1_700_000_000
READER_MAX_AGE = 3600


def reader_app(**config: t.Any) -> Flask:
    app = Flask("reader", root_path="/nonexistent-root")
    app.config.update(
        SECRET_KEY=READER_KEYS[-1], SECRET_KEY_FALLBACKS=READER_KEYS[:-1], **config
    )
    return app


def signer_for(key: str, digest: t.Any = hashlib.sha1) -> t.Any:
    """An itsdangerous signer that signs any bytes the way the session signs."""
    from itsdangerous import Signer

    return Signer(
        key, salt="cookie-session", key_derivation="hmac", digest_method=digest
    )


def stamp(seconds: int) -> bytes:
    from itsdangerous.encoding import base64_encode, int_to_bytes

    return base64_encode(int_to_bytes(seconds))


def reader_corpus() -> list[str]:
    """Cookies valid, expired, tampered, oddly encoded and oddly signed."""
    import zlib

    from itsdangerous.encoding import base64_encode

    cookies: list[str] = []
    big = {"text": "x" * 400, "n": list(range(30))}  # compresses: "." prefix
    for key in [*READER_KEYS, "unknown key"]:
        for payload in ({"user": "alice"}, big, RICH_SESSION):
            text = SecureCookieSessionInterface.serializer.dumps(payload).encode()
            for encoded in (
                base64_encode(text),
                b"." + base64_encode(zlib.compress(text)),
            ):
                for seconds in (
                    READER_NOW,
                    READER_NOW - READER_MAX_AGE,
                    READER_NOW - READER_MAX_AGE - 1,
                    READER_NOW + 1,
                    0,
                ):
                    value = encoded + b"." + stamp(seconds)
                    cookies.append(signer_for(key).sign(value).decode())
    good = signer_for("new key")
    now = stamp(READER_NOW)
    text = base64_encode(b'{"a":1}')
    # Correctly signed, but the timestamp or payload is malformed.
    for value in (
        text,  # no timestamp
        text + b"." + base64_encode((2**64 - 1).to_bytes(8, "big")),  # far future
        text + b"." + base64_encode((2**64).to_bytes(9, "big")),  # 9 bytes
        text + b"." + base64_encode(READER_NOW.to_bytes(9, "big")),  # 9, valid time
        text + b"." + b"%%%",
        text + b"." + b"A",  # bad padding
        text + b".",  # empty timestamp (0: expired)
        b"." + text + b"." + now,  # "compressed" but not zlib
        b"%%%." + now,
        base64_encode(b"\xff\xfe") + b"." + now,  # not UTF-8
        base64_encode(b'{"a":"\xe9"}') + b"." + now,  # Latin-1, not UTF-8
        base64_encode(b"{not json") + b"." + now,
        base64_encode(b' {"a": 1} ') + b"." + now,  # blanks around the JSON
        base64_encode(b'{"a":1} x') + b"." + now,  # extra data
        base64_encode(b"\xef\xbb\xbf{}") + b"." + now,  # a UTF-8 BOM
        base64_encode(b'"just a string"') + b"." + now,
        base64_encode(b'{" t": 5}') + b"." + now,  # a tag that cannot apply
        b"eyJhIjox-_fQ" + b"." + now,  # URL-safe characters in the payload
        b"eyJhIjoxfQ==" + b"." + now,  # padding kept
        b"eyJh IjoxfQ!!" + b"." + now,  # characters base64 skips
    ):
        cookies.append(good.sign(value).decode())  # noqa: PERF401
    rnd = random.Random(4)
    alphabet = "aA0.-_=+/!é \x00"
    mutated = []
    for cookie in cookies[:40] + cookies[-18:]:
        for _ in range(6):
            chars = list(cookie)
            index = rnd.randrange(len(chars))
            action = rnd.randrange(3)
            if action == 0:
                chars[index] = rnd.choice(alphabet)
            elif action == 1:
                del chars[index]
            else:
                chars.insert(index, rnd.choice(alphabet))
            mutated.append("".join(chars))
        mutated.append(cookie[: rnd.randrange(len(cookie))])
        # The signature re-encoded with padding or extra characters still reads.
        mutated.append(cookie + "=")
        mutated.append(cookie + "!")
    return cookies + mutated + [*BAD_COOKIES, "\ud800.x.y", "a.b", ".", ".."]


def outcome(load: t.Callable[..., t.Any], *args: t.Any) -> tuple[str, t.Any]:
    try:
        return ("ok", load(*args))
    except Exception:
        return ("bad", None)


def test_reader_agrees_with_itsdangerous(monkeypatch: pytest.MonkeyPatch) -> None:
    app = reader_app()
    interface = SecureCookieSessionInterface()
    _, reader = interface._signing(app)  # type: ignore[misc]
    assert reader is not None
    reference = URLSafeTimedSerializer(
        READER_KEYS,
        salt="cookie-session",
        serializer=SecureCookieSessionInterface.serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    monkeypatch.setattr("time.time", lambda: READER_NOW + 0.5)
    corpus = reader_corpus()
    accepted = 0
    with app.app_context():
        for cookie in corpus:
            ours = outcome(reader.loads, cookie, READER_MAX_AGE)
            theirs = outcome(reference.loads, cookie, READER_MAX_AGE)
            assert ours == theirs, cookie
            accepted += ours[0] == "ok"
    # The corpus exercises both outcomes, and both sides of every branch.
    assert 50 < accepted < len(corpus) - 300


def test_reader_keys_and_age_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    app = reader_app()
    interface = SecureCookieSessionInterface()
    _, reader = interface._signing(app)  # type: ignore[misc]
    assert reader is not None
    monkeypatch.setattr("time.time", lambda: READER_NOW)
    body = base64.urlsafe_b64encode(b'{"k":1}').rstrip(b"=")
    for key in READER_KEYS:  # the newest key and each fallback
        cookie = signer_for(key).sign(body + b"." + stamp(READER_NOW)).decode()
        assert reader.loads(cookie, READER_MAX_AGE) == {"k": 1}
    unknown = signer_for("unknown").sign(body + b"." + stamp(READER_NOW)).decode()
    with pytest.raises(BadSignature):
        reader.loads(unknown, READER_MAX_AGE)
    for seconds, ok in [
        (READER_NOW - READER_MAX_AGE, True),  # exactly max_age old
        (READER_NOW - READER_MAX_AGE - 1, False),
        (READER_NOW, True),
        (READER_NOW + 1, False),  # from the future
    ]:
        cookie = signer_for("new key").sign(body + b"." + stamp(seconds)).decode()
        if ok:
            assert reader.loads(cookie, READER_MAX_AGE) == {"k": 1}
        else:
            with pytest.raises(BadSignature):
                reader.loads(cookie, READER_MAX_AGE)


@pytest.mark.parametrize("builtin_sha1", [True, False])
@pytest.mark.parametrize("length", [0, 1, 20, 63, 64, 65, 200])
def test_sha1_hmac_pads_give_hmac_sha1(
    length: int, builtin_sha1: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hmac
    import sys

    from hipflask.sessions import _sha1_hmac_pads

    if not builtin_sha1:  # as in a build without CPython's own _sha1: hashlib's
        monkeypatch.setitem(sys.modules, "_sha1", None)

    key = bytes(range(length % 256)) * (length // 256) + bytes(range(length % 256))
    key = key[:length]
    inner, outer = _sha1_hmac_pads(key)
    for message in (b"", b"m", b"x" * 1000):
        inner_copy = inner.copy()
        inner_copy.update(message)
        outer_copy = outer.copy()
        outer_copy.update(inner_copy.digest())
        assert outer_copy.digest() == hmac.digest(key, message, "sha1")


class Sha256Interface(SecureCookieSessionInterface):
    digest_method = staticmethod(hashlib.sha256)


class OwnSignerInterface(SecureCookieSessionInterface):
    """Overrides get_signing_serializer: the reader must not stand in for it."""

    calls = 0

    def get_signing_serializer(self, app: t.Any) -> URLSafeTimedSerializer | None:
        OwnSignerInterface.calls += 1
        return URLSafeTimedSerializer(
            app.secret_key,
            salt="own salt",
            serializer=self.serializer,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
        )


@pytest.mark.parametrize("interface_class", [Sha256Interface, OwnSignerInterface])
def test_customised_signing_round_trips(
    protocol: str, interface_class: type[SecureCookieSessionInterface]
) -> None:
    app = writer_app(hipflask)
    app.session_interface = interface_class()
    client = app.test_client(asgi=protocol == "asgi")
    cookie = session_cookie(client.get("/write"))
    assert cookie
    rv = client.get("/read", headers={"Cookie": f"session={cookie}"})
    assert rv.text == repr(sorted(RICH_SESSION.items()))
    # A cookie signed the default way is not valid for these settings.
    default_cookie = session_cookie(writer_app(hipflask).test_client().get("/write"))
    rv = client.get("/read", headers={"Cookie": f"session={default_cookie}"})
    assert rv.text == "[]"


def test_sha256_sessions_use_the_reader_with_hmac_new() -> None:
    app = reader_app()
    serializer, reader = Sha256Interface()._signing(app)  # type: ignore[misc]
    assert reader is not None and reader._sha1_pads is None
    with app.app_context():
        cookie = serializer.dumps({"a": 1})
        assert reader.loads(cookie, READER_MAX_AGE) == {"a": 1}
        with pytest.raises(BadSignature):
            reader.loads(cookie[:-2], READER_MAX_AGE)


def test_overridden_signing_serializer_is_used(protocol: str) -> None:
    app = writer_app(hipflask)
    app.session_interface = OwnSignerInterface()
    client = app.test_client(asgi=protocol == "asgi")
    cookie = session_cookie(client.get("/write"))
    before = OwnSignerInterface.calls
    client.get("/read", headers={"Cookie": f"session={cookie}"})
    assert OwnSignerInterface.calls > before


def test_reader_only_for_serializers_it_matches() -> None:
    from hipflask.sessions import _CookieReader

    app = reader_app()
    serializer, _ = SecureCookieSessionInterface()._signing(app)  # type: ignore[misc]
    assert _CookieReader.usable(serializer)
    serializer.fallback_signers = [{"digest_method": hashlib.sha256}]
    assert not _CookieReader.usable(serializer)
    plain = URLSafeTimedSerializer("key", salt="cookie-session")  # its own signer
    assert not _CookieReader.usable(plain)


# -- a session only read: the plain response path -----------------------------------


def normalised(rv: t.Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers (lower-case names) and body; a Set-Cookie reduced to its
    name and attribute names (its value and dates change with the time)."""
    headers = []
    for name, value in rv.headers:
        if name.lower() == "set-cookie":
            parts = [part.strip() for part in value.split(";")]
            value = "; ".join(
                [parts[0].partition("=")[0]] + [p.partition("=")[0] for p in parts[1:]]
            )
        headers.append((name.lower(), value))
    return rv.status_code, headers, rv.data


def pipeline_app(with_hook: bool, **config: t.Any) -> Flask:
    app = Flask("pipeline", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="test key", **config)
    if with_hook:  # an after_request function: the full pipeline, with a Response

        @app.after_request
        def unchanged(response: Response) -> Response:
            return response

    @app.route("/login")
    def login() -> str:
        session["user"] = "alice"
        session.permanent = "permanent" in hipflask.request.args
        return "ok"

    @app.route("/text")
    def text() -> str:
        return str(session.get("user"))

    @app.route("/json")
    def json_view() -> t.Any:
        return {"user": session.get("user")}

    @app.route("/list")
    def list_view() -> t.Any:
        return [session.get("user")]

    @app.route("/tuple")
    def tuple_view() -> t.Any:
        return str(session.get("user")), 201

    @app.route("/untouched")
    def untouched() -> str:
        return "no session"

    @app.route("/object")
    def object_view() -> Response:
        return Response(str(session.get("user")), 202, {"X-Made": "view"})

    @app.route("/object-untouched")
    def object_untouched() -> Response:
        return Response("no session")

    @app.route("/modify")
    def modify() -> str:
        session["n"] = 1
        return "modified"

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    return app


@pytest.mark.parametrize(
    "path",
    [
        "/text",
        "/json",
        "/list",
        "/tuple",
        "/untouched",
        "/object",
        "/object-untouched",
        "/modify",
        "/clear",
    ],
)
@pytest.mark.parametrize(
    ("login", "config"),
    [
        ("/login", {}),
        ("/login?permanent", {}),  # refreshed on every response
        ("/login?permanent", {"SESSION_REFRESH_EACH_REQUEST": False}),
        (None, {}),  # no cookie at all
    ],
)
def test_session_responses_are_the_same_without_a_response_object(
    protocol: str, path: str, login: str | None, config: dict[str, t.Any]
) -> None:
    # Without after_request functions a str or JSON return is sent without a
    # Response object, a read session adding its Vary; with one, the full
    # pipeline runs. Both must send the same thing.
    results = []
    for with_hook in (False, True):
        app = pipeline_app(with_hook, **config)
        client = app.test_client(asgi=protocol == "asgi")
        if login is not None:
            client.get(login)
        results.append([normalised(client.get(path)), normalised(client.head(path))])
    assert results[0] == results[1]
    headers = dict(results[0][0][1])
    # Vary whenever the session was accessed or a cookie is sent.
    if "untouched" not in path or "set-cookie" in headers:
        assert headers.get("vary") == "Cookie"
    else:
        assert "vary" not in headers
    refreshed = login == "/login?permanent" and not config
    assert ("set-cookie" in headers) == (path in ("/modify", "/clear") or refreshed), (
        headers
    )


def test_read_session_headers() -> None:
    from hipflask.sessions import _read_session_headers

    app = reader_app()
    interface = SecureCookieSessionInterface()
    read = SecureCookieSession({"user": "alice"})
    assert _read_session_headers(interface, app, read) == []  # not accessed
    read.accessed = True
    assert _read_session_headers(interface, app, read) == [("Vary", "Cookie")]
    assert not read.modified
    empty = SecureCookieSession()
    empty.accessed = True
    assert _read_session_headers(interface, app, empty) == [("Vary", "Cookie")]
    # A cookie to write or delete: the full save.
    changed = SecureCookieSession({"user": "alice"})
    changed["n"] = 1
    assert _read_session_headers(interface, app, changed) is None
    emptied = SecureCookieSession({"user": "alice"})
    emptied.clear()
    assert _read_session_headers(interface, app, emptied) is None
    permanent = SecureCookieSession({"user": "alice", "_permanent": True})
    assert _read_session_headers(interface, app, permanent) is None
    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    assert _read_session_headers(interface, app, permanent) == []
    # Other classes, or a method replaced on the instance: the full save.
    assert _read_session_headers(Sha256Interface(), app, read) is None
    assert _read_session_headers(interface, app, MemorySession("sid")) is None
    custom = SecureCookieSessionInterface()
    custom.save_session = lambda *args: None  # type: ignore[method-assign]
    assert _read_session_headers(custom, app, read) is None


def test_save_session_replaced_on_the_instance_still_runs(protocol: str) -> None:
    app = pipeline_app(False)
    interface = SecureCookieSessionInterface()
    saved = []

    def save_session(app: t.Any, session: t.Any, response: t.Any) -> None:
        saved.append(dict(session))
        response.headers["X-Saved"] = "yes"

    interface.save_session = save_session  # type: ignore[method-assign]
    app.session_interface = interface
    rv = app.test_client(asgi=protocol == "asgi").get("/text")
    assert rv.headers["X-Saved"] == "yes"
    assert saved == [{}]


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
