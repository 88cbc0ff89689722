"""The incoming request: lazy views over what the server handed over.

A :class:`Request` is built from a WSGI environ (``Request(environ)``) or from an
ASGI scope plus an already-received body (``Request.from_asgi(scope, body)``).
Construction copies the handful of fields every request needs (method, scheme,
path, root path, query string, remote address) and parses nothing else.

Everything else is computed on first access and cached in the instance
``__dict__`` by :class:`cached`, a non-data descriptor: after the first access the
attribute is a plain instance attribute, so the second access costs a dict lookup.
Under ASGI, ``environ`` itself is such an attribute, built from the scope only
when something asks for it.

The body is read from ``stream``: under WSGI a :class:`LimitedStream` over
``wsgi.input`` that enforces Content-Length and ``max_content_length`` on the bytes
actually read; under ASGI the spooled body the adapter received.
"""

from __future__ import annotations

import functools
import json as _json
import typing as t
import weakref
from urllib.parse import quote

from ._native import add_class, new_instance, speedups
from .datastructures import (
    CombinedMultiDict,
    EnvironHeaders,
    FileStorage,
    Headers,
    ImmutableMultiDict,
    MultiDict,
)
from .exceptions import (
    BadRequest,
    HTTPException,
    SecurityError,
    UnsupportedMediaType,
)
from .forms import parse_form, parse_urlencoded_lists
from .headers import parse_cookie, parse_options_header
from .request_headers import RequestHeaderViews, cached
from .streams import (
    CHUNK_SIZE,
    DEFAULT_SPOOL_THRESHOLD,
    EMPTY_STREAM,
    LimitedStream,
    SpooledBody,
    _cut_short,
    _read_failed,
    _too_large,
)
from .urls import decode_wsgi_path, parse_qs_lists, parse_qsl, uri_to_iri

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from ..routing import Rule
    from .response import StartResponse, WSGIApplication

T = t.TypeVar("T")
_Self = t.TypeVar("_Self", bound="Request")

_PATH_SAFE = "!$&'()*+,/:;=@%"
#: The ``files`` of every request without uploads (immutable, so shareable).
_NO_FILES: ImmutableMultiDict[str, FileStorage] = ImmutableMultiDict()
_QUERY_SAFE = "!$&'()*+,/:;=?@%"
_URLENCODED = "application/x-www-form-urlencoded"
#: The ASGI header names Request.from_asgi notes: Host, Cookie (in any case, as
#: the cookies view reads it), the two that announce a body and Content-Type
#: (matched exactly: ASGI names are lower-case).
#: Every spelling of the Cookie name (any case), as the cookies view matches it.
_COOKIE_NAMES = frozenset(
    "".join(
        letter.upper() if mask >> i & 1 else letter for i, letter in enumerate("cookie")
    ).encode()
    for mask in range(64)
)
_SCANNED = _COOKIE_NAMES | {
    b"host",
    b"content-type",
    b"content-length",
    b"transfer-encoding",
}
_NO_LENGTH = (b"", b"0")  # Content-Length values that announce no body
#: What a pass over an ASGI scope's header fields finds (see _scan_asgi_fields).
_ScannedFields: t.TypeAlias = tuple[
    "bytes | None",
    bool,
    "bytes | None",
    "bool | None",
    "str | None",
    "str | None",
    bool,
]
#: The C version of _scan_asgi_fields, when built.
_c_scan_asgi_fields: t.Callable[[t.Any, bool], _ScannedFields | None] | None = (
    speedups.scan_asgi_fields if speedups is not None else None
)
#: Methods whose requests rarely have a body (as the ASGI adapter sees them).
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE"})


def _hashable_names(
    fields: t.Iterable[tuple[t.Any, bytes]],
) -> list[tuple[bytes, bytes]]:
    """``fields`` with each unhashable name replaced by the scanned one it equals."""
    pairs: list[tuple[bytes, bytes]] = []
    for name, value in fields:
        try:
            hash(name)
        except TypeError:
            name = next((known for known in _SCANNED if name == known), b"")
        pairs.append((name, value))
    return pairs


def _scan_asgi_fields(fields: t.Any, bodied: bool) -> _ScannedFields:
    """What :meth:`Request.from_asgi` reads from a scope's header fields, in one
    pass (the Python twin of ``_speedups.scan_asgi_fields``): the first Host
    value, whether a ``cookie`` field came, the Cookie fields joined, whether a
    body is announced, the Content-Type and Content-Length values, and whether
    a bodied request has a name not in lower case.
    """
    scanned = _SCANNED
    original = fields
    while True:
        host = None
        cookie = False
        cookie_field = None
        announced = None
        content_type = None
        content_length = None
        odd = False  # a name not in lower case: content fields read lazily
        try:
            for name, value in fields:
                if name not in scanned:
                    if bodied and not name.islower():
                        odd = True
                    continue
                if name == b"host":
                    if host is None:
                        host = value
                elif name in _COOKIE_NAMES:
                    if name == b"cookie":
                        cookie = True
                    cookie_field = (
                        value
                        if cookie_field is None
                        else b"%s; %s" % (cookie_field, value)
                    )
                elif name == b"content-type":
                    text = value.decode("latin-1")
                    content_type = (
                        text if content_type is None else f"{content_type}, {text}"
                    )
                else:
                    if announced is None:
                        # The first Content-Length or Transfer-Encoding
                        # field decides.
                        announced = name == b"transfer-encoding" or (
                            value.strip() not in _NO_LENGTH
                        )
                    if name == b"content-length":
                        text = value.decode("latin-1")
                        content_length = (
                            text
                            if content_length is None
                            else f"{content_length}, {text}"
                        )
        except TypeError:
            if fields is not original:
                raise  # not a name: the fields were already converted
            # A name that cannot be hashed (a bytearray, say): again, with
            # such names as the bytes they equal (b"" for any other name).
            fields = _hashable_names(fields)
            continue
        break
    return host, cookie, cookie_field, announced, content_type, content_length, odd


#: Werkzeug's EnvironBuilder's positional parameters, in order (from_values).
_BUILDER_ARGS = (
    "path",
    "base_url",
    "query_string",
    "method",
    "input_stream",
    "content_type",
    "content_length",
    "errors_stream",
    "multithread",
    "multiprocess",
    "run_once",
    "headers",
    "data",
    "environ_base",
    "environ_overrides",
    "mimetype",
    "json",
    "auth",
)

# PERF: a multi dict made empty and filled with parsed lists (no __init__ call).
_new_dict = dict.__new__
_dict_update = dict.update


def host_is_trusted(host: str, trusted: t.Iterable[str]) -> bool:
    """Whether ``host`` (port ignored) matches a trusted name.

    A trusted name starting with a dot matches that domain and its subdomains.
    """
    if host.startswith("["):
        name = host[: host.find("]") + 1]
    else:
        name = host.rpartition(":")[0] if ":" in host else host
    name = name.lower()
    for entry in trusted:
        entry = entry.lower()
        if entry.startswith("."):
            if name == entry[1:] or name.endswith(entry):
                return True
        elif name == entry:
            return True
    return False


def _content_length(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        return None
    return int(value)


def _scope_content_headers(scope: dict[str, t.Any]) -> tuple[str | None, str | None]:
    """Content-Type and Content-Length of an ASGI scope, read in one pass.

    As the request's headers view reads them: names in any case, repeated
    fields joined with ``", "`` (as :meth:`Headers.from_asgi` joins them).
    """
    content_type: str | None = None
    content_length: str | None = None
    for name, value in scope.get("headers", ()):
        # PERF: one length test rejects most names; servers send lower-case
        # names, matched as they are; only a name of the right length that is
        # not is lower-cased to compare it.
        size = len(name)
        if size == 12:
            if name != b"content-type" and name.lower() != b"content-type":
                continue
            text = value.decode("latin-1")
            content_type = text if content_type is None else f"{content_type}, {text}"
        elif size == 14:
            if name != b"content-length" and name.lower() != b"content-length":
                continue
            text = value.decode("latin-1")
            content_length = (
                text if content_length is None else f"{content_length}, {text}"
            )
    return content_type, content_length


def _environ_from_scope(scope: dict[str, t.Any]) -> dict[str, t.Any]:
    """A PEP 3333 environ equivalent to an ASGI http scope (without a body)."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    root = scope.get("root_path", "")
    path = scope.get("path", "/")
    if root and path.startswith(root):
        path = path[len(root) :]
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": scope.get("method", "GET"),
        "SCRIPT_NAME": root.encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "asgi.scope": scope,
    }
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE" or name == "CONTENT_LENGTH":  # noqa: PLR1714
            key = name
        else:
            key = "HTTP_" + name
        if key in environ:
            # Repeated fields are joined as WSGI servers join them; cookies
            # (one field per cookie under HTTP/2) with "; ", as one Cookie line.
            joiner = "; " if key == "HTTP_COOKIE" else ","
            environ[key] = f"{environ[key]}{joiner}{value}"
        else:
            environ[key] = value
    extra = scope.get("extensions", {}).get("hipflask.environ")
    if extra:
        environ.update(extra)
    return environ


class Request(RequestHeaderViews):
    """An HTTP request, with Werkzeug's attribute names.

    The header-backed attributes (``accept_mimetypes``, ``authorization``,
    ``if_match``...) come from :class:`RequestHeaderViews`.
    """

    #: The class of ``args``, ``form`` and ``cookies``.
    parameter_storage_class: type[ImmutableMultiDict[str, t.Any]] = ImmutableMultiDict
    #: Limits that apply when reading the body; the app overrides them per request.
    max_content_length: int | None = None
    max_form_memory_size: int | None = 500_000
    max_form_parts: int | None = 1_000
    #: Hosts accepted in the Host header (None: any).
    trusted_hosts: list[str] | None = None
    #: Module (or provider) with ``loads`` used by ``get_json``.
    json_module: t.Any = _json

    # PERF: the fields every request sets live in slots; ``__dict__`` only fills
    # up when a lazy attribute (headers, args, form, ...) is first read.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_bad_host",
        "_body",
        "_body_announced",
        "_cookie_field",
        "_cookie_sent",
        "_environ",
        "_scope",
        "method",
        "path",
        "routing_exception",
        "shallow",
        "url_rule",
        "view_args",
    )

    # What from_asgi read from the scope's header fields (unset under WSGI).
    _bad_host: bool
    _cookie_sent: bool
    _cookie_field: bytes | None
    _body_announced: bool

    def __init__(
        self,
        environ: dict[str, t.Any],
        populate_request: bool = True,
        shallow: bool = False,
    ) -> None:
        self._environ: dict[str, t.Any] | None = environ
        self._scope: dict[str, t.Any] | None = None
        self._body: t.Any = EMPTY_STREAM
        #: Routing results, filled in by the application.
        self.url_rule: Rule | None = None
        self.view_args: dict[str, t.Any] | None = None
        self.routing_exception: Exception | None = None
        self.shallow = shallow
        self.method: str = environ.get("REQUEST_METHOD", "GET").upper()
        # PERF: PATH_INFO is ASCII in the common case; decode_wsgi_path has a fast
        # path for it, and an empty or slash-less path is normalised here.
        path = environ.get("PATH_INFO") or "/"
        if path[0] != "/":
            path = "/" + path
        self.path: str = path if path.isascii() else decode_wsgi_path(path)
        if populate_request and not shallow:
            # A weak proxy: code that finds the request through the environ works,
            # without an environ <-> request reference cycle per request.
            environ["werkzeug.request"] = weakref.proxy(self)

    @classmethod
    def _from_environ(cls: type[_Self], environ: dict[str, t.Any]) -> _Self:
        """``cls(environ)`` for a class keeping this ``__init__``.

        PERF: the WSGI adapter's per-request build; the fields ``__init__`` sets,
        without a type call (which costs more than setting them).
        """
        self = new_instance(cls)
        self._environ = environ
        self._scope = None
        self._body = EMPTY_STREAM
        self.url_rule = None
        self.view_args = None
        self.routing_exception = None
        self.shallow = False
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        if path[0] != "/":
            path = "/" + path
        self.path = path if path.isascii() else decode_wsgi_path(path)
        environ["werkzeug.request"] = weakref.proxy(self)
        return self

    @classmethod
    def from_asgi(
        cls: type[_Self], scope: dict[str, t.Any], body: t.Any = EMPTY_STREAM
    ) -> _Self:
        """Build a request from an ASGI http/websocket scope and its body stream."""
        self = new_instance(cls)
        self._environ = None
        self._scope = scope
        self._body = body
        self.url_rule = None
        self.view_args = None
        self.routing_exception = None
        self.shallow = False
        self.method = scope.get("method", "GET")
        root = scope.get("root_path", "")
        path = scope["path"]
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path or path[0] != "/":
            path = "/" + path
        self.path = path
        # PERF: one pass over the header fields answers what every request asks
        # of them (a bad Host, a Cookie, a body announced on a GET), instead of
        # one scan per question; for a method with a body it also reads the
        # Content-Type and Content-Length fields the body's readers ask for.
        bodied = self.method not in _BODYLESS
        fields = scope.get("headers", ())
        found = _c_scan_asgi_fields(fields, bodied) if _c_scan_asgi_fields else None
        if found is None:
            found = _scan_asgi_fields(fields, bodied)
        host, cookie, cookie_field, announced, content_type, content_length, odd = found
        if bodied and not odd:
            # As _scope_content_headers (below) reads them.
            self.__dict__["_scope_content_headers"] = (content_type, content_length)
        # Control characters (and other unprintables) never belong in a host;
        # internationalised names are printable and pass (and so does b"").
        self._bad_host = host is not None and not host.decode("latin-1").isprintable()
        self._cookie_sent = cookie
        self._cookie_field = cookie_field
        self._body_announced = bool(announced)
        return self

    @classmethod
    def from_values(cls: type[_Self], *args: t.Any, **kwargs: t.Any) -> _Self:
        """A request built from the test environ builder's arguments.

        The arguments are Werkzeug's ``EnvironBuilder``'s (``path``,
        ``base_url``, ``query_string``, ``method``, ... in that order), so
        ``Request.from_values("/search?q=x", method="POST")`` works as in
        Werkzeug. For scripts; tests have the test client.
        """
        # Lazily: the builder is test tooling the request module does not need.
        from ..testing_environ import EnvironBuilder

        if len(args) > len(_BUILDER_ARGS):
            raise TypeError(
                f"from_values() takes at most {len(_BUILDER_ARGS)} positional"
                f" arguments ({len(args)} given)"
            )
        for name, value in zip(_BUILDER_ARGS[: len(args)], args, strict=True):
            if name in kwargs:
                raise TypeError(f"from_values() got multiple values for {name!r}")
            kwargs[name] = value
        builder = EnvironBuilder(**kwargs)
        try:
            return cls(builder.get_environ())
        finally:
            builder.close()

    @classmethod
    def application(cls, f: t.Callable[..., WSGIApplication]) -> WSGIApplication:
        """Decorate ``f(request) -> response`` into a WSGI application.

        The request is built from the environ with this class and closed after
        the response is called; an :class:`HTTPException` raised by ``f`` is
        answered with its own response. On a method, the request is the last
        argument: ``def view(self, request)``.
        """

        def application(*args: t.Any) -> Iterable[bytes]:
            environ: dict[str, t.Any] = args[-2]
            start_response: StartResponse = args[-1]
            with cls(environ) as request:
                response: WSGIApplication
                try:
                    response = f(*args[:-2], request)
                except HTTPException as error:
                    response = error.get_response(environ)
                return response(environ, start_response)

        return t.cast("WSGIApplication", functools.update_wrapper(application, f))

    # PERF: the connection fields below are read from the environ or the scope
    # on first use (then kept): many requests never need them.

    @cached
    def scheme(self) -> str:
        """The URL scheme: ``http``, ``https`` (``ws``/``wss`` for websockets)."""
        if self._scope is not None:
            return t.cast(str, self._scope.get("scheme", "http"))
        return t.cast(str, self._environ.get("wsgi.url_scheme", "http"))  # type: ignore[union-attr]

    @cached
    def root_path(self) -> str:
        """Where the application is mounted, without a trailing slash."""
        if self._scope is not None:
            return t.cast(str, self._scope.get("root_path", "")).rstrip("/")
        root = self._environ.get("SCRIPT_NAME")  # type: ignore[union-attr]
        return decode_wsgi_path(root).rstrip("/") if root else ""

    @cached
    def query_string(self) -> bytes:
        """The raw query string, as bytes."""
        if self._scope is not None:
            return t.cast(bytes, self._scope.get("query_string", b""))
        return t.cast(str, self._environ.get("QUERY_STRING", "")).encode("latin-1")  # type: ignore[union-attr]

    @cached
    def remote_addr(self) -> str | None:
        """The client's address, as the server saw it."""
        if self._scope is not None:
            client = self._scope.get("client")
            return t.cast(str, client[0]) if client else None
        return self._environ.get("REMOTE_ADDR")  # type: ignore[union-attr]

    # -- connection ---------------------------------------------------------

    @property
    def environ(self) -> dict[str, t.Any]:
        """The WSGI environ (built from the ASGI scope when served over ASGI)."""
        environ = self._environ
        if environ is None:
            if self._scope is None:
                raise RuntimeError("The request has no environ.")
            environ = self._environ = _environ_from_scope(self._scope)
            environ["werkzeug.request"] = weakref.proxy(self)
        return environ

    @environ.setter
    def environ(self, value: dict[str, t.Any]) -> None:
        self._environ = value

    @cached
    def headers(self) -> EnvironHeaders | Headers:
        """The request headers (case-insensitive, read-only)."""
        if self._scope is not None:
            return Headers.from_asgi(self._scope.get("headers", []))
        return EnvironHeaders(self.environ)

    @cached
    def server(self) -> tuple[str, int | None] | None:
        """The server's (host, port), when the server told."""
        if self._scope is not None:
            server = self._scope.get("server")
            return (server[0], server[1]) if server else None
        name = self.environ.get("SERVER_NAME")
        if not name:
            return None
        port = self.environ.get("SERVER_PORT")
        # isascii: str.isdigit() also accepts "²", which int() refuses.
        if port and port.isascii() and port.isdigit():
            return (name, int(port))
        return (name, None)

    @cached
    def host(self) -> str:
        """The host (and port, when not the scheme's default) the client asked for."""
        host = self.headers.get("Host")
        if not host:
            server = self.server
            if server is None:
                return ""
            host = server[0]
            if server[1] is not None:
                host = f"{host}:{server[1]}"
        if self.scheme in ("http", "ws") and host.endswith(":80"):
            host = host[:-3]
        elif self.scheme in ("https", "wss") and host.endswith(":443"):
            host = host[:-4]
        if self.trusted_hosts is not None and not host_is_trusted(
            host, self.trusted_hosts
        ):
            raise SecurityError(f"Host {host!r} is not trusted.")
        return host

    def _has_bad_host(self) -> bool:
        """Whether the Host header holds characters no host name can have."""
        if self._scope is not None:
            # Read from the scope's first Host field by from_asgi.
            return self._bad_host
        host = self._environ.get("HTTP_HOST") if self._environ else None
        # Control characters (and other unprintables) never belong in a host;
        # internationalised names are printable and pass.
        return bool(host) and not host.isprintable()  # type: ignore[union-attr]

    def _has_cookie_header(self) -> bool:
        """Whether a Cookie header came (without building the headers view)."""
        if self._scope is not None:
            return self._cookie_sent  # seen by from_asgi
        return bool(self._environ and self._environ.get("HTTP_COOKIE"))

    @property
    def script_root(self) -> str:
        """Alias of ``root_path``."""
        return self.root_path

    @cached
    def full_path(self) -> str:
        """Path and query string, e.g. ``/search?q=x`` (``?`` always present)."""
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    def _url(self, path: str, query: bool) -> str:
        url = f"{self.scheme}://{self.host}{quote(path, safe=_PATH_SAFE)}"
        if query and self.query_string:
            url = f"{url}?{quote(self.query_string, safe=_QUERY_SAFE)}"
        # An IRI, as Werkzeug's: escaped UTF-8 text and IDNA hosts are decoded.
        return uri_to_iri(url)

    @cached
    def url(self) -> str:
        """The full URL, with query string."""
        return self._url(self.root_path + self.path, True)

    @cached
    def base_url(self) -> str:
        """The full URL without the query string."""
        return self._url(self.root_path + self.path, False)

    @cached
    def url_root(self) -> str:
        """Scheme, host and root path, with a trailing slash."""
        return self._url(self.root_path + "/", False)

    @property
    def root_url(self) -> str:
        """Alias of ``url_root``."""
        return self.url_root

    @cached
    def host_url(self) -> str:
        """Scheme and host, with a trailing slash."""
        return uri_to_iri(f"{self.scheme}://{self.host}/")

    @property
    def remote_user(self) -> str | None:
        """The environ's ``REMOTE_USER``: who the server authenticated, if anyone.

        Under ASGI the environ is the one built from the scope, which has it
        only when the ``hipflask.environ`` scope extension supplies it (the
        test client does, from ``environ_base``); otherwise None.
        """
        return self.environ.get("REMOTE_USER")

    def _server_flag(self, key: str, asgi: bool) -> bool:
        """The environ's ``wsgi.*`` flag ``key`` as a bool (``asgi`` for ASGI)."""
        value = self.environ.get(key)
        if value is None and self._scope is not None:
            return asgi
        return bool(value)

    @property
    def is_multithread(self) -> bool:
        """Whether other threads may run the app at once (``wsgi.multithread``).

        True under ASGI: the adapter runs sync views in worker threads.
        """
        return self._server_flag("wsgi.multithread", True)

    @property
    def is_multiprocess(self) -> bool:
        """Whether other processes may run the app (``wsgi.multiprocess``).

        False under ASGI: a server's worker processes are not announced there.
        """
        return self._server_flag("wsgi.multiprocess", False)

    @property
    def is_run_once(self) -> bool:
        """Whether the process serves one request only (``wsgi.run_once``, CGI).

        False under ASGI: ASGI servers are long-running.
        """
        return self._server_flag("wsgi.run_once", False)

    @property
    def is_secure(self) -> bool:
        """Whether the request came over TLS."""
        return self.scheme in ("https", "wss")

    @cached
    def access_route(self) -> list[str]:
        """X-Forwarded-For addresses, else the remote address."""
        forwarded = self.headers.get("X-Forwarded-For")
        if forwarded:
            return [part.strip() for part in forwarded.split(",") if part.strip()]
        return [self.remote_addr] if self.remote_addr else []

    # -- query and cookies ---------------------------------------------------

    @cached
    def args(self) -> ImmutableMultiDict[str, str]:
        """The parsed query string."""
        storage = self.parameter_storage_class
        if storage is not ImmutableMultiDict:
            return storage(parse_qsl(self.query_string))
        query: str | bytes
        if (
            "query_string" in self.__dict__
            or type(self).query_string is not _QUERY_STRING
        ):
            query = self.query_string
        elif self._scope is not None:
            # PERF: query_string's value, without computing and caching it.
            query = self._scope.get("query_string", b"")
        else:
            text = self._environ.get("QUERY_STRING", "")  # type: ignore[union-attr]
            # PERF: an ASCII query is its own UTF-8 reading (no encode, decode).
            query = (
                text if type(text) is str and text.isascii() else text.encode("latin-1")
            )
        # PERF: parsed straight into the multi dict's storage (no pair list).
        args: ImmutableMultiDict[str, str] = _new_dict(ImmutableMultiDict)
        lists = parse_qs_lists(query)
        if lists:
            _dict_update(args, lists)
        return args

    @cached
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The cookies the client sent."""
        # PERF: the Cookie field straight from the environ or the scope, without
        # building the headers view (the scope's fields joined as that view joins
        # a repeated Cookie field).
        scope = self._scope
        environ = self._environ
        header: str | None
        if scope is None and environ is not None:
            header = environ.get("HTTP_COOKIE")
        elif scope is not None and "headers" not in self.__dict__:
            # PERF: the Cookie fields from_asgi found, in any case, joined.
            field = self._cookie_field
            header = field.decode("latin-1") if field is not None else None
        else:
            header = self.headers.get("Cookie")
        return self.parameter_storage_class(parse_cookie(header))

    # -- content metadata ----------------------------------------------------

    @property
    def content_type(self) -> str | None:
        """The Content-Type header."""
        scope = self._scope
        if scope is None:
            environ = self._environ
            if environ is not None:
                # PERF: straight from the environ, without the headers view.
                return environ.get("CONTENT_TYPE") or None
        elif "headers" not in self.__dict__:
            # PERF: straight from the scope, without the headers view.
            return self._scope_content_headers[0]
        return self.headers.get("Content-Type")

    @cached
    def content_length(self) -> int | None:
        """The Content-Length header as an int (None when absent or invalid)."""
        scope = self._scope
        if scope is None:
            environ = self._environ
            if environ is not None:
                return _content_length(environ.get("CONTENT_LENGTH"))
        elif "headers" not in self.__dict__:
            return _content_length(self._scope_content_headers[1])
        return _content_length(self.headers.get("Content-Length"))

    @cached
    def _scope_content_headers(self) -> tuple[str | None, str | None]:
        scope = self._scope
        return _scope_content_headers(scope if scope is not None else {})

    @cached
    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        return parse_options_header(self.content_type or "")

    @property
    def mimetype(self) -> str:
        """The lower-cased mimetype, without parameters."""
        return self._parsed_content_type[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters, e.g. ``{"charset": "utf-8"}``."""
        return self._parsed_content_type[1]

    @property
    def want_form_data_parsed(self) -> bool:
        """Whether a Content-Type was sent (Werkzeug parses form data only then).

        Read from the environ under WSGI and from the scope's fields under ASGI.
        """
        return bool(self.content_type)

    @property
    def content_encoding(self) -> str | None:
        """The Content-Encoding header."""
        return self.headers.get("Content-Encoding")

    @property
    def is_json(self) -> bool:
        """Whether the mimetype is ``application/json`` or ``application/*+json``."""
        mt = self.mimetype
        return mt == "application/json" or (
            mt.startswith("application/") and mt.endswith("+json")
        )

    # -- body ----------------------------------------------------------------

    def _make_stream(self) -> t.Any:
        read = self.__dict__.get("_body_read")
        if read is not None:
            # The body was read without the stream (see _read_declared): the
            # stream it would have been, where that read left it.
            return LimitedStream._exhausted(
                self.environ["wsgi.input"], self.content_length, read
            )
        if self.shallow:
            raise RuntimeError(
                "This request is shallow: reading its body is not allowed."
            )
        length = self.content_length
        limit = self.max_content_length
        # The same 413 (naming the limit) as LimitedStream and SpooledBody give
        # for the bytes they read, so both protocols answer alike.
        if limit is not None and length is not None and length > limit:
            raise _too_large(limit)
        if self._scope is not None:
            body = self._body
            if type(body) is SpooledBody and body.too_large:
                # Held at the app's limit: complete it if this request's limit
                # was raised since (else its size raises 413 below).
                body._raise_limit(limit)
            if limit is not None and getattr(body, "size", 0) > limit:
                raise _too_large(limit)
            return body
        environ = self.environ
        return LimitedStream(
            environ["wsgi.input"],
            length,
            max_content_length=limit,
            is_terminated=bool(environ.get("wsgi.input_terminated")),
        )

    @cached
    def stream(self) -> t.Any:
        """The body as a read-only binary stream."""
        return self._make_stream()

    @property
    def input_stream(self) -> t.Any:
        """The raw WSGI input (or the ASGI body)."""
        if self._scope is not None:
            return self._body
        return self.environ.get("wsgi.input")

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """Read the body (once; cached unless ``cache`` is false)."""
        data: bytes | None = self.__dict__.get("_cached_data")
        if data is None:
            if parse_form_data:
                self._load_form_data()
            data = self.stream.read()
            if cache:
                self.__dict__["_cached_data"] = data
        if as_text:
            return data.decode(errors="replace")
        return data

    @property
    def data(self) -> bytes:
        """The raw body, unless it was form data (then it is consumed: b"")."""
        return t.cast(bytes, self.get_data(parse_form_data=True))

    def _stream_for_parsing(self) -> t.Any:
        cached_data = self.__dict__.get("_cached_data")
        if cached_data is not None:
            from io import BytesIO

            return BytesIO(cached_data)
        return self.stream

    def _load_form_data(self) -> None:
        """Parse the body as form data (once); fills ``form`` and ``files``."""
        fields = self.__dict__
        if "form" in fields:
            return
        if self.content_type == _URLENCODED:
            # PERF: the usual header, exactly, needs no parsing.
            mimetype: str = _URLENCODED
            options: dict[str, str] = {}
        else:
            mimetype, options = self._parsed_content_type
            mimetype = mimetype.lower()
        if self.shallow:
            raise RuntimeError(
                "A shallow request tried to consume form data. If you really want"
                " to do that, set `shallow` to False."
            )
        if (
            mimetype == _URLENCODED
            and self.parameter_storage_class is ImmutableMultiDict
            and "stream" not in fields
            and "_body_read" not in fields
            and "_cached_data" not in fields
        ):
            lists = self._read_urlencoded()
            if lists is not None:
                fields["form"] = ImmutableMultiDict._from_lists(lists)
                fields["files"] = _NO_FILES
                return
        if mimetype in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        ):
            source = (
                self._body_in_memory() if mimetype == "multipart/form-data" else None
            )
            form, files = parse_form(
                self._stream_for_parsing() if source is None else source,
                mimetype,
                options,
                self.content_length,
                max_form_memory_size=self.max_form_memory_size,
                max_form_parts=self.max_form_parts,
                max_content_length=self.max_content_length,
            )
        else:
            form, files = MultiDict(), MultiDict()
        storage = self.parameter_storage_class
        if storage is ImmutableMultiDict:
            # PERF: freeze the freshly parsed dicts without copying pair by pair.
            self.__dict__["form"] = ImmutableMultiDict._adopt(form)
            self.__dict__["files"] = (
                ImmutableMultiDict._adopt(files) if files else _NO_FILES
            )
        else:
            self.__dict__["form"] = storage(form)
            self.__dict__["files"] = storage(files)

    def _read_urlencoded(self) -> dict[str, list[str]] | None:
        """The urlencoded body as name -> values, when it fits every limit.

        PERF: the common form post, a body whose size is known and within
        ``max_content_length`` and ``max_form_memory_size``, is read whole (under
        WSGI with the reads ``LimitedStream`` would make, under ASGI from the
        received body) and parsed in one pass, without the general form
        parser's layers; the limits, errors and results are the same. Returns
        None when the size is unknown or over a limit: the general path then
        decides (and raises).
        """
        length = self.content_length
        if self._scope is None:
            if length is None:
                # Chunked or unknown: the stream's own limits apply.
                return None
            size = length
        else:
            body = self._body
            if type(body) is not SpooledBody or body.too_large:
                return None
            # PERF: the exact class, so its size without the property's call.
            size = body._size
            if length is not None and length > size:
                size = length
        max_length, limit, max_parts = self._form_limits()
        if max_length is not None and (limit is None or max_length < limit):
            limit = max_length
        if limit is not None and size > limit:
            return None
        if self._scope is not None:
            # The stream is the body (what _make_stream returns within limits).
            self.__dict__["stream"] = body
            data = body.read()
        elif size <= CHUNK_SIZE:
            data = self._read_declared(size)
        else:
            data = self.stream.read()
        return parse_urlencoded_lists(data, max_parts)

    def _body_in_memory(self) -> bytes | None:
        """The whole body, to parse in memory; None to stream it instead.

        A body not read yet, of at most ``DEFAULT_SPOOL_THRESHOLD`` bytes (the
        2.5 MiB an ASGI body is held in memory up to) and within
        ``max_content_length``: under WSGI, with a declared length, it is read
        in one go; under ASGI it is the received body, unless that moved to a
        temporary file. The multipart parser then keeps its files in memory
        too (see :mod:`~hipflask.http.forms`). Anything else (no length, over
        a limit, partly read, on disk) is streamed and its limits raise there.
        """
        fields = self.__dict__
        data: bytes | None = fields.get("_cached_data")
        if data is not None:
            return data
        if "stream" in fields or "_body_read" in fields:
            return None
        limit = self.max_content_length
        length = self.content_length
        if length is not None and limit is not None and length > limit:
            return None
        if self._scope is None:
            if length is None or length > DEFAULT_SPOOL_THRESHOLD:
                return None
            return self._read_declared(length)
        body = self._body
        if type(body) is not SpooledBody or body.too_large or not body._finished:
            return None
        if limit is not None and body._size > limit:
            return None
        file = body._file
        if file is None:
            if body._read_whole:
                return None
        elif body.rolled_to_disk or file.closed or file.tell():
            return None
        # The stream is the body, read to its end, as _make_stream would give.
        fields["stream"] = body
        return body.read()

    def _form_limits(self) -> tuple[int | None, int | None, int | None]:
        """``max_content_length``, ``max_form_memory_size`` and ``max_form_parts``."""
        return self.max_content_length, self.max_form_memory_size, self.max_form_parts

    def _read_declared(self, length: int) -> bytes:
        """Read a WSGI body of ``length`` bytes (a small one, or see _body_in_memory).

        PERF: the reads ``LimitedStream`` would make (one, unless the input
        gives less), with its checks and errors, without building the stream;
        ``stream`` is built later, exhausted, if asked for.
        """
        environ = self._environ
        read = (environ if environ is not None else self.environ)["wsgi.input"].read
        chunks: list[bytes] = []
        pos = 0
        try:
            while pos < length:
                want = length - pos
                try:
                    data = read(want)
                except (OSError, ValueError) as error:
                    raise _read_failed(pos, error) from error
                if not data:
                    raise _cut_short(pos, length)
                if len(data) > want:
                    # A misbehaving input gave more than asked: cut it.
                    data = data[:want]
                chunks.append(data)
                pos += len(data)
        finally:
            self.__dict__["_body_read"] = pos
        if len(chunks) == 1:
            return chunks[0]
        return b"".join(chunks)

    @cached
    def form(self) -> ImmutableMultiDict[str, str]:
        """Form fields from a urlencoded or multipart body."""
        self._load_form_data()
        # PERF: a typed local rather than t.cast (a call, and a generic alias
        # built on every call).
        form: ImmutableMultiDict[str, str] = self.__dict__["form"]
        return form

    @cached
    def files(self) -> ImmutableMultiDict[str, FileStorage]:
        """Uploaded files from a multipart body."""
        self._load_form_data()
        files: ImmutableMultiDict[str, FileStorage] = self.__dict__["files"]
        return files

    @cached
    def values(self) -> CombinedMultiDict[str, str]:
        """``args`` and ``form`` combined (only ``args`` for GET)."""
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, self.form])

    # -- JSON ----------------------------------------------------------------

    @property
    def json(self) -> t.Any:
        """The body parsed as JSON (415 when the mimetype is not JSON)."""
        return self.get_json()

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any:
        """Parse the body as JSON.

        Without ``force`` a non-JSON mimetype is an error (415); invalid JSON is a
        400. ``silent`` returns None instead of raising.
        """
        cache_key = "_json_silent" if silent else "_json"
        if cache and cache_key in self.__dict__:
            return self.__dict__[cache_key]
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            rv = self.json_module.loads(data)
        except ValueError as e:
            if not silent:
                return self.on_json_loading_failed(e)
            rv = None
            if cache:
                self.__dict__["_json_silent"] = None
        else:
            if cache:
                self.__dict__["_json"] = self.__dict__["_json_silent"] = rv
        return rv

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """Called when JSON parsing fails: raise 415 or 400 (may be overridden)."""
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request"
                " Content-Type was not 'application/json'."
            )
        raise BadRequest(f"Failed to decode JSON object: {e}")

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Close uploaded files and the body."""
        files = self.__dict__.get("files")
        if files:
            for values in files.listvalues():
                for value in values:
                    value.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        try:
            url = self.url
        except Exception:
            url = "(invalid URL)"
        return f"<{type(self).__name__} {url!r} [{self.method}]>"


# The base class's descriptor, which Request.args reads around when a subclass
# leaves it in place.
_QUERY_STRING = Request.__dict__["query_string"]

#: Classes whose ``close()`` is this one: it only closes uploaded files, so it
#: has nothing to do before ``files`` was read. The request context skips the
#: call then (PERF: a method call per request).
FILES_ONLY_CLOSE: set[type[Request]] = {Request}

#: ``Request.from_asgi`` in Python (the function behind the classmethod). When
#: the C helpers are built, their ``request_from_asgi`` takes its place on the
#: class: it builds the classes given to :func:`_from_asgi_in_c` (PERF: one per
#: ASGI request), and calls this function for other classes and odd scopes.
#: ``_from_environ`` (one per WSGI request) is treated the same way.
_PYTHON_FROM_ASGI = Request.__dict__["from_asgi"].__func__
#: ``Request._from_environ`` in Python, likewise (``request_from_environ``).
_PYTHON_FROM_ENVIRON = Request.__dict__["_from_environ"].__func__
_C_FROM_ASGI: set[type[Request]] = set()


def _from_asgi_in_c(cls: type[Request]) -> None:
    """Let the C helpers build ``cls`` in ``from_asgi``: a subclass that keeps
    Request's fields (TypeError when it does not). Nothing without them."""
    if speedups is not None:
        add_class(
            _C_FROM_ASGI,
            cls,
            speedups.configure_requests,
            _C_FROM_ASGI,
            _PYTHON_FROM_ASGI,
            EMPTY_STREAM,
            _BODYLESS,
            Request,
            _PYTHON_FROM_ENVIRON,
        )


if speedups is not None:
    _from_asgi_in_c(Request)
    type.__setattr__(Request, "from_asgi", classmethod(speedups.request_from_asgi))
    type.__setattr__(
        Request, "_from_environ", classmethod(speedups.request_from_environ)
    )
