"""Type aliases for annotating application code, with ``flask.typing``'s names.

``def index() -> ResponseReturnValue`` says a view returns anything
:meth:`~hipflask.Flask.make_response` accepts; the ``...Callable`` aliases say
what each decorator takes. Hooks, handlers and views may be sync or async, so
each callable's result is written as "the value, or an awaitable of it".

Names that only the type checker needs (``Response``, ``Headers``, the WSGI
application type) are forward references, so the unions that name them are
spelled with ``typing.Union``.
"""

from __future__ import annotations

import typing as t
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from .http.datastructures import Headers
    from .http.response import Response

__all__ = [
    "AfterRequestCallable",
    "AppOrBlueprintKey",
    "BeforeFirstRequestCallable",
    "BeforeRequestCallable",
    "ErrorHandlerCallable",
    "HeaderValue",
    "HeadersValue",
    "ResponseClass",
    "ResponseReturnValue",
    "ResponseValue",
    "RouteCallable",
    "ShellContextProcessorCallable",
    "TeardownCallable",
    "TemplateContextProcessorCallable",
    "TemplateFilterCallable",
    "TemplateGlobalCallable",
    "TemplateTestCallable",
    "URLDefaultCallable",
    "URLValuePreprocessorCallable",
]

_T = t.TypeVar("_T")
#: A result, or an awaitable of it: what a sync or an async callable gives.
_SyncOrAsync = t.Union[_T, Awaitable[_T]]  # noqa: UP007 (an alias mypy reads)

#: A response body: a Response, text, bytes, JSON data or an iterable of chunks.
ResponseValue = t.Union[
    "Response",
    str,
    bytes,
    list[t.Any],
    Mapping[str, t.Any],
    Iterator[str],
    Iterator[bytes],
    AsyncIterable[str],
    AsyncIterable[bytes],
]
#: One header's value: a string, or several.
HeaderValue = str | list[str] | tuple[str, ...]
#: Headers as a view may return them.
HeadersValue = t.Union[
    "Headers", Mapping[str, HeaderValue], Sequence[tuple[str, HeaderValue]]
]
#: What a view may return: a body, optionally with a status and/or headers, or a
#: WSGI application.
ResponseReturnValue = t.Union[
    ResponseValue,
    tuple[ResponseValue, int],
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, int, HeadersValue],
    "WSGIApplication",
]
#: The application's response class (``after_request`` hooks get and return it).
ResponseClass = t.TypeVar("ResponseClass", bound="Response")
#: Keys of the per-scope registries: None for the app, else a blueprint's name.
AppOrBlueprintKey = str | None

AfterRequestCallable = Callable[[ResponseClass], _SyncOrAsync[ResponseClass]]
BeforeFirstRequestCallable = Callable[[], _SyncOrAsync[None]]
BeforeRequestCallable = Callable[[], _SyncOrAsync[ResponseReturnValue | None]]
ErrorHandlerCallable = Callable[[t.Any], _SyncOrAsync[ResponseReturnValue]]
RouteCallable = Callable[..., _SyncOrAsync[ResponseReturnValue]]
ShellContextProcessorCallable = Callable[[], dict[str, t.Any]]
TeardownCallable = Callable[[BaseException | None], _SyncOrAsync[None]]
TemplateContextProcessorCallable = Callable[[], _SyncOrAsync[dict[str, t.Any]]]
TemplateFilterCallable = Callable[..., t.Any]
TemplateGlobalCallable = Callable[..., t.Any]
TemplateTestCallable = Callable[..., bool]
URLDefaultCallable = Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = Callable[[str | None, dict[str, t.Any] | None], None]
