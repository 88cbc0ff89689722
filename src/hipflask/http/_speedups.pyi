from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

def parse_query_lists(text: str, /) -> dict[str, list[str]] | None: ...
def add_new_field(
    fields: list[tuple[str, str]], name: str, value: str, /
) -> bool | None: ...
def scan_send_rules(
    fields: list[tuple[str, str]], /
) -> tuple[bool, str | None, str | None] | None: ...
def scan_asgi_fields(
    fields: object, bodied: bool, /
) -> (
    tuple[bytes | None, bool, bytes | None, bool | None, str | None, str | None, bool]
    | None
): ...
def encode_asgi_fields(
    fields: list[tuple[str, str]], /
) -> list[tuple[bytes, bytes]] | None: ...
def new_instance(cls: type[_T], /) -> _T: ...
def request_from_asgi(cls: Any, scope: Any, body: Any = ..., /) -> Any: ...
def request_from_environ(cls: Any, environ: Any, /) -> Any: ...
def configure_requests(
    classes: set[type],
    from_asgi: object,
    empty_stream: object,
    bodyless: frozenset[str],
    base: type,
    from_environ: object,
    /,
) -> None: ...
def new_request_context(app: Any, request: Any, /) -> Any: ...
def configure_contexts(
    request_context: type,
    app_context: type,
    cv_app: object,
    cv_request: object,
    files_only_close: set[type],
    signals: tuple[object, object, object, object],
    push: object,
    pop: object,
    g_class: type,
    /,
) -> None: ...
def configure_response(
    prepare: object, no_body_statuses: frozenset[int], /
) -> None: ...
def text_response(
    cls: type[_T], text: str, mimetype: str | None = None, status: int | None = None, /
) -> _T: ...
def plain_response(
    text: str, mimetype: str, /
) -> tuple[int, str, list[tuple[str, str]], list[bytes]]: ...
def configure_text_response(
    classes: set[type],
    text_response: object,
    plain_response: object,
    base: type,
    headers_class: type,
    init: object,
    content_types: dict[str, str],
    status_lines: dict[int, str],
    size_texts: tuple[str, ...],
    /,
) -> None: ...
def serve_wsgi(app: Any, environ: Any, start_response: Any, /) -> Any: ...
def configure_wsgi(
    request_class: type,
    serve_wsgi: object,
    send_response: object,
    cv_app_get: object,
    cv_request_get: object,
    /,
) -> None: ...
def app_call(
    python_call: Callable[..., Any],
    wsgi_app: object,
    asgi_app: object,
    serve_asgi: Callable[..., Any],
    /,
) -> Any: ...
def configure_app(
    handle_direct: object,
    response_class: type,
    json_response: object,
    request_started: object,
    request_finished: object,
    respond: object,
    respond_descriptor: object,
    chain_class: type,
    flask_class: type,
    http_exception: type,
    page_parts: object,
    make_response: object,
    /,
) -> None: ...
def configure_routing(
    match_request: object,
    map_class: type,
    error_steps: tuple[object, object, object, object],
    error_classes: tuple[type, type, type, type],
    unraised_routing_error: object,
    /,
) -> None: ...
def configure_headers(setitem: object, /) -> None: ...
def configure_signals(signal_class: type, /) -> None: ...
def page_parts(error: object, /) -> Any: ...
def configure_page_parts(
    python: object,
    made: dict[Any, Any],
    http_exception: type,
    phrases: dict[int, str],
    content_type: tuple[str, str],
    response_class: type,
    /,
) -> None: ...
def configure_proxies(
    cv_app: object,
    cv_request: object,
    own_names: frozenset[str],
    g_special_names: frozenset[str],
    no_app_message: str,
    no_request_message: str,
    g_first_set: object,
    cv_websocket: object,
    no_websocket_message: str,
    /,
) -> None: ...

# Method descriptors of object: Headers.__setitem__ (see header_structures.py),
# Response._prepare (see response.py), RequestContext.push and pop (see ctx.py),
# Flask._handle_direct and _respond (see app.py) and the proxies' attribute
# hooks (see globals.py).
headers_setitem: Callable[[object, object, object], None]
response_prepare: Callable[..., tuple[int, list[tuple[str, str]], Any]]
ctx_push: Callable[[object], None]
ctx_pop: Callable[..., None]
handle_direct: Callable[[object, object], Any]
respond: Callable[[object, object, object, object], Any]
match_request: Callable[[object, object], None]
unraised_routing_error: Callable[[object, object, object], Any]
request_getattribute: Callable[[object, str], Any]
app_getattribute: Callable[[object, str], Any]
websocket_getattribute: Callable[[object, str], Any]
g_getattribute: Callable[[object, str], Any]
g_setattr: Callable[[object, str, object], None]
