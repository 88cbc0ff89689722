"""HTTP errors as Python exceptions, plus ``abort``.

Every class carries a status ``code`` and a default ``description``; raising one
from a view makes the application answer with that status and a small HTML page.
Names, codes, descriptions and the page layout match Werkzeug 3.1, because Flask
applications and Flask's tests read them.

An exception becomes a response only when someone asks: ``get_response`` builds
a :class:`~hipflask.http.response.Response` from ``get_body`` and
``get_headers`` (subclasses add headers such as ``Allow`` or ``Retry-After``),
or returns the response given to the constructor. ``response.py`` imports this
module at load time, so the import of ``Response`` here is done lazily.

``HTTP_STATUS_CODES`` (code -> reason phrase) lives here as well, since both this
module and ``response.py`` need it and this one is imported first.
"""

from __future__ import annotations

import typing as t
from datetime import datetime

from markupsafe import escape

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from .response import Response, StartResponse, WSGIEnvironment

__all__ = [
    "HTTP_STATUS_CODES",
    "Aborter",
    "BadGateway",
    "BadHost",
    "BadRequest",
    "BadRequestKeyError",
    "ClientDisconnected",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestRedirect",
    "RequestTimeout",
    "RequestURITooLarge",
    "RequestedRangeNotSatisfiable",
    "RoutingException",
    "SecurityError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnavailableForLegalReasons",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "abort",
    "default_exceptions",
]

#: Reason phrases by status code (Werkzeug's table and wording).
HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    306: "Switch Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    414: "Request URI Too Long",
    415: "Unsupported Media Type",
    416: "Requested Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a teapot",
    421: "Misdirected Request",
    422: "Unprocessable Entity",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    449: "Retry With",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Failed",
}


_HTML_CONTENT_TYPE = ("Content-Type", "text/html; charset=utf-8")

# The __init__ methods of builtin exceptions that only set ``args``.
_BUILTIN_INITS = frozenset(
    {
        BaseException.__init__,
        Exception.__init__,
        LookupError.__init__,
        KeyError.__init__,
        ValueError.__init__,
        TypeError.__init__,
    }
)


class HTTPException(Exception):
    """Base class of all HTTP errors; also usable as a WSGI application."""

    code: int | None = None
    description: str | None = None
    #: The response given to the constructor, served instead of the page.
    response: Response | None = None
    # Whether the __init__ after this class's in the MRO is the builtin one
    # that only sets ``args`` (no cooperative mixin to call).
    _builtin_base_init: t.ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._builtin_base_init = super().__init__ in _BUILTIN_INITS

    def __init__(
        self, description: str | None = None, response: Response | None = None
    ) -> None:
        # PERF: an exception raised per request (a 404) is made often. The
        # builtin __init__ only resets ``args``, which BaseException.__new__
        # set from the call's positional arguments: call it when there were
        # some, or when a mixin's __init__ follows in the MRO.
        if self.args or not self._builtin_base_init:
            super().__init__()
        if description is not None:
            self.description = description
        if response is not None:
            self.response = response

    @property
    def name(self) -> str:
        """The reason phrase of :attr:`code`, e.g. ``"Not Found"``."""
        return HTTP_STATUS_CODES.get(self.code, "Unknown Error")  # type: ignore[arg-type]

    def get_description(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> str:
        """The description, HTML-escaped, newlines as ``<br>``, in a ``<p>``."""
        description = self.description
        if description is None:
            return "<p></p>"
        return f"<p>{_html(description).replace(chr(10), '<br>')}</p>"

    def get_body(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> str:
        """The HTML error page."""
        name = _html(self.name)
        return (
            "<!doctype html>\n"
            "<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description(environ)}\n"
        )

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        """The response headers for the error page."""
        return [_HTML_CONTENT_TYPE]

    def get_response(
        self,
        environ: WSGIEnvironment | t.Any | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> Response:
        """The response for this error: the one given at construction, or the page.

        ``environ`` may be a WSGI environ or a request object with ``environ``.
        """
        if self.response is not None:
            return self.response
        return self._page(_response_class or _load_response_class(), environ, scope)

    def _page(
        self,
        response_class: type[Response],
        environ: WSGIEnvironment | t.Any | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> Response:
        """:meth:`get_response`'s page, made as ``response_class``."""
        if environ is not None:
            environ = _get_environ(environ)
        cls = type(self)
        # PERF: the base class's headers are a constant; subclasses that add
        # some (Allow, WWW-Authenticate...) are asked.
        headers = (
            None
            if cls.get_headers is _BASE_GET_HEADERS
            else self.get_headers(environ, scope)
        )
        code = self.code
        description = self.description
        if (
            cls.get_body is _BASE_GET_BODY
            and cls.get_description is _BASE_GET_DESCRIPTION
            and cls.name is _BASE_NAME
            and type(code) is int
            and (description is None or type(description) is str)
        ):
            # PERF: the standard page depends on the code, its phrase and the
            # description only; it is made once per triple (up to a fixed
            # number of them, with short descriptions).
            key = (code, HTTP_STATUS_CODES.get(code), description)
            body = _page_cache.get(key)
            if body is None:
                body = self.get_body(environ, scope)
                if len(_page_cache) < 256 and (
                    description is None or len(description) <= 1024
                ):
                    _page_cache[key] = body
        else:
            body = self.get_body(environ, scope)
        if headers is None:
            if type(code) is int and response_class.default_mimetype == "text/html":
                # response_class(body, code), its usual case made directly.
                page: Response = _make_text_response(response_class, body, None, code)
                return page
            return response_class(body, code, [_HTML_CONTENT_TYPE])
        if (
            headers
            and headers[0] == _HTML_CONTENT_TYPE
            and response_class.default_mimetype == "text/html"
            and type(code) is int
        ):
            # PERF: the standard page: let Response build its own header list,
            # then add what this error adds (Allow, Retry-After, ...).
            response: Response = _make_text_response(response_class, body, None, code)
            for name, value in headers[1:]:
                response.headers.add(name, value)
            return response
        return response_class(body, code, headers)

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Serve the error response as a WSGI application."""
        return self.get_response(environ)(environ, start_response)

    def __str__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = self.code if self.code is not None else "???"
        return f"<{type(self).__name__} '{code}: {self.name}'>"


_BASE_GET_RESPONSE = HTTPException.get_response
_BASE_PAGE = HTTPException._page
_BASE_GET_HEADERS = HTTPException.get_headers
_BASE_GET_BODY = HTTPException.get_body
_BASE_GET_DESCRIPTION = HTTPException.get_description
_BASE_NAME = HTTPException.__dict__["name"]


def _standard_page(cls: type[HTTPException]) -> bool:
    """Whether ``cls`` makes the base class's page: none of the methods it is
    made by is its own."""
    return (
        cls.get_response is _BASE_GET_RESPONSE
        and cls._page is _BASE_PAGE
        and cls.get_headers is _BASE_GET_HEADERS
        and cls.get_body is _BASE_GET_BODY
        and cls.get_description is _BASE_GET_DESCRIPTION
        and cls.name is _BASE_NAME
    )


# The standard pages by (code, description), see HTTPException.get_response.
_page_cache: dict[tuple[int, str | None, str | None], str] = {}

# response.py imports this module, so Response is imported on first use.
# PERF: remembered here; an import statement per error page costs ~1 µs.
_response_class: type[Response] | None = None


#: ``hipflask.http.response.text_response`` (set by that module, which imports
#: this one): how a page is made as ``response_class(body, code)``.
_make_text_response: t.Any = None


def _load_response_class() -> type[Response]:
    global _response_class
    from .response import Response

    _response_class = Response
    return Response


_html_cache: dict[str, str] = {}


def _html(text: str) -> str:
    """``text`` HTML-escaped (markupsafe's rules, which Werkzeug's pages use)."""
    # PERF: error pages repeat the same few names and descriptions; remember
    # short ones, up to a fixed number of entries.
    if type(text) is not str:
        # Markup is left as it is, and must not share a cache entry with the
        # equal plain string (which is escaped).
        return str(escape(text))
    escaped = _html_cache.get(text)
    if escaped is None:
        escaped = str(escape(text))
        if len(text) <= 1024 and len(_html_cache) < 512:
            _html_cache[text] = escaped
    return escaped


def _get_environ(obj: t.Any) -> WSGIEnvironment:
    environ = getattr(obj, "environ", obj)
    if not isinstance(environ, dict):
        raise TypeError(
            f"{type(obj).__name__!r} is not a WSGI environment (has to be a dict)"
        )
    return environ


class BadRequest(HTTPException):
    """400: the request could not be understood."""

    code = 400
    description = (
        "The browser (or proxy) sent a request that this server could not understand."
    )


class BadRequestKeyError(BadRequest, KeyError):
    """Both a ``KeyError`` and a 400; raised by the request's data views."""

    _description: str | None = BadRequest.description
    #: Name the missing key in the description (useful while debugging only).
    show_exception = False

    def __init__(self, arg: object | None = None, *args: t.Any, **kwargs: t.Any):
        super().__init__(*args, **kwargs)
        if arg is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, arg)

    @property  # type: ignore[override]
    def description(self) -> str | None:
        if self.show_exception:
            return f"{self._description}\n{KeyError.__name__}: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value


class ClientDisconnected(BadRequest):
    """400: the client went away while its request was being read."""


class SecurityError(BadRequest):
    """400: something in the request tripped a security check."""


class BadHost(BadRequest):
    """400: the request's host is malformed or not trusted."""


class Unauthorized(HTTPException):
    """401: authentication is required; ``www_authenticate`` sets the challenge."""

    code = 401
    description = (
        "The server could not verify that you are authorized to access"
        " the URL requested. You either supplied the wrong credentials"
        " (e.g. a bad password), or your browser doesn't understand"
        " how to supply the credentials required."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: t.Any = None,
    ) -> None:
        super().__init__(description, response)
        # A single challenge object (or string) is wrapped; an iterable of them
        # becomes one header each.
        if www_authenticate is not None and (
            isinstance(www_authenticate, str)
            or not hasattr(type(www_authenticate), "__iter__")
        ):
            www_authenticate = (www_authenticate,)
        self.www_authenticate: Iterable[t.Any] | None = www_authenticate

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.www_authenticate:
            headers.extend(("WWW-Authenticate", str(x)) for x in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    """403: authenticated, but not allowed."""

    code = 403
    description = (
        "You don't have the permission to access the requested"
        " resource. It is either read-protected or not readable by the"
        " server."
    )


class NotFound(HTTPException):
    """404: no such resource."""

    code = 404
    description = (
        "The requested URL was not found on the server. If you entered"
        " the URL manually please check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """405: the resource exists but not for this method; sets ``Allow``."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.valid_methods = valid_methods

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    """406: nothing matches the request's ``Accept`` headers."""

    code = 406
    description = (
        "The resource identified by the request is only capable of"
        " generating response entities which have content"
        " characteristics not acceptable according to the accept"
        " headers sent in the request."
    )


class RequestTimeout(HTTPException):
    """408: the client took too long to send its request."""

    code = 408
    description = (
        "The server closed the network connection because the browser"
        " didn't finish the request within the specified time."
    )


class Conflict(HTTPException):
    """409: the request conflicts with the resource's current state."""

    code = 409
    description = (
        "A conflict happened while processing the request. The"
        " resource might have been modified while the request was being"
        " processed."
    )


class Gone(HTTPException):
    """410: the resource existed but is gone for good."""

    code = 410
    description = (
        "The requested URL is no longer available on this server and"
        " there is no forwarding address. If you followed a link from a"
        " foreign page, please contact the author of this page."
    )


class LengthRequired(HTTPException):
    """411: a body was sent without a usable ``Content-Length``."""

    code = 411
    description = (
        "A request with this method requires a valid <code>Content-"
        "Length</code> header."
    )


class PreconditionFailed(HTTPException):
    """412: an ``If-Match`` / ``If-Unmodified-Since`` condition failed."""

    code = 412
    description = (
        "The precondition on the request for the URL failed positive evaluation."
    )


class RequestEntityTooLarge(HTTPException):
    """413: the request body exceeds a limit."""

    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    """414: the URL exceeds a limit."""

    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for"
        " this server. The request cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    """415: the request body's media type is not handled."""

    code = 415
    description = (
        "The server does not support the media type transmitted in the request."
    )


class RequestedRangeNotSatisfiable(HTTPException):
    """416: the requested range lies outside the resource; sets ``Content-Range``."""

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description=description, response=response)
        self.length = length
        self.units = units

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    """417: the ``Expect`` header cannot be met."""

    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    """418: the server is a teapot (RFC 2324)."""

    code = 418
    description = "This server is a teapot, not a coffee machine"


class MisdirectedRequest(HTTPException):
    """421: this server cannot answer for the requested authority."""

    code = 421
    description = "The server is not able to produce a response."


class UnprocessableEntity(HTTPException):
    """422: well-formed but semantically invalid."""

    code = 422
    description = (
        "The request was well-formed but was unable to be followed due"
        " to semantic errors."
    )


class Locked(HTTPException):
    """423: the resource is locked."""

    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    """424: an action this one depended on failed."""

    code = 424
    description = (
        "The method could not be performed on the resource because the"
        " requested action depended on another action and that action"
        " failed."
    )


class PreconditionRequired(HTTPException):
    """428: the request must be conditional."""

    code = 428
    description = (
        "This request is required to be conditional; try using"
        ' "If-Match" or "If-Unmodified-Since".'
    )


class _RetryAfter(HTTPException):
    """Adds ``retry_after`` (seconds or a datetime) as a ``Retry-After`` header."""

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(
        self,
        environ: WSGIEnvironment | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> list[tuple[str, str]]:
        headers = super().get_headers(environ, scope)
        if self.retry_after:
            if isinstance(self.retry_after, datetime):
                from .headers import http_date

                value = http_date(self.retry_after)
            else:
                value = str(self.retry_after)
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """429: rate limit exceeded."""

    code = 429
    description = "This user has exceeded an allotted request count. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    """431: one header, or all of them together, is too large."""

    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    """451: withheld because of a legal demand."""

    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """500: the application failed; ``original_exception`` keeps the cause."""

    code = 500
    description = (
        "The server encountered an internal error and was unable to"
        " complete your request. Either the server is overloaded or"
        " there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description=description, response=response)


class NotImplemented(HTTPException):  # shadows the builtin, as in Werkzeug
    """501: the action is not supported."""

    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    """502: an upstream server answered with garbage."""

    code = 502
    description = (
        "The proxy server received an invalid response from an upstream server."
    )


class ServiceUnavailable(_RetryAfter):
    """503: temporarily unavailable."""

    code = 503
    description = (
        "The server is temporarily unable to service your request due"
        " to maintenance downtime or capacity problems. Please try"
        " again later."
    )


class GatewayTimeout(HTTPException):
    """504: an upstream server timed out."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """505: the request's HTTP version is not supported."""

    code = 505
    description = (
        "The server does not support the HTTP protocol version used in the request."
    )


class RoutingException(Exception):
    """Base of the exceptions the router raises to steer the request."""


class RequestRedirect(HTTPException, RoutingException):
    """308 to ``new_url`` (e.g. the canonical URL with a trailing slash)."""

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_response(
        self,
        environ: WSGIEnvironment | t.Any | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> Response:
        from .response import redirect

        return redirect(self.new_url, self.code)


#: Status code -> exception class, for the standard errors (not redirects).
default_exceptions: dict[int, type[HTTPException]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        RequestTimeout,
        Conflict,
        Gone,
        LengthRequired,
        PreconditionFailed,
        RequestEntityTooLarge,
        RequestURITooLarge,
        UnsupportedMediaType,
        RequestedRangeNotSatisfiable,
        ExpectationFailed,
        ImATeapot,
        MisdirectedRequest,
        UnprocessableEntity,
        Locked,
        FailedDependency,
        PreconditionRequired,
        TooManyRequests,
        RequestHeaderFieldsTooLarge,
        UnavailableForLegalReasons,
        InternalServerError,
        NotImplemented,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
        HTTPVersionNotSupported,
    )
}


class Aborter:
    """Raise the exception registered for a status code, or wrap a response."""

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra is not None:
            self.mapping.update(extra)

    def __call__(
        self, code_or_response: int | t.Any, *args: t.Any, **kwargs: t.Any
    ) -> t.NoReturn:
        if not isinstance(code_or_response, int) and _is_response(code_or_response):
            raise HTTPException(response=code_or_response)
        if code_or_response not in self.mapping:
            raise LookupError(f"no exception for {code_or_response!r}")
        raise self.mapping[code_or_response](*args, **kwargs)


def _is_response(obj: object) -> bool:
    # Ours, a subclass, or a response from another toolkit (e.g. Werkzeug's,
    # handed over by an extension): all carry a status code and headers.
    return hasattr(obj, "status_code") and hasattr(obj, "headers")


def abort(status: int | t.Any, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the :class:`HTTPException` for ``status``, or wrap a response in one.

    ``abort(404)`` raises :class:`NotFound`; ``abort(Response("x", 418))`` raises
    an exception whose ``get_response()`` returns that response. Extra arguments
    go to the exception's constructor.
    """
    _aborter(status, *args, **kwargs)


_aborter: Aborter = Aborter()
