"""The debug error page: a read-only report of an unhandled exception.

When it is served
-----------------
As in Flask, the page belongs to the development server, not to the app: the
test client keeps seeing exceptions raised (Flask's own suite relies on that,
with ``DEBUG`` on and ``TESTING`` off). The development server wraps the app in
:class:`DebuggedApplication`, which marks every request (the environ key
:data:`DEBUGGER_KEY`; under ASGI, the ``hipflask.environ`` scope extension). An
unhandled exception then gets the page, status 500, when

1. the request carries that mark (it came through :class:`DebuggedApplication`),
2. ``app.debug`` is on when the error happens, and
3. the app would let the exception propagate to the server:
   ``PROPAGATE_EXCEPTIONS``, or, when that is None (the default), debug or
   testing mode. With debug on and ``PROPAGATE_EXCEPTIONS`` left None this
   is always the case.

The page is made in one of two places, both only on the error path:

- in the pipeline (:meth:`Flask._handle_exception <hipflask.app.Flask>`), with
  the live request, so form field names that the view read are shown; the
  exception is logged and teardown functions see it, as when it propagates;
- in :class:`DebuggedApplication`, for an exception that escaped the app
  anyway (WSGI/ASGI middleware, teardown, URL matching), with a request
  rebuilt from the environ or scope, as long as no response was started.
  Otherwise the exception goes on to the server.

With debug off the wrapper only passes requests through: the app answers with
its plain 500 page and logs the traceback (``app.log_exception``), or, with
``PROPAGATE_EXCEPTIONS`` set, the exception goes on to the server.

What the page shows, and what it never does
-------------------------------------------
The exception chain in Python's order (causes and contexts first, cycles
cut), every frame with its source context and its local variables, a
request summary, and the plain traceback in a read-only textarea. Frames in
the standard library, in site-packages and in hipflask are folded
(``<details>``); application frames are open.

The page is inert: no script, no form, no link, no asset from the network
(one inline style sheet), and a Content-Security-Policy that forbids them all
anyway. Every piece of text is HTML-escaped. Locals go through a
:class:`reprlib.Repr` that bounds size and depth; a ``__repr__`` that fails
leaves a placeholder. Frames, locals, chained exceptions and text are capped.
Secrets: a :class:`~hipflask.config.Config` is never expanded; values whose
name looks sensitive (secret, password, token, cookie, authorization, ...) are
hidden in locals, mappings, pairs and headers; the app's ``SECRET_KEY`` (and
any other config value with such a name) is hidden as a value and blanked
inside any text of the page (when it has four characters or more).
"""

from __future__ import annotations

import asyncio.coroutines
import builtins
import html
import inspect
import linecache
import logging
import os
import re
import reprlib
import sys
import sysconfig
import traceback
import typing as t
from collections.abc import Iterable, Mapping
from functools import cache
from itertools import islice
from types import FrameType

from .config import Config
from .globals import _cv_app
from .http.header_structures import Headers
from .http.request import Request as _HTTPRequest

if t.TYPE_CHECKING:
    from .wrappers import Response

__all__ = [
    "DEBUGGER_KEY",
    "DebuggedApplication",
    "render_debug_page",
    "render_debug_response",
    "served_with_debugger",
]

#: Environ key (ASGI: key in the ``hipflask.environ`` scope extension) that
#: marks a request served through :class:`DebuggedApplication`.
DEBUGGER_KEY = "hipflask.debugger"

#: Frames shown per exception: the outermost ``_HEAD_FRAMES`` and the innermost rest.
MAX_FRAMES = 50
_HEAD_FRAMES = 10
#: Exceptions shown from one chain (the newest ones).
MAX_CHAIN = 8
#: Locals shown per frame, and in all on one page.
MAX_LOCALS = 40
MAX_LOCALS_TOTAL = 1000
#: Characters of one local's repr, one header value, one source line.
MAX_REPR = 300
MAX_VALUE = 300
MAX_LINE = 300
#: Characters of the exception message in the heading, and of the plain traceback.
MAX_MESSAGE = 5000
MAX_TEXT = 200_000
#: Source lines shown around the current line.
CONTEXT_LINES = 5
#: Headers and parameter names listed in the request summary.
MAX_ITEMS = 60

HIDDEN = "******"
#: A name matching this (anywhere, any case) has its value hidden. Literal
#: alternatives only: matching is linear.
_SENSITIVE = re.compile(
    r"secret|passw|pwd|token|authoriz|cookie|csrf|api[-_]?key|private|credential",
    re.IGNORECASE,
)
_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"
_STATUS = "500 INTERNAL SERVER ERROR"
#: Sent with the page: nothing may load or run, the page is not cached.
PAGE_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none';"
        " form-action 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
)

_logger = logging.getLogger("hipflask.debug")


def _is_sensitive(name: object) -> bool:
    if isinstance(name, bytes):  # ASGI header names
        name = name.decode("latin-1")
    return isinstance(name, str) and _SENSITIVE.search(name) is not None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# -- where frames come from ---------------------------------------------------------


@cache
def _library_roots() -> tuple[str, ...]:
    """Folders whose files are not application code (computed once)."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.add(os.path.dirname(os.path.abspath(__file__)))  # hipflask itself
    roots.update(
        path
        for path in sys.path
        if os.path.basename(path) in ("site-packages", "dist-packages")
    )
    normalized: set[str] = set()
    for root in roots:
        for variant in (os.path.abspath(root), os.path.realpath(root)):
            normalized.add(os.path.join(os.path.normcase(variant), ""))
    return tuple(sorted(normalized))


def is_library_file(filename: str) -> bool:
    """Whether ``filename`` belongs to Python, an installed package or hipflask."""
    if filename.startswith("<"):
        # "<frozen importlib._bootstrap>" is Python's; "<string>", "<template>"
        # are code the application compiled.
        return filename.startswith("<frozen")
    path = os.path.normcase(os.path.abspath(filename))
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return path.startswith(_library_roots())


# -- reprs --------------------------------------------------------------------------


class _SafeRepr(reprlib.Repr):
    """Bounded reprs that never raise and keep sensitive values out."""

    def __init__(self, hidden: frozenset[object]) -> None:
        super().__init__()
        self.hidden = hidden
        self.maxlevel = 3
        self.maxstring = MAX_REPR
        self.maxother = MAX_REPR
        self.maxlong = 80
        self.maxdict = 20
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 20
        self.maxdeque = self.maxarray = 20

    def repr(self, x: object) -> str:
        return _cut(self.repr1(x, self.maxlevel), MAX_REPR)

    def repr1(self, x: object, level: int) -> str:
        # type(x), not isinstance: a proxy must not be asked for its __class__.
        cls = type(x)
        try:
            if (cls is str or cls is bytes) and x in self.hidden:
                return HIDDEN
            if issubclass(cls, Config):
                return f"<{cls.__name__}: {len(x)} keys, values hidden>"  # type: ignore[arg-type]
            if issubclass(cls, Headers):
                pairs = islice(t.cast(Headers, x), self.maxlist)
                shown = [self.repr_tuple(pair, level - 1) for pair in pairs]
                if len(shown) == self.maxlist:
                    shown.append("...")
                return f"{cls.__name__}([{', '.join(shown)}])"
            if issubclass(cls, Mapping):
                return self._mapping(t.cast(Mapping[object, object], x), level)
            if cls is bytes or cls is bytearray:
                data = t.cast(bytes, x)
                text = builtins.repr(data[: self.maxstring])
                return text + "..." if len(data) > self.maxstring else text
            if cls is int and t.cast(int, x).bit_length() > 1000:
                return f"<int of {t.cast(int, x).bit_length()} bits>"
            return super().repr1(x, level)
        except Exception as error:
            return _placeholder(cls, error)

    def repr_instance(self, x: object, level: int) -> str:
        try:
            text = builtins.repr(x)
        except Exception as error:
            return _placeholder(type(x), error)
        return _cut(text, self.maxother)

    def repr_tuple(self, x: tuple[object, ...], level: int) -> str:
        # A (name, value) pair: a header, a form field, an ASGI header.
        if len(x) == 2 and _is_sensitive(x[0]):
            return f"({self.repr1(x[0], level - 1)}, {HIDDEN})"
        return super().repr_tuple(x, level)

    def _mapping(self, x: Mapping[object, object], level: int) -> str:
        cls = type(x)
        if level <= 0:
            inner = "..."
        else:
            items = []
            for key, value in islice(x.items(), self.maxdict):
                shown = HIDDEN if _is_sensitive(key) else self.repr1(value, level - 1)
                items.append(f"{self.repr1(key, level - 1)}: {shown}")
            if len(x) > self.maxdict:
                items.append("...")
            inner = ", ".join(items)
        if cls is dict:
            return f"{{{inner}}}"
        return f"{cls.__name__}({{{inner}}})"


def _placeholder(cls: type, error: BaseException) -> str:
    name = getattr(cls, "__qualname__", "object")
    return f"<unrepresentable {name} object: {type(error).__name__} in repr>"


def _hidden_values(config: Mapping[str, t.Any] | None) -> frozenset[object]:
    """Values of sensitive config keys (``SECRET_KEY``, ...), to blank everywhere."""
    if config is None:
        return frozenset()
    found: set[object] = set()
    try:
        for key, value in config.items():
            if not _is_sensitive(key):
                continue
            values = value if isinstance(value, (list, tuple)) else (value,)
            for item in values:
                if isinstance(item, (str, bytes)) and item:
                    found.add(item)
                    if isinstance(item, str):
                        found.add(item.encode("utf-8", "replace"))
    except Exception:  # a broken config must not break the error page
        pass
    return frozenset(found)


# -- the model ----------------------------------------------------------------------


class _Frame:
    __slots__ = ("filename", "function", "library", "lineno", "lines", "locals", "note")

    def __init__(self, frame: FrameType, lineno: int | None) -> None:
        code = frame.f_code
        self.filename = code.co_filename
        self.function = code.co_name
        self.lineno = lineno
        self.library = is_library_file(self.filename)
        self.lines: list[tuple[int, str]] = []
        self.locals: list[tuple[str, object]] = []
        self.note = ""
        if lineno is not None:
            linecache.checkcache(self.filename)
            source = linecache.getlines(self.filename, frame.f_globals)
            first = max(lineno - CONTEXT_LINES, 1)
            for number in range(first, min(lineno + CONTEXT_LINES, len(source)) + 1):
                text = source[number - 1].rstrip("\r\n").expandtabs(4)
                self.lines.append((number, _cut(text, MAX_LINE)))
        if self.function == "<module>":
            self.note = "Module-level names are not listed."
            return
        try:
            names = dict(frame.f_locals)
        except Exception:
            self.note = "The local variables could not be read."
            return
        self.locals = list(islice(names.items(), MAX_LOCALS))
        if len(names) > MAX_LOCALS:
            self.note = f"{len(names) - MAX_LOCALS} more local variables not shown."


class _Error:
    __slots__ = ("frames", "head", "message", "name", "notes", "omitted", "relation")

    def __init__(self, exc: BaseException, relation: str) -> None:
        self.relation = relation
        cls = type(exc)
        module = getattr(cls, "__module__", None)
        self.name = cls.__qualname__
        if module not in (None, "builtins", "__main__"):
            self.name = f"{module}.{self.name}"
        try:
            self.message = str(exc)
        except Exception:
            self.message = "<exception str() failed>"
        notes = getattr(exc, "__notes__", None)
        self.notes = [str(note) for note in notes] if isinstance(notes, list) else []
        walked = list(traceback.walk_tb(exc.__traceback__))
        self.omitted = max(len(walked) - MAX_FRAMES, 0)
        if self.omitted:
            walked = walked[:_HEAD_FRAMES] + walked[_HEAD_FRAMES + self.omitted :]
        self.head = _HEAD_FRAMES if self.omitted else len(walked)
        self.frames = [_Frame(frame, lineno) for frame, lineno in walked]


def _chain(exc: BaseException) -> tuple[list[_Error], int]:
    """The exceptions to show, oldest first, and how many older ones were cut."""
    newest_first: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            newest_first.append((current, _CAUSE))
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            newest_first.append((current, _CONTEXT))
            current = current.__context__
        else:
            newest_first.append((current, ""))
            current = None
    cut = max(len(newest_first) - MAX_CHAIN, 0)
    shown = newest_first[:MAX_CHAIN]
    return [_Error(error, relation) for error, relation in reversed(shown)], cut


def _plain_traceback(exc: BaseException) -> str:
    try:
        text = "".join(traceback.format_exception(exc))
    except Exception as error:
        text = f"The traceback could not be formatted ({type(error).__name__})."
    if len(text) > MAX_TEXT:
        omitted = len(text) - MAX_TEXT
        text = f"[... {omitted} characters omitted ...]\n" + text[-MAX_TEXT:]
    return text


def _request_rows(request: _HTTPRequest) -> list[tuple[str, str]]:
    """(label, text) rows summarising ``request``; each guarded on its own."""
    rows: list[tuple[str, str]] = [("Method", request.method)]

    def add(label: str, get: t.Callable[[], object]) -> None:
        try:
            value = get()
        except Exception as error:
            value = f"(unavailable: {type(error).__name__})"
        if value is not None:
            rows.append((label, _cut(str(value), MAX_VALUE * 4)))

    add("URL", lambda: request.url)
    add("Remote address", lambda: request.remote_addr)
    rule = getattr(request, "url_rule", None)
    if rule is not None:
        add("Endpoint", lambda: rule.endpoint)
        add("URL rule", lambda: rule.rule)
    add("Query parameters", lambda: _names(request.args.keys()))
    if "form" in request.__dict__:
        add("Form fields", lambda: _names(request.form.keys()))
        add("Files", lambda: _names(request.files.keys()))
    elif request.method not in ("GET", "HEAD", "OPTIONS"):
        rows.append(("Form fields", "(the body was not read as a form)"))
    add("Cookies", lambda: _names(request.cookies.keys()))
    return rows


def _names(keys: Iterable[str]) -> str | None:
    names = sorted(set(islice(keys, MAX_ITEMS * 4)))
    if not names:
        return None
    shown = ", ".join(_cut(name, 80) for name in names[:MAX_ITEMS])
    if len(names) > MAX_ITEMS:
        shown += f", ... ({len(names) - MAX_ITEMS} more)"
    return shown + " (values not shown)"


def _header_rows(request: _HTTPRequest) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    try:
        for name, value in islice(request.headers, MAX_ITEMS):
            if _is_sensitive(name):
                value = f"(hidden, {len(value)} characters)"
            rows.append((name, _cut(value, MAX_VALUE)))
    except Exception as error:
        rows.append(("(headers unavailable)", type(error).__name__))
    return rows


# -- HTML ---------------------------------------------------------------------------

_STYLE = """
body{margin:0;font:15px/1.45 system-ui,sans-serif;color:#1d1d1f;background:#f4f4f6}
header{background:#8b1a1a;color:#fff;padding:18px 28px} main{padding:8px 28px 28px}
h1{margin:0;font-size:22px} h2{font-size:17px;margin:22px 0 8px}
h3{font-size:15px;margin:18px 0 6px} h1,h3,td,th,.message{word-break:break-word}
.message{margin:6px 0 0;white-space:pre-wrap}
.warning{margin:10px 0 0;font-size:13px;opacity:.85}
table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f3;font-weight:600}
code,pre,textarea,.value,.message{font-family:ui-monospace,Menlo,monospace}
details.frame{background:#fff;border:1px solid #d8d8de;border-radius:4px;margin:6px 0}
details.frame>summary{padding:6px 10px;cursor:pointer}
details.library>summary,.file,.note,.chain,footer{color:#666}
pre.source{margin:0;padding:6px 0;background:#fafafa;border-top:1px solid #eee;
overflow-x:auto;font-size:13px}
pre.source span{display:block;padding:0 10px}
pre.source .current{background:#ffe4e1;font-weight:600}
.locals{margin:8px 10px 10px} .note,.chain{font-style:italic;margin:8px 10px}
textarea{width:100%;box-sizing:border-box;height:22em;font-size:12px}
footer{font-size:12px;padding:0 28px 24px}
"""


class _Page:
    """Renders one page; holds the scrubbing and repr state for it."""

    def __init__(self, hidden: frozenset[object]) -> None:
        self.repr = _SafeRepr(hidden)
        self.scrub = sorted(
            (value for value in hidden if isinstance(value, str) and len(value) >= 4),
            key=len,
            reverse=True,
        )
        self.locals_left = MAX_LOCALS_TOTAL
        self.out: list[str] = []

    def text(self, value: str) -> str:
        """Escape ``value`` for HTML, blanking secret values first."""
        for secret in self.scrub:
            value = value.replace(secret, HIDDEN)
        return html.escape(value, quote=True)

    def render(self, exc: BaseException, request: _HTTPRequest | None) -> str:
        errors, cut = _chain(exc)
        last = errors[-1]
        title = self.text(_cut(f"{last.name}: {last.message}", 200))
        out = self.out
        out.append(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="referrer" content="no-referrer">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title} (hipflask debug page)</title>\n"
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<header>\n"
            f"<h1>{self.text(last.name)}</h1>\n"
            f'<p class="message">{self.text(_cut(last.message, MAX_MESSAGE))}</p>\n'
            '<p class="warning">Debug mode is on: this page shows application'
            " internals. Never enable debug mode on a server others can reach."
            " Nothing on this page can run code.</p>\n</header>\n<main>\n"
        )
        self.render_request(request)
        out.append(
            "<h2>Traceback <small>(most recent call last)</small></h2>\n"
            '<section class="traceback">\n'
        )
        if cut:
            out.append(
                f'<p class="chain">{cut} earlier chained exceptions omitted.</p>\n'
            )
        for index, error in enumerate(errors):
            if error.relation and index:
                out.append(f'<p class="chain">{self.text(error.relation)}</p>\n')
            self.render_error(error)
        out.append(
            "</section>\n<h2>Plain traceback</h2>\n"
            '<textarea readonly spellcheck="false" aria-label="Plain traceback">'
            f"{self.text(_plain_traceback(exc))}</textarea>\n</main>\n"
            "<footer>hipflask debug page: read-only; no code can be run from"
            " it.</footer>\n</body>\n</html>\n"
        )
        return "".join(out)

    def render_request(self, request: _HTTPRequest | None) -> None:
        out = self.out
        out.append("<h2>Request</h2>\n")
        if request is None:
            out.append('<p class="note">No request information.</p>\n')
            return
        out.append('<table class="request">\n')
        for label, value in _request_rows(request):
            out.append(
                f'<tr><th>{self.text(label)}</th><td class="value">'
                f"{self.text(value)}</td></tr>\n"
            )
        out.append('</table>\n<h3>Headers</h3>\n<table class="headers">\n')
        for name, value in _header_rows(request):
            out.append(
                f"<tr><th>{self.text(name)}</th>"
                f'<td class="value">{self.text(value)}</td></tr>\n'
            )
        out.append("</table>\n")

    def render_error(self, error: _Error) -> None:
        out = self.out
        out.append(
            f'<div class="exception">\n<h3>{self.text(error.name)}: '
            f"{self.text(_cut(error.message, MAX_MESSAGE))}</h3>\n"
        )
        out.extend(f'<p class="note">{self.text(note)}</p>\n' for note in error.notes)
        if not error.frames:
            out.append('<p class="note">No frames.</p>\n')
        for index, frame in enumerate(error.frames):
            if error.omitted and index == error.head:
                out.append(
                    f'<p class="chain">... {error.omitted} frames omitted ...</p>\n'
                )
            self.render_frame(frame)
        out.append("</div>\n")

    def render_frame(self, frame: _Frame) -> None:
        out = self.out
        kind = "library" if frame.library else "app"
        line = f", line {frame.lineno}" if frame.lineno is not None else ""
        out.append(
            f'<details class="frame {kind}"{"" if frame.library else " open"}>'
            f"<summary><code>{self.text(frame.function)}</code> in "
            f'<span class="file">{self.text(frame.filename)}{line}</span></summary>\n'
        )
        if frame.lines:
            out.append('<pre class="source">')
            for number, text in frame.lines:
                current = ' class="current"' if number == frame.lineno else ""
                out.append(f"<span{current}>{number:>5}  {self.text(text)}</span>")
            out.append("</pre>\n")
        shown = frame.locals[: max(self.locals_left, 0)]
        self.locals_left -= len(shown)
        if shown:
            out.append(
                '<table class="locals">\n<tr><th>Local</th><th>Value</th></tr>\n'
            )
            for name, value in shown:
                text = HIDDEN if _is_sensitive(name) else self.repr.repr(value)
                out.append(
                    f"<tr><td><code>{self.text(name)}</code></td>"
                    f'<td class="value">{self.text(text)}</td></tr>\n'
                )
            out.append("</table>\n")
        if len(shown) < len(frame.locals):
            out.append('<p class="note">Local variables not shown: page limit.</p>\n')
        if frame.note:
            out.append(f'<p class="note">{self.text(frame.note)}</p>\n')
        out.append("</details>\n")


# -- public API ---------------------------------------------------------------------


def render_debug_page(
    exc: BaseException,
    request: _HTTPRequest | None = None,
    config: Mapping[str, t.Any] | None = None,
) -> str:
    """The debug page for ``exc`` as HTML.

    ``config`` supplies the values to blank (default: the current app's).
    """
    if config is None:
        app_ctx = _cv_app.get(None)
        if app_ctx is not None:
            config = app_ctx.app.config
    return _Page(_hidden_values(config)).render(exc, request)


def render_debug_response(
    exc: BaseException, request: _HTTPRequest | None = None
) -> Response:
    """The debug page for ``exc`` as a 500 response with :data:`PAGE_HEADERS`."""
    from .wrappers import Response

    page = render_debug_page(exc, request)
    return Response(page, 500, headers=list(PAGE_HEADERS))


def served_with_debugger(request: _HTTPRequest) -> bool:
    """Whether ``request`` came through :class:`DebuggedApplication`."""
    try:
        return request.environ.get(DEBUGGER_KEY) is True
    except Exception:
        return False


_MISSING: t.Any = object()
_Message = dict[str, t.Any]


class DebuggedApplication:
    """Wrap an app for the development server so errors get the debug page.

    Like the app itself it is a WSGI app (two arguments) and an ASGI app
    (three). It never runs code sent by a browser.
    """

    def __init__(self, app: t.Any) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.app!r}>"

    def __call__(self, first: t.Any, second: t.Any, third: t.Any = _MISSING) -> t.Any:
        """WSGI with two arguments; ASGI (returns a coroutine) with three."""
        if third is _MISSING:
            return self.wsgi_app(first, second)
        return self.asgi_app(first, second, third)

    def _enabled(self) -> bool:
        try:
            return bool(getattr(self.app, "debug", True))
        except Exception:
            return False

    def _page(
        self, exc: BaseException, make_request: t.Callable[[], _HTTPRequest]
    ) -> tuple[bytes, list[tuple[str, str]]]:
        """Log ``exc`` as the app would, and render the page: (body, headers)."""
        try:
            request: _HTTPRequest | None = make_request()
        except Exception:  # a request too broken to describe
            request = None
        method = request.method if request is not None else "?"
        logger = getattr(self.app, "logger", None)
        if not isinstance(logger, logging.Logger):
            logger = _logger
        logger.error(
            "Exception on %s [%s]",
            request.path if request is not None else "?",
            method,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        config = getattr(self.app, "config", None)
        if not isinstance(config, Mapping):
            config = None
        body = render_debug_page(exc, request, config).encode("utf-8", "replace")
        headers = [*PAGE_HEADERS, ("Content-Length", str(len(body)))]
        return (b"" if method == "HEAD" else body), headers

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        """Serve one WSGI request; answer an escaping exception with the page."""
        environ[DEBUGGER_KEY] = True
        try:
            return t.cast("t.Iterable[bytes]", self.app(environ, start_response))
        except Exception as error:
            if not self._enabled():
                raise
            body, headers = self._page(error, lambda: _HTTPRequest(environ))
            # With exc_info the server may replace a response not yet sent.
            start_response(_STATUS, headers, sys.exc_info())
            return [body]

    async def asgi_app(
        self,
        scope: _Message,
        receive: t.Callable[[], t.Awaitable[_Message]],
        send: t.Callable[[_Message], t.Awaitable[None]],
    ) -> None:
        """Serve one ASGI scope; answer an escaping exception with the page."""
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        extensions = dict(scope.get("extensions") or {})
        extra = dict(extensions.get("hipflask.environ") or {})
        extra[DEBUGGER_KEY] = True
        extensions["hipflask.environ"] = extra
        scope = {**scope, "extensions": extensions}
        started = False

        async def tracking_send(message: _Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started or not self._enabled():
                raise
            body, headers = self._page(error, lambda: _HTTPRequest.from_asgi(scope))
            raw = [
                (n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers
            ]
            await send({"type": "http.response.start", "status": 500, "headers": raw})
            await send({"type": "http.response.body", "body": body})


# Servers that guess the interface (uvicorn) see an ASGI app in a __call__ that is
# marked as a coroutine function; called with two arguments it still serves WSGI.
if sys.version_info >= (3, 12):
    inspect.markcoroutinefunction(DebuggedApplication.__call__)
else:
    DebuggedApplication.__call__._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
