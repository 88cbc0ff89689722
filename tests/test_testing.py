"""The test client against tiny raw WSGI and ASGI applications."""

from __future__ import annotations

import io
import json
import sys
import typing as t
from collections.abc import Callable, Iterator
from http import HTTPStatus
from urllib.parse import parse_qsl

import pytest
from werkzeug.formparser import parse_form_data

from hipflask import __version__
from hipflask.http.datastructures import FileStorage, Headers, MultiDict
from hipflask.http.response import Response
from hipflask.testing import (
    PRESERVE_CONTEXT_KEY,
    ClientRedirectError,
    EnvironBuilder,
    FlaskClient,
    TestResponse,
)

# -- one handler, two protocols ----------------------------------------------------
#
# A test app is written once as a handler taking a protocol-neutral view of the
# request and returning (status, headers, body); `wsgi_app` and `asgi_app` serve it
# over each protocol, so every test checks that both drivers deliver the same thing.


class Seen(t.TypedDict):
    method: str
    root_path: str
    path: str
    query: str
    headers: dict[str, str]
    scheme: str
    remote_addr: str | None
    server: tuple[str, int | None] | None
    body: bytes
    extra: dict[str, t.Any]


Handler = Callable[[Seen], tuple[int, list[tuple[str, str]], bytes]]

_CGI_KEYS = {
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "REQUEST_URI",
    "RAW_URI",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "REMOTE_ADDR",
    "REMOTE_PORT",
}


def wsgi_app(handler: Handler) -> t.Any:
    def app(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].lower().replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.lower().replace("_", "-")] = environ[key]
        seen: Seen = {
            "method": environ["REQUEST_METHOD"],
            "root_path": environ["SCRIPT_NAME"].encode("latin-1").decode(),
            "path": environ["PATH_INFO"].encode("latin-1").decode(),
            "query": environ["QUERY_STRING"],
            "headers": headers,
            "scheme": environ["wsgi.url_scheme"],
            "remote_addr": environ.get("REMOTE_ADDR"),
            "server": (environ["SERVER_NAME"], int(environ["SERVER_PORT"])),
            "body": environ["wsgi.input"].read(length),
            "extra": {
                key: value
                for key, value in environ.items()
                if key not in _CGI_KEYS and not key.startswith(("HTTP_", "wsgi."))
            },
        }
        status, response_headers, body = handler(seen)
        start_response(f"{status} {HTTPStatus(status).phrase}", response_headers)
        return [body]

    return app


def asgi_app(handler: Handler) -> t.Any:
    async def app(scope: dict[str, t.Any], receive: t.Any, send: t.Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            assert message["type"] == "http.request"
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        root = scope["root_path"]
        assert scope["path"].startswith(root)
        client = scope["client"]
        seen: Seen = {
            "method": scope["method"],
            "root_path": root,
            "path": scope["path"][len(root) :],
            "query": scope["query_string"].decode("latin-1"),
            "headers": {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope["headers"]
            },
            "scheme": scope["scheme"],
            "remote_addr": client[0] if client else None,
            "server": tuple(scope["server"]) if scope["server"] else None,
            "body": body,
            "extra": dict(scope["extensions"]["hipflask.environ"]),
        }
        status, headers, response_body = handler(seen)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": response_body})

    return app


def echo(seen: Seen) -> tuple[int, list[tuple[str, str]], bytes]:
    """Answer with what the request looked like, as JSON."""
    data = dict(seen)
    data["body"] = seen["body"].decode("latin-1")
    data["extra"] = sorted(seen["extra"])
    return 200, [("Content-Type", "application/json")], json.dumps(data).encode()


@pytest.fixture(params=[False, True], ids=["wsgi", "asgi"])
def asgi(request: pytest.FixtureRequest) -> bool:
    return t.cast(bool, request.param)


def make_client(handler: Handler, asgi: bool, **kwargs: t.Any) -> FlaskClient:
    app = asgi_app(handler) if asgi else wsgi_app(handler)
    return FlaskClient(app, asgi=asgi, **kwargs)


@pytest.fixture
def echo_client(asgi: bool) -> FlaskClient:
    return make_client(echo, asgi)


def seen_by(response: TestResponse) -> dict[str, t.Any]:
    assert response.status_code == 200
    return t.cast(dict[str, t.Any], json.loads(response.data))


# -- what the application receives -------------------------------------------------


def test_default_request(echo_client: FlaskClient) -> None:
    seen = seen_by(echo_client.get("/"))
    assert seen["method"] == "GET"
    assert seen["root_path"] == ""
    assert seen["path"] == "/"
    assert seen["query"] == ""
    assert seen["scheme"] == "http"
    assert seen["remote_addr"] == "127.0.0.1"
    assert seen["server"] == ["localhost", 80]
    assert seen["headers"] == {
        "host": "localhost",
        "user-agent": f"hipflask/{__version__}",
    }
    assert seen["body"] == ""


@pytest.mark.parametrize(
    "method", ["get", "post", "put", "patch", "delete", "options", "trace"]
)
def test_method_helpers(echo_client: FlaskClient, method: str) -> None:
    seen = seen_by(getattr(echo_client, method)("/"))
    assert seen["method"] == method.upper()


def test_head(echo_client: FlaskClient) -> None:
    response = echo_client.head("/")
    assert response.status_code == 200
    assert response.request.method == "HEAD"


@pytest.mark.parametrize(
    ("path", "expected_path", "expected_query"),
    [
        ("/plain", "/plain", ""),
        ("/caf\u00e9/\u20ac", "/caf\u00e9/\u20ac", ""),
        ("/a%20b/%C3%A9", "/a b/\u00e9", ""),
        ("/with space", "/with space", ""),
        ("/q?a=1&b=two", "/q", "a=1&b=two"),
        ("/q?", "/q", ""),
        ("http://localhost/full?x=y", "/full", "x=y"),
    ],
)
def test_paths(
    echo_client: FlaskClient, path: str, expected_path: str, expected_query: str
) -> None:
    seen = seen_by(echo_client.get(path))
    assert seen["path"] == expected_path
    assert seen["query"] == expected_query


@pytest.mark.parametrize(
    ("query_string", "expected"),
    [
        ("a=1&b=2", [("a", "1"), ("b", "2")]),
        ({"a": "1", "b": "x y"}, [("a", "1"), ("b", "x y")]),
        ({"a": ["1", "2"]}, [("a", "1"), ("a", "2")]),
        (
            MultiDict([("a", "1"), ("b", "2"), ("a", "3")]),
            [("a", "1"), ("a", "3"), ("b", "2")],
        ),
        ({"n": 5, "none": None}, [("n", "5")]),
        ({"\u00e9": "\u20ac"}, [("\u00e9", "\u20ac")]),
    ],
)
def test_query_string(
    echo_client: FlaskClient, query_string: t.Any, expected: list[tuple[str, str]]
) -> None:
    seen = seen_by(echo_client.get("/", query_string=query_string))
    query = seen["query"].encode("latin-1").decode()
    assert sorted(parse_qsl(query, keep_blank_values=True)) == sorted(expected)


def test_query_in_path_and_argument(echo_client: FlaskClient) -> None:
    with pytest.raises(ValueError, match="Query string is defined in the path"):
        echo_client.get("/?a=1", query_string={"b": "2"})


def test_form_body(echo_client: FlaskClient) -> None:
    seen = seen_by(echo_client.post("/", data={"name": "v\u00e9", "multi": ["1", "2"]}))
    assert seen["headers"]["content-type"] == "application/x-www-form-urlencoded"
    body = seen["body"].encode("latin-1")
    assert seen["headers"]["content-length"] == str(len(body))
    assert parse_qsl(body.decode()) == [
        ("name", "v\u00e9"),
        ("multi", "1"),
        ("multi", "2"),
    ]


@pytest.mark.parametrize(
    ("make_data", "expected"),
    [
        (lambda: "text \u00e9", "text \u00e9".encode()),
        (lambda: b"\x00\xff raw", b"\x00\xff raw"),
        (lambda: io.BytesIO(b"from a file"), b"from a file"),
    ],
    ids=["str", "bytes", "file"],
)
def test_raw_body(
    echo_client: FlaskClient, make_data: Callable[[], t.Any], expected: bytes
) -> None:
    seen = seen_by(
        echo_client.post("/", data=make_data(), content_type="application/x-thing")
    )
    assert seen["body"].encode("latin-1") == expected
    assert seen["headers"]["content-type"] == "application/x-thing"
    assert seen["headers"]["content-length"] == str(len(expected))


def _parse_multipart(seen: dict[str, t.Any]) -> tuple[t.Any, t.Any]:
    """Parse the body the app received with Werkzeug's form parser."""
    body = seen["body"].encode("latin-1")
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": seen["headers"]["content-type"],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    _, form, files = parse_form_data(environ)
    return form, files


def test_multipart_body(echo_client: FlaskClient) -> None:
    storage = FileStorage(
        io.BytesIO(b"storage data"), filename="s.bin", content_type="application/x-s"
    )
    named = io.BytesIO(b"named")
    named.name = "/tmp/dir/named.txt"
    seen = seen_by(
        echo_client.post(
            "/",
            data={
                "field": "value \u00e9",
                "multi": ["1", "2"],
                'quoted"name': "q",
                "plain": (io.BytesIO(b"plain data"), "a.txt"),
                "typed": (io.BytesIO(b"<p>"), "b.html", "text/x-custom"),
                "storage": storage,
                "named": named,
                "several": [(io.BytesIO(b"1"), "1.txt"), (io.BytesIO(b"2"), "2.txt")],
            },
        )
    )
    assert seen["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    form, files = _parse_multipart(seen)
    assert form.getlist("field") == ["value \u00e9"]
    assert form.getlist("multi") == ["1", "2"]
    assert form.getlist('quoted"name') == ["q"]
    assert files["plain"].filename == "a.txt"
    assert files["plain"].content_type == "text/plain"
    assert files["plain"].read() == b"plain data"
    assert files["typed"].filename == "b.html"
    assert files["typed"].content_type == "text/x-custom"
    assert files["typed"].read() == b"<p>"
    assert files["storage"].filename == "s.bin"
    assert files["storage"].content_type == "application/x-s"
    assert files["storage"].read() == b"storage data"
    assert files["named"].filename == "/tmp/dir/named.txt"
    assert [f.read() for f in files.getlist("several")] == [b"1", b"2"]
    for file_list in files.listvalues():
        for file in file_list:
            file.close()


def test_multipart_foreign_upload_object(echo_client: FlaskClient) -> None:
    import werkzeug.datastructures

    upload = werkzeug.datastructures.FileStorage(
        io.BytesIO(b"wz"), filename="w.csv", name="field", content_type="text/x-w"
    )
    form, files = _parse_multipart(seen_by(echo_client.post("/", data={"up": upload})))
    assert not form
    assert (files["up"].filename, files["up"].content_type) == ("w.csv", "text/x-w")
    assert files["up"].read() == b"wz"
    files["up"].close()


def test_multipart_file_without_name_is_a_field(echo_client: FlaskClient) -> None:
    seen = seen_by(echo_client.post("/", data={"anonymous": io.BytesIO(b"data")}))
    form, files = _parse_multipart(seen)
    assert not files
    assert form["anonymous"] == "data"


def test_json_body(echo_client: FlaskClient) -> None:
    seen = seen_by(echo_client.post("/", json={"a": [1, 2], "b": "\u20ac"}))
    assert seen["headers"]["content-type"] == "application/json"
    assert json.loads(seen["body"].encode("latin-1")) == {"a": [1, 2], "b": "\u20ac"}


def test_json_uses_app_provider(asgi: bool) -> None:
    class Provider:
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return "provided:" + json.dumps(obj)

        def loads(self, data: str | bytes) -> t.Any:
            return ("loaded", json.loads(data))

    app = asgi_app(echo) if asgi else wsgi_app(echo)
    app.json = Provider()
    client = FlaskClient(app, asgi=asgi)
    response = client.post("/", json=[1])
    assert json.loads(response.data)["body"] == "provided:[1]"
    # The response's JSON goes through the app's provider too.
    assert response.json == ("loaded", json.loads(response.data))


@pytest.mark.parametrize(
    "headers",
    [
        [("X-One", "1"), ("X-Two", "2"), ("X-One", "again")],
        Headers([("X-One", "1"), ("X-Two", "2"), ("X-One", "again")]),
    ],
    ids=["list", "Headers"],
)
def test_headers(echo_client: FlaskClient, headers: t.Any) -> None:
    seen = seen_by(echo_client.get("/", headers=headers))
    assert seen["headers"]["x-one"] == "1, again"
    assert seen["headers"]["x-two"] == "2"


def test_headers_dict_and_host_override(echo_client: FlaskClient) -> None:
    seen = seen_by(
        echo_client.get("/", headers={"Host": "other.test", "User-Agent": "UA"})
    )
    assert seen["headers"]["host"] == "other.test"
    assert seen["headers"]["user-agent"] == "UA"


def test_basic_auth(echo_client: FlaskClient) -> None:
    seen = seen_by(echo_client.get("/", auth=("us\u00e9r", "p:ss")))
    # base64 of "usér:p:ss" in UTF-8
    assert seen["headers"]["authorization"] == "Basic dXPDqXI6cDpzcw=="


def test_auth_object(echo_client: FlaskClient) -> None:
    class Token:
        def to_header(self) -> str:
            return "Bearer abc"

    seen = seen_by(echo_client.get("/", auth=Token()))
    assert seen["headers"]["authorization"] == "Bearer abc"


def test_environ_base_and_overrides(echo_client: FlaskClient) -> None:
    echo_client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    echo_client.environ_base["HTTP_USER_AGENT"] = "Custom"
    seen = seen_by(
        echo_client.get(
            "/",
            environ_base={"x.base": "b", "SERVER_NAME": "ignored"},
            environ_overrides={"x.override": "o", "wsgi.url_scheme": "https"},
        )
    )
    assert seen["remote_addr"] == "10.0.0.1"
    assert seen["headers"]["user-agent"] == "Custom"
    # environ_base is applied first (the builder's SERVER_NAME wins over it),
    # environ_overrides last.
    assert seen["server"] == ["localhost", 80]
    assert seen["scheme"] == "https"
    assert [k for k in seen["extra"] if k != "wsgi.errors"] == ["x.base", "x.override"]


def test_base_url_and_script_root(echo_client: FlaskClient) -> None:
    seen = seen_by(
        echo_client.get("/p\u00e4th", "https://example.com:8443/r\u00f6\u00f6t/")
    )
    assert seen["scheme"] == "https"
    assert seen["server"] == ["example.com", 8443]
    assert seen["headers"]["host"] == "example.com:8443"
    assert seen["root_path"] == "/r\u00f6\u00f6t"
    assert seen["path"] == "/p\u00e4th"


def test_app_config_defaults(asgi: bool) -> None:
    app = asgi_app(echo) if asgi else wsgi_app(echo)
    app.config = {
        "SERVER_NAME": "example.com:1234",
        "APPLICATION_ROOT": "/foo",
        "PREFERRED_URL_SCHEME": "https",
    }
    client = FlaskClient(app, asgi=asgi)
    seen = seen_by(client.get("/x"))
    assert (seen["scheme"], seen["headers"]["host"]) == ("https", "example.com:1234")
    assert (seen["root_path"], seen["path"]) == ("/foo", "/x")
    seen = seen_by(client.get("/x", subdomain="sub", url_scheme="http"))
    assert (seen["scheme"], seen["headers"]["host"]) == ("http", "sub.example.com:1234")


def test_open_with_builder_and_environ(echo_client: FlaskClient) -> None:
    builder = EnvironBuilder(None, "/built", method="PUT", data=b"x")
    seen = seen_by(echo_client.open(builder))
    assert (seen["method"], seen["path"], seen["remote_addr"]) == (
        "PUT",
        "/built",
        "127.0.0.1",
    )
    builder.close()

    environ = EnvironBuilder(None, "/from-environ", query_string="q=1").get_environ()
    echo_client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    seen = seen_by(echo_client.open(environ))
    assert (seen["path"], seen["query"], seen["remote_addr"]) == (
        "/from-environ",
        "q=1",
        "127.0.0.2",
    )


def test_response_object(echo_client: FlaskClient) -> None:
    response = echo_client.get("/?a=1")
    assert isinstance(response, TestResponse)
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "application/json"
    assert response.text == response.data.decode()
    assert response.get_json() == json.loads(response.data)
    assert json.loads(response.data)["path"] == "/"
    assert response.json == response.get_json()
    assert response.history == ()
    assert response.request.method == "GET"
    assert response.request.path == "/"
    assert response.request.args["a"] == "1"


def test_response_without_content_type(asgi: bool) -> None:
    client = make_client(lambda seen: (204, [], b""), asgi)
    response = client.get("/")
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert response.json is None


def test_response_wrapper_from_app(asgi: bool) -> None:
    class AppResponse(Response):
        marker = "app"

    app = asgi_app(echo) if asgi else wsgi_app(echo)
    app.response_class = AppResponse
    response = FlaskClient(app, asgi=asgi).get("/")
    assert isinstance(response, AppResponse)
    assert isinstance(response, TestResponse)
    # One mixed class per response class, reused by later clients.
    assert type(FlaskClient(app, asgi=asgi).get("/")) is type(response)

    class Explicit(Response):
        pass

    response = FlaskClient(app, Explicit, asgi=asgi).get("/")
    assert isinstance(response, Explicit)
    assert not isinstance(response, AppResponse)


def test_response_wrapper_must_be_a_response() -> None:
    with pytest.raises(TypeError, match="must be a Response subclass"):
        FlaskClient(wsgi_app(echo), dict)  # type: ignore[arg-type]


# -- cookies -----------------------------------------------------------------------


def cookie_handler(seen: Seen) -> tuple[int, list[tuple[str, str]], bytes]:
    """Set-Cookie headers from the ``set`` query args; echo the Cookie header."""
    headers = [("Set-Cookie", value) for _, value in parse_qsl(seen["query"])]
    return 200, headers, seen["headers"].get("cookie", "").encode()


@pytest.fixture
def cookie_client(asgi: bool) -> FlaskClient:
    return make_client(cookie_handler, asgi)


def set_cookie(echo_client: FlaskClient, header: str, url: str = "/") -> TestResponse:
    return echo_client.get(url, query_string={"set": header})


def test_cookie_round_trip(cookie_client: FlaskClient) -> None:
    set_cookie(cookie_client, "a=1; Path=/")
    set_cookie(cookie_client, 'b="quoted\\"value"')
    assert cookie_client.get("/").data == b'a=1; b="quoted\\"value"'
    cookie = cookie_client.get_cookie("b")
    assert cookie is not None
    assert (cookie.key, cookie.value) == ("b", '"quoted\\"value"')
    assert (cookie.decoded_key, cookie.decoded_value) == ("b", 'quoted"value')
    assert (cookie.domain, cookie.path, cookie.origin_only) == ("localhost", "/", True)


def test_cookie_attributes(cookie_client: FlaskClient) -> None:
    set_cookie(
        cookie_client,
        "k=v; Max-Age=100; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Secure;"
        " HttpOnly; SameSite=Lax; Path=/",
    )
    cookie = cookie_client.get_cookie("k")
    assert cookie is not None
    assert cookie.max_age == 100
    assert cookie.expires is not None and cookie.expires.year == 2099
    assert (cookie.secure, cookie.http_only, cookie.same_site) == (True, True, "Lax")


@pytest.mark.parametrize(
    "deletion",
    [
        "k=; Max-Age=0",
        "k=; Max-Age=-1",
        "k=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "k=; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
    ],
)
def test_cookie_deleted_by_expiry(cookie_client: FlaskClient, deletion: str) -> None:
    set_cookie(cookie_client, "k=v")
    assert cookie_client.get_cookie("k") is not None
    set_cookie(cookie_client, deletion)
    assert cookie_client.get_cookie("k") is None
    assert cookie_client.get("/").data == b""


def test_max_age_wins_over_expires(cookie_client: FlaskClient) -> None:
    set_cookie(cookie_client, "k=v; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    assert cookie_client.get("/").data == b"k=v"


@pytest.mark.parametrize(
    "header",
    [
        "novalue",
        "=v",
        " ; Path=/",
        "",
        "k=v; Max-Age=soon",  # invalid attribute: ignored, the cookie is kept
        "k=v; Expires=garbage",
    ],
)
def test_malformed_set_cookie(cookie_client: FlaskClient, header: str) -> None:
    set_cookie(cookie_client, header)
    expected = b"k=v" if header.startswith("k=v") else b""
    assert cookie_client.get("/").data == expected


def test_cookie_path_matching(cookie_client: FlaskClient) -> None:
    set_cookie(cookie_client, "k=v; Path=/foo")
    assert cookie_client.get("/foo").data == b"k=v"
    assert cookie_client.get("/foo/bar").data == b"k=v"
    assert cookie_client.get("/foobar").data == b""
    assert cookie_client.get("/").data == b""


def test_cookie_default_path(cookie_client: FlaskClient) -> None:
    set_cookie(cookie_client, "k=v", "/dir/page")
    assert cookie_client.get_cookie("k", path="/dir") is not None
    assert cookie_client.get("/dir/other").data == b"k=v"
    assert cookie_client.get("/other").data == b""


def test_cookie_domain_matching(cookie_client: FlaskClient) -> None:
    base = "http://www.example.com/"
    set_cookie(cookie_client, "host=1", base)
    set_cookie(cookie_client, "dom=2; Domain=.Example.com", base)
    assert cookie_client.get_cookie("host", domain="www.example.com") is not None
    assert cookie_client.get_cookie("dom", domain="example.com") is not None
    assert cookie_client.get("http://www.example.com/").data == b"host=1; dom=2"
    assert cookie_client.get("http://example.com/").data == b"dom=2"
    assert cookie_client.get("http://a.b.example.com/").data == b"dom=2"
    assert cookie_client.get("http://badexample.com/").data == b""
    assert cookie_client.get("http://other.test/").data == b""


def test_secure_cookies_and_http(cookie_client: FlaskClient) -> None:
    set_cookie(cookie_client, "s=1; Secure", "https://localhost/")
    set_cookie(cookie_client, "p=2", "https://localhost/")
    assert cookie_client.get("https://localhost/").data == b"s=1; p=2"
    # Werkzeug's client sends Secure cookies over http too; Flask's tests rely on it.
    assert cookie_client.get("http://localhost/").data == b"s=1; p=2"
    cookie_client.secure_cookies_over_http = False
    assert cookie_client.get("http://localhost/").data == b"p=2"


def test_client_cookie_methods(cookie_client: FlaskClient) -> None:
    cookie_client.set_cookie("a", "1")
    cookie_client.set_cookie("b", "2", domain="example.com", origin_only=False)
    cookie_client.set_cookie("c", "3", path="/only")
    cookie_client.set_cookie("d", "with space")
    assert cookie_client.get("/").data == b'a=1; d="with space"'
    assert cookie_client.get("http://sub.example.com/").data == b"b=2"
    assert cookie_client.get("/only").data == b'a=1; c=3; d="with space"'
    decoded = cookie_client.get_cookie("d")
    assert decoded is not None and decoded.decoded_value == "with space"
    cookie_client.delete_cookie("a")
    cookie_client.delete_cookie("missing")
    cookie_client.set_cookie("d", "", max_age=0)
    assert cookie_client.get("/").data == b""


def test_user_cookie_header_is_kept(cookie_client: FlaskClient) -> None:
    assert cookie_client.get("/", headers={"Cookie": "mine=1"}).data == b"mine=1"
    cookie_client.set_cookie("jar", "2")
    assert cookie_client.get("/", headers={"Cookie": "mine=1"}).data == b"mine=1; jar=2"


def test_cookies_disabled(asgi: bool) -> None:
    client = make_client(cookie_handler, asgi, use_cookies=False)
    set_cookie(client, "k=v")
    assert client.get("/").data == b""
    calls: list[Callable[[], object]] = [
        lambda: client.get_cookie("k"),
        lambda: client.set_cookie("k", "v"),
        lambda: client.delete_cookie("k"),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="Cookies are disabled"):
            call()


# -- redirects ---------------------------------------------------------------------


def redirect_handler(seen: Seen) -> tuple[int, list[tuple[str, str]], bytes]:
    """``/redirect/<code>?to=<location>`` redirects (to itself without ``to``),
    ``/loop/a`` and ``/loop/b`` redirect to each other; anything else echoes."""
    path = seen["path"]
    last = path.rpartition("/")[2]
    if path.startswith("/redirect/") and last.isdigit():
        location = dict(parse_qsl(seen["query"])).get("to", path)
        cookie = f"hop{last}=1; Path=/"
        return int(last), [("Location", location), ("Set-Cookie", cookie)], b"moved"
    if path in ("/loop/a", "/loop/b"):
        return 302, [("Location", "b" if last == "a" else "/loop/a")], b""
    if path == "/no-location":
        return 302, [], b""
    return echo(seen)


@pytest.fixture
def redirect_client(asgi: bool) -> FlaskClient:
    return make_client(redirect_handler, asgi)


@pytest.mark.parametrize(
    ("code", "keeps_request"),
    [(301, False), (302, False), (303, False), (305, False), (307, True), (308, True)],
)
def test_follow_redirect(
    redirect_client: FlaskClient, code: int, keeps_request: bool
) -> None:
    response = redirect_client.post(
        f"/redirect/{code}",
        query_string={"to": "/target?x=1"},
        data={"field": "value"},
        headers={"X-Kept": "yes"},
        follow_redirects=True,
    )
    seen = seen_by(response)
    assert (seen["path"], seen["query"]) == ("/target", "x=1")
    assert seen["headers"]["x-kept"] == "yes"
    # Cookies set by the redirect response are sent to the next request.
    assert seen["headers"]["cookie"] == f"hop{code}=1"
    if keeps_request:
        assert seen["method"] == "POST"
        assert seen["body"] == "field=value"
        assert seen["headers"]["content-type"] == "application/x-www-form-urlencoded"
    else:
        assert seen["method"] == "GET"
        assert seen["body"] == ""
        assert "content-type" not in seen["headers"]
    assert [r.status_code for r in response.history] == [code]
    assert response.history[0].data == b"moved"
    assert response.request.path == "/target"


def test_redirect_not_followed_by_default(redirect_client: FlaskClient) -> None:
    response = redirect_client.get("/redirect/302", query_string={"to": "/t"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/t"
    assert response.history == ()


def test_redirect_keeps_head(redirect_client: FlaskClient) -> None:
    response = redirect_client.head(
        "/redirect/302", query_string={"to": "/t"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert response.request.method == "HEAD"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("http://localhost/abs", "/abs"),
        ("//localhost/scheme-relative", "/scheme-relative"),
        ("relative", "/redirect/relative"),
        ("../up", "/up"),
        ("/%C3%A9t%C3%A9", "/\u00e9t\u00e9"),
    ],
)
def test_redirect_locations(
    redirect_client: FlaskClient, location: str, expected: str
) -> None:
    response = redirect_client.get(
        "/redirect/302", query_string={"to": location}, follow_redirects=True
    )
    assert seen_by(response)["path"] == expected


def test_redirect_chain_history(redirect_client: FlaskClient) -> None:
    second = "/redirect/307?to=/end"
    response = redirect_client.get(
        "/redirect/301", query_string={"to": second}, follow_redirects=True
    )
    assert seen_by(response)["path"] == "/end"
    assert [r.status_code for r in response.history] == [301, 307]
    assert response.history[1].history == (response.history[0],)


def test_redirect_under_script_root(redirect_client: FlaskClient) -> None:
    base = "http://localhost/root/"
    inside = redirect_client.get(
        "/redirect/302", base, query_string={"to": "/root/in"}, follow_redirects=True
    )
    assert (seen_by(inside)["root_path"], seen_by(inside)["path"]) == ("/root", "/in")
    outside = redirect_client.get(
        "/redirect/302", base, query_string={"to": "/out"}, follow_redirects=True
    )
    assert (seen_by(outside)["root_path"], seen_by(outside)["path"]) == ("", "/out")


def test_redirect_to_other_scheme_and_port(redirect_client: FlaskClient) -> None:
    response = redirect_client.get(
        "/redirect/302",
        query_string={"to": "https://localhost:8443/s"},
        follow_redirects=True,
    )
    seen = seen_by(response)
    assert (seen["scheme"], seen["server"], seen["path"]) == (
        "https",
        ["localhost", 8443],
        "/s",
    )


def test_redirect_external_host(redirect_client: FlaskClient) -> None:
    with pytest.raises(RuntimeError, match="external redirects is not supported"):
        redirect_client.get(
            "/redirect/302",
            query_string={"to": "http://example.com/"},
            follow_redirects=True,
        )


def test_redirect_subdomain(asgi: bool) -> None:
    client = make_client(redirect_handler, asgi)
    args = {"query_string": {"to": "http://sub.localhost/x"}, "follow_redirects": True}
    with pytest.raises(RuntimeError, match="subdomain redirects is not enabled"):
        client.get("/redirect/302", **args)
    client = make_client(redirect_handler, asgi, allow_subdomain_redirects=True)
    seen = seen_by(client.get("/redirect/302", **args))
    assert (seen["headers"]["host"], seen["path"]) == ("sub.localhost", "/x")


def test_redirect_loop(redirect_client: FlaskClient) -> None:
    with pytest.raises(
        ClientRedirectError,
        match=r"Loop detected: A 302 redirect to b was already made\.",
    ):
        redirect_client.get("/loop/a", follow_redirects=True)


def test_redirect_self_loop(redirect_client: FlaskClient) -> None:
    with pytest.raises(ClientRedirectError, match="Loop detected"):
        redirect_client.get(
            "/redirect/308",
            query_string={"to": "/redirect/308?to=/redirect/308"},
            follow_redirects=True,
        )


def test_redirect_endless_chain(asgi: bool) -> None:
    def handler(seen: Seen) -> tuple[int, list[tuple[str, str]], bytes]:
        step = int(seen["path"].strip("/") or 0)
        return 302, [("Location", f"/{step + 1}")], b""

    client = make_client(handler, asgi)
    with pytest.raises(ClientRedirectError, match="Too many redirects"):
        client.get("/", follow_redirects=True)


def test_redirect_without_location(redirect_client: FlaskClient) -> None:
    response = redirect_client.get("/no-location", follow_redirects=True)
    assert response.status_code == 302
    assert response.history == ()


def test_redirect_keeps_environ_extras(redirect_client: FlaskClient) -> None:
    response = redirect_client.get(
        "/redirect/302",
        query_string={"to": "/t"},
        environ_overrides={"REMOTE_ADDR": "10.1.1.1", "x.extra": "1"},
        follow_redirects=True,
    )
    seen = seen_by(response)
    assert seen["remote_addr"] == "10.1.1.1"
    assert [k for k in seen["extra"] if k != "wsgi.errors"] == ["x.extra"]


# -- preserving contexts -----------------------------------------------------------


class Recorder:
    """A context manager that logs when it is entered and exited."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    def __enter__(self) -> Recorder:
        self.log.append(f"push {self.name}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.log.append(f"pop {self.name}")


def preserving_app(asgi: bool, log: list[str]) -> t.Any:
    """An app that offers two contexts per request to the preserve callback."""
    counter = iter(range(1, 100))

    def offer(preserve: t.Callable[[t.Any], None] | None) -> bytes:
        number = next(counter)
        log.append(f"request {number}")
        if preserve is None:
            return b"no callback"
        preserve(Recorder(f"app{number}", log))
        preserve(Recorder(f"req{number}", log))
        return b"offered"

    def wsgi(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        body = offer(environ.get(PRESERVE_CONTEXT_KEY))
        start_response("200 OK", [])
        return [body]

    async def asgi_application(
        scope: dict[str, t.Any], receive: t.Any, send: t.Any
    ) -> None:
        body = offer(scope["extensions"]["hipflask.environ"].get(PRESERVE_CONTEXT_KEY))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return asgi_application if asgi else wsgi


def test_preserve_context(asgi: bool) -> None:
    log: list[str] = []
    client = FlaskClient(preserving_app(asgi, log), asgi=asgi)
    assert client.get("/").data == b"no callback"
    assert log == ["request 1"]
    log.clear()

    with client:
        assert client.get("/").data == b"offered"
        assert log == ["request 2", "push app2", "push req2"]
        client.get("/")
        assert log[3:] == [
            "pop req2",
            "pop app2",
            "request 3",
            "push app3",
            "push req3",
        ]
        log.clear()
    assert log == ["pop req3", "pop app3"]
    log.clear()

    # The client can be used in a with block again.
    with client:
        client.get("/")
    assert log == ["request 4", "push app4", "push req4", "pop req4", "pop app4"]


def test_preserve_context_keeps_last_redirect_only(asgi: bool) -> None:
    log: list[str] = []
    app = preserving_app(asgi, log)

    def redirecting(*args: t.Any) -> t.Any:
        scope_or_environ = args[0]
        path = scope_or_environ.get("path") or scope_or_environ.get("PATH_INFO")
        if path != "/first":
            return app(*args)

        async def asgi_redirect(scope: t.Any, receive: t.Any, send: t.Any) -> None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 302,
                    "headers": [(b"location", b"/second")],
                }
            )
            await send({"type": "http.response.body", "body": b""})

        if asgi:
            return asgi_redirect(*args)
        args[1]("302 Found", [("Location", "/second")])
        return [b""]

    client = FlaskClient(redirecting, asgi=asgi)
    with client:
        client.get("/first", follow_redirects=True)
        assert log == ["request 1", "push app1", "push req1"]
    assert log[3:] == ["pop req1", "pop app1"]


def test_nested_with_client(echo_client: FlaskClient) -> None:
    with (
        echo_client,
        pytest.raises(RuntimeError, match="Cannot nest client invocations"),
        echo_client,
    ):
        pass


# -- session_transaction -----------------------------------------------------------


class FakeSessionInterface:
    def __init__(self, null: bool = False, none: bool = False) -> None:
        self.null = null
        self.none = none
        self.saved: list[dict[str, t.Any]] = []

    def open_session(self, app: t.Any, request: t.Any) -> dict[str, t.Any] | None:
        if self.none:
            return None
        cookie = request.environ.get("HTTP_COOKIE", "")
        return {"cookie": cookie}

    def is_null_session(self, session: t.Any) -> bool:
        return self.null

    def save_session(
        self, app: t.Any, session: dict[str, t.Any], response: Response
    ) -> None:
        self.saved.append(dict(session))
        response.set_cookie("session", session.get("value", ""))


class FakeRequestContext:
    def __init__(self, environ: dict[str, t.Any], log: list[str]) -> None:
        self.request = FakeRequest(environ)
        self.log = log

    def __enter__(self) -> FakeRequestContext:
        self.log.append("enter")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.log.append("exit")


class FakeRequest:
    def __init__(self, environ: dict[str, t.Any]) -> None:
        self.environ = environ
        self.host = environ["HTTP_HOST"]
        self.path = environ["PATH_INFO"]


class FakeApp:
    response_class = Response

    def __init__(self, interface: FakeSessionInterface) -> None:
        self.session_interface = interface
        self.log: list[str] = []
        self.calls: list[tuple[t.Any, ...]] = []

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> FakeRequestContext:
        self.calls.append((args, kwargs))
        return FakeRequestContext(
            EnvironBuilder(self, *args, **kwargs).get_environ(), self.log
        )

    def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [])
        return [environ.get("HTTP_COOKIE", "").encode()]


def test_session_transaction() -> None:
    interface = FakeSessionInterface()
    app = FakeApp(interface)
    client = FlaskClient(app)
    client.set_cookie("session", "old")
    with client.session_transaction("/page", headers={"X-A": "1"}) as session:
        assert session == {"cookie": "session=old"}
        session["value"] = "new"
    assert app.calls == [(("/page",), {"headers": {"X-A": "1"}})]
    assert app.log == ["enter", "exit", "enter", "exit"]
    assert interface.saved == [{"cookie": "session=old", "value": "new"}]
    assert client.get("/").data == b"session=new"


def test_session_transaction_null_session() -> None:
    interface = FakeSessionInterface(null=True)
    client = FlaskClient(FakeApp(interface))
    with client.session_transaction() as session:
        session["value"] = "ignored"
    assert interface.saved == []
    assert client.get_cookie("session") is None


def test_session_transaction_errors() -> None:
    client = FlaskClient(FakeApp(FakeSessionInterface(none=True)))
    with (
        pytest.raises(RuntimeError, match="Session backend did not open a session"),
        client.session_transaction(),
    ):
        pass
    client = FlaskClient(FakeApp(FakeSessionInterface()), use_cookies=False)
    with (
        pytest.raises(TypeError, match="Cookies are disabled"),
        client.session_transaction(),
    ):
        pass


# -- protocol drivers --------------------------------------------------------------


def test_wsgi_iterable_closed_and_write_ordered() -> None:
    events: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            events.append("iterate")
            yield b"-iterated"

        def close(self) -> None:
            events.append("close")

    def app(environ: dict[str, t.Any], start_response: t.Any) -> Body:
        write = start_response("201 Created", [("X-A", "1")])
        write(b"written")
        return Body()

    response = FlaskClient(app).get("/")
    assert events == ["iterate", "close"]
    assert (response.status, response.headers["X-A"]) == ("201 Created", "1")
    assert response.data == b"written-iterated"


def test_wsgi_generator_starting_late() -> None:
    def app(environ: dict[str, t.Any], start_response: t.Any) -> Iterator[bytes]:
        yield b""
        start_response("200 OK", [])
        yield b"late"

    assert FlaskClient(app).get("/").data == b"late"


def test_wsgi_closed_when_iteration_fails() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            raise ZeroDivisionError
            yield b""

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, t.Any], start_response: t.Any) -> Body:
        start_response("200 OK", [])
        return Body()

    with pytest.raises(ZeroDivisionError):
        FlaskClient(app).get("/")
    assert closed == [True]


def _no_start(environ: t.Any, start_response: t.Any) -> list[bytes]:
    return [b""]


def _body_before_start(environ: t.Any, start_response: t.Any) -> list[bytes]:
    return [b"body"]


def _yields_str(environ: t.Any, start_response: t.Any) -> list[str]:
    start_response("200 OK", [])
    return ["text"]


def _starts_twice(environ: t.Any, start_response: t.Any) -> list[bytes]:
    start_response("200 OK", [])
    start_response("500 Oops", [])
    return []


def _late_exc_info(environ: t.Any, start_response: t.Any) -> Iterator[bytes]:
    start_response("200 OK", [])
    yield b"sent"
    try:
        raise KeyError("boom")
    except KeyError:
        start_response("500 Oops", [], sys.exc_info())
    yield b"never"


@pytest.mark.parametrize(
    ("app", "error", "message"),
    [
        (_no_start, RuntimeError, "did not call start_response"),
        (
            _body_before_start,
            RuntimeError,
            "sent body data before calling start_response",
        ),
        (_yields_str, TypeError, "must yield bytes, got str"),
        (_starts_twice, RuntimeError, "called twice without exc_info"),
        (_late_exc_info, KeyError, "boom"),
    ],
)
def test_wsgi_protocol_errors(app: t.Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        FlaskClient(app).get("/")


def test_wsgi_exc_info_before_body_replaces_status() -> None:
    def app(environ: t.Any, start_response: t.Any) -> list[bytes]:
        start_response("200 OK", [])
        try:
            raise KeyError("boom")
        except KeyError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b"error page"]

    response = FlaskClient(app).get("/")
    assert (response.status_code, response.data) == (500, b"error page")


def test_asgi_large_body_and_streamed_response() -> None:
    received: list[int] = []
    body = bytes(range(256)) * 1024  # 256 KiB: several http.request messages

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        data = b""
        while True:
            message = await receive()
            received.append(len(message["body"]))
            data += message["body"]
            if not message["more_body"]:
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for start in range(0, len(data), 100_000):
            await send(
                {
                    "type": "http.response.body",
                    "body": data[start : start + 100_000],
                    "more_body": True,
                }
            )
        await send({"type": "http.response.body", "body": b""})
        assert await receive() == {"type": "http.disconnect"}

    response = FlaskClient(app, asgi=True).post("/", data=body)
    assert response.data == body
    assert len(received) == 4 and sum(received) == len(body)


def test_asgi_disconnect_waits_for_response() -> None:
    import asyncio

    async def app(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        await receive()

        async def stream() -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": b"done"})

        task = asyncio.ensure_future(stream())
        # A listener for disconnects gets one only after the response is complete.
        assert await receive() == {"type": "http.disconnect"}
        assert task.done()

    assert FlaskClient(app, asgi=True).get("/").data == b"done"


async def _asgi_no_start(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    return None


async def _asgi_body_first(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    await send({"type": "http.response.body", "body": b"x"})


async def _asgi_start_twice(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    await send({"type": "http.response.start", "status": 200})
    await send({"type": "http.response.start", "status": 200})


async def _asgi_after_complete(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    await send({"type": "http.response.start", "status": 200})
    await send({"type": "http.response.body", "body": b""})
    await send({"type": "http.response.body", "body": b"more"})


async def _asgi_str_body(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    await send({"type": "http.response.start", "status": 200})
    await send({"type": "http.response.body", "body": "text"})


async def _asgi_unknown(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    await send({"type": "websocket.accept"})


async def _asgi_raises(scope: t.Any, receive: t.Any, send: t.Any) -> None:
    raise ZeroDivisionError("app failed")


@pytest.mark.parametrize(
    ("app", "error", "message"),
    [
        (
            _asgi_no_start,
            RuntimeError,
            "returned without sending 'http.response.start'",
        ),
        (_asgi_body_first, RuntimeError, "before 'http.response.start'"),
        (_asgi_start_twice, RuntimeError, "'http.response.start' twice"),
        (_asgi_after_complete, RuntimeError, "after the response was complete"),
        (_asgi_str_body, TypeError, "body must be bytes, got str"),
        (
            _asgi_unknown,
            RuntimeError,
            "Unexpected ASGI message type 'websocket.accept'",
        ),
        (_asgi_raises, ZeroDivisionError, "app failed"),
    ],
)
def test_asgi_protocol_errors(app: t.Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        FlaskClient(app, asgi=True).get("/")


def test_input_stream_closed_with_response(echo_client: FlaskClient) -> None:
    stream = io.BytesIO(b"data")
    response = echo_client.post("/", input_stream=stream)
    assert seen_by(response)["body"] == "data"
    assert not stream.closed
    response.close()
    assert stream.closed


def test_repr() -> None:
    app = wsgi_app(echo)
    assert repr(FlaskClient(app)) == f"<FlaskClient {app!r}>"
