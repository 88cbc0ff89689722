"""EnvironBuilder and environ_to_asgi (compared with Werkzeug's builder)."""

from __future__ import annotations

import io
import json
import sys
import typing as t

import pytest
import werkzeug.test
from werkzeug.formparser import parse_form_data

from hipflask.http.datastructures import MultiDict
from hipflask.testing_environ import EnvironBuilder, encode_multipart, environ_to_asgi


class App:
    """Just enough of an app for the builder: ``config`` and ``json``."""

    def __init__(self, **config: t.Any) -> None:
        self.config = config


def _comparable(environ: dict[str, t.Any]) -> tuple[dict[str, t.Any], bytes]:
    environ = dict(environ)
    body = environ.pop("wsgi.input").read()
    environ.pop("wsgi.errors")
    return environ, body


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"path": "/a b/\u00fc\u20ac"},
        {"path": "/enc%2Fo%20ded"},
        {"path": "/x?a=1&b=\u00e9"},
        {"query_string": "raw=1&\u00e9=2"},
        {"query_string": {"a": ["1", "2"], "b": "x y", "c": None, "d": 4}},
        {"method": "POST", "data": "raw \u00e9"},
        {"method": "POST", "data": b"\x00\xff"},
        {"method": "POST", "data": {"a": "1", "b": ["2", "3"], "c": "\u00e9 &="}},
        {"json": {"a": [1, "\u00e9"]}},
        {"json": "text", "content_type": "application/vnd.x+json"},
        {"headers": [("X-A", "1"), ("x-a", "2"), ("X-B", "b")]},
        {
            "headers": {"Content-Type": "text/plain", "Content-Length": "3"},
            "data": "abc",
        },
        {"auth": ("user", "pass")},
        {"base_url": "https://example.com:8443/root/"},
        {"base_url": "https://example.com"},
        {"environ_base": {"REMOTE_ADDR": "1.2.3.4", "HTTP_HOST": "base"}},
        {"environ_overrides": {"SERVER_PORT": "1", "x.extra": True}},
        {"mimetype": "text/plain", "data": "x"},
        {"mimetype": "application/json", "data": "{}"},
        {"content_type": "application/x-thing", "content_length": 2, "data": b"ab"},
        {"input_stream": io.BytesIO(b"stream"), "content_type": "text/plain"},
        {"multithread": True, "multiprocess": True, "run_once": True},
    ],
)
def test_environ_matches_werkzeug(kwargs: dict[str, t.Any]) -> None:
    ours = _comparable(EnvironBuilder(None, **kwargs).get_environ())
    if "input_stream" in kwargs:
        kwargs["input_stream"].seek(0)
    theirs = _comparable(werkzeug.test.EnvironBuilder(**kwargs).get_environ())
    assert ours == theirs


def test_environ_defaults() -> None:
    environ = EnvironBuilder().get_environ()
    assert environ["wsgi.errors"] is sys.stderr
    assert environ["wsgi.input"].read() == b""
    assert {
        k: v for k, v in environ.items() if k not in ("wsgi.input", "wsgi.errors")
    } == {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "REQUEST_URI": "/",
        "RAW_URI": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def test_ipv6_host() -> None:
    environ = EnvironBuilder(None, base_url="http://[::1]:8080/").get_environ()
    assert (environ["HTTP_HOST"], environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
        "[::1]:8080",
        "::1",
        "8080",
    )


def test_path_info_is_latin1_encoded_utf8() -> None:
    environ = EnvironBuilder(None, "/caf\u00e9").get_environ()
    assert environ["PATH_INFO"] == "/caf\u00c3\u00a9"
    assert environ["PATH_INFO"].encode("latin-1").decode() == "/caf\u00e9"


@pytest.mark.parametrize(
    ("config", "kwargs", "url"),
    [
        ({}, {}, "http://localhost/"),
        (
            {"SERVER_NAME": "example.com:1234", "APPLICATION_ROOT": "/foo"},
            {},
            "http://example.com:1234/foo/",
        ),
        ({"PREFERRED_URL_SCHEME": "https"}, {}, "https://localhost/"),
        (
            {"SERVER_NAME": "example.com"},
            {"subdomain": "api"},
            "http://api.example.com/",
        ),
        ({}, {"url_scheme": "https"}, "https://localhost/"),
        (
            {"SERVER_NAME": "example.com"},
            {"base_url": "http://other.test/r"},
            "http://other.test/r/",
        ),
        ({}, {"path": "https://example.com/x"}, "https://example.com/"),
        ({"APPLICATION_ROOT": "/"}, {}, "http://localhost/"),
    ],
)
def test_base_url_from_app_config(
    config: dict[str, str], kwargs: dict[str, t.Any], url: str
) -> None:
    builder = EnvironBuilder(App(**config), **kwargs)
    assert builder.base_url == url


def test_full_url_path() -> None:
    builder = EnvironBuilder(App(), "https://example.com/")
    assert (builder.url_scheme, builder.host, builder.script_root, builder.path) == (
        "https",
        "example.com",
        "",
        "/",
    )
    builder = EnvironBuilder(App(), "http://domain.com/action?vodka=42")
    assert (builder.host, builder.path, builder.query_string) == (
        "domain.com",
        "/action",
        "vodka=42",
    )


def test_attributes() -> None:
    builder = EnvironBuilder(None, "/p", "https://h.test:99/r", data={"a": "1"})
    assert (builder.server_name, builder.server_port) == ("h.test", 99)
    assert builder.content_type == "application/x-www-form-urlencoded"
    assert builder.mimetype == "application/x-www-form-urlencoded"
    assert builder.form["a"] == "1"
    with pytest.raises(AttributeError, match="a query string is defined"):
        EnvironBuilder(None, "/?a=1").args  # noqa: B018
    args_builder = EnvironBuilder(None, query_string={"a": "1"})
    args_builder.args.add("b", "2")
    assert args_builder.query_string == "a=1&b=2"
    args_builder.query_string = "c=3"
    assert args_builder.get_environ()["QUERY_STRING"] == "c=3"
    stream_builder = EnvironBuilder(None, data=b"x")
    with pytest.raises(AttributeError, match="an input stream is defined"):
        stream_builder.form  # noqa: B018
    stream_builder.input_stream = None
    assert stream_builder.form == MultiDict()
    assert EnvironBuilder(None, base_url="https://h.test").server_port == 443


def test_json_dumps_uses_app_provider() -> None:
    class Provider:
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return json.dumps(obj, ensure_ascii=False)

    app = App()
    app.json = Provider()  # type: ignore[attr-defined]
    builder = EnvironBuilder(app, json="\u20ac")
    assert builder.input_stream is not None
    assert builder.input_stream.read().decode() == '"\u20ac"'
    assert (
        EnvironBuilder(None, json="\u20ac").get_environ()["wsgi.input"].read()
        == b'"\\u20ac"'
    )


def test_from_environ_round_trip() -> None:
    original = EnvironBuilder(
        None,
        "/p\u00e4th/a%2Fb",
        "https://example.com:8443/root/",
        query_string="q=\u00e9",
        method="PATCH",
        headers={"X-A": "1"},
        data=b"body",
        content_type="text/plain",
    ).get_environ()
    copy = EnvironBuilder.from_environ(original).get_environ()
    assert copy["wsgi.input"] is original["wsgi.input"]
    # Only the raw URI differs: the rebuilt one is the re-encoded path.
    raw_uris = (copy.pop("REQUEST_URI"), copy.pop("RAW_URI"))
    assert raw_uris == ("/p%C3%A4th/a/b", "/p%C3%A4th/a/b")
    del original["REQUEST_URI"], original["RAW_URI"]
    del original["wsgi.input"], copy["wsgi.input"]
    assert copy == original


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"base_url": "http://x/", "subdomain": "a"},
            ValueError,
            'Cannot pass "subdomain"',
        ),
        (
            {"base_url": "http://x/", "url_scheme": "https"},
            ValueError,
            'or "url_scheme" with "base_url"',
        ),
        ({"base_url": "http://x/?q=1"}, ValueError, "must not contain a query string"),
        (
            {"base_url": "http://x/#f"},
            ValueError,
            "must not contain a query string or fragment",
        ),
        (
            {"path": "/?a=1", "query_string": "b=2"},
            ValueError,
            "Query string is defined in the path",
        ),
        ({"json": 1, "data": "x"}, TypeError, "can't provide both json and data"),
        (
            {"data": "x", "input_stream": io.BytesIO()},
            TypeError,
            "can't provide input stream and data",
        ),
        (
            {"data": 42},
            TypeError,
            "'data' must be str, bytes, a file or a mapping, got int",
        ),
        ({"data": {"f": ()}}, TypeError, "must be \\(file, filename\\)"),
        ({"data": {"f": (io.BytesIO(), "a", "b", "c")}}, TypeError, "got 4 items"),
        (
            {"data": {"f": ("not a file", "a.txt")}},
            TypeError,
            "must have a read\\(\\) method, got str",
        ),
        (
            {"auth": "user:pass"},
            TypeError,
            "'auth' must be a \\(username, password\\) tuple",
        ),
        ({"auth": ("only-user",)}, TypeError, "'auth' must be"),
    ],
)
def test_invalid_arguments(
    kwargs: dict[str, t.Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        EnvironBuilder(None, **kwargs)


def test_path_as_first_argument() -> None:
    with pytest.raises(TypeError, match="first argument of EnvironBuilder is the app"):
        EnvironBuilder("/path")


def test_close_closes_files() -> None:
    file = io.BytesIO(b"x")
    builder = EnvironBuilder(None, data={"f": (file, "f.txt")})
    builder.close()
    assert file.closed
    builder.close()  # a second close is harmless


def test_get_request() -> None:
    request = EnvironBuilder(
        None, "/r?x=1", method="POST", data={"a": "b"}
    ).get_request()
    assert (request.method, request.path, request.args["x"]) == ("POST", "/r", "1")
    assert request.form["a"] == "b"


def test_encode_multipart_parses_with_werkzeug() -> None:
    from hipflask.http.datastructures import FileStorage

    big = bytes(range(256)) * 4096  # 1 MiB: spooled to disk while encoding
    stream, length, boundary = encode_multipart(
        [("field", "v"), ("bytes", b"\xff"), ("number", 5)],
        [
            (
                "file",
                FileStorage(io.BytesIO(big), "big.bin", "file", "application/x-big"),
            ),
            # A text-mode stream is encoded as UTF-8.
            ("text", FileStorage(io.StringIO("text mode"), "t.txt", "text")),  # type: ignore[arg-type]
        ],
        boundary="fixed-boundary",
    )
    assert boundary == "fixed-boundary"
    with stream:
        data = stream.read()
    assert len(data) == length
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": f'multipart/form-data; boundary="{boundary}"',
        "CONTENT_LENGTH": str(length),
        "wsgi.input": io.BytesIO(data),
    }
    _, form, files = parse_form_data(environ, max_form_memory_size=None)
    assert form.to_dict() == {"field": "v", "bytes": "\ufffd", "number": "5"}
    big_file, text_file = files["file"], files["text"]
    try:
        assert big_file.read() == big
        assert big_file.content_type == "application/x-big"
        assert text_file.read() == b"text mode"
    finally:
        big_file.close()
        text_file.close()


# -- environ_to_asgi ---------------------------------------------------------------


def test_environ_to_asgi_scope() -> None:
    environ = EnvironBuilder(
        None,
        "/p\u00e4th/a%2Fb",
        "https://example.com:8443/r\u00f6\u00f6t/",
        query_string="q=\u00e9&x=%20",
        method="post",
        headers=[("X-Multi", "1"), ("X-Multi", "2")],
        data=b"payload",
        content_type="text/plain",
        environ_base={"REMOTE_ADDR": "10.0.0.1", "REMOTE_PORT": "5555"},
        environ_overrides={"hipflask.thing": 1, "werkzeug.x": 2, "OTHER": "3"},
    ).get_environ()
    scope, body = environ_to_asgi(environ)
    assert body == b"payload"
    # The error stream rides along for the app's logger (no ASGI equivalent).
    assert (
        scope["extensions"]["hipflask.environ"].pop("wsgi.errors")
        is (environ["wsgi.errors"])
    )
    headers = scope.pop("headers")
    assert sorted(headers) == [
        (b"content-length", b"7"),
        (b"content-type", b"text/plain"),
        (b"host", b"example.com:8443"),
        (b"x-multi", b"1, 2"),
    ]
    assert scope == {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/r\u00f6\u00f6t/p\u00e4th/a/b",
        "raw_path": b"/r%C3%B6%C3%B6t/p%C3%A4th/a%2Fb",
        "root_path": "/r\u00f6\u00f6t",
        "query_string": "q=\u00e9&x=%20".encode(),
        "client": ("10.0.0.1", 5555),
        "server": ("example.com", 8443),
        "extensions": {
            "hipflask.environ": {"hipflask.thing": 1, "werkzeug.x": 2, "OTHER": "3"}
        },
    }


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"SERVER_PROTOCOL": "HTTP/2"}, "http_version", "2"),
        ({"SERVER_PROTOCOL": "garbage"}, "http_version", "1.1"),
        ({"REMOTE_ADDR": "1.1.1.1"}, "client", ("1.1.1.1", 0)),
        ({"REMOTE_ADDR": "1.1.1.1", "REMOTE_PORT": "x"}, "client", ("1.1.1.1", 0)),
        ({}, "client", None),
        ({"SERVER_PORT": "nope"}, "server", ("localhost", None)),
        ({"PATH_INFO": "/\u00ff\u00fe"}, "path", "/\ufffd\ufffd"),
        (
            {"PATH_INFO": "/\u00ff", "RAW_URI": "/%FF", "REQUEST_URI": "/%FF"},
            "raw_path",
            b"/%FF",
        ),
        ({"PATH_INFO": "/\u20ac-not-latin1"}, "path", "/\u20ac-not-latin1"),
        ({"RAW_URI": "/unrelated", "REQUEST_URI": "/unrelated"}, "raw_path", b"/"),
    ],
)
def test_environ_to_asgi_edge_cases(
    overrides: dict[str, str], key: str, expected: t.Any
) -> None:
    environ = EnvironBuilder(None, environ_overrides=overrides).get_environ()
    scope, _ = environ_to_asgi(environ)
    assert scope[key] == expected


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        ("3", b"abc"),
        ("10", b"abcdef"),
        (None, b"abcdef"),
        ("junk", b"abcdef"),
        ("0", b""),
    ],
)
def test_environ_to_asgi_body_length(length: str | None, expected: bytes) -> None:
    environ: dict[str, t.Any] = {"wsgi.input": io.BytesIO(b"abcdef")}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    _, body = environ_to_asgi(environ)
    assert body == expected


def test_environ_to_asgi_minimal_environ() -> None:
    scope, body = environ_to_asgi({})
    assert body == b""
    assert (scope["method"], scope["path"], scope["raw_path"], scope["server"]) == (
        "GET",
        "",
        b"",
        None,
    )
