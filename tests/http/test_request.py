"""Request internals: where a multipart body is parsed, in memory or streamed.

The Flask-level request API (attributes, forms, files, limits under both
protocols) is tested in ``tests/test_request_api.py``; this module checks the
choice ``Request._body_in_memory`` makes and that both sides of it answer alike.
"""

from __future__ import annotations

import io
import typing as t
from tempfile import SpooledTemporaryFile

import pytest

from hipflask.http import Request
from hipflask.http.exceptions import ClientDisconnected, RequestEntityTooLarge
from hipflask.http.forms import CHUNK_SIZE
from hipflask.http.streams import DEFAULT_SPOOL_THRESHOLD, SpooledBody

BOUNDARY = "hipflaskRequestBoundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def upload_body(file_size: int, *, total: int | None = None) -> tuple[bytes, bytes]:
    """A body with a text field and a file part; the file's bytes.

    With ``total``, the file is sized so that the whole body is ``total`` bytes.
    """
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f";'
        ' filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    if total is not None:
        file_size = total - len(head) - len(tail)
    content = (bytes(range(256)) * (file_size // 256 + 1))[:file_size]
    return head + content + tail, content


class Input:
    """A wsgi.input that records the sizes asked for; ``step`` caps each read."""

    def __init__(self, data: bytes, *, step: int | None = None) -> None:
        self._inner = io.BytesIO(data)
        self._step = step
        self.sizes: list[int] = []

    def read(self, size: int = -1, /) -> bytes:
        self.sizes.append(size)
        if self._step is not None:
            size = min(size, self._step)
        return self._inner.read(size)


def wsgi_request(source: Input, length: int | None, **environ: t.Any) -> t.Any:
    base: dict[str, t.Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": CONTENT_TYPE,
        "wsgi.input": source,
    }
    if length is not None:
        base["CONTENT_LENGTH"] = str(length)
    base.update(environ)
    return Request(base)


def asgi_request(chunks: list[bytes], max_content_length: int | None = None) -> t.Any:
    body = SpooledBody(max_content_length=max_content_length)
    for chunk in chunks:
        body.write(chunk)
    body.finish()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", CONTENT_TYPE.encode())],
    }
    return Request.from_asgi(scope, body)


def close(req: t.Any) -> None:
    """Close the files and the body, as the end of a request does."""
    req.close()
    req.input_stream.close()


def is_spooled_to_disk(stream: t.Any) -> bool:
    return type(stream) is SpooledTemporaryFile and bool(stream._rolled)


# -- WSGI ------------------------------------------------------------------------------


def test_wsgi_body_with_a_length_is_read_once_and_its_files_stay_in_memory() -> None:
    body, content = upload_body(1024 * 1024)
    source = Input(body)
    req = wsgi_request(source, len(body))
    assert req.form["note"] == "hi"
    storage = req.files["f"]
    assert type(storage.stream) is io.BytesIO
    assert storage.read() == content
    assert source.sizes == [len(body)]
    # The body is consumed, as after any form parse.
    assert req.get_data() == b""
    assert req.stream.tell() == len(body)
    req.close()


def test_wsgi_body_from_an_input_that_trickles() -> None:
    body, content = upload_body(100_000)
    source = Input(body, step=30_000)
    req = wsgi_request(source, len(body))
    assert req.files["f"].read() == content
    assert type(req.files["f"].stream) is io.BytesIO
    assert len(source.sizes) == 4
    req.close()


@pytest.mark.parametrize(
    ("total", "in_memory"),
    [(DEFAULT_SPOOL_THRESHOLD, True), (DEFAULT_SPOOL_THRESHOLD + 1, False)],
)
def test_wsgi_body_over_the_threshold_is_streamed_to_disk(
    total: int, in_memory: bool
) -> None:
    body, content = upload_body(0, total=total)
    assert len(body) == total
    source = Input(body)
    req = wsgi_request(source, len(body))
    storage = req.files["f"]
    assert (type(storage.stream) is io.BytesIO) is in_memory
    assert is_spooled_to_disk(storage.stream) is not in_memory
    assert storage.read() == content
    if in_memory:
        assert source.sizes == [total]
    else:
        assert set(source.sizes[:-1]) == {CHUNK_SIZE}
    req.close()


def test_wsgi_body_without_a_length_is_streamed() -> None:
    body, content = upload_body(1024 * 1024)
    source = Input(body)
    req = wsgi_request(source, None, **{"wsgi.input_terminated": True})
    storage = req.files["f"]
    assert is_spooled_to_disk(storage.stream)
    assert storage.read() == content
    assert CHUNK_SIZE in source.sizes
    req.close()


def test_wsgi_body_read_before_is_parsed_from_the_cache() -> None:
    body, content = upload_body(1000)
    source = Input(body)
    req = wsgi_request(source, len(body))
    assert req.get_data() == body
    assert req.files["f"].read() == content
    assert type(req.files["f"].stream) is io.BytesIO
    assert req.form["note"] == "hi"
    assert source.sizes == [len(body)]


def test_wsgi_body_whose_stream_was_touched_is_streamed() -> None:
    body, content = upload_body(1024 * 1024)
    source = Input(body)
    req = wsgi_request(source, len(body))
    assert req.stream.read(10) == body[:10]
    # The parser gets what the stream still holds: the first delimiter was
    # read, so the text field is lost; the file part is whole.
    assert "note" not in req.form
    assert req.files["f"].read() == content
    assert source.sizes[:2] == [10, CHUNK_SIZE]
    req.close()


def test_wsgi_body_over_max_content_length_is_not_read() -> None:
    body, _ = upload_body(1000)
    source = Input(body)
    req = wsgi_request(source, len(body))
    req.max_content_length = 100
    with pytest.raises(RequestEntityTooLarge, match="maximum of 100 bytes"):
        req.files  # noqa: B018
    assert source.sizes == []


def test_wsgi_body_cut_short_is_client_disconnected() -> None:
    body, _ = upload_body(1000)
    source = Input(body[:500])
    req = wsgi_request(source, len(body))
    with pytest.raises(ClientDisconnected, match=f"sent 500 of the {len(body)}"):
        req.files  # noqa: B018


# -- ASGI ------------------------------------------------------------------------------


@pytest.mark.parametrize("pieces", [1, 3])
def test_asgi_body_in_memory_keeps_its_files_in_memory(pieces: int) -> None:
    body, content = upload_body(1024 * 1024)
    step = -(-len(body) // pieces)
    req = asgi_request([body[i : i + step] for i in range(0, len(body), step)])
    assert req.form["note"] == "hi"
    storage = req.files["f"]
    assert type(storage.stream) is io.BytesIO
    assert storage.read() == content
    assert req.get_data() == b""
    close(req)


def test_asgi_body_on_disk_is_streamed() -> None:
    body, content = upload_body(DEFAULT_SPOOL_THRESHOLD)
    half = len(body) // 2
    req = asgi_request([body[:half], body[half:]])
    assert req._body.rolled_to_disk
    storage = req.files["f"]
    assert is_spooled_to_disk(storage.stream)
    assert storage.read() == content
    close(req)


def test_asgi_body_read_before() -> None:
    body, content = upload_body(1000)
    req = asgi_request([body])
    assert req.stream.read(10) == body[:10]
    # As under WSGI: the parser gets what the stream still holds.
    assert "note" not in req.form
    assert req.files["f"].read() == content
    close(req)
    req = asgi_request([body])
    assert req.get_data() == body
    assert req.files["f"].read() == content
    close(req)


def test_asgi_body_over_max_content_length_is_413() -> None:
    body, _ = upload_body(1000)
    req = asgi_request([body])
    req.max_content_length = 100
    with pytest.raises(RequestEntityTooLarge, match="maximum of 100 bytes"):
        req.files  # noqa: B018
