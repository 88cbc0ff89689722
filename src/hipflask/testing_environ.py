"""Building requests for the test client: a WSGI environ, and the ASGI equivalent.

:class:`EnvironBuilder` turns Flask-style arguments into a complete PEP 3333
environ. The URL comes from ``base_url`` (scheme, host, script root) plus
``path``; with an ``app`` and no ``base_url`` it is built from the app's
``SERVER_NAME``, ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME`` config, as
Flask's builder does. Text is carried as PEP 3333 wants: ``PATH_INFO`` and
``SCRIPT_NAME`` percent-decoded, and every value as UTF-8 bytes read as latin-1.

The body is one of: ``data`` as str/bytes/a file (sent as is), a form mapping
(``application/x-www-form-urlencoded``, or ``multipart/form-data`` as soon as a
value is a file), ``json=`` (serialized with the app's JSON provider), or an
``input_stream``. Multipart bodies are written by :func:`encode_multipart`.

:func:`environ_to_asgi` translates a built environ into an ASGI http scope and
its body, so one builder serves both protocols.
"""

from __future__ import annotations

import json as _json
import mimetypes
import secrets
import sys
import typing as t
from base64 import b64encode
from collections.abc import Iterable, Iterator, Mapping
from io import BytesIO
from tempfile import TemporaryFile
from urllib.parse import quote, unquote_to_bytes, urlsplit, urlunsplit

from .http.datastructures import FileStorage, Headers, MultiDict
from .http.request import Request
from .http.response import get_content_type
from .http.urls import decode_wsgi_path, iri_to_uri, url_encode
from .testing_cookies import host_name

__all__ = ["EnvironBuilder", "encode_multipart", "environ_to_asgi"]

# Characters left as they are when percent-encoding a path: decoded text
# (_RAW_PATH_SAFE) or text that may already hold %XX escapes (_PATH_SAFE).
_RAW_PATH_SAFE = "!$&'()*+,/:;=@"
_PATH_SAFE = "%" + _RAW_PATH_SAFE
# Multipart bodies larger than this are spooled to a temporary file.
_SPOOL_THRESHOLD = 500 * 1024

#: Environ keys that :meth:`EnvironBuilder.get_environ` computes itself.
BUILT_KEYS = frozenset(
    (
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
    )
)
# Environ keys that an ASGI scope expresses on its own (besides HTTP_* headers).
_SCOPE_KEYS = BUILT_KEYS | {"REMOTE_ADDR", "REMOTE_PORT"}

Environ = dict[str, t.Any]


def _wsgi_str(value: str) -> str:
    """Text as PEP 3333 carries it: UTF-8 bytes read as latin-1."""
    return value if value.isascii() else value.encode().decode("latin-1")


def _wsgi_bytes(value: str) -> bytes:
    """The bytes behind a PEP 3333 string (UTF-8 if it is not one after all)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


def _basic_auth(auth: tuple[str, str]) -> str:
    credentials = f"{auth[0]}:{auth[1]}".encode()
    return "Basic " + b64encode(credentials).decode("ascii")


def _iter_data(data: Mapping[str, t.Any]) -> Iterator[tuple[str, t.Any]]:
    """Pairs of a form mapping: list values repeat the key, tuples are files."""
    lists = getattr(data, "lists", None)
    if callable(lists):
        # A MultiDict: every value of every key.
        for key, values in lists():
            for value in values:
                yield key, value
        return
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                yield key, item
        else:
            yield key, value


def _file_storage(key: str, value: t.Any) -> FileStorage:
    """Wrap a ``data`` value (file, ``(file, filename[, content_type])``)."""
    if isinstance(value, FileStorage):
        return value
    filename: str | None = None
    content_type: str | None = None
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError(
                f"A file tuple for {key!r} must be (file, filename) or"
                f" (file, filename, content_type), got {len(value)} items."
            )
        file = value[0]
        if len(value) > 1:
            filename = value[1]
        if len(value) > 2:
            content_type = value[2]
        if isinstance(file, FileStorage):
            return file
    else:
        file = value
    if not callable(getattr(file, "read", None)):
        raise TypeError(
            f"The file for {key!r} must have a read() method, got"
            f" {type(file).__name__}."
        )
    if filename is None:
        # An upload object (Werkzeug's FileStorage, say) names its file
        # "filename"; a real file has its path in "name".
        name = getattr(file, "filename", None) or getattr(file, "name", None)
        if isinstance(name, bytes):
            name = name.decode(sys.getfilesystemencoding(), "replace")
        if isinstance(name, str) and not (name[:1] == "<" and name[-1:] == ">"):
            filename = name
    if content_type is None:
        content_type = getattr(file, "content_type", None)
        if content_type is None and filename:
            guessed = mimetypes.guess_type(filename)[0]
            content_type = guessed or "application/octet-stream"
    return FileStorage(file, filename=filename, name=key, content_type=content_type)


def _quote(value: str) -> bytes:
    # HTML's multipart/form-data encoding escapes only these three characters.
    value = value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return value.encode()


def _as_bytes(value: t.Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return str(value).encode()


class _Spool:
    """A write-only buffer kept in memory, moved to a temporary file when large."""

    __slots__ = ("_memory", "size", "stream")

    def __init__(self) -> None:
        self._memory: BytesIO | None = BytesIO()
        self.stream: t.IO[bytes] = self._memory
        self.size = 0

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._memory is not None and self.size > _SPOOL_THRESHOLD:
            # The file is the result, handed to the caller open.
            disk = TemporaryFile("w+b")  # noqa: SIM115
            disk.write(self._memory.getvalue())
            self.stream = disk
            self._memory = None
        self.stream.write(data)


def encode_multipart(
    fields: Iterable[tuple[str, t.Any]],
    files: Iterable[tuple[str, FileStorage]],
    boundary: str | None = None,
) -> tuple[t.IO[bytes], int, str]:
    """Encode form fields and files as a multipart/form-data body.

    Returns ``(stream, length, boundary)``; the stream is positioned at 0 and is
    a temporary file when the body exceeds 500 KiB. Meant for tests, not servers.
    """
    if boundary is None:
        boundary = f"hipflask-{secrets.token_hex(16)}"
    delimiter = b"--" + boundary.encode("ascii") + b"\r\n"
    spool = _Spool()
    write = spool.write
    for key, value in fields:
        write(delimiter)
        write(b'Content-Disposition: form-data; name="%s"\r\n\r\n' % _quote(key))
        write(_as_bytes(value))
        write(b"\r\n")
    for key, storage in files:
        write(delimiter)
        disposition = b'Content-Disposition: form-data; name="%s"' % _quote(key)
        if storage.filename is not None:
            disposition += b'; filename="%s"' % _quote(storage.filename)
        write(disposition + b"\r\n")
        content_type = storage.content_type or "application/octet-stream"
        write(f"Content-Type: {content_type}\r\n".encode())
        for name, value in storage.headers.items():
            if name.lower() not in ("content-type", "content-disposition"):
                write(f"{name}: {value}\r\n".encode())
        write(b"\r\n")
        read = storage.stream.read
        while chunk := read(64 * 1024):
            write(chunk.encode() if isinstance(chunk, str) else chunk)
        write(b"\r\n")
    write(b"--" + boundary.encode("ascii") + b"--\r\n")
    spool.stream.seek(0)
    return spool.stream, spool.size, boundary


class EnvironBuilder:
    """Build a WSGI environ from Flask-style request arguments.

    When ``app`` is given and ``base_url`` is not, the base URL comes from the
    app's ``SERVER_NAME``, ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``
    config (``subdomain`` and ``url_scheme`` adjust it). ``path`` may be a full
    URL and may carry the query string. ``data`` is a body (str, bytes or a
    file) or a form mapping, sent multipart when a value is a file.
    """

    #: The protocol in ``SERVER_PROTOCOL``.
    server_protocol = "HTTP/1.1"
    #: The value of ``wsgi.version``.
    wsgi_version = (1, 0)
    #: The class :meth:`get_request` builds.
    request_class: type[Request] = Request

    _args: MultiDict[str, t.Any] | None
    _query_string: str | None
    _input_stream: t.IO[bytes] | None
    _form: MultiDict[str, t.Any] | None
    _files: MultiDict[str, FileStorage] | None

    # Positional order as Flask's builder: app, path, base_url, subdomain,
    # url_scheme, then Werkzeug's (query_string, method, ...).
    def __init__(
        self,
        app: t.Any = None,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        query_string: Mapping[str, t.Any] | str | None = None,
        method: str = "GET",
        input_stream: t.IO[bytes] | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: t.IO[str] | None = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        data: t.IO[bytes] | str | bytes | Mapping[str, t.Any] | None = None,
        environ_base: Mapping[str, t.Any] | None = None,
        environ_overrides: Mapping[str, t.Any] | None = None,
        mimetype: str | None = None,
        json: t.Any = None,
        auth: tuple[str, str] | t.Any = None,
    ) -> None:
        if isinstance(app, str):
            raise TypeError(
                "The first argument of EnvironBuilder is the app (Flask's"
                f" signature), got the string {app!r}; pass path= instead."
            )
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        self.app = app
        if base_url is None:
            config = getattr(app, "config", None) or {}
            host = config.get("SERVER_NAME") or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            root = config.get("APPLICATION_ROOT") or "/"
            if url_scheme is None:
                url_scheme = config.get("PREFERRED_URL_SCHEME") or "http"
            url = urlsplit(path)
            base_url = (
                f"{url.scheme or url_scheme}://{url.netloc or host}/{root.lstrip('/')}"
            )
            path = f"{url.path}?{url.query}" if url.query else url.path

        if query_string is not None and "?" in path:
            raise ValueError("Query string is defined in the path and as an argument")
        path_part, has_query, query_part = path.partition("?")
        if query_string is None and has_query:
            query_string = query_part
        self.path = quote(path_part, _PATH_SAFE)
        self.request_uri = path
        self.base_url = base_url
        self._query_string = None
        self._args = None
        if isinstance(query_string, str):
            self._query_string = query_string
        elif query_string is not None:
            self._args = (
                query_string
                if isinstance(query_string, MultiDict)
                else MultiDict(query_string)
            )
        self.method = method
        self.headers = Headers(headers) if headers is not None else Headers()
        if content_type is not None:
            self.content_type = content_type
        self.errors_stream: t.IO[str] = errors_stream or sys.stderr
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = environ_base
        self.environ_overrides = environ_overrides
        self.input_stream = input_stream
        if content_length is not None:
            self.content_length = content_length
        self.closed = False

        if auth is not None:
            if isinstance(auth, tuple) and len(auth) == 2:
                self.headers.set("Authorization", _basic_auth(auth))
            elif callable(getattr(auth, "to_header", None)):
                self.headers.set("Authorization", auth.to_header())
            else:
                raise TypeError(
                    "'auth' must be a (username, password) tuple or an object"
                    f" with to_header(), got {type(auth).__name__}."
                )

        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"

        if data:
            if input_stream is not None:
                raise TypeError("can't provide input stream and data")
            if hasattr(data, "read"):
                data = data.read()
            if isinstance(data, str):
                data = data.encode()
            if isinstance(data, (bytes, bytearray)):
                self.input_stream = BytesIO(data)
                if self.content_length is None:
                    self.content_length = len(data)
            elif isinstance(data, Mapping):
                for key, value in _iter_data(data):
                    if isinstance(value, tuple) or hasattr(value, "read"):
                        self.files.add(key, _file_storage(key, value))
                    else:
                        self.form.add(key, value)
            else:
                raise TypeError(
                    "'data' must be str, bytes, a file or a mapping, got"
                    f" {type(data).__name__}."
                )

        if mimetype is not None:
            self.mimetype = mimetype

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, t.Any], **kwargs: t.Any
    ) -> EnvironBuilder:
        """Turn an environ back into a builder; ``kwargs`` override what it says."""
        header_list: list[tuple[str, str]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_") and key not in (
                "HTTP_CONTENT_TYPE",
                "HTTP_CONTENT_LENGTH",
            ):
                header_list.append((key[5:].replace("_", "-").title(), value))
        headers = Headers(header_list)
        host = headers.pop("Host", None) or environ.get("SERVER_NAME", "localhost")
        script_root = decode_wsgi_path(environ.get("SCRIPT_NAME", ""))
        out: dict[str, t.Any] = {
            "path": quote(_wsgi_bytes(environ.get("PATH_INFO", "")), _RAW_PATH_SAFE)
            or "/",
            "base_url": cls._make_base_url(
                environ.get("wsgi.url_scheme", "http"), host, script_root
            ),
            "query_string": decode_wsgi_path(environ.get("QUERY_STRING", "")),
            "method": environ.get("REQUEST_METHOD", "GET"),
            "input_stream": environ.get("wsgi.input"),
            "content_type": environ.get("CONTENT_TYPE") or None,
            "errors_stream": environ.get("wsgi.errors"),
            "multithread": environ.get("wsgi.multithread", False),
            "multiprocess": environ.get("wsgi.multiprocess", False),
            "run_once": environ.get("wsgi.run_once", False),
            "headers": headers,
        }
        out.update(kwargs)
        return cls(**out)

    @staticmethod
    def _make_base_url(scheme: str, host: str, script_root: str) -> str:
        return urlunsplit((scheme, host, script_root, "", "")).rstrip("/") + "/"

    @property
    def base_url(self) -> str:
        """Scheme, host and script root, as a URL ending in ``/``."""
        return self._make_base_url(self.url_scheme, self.host, self.script_root)

    @base_url.setter
    def base_url(self, value: str | None) -> None:
        if value is None:
            scheme, netloc, script_root = "http", "localhost", ""
        else:
            scheme, netloc, script_root, query, fragment = urlsplit(iri_to_uri(value))
            if query or fragment:
                raise ValueError("base url must not contain a query string or fragment")
        self.script_root = script_root.rstrip("/")
        self.host = netloc
        self.url_scheme = scheme

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with the app's JSON provider, else the stdlib."""
        provider = getattr(self.app, "json", None)
        dumps = getattr(provider, "dumps", None)
        if callable(dumps):
            return t.cast(str, dumps(obj, **kwargs))
        return _json.dumps(obj, **kwargs)

    # -- headers reflected into attributes -----------------------------------------

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, or the one a form or files imply."""
        value = self.headers.get("Content-Type")
        if value is None and self._input_stream is None:
            if self._files:
                return "multipart/form-data"
            if self._form:
                return "application/x-www-form-urlencoded"
        return value

    @content_type.setter
    def content_type(self, value: str | None) -> None:
        if value is None:
            self.headers.pop("Content-Type", None)
        else:
            self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters."""
        value = self.content_type
        return value.partition(";")[0].strip() if value else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.content_type = get_content_type(value)

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int."""
        return t.cast("int | None", self.headers.get("Content-Length", type=int))

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.pop("Content-Length", None)
        else:
            self.headers.set("Content-Length", str(value))

    # -- body ----------------------------------------------------------------------

    @property
    def input_stream(self) -> t.IO[bytes] | None:
        """The raw body; setting it discards :attr:`form` and :attr:`files`."""
        return self._input_stream

    @input_stream.setter
    def input_stream(self, value: t.IO[bytes] | None) -> None:
        self._input_stream = value
        self._form = None
        self._files = None

    @property
    def form(self) -> MultiDict[str, t.Any]:
        """Form fields to send (not available once an input stream is set)."""
        if self._input_stream is not None:
            raise AttributeError("an input stream is defined")
        if self._form is None:
            self._form = MultiDict()
        return self._form

    @form.setter
    def form(self, value: MultiDict[str, t.Any]) -> None:
        self._input_stream = None
        self._form = value

    @property
    def files(self) -> MultiDict[str, FileStorage]:
        """Files to send, as :class:`FileStorage` values."""
        if self._input_stream is not None:
            raise AttributeError("an input stream is defined")
        if self._files is None:
            self._files = MultiDict()
        return self._files

    @files.setter
    def files(self, value: MultiDict[str, FileStorage]) -> None:
        self._input_stream = None
        self._files = value

    # -- URL -----------------------------------------------------------------------

    @property
    def query_string(self) -> str:
        """The query string; setting it replaces :attr:`args`."""
        if self._query_string is None:
            return url_encode(self._args) if self._args is not None else ""
        return self._query_string

    @query_string.setter
    def query_string(self, value: str | None) -> None:
        self._query_string = value
        self._args = None

    @property
    def args(self) -> MultiDict[str, t.Any]:
        """The URL arguments (not available once a query string is set)."""
        if self._query_string is not None:
            raise AttributeError("a query string is defined")
        if self._args is None:
            self._args = MultiDict()
        return self._args

    @args.setter
    def args(self, value: MultiDict[str, t.Any] | None) -> None:
        self._query_string = None
        self._args = value

    @property
    def server_name(self) -> str:
        """The host without its port."""
        return host_name(self.host)

    @property
    def server_port(self) -> int:
        """The port from the host, or the scheme's default."""
        host = self.host
        if host.startswith("["):
            host = host.partition("]")[2]
        _, sep, port = host.rpartition(":")
        if sep and port.isdigit() and port.isascii():
            return int(port)
        return 443 if self.url_scheme == "https" else 80

    # -- output --------------------------------------------------------------------

    def close(self) -> None:
        """Close the files given in ``data``."""
        if self.closed:
            return
        for storage in (self._files or {}).values():
            try:
                storage.close()
            except Exception:
                pass
        self.closed = True

    def get_environ(self) -> Environ:
        """Return a new PEP 3333 environ for the request."""
        input_stream = self.input_stream
        content_length = self.content_length
        content_type = self.content_type
        mimetype = self.mimetype
        if input_stream is not None:
            start = input_stream.tell()
            input_stream.seek(0, 2)
            content_length = input_stream.tell() - start
            input_stream.seek(start)
        elif mimetype == "multipart/form-data":
            input_stream, content_length, boundary = encode_multipart(
                _iter_data(self._form or {}), _iter_data(self._files or {})
            )
            content_type = f'{mimetype}; boundary="{boundary}"'
        elif mimetype == "application/x-www-form-urlencoded":
            body = url_encode(self._form or {}).encode("ascii")
            content_length = len(body)
            input_stream = BytesIO(body)
        else:
            input_stream = BytesIO()

        environ: Environ = dict(self.environ_base) if self.environ_base else {}
        raw_uri = _wsgi_str(self.request_uri)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": unquote_to_bytes(self.script_root).decode("latin-1"),
                "PATH_INFO": unquote_to_bytes(self.path).decode("latin-1"),
                "QUERY_STRING": _wsgi_str(self.query_string),
                # Not in PEP 3333, but servers send them (uWSGI, gunicorn).
                "REQUEST_URI": raw_uri,
                "RAW_URI": raw_uri,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "HTTP_HOST": self.host,
                "SERVER_PROTOCOL": self.server_protocol,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": input_stream,
                "wsgi.errors": self.errors_stream,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        if content_length is not None:
            environ["CONTENT_LENGTH"] = str(content_length)
        combined: dict[str, str] = {}
        for name, value in self.headers.to_wsgi_list():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key == "HTTP_CONTENT_TYPE" or key == "HTTP_CONTENT_LENGTH":  # noqa: PLR1714
                continue
            previous = combined.get(key)
            combined[key] = f"{previous}, {value}" if previous is not None else value
        for key, value in combined.items():
            environ[key] = _wsgi_str(value)
        if self.environ_overrides:
            environ.update(self.environ_overrides)
        return environ

    def get_request(self, cls: type[Request] | None = None) -> Request:
        """A request object (``cls`` or :attr:`request_class`) for the environ."""
        return (cls or self.request_class)(self.get_environ())


def _read_body(environ: Mapping[str, t.Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            size = -1
        if size >= 0:
            return t.cast(bytes, stream.read(size))
    return t.cast(bytes, stream.read())


def environ_to_asgi(environ: Mapping[str, t.Any]) -> tuple[dict[str, t.Any], bytes]:
    """Turn a WSGI environ into an equivalent ASGI http scope and the request body.

    ``path`` and ``raw_path`` include ``root_path`` (``SCRIPT_NAME``), as uvicorn
    sends them. Environ keys a scope cannot express (anything besides the CGI
    keys, ``HTTP_*`` and ``wsgi.*``) go into
    ``scope["extensions"]["hipflask.environ"]``.
    """
    script_name = environ.get("SCRIPT_NAME", "")
    path_info = environ.get("PATH_INFO", "")
    full_path = script_name + path_info
    root_path = decode_wsgi_path(script_name)
    path = decode_wsgi_path(full_path)

    # raw_path: the request target as sent, when REQUEST_URI/RAW_URI still decodes
    # to this path (it keeps escapes such as %2F); otherwise the path re-encoded.
    wanted = _wsgi_bytes(full_path)
    raw_path = quote(wanted, _RAW_PATH_SAFE).encode("ascii")
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if isinstance(raw_uri, str):
        target = quote(_wsgi_bytes(raw_uri.partition("?")[0]), _PATH_SAFE)
        for candidate in (target, quote(_wsgi_bytes(script_name), _PATH_SAFE) + target):
            if unquote_to_bytes(candidate) == wanted:
                raw_path = candidate.encode("ascii")
                break

    headers: list[tuple[bytes, bytes]] = []
    extensions: dict[str, t.Any] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].lower().replace("_", "-")
            headers.append((name.encode("latin-1"), _wsgi_bytes(str(value))))
        elif key == "CONTENT_TYPE" or key == "CONTENT_LENGTH":  # noqa: PLR1714
            if value:
                name = key.lower().replace("_", "-")
                headers.append((name.encode("latin-1"), _wsgi_bytes(str(value))))
        elif key == "wsgi.errors" or (
            key not in _SCOPE_KEYS and not key.startswith("wsgi.")
        ):
            # The error stream has no ASGI equivalent; the app's logger uses it.
            extensions[key] = value

    client = None
    remote_addr = environ.get("REMOTE_ADDR")
    if remote_addr:
        port = str(environ.get("REMOTE_PORT", ""))
        client = (remote_addr, int(port) if port.isascii() and port.isdigit() else 0)
    server = None
    server_name = environ.get("SERVER_NAME")
    if server_name:
        port = str(environ.get("SERVER_PORT", ""))
        number = port.isascii() and port.isdigit()
        server = (server_name, int(port) if number else None)
    protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    http_version = protocol[5:] if protocol.startswith("HTTP/") else "1.1"

    scope: dict[str, t.Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": http_version,
        "method": str(environ.get("REQUEST_METHOD", "GET")).upper(),
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": path,
        "raw_path": raw_path,
        "root_path": root_path,
        "query_string": _wsgi_bytes(environ.get("QUERY_STRING", "")),
        "headers": headers,
        "client": client,
        "server": server,
        "extensions": {"hipflask.environ": extensions},
    }
    return scope, _read_body(environ)


def request_host(environ: Mapping[str, t.Any]) -> str:
    """The host name an environ is addressed to."""
    return host_name(
        environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost"
    )


def request_path(environ: Mapping[str, t.Any]) -> str:
    """The full path of an environ (``SCRIPT_NAME`` + ``PATH_INFO``), URL-encoded."""
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return quote(_wsgi_bytes(raw), _RAW_PATH_SAFE)


def request_url(environ: Mapping[str, t.Any]) -> str:
    """The URL an environ requests."""
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "localhost")
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    query = str(environ.get("QUERY_STRING", ""))
    return urlunsplit((scheme, host, request_path(environ), query, ""))
