"""The ASGI adapter's body reception (see hipflask.asgi)."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from hipflask import Flask, request
from hipflask.asgi import ClientGone, _receive_body
from hipflask.http.exceptions import RequestEntityTooLarge
from hipflask.http.streams import DEFAULT_SPOOL_THRESHOLD

Message = dict[str, t.Any]


def _receive(messages: list[Message]) -> t.Callable[[], t.Awaitable[Message]]:
    queue = iter(messages)

    async def receive() -> Message:
        return next(queue)

    return receive


def _chunks(*parts: bytes) -> list[Message]:
    return [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]


def _post(
    app: Flask, messages: list[Message], headers: list[tuple[bytes, bytes]]
) -> list[Message]:
    """What ``app`` sends for a POST to ``/`` whose body is ``messages``."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": headers,
    }
    asyncio.run(app(scope, _receive(messages), send))
    return sent


@pytest.mark.parametrize(
    "messages",
    [
        _chunks(b"a=1&b=2"),  # one message: adopted whole
        _chunks(b"a=1", b"&b=2"),  # several: written chunk by chunk
        _chunks(b"", b"a=1&b=2", b""),
        [{"type": "http.request", "body": b"a=1&b=2"}],  # more_body left out
    ],
    ids=["one", "two", "empty-ends", "no-more-key"],
)
def test_receive_body(messages: list[Message]) -> None:
    body = asyncio.run(_receive_body(_receive(messages), None))
    assert body.size == 7
    assert body.read() == b"a=1&b=2"
    body.close()


@pytest.mark.parametrize(
    "messages",
    [[{"type": "http.request"}], _chunks(b""), _chunks(b"", b"")],
    ids=["no-body-key", "one-empty", "two-empty"],
)
def test_receive_empty_body(messages: list[Message]) -> None:
    body = asyncio.run(_receive_body(_receive(messages), None))
    assert body.size == 0
    assert body.read() == b""


@pytest.mark.parametrize(
    "messages", [_chunks(b"x" * 11), _chunks(b"x" * 6, b"y" * 6)], ids=["one", "two"]
)
def test_receive_body_over_limit(messages: list[Message]) -> None:
    body = asyncio.run(_receive_body(_receive(messages), 10))
    assert body.too_large
    with pytest.raises(RequestEntityTooLarge, match="maximum of 10 bytes"):
        body.read()
    # Held (what arrived is kept for a raised limit) until the adapter closes it.
    assert body.size == 11 if len(messages) == 1 else 12
    body.close()


def test_receive_large_single_message_spools_to_disk() -> None:
    data = b"x" * (DEFAULT_SPOOL_THRESHOLD + 1)
    body = asyncio.run(_receive_body(_receive(_chunks(data)), None))
    assert body.rolled_to_disk
    assert body.read() == data
    body.close()


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.disconnect"}],
        [*_chunks(b"a", b"b")[:1], {"type": "http.disconnect"}],
    ],
    ids=["first", "later"],
)
def test_receive_body_client_gone(messages: list[Message]) -> None:
    with pytest.raises(ClientGone):
        asyncio.run(_receive_body(_receive(messages), None))


@pytest.mark.parametrize(
    "parts", [(b"a=1&b=2",), (b"a=1", b"&b=2")], ids=["one", "two"]
)
def test_body_after_form_over_asgi(parts: tuple[bytes, ...]) -> None:
    # As in Flask: once the form consumed the body, get_data() has nothing left.
    app = Flask(__name__)

    @app.route("/", methods=["POST"])
    def index() -> dict[str, t.Any]:
        form = request.form.to_dict()
        return {"form": form, "data": request.get_data(as_text=True)}

    sent = _post(
        app,
        _chunks(*parts),
        [(b"content-type", b"application/x-www-form-urlencoded")],
    )
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b'{"data":"","form":{"a":"1","b":"2"}}\n'


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.disconnect"}],
        [*_chunks(b"a", b"b")[:1], {"type": "http.disconnect"}],
    ],
    ids=["first", "later"],
)
def test_client_gone_before_body_sends_nothing(messages: list[Message]) -> None:
    app = Flask(__name__)
    called: list[bool] = []

    @app.route("/", methods=["POST"])
    def index() -> str:
        called.append(True)
        return "x"

    assert _post(app, messages, []) == []
    assert called == []


@pytest.mark.parametrize(
    "messages", [_chunks(b"a=1&b=2"), _chunks(b"a=1", b"&b=2")], ids=["one", "two"]
)
def test_closed_body_refuses_reads(messages: list[Message]) -> None:
    body = asyncio.run(_receive_body(_receive(messages), None))
    body.close()
    assert body.closed
    with pytest.raises(ValueError):
        body.read()
    with pytest.raises(ValueError):
        body.seek(0)
    body.close()  # twice is harmless
    # Another body is unaffected by the first one's closing.
    other = asyncio.run(_receive_body(_receive(_chunks(b"c=3")), None))
    assert other.read() == b"c=3"
    assert not other.closed


def _get(
    app: Flask,
    headers: list[tuple[bytes, bytes]],
    messages: list[Message] | None = None,
    method: str = "GET",
    path: str = "/",
) -> tuple[list[Message], int]:
    """What ``app`` sends for ``method`` ``path``, and how many receives it made."""
    sent: list[Message] = []
    queue = iter(messages if messages is not None else [])
    received: list[int] = []

    async def receive() -> Message:
        received.append(1)
        return next(queue)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers,
    }
    asyncio.run(app(scope, receive, send))
    return sent, len(received)


def _echo_app() -> Flask:
    app = Flask(__name__)

    @app.route("/", methods=["GET", "DELETE", "POST"])
    def index() -> str:
        return request.get_data(as_text=True) or "-"

    return app


@pytest.mark.parametrize(
    ("headers", "announced"),
    [
        ([], False),
        ([(b"content-length", b"0")], False),
        ([(b"content-length", b" ")], False),
        ([(b"content-length", b"3")], True),
        ([(b"transfer-encoding", b"chunked")], True),
        # The first of the two fields decides.
        ([(b"transfer-encoding", b"chunked"), (b"content-length", b"0")], True),
        ([(b"content-length", b"0"), (b"transfer-encoding", b"chunked")], False),
        ([(b"content-length", b"3"), (b"content-length", b"0")], True),
        # Names are matched as ASGI sends them: lower case.
        ([(b"Content-Length", b"3")], False),
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_bodyless_method_receives_an_announced_body(
    headers: list[tuple[bytes, bytes]], announced: bool, method: str
) -> None:
    sent, receives = _get(_echo_app(), headers, _chunks(b"abc"), method)
    assert receives == (1 if announced else 0)
    assert sent[1]["body"] == (b"abc" if announced else b"-")


@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.disconnect"}],
        [*_chunks(b"a", b"b")[:1], {"type": "http.disconnect"}],
    ],
)
def test_announced_body_client_gone_sends_nothing(messages: list[Message]) -> None:
    sent, _ = _get(_echo_app(), [(b"content-length", b"2")], messages)
    assert sent == []


def test_post_receives_without_announcement() -> None:
    sent, receives = _get(_echo_app(), [], _chunks(b"abc"), "POST")
    assert receives == 1
    assert sent[1]["body"] == b"abc"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([(b"host", b"example.com")], 200),
        ([(b"host", b"")], 200),
        ([(b"host", b"bad\x01host")], 400),
        ([(b"host", b"caf\xe9.example")], 200),  # printable latin-1
        ([(b"host", b"nb\xa0sp")], 400),
        # The first Host field is the one checked.
        ([(b"host", b"example.com"), (b"host", b"bad\x01")], 200),
        ([(b"host", b"bad\x01"), (b"host", b"example.com")], 400),
        ([(b"user-agent", b"x\x01"), (b"host", b"example.com")], 200),
    ],
)
def test_bad_host_over_asgi(headers: list[tuple[bytes, bytes]], status: int) -> None:
    sent, _ = _get(_echo_app(), headers)
    assert sent[0]["status"] == status


@pytest.mark.parametrize(
    ("headers", "refreshed"),
    [
        ([], False),
        ([(b"x-cookie", b"session=1")], False),
        ([(b"host", b"localhost"), (b"cookie", b"other=1")], False),
        ([(b"host", b"localhost"), (b"cookie", b"SESSION")], True),
    ],
)
def test_session_refresh_sees_the_cookie_over_asgi(
    headers: list[tuple[bytes, bytes]], refreshed: bool
) -> None:
    app = Flask(__name__)
    app.secret_key = "k"
    signed: list[str] = []

    @app.route("/login")
    def login() -> str:
        from hipflask import session

        session.permanent = True
        session["user"] = "u"
        return "ok"

    @app.route("/")
    def index() -> str:
        return "x"

    with app.test_client() as client:
        response = client.get("/login")
        signed.append(response.headers["Set-Cookie"].split(";")[0])
    cookie = signed[0].encode()
    headers = [
        (name, cookie if value == b"SESSION" else value) for name, value in headers
    ]
    sent, _ = _get(app, headers)
    names = [name for name, _ in sent[0]["headers"]]
    assert (b"set-cookie" in names) is refreshed


class _Name(str):
    """A header name of a str subclass (never memoised)."""


@pytest.mark.parametrize(
    "name", ["Content-Language", "X-Asgi-Never-Seen", _Name("X-Sub-Name")]
)
@pytest.mark.parametrize("forget", [False, True])
@pytest.mark.parametrize("in_c", [False, True], ids=["python", "c"])
def test_buffered_response_headers_over_asgi(
    name: str, forget: bool, in_c: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hipflask import Response, asgi
    from hipflask.asgi import _RAW_NAMES

    if in_c and asgi._c_encode_asgi_fields is None:
        pytest.skip("the C helpers are not built or are switched off")
    if not in_c:
        monkeypatch.setattr(asgi, "_c_encode_asgi_fields", None)

    app = Flask(__name__)

    @app.route("/")
    def index() -> Response:
        response = Response("x")
        response.headers[name] = "caf\xe9"
        return response

    _get(app, [])  # the names are memoised now, but for the subclass
    if forget:
        _RAW_NAMES.clear()
    sent, _ = _get(app, [])
    assert sent[0]["headers"] == [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", b"1"),
        (name.lower().encode(), b"caf\xe9"),
    ]
    assert sent[1]["body"] == b"x"
    # In Python, plain names are memoised (the next response takes the fast
    # path); a subclass's never is (every response takes the general one).
    if not in_c:
        assert (str(name) in _RAW_NAMES) is (type(name) is str)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unhashable_header_names_over_asgi(method: str) -> None:
    # ASGI names are bytes; a bytearray (unhashable) is read as the bytes it equals.
    app = Flask(__name__)
    seen: list[t.Any] = []

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        seen.append((request.content_type, request.content_length))
        return "ok"

    headers: list[tuple[t.Any, bytes]] = [
        (bytearray(b"host"), b"bad\x01"),
        (bytearray(b"content-type"), b"a/b"),
        (bytearray(b"Content-Length"), b"0"),
    ]
    sent, _ = _get(app, headers, _chunks(b""), method)
    assert sent[0]["status"] == 400
    headers[0] = (bytearray(b"host"), b"example.com")
    sent, _ = _get(app, headers, _chunks(b""), method)
    assert sent[0]["status"] == 200
    assert seen == [("a/b", 0)]


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "thread"])
def test_sync_view_error_reaches_teardown(inline: bool) -> None:
    app = Flask(__name__)
    app.config["ASGI_SYNC_INLINE"] = inline
    app.config["PROPAGATE_EXCEPTIONS"] = True
    torn: list[BaseException | None] = []

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        torn.append(error)

    @app.route("/")
    def index() -> str:
        raise LookupError("boom")

    @app.route("/ok")
    def ok() -> str:
        return "ok"

    with pytest.raises(LookupError, match="boom"):
        _get(app, [])
    assert len(torn) == 1
    assert isinstance(torn[0], LookupError)
    sent, _ = _get(app, [], path="/ok")
    assert sent[1]["body"] == b"ok"
    assert torn[1] is None


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "thread"])
def test_test_client_keeps_the_context_over_asgi(inline: bool) -> None:
    app = Flask(__name__)
    app.config["ASGI_SYNC_INLINE"] = inline

    @app.route("/")
    def index() -> str:
        return "x"

    with app.test_client(asgi=True) as client:
        assert client.get("/?a=1").text == "x"
        assert request.args["a"] == "1"


# -- a body held at MAX_CONTENT_LENGTH, completed under a raised limit ------------


def _raising_app(raised: int, *, inline: bool = False) -> Flask:
    """MAX_CONTENT_LENGTH 10; the view raises the request's limit to ``raised``."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10
    app.config["ASGI_SYNC_INLINE"] = inline

    @app.route("/", methods=["POST"])
    def view() -> dict[str, t.Any]:
        request.max_content_length = raised
        return {"body": request.get_data(as_text=True)}

    return app


def _status_and_body(sent: list[Message]) -> tuple[int, bytes]:
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    "parts",
    [
        (b"x" * 30,),  # one message, held whole
        (b"x" * 6, b"y" * 6, b"z" * 18),  # held at the second, the rest received
        (b"x" * 11, b"", b"y" * 19),
    ],
    ids=["one", "three", "empty-between"],
)
def test_raised_limit_receives_the_rest_from_the_worker_thread(
    parts: tuple[bytes, ...],
) -> None:
    whole = b"".join(parts)
    for raised in (30, 1000):
        status, body = _status_and_body(
            _post(_raising_app(raised), _chunks(*parts), [])
        )
        assert (status, body) == (200, b'{"body":"%s"}\n' % whole)


@pytest.mark.parametrize("raised", [10, 5, 29])
@pytest.mark.parametrize("parts", [(b"x" * 30,), (b"x" * 6, b"y" * 6, b"z" * 18)])
def test_limit_not_raised_enough_is_413(raised: int, parts: tuple[bytes, ...]) -> None:
    status, body = _status_and_body(_post(_raising_app(raised), _chunks(*parts), []))
    assert status == 413
    assert b"Request Entity Too Large" in body


def test_body_over_the_raised_limit_while_receiving_is_413() -> None:
    # Held at 12 bytes (within 20), then 18 more arrive: 30 > 20.
    sent = _post(_raising_app(20), _chunks(b"x" * 6, b"y" * 6, b"z" * 18), [])
    assert _status_and_body(sent)[0] == 413


def test_client_gone_while_the_rest_is_received_is_400() -> None:
    messages = [*_chunks(b"x" * 6, b"y" * 6, b"z")[:2], {"type": "http.disconnect"}]
    status, body = _status_and_body(_post(_raising_app(100), messages, []))
    assert status == 400
    assert b"went away before sending the whole request body" in body


@pytest.mark.parametrize("parts", [(b"x" * 6, b"y" * 6, b"z" * 18)])
def test_on_the_event_loop_the_first_limit_stands(parts: tuple[bytes, ...]) -> None:
    # Inline sync views and async views run on the loop, which cannot wait for
    # the rest of the body: 413, naming the limit the body was held at.
    inline = _raising_app(100, inline=True)
    async_app = Flask(__name__)
    async_app.config["MAX_CONTENT_LENGTH"] = 10

    @async_app.route("/", methods=["POST"])
    async def view() -> dict[str, t.Any]:
        request.max_content_length = 100
        return {"body": request.get_data(as_text=True)}

    for app in (inline, async_app):
        status, body = _status_and_body(_post(app, _chunks(*parts), []))
        assert status == 413
        assert b"maximum of 10 bytes" in body
    # A body held whole (one message) needs nothing more: it is read there too.
    status, body = _status_and_body(_post(inline, _chunks(b"x" * 30), []))
    assert (status, body) == (200, b'{"body":"%s"}\n' % (b"x" * 30))


def test_form_of_a_held_body_under_a_raised_limit() -> None:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.before_request
    def raise_limit() -> None:
        request.max_content_length = 1000

    @app.route("/", methods=["POST"])
    def view() -> dict[str, t.Any]:
        return request.form.to_dict()

    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    sent = _post(app, _chunks(b"name=ada&", b"lang=python&year=1843"), headers)
    assert _status_and_body(sent) == (
        200,
        b'{"lang":"python","name":"ada","year":"1843"}\n',
    )
