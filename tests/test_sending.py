"""send_file, send_from_directory, safe_join, static files and file streaming."""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys
import typing as t
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import werkzeug.security
import werkzeug.utils

from hipflask import (
    Blueprint,
    Flask,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from hipflask.http.conditional import MAX_BYTE_RANGES, parse_byte_ranges
from hipflask.http.exceptions import NotFound, RequestedRangeNotSatisfiable
from hipflask.http.headers import parse_cache_control_header
from hipflask.sending import CHUNK_SIZE, FileBody, safe_join
from hipflask.testing import EnvironBuilder, FlaskClient, environ_to_asgi

FIXTURES = Path(__file__).parent / "fixtures"
STATIC = FIXTURES / "static"
INDEX = (STATIC / "index.html").read_bytes()
HELLO = (STATIC / "hello.txt").read_bytes()


@pytest.fixture
def app() -> Flask:
    """An application rooted at tests/fixtures (static folder: static/)."""
    app = Flask("sending_app", root_path=str(FIXTURES))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Flask, protocol: str) -> FlaskClient:
    return app.test_client(asgi=protocol == "asgi")


# -- safe_join ----------------------------------------------------------------------

UNSAFE_NAMES = [
    "..",
    "../",
    "../secret.txt",
    "a/../../secret.txt",
    "sub/../../secret.txt",
    "/etc/passwd",
    "//etc/passwd",
    "///etc/passwd",
    "\\etc\\passwd",
    "..\\secret.txt",
    "sub\\..\\..\\secret.txt",
    "a\\b",
    "C:/Windows/win.ini",
    "c:secret.txt",
    "C:\\Windows",
    "\\\\server\\share\\file",
    "//server/share/file",
    "index.html\x00.png",
    "\x00",
    "index.html\n",
    "a\rb",
    "tab\there",
    "del\x7f",
    "CON",
    "con",
    "NUL.txt",
    "nul.tar.gz",
    "a/NUL ",
    "a/NUL .txt",
    "sub/COM1",
    "LPT1.txt",
    "AUX:",
    "PRN.",
    "CONIN$",
    "conout$.log",
    "COM¹",
    "lpt³.txt",
    "NUL:stream",
]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_safe_join_refuses(name: str) -> None:
    assert safe_join("/srv/static", name) is None
    assert safe_join("/srv/static", "ok", name) is None


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("index.html",), "/srv/static/index.html"),
        (("sub/style.css",), "/srv/static/sub/style.css"),
        (("a", "b.txt"), "/srv/static/a/b.txt"),
        (("a//b/./c",), "/srv/static/a/b/c"),
        (("a/b/../c",), "/srv/static/a/c"),
        (("",), "/srv/static"),
        ((), "/srv/static"),
        (("...",), "/srv/static/..."),
        (("..foo",), "/srv/static/..foo"),
        (("file:stream",), "/srv/static/file:stream"),
        (("CONSOLE.txt",), "/srv/static/CONSOLE.txt"),
        (("nullable",), "/srv/static/nullable"),
        (("COM0",), "/srv/static/COM0"),
        (("é.txt",), "/srv/static/é.txt"),
    ],
)
def test_safe_join_allows(parts: tuple[str, ...], expected: str) -> None:
    assert safe_join("/srv/static", *parts) == expected
    # Werkzeug (on POSIX) agrees on every name we allow.
    assert werkzeug.security.safe_join("/srv/static", *parts) == expected


def test_safe_join_empty_directory() -> None:
    assert safe_join("", "a.txt") == "./a.txt"
    assert safe_join("", "../a.txt") is None


@pytest.mark.parametrize(
    "name", [n for n in UNSAFE_NAMES if werkzeug.security.safe_join("/d", n) is None]
)
def test_werkzeug_refuses_a_subset(name: str) -> None:
    # Everything Werkzeug refuses on this platform, we refuse too.
    assert safe_join("/d", name) is None


# -- the Range parser -------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "length", "expected"),
    [
        ("bytes=0-4", 10, [(0, 5)]),
        ("bytes=5-", 10, [(5, 10)]),
        ("bytes=-3", 10, [(7, 10)]),
        ("bytes=-30", 10, [(0, 10)]),
        ("bytes=8-100", 10, [(8, 10)]),
        ("bytes=0-0", 10, [(0, 1)]),
        ("bytes=0-1,4-5", 10, [(0, 2), (4, 6)]),
        ("bytes=4-5,0-1", 10, [(0, 2), (4, 6)]),
        ("bytes=0-4,2-6", 10, [(0, 7)]),
        ("bytes=0-1,2-3", 10, [(0, 4)]),
        ("bytes=0-,0-,0-", 10, [(0, 10)]),
        ("bytes=0-1,-2", 10, [(0, 2), (8, 10)]),
        ("bytes=0-1, 20-30", 10, [(0, 2)]),
        (" Bytes = 1-2 , 5-6 ", 10, [(1, 3), (5, 7)]),
        ("bytes=0-1,,4-5,", 10, [(0, 2), (4, 6)]),
        ("bytes=0-99999999999999999999999", 10, [(0, 10)]),
        ("bytes=20-30", 10, []),
        ("bytes=-0", 10, []),
        ("bytes=10-", 10, []),
        ("bytes=99999999999999999999999-", 10, []),
        ("bytes=0-1", 0, []),
    ],
)
def test_parse_byte_ranges(
    header: str, length: int, expected: list[tuple[int, int]]
) -> None:
    assert parse_byte_ranges(header, length) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "lines=0-1",
        "bytes=a-b",
        "bytes=1",
        "bytes=5-2",
        "bytes=--1",
        "bytes=1-2-3",
        "bytes=0x1-2",
        "bytes=+1-2",
        "bytes=１-2",
        "bytes=-",
        "bytes=" + ",".join(["0-0"] * (MAX_BYTE_RANGES + 1)),
        "bytes=" + "," * 10_000,
    ],
)
def test_parse_byte_ranges_invalid(header: str) -> None:
    assert parse_byte_ranges(header, 100) is None


def test_parse_byte_ranges_is_linear() -> None:
    # A huge header is refused on the comma count, before any splitting.
    assert parse_byte_ranges("bytes=" + "0-1," * 1_000_000, 10) is None
    assert parse_byte_ranges("bytes=0-" + "9" * 1_000_000, 10) == [(0, 10)]


# -- send_file ----------------------------------------------------------------------


def test_send_file_path(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return send_file("static/index.html")

    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.data == INDEX
    info = os.stat(STATIC / "index.html")
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len(INDEX))
    assert rv.headers["Content-Disposition"] == "inline; filename=index.html"
    assert rv.headers["Cache-Control"] == "no-cache"
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert rv.last_modified == datetime.fromtimestamp(int(info.st_mtime), timezone.utc)
    assert rv.headers["ETag"].startswith(f'"{info.st_mtime}-{len(INDEX)}-')
    assert "Expires" not in rv.headers


def test_send_file_head(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: send_file("static/index.html"))
    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == str(len(INDEX))


def test_send_file_response_object(app: Flask) -> None:
    with app.test_request_context():
        rv = send_file("static/index.html")
        assert rv.direct_passthrough
        assert rv.mimetype == "text/html"
        body = rv.response
        assert isinstance(body, FileBody)
        assert body.path == str(STATIC / "index.html")
        assert body.offset is None
        assert body.length == len(INDEX)
        rv.direct_passthrough = False
        assert rv.get_data() == INDEX
        rv.close()
        assert body.file.closed


def test_send_file_pathlike_and_absolute(app: Flask) -> None:
    with app.test_request_context():
        for path in (Path("static/hello.txt"), str(STATIC / "hello.txt")):
            rv = send_file(path)
            rv.direct_passthrough = False
            assert rv.get_data() == HELLO
            rv.close()


def test_send_file_missing_path_raises(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(FileNotFoundError):
        send_file("static/missing.txt")


def test_send_file_outside_a_request(app: Flask) -> None:
    with app.app_context():
        rv = send_file("static/hello.txt")
        assert rv.status_code == 200
        assert "Accept-Ranges" not in rv.headers  # nothing to be conditional on
        rv.close()


def test_send_file_bytesio(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        buffer = io.BytesIO(b"xxhello world")
        buffer.seek(2)  # the data starts where the file object is
        return send_file(buffer, mimetype="text/plain")

    rv = client.get("/")
    assert rv.data == b"hello world"
    assert rv.headers["Content-Length"] == "11"
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in rv.headers
    assert "ETag" not in rv.headers
    rv = client.get("/", headers={"Range": "bytes=6-"})
    assert rv.status_code == 206
    assert rv.data == b"world"
    assert rv.headers["Content-Range"] == "bytes 6-10/11"


def test_send_file_unsized_stream(app: Flask, client: FlaskClient) -> None:
    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.left = [b"abc", b"def"]

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.left.pop(0) if self.left else b""

    @app.route("/")
    def index() -> t.Any:
        return send_file(t.cast(t.IO[bytes], Stream()), download_name="data.bin")

    rv = client.get("/", headers={"Range": "bytes=0-1"})
    assert rv.status_code == 200  # no length known, so no ranges
    assert rv.data == b"abcdef"
    assert "Content-Length" not in rv.headers
    assert rv.headers["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, TypeError, "Unable to detect the MIME type"),
        ({"as_attachment": True, "mimetype": "a/b"}, TypeError, "No name provided"),
        (
            {"download_name": "a\nb", "mimetype": "a/b"},
            ValueError,
            "must not contain newline",
        ),
        ({"etag": 'a"b', "mimetype": "a/b"}, ValueError, "entity tag"),
    ],
)
def test_send_file_bad_arguments(
    app: Flask, kwargs: dict[str, t.Any], error: type[Exception], message: str
) -> None:
    with app.test_request_context(), pytest.raises(error, match=message):
        send_file(io.BytesIO(b"x"), **kwargs)


def test_send_file_text_file_refused(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(ValueError, match="binary mode"):
        send_file(t.cast(t.IO[bytes], io.StringIO("x")), mimetype="text/plain")


@pytest.mark.parametrize(
    ("name", "as_attachment", "mimetype", "encoding"),
    [
        ("page.html", False, "text/html; charset=utf-8", None),
        ("data.json", False, "application/json", None),
        ("style.css", False, "text/css; charset=utf-8", None),
        ("unknown.zzz", False, "application/octet-stream", None),
        ("noextension", False, "application/octet-stream", None),
        ("archive.tar.gz", False, "application/x-tar", "gzip"),
        ("archive.tar.gz", True, "application/x-tar", None),
    ],
)
def test_mimetype_guessing(
    app: Flask,
    name: str,
    as_attachment: bool,
    mimetype: str,
    encoding: str | None,
) -> None:
    with app.test_request_context():
        rv = send_file(
            io.BytesIO(b"x"), download_name=name, as_attachment=as_attachment
        )
    assert rv.headers["Content-Type"] == mimetype
    assert rv.headers.get("Content-Encoding") == encoding


@pytest.mark.parametrize(
    ("name", "as_attachment", "expected"),
    [
        ("index.html", False, "inline; filename=index.html"),
        ("index.html", True, "attachment; filename=index.html"),
        ("two words.txt", True, 'attachment; filename="two words.txt"'),
        ('quo"te.txt', True, 'attachment; filename="quo\\"te.txt"'),
        (
            "Ñandú／pingüino.txt",
            True,
            'attachment; filename="Nandu/pinguino.txt";'
            " filename*=UTF-8''%C3%91and%C3%BA%EF%BC%8Fping%C3%BCino.txt",
        ),
        (
            "日本.txt",
            False,
            "inline; filename=.txt; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
        ),
        (
            "a b%c.txt",
            False,
            'inline; filename="a b%c.txt"',
        ),
    ],
)
def test_content_disposition(
    app: Flask, name: str, as_attachment: bool, expected: str
) -> None:
    with app.test_request_context():
        rv = send_file(
            io.BytesIO(b"x"), download_name=name, as_attachment=as_attachment
        )
    assert rv.headers["Content-Disposition"] == expected
    # The same value as Werkzeug's send_file.
    theirs = werkzeug.utils.send_file(
        io.BytesIO(b"x"),
        {"REQUEST_METHOD": "GET"},
        download_name=name,
        as_attachment=as_attachment,
    )
    assert theirs.headers["Content-Disposition"] == expected


def test_cache_headers(app: Flask) -> None:
    with app.test_request_context():
        rv = send_file("static/hello.txt", max_age=60)
        assert rv.headers["Cache-Control"] == "public, max-age=60"
        expires = rv.expires
        assert expires is not None
        now = datetime.now(timezone.utc)
        assert now < expires <= now + timedelta(seconds=61)
        rv.close()
        rv = send_file("static/hello.txt", max_age=0)
        assert rv.headers["Cache-Control"] == "no-cache, max-age=0"
        rv.close()
        seen: list[str | None] = []

        def max_age(path: str | None) -> int:
            seen.append(path)
            return 7

        rv = send_file("static/hello.txt", max_age=max_age)
        assert rv.cache_control.max_age == 7
        assert seen == [str(STATIC / "hello.txt")]
        rv.close()


def test_send_file_max_age_default(app: Flask) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(hours=1)
    with app.test_request_context():
        rv = send_file("static/hello.txt")
        assert rv.cache_control.max_age == 3600
        assert rv.cache_control.public
        rv.close()


def test_etag_and_last_modified_options(app: Flask) -> None:
    with app.test_request_context():
        rv = send_file("static/hello.txt", etag=False)
        assert "ETag" not in rv.headers
        rv.close()
        rv = send_file("static/hello.txt", etag="custom")
        assert rv.headers["ETag"] == '"custom"'
        rv.close()
        moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        for value in (moment, moment.timestamp(), int(moment.timestamp())):
            rv = send_file("static/hello.txt", last_modified=value)
            assert rv.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
            rv.close()


def test_x_sendfile(app: Flask, client: FlaskClient) -> None:
    app.config["USE_X_SENDFILE"] = True
    app.route("/")(lambda: send_file("static/hello.txt"))
    rv = client.get("/")
    assert rv.headers["X-Sendfile"] == str(STATIC / "hello.txt")
    assert rv.headers["Content-Length"] == str(len(HELLO))
    etag = rv.headers["ETag"]
    rv = client.get("/", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert "X-Sendfile" not in rv.headers


# -- conditional and partial responses ------------------------------------------------

LAST_MODIFIED_OLD = "Wed, 21 Oct 2015 07:28:00 GMT"
FUTURE = "Wed, 21 Oct 2099 07:28:00 GMT"


@pytest.fixture
def file_client(app: Flask, client: FlaskClient) -> FlaskClient:
    app.route("/file")(lambda: send_file("static/hello.txt"))
    return client


def test_if_none_match_gives_304(file_client: FlaskClient) -> None:
    etag = file_client.get("/file").headers["ETag"]
    for value in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        rv = file_client.get("/file", headers={"If-None-Match": value})
        assert rv.status_code == 304, value
        assert rv.data == b""
        assert "Content-Length" not in rv.headers
    rv = file_client.get("/file", headers={"If-None-Match": '"other"'})
    assert rv.status_code == 200
    assert rv.data == HELLO


def test_if_modified_since(file_client: FlaskClient) -> None:
    last_modified = file_client.get("/file").headers["Last-Modified"]
    for value, status in [
        (last_modified, 304),
        (FUTURE, 304),
        (LAST_MODIFIED_OLD, 200),
    ]:
        rv = file_client.get("/file", headers={"If-Modified-Since": value})
        assert rv.status_code == status, value


def test_preconditions_give_412(file_client: FlaskClient) -> None:
    etag = file_client.get("/file").headers["ETag"]
    cases = [
        ({"If-Match": '"other"'}, 412),
        ({"If-Match": f"W/{etag}"}, 412),
        ({"If-Match": etag}, 200),
        ({"If-Match": "*"}, 200),
        ({"If-Unmodified-Since": LAST_MODIFIED_OLD}, 412),
        ({"If-Unmodified-Since": FUTURE}, 200),
    ]
    for headers, status in cases:
        rv = file_client.get("/file", headers=headers)
        assert rv.status_code == status, headers
        if status == 412:
            assert rv.data == b""
            assert rv.headers["Content-Length"] == "0"


def test_single_range(file_client: FlaskClient) -> None:
    rv = file_client.get("/file", headers={"Range": "bytes=0-4"})
    assert rv.status_code == 206
    assert rv.data == HELLO[:5]
    assert rv.headers["Content-Range"] == f"bytes 0-4/{len(HELLO)}"
    assert rv.headers["Content-Length"] == "5"
    rv = file_client.get("/file", headers={"Range": "bytes=-5"})
    assert rv.data == HELLO[-5:]
    # Overlapping ranges merge into one.
    rv = file_client.get("/file", headers={"Range": "bytes=0-3,2-5,1-1"})
    assert rv.status_code == 206
    assert rv.data == HELLO[:6]
    assert "multipart" not in rv.headers["Content-Type"]


def test_range_head(file_client: FlaskClient) -> None:
    rv = file_client.head("/file", headers={"Range": "bytes=1-3"})
    assert rv.status_code == 206
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "3"


def parse_multipart(rv: t.Any) -> list[tuple[dict[str, str], bytes]]:
    match = re.fullmatch(
        r"multipart/byteranges; boundary=(\w+)", rv.headers["Content-Type"]
    )
    assert match is not None
    boundary = match.group(1).encode()
    body = rv.data
    assert body.startswith(b"--" + boundary + b"\r\n")
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    assert len(body) == int(rv.headers["Content-Length"])
    inner = body[len(boundary) + 4 : -(len(boundary) + 8)]
    parts = []
    for raw in inner.split(b"\r\n--" + boundary + b"\r\n"):
        head, _, data = raw.partition(b"\r\n\r\n")
        headers = dict(
            line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")
        )
        parts.append((headers, data))
    return parts


def test_multiple_ranges(file_client: FlaskClient) -> None:
    rv = file_client.get("/file", headers={"Range": "bytes=7-,0-1,3-4"})
    assert rv.status_code == 206
    assert "Content-Range" not in rv.headers
    parts = parse_multipart(rv)
    size = len(HELLO)
    assert parts == [
        (
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Range": f"bytes 0-1/{size}",
            },
            HELLO[0:2],
        ),
        (
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Range": f"bytes 3-4/{size}",
            },
            HELLO[3:5],
        ),
        (
            {
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Range": f"bytes 7-{size - 1}/{size}",
            },
            HELLO[7:],
        ),
    ]


def test_multiple_ranges_in_memory_and_streamed(
    app: Flask, client: FlaskClient
) -> None:
    data = bytes(range(256)) * 4

    @app.route("/memory")
    def memory() -> t.Any:
        return send_file(io.BytesIO(data), mimetype="application/x-data")

    rv = client.get("/memory", headers={"Range": "bytes=1000-1010,0-9, 500-599"})
    parts = parse_multipart(rv)
    assert [p[1] for p in parts] == [data[0:10], data[500:600], data[1000:1011]]
    assert parts[0][0]["Content-Type"] == "application/x-data"


@pytest.mark.parametrize(
    "value",
    [
        "bytes=100-200",
        "bytes=-0",
        "bytes=abc",
        "bytes=5-2",
        "lines=0-1",
        "bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_BYTE_RANGES + 1)),
    ],
)
def test_unsatisfiable_range(file_client: FlaskClient, value: str) -> None:
    rv = file_client.get("/file", headers={"Range": value})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{len(HELLO)}"


def test_many_ranges_up_to_the_cap(file_client: FlaskClient) -> None:
    value = "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 2 * MAX_BYTE_RANGES, 2))
    rv = file_client.get("/file", headers={"Range": value})
    assert rv.status_code == 206
    assert [p[1] for p in parse_multipart(rv)] == [
        HELLO[i : i + 1] for i in range(0, len(HELLO), 2)
    ]


def test_if_range(file_client: FlaskClient) -> None:
    full = file_client.get("/file")
    etag = full.headers["ETag"]
    cases = [
        (etag, 206),
        ('"stale"', 200),
        (full.headers["Last-Modified"], 206),
        (LAST_MODIFIED_OLD, 200),
    ]
    for value, status in cases:
        rv = file_client.get("/file", headers={"Range": "bytes=0-1", "If-Range": value})
        assert rv.status_code == status, value


def test_conditional_off(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: send_file("static/hello.txt", conditional=False))
    rv = client.get("/", headers={"Range": "bytes=0-1", "If-None-Match": "*"})
    assert rv.status_code == 200
    assert rv.data == HELLO
    assert "Accept-Ranges" not in rv.headers


def test_range_on_werkzeug_compatible_request(app: Flask) -> None:
    # make_conditional's own (Werkzeug-compatible) parser is untouched.
    with app.test_request_context(headers={"Range": "bytes=0-1, 4-5"}):
        rv = send_file("static/hello.txt")
        assert rv.status_code == 206
        rv.close()
        response = app.response_class(b"0123456789")
        with pytest.raises(RequestedRangeNotSatisfiable):
            response.make_conditional(request, accept_ranges=True, complete_length=10)


# -- send_from_directory: untrusted paths ----------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/{static/..., secret.txt} and outside.txt, with symlinks and a FIFO."""
    root = tmp_path / "root"
    static = root / "static"
    (static / "sub").mkdir(parents=True)
    (static / "index.html").write_bytes(INDEX)
    (static / "sub" / "style.css").write_text("css")
    (root / "secret.txt").write_text("secret")
    (tmp_path / "outside.txt").write_text("outside")
    # Windows device names exist here as plain files, and are still refused.
    for name in ("CON", "NUL.txt", "NUL ", "aux.html"):
        (static / name).write_text("device")
    links = {
        "link_in.txt": "index.html",
        "link_abs_in.txt": str(static / "index.html"),
        "sub_link": "sub",
        "updown.txt": "sub/../index.html",
        "chain_in.txt": "link_in.txt",
        "link_out.txt": "../secret.txt",
        "link_far.txt": "../../outside.txt",
        "link_abs_out.txt": str(tmp_path / "outside.txt"),
        "link_etc": "/etc/passwd",
        "dir_out": "..",
        "chain_out.txt": "link_out.txt",
        "dotdot_out.txt": "sub/../../secret.txt",
        "loop": "loop",
        "loop_a": "loop_b",
        "loop_b": "loop_a",
        "dangling": "nowhere.txt",
    }
    for name, target in links.items():
        os.symlink(target, static / name)
    os.symlink(str(static), root / "static_link")
    os.mkfifo(static / "pipe")
    return root


@pytest.fixture
def tree_app(tree: Path) -> Flask:
    app = Flask("tree_app", root_path=str(tree))
    app.config["TESTING"] = True
    return app


class FileSystemSpy:
    """Records every path that os.lstat/stat/open/readlink are asked about."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        for name in ("lstat", "stat", "open", "readlink"):
            original = getattr(os, name)
            monkeypatch.setattr(os, name, self._wrap(original))

    def _wrap(self, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        def spy(path: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
            if isinstance(path, (str, bytes, os.PathLike)):
                self.paths.append(os.fsdecode(path))
            return original(path, *args, **kwargs)

        return spy


TRAVERSALS = [
    *UNSAFE_NAMES,
    "",
    ".",
    "sub",
    "sub/..",
    "missing.txt",
    "sub/missing.css",
    "index.html/x",
    "link_out.txt",
    "link_far.txt",
    "link_abs_out.txt",
    "link_etc",
    "dir_out/secret.txt",
    "dir_out/static/index.html",
    "chain_out.txt",
    "dotdot_out.txt",
    "loop",
    "loop_a",
    "dangling",
    "pipe",
    "aux.html",
    "NUL ",
    "x" * 5000,
    "/".join(["sub"] * 2000),
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_send_from_directory_refuses(
    tree_app: Flask, tree: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    static = str(tree / "static")
    with tree_app.test_request_context():
        spy = FileSystemSpy(monkeypatch)
        with pytest.raises(NotFound):
            send_from_directory("static", name)
        monkeypatch.undo()
    # Nothing outside the directory was looked at, let alone opened (resolving
    # the trusted directory's own real path may look at its parents).
    parents = {str(p) for p in Path(static).parents}
    for path in spy.paths:
        assert os.path.commonpath([static, path]) == static or path in parents, path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("index.html", INDEX),
        ("sub/style.css", b"css"),
        ("sub/../index.html", INDEX),
        ("link_in.txt", INDEX),
        ("link_abs_in.txt", INDEX),
        ("sub_link/style.css", b"css"),
        ("updown.txt", INDEX),
        ("chain_in.txt", INDEX),
        ("./index.html", INDEX),
        ("sub//style.css", b"css"),
        ("index.html/", INDEX),  # normalised away, as Werkzeug does
    ],
)
def test_send_from_directory_serves(
    tree_app: Flask, name: str, expected: bytes
) -> None:
    with tree_app.test_request_context():
        rv = send_from_directory("static", name)
        rv.direct_passthrough = False
        assert rv.get_data() == expected
        rv.close()


def test_send_from_directory_through_a_linked_directory(tree_app: Flask) -> None:
    # The trusted directory may itself be a symlink.
    with tree_app.test_request_context():
        rv = send_from_directory("static_link", "index.html")
        rv.direct_passthrough = False
        assert rv.get_data() == INDEX
        rv.close()


def test_send_from_directory_passes_options(tree_app: Flask) -> None:
    with tree_app.test_request_context():
        rv = send_from_directory(
            "static", "index.html", as_attachment=True, download_name="x.txt"
        )
        assert rv.headers["Content-Disposition"] == "attachment; filename=x.txt"
        assert rv.mimetype == "text/plain"
        rv.close()
        with pytest.raises(TypeError):
            send_from_directory("static", "index.html", bogus=1)


def test_send_from_directory_closes_on_error(
    tree_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[t.IO[bytes]] = []
    real_open = open

    def tracking_open(*args: t.Any, **kwargs: t.Any) -> t.Any:
        f = real_open(*args, **kwargs)
        opened.append(f)
        return f

    monkeypatch.setattr("builtins.open", tracking_open)
    with tree_app.test_request_context(), pytest.raises(TypeError):
        send_from_directory("static", "index.html", bogus=1)
    assert opened
    assert all(f.closed for f in opened)


HTTP_TRAVERSALS = [
    "/static/..%2fsecret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2e%2e%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/%5c%5cserver%5cshare",
    "/static/%2fetc%2fpasswd",
    "/static/C:%5cwindows",
    "/static/CON",
    "/static/NUL.txt",
    "/static/NUL%20",
    "/static/aux.html",
    "/static/index.html%00",
    "/static/index.html%0a",
    "/static/link_out.txt",
    "/static/link_abs_out.txt",
    "/static/dir_out/secret.txt",
    "/static/loop",
    "/static/pipe",
    "/static/sub",
    "/static/missing.txt",
]


@pytest.mark.parametrize("url", HTTP_TRAVERSALS)
def test_static_route_refuses(tree_app: Flask, protocol: str, url: str) -> None:
    client = tree_app.test_client(asgi=protocol == "asgi")
    # (Routing redirects "//" to "/" first; the target is a 404 as well.)
    rv = client.get(url, follow_redirects=True)
    assert rv.status_code == 404
    assert b"secret" not in rv.data and b"outside" not in rv.data


# -- static files -------------------------------------------------------------------


def test_static_route(app: Flask, client: FlaskClient) -> None:
    rv = client.get("/static/index.html")
    assert rv.status_code == 200
    assert rv.data == INDEX
    rv = client.get("/static/sub/style.css")
    assert rv.headers["Content-Type"] == "text/css; charset=utf-8"
    with app.test_request_context():
        assert url_for("static", filename="sub/style.css") == "/static/sub/style.css"


def test_static_url_path_and_folder(tmp_path: Path, protocol: str) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.txt").write_text("A")
    app = Flask(
        "x", root_path=str(tmp_path), static_folder="assets/", static_url_path="/s/"
    )
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/s/a.txt").data == b"A"
    assert client.get("/assets/a.txt").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="a.txt") == "/s/a.txt"
    app = Flask("x", root_path=str(tmp_path), static_folder=Path("assets"))
    assert app.static_url_path == "/assets"
    assert app.test_client(asgi=protocol == "asgi").get("/assets/a.txt").data == b"A"


def test_no_static_folder() -> None:
    app = Flask("x", root_path=str(FIXTURES), static_folder=None)
    assert "static" not in app.view_functions
    with app.test_request_context(), pytest.raises(RuntimeError, match="static_folder"):
        app.send_static_file("index.html")


def test_static_host(protocol: str) -> None:
    app = Flask(
        "x", root_path=str(FIXTURES), host_matching=True, static_host="cdn.test"
    )
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("http://cdn.test/static/hello.txt").data == HELLO
    assert client.get("http://other.test/static/hello.txt").status_code == 404
    with app.test_request_context():
        assert (
            url_for("static", filename="hello.txt", _external=True)
            == "http://cdn.test/static/hello.txt"
        )
    with pytest.raises(AssertionError, match="static_host"):
        Flask("x", root_path=str(FIXTURES), static_host="cdn.test")
    with pytest.raises(AssertionError, match="static_host"):
        Flask("x", root_path=str(FIXTURES), host_matching=True)
    Flask("x", root_path=str(FIXTURES), host_matching=True, static_folder=None)


def test_blueprint_static(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint(
        "bp",
        __name__,
        root_path=str(FIXTURES / "bp_one"),
        static_folder="static",
        url_prefix="/bp",
    )
    app.register_blueprint(bp)
    rv = client.get("/bp/static/bp.txt")
    assert rv.data == b"blueprint static\n"
    assert rv.headers["Cache-Control"] == "no-cache"
    assert client.get("/bp/static/../static/index.html").status_code == 404
    with app.test_request_context():
        assert url_for("bp.static", filename="bp.txt") == "/bp/static/bp.txt"
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 300
    assert client.get("/bp/static/bp.txt").headers["Cache-Control"] == (
        "public, max-age=300"
    )


def test_get_send_file_max_age_overrides(protocol: str) -> None:
    class MyApp(Flask):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 10

    class MyBlueprint(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 20

    app = MyApp("x", root_path=str(FIXTURES))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 99
    bp = MyBlueprint(
        "bp", __name__, root_path=str(FIXTURES / "bp_one"), static_folder="static"
    )
    app.register_blueprint(bp, url_prefix="/bp")
    client = app.test_client(asgi=protocol == "asgi")

    def max_age(url: str) -> int | None:
        return parse_cache_control_header(
            client.get(url).headers["Cache-Control"]
        ).max_age

    assert max_age("/static/hello.txt") == 10
    assert max_age("/bp/static/bp.txt") == 20


def test_static_conditional_and_range(app: Flask, client: FlaskClient) -> None:
    rv = client.get("/static/hello.txt")
    rv = client.get("/static/hello.txt", headers={"If-None-Match": rv.headers["ETag"]})
    assert rv.status_code == 304
    rv = client.get("/static/hello.txt", headers={"Range": "bytes=0-4,7-8"})
    assert [p[1] for p in parse_multipart(rv)] == [HELLO[0:5], HELLO[7:9]]


# -- streaming through the adapters ----------------------------------------------------


def wsgi_call(app: Flask, path: str, **environ: t.Any) -> tuple[str, t.Any]:
    builder = EnvironBuilder(app, path, headers=environ.pop("headers", None))
    env = builder.get_environ()
    env.update(environ)
    started: list[str] = []
    body = app(env, lambda status, headers, exc_info=None: started.append(status))
    return started[0], body


class Wrapper:
    """A stand-in for a server's wsgi.file_wrapper."""

    def __init__(self, file: t.IO[bytes], block_size: int) -> None:
        self.file = file
        self.block_size = block_size

    def __iter__(self) -> t.Iterator[bytes]:
        return iter(lambda: self.file.read(self.block_size), b"")

    def close(self) -> None:
        self.file.close()


def test_wsgi_file_wrapper_for_whole_files(app: Flask) -> None:
    status, body = wsgi_call(app, "/static/hello.txt", **{"wsgi.file_wrapper": Wrapper})
    assert status == "200 OK"
    assert isinstance(body, Wrapper)
    assert body.block_size == CHUNK_SIZE
    assert b"".join(body) == HELLO
    body.close()
    assert body.file.closed


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Range": "bytes=1-3"}, HELLO[1:4]), ({"If-None-Match": "*"}, b"")],
)
def test_wsgi_file_wrapper_not_for_parts(
    app: Flask, headers: dict[str, str], expected: bytes
) -> None:
    _status, body = wsgi_call(
        app, "/static/hello.txt", headers=headers, **{"wsgi.file_wrapper": Wrapper}
    )
    assert not isinstance(body, Wrapper)
    assert b"".join(body) == expected
    getattr(body, "close", lambda: None)()


def test_wsgi_without_file_wrapper_streams_chunks(app: Flask, tmp_path: Path) -> None:
    data = os.urandom(CHUNK_SIZE * 2 + 10)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "big.bin").write_bytes(data)
    app = Flask("x", root_path=str(tmp_path))
    _status, body = wsgi_call(app, "/static/big.bin")
    chunks = list(body)
    body.close()
    assert [len(c) for c in chunks] == [CHUNK_SIZE, CHUNK_SIZE, 10]
    assert b"".join(chunks) == data


def asgi_call(
    app: Flask,
    path: str,
    extensions: dict[str, t.Any] | None = None,
    headers: dict[str, str] | None = None,
) -> list[dict[str, t.Any]]:
    environ = EnvironBuilder(app, path, headers=headers).get_environ()
    scope, _ = environ_to_asgi(environ)
    scope["extensions"].update(extensions or {})
    messages: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    return messages


def test_asgi_pathsend(app: Flask) -> None:
    messages = asgi_call(app, "/static/hello.txt", {"http.response.pathsend": {}})
    assert [m["type"] for m in messages] == [
        "http.response.start",
        "http.response.pathsend",
    ]
    assert messages[1]["path"] == str(STATIC / "hello.txt")
    assert os.path.isabs(messages[1]["path"])
    headers = dict(messages[0]["headers"])
    assert headers[b"content-length"] == str(len(HELLO)).encode()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Range": "bytes=1-3"}, HELLO[1:4]),
        ({"If-None-Match": "*"}, b""),
    ],
)
def test_asgi_pathsend_not_for_parts(
    app: Flask, headers: dict[str, str], expected: bytes
) -> None:
    extensions: dict[str, t.Any] = {"http.response.pathsend": {}}
    messages = asgi_call(app, "/static/hello.txt", extensions, headers)
    assert messages[0]["type"] == "http.response.start"
    assert {m["type"] for m in messages[1:]} == {"http.response.body"}
    assert b"".join(m["body"] for m in messages[1:]) == expected


def test_asgi_streams_chunks(tmp_path: Path) -> None:
    data = os.urandom(CHUNK_SIZE + 5)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "big.bin").write_bytes(data)
    app = Flask("x", root_path=str(tmp_path))
    messages = asgi_call(app, "/static/big.bin")
    bodies = [m["body"] for m in messages[1:]]
    assert [len(b) for b in bodies] == [CHUNK_SIZE, 5, 0]
    assert b"".join(bodies) == data


@pytest.mark.parametrize(
    ("method", "headers", "status"),
    [
        ("GET", {}, 200),
        ("HEAD", {}, 200),
        ("GET", {"If-None-Match": "*"}, 304),
        ("GET", {"If-Match": '"x"'}, 412),
        ("GET", {"Range": "bytes=1-2"}, 206),
        ("HEAD", {"Range": "bytes=1-2"}, 206),
        ("GET", {"Range": "bytes=0-1,3-4"}, 206),
        ("GET", {"Range": "bytes=50-60"}, 416),
    ],
)
def test_file_closed_after_response(
    app: Flask,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    headers: dict[str, str],
    status: int,
) -> None:
    opened: list[t.IO[bytes]] = []
    real_open = open

    def tracking_open(*args: t.Any, **kwargs: t.Any) -> t.Any:
        f = real_open(*args, **kwargs)
        opened.append(f)
        return f

    app.route("/", methods=["GET"])(lambda: send_file("static/hello.txt"))
    monkeypatch.setattr("builtins.open", tracking_open)
    rv = client.open("/", method=method, headers=headers)
    monkeypatch.undo()
    assert rv.status_code == status
    assert len(opened) == 1
    assert opened[0].closed


# -- memory: a 100 MB file never sits in memory ----------------------------------------

MEMORY_SCRIPT = r"""
import asyncio, os, sys
from hipflask import Flask
from hipflask.testing import EnvironBuilder, environ_to_asgi

root, protocol = sys.argv[1], sys.argv[2]
app = Flask("memory", root_path=root)

def peak_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

def via_wsgi(path):
    env = EnvironBuilder(app, path).get_environ()
    body = app(env, lambda *a: None)
    size = sum(len(chunk) for chunk in body)
    body.close()
    return size

def via_asgi(path):
    scope, _ = environ_to_asgi(EnvironBuilder(app, path).get_environ())
    size = 0
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        nonlocal size
        size += len(message.get("body", b""))
    asyncio.run(app(scope, receive, send))
    return size

serve = via_wsgi if protocol == "wsgi" else via_asgi
assert serve("/static/small.bin") == 10  # warm up
before = peak_kib()
size = serve("/static/big.bin")
print(size, peak_kib() - before)
"""

BIG = 100 * 1024 * 1024


@pytest.fixture(scope="module")
def big_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    (root / "static").mkdir()
    with open(root / "static" / "big.bin", "wb") as f:
        f.truncate(BIG)  # sparse: no disk space, reads as zeros
    (root / "static" / "small.bin").write_bytes(b"0123456789")
    return root


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_100mb_file_keeps_memory_flat(big_root: Path, protocol: str) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(big_root), protocol],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    size, growth_kib = map(int, result.stdout.split())
    assert size == BIG
    # Reading the file whole would add 100 MiB; chunks add next to nothing.
    assert growth_kib < 16 * 1024, f"peak RSS grew by {growth_kib} KiB"


# -- real servers ----------------------------------------------------------------------

SERVED_APP = """
from hipflask import Flask

app = Flask("served", root_path={root!r})
"""

SERVERS = {
    "gunicorn": ["-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:{port}", "served:app"],
    "uvicorn": [
        "-m", "uvicorn", "--port", "{port}", "--log-level", "warning", "served:app",
    ],
    "granian-asgi": [
        "-m", "granian", "--interface", "asgi", "--workers", "1",
        "--port", "{port}", "served:app",
    ],
    "granian-wsgi": [
        "-m", "granian", "--interface", "wsgi", "--workers", "1",
        "--port", "{port}", "served:app",
    ],
}  # fmt: skip


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            pids.extend(_process_tree(int(child)))
    return pids


def _peak_rss_kib(pid: int) -> int:
    total = 0
    for each in _process_tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total


@pytest.mark.server
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("server", list(SERVERS))
def test_real_server_streams_100mb(big_root: Path, tmp_path: Path, server: str) -> None:
    import subprocess
    import time

    import httpx

    (tmp_path / "served.py").write_text(SERVED_APP.format(root=str(big_root)))
    port = _free_port()
    args = [arg.format(port=port) for arg in SERVERS[server]]
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/static"
        deadline = time.monotonic() + 30
        while True:
            try:
                small = httpx.get(f"{url}/small.bin", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        assert small.content == b"0123456789"
        before = _peak_rss_kib(process.pid)
        size = 0
        with httpx.stream("GET", f"{url}/big.bin", timeout=60) as rv:
            assert rv.status_code == 200
            assert rv.headers["content-length"] == str(BIG)
            for chunk in rv.iter_raw():
                size += len(chunk)
        assert size == BIG
        rv = httpx.get(f"{url}/big.bin", headers={"Range": "bytes=-5,0-4"})
        assert rv.status_code == 206
        assert rv.headers["content-type"].startswith("multipart/byteranges")
        growth = _peak_rss_kib(process.pid) - before
        assert growth < 32 * 1024, f"{server}: peak RSS grew by {growth} KiB"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
