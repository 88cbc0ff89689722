"""The response object: status, headers, body iterable, and their HTTP rules.

A :class:`Response` is three plain pieces of state: a status (``_status_code``
int plus ``_status`` line), a :class:`~hipflask.http.datastructures.Headers`
and ``response``, the body iterable. A ``str`` or ``bytes`` body is stored as a
one-element list of bytes with ``Content-Length`` set; any other iterable is
kept as given and streamed. Everything else (typed header views, cookies,
ETags, conditional requests) reads and writes those three pieces on demand.

Construction is the hot path (``Response("hello")`` runs per request), so the
common case builds the header list directly and adopts it without validation.

Leaving for a server goes through one protocol-neutral step, :meth:`_prepare`,
which returns ``(status_code, header_list, body_iterable)`` after the rules
Werkzeug applies in ``get_wsgi_headers`` / ``get_app_iter``:

* ``Location`` / ``Content-Location`` IRIs are encoded to URIs; ``Location`` is
  made absolute only if :attr:`Response.autocorrect_location_header` is set;
* 1xx and 204 drop ``Content-Length``; 304 drops the entity headers;
* a list body without ``Content-Length`` gets one;
* HEAD, 1xx, 204 and 304 send no body.

The WSGI ``__call__``, the adapters and Werkzeug's ``get_wsgi_headers`` /
``get_app_iter`` / ``get_wsgi_response`` are built on it (the application
itself calls ``_prepare``, so overriding those three changes only what they
return, not what is served). :attr:`Response.stream` is a write-only file
whose writes append to a list body. Typed header attributes
(cookies, dates, ``cache_control``...) come from
:class:`~hipflask.http.response_headers.ResponseHeaderViews`; conditional
requests and byte ranges (:meth:`Response.make_conditional`) from
:mod:`hipflask.http.conditional`.
"""

from __future__ import annotations

import json
import re
import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from itertools import chain
from types import TracebackType
from urllib.parse import quote, urljoin

from markupsafe import escape

from . import exceptions as _exceptions
from . import urls as _urls
from ._native import add_class, new_instance, speedups
from .conditional import make_conditional as _make_conditional
from .datastructures import Headers
from .exceptions import HTTP_STATUS_CODES
from .headers import generate_etag
from .response_headers import ResponseHeaderViews, _content_types, get_content_type

__all__ = ["Response", "ResponseStream", "get_content_type", "redirect"]

WSGIEnvironment = dict[str, t.Any]
_R = t.TypeVar("_R", bound="Response")


class StartResponse(t.Protocol):
    """The WSGI ``start_response`` callable."""

    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: t.Any = ...,
        /,
    ) -> Callable[[bytes], object]: ...


WSGIApplication = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

# PERF: bound once; adopts a header list the framework built, unchecked.
_trusted_headers = Headers._from_trusted_list
_new_object = new_instance

#: Content-Length values of small bodies, made once: ``str()`` of an int costs
#: more than the rest of building a short response's header list.
_SIZE_TEXT: tuple[str, ...] = tuple(map(str, range(2048)))
_SIZES_KEPT = len(_SIZE_TEXT)

#: What a fixed-body response sends, without the object: status code, status
#: line, header list (Content-Type and Content-Length first, then any others),
#: body. The pipeline returns one when nothing can observe the Response it
#: would otherwise build (see ``Flask._handle``).
PlainResponse = tuple[int, str, list[tuple[str, str]], list[bytes]]


def _plain_response(text: str, mimetype: str) -> PlainResponse:
    """What ``Response(text, mimetype=mimetype)`` sends: 200, type and length
    (:data:`plain_response` in Python)."""
    data = text.encode()
    size = len(data)
    return (
        200,
        "200 OK",
        [
            (
                "Content-Type",
                _content_types.get(mimetype) or get_content_type(mimetype),
            ),
            ("Content-Length", _SIZE_TEXT[size] if size < _SIZES_KEPT else str(size)),
        ],
        [data],
    )


# "200 OK"-style status lines for the known codes, as Werkzeug spells them.
_STATUS_LINES: dict[int, str] = {
    code: f"{code} {phrase.upper()}" for code, phrase in HTTP_STATUS_CODES.items()
}

# Statuses whose responses never carry a body (RFC 9110 6.4.1).
_NO_BODY_STATUSES = frozenset([*range(100, 200), 204, 304])

# Entity headers a 304 must not repeat (Werkzeug's list minus Expires and
# Content-Location, which RFC 9110 15.4.5 lets a 304 carry).
_304_DROPPED = frozenset(
    [
        "allow",
        "content-encoding",
        "content-language",
        "content-length",
        "content-md5",
        "content-range",
        "content-type",
        "last-modified",
    ]
)

# The lengths of the names _prepare looks for: Location, Content-Length,
# Content-Location.
_RULE_NAME_SIZES = frozenset([8, 14, 16])
#: The C version of the scan ``Response._prepare`` makes, when built.
_c_scan_send_rules: (
    t.Callable[[list[tuple[str, str]]], tuple[bool, str | None, str | None] | None]
    | None
) = speedups.scan_send_rules if speedups is not None else None

# A Location made of these characters only (unreserved, sub-delims, ":/?#@%")
# is already a URI and is sent as given. (Werkzeug would still lowercase its
# scheme and host, which mean the same to a client.)
_URI_SAFE = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,/:;=@?#]*").fullmatch


def _clean_status(value: object) -> tuple[str, int]:
    """Turn an int or a ``"404"`` / ``"404 Not Found"`` string into (line, code)."""
    if isinstance(value, int):
        code = int(value)
    elif isinstance(value, str):
        value = value.strip()
        if not value:
            raise ValueError("Empty status argument")
        code_str, sep, _ = value.partition(" ")
        try:
            code = int(code_str)
        except ValueError:
            # A phrase without a code, kept as Werkzeug does.
            return f"0 {value}", 0
        if sep:
            return value, code
    else:
        raise TypeError(
            f"Invalid status argument {value!r}: expected an int or a string"
            " like '404' or '404 Not Found'."
        )
    line = _STATUS_LINES.get(code)
    return (line if line is not None else f"{code} UNKNOWN"), code


def _text_response(
    cls: type[_R], text: str, mimetype: str | None = None, status: int | None = None
) -> _R:
    """``cls(text, status, mimetype=mimetype)``, each argument passed when not
    None (:data:`text_response` in Python).

    PERF: a class that keeps :class:`Response`'s ``__init__`` is filled here as
    its constructor's fast path would, without the class call and its argument
    checks (a str returned while after-request hooks run, ``jsonify``, an
    error page). A ``__new__`` of the class is not called: Response defines
    none.
    """
    if cls.__init__ is _response_init:
        if mimetype is None:
            mimetype = cls.default_mimetype
        code = cls.default_status if status is None else status
        line = _STATUS_LINES.get(code) if type(code) is int else None
        if (
            mimetype is not None
            and line is not None
            and cls.automatically_set_content_length
        ):
            response = _new_object(cls)
            data = text.encode()
            size = len(data)
            response.headers = fields = _new_object(Headers)
            fields._list = [
                (
                    "Content-Type",
                    _content_types.get(mimetype) or get_content_type(mimetype),
                ),
                (
                    "Content-Length",
                    _SIZE_TEXT[size] if size < _SIZES_KEPT else str(size),
                ),
            ]
            response._status = line
            response._status_code = code
            response.response = [data]
            return response
    if status is None:
        return cls(text, mimetype=mimetype)
    if mimetype is None:
        return cls(text, status)
    return cls(text, status, mimetype=mimetype)


def _iter_encoded(iterable: Iterable[str | bytes]) -> Iterator[bytes]:
    for item in iterable:
        yield item.encode() if isinstance(item, str) else item


class Response(ResponseHeaderViews):
    """An HTTP response: status, headers and a body iterable.

    ``response`` may be a str (encoded UTF-8), bytes, or an iterable of either
    (streamed). ``status`` is an int or a status line; ``headers`` a
    :class:`Headers`, a list of pairs or a mapping. ``mimetype`` gets a UTF-8
    charset when it is a text type; ``content_type`` is used verbatim.
    """

    #: Status used when none is given.
    default_status = 200
    #: Mimetype used when neither a mimetype nor a Content-Type is given.
    default_mimetype: str | None = "text/html"
    #: Make a relative ``Location`` absolute when sending (off, as in Flask).
    autocorrect_location_header = False
    #: Set ``Content-Length`` whenever the body length is known.
    automatically_set_content_length = True
    #: Let ``get_data()`` and friends buffer a streamed body into a list.
    implicit_sequence_conversion = True
    #: Send the body iterable untouched (no encoding, no buffering).
    direct_passthrough = False
    #: Module providing ``loads``/``dumps`` for :meth:`get_json`.
    json_module: t.Any = json

    # PERF: the four fields every response sets live in slots, so a plain
    # response allocates no instance dict (subclasses and extra attributes
    # still get one).
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_status",
        "_status_code",
        "headers",
        "response",
    )

    headers: Headers
    #: The body: a list of bytes for a fixed body, any other iterable to stream.
    response: Iterable[bytes | str]
    _status: str
    _status_code: int
    # Close callbacks; the class-level empty tuple spares a list per response.
    _on_close: list[Callable[[], t.Any]] | tuple[()] = ()

    def __init__(
        self,
        response: Iterable[bytes | str] | bytes | str | None = None,
        status: int | str | HTTPStatus | None = None,
        headers: Headers
        | Mapping[str, str | Iterable[str]]
        | Iterable[tuple[str, str]]
        | None = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if (
            type(response) is str
            and headers is None
            and content_type is None
            and not direct_passthrough
            and (status is None or type(status) is int)
        ):
            # PERF: Response("text"), Response("text", 404) and JSON responses
            # (a mimetype), the commonest calls, in a straight line. The fields
            # are set as text_response sets them (a shared helper would cost
            # both a call); tests hold the two to the same result.
            if mimetype is None:
                mimetype = self.default_mimetype
            code = self.default_status if status is None else status
            line = _STATUS_LINES.get(code) if type(code) is int else None
            if (
                mimetype is not None
                and line is not None
                and self.automatically_set_content_length
            ):
                data = response.encode()
                size = len(data)
                # PERF: Headers._from_trusted_list's two steps, without its call.
                self.headers = fields = _new_object(Headers)
                fields._list = [
                    (
                        "Content-Type",
                        _content_types.get(mimetype) or get_content_type(mimetype),
                    ),
                    (
                        "Content-Length",
                        _SIZE_TEXT[size] if size < _SIZES_KEPT else str(size),
                    ),
                ]
                self._status = line
                self._status_code = code
                self.response = [data]
                return
        # PERF: with no headers given we build the list ourselves and let
        # Headers adopt it unvalidated; only user-supplied headers are checked.
        header_list: list[tuple[str, str]] | None
        if headers is None:
            if content_type is None:
                if mimetype is None:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    content_type = _content_types.get(mimetype) or get_content_type(
                        mimetype
                    )
            header_list = (
                [("Content-Type", content_type)] if content_type is not None else []
            )
            self.headers = _trusted_headers(header_list)
        else:
            header_list = None
            self.headers = h = (
                headers if isinstance(headers, Headers) else Headers(headers)
            )
            if content_type is None:
                if mimetype is None and "content-type" not in h:
                    mimetype = self.default_mimetype
                if mimetype is not None:
                    content_type = get_content_type(mimetype)
            if content_type is not None:
                h.set("Content-Type", content_type)

        if status is None:
            status = self.default_status
        # PERF: exact ints with a known phrase skip _clean_status.
        line = _STATUS_LINES.get(status) if type(status) is int else None
        if line is not None:
            self._status = line
            self._status_code = status  # type: ignore[assignment]
        else:
            self._status, self._status_code = _clean_status(status)

        if direct_passthrough:
            self.direct_passthrough = True

        if response is None:
            self.response = []
        elif isinstance(response, (str, bytes, bytearray)):
            data = response.encode() if isinstance(response, str) else bytes(response)
            self.response = [data]
            if self.automatically_set_content_length:
                if header_list is not None:
                    header_list.append(("Content-Length", str(len(data))))
                else:
                    self.headers.set("Content-Length", str(len(data)))
        else:
            self.response = response

    def __repr__(self) -> str:
        if self.is_sequence:
            body = f"{sum(map(len, self.iter_encoded()))} bytes"
        else:
            body = "streamed" if self.is_streamed else "likely-streamed"
        return f"<{type(self).__name__} {body} [{self._status}]>"

    # -- status ---------------------------------------------------------------

    @property
    def status(self) -> str:
        """The status line, e.g. ``"200 OK"``."""
        return self._status

    @status.setter
    def status(self, value: int | str | HTTPStatus) -> None:
        self._status, self._status_code = _clean_status(value)

    @property
    def status_code(self) -> int:
        """The status code as an int."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status, self._status_code = _clean_status(code)

    # -- body -----------------------------------------------------------------

    @t.overload
    def get_data(self, as_text: t.Literal[False] = False) -> bytes: ...
    @t.overload
    def get_data(self, as_text: t.Literal[True]) -> str: ...
    @t.overload
    def get_data(self, as_text: bool) -> bytes | str: ...
    def get_data(self, as_text: bool = False) -> bytes | str:
        """The whole body as bytes (or str); buffers a streamed body first."""
        self._ensure_sequence()
        body = self.response
        if type(body) is list and len(body) == 1 and type(body[0]) is bytes:
            data: bytes = body[0]
        else:
            data = b"".join(self.iter_encoded())
        return data.decode() if as_text else data

    def set_data(self, value: bytes | str) -> None:
        """Replace the body with ``value`` and set ``Content-Length``."""
        data = value.encode() if isinstance(value, str) else bytes(value)
        self.response = [data]
        if self.automatically_set_content_length:
            self.headers.set("Content-Length", str(len(data)))

    data = property(get_data, set_data, doc="The body, via get_data / set_data.")

    def calculate_content_length(self) -> int | None:
        """The body length, or None if the body cannot be buffered."""
        try:
            self._ensure_sequence()
        except RuntimeError:
            return None
        return sum(len(chunk) for chunk in self.iter_encoded())

    def _ensure_sequence(self, mutable: bool = False) -> None:
        """Buffer a streamed body into a list, if that is allowed."""
        if self.is_sequence:
            if mutable and not isinstance(self.response, list):
                self.response = list(t.cast("Iterable[bytes]", self.response))
            return
        if self.direct_passthrough:
            raise RuntimeError(
                "Attempted implicit sequence conversion but the response object"
                " is in direct passthrough mode."
            )
        if not self.implicit_sequence_conversion:
            raise RuntimeError(
                "The response object required the iterable to be a sequence, but"
                " the implicit conversion was disabled. Call make_sequence()"
                " yourself."
            )
        self.make_sequence()

    def make_sequence(self) -> None:
        """Buffer the body iterable into a list of bytes (closing it later)."""
        if not self.is_sequence:
            close = getattr(self.response, "close", None)
            self.response = list(self.iter_encoded())
            if close is not None:
                self.call_on_close(close)

    def iter_encoded(self) -> Iterator[bytes]:
        """Iterate over the body as bytes."""
        return _iter_encoded(self.response)

    @property
    def is_streamed(self) -> bool:
        """True if the body has no known length (e.g. a generator)."""
        try:
            len(self.response)  # type: ignore[arg-type]
        except (TypeError, AttributeError):
            return True
        return False

    @property
    def is_sequence(self) -> bool:
        """True if the body is buffered (a list or tuple)."""
        return isinstance(self.response, (list, tuple))

    @property
    def stream(self) -> ResponseStream:
        """A write-only file whose writes append to the body (one per response)."""
        stream: ResponseStream | None = self.__dict__.get("_stream")
        if stream is None:
            stream = self.__dict__["_stream"] = ResponseStream(self)
        return stream

    def freeze(self) -> None:
        """Buffer the body, set ``Content-Length`` and add an ETag (for caching)."""
        self.response = body = list(self.iter_encoded())
        self.headers.set("Content-Length", str(sum(map(len, body))))
        self.add_etag()

    def call_on_close(self, func: Callable[[], t.Any]) -> Callable[[], t.Any]:
        """Run ``func`` when the response is closed; returns ``func``."""
        if type(self._on_close) is tuple:
            self._on_close = []
        self._on_close.append(func)  # type: ignore[union-attr]
        return func

    def close(self) -> None:
        """Close the body iterable (if it can be) and run the close callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close:
            func()

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- JSON -----------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """True for ``application/json`` and ``application/*+json``."""
        mt = self.mimetype
        return mt is not None and (
            mt == "application/json"
            or (mt.startswith("application/") and mt.endswith("+json"))
        )

    @property
    def json(self) -> t.Any | None:
        """The body parsed as JSON if the mimetype says JSON, else None."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any | None:
        """Parse the body as JSON (None if not JSON, unless ``force``).

        With ``silent``, a parse error gives None instead of raising.
        """
        if not (force or self.is_json):
            return None
        data = self.get_data()
        try:
            return self.json_module.loads(data)
        except ValueError:
            if not silent:
                raise
            return None

    # -- constructing from elsewhere --------------------------------------------

    @classmethod
    def force_type(
        cls, response: t.Any, environ: WSGIEnvironment | None = None
    ) -> Response:
        """Make ``response`` an instance of ``cls``.

        A :class:`Response` is re-classed in place; any other WSGI callable is
        run against ``environ`` and its output collected.
        """
        if isinstance(response, Response):
            forced = response
        elif environ is None:
            raise TypeError(
                "cannot convert WSGI application into response objects"
                " without an environ"
            )
        else:
            forced = Response(*_run_wsgi_app(response, environ))
        forced.__class__ = cls
        return forced

    @classmethod
    def from_app(
        cls, app: WSGIApplication, environ: WSGIEnvironment, buffered: bool = False
    ) -> Response:
        """Run a WSGI application and wrap its output in a response."""
        return cls(*_run_wsgi_app(app, environ, buffered))

    # -- sending ----------------------------------------------------------------

    def _prepare(
        self, method: str, current_url: str | Callable[[], str] | None = None
    ) -> tuple[int, list[tuple[str, str]], Iterable[bytes]]:
        """Return ``(status_code, headers, body)`` ready to send for ``method``.

        ``headers`` is the response's own header list when nothing needs fixing
        (do not mutate it). ``current_url`` (or a callable giving it) is only
        used when :attr:`autocorrect_location_header` is set. The caller must
        call :meth:`close` once the body is sent.
        """
        code = self._status_code
        header_list = self.headers._list
        body = self.response
        scanned = _c_scan_send_rules(header_list) if _c_scan_send_rules else None
        if scanned is not None:
            has_length, location, content_location = scanned
        else:
            location = content_location = None
            has_length = False
            for name, value in header_list:
                # PERF: one length test rules out most names, without lower().
                if len(name) in _RULE_NAME_SIZES:
                    lower = name.lower()
                    if lower == "content-length":
                        has_length = True
                    elif lower == "location":
                        location = value
                    elif lower == "content-location":
                        content_location = value

        no_body_status = code in _NO_BODY_STATUSES
        if location is not None or content_location is not None or no_body_status:
            header_list = self._fixed_headers(
                header_list, code, location, content_location, current_url
            )
        if (
            not has_length
            and not no_body_status
            and self.automatically_set_content_length
            and (type(body) is list or isinstance(body, (list, tuple)))
        ):
            body = [x.encode() if isinstance(x, str) else x for x in body]
            if header_list is self.headers._list:
                header_list = header_list.copy()
            header_list.append(("Content-Length", str(sum(map(len, body)))))

        if no_body_status or method == "HEAD":
            return code, header_list, ()
        if self.direct_passthrough:
            return code, header_list, body  # type: ignore[return-value]
        if type(body) is list:
            for item in body:
                if type(item) is not bytes:
                    return code, header_list, list(_iter_encoded(body))
            return code, header_list, body
        if hasattr(body, "__aiter__"):
            # An async iterable body is for the ASGI adapter to drain as is.
            return code, header_list, body  # type: ignore[return-value]
        return code, header_list, _iter_encoded(body)

    def _fixed_headers(
        self,
        header_list: list[tuple[str, str]],
        code: int,
        location: str | None,
        content_location: str | None,
        current_url: str | Callable[[], str] | None,
    ) -> list[tuple[str, str]]:
        """A copy of ``header_list`` with the sending rules applied."""
        if location is not None:
            location = _iri_to_uri(location)
            if self.autocorrect_location_header and current_url is not None:
                if callable(current_url):
                    current_url = current_url()
                location = urljoin(_iri_to_uri(current_url), location)
        if content_location is not None:
            content_location = _iri_to_uri(content_location)
        drop: frozenset[str] | tuple[str, ...] = ()
        if code == 304:
            drop = _304_DROPPED
        elif code in _NO_BODY_STATUSES:
            drop = ("content-length",)
        # The (last) value replaces the first field of that name; repeats go.
        replace = {"location": location, "content-location": content_location}
        fixed: list[tuple[str, str]] = []
        for name, value in header_list:
            lower = name.lower()
            if lower in drop:
                continue
            if lower in replace:
                new_value = replace[lower]
                if new_value is None:
                    continue
                replace[lower] = None
                value = new_value
            fixed.append((name, value))
        return fixed

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """A copy of the headers as sent for ``environ`` (see :meth:`_prepare`)."""
        _, header_list, _ = self._prepare(
            environ.get("REQUEST_METHOD", "GET"), lambda: _wsgi_current_url(environ)
        )
        return _trusted_headers(header_list.copy())

    def get_app_iter(self, environ: WSGIEnvironment) -> Iterable[bytes]:
        """The body as sent for ``environ``: empty for HEAD, 1xx, 204 and 304.

        Closing the result (if it has ``close``) does what :meth:`close` does.
        """
        _, _, body = self._prepare(environ.get("REQUEST_METHOD", "GET"))
        return self._wsgi_body(body)

    def get_wsgi_response(
        self, environ: WSGIEnvironment
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        """``(app_iter, status_line, header_list)`` as sent for ``environ``."""
        _, header_list, body = self._prepare(
            environ.get("REQUEST_METHOD", "GET"), lambda: _wsgi_current_url(environ)
        )
        return self._wsgi_body(body), self._status, header_list.copy()

    def _wsgi_body(self, body: Iterable[bytes]) -> Iterable[bytes]:
        """``body`` (from :meth:`_prepare`) as a WSGI iterable closing the response.

        The same rule as :meth:`__call__`: the body iterable itself when closing
        it is all that closing the response would do.
        """
        if self._on_close or (
            body is not self.response and hasattr(self.response, "close")
        ):
            return _ClosingIterator(body, self.close)
        return body

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve this response as a WSGI application."""
        _, headers, body = self._prepare(
            environ["REQUEST_METHOD"], lambda: _wsgi_current_url(environ)
        )
        # A copy: some servers (wsgiref) append to the list they are given.
        start_response(self._status, headers.copy())
        if self._on_close:
            return _ClosingIterator(body, self.close)
        if body is self.response:
            # The server closes it (and may use its file for sendfile).
            return body
        if hasattr(self.response, "close"):
            return _ClosingIterator(body, self.close)
        return body

    # -- ETags and conditional requests -----------------------------------------

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ETag from the SHA-1 of the body, unless one is set already."""
        if overwrite or "etag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def make_conditional(
        self,
        request_or_environ: WSGIEnvironment | t.Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer If-* and Range headers of a GET/HEAD request; returns self.

        May turn the response into a 304, 412 or 206, and raises
        :class:`~hipflask.http.exceptions.RequestedRangeNotSatisfiable` for a
        range it cannot serve. See :mod:`hipflask.http.conditional`.
        """
        _make_conditional(self, request_or_environ, accept_ranges, complete_length)
        return self


class ResponseStream:
    """A write-only binary file over a response's body (``response.stream``).

    Each write appends to the body, which becomes a list first (a streamed
    body is buffered, or RuntimeError as in :meth:`Response.get_data`), and
    drops ``Content-Length``: it is worked out again when the response is sent.
    """

    mode = "wb+"

    def __init__(self, response: Response) -> None:
        self.response = response
        self.closed = False

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def write(self, value: bytes | bytearray | memoryview | str) -> int:
        """Append ``value`` (a str is encoded UTF-8); returns the length written.

        As with Werkzeug and text files, the length of a str is in characters.
        """
        self._check_open()
        if isinstance(value, str):
            data = value.encode()
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
        else:
            raise TypeError(f"write() takes bytes or str, not {type(value).__name__}.")
        response = self.response
        response._ensure_sequence(mutable=True)
        t.cast("list[bytes | str]", response.response).append(data)
        response.headers.remove("Content-Length")
        return len(value) if isinstance(value, str) else len(data)

    def writelines(self, lines: Iterable[bytes | str]) -> None:
        """Write each item of ``lines`` (no separators are added)."""
        for line in lines:
            self.write(line)

    def close(self) -> None:
        """Refuse further writes; the response is not affected."""
        self.closed = True

    def flush(self) -> None:
        """Nothing to flush: writes go straight to the body."""
        self._check_open()

    def isatty(self) -> bool:
        """False: this is no terminal."""
        self._check_open()
        return False

    def tell(self) -> int:
        """The body's length in bytes (buffering a streamed body first)."""
        self.response._ensure_sequence()
        return sum(len(chunk) for chunk in self.response.iter_encoded())

    @property
    def encoding(self) -> str:
        """The encoding applied to written str: always ``"utf-8"``."""
        return "utf-8"


def redirect(
    location: str, code: int = 302, Response: type[Response] | None = None
) -> Response:
    """A response redirecting to ``location`` with a short HTML body.

    ``Response`` chooses the class (default :class:`Response`). Non-ASCII
    locations are sent percent-encoded.
    """
    if Response is None:
        Response = globals()["Response"]
    html_location = escape(location)
    response = Response(
        "<!doctype html>\n"
        "<html lang=en>\n"
        "<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n"
        "<p>You should be redirected automatically to the target URL: "
        f'<a href="{html_location}">{html_location}</a>. If not, click the link.\n',
        code,
        mimetype="text/html",
    )
    response.headers.set("Location", location)
    return response


def _iri_to_uri(value: str) -> str:
    if _URI_SAFE(value):
        return value
    try:
        return _urls.iri_to_uri(value)
    except ValueError:
        # An unusable authority (bad port, bad IDNA label): sending must not
        # fail, so only percent-encode what cannot appear in a URI.
        return quote(value, safe="%!$&'()*+,/:;=?@#[]~")


def _wsgi_current_url(environ: WSGIEnvironment) -> str:
    """The request URL without the query string, rebuilt from a WSGI environ."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and (scheme, port) not in (("http", "80"), ("https", "443")):
            host = f"{host}:{port}"
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    # PEP 3333 strings carry the raw bytes as latin-1.
    path = quote(path.encode("latin-1", "replace"), safe="/:@!$&'()*+,;=%")
    return f"{scheme}://{host}{path}"


class _ClosingIterator:
    """Iterate a WSGI body; ``close()`` runs the response's close."""

    __slots__ = ("_close", "_iterator")

    def __init__(self, iterable: Iterable[bytes], close: Callable[[], None]) -> None:
        self._iterator = iter(iterable)
        self._close = close

    def __iter__(self) -> _ClosingIterator:
        return self

    def __next__(self) -> bytes:
        return next(self._iterator)

    def close(self) -> None:
        self._close()


def _run_wsgi_app(
    app: WSGIApplication, environ: WSGIEnvironment, buffered: bool = False
) -> tuple[Iterable[bytes], str, Headers]:
    """Call a WSGI app; return its body iterable, status line and headers."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> Callable[[bytes], object]:
        if exc_info is not None:
            try:
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        started[:] = [(status, headers)]
        return written.append

    app_rv = app(environ, start_response)
    close = getattr(app_rv, "close", None)
    body: Iterable[bytes] = iter(app_rv)
    if buffered:
        try:
            items = list(body)
            body = [*written, *items]
        finally:
            if close is not None:
                close()
    else:
        # The app may start the response lazily, on its first item.
        sentinel = object()
        while not started:
            item = next(body, sentinel)  # type: ignore[call-overload]
            if item is sentinel:
                break
            written.append(item)
        if written:
            body = chain(written, body)
        if close is not None and body is not app_rv:
            body = _ClosingIterator(body, close)
    if not started:
        raise RuntimeError("The WSGI application did not call start_response.")
    status, headers = started[0]
    return body, status, Headers(headers)


_response_init = Response.__init__

#: ``Response._prepare`` in Python. When the C helpers are built, their
#: ``response_prepare`` takes its place on the class: it answers the usual case
#: (a list of bytes, a Content-Length, no Location, a status with a body, not
#: HEAD) with the same tuple, and calls this method for everything else.
PYTHON_PREPARE = Response._prepare
if speedups is not None:
    speedups.configure_response(PYTHON_PREPARE, _NO_BODY_STATUSES)
    type.__setattr__(Response, "_prepare", speedups.response_prepare)

#: ``text_response(cls, text[, mimetype[, status]])``: ``cls(text, status,
#: mimetype=mimetype)``, the way the pipeline, the JSON providers and the
#: error pages make a text response; and
#: ``plain_response(text, mimetype)``, the parts such a response sends. With
#: the C helpers built, their versions make the usual case (for text_response
#: a class given to :func:`_text_response_in_c`, ``Response.__init__`` kept, a
#: known status; for both a str and a known Content-Type) and call the Python
#: ones, :data:`PYTHON_TEXT_RESPONSE` and :data:`PYTHON_PLAIN_RESPONSE`, for
#: the rest.
PYTHON_TEXT_RESPONSE = _text_response
PYTHON_PLAIN_RESPONSE = _plain_response
_C_TEXT_CLASSES: set[type[Response]] = set()


def _text_response_in_c(cls: type[Response]) -> None:
    """Let the C helpers make ``cls`` in ``text_response``: a subclass that keeps
    Response's fields (TypeError when it does not). Nothing without them."""
    if speedups is not None:
        add_class(
            _C_TEXT_CLASSES,
            cls,
            speedups.configure_text_response,
            _C_TEXT_CLASSES,
            PYTHON_TEXT_RESPONSE,
            PYTHON_PLAIN_RESPONSE,
            Response,
            Headers,
            _response_init,
            _content_types,
            _STATUS_LINES,
            _SIZE_TEXT,
        )


# The standard error pages as sent: (code, description) -> (status line, body,
# Content-Length). Filled as pages are met (a bounded number of them).
_page_parts_made: dict[tuple[int, str | None, str | None], tuple[str, bytes, str]] = {}


def _page_parts(error: _exceptions.HTTPException) -> PlainResponse | None:
    """What the default Response class sends for ``error``'s standard page
    (``error.get_response()``), as parts; None when its page is not the
    standard one (a response of its own, a method of the page overridden, a
    code without a known phrase) or the class does not set Content-Length."""
    cls = type(error)
    code = error.code
    description = error.description
    if (
        error.response is not None
        or type(code) is not int
        or (description is not None and type(description) is not str)
        or not _exceptions._standard_page(cls)
        or not Response.automatically_set_content_length
    ):
        return None
    phrase = HTTP_STATUS_CODES.get(code)
    key = (code, phrase, description)
    made = _page_parts_made.get(key)
    if made is None:
        line = _STATUS_LINES.get(code)
        if line is None or phrase is None:
            return None
        body = error.get_body().encode()
        size = len(body)
        made = (line, body, _SIZE_TEXT[size] if size < _SIZES_KEPT else str(size))
        if len(_page_parts_made) < 256 and (
            description is None or len(description) <= 1024
        ):
            _page_parts_made[key] = made
    line, body, length = made
    return (
        code,
        line,
        [_exceptions._HTML_CONTENT_TYPE, ("Content-Length", length)],
        [body],
    )


#: ``page_parts(error)``: in C when the helpers are built, answering the pages
#: the Python version made before.
PYTHON_PAGE_PARTS = _page_parts
text_response = _text_response
plain_response = _plain_response
page_parts = _page_parts
if speedups is not None:
    _text_response_in_c(Response)
    text_response = speedups.text_response
    plain_response = speedups.plain_response
    speedups.configure_page_parts(
        PYTHON_PAGE_PARTS,
        _page_parts_made,
        _exceptions.HTTPException,
        HTTP_STATUS_CODES,
        _exceptions._HTML_CONTENT_TYPE,
        Response,
    )
    page_parts = speedups.page_parts
_exceptions._make_text_response = text_response
