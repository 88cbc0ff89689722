"""The optional C helpers give what their Python twins give, for every input.

The C query parser is compared with :func:`hipflask.http.urls._parse_text_lists`
on every short string over the characters that matter to it, and on seeded
random longer ones (``HIPFLASK_FUZZ_SCALE`` times more under ``make
fuzz-speedups``); text it leaves to Python must come back as None. The header
helpers are compared with their twins (``request._scan_asgi_fields``) or through
their callers (``headers[name] = value``, ``Response._prepare``, the ASGI
adapter's header encoding): the same fields, results and errors with the C
helper and with it switched off, on generated field lists. ``new_instance`` is
compared with ``object.__new__`` on every kind of argument it may meet.
"""

from __future__ import annotations

import abc
import contextvars
import functools
import gc
import importlib.machinery
import io
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import types
import typing as t
import weakref
from http import HTTPStatus
from pathlib import Path

import pytest

from hipflask import asgi
from hipflask.http import header_structures, request, response, urls

# The module hipflask uses: None where it was not built (see
# test_the_helper_is_built_where_a_compiler_is) or where HIPFLASK_NO_EXTENSIONS
# keeps the Python versions (``make unit-pure`` runs the suite that way).
from hipflask.http._native import speedups
from hipflask.http.datastructures import Headers
from hipflask.http.response import Response

needs_c = pytest.mark.skipif(
    speedups is None, reason="the C helpers are not built or are switched off"
)


def parse_query_lists(text: str) -> dict[str, list[str]] | None:
    return speedups.parse_query_lists(text)


#: What the parser treats specially, plus plain letters and hex digits.
_ALPHABET = "%+&=aF4C"
#: Escapes worth meeting often in longer text: separators, UTF-8 lead and
#: continuation bytes, bytes that are never UTF-8, and broken escapes.
_PIECES = (
    *"ab=&+%",
    "%26",
    "%3D",
    "%3d",
    "%2B",
    "%20",
    "%41",
    "%C3",
    "%A9",
    "%c3%a9",
    "%E2%82%AC",
    "%E2%82",
    "%F0%9F%98%80",
    "%FF",
    "%ED%A0%80",
    "%zz",
    "%4",
    "\x00",
    "\x7f",
)


#: How many times the usual number of generated cases to run: ``make
#: fuzz-speedups`` raises it, with the helpers built under ASan and UBSan.
_SCALE = int(os.environ.get("HIPFLASK_FUZZ_SCALE") or 1)


def _python(text: str) -> dict[str, list[str]]:
    return urls._parse_text_lists(text)


@needs_c
def test_every_short_string_reads_as_in_python() -> None:
    for size in range(6):
        for chars in itertools.product(_ALPHABET, repeat=size):
            text = "".join(chars)
            assert parse_query_lists(text) == _python(text), text


@needs_c
@pytest.mark.parametrize("seed", range(4))
def test_random_queries_read_as_in_python(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(_SCALE * 2_000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(30)))
        result = parse_query_lists(text)
        assert result == _python(text), text
        # Same order of names and of values, not only the same mapping.
        assert result is not None
        assert list(result.items()) == list(_python(text).items()), text


@needs_c
def test_large_input_is_read_whole() -> None:
    text = "&".join(f"k{index % 7}=v%41{index}" for index in range(20_000))
    assert parse_query_lists(text) == _python(text)


@needs_c
def test_non_ascii_text_is_left_to_python() -> None:
    assert parse_query_lists("a=é") is None
    assert parse_query_lists("a=1&b=\udcff") is None
    # parse_qs_lists then reads it in Python, as before.
    assert urls.parse_qs_lists("a=é%C3%A9") == {"a": ["éé"]}


@needs_c
def test_only_str_is_accepted() -> None:
    with pytest.raises(TypeError, match="expected str, not bytes"):
        speedups.parse_query_lists(b"a=1")  # type: ignore[arg-type]


@needs_c
def test_parse_qs_lists_uses_the_c_helper() -> None:
    assert urls._c_parse_query_lists is speedups.parse_query_lists


def test_no_extensions_variable_keeps_the_python_version() -> None:
    code = "from hipflask.http import urls; print(urls._c_parse_query_lists)"
    env = {**os.environ, "HIPFLASK_NO_EXTENSIONS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "None"


def test_the_helper_is_built_where_a_compiler_is() -> None:
    """Guard against a silently failed build: the extension is optional only
    where nothing can compile it."""
    if os.environ.get("HIPFLASK_NO_EXTENSIONS"):
        pytest.skip("HIPFLASK_NO_EXTENSIONS keeps the Python versions")
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) to build the helper with")
    assert speedups is not None, "hipflask.http._speedups was not built"
    assert speedups.__file__ is not None
    assert speedups.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def test_the_built_module_has_every_helper_its_stub_declares() -> None:
    """A stale build (an old module left by a failed rebuild) shows here."""
    if speedups is None:
        pytest.skip("the C helpers are not built or are switched off")
    stub = Path(urls.__file__).with_name("_speedups.pyi").read_text()
    declared = set(re.findall(r"^def (\w+)", stub, re.MULTILINE))
    assert declared == {
        "request_from_environ",
        "request_from_asgi",
        "configure_requests",
        "new_request_context",
        "configure_contexts",
        "configure_headers",
        "configure_response",
        "parse_query_lists",
        "add_new_field",
        "scan_send_rules",
        "scan_asgi_fields",
        "encode_asgi_fields",
        "new_instance",
        "configure_proxies",
        "text_response",
        "plain_response",
        "configure_text_response",
        "serve_wsgi",
        "configure_wsgi",
        "app_call",
        "configure_app",
        "configure_routing",
        "configure_signals",
        "page_parts",
        "configure_page_parts",
    }
    hooks = set(re.findall(r"^(\w+): Callable", stub, re.MULTILINE))
    assert hooks == {
        "ctx_push",
        "ctx_pop",
        "handle_direct",
        "respond",
        "match_request",
        "unraised_routing_error",
        "headers_setitem",
        "response_prepare",
        "request_getattribute",
        "app_getattribute",
        "websocket_getattribute",
        "g_getattribute",
        "g_setattr",
    }
    for name in declared | hooks:
        assert callable(getattr(speedups, name)), name


# -- header fields ----------------------------------------------------------------

#: Names that match each other ignoring case, names the rules look for, and
#: the awkward ones: non-ASCII (the Kelvin sign lowers to an ASCII "k"), unsafe.
_NAMES = (
    "X-A",
    "x-a",
    "X-a",
    "X-B",
    "K",
    "k",
    "\u212a",
    "Ñ",
    "Content-Length",
    "content-length",
    "CONTENT-LENGTH",
    "Location",
    "LOCATION",
    "Content-Location",
    "content-LOCATION",
    "Content-Type",
    "Locatio\u212a",
    "X\nY",
    "X\0",
    "",
)
_VALUES = ("1", "", "a b", "é", "a\nb", "a\rb", "\0", "/x?y", "\u2028")


def _fields(rng: random.Random) -> list[tuple[str, str]]:
    names = [name for name in _NAMES if not any(c in name for c in "\r\n\0")]
    values = [value for value in _VALUES if not any(c in value for c in "\r\n\0")]
    return [(rng.choice(names), rng.choice(values)) for _ in range(rng.randrange(6))]


def _outcome(action: t.Callable[..., t.Any], *args: t.Any) -> tuple[str, t.Any]:
    try:
        return "ok", action(*args)
    except Exception as error:  # the same error type and message either way
        return type(error).__name__, str(error)


def _same_without_c(
    monkeypatch: pytest.MonkeyPatch,
    module: object | None,
    helper: str,
    action: t.Callable[..., t.Any],
    case: tuple[t.Any, ...],
    method: tuple[type, str, t.Callable[..., t.Any]] | None = None,
) -> tuple[str, t.Any]:
    """``action(*case)`` gives the same result or error with ``module.helper``
    (a C helper; no module: none) switched off, and ``method`` (class, name,
    Python method: the C method on the class replaced by its twin); returns
    that outcome."""
    got = _outcome(action, *case)
    if module is not None:
        monkeypatch.setattr(module, helper, None)
    if method is not None:
        monkeypatch.setattr(*method)
    expected = _outcome(action, *case)
    monkeypatch.undo()
    assert got == expected, case
    return got


def _set(fields: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    headers = Headers(fields)
    headers[name] = value
    return headers._list


#: Response bodies for _prepare: what the C method answers (a list of bytes)
#: and what it leaves to Python.
_BODIES: tuple[t.Callable[[], t.Any], ...] = (
    lambda: [b"body"],
    lambda: [b"bo", b"dy"],
    list,
    lambda: ["body"],
    lambda: [b"bo", "dy"],
    lambda: (b"body",),
    lambda: iter([b"body"]),
)


def _prepare(
    fields: list[tuple[str, str]],
    status: int,
    method: str,
    body: int = 0,
    passthrough: bool = False,
    with_url: bool = True,
) -> t.Any:
    sent = Response(b"body", status=status)
    sent.headers = Headers(fields)
    sent.response = _BODIES[body]()
    sent.direct_passthrough = passthrough
    if with_url:
        code, headers, body_out = sent._prepare(method, "http://h/a/b")
    else:
        code, headers, body_out = sent._prepare(method)
    fields_out = list(headers)
    return code, fields_out, headers is sent.headers._list, list(body_out)


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_setting_a_field_is_the_same_with_and_without_c(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Headers.__dict__["__setitem__"] is speedups.headers_setitem
    rng = random.Random(seed)
    values = (*_VALUES, 5, None, b"x")  # the C method hands these to Python
    for _ in range(_SCALE * 1_500):
        case = (_fields(rng), rng.choice(_NAMES), rng.choice(values))
        python = (Headers, "__setitem__", header_structures.PYTHON_SETITEM)
        _same_without_c(
            monkeypatch, header_structures, "_c_add_new_field", _set, case, python
        )


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_preparing_a_response_is_the_same_with_and_without_c(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Response.__dict__["_prepare"] is speedups.response_prepare
    rng = random.Random(seed)
    answered = 0
    for _ in range(_SCALE * 1_500):
        fields = _fields(rng)
        if rng.random() < 0.5:
            fields.append(("Content-Length", "4"))
        case = (
            fields,
            rng.choice((200, 204, 301, 304)),
            rng.choice(("GET", "HEAD", "POST")),
            rng.randrange(len(_BODIES)),
            rng.random() < 0.1,
            rng.random() < 0.5,
        )
        python = (Response, "_prepare", response.PYTHON_PREPARE)
        got = _same_without_c(
            monkeypatch, response, "_c_scan_send_rules", _prepare, case, python
        )
        answered += got[0] == "ok" and got[1][2]  # the fields sent as they are
    assert answered > _SCALE * 200  # the C method's own case came up often


class _Text(str):
    """A str subclass: text_response leaves it to Python."""


def _made(make: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    """What ``make`` gives: the response's class and fields, or the error."""
    try:
        made = make(*args, **kwargs)
    except Exception as error:
        return ("error", type(error), str(error))
    return (
        type(made),
        list(made.headers._list),
        made._status,
        made._status_code,
        type(made._status_code),
        made.response,
        dict(made.__dict__),
    )


def _text_classes() -> list[tuple[str, type, dict[str, t.Any]]]:
    """(name, class, class attributes to set for the case)."""
    from hipflask import wrappers

    class Unregistered(wrappers.Response):
        pass

    def own_init(self: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        response._response_init(self, *args, **kwargs)
        self.seen = True

    classes: list[tuple[str, type, dict[str, t.Any]]] = []
    for cls in (Response, wrappers.Response):
        classes += [
            (f"{cls.__module__}", cls, {}),
            ("no mimetype", cls, {"default_mimetype": None}),
            ("404", cls, {"default_status": 404}),
            ("unknown status", cls, {"default_status": 799}),
            ("status line", cls, {"default_status": "404 NOT FOUND"}),
            ("int subclass", cls, {"default_status": HTTPStatus.NOT_FOUND}),
            ("no length", cls, {"automatically_set_content_length": False}),
            ("own __init__", cls, {"__init__": own_init}),
        ]

    class OwnHeaders(wrappers.Response):
        headers = property(lambda self: None)  # type: ignore[assignment]

    classes.append(("unregistered", Unregistered, {}))
    classes.append(("own headers", OwnHeaders, {}))
    return classes


_TEXTS: tuple[t.Any, ...] = (
    "",
    "x",
    "h\u00e9llo",
    "\ud800",
    "a" * 3000,
    _Text("s"),
    b"b",
)
#: Statuses given to text_response (None: the class's default).
_STATUSES: tuple[t.Any, ...] = (None, 404, 799, "404 NOT FOUND", HTTPStatus.NOT_FOUND)
_MIMETYPES: tuple[t.Any, ...] = (
    None,
    "text/plain",
    "application/json",
    "text/x-not-seen-before",
    "",
    5,
    ["list"],
)


@needs_c
def test_text_responses_made_in_c_are_the_ones_python_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hipflask.http.response import PYTHON_TEXT_RESPONSE

    assert response.text_response is speedups.text_response
    python_calls: list[str] = []

    def count_python(frame: t.Any, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is PYTHON_TEXT_RESPONSE.__code__:
            python_calls.append(frame.f_code.co_name)

    answered: set[tuple[str, t.Any, t.Any]] = set()
    for name, cls, attributes in _text_classes():
        for attribute, value in attributes.items():
            monkeypatch.setattr(cls, attribute, value)
        for text, mimetype, status in itertools.product(_TEXTS, _MIMETYPES, _STATUSES):
            arguments: tuple[t.Any, ...] = (cls, text)
            if status is not None:
                arguments += (mimetype, status)
            elif mimetype is not None:
                arguments += (mimetype,)
            python_calls.clear()
            sys.setprofile(count_python)
            try:
                with_c = _made(speedups.text_response, *arguments)
            finally:
                sys.setprofile(None)
            if not python_calls:
                answered.add((name, text, mimetype, status))
            with_python = _made(PYTHON_TEXT_RESPONSE, *arguments)
            assert with_c == with_python, (name, text, mimetype, status)
            if mimetype is not None:  # by keyword: always the Python function
                by_keyword = _made(
                    speedups.text_response, *arguments[:2], mimetype=mimetype
                )
                expected = _made(PYTHON_TEXT_RESPONSE, *arguments[:2], mimetype)
                assert by_keyword == expected, (name, text, mimetype)
        monkeypatch.undo()
    # The C function made the usual responses itself, and left the rest.
    for case in (
        ("hipflask.http.response", "x", None, None),
        ("hipflask.wrappers", "a" * 3000, "application/json", None),
        ("404", "", "text/plain", None),
        ("no mimetype", "x", "text/plain", None),
        ("hipflask.wrappers", "x", None, 404),
        ("unknown status", "x", None, 404),
    ):
        assert case in answered, case
    for case in (
        ("hipflask.wrappers", "\ud800", None, None),
        ("hipflask.wrappers", _Text("s"), None, None),
        ("no mimetype", "x", None, None),
        ("unregistered", "x", None, None),
        ("int subclass", "x", None, None),
        ("hipflask.wrappers", "x", None, 799),
    ):
        assert case not in answered, case
    assert _made(speedups.text_response, "not a class", "x")[0] == "error"


@needs_c
def test_plain_responses_made_in_c_are_the_ones_python_makes() -> None:
    from hipflask.http.response import PYTHON_PLAIN_RESPONSE

    assert response.plain_response is speedups.plain_response
    answered: set[tuple[t.Any, t.Any]] = set()
    python_calls: list[object] = []

    def count_python(frame: t.Any, event: str, arg: object) -> None:
        if event == "call" and frame.f_code is PYTHON_PLAIN_RESPONSE.__code__:
            python_calls.append(frame)

    for text, mimetype in itertools.product(_TEXTS, _MIMETYPES):
        python_calls.clear()
        sys.setprofile(count_python)
        try:
            with_c = _outcome(speedups.plain_response, text, mimetype)
        finally:
            sys.setprofile(None)
        if not python_calls:
            answered.add((text, mimetype))
        python_calls.clear()  # the frames hold the arguments
        assert with_c == _outcome(PYTHON_PLAIN_RESPONSE, text, mimetype), (
            text,
            mimetype,
        )
        if with_c[0] == "ok":
            assert type(with_c[1][2][0]) is tuple
    assert ("x", "text/plain") in answered
    assert ("a" * 3000, "application/json") in answered
    for case in (("\ud800", "text/plain"), (_Text("s"), "text/plain"), ("x", 5)):
        assert case not in answered, case


@needs_c
def test_a_class_that_changes_a_response_field_is_not_made_in_c() -> None:
    class OwnHeaders(Response):
        headers = property(lambda self: None)  # type: ignore[assignment]

    with pytest.raises(TypeError, match="keep the base's slots"):
        response._text_response_in_c(OwnHeaders)
    assert OwnHeaders not in response._C_TEXT_CLASSES


@needs_c
def test_header_helpers_decline_what_they_do_not_handle() -> None:
    assert speedups.add_new_field([("X-A", "1")], "X-\u212a", "1") is None
    assert speedups.add_new_field([("\u212a", "1")], "k", "1") is None
    assert speedups.add_new_field([("X", "1")], "X\n", "1") is None
    assert speedups.add_new_field([("X", "1")], "Y", "a\rb") is None
    assert speedups.add_new_field([["X", "1"]], "Y", "1") is None
    assert speedups.add_new_field((), "Y", "1") is None
    fields = [("X-A", "1")]
    assert speedups.add_new_field(fields, "x-b", "2") is True
    assert speedups.add_new_field(fields, "X-b", "3") is False
    assert fields == [("X-A", "1"), ("x-b", "2")]
    assert speedups.scan_send_rules([("Ñ", "1")]) is None
    assert speedups.scan_send_rules([("LOCATION", "/a"), ("location", "/b")]) == (
        False,
        "/b",
        None,
    )


# -- ASGI header fields -------------------------------------------------------------

#: Request field names: the scanned ones in several cases, others in upper and
#: lower case, digits only (not lower case), empty.
_RAW_NAMES = (
    b"host",
    b"Host",
    b"cookie",
    b"Cookie",
    b"COOKIE",
    b"cOoKiE",
    b"content-type",
    b"Content-Type",
    b"content-length",
    b"transfer-encoding",
    b"x-a",
    b"X-A",
    b"123",
    b"",
    b"\xe9",
)
_RAW_VALUES = (
    b"",
    b"0",
    b" 0 ",
    b"\t0\x0b",
    b"00",
    b"12",
    b"a=b",
    b"\xff",
    b" ",
    b"\x00",
)


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_scanning_asgi_fields_reads_as_in_python(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(_SCALE * 3_000):
        fields: t.Any = [
            (rng.choice(_RAW_NAMES), rng.choice(_RAW_VALUES))
            for _ in range(rng.randrange(7))
        ]
        if rng.random() < 0.2:
            fields = [list(pair) for pair in fields]
        if rng.random() < 0.2:
            fields = tuple(fields)
        bodied = rng.random() < 0.5
        got = speedups.scan_asgi_fields(fields, bodied)
        assert got == request._scan_asgi_fields(fields, bodied), (fields, bodied)


@needs_c
def test_scanning_asgi_fields_declines_other_shapes() -> None:
    assert speedups.scan_asgi_fields([(bytearray(b"host"), b"x")], False) is None
    assert speedups.scan_asgi_fields([(b"host", "x")], False) is None
    assert speedups.scan_asgi_fields([(b"host", b"x", b"y")], False) is None
    assert speedups.scan_asgi_fields(iter([(b"host", b"x")]), False) is None
    # The Python twin reads those (the bytearray name as the name it equals).
    found = request._scan_asgi_fields([(bytearray(b"host"), b"x")], False)
    assert found[0] == b"x"


def _encode(fields: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return asgi._raw_headers(fields)


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_encoding_asgi_fields_is_the_same_with_and_without_c(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    names = ("X-A", "x-a", "Content-Type", "K", "\u212a", "À", "", "x_y")
    values = ("1", "", "café", "\u20ac", "a b", "\xff")
    for _ in range(_SCALE * 2_000):
        fields = [
            (rng.choice(names), rng.choice(values)) for _ in range(rng.randrange(6))
        ]
        _same_without_c(monkeypatch, asgi, "_c_encode_asgi_fields", _encode, (fields,))


class _Plain:
    pass


class _Slotted:
    __slots__ = ("a", "b")
    a: int
    b: int


class _SlotsAndDict:
    __slots__ = ("__dict__", "__weakref__", "a")


class _OwnNew:
    def __new__(cls) -> _OwnNew:
        raise AssertionError("object.__new__ does not call a class's __new__")


class _Abstract(abc.ABC):
    @abc.abstractmethod
    def run(self) -> None: ...


class _Meta(type):
    pass


class _WithMeta(metaclass=_Meta):
    pass


class _DictChild(dict):  # type: ignore[type-arg]
    pass


class _ErrorChild(ValueError):
    pass


_NEW_ARGUMENTS: tuple[object, ...] = (
    _Plain,
    _Slotted,
    _SlotsAndDict,
    _OwnNew,
    _Abstract,
    _WithMeta,
    _DictChild,
    _ErrorChild,
    Headers,
    Response,
    object,
    int,
    dict,
    type,
    _Meta,
    3,
    None,
    "text",
)


def _made_by(make: t.Callable[[t.Any], object], argument: object) -> tuple[t.Any, ...]:
    """What ``make(argument)`` gives: the instance's kind, or the exact error."""
    try:
        made = make(argument)
    except Exception as exc:
        return ("error", type(exc), str(exc))
    fields = getattr(made, "__dict__", None)
    return ("made", type(made), fields, gc.is_tracked(made))


@needs_c
@pytest.mark.parametrize("argument", _NEW_ARGUMENTS, ids=repr)
def test_new_instance_is_object_new(argument: object) -> None:
    assert _made_by(speedups.new_instance, argument) == _made_by(
        object.__new__, argument
    )


@needs_c
def test_new_instance_leaves_fields_unset_and_keeps_the_class_count() -> None:
    made = speedups.new_instance(_Slotted)
    with pytest.raises(AttributeError):
        made.a  # noqa: B018
    made.a = 1
    assert made.a == 1
    weakref.ref(speedups.new_instance(_SlotsAndDict))  # weak-referenceable
    before = sys.getrefcount(_Slotted)
    kept = [speedups.new_instance(_Slotted) for _ in range(100)]
    assert sys.getrefcount(_Slotted) == before + 100
    del kept
    assert sys.getrefcount(_Slotted) == before


def test_the_native_module_serves_new_instance() -> None:
    """The per-request objects are made by the C helper when it is built."""
    from hipflask.http import _native

    expected = speedups.new_instance if speedups is not None else object.__new__
    assert _native.new_instance is expected


class _OwnGlobals:
    """A ``g`` class of an app's own: attributes kept outside ``__dict__``."""

    def __init__(self) -> None:
        object.__setattr__(self, "store", {})

    def __setattr__(self, name: str, value: object) -> None:
        self.store[name] = value

    def __getattr__(self, name: str) -> object:
        try:
            return self.store[name]
        except KeyError:
            raise AttributeError(name) from None


#: What the websocket proxy cases read through the proxy.
_STAND_IN_WEBSOCKET = types.SimpleNamespace(path="/ws")


@functools.cache
def _sub_globals() -> type:
    """A subclass of the default ``g`` class (one class for every run)."""
    from hipflask.ctx import _AppCtxGlobals

    return type("SubGlobals", (_AppCtxGlobals,), {})


def _proxy_cases() -> list[tuple[str, str, t.Callable[[], object]]]:
    """(context, name, action): proxy uses, each in a context built for it."""
    from hipflask import current_app, g, websocket
    from hipflask import request as req

    def g_written_then_read() -> object:
        g.first = 1
        g.second = [2]
        return (g.first, g.second, g.get("first"), "second" in g, sorted(g))

    def g_dict() -> object:
        g.name = "x"
        return dict(g.__dict__)

    def g_made_then_written() -> object:
        namespace = g._get_current_object()  # type: ignore[attr-defined]
        g.name = "x"
        return (type(namespace).__name__, namespace is g._get_current_object())  # type: ignore[attr-defined]

    actions: dict[str, t.Callable[[], object]] = {
        "request.args": lambda: dict(req.args),
        "request.method": lambda: req.method,
        "request.missing": lambda: req.missing,  # type: ignore[attr-defined]
        "request.own": lambda: req._get_current_object().path,  # type: ignore[attr-defined]
        "request.__class__": lambda: req.__class__,
        "request.__weakref__": lambda: type(req.__weakref__),
        "app.name": lambda: current_app.name,
        "app.missing": lambda: current_app.missing,  # type: ignore[attr-defined]
        "app.__class__": lambda: current_app.__class__,
        "g.unset": lambda: g.unset,
        "g.written": g_written_then_read,
        "g.__dict__": g_dict,
        "g.made_then_written": g_made_then_written,
        "g.__class__": lambda: g.__class__,
        "g.__weakref__": lambda: type(g.__weakref__),
        "g.own": lambda: type(g._get_current_object()),  # type: ignore[attr-defined]
        "g.get": lambda: g.get("nothing", "default"),
        "websocket.path": lambda: websocket.path,  # type: ignore[attr-defined]
        "websocket.missing": lambda: websocket.missing,  # type: ignore[attr-defined]
        "websocket.__class__": lambda: websocket.__class__,
        "websocket.own": lambda: websocket._get_current_object(),  # type: ignore[attr-defined]
    }
    contexts = ("none", "app", "request", "own g class", "g subclass", "websocket")
    return [(c, n, a) for c in contexts for n, a in actions.items()]


def _run_proxy_case(context: str, action: t.Callable[[], object]) -> tuple[t.Any, ...]:
    from hipflask import Flask
    from hipflask.globals import _cv_websocket
    from hipflask.websockets import WebsocketContext

    app = Flask("proxy_case", root_path="/nonexistent-root")
    if context == "own g class":
        app.app_ctx_globals_class = _OwnGlobals  # type: ignore[assignment]
    elif context == "g subclass":
        app.app_ctx_globals_class = _sub_globals()
    if context == "none":
        manager: t.Any = None
    elif context == "request":
        manager = app.test_request_context("/path?a=1&a=2")
    else:
        manager = app.app_context()
    # A websocket context over a stand-in connection (only read here).
    websocket_ctx = WebsocketContext(app, _STAND_IN_WEBSOCKET)  # type: ignore[arg-type]
    try:
        if manager is not None:
            manager.push()
        token = _cv_websocket.set(websocket_ctx) if context == "websocket" else None
        try:
            result = action()
        finally:
            if token is not None:
                _cv_websocket.reset(token)
            if manager is not None:
                manager.pop()
    except Exception as exc:
        return (
            "error",
            type(exc),
            str(exc),
            exc.__cause__,
            exc.__suppress_context__,
        )
    return ("value", result)


@needs_c
def test_the_proxy_hooks_in_c_do_what_the_python_ones_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hipflask import globals as proxies

    assert proxies.C_HOOKS, "the C proxy hooks were not installed"
    for (cls, name), hook in proxies.C_HOOKS.items():
        assert cls.__dict__[name] is hook
    cases = _proxy_cases()
    with_c = [_run_proxy_case(context, action) for context, _, action in cases]
    for (cls, name), python in proxies.PYTHON_HOOKS.items():
        monkeypatch.setattr(cls, name, python)
    with_python = [_run_proxy_case(context, action) for context, _, action in cases]
    for (context, name, _), c_outcome, python_outcome in zip(
        cases, with_c, with_python, strict=True
    ):
        assert c_outcome == python_outcome, (context, name)
    # The cases reach every branch: values, errors, and unbound proxies.
    kinds = {outcome[0] for outcome in with_c}
    assert kinds == {"value", "error"}
    assert any(o[1] is RuntimeError and o[4] for o in with_c if o[0] == "error")


def _context_story(name: str) -> list[t.Any]:
    """What one use of request contexts shows: states, values and exact errors."""
    from hipflask import Flask, g, has_app_context, has_request_context, signals
    from hipflask import request as req
    from hipflask.globals import _cv_app, _cv_request
    from hipflask.wrappers import Request as FlaskRequest

    seen: list[t.Any] = []

    def state() -> None:
        ctx = _cv_request.get(None)
        app_ctx = _cv_app.get(None)
        seen.append(
            (
                has_request_context(),
                has_app_context(),
                None if ctx is None else (type(ctx).__name__, len(ctx._cv_tokens)),
                None if app_ctx is None else (type(app_ctx).__name__, app_ctx.app.name),
            )
        )

    def attempt(action: t.Callable[[], object]) -> None:
        try:
            seen.append(("value", action()))
        except Exception as exc:
            context = type(exc.__context__).__name__ if exc.__context__ else None
            seen.append((type(exc).__name__, str(exc), context))
        state()

    app = Flask("story", root_path="/nonexistent-root")
    other = Flask("other", root_path="/nonexistent-root")

    @app.route("/<int:n>", methods=["GET", "POST"])
    def view(n: int) -> str:
        g.n = n
        files = ",".join(req.files) if req.method == "POST" else ""
        return f"{n} {req.path} {files}"

    if name == "teardown":
        app.teardown_request(lambda exc: seen.append(("teardown", repr(exc))))
    if name == "app teardown":
        app.teardown_appcontext(lambda exc: seen.append(("app teardown", repr(exc))))
    client = app.test_client()
    client.get("/1")  # the first request makes the app's decisions
    if name == "adapter":
        attempt(lambda: client.get("/2").text)
    elif name == "upload":
        data = {"f": (io.BytesIO(b"x"), "a.txt")}
        attempt(lambda: client.post("/3", data=data).text)
    elif name == "by hand":
        ctx = app.test_request_context("/4")
        attempt(ctx.push)
        attempt(lambda: (req.url_rule.rule, req.view_args))  # type: ignore[union-attr]
        attempt(ctx.pop)
    elif name == "nested":
        ctx = app.test_request_context("/5")
        attempt(ctx.push)
        attempt(ctx.push)
        attempt(ctx.pop)
        attempt(lambda: ctx.pop(None))
    elif name == "inside an app context":
        with app.app_context():
            g.outer = True
            ctx = app.test_request_context("/6")
            attempt(ctx.push)
            attempt(lambda: g.outer)
            attempt(lambda: ctx.pop(exc=None))
        state()
        with other.app_context():
            ctx = app.test_request_context("/6")
            attempt(ctx.push)
            attempt(ctx.pop)
        state()
    elif name == "wrong order":
        first = app.test_request_context("/7")
        second = app.test_request_context("/8")
        attempt(first.push)
        attempt(second.push)
        attempt(first.pop)
        attempt(second.pop)
    elif name == "not pushed":
        attempt(app.test_request_context("/9").pop)
    elif name in ("teardown", "app teardown"):
        ctx = app.test_request_context("/10")
        attempt(ctx.push)
        attempt(lambda: ctx.pop(KeyError("k")))
    elif name == "signals":

        def note(sender: object, **extra: object) -> None:
            seen.append(("signal", sorted(extra)))

        for signal in (
            signals.appcontext_pushed,
            signals.request_tearing_down,
            signals.appcontext_tearing_down,
            signals.appcontext_popped,
        ):
            signal.connect(note, app)
        try:
            attempt(lambda: client.get("/11").text)
        finally:
            for signal in (
                signals.appcontext_pushed,
                signals.request_tearing_down,
                signals.appcontext_tearing_down,
                signals.appcontext_popped,
            ):
                signal.disconnect(note, app)
    elif name in ("close fails", "close fails and wrong order"):

        class FailingClose(FlaskRequest):
            def close(self) -> None:
                raise OSError("close failed")

        ctx = app.test_request_context("/12")
        ctx.request.__class__ = FailingClose
        attempt(ctx.push)
        if name == "close fails and wrong order":
            later = app.test_request_context("/13")
            attempt(later.push)
            attempt(ctx.pop)
        else:
            attempt(ctx.pop)
    elif name == "files closed":
        data = {"f": (io.BytesIO(b"x"), "a.txt")}
        ctx = app.test_request_context("/14", method="POST", data=data)
        attempt(ctx.push)
        stream = req.files["f"].stream
        attempt(ctx.pop)
        seen.append(("closed", stream.closed))
    state()
    return seen


_CONTEXT_STORIES = (
    "adapter",
    "upload",
    "by hand",
    "nested",
    "inside an app context",
    "wrong order",
    "not pushed",
    "teardown",
    "app teardown",
    "signals",
    "close fails",
    "close fails and wrong order",
    "files closed",
)


@needs_c
@pytest.mark.parametrize("story", _CONTEXT_STORIES)
def test_pushing_and_popping_in_c_does_what_python_does(
    story: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hipflask import ctx

    assert ctx.RequestContext.__dict__["push"] is speedups.ctx_push
    assert ctx.RequestContext.__dict__["pop"] is speedups.ctx_pop
    # Each run in a context of its own: a story may leave contexts pushed.
    with_c = contextvars.Context().run(_context_story, story)
    monkeypatch.setattr(ctx.RequestContext, "push", ctx.PYTHON_PUSH)
    monkeypatch.setattr(ctx.RequestContext, "pop", ctx.PYTHON_POP)
    with_python = contextvars.Context().run(_context_story, story)
    assert with_c == with_python
    if "wrong order" not in story:  # the others leave no context behind
        assert with_c[-1] == (False, False, None, None)


@needs_c
def test_a_context_made_in_c_is_the_one_python_makes() -> None:
    from hipflask import Flask
    from hipflask import ctx as contexts

    assert contexts.new_request_context is speedups.new_request_context
    app = Flask("made", root_path="/nonexistent-root")
    request = app.test_request_context("/").request
    made = speedups.new_request_context(app, request)
    twin = contexts.RequestContext._for_request(app, request)
    assert type(made) is type(twin) is contexts.RequestContext
    names = [n for n in contexts.RequestContext.__slots__ if n != "__dict__"]
    for name in names:
        assert hasattr(made, name) == hasattr(twin, name), name
        if hasattr(twin, name):
            assert getattr(made, name) == getattr(twin, name), name
    assert made._after_request_functions is not twin._after_request_functions
    assert made.__dict__ == twin.__dict__ == {}


_SCOPE_METHODS: tuple[t.Any, ...] = ("GET", "POST", "HEAD", "PUT", "post", 5, None)
_SCOPE_PATHS = ("/a/b", "a", "", "/", "/r", "/r/x", "/rx", "/caf\u00e9")
_SCOPE_ROOTS: tuple[t.Any, ...] = ("", "/r", "/r/", None, 3)
_SCOPE_FIELDS: tuple[tuple[t.Any, t.Any], ...] = (
    (b"host", b"example.com"),
    (b"host", b"bad\x01host"),
    (b"host", b"caf\xe9"),
    (b"host", b"nb\xa0sp"),
    (b"host", b""),
    (b"cookie", b"a=1"),
    (b"content-type", b"text/plain"),
    (b"content-length", b"4"),
    (b"transfer-encoding", b"chunked"),
    (b"Content-Type", b"text/html"),
    (b"x-other", b"1"),
    (bytearray(b"host"), b"x"),
)


def _scope(rng: random.Random) -> dict[str, t.Any]:
    scope: dict[str, t.Any] = {"type": "http"}
    if rng.random() < 0.9:
        scope["method"] = rng.choice(_SCOPE_METHODS)
    if rng.random() < 0.95:
        scope["path"] = rng.choice(_SCOPE_PATHS)
    if rng.random() < 0.5:
        scope["root_path"] = rng.choice(_SCOPE_ROOTS)
    if rng.random() < 0.9:
        fields = [rng.choice(_SCOPE_FIELDS) for _ in range(rng.randrange(4))]
        scope["headers"] = fields if rng.random() < 0.8 else tuple(fields)
    return scope


def _request_fields(made: t.Any) -> dict[str, t.Any]:
    """The request's slots that are set, by name."""
    from hipflask.http.request import Request as HTTPRequest

    names = [n for n in HTTPRequest.__slots__ if n not in ("__dict__", "__weakref__")]
    return {n: getattr(made, n) for n in names if hasattr(made, n)}


def _built_from(scope: dict[str, t.Any], with_body: bool) -> tuple[t.Any, ...]:
    from hipflask.http.request import Request as HTTPRequest
    from hipflask.wrappers import Request as FlaskRequest

    body = io.BytesIO(b"body")
    results: list[t.Any] = []
    for cls in (HTTPRequest, FlaskRequest):
        made = cls.from_asgi(scope, body) if with_body else cls.from_asgi(scope)
        fields = _request_fields(made)
        fields["_body"] = "given" if fields["_body"] is body else fields["_body"]
        results.append((type(made), fields, dict(made.__dict__)))
    return tuple(results)


@needs_c
@pytest.mark.parametrize("seed", range(3))
def test_requests_built_from_a_scope_in_c_are_the_ones_python_builds(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hipflask.http.request import Request as HTTPRequest

    python = classmethod(request._PYTHON_FROM_ASGI)
    rng = random.Random(seed)
    built = 0
    for _ in range(_SCALE * 1_000):
        case = (_scope(rng), rng.random() < 0.5)
        got = _same_without_c(
            monkeypatch,
            request,
            "_c_scan_asgi_fields",
            _built_from,
            case,
            (HTTPRequest, "from_asgi", python),
        )
        built += got[0] == "ok"
    assert built > _SCALE * 500  # most scopes make a request


_ENVIRON_METHODS: tuple[t.Any, ...] = ("GET", "POST", "get", "Pu", "M-1", "", 7, None)
_ENVIRON_PATHS: tuple[t.Any, ...] = ("/a", "a", "", "/", None, "/caf\u00c3\u00a9", 5)


def _from_environ(environ: dict[str, t.Any]) -> tuple[t.Any, ...]:
    from hipflask.http.request import Request as HTTPRequest
    from hipflask.wrappers import Request as FlaskRequest

    results: list[t.Any] = []
    for cls in (HTTPRequest, FlaskRequest):
        own = dict(environ)
        made = cls._from_environ(own)
        fields = _request_fields(made)
        fields["_environ"] = fields["_environ"] is own
        proxy = own.pop("werkzeug.request")
        results.append((type(made), fields, own == environ, proxy.path))
    return tuple(results)


@needs_c
@pytest.mark.parametrize("seed", range(2))
def test_requests_built_from_an_environ_in_c_are_the_ones_python_builds(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hipflask.http.request import Request as HTTPRequest

    python = classmethod(request._PYTHON_FROM_ENVIRON)
    rng = random.Random(seed)
    for _ in range(_SCALE * 500):
        environ: dict[str, t.Any] = {"SERVER_NAME": "h"}
        if rng.random() < 0.9:
            environ["REQUEST_METHOD"] = rng.choice(_ENVIRON_METHODS)
        if rng.random() < 0.9:
            environ["PATH_INFO"] = rng.choice(_ENVIRON_PATHS)
        _same_without_c(
            monkeypatch,
            None,
            "",
            _from_environ,
            (environ,),
            (HTTPRequest, "_from_environ", python),
        )


# -- serve_wsgi -------------------------------------------------------------------

_WSGI_STORIES = (
    "text",
    "head",
    "json",
    "after hook",
    "stream",
    "not found",
    "raises, testing",
    "raises",
    "ignored error",
    "preserve",
    "own request class",
    "start_response raises",
    "push raises",
    "teardown raises after an error",
    "teardown raises",
    "exc_info in teardown",
    "dict subclass environ",
    "tuple subclass",
)


class _EnvironDict(dict):  # type: ignore[type-arg]
    """An environ that is not exactly a dict: serve_wsgi leaves it to Python."""


def _wsgi_story(name: str, serve: t.Callable[..., t.Any]) -> list[t.Any]:
    """What serving one request with ``serve`` shows: the response, the errors
    teardown functions saw, what was raised and the contexts left behind."""
    from hipflask import Flask, Response, has_request_context
    from hipflask.ctx import RequestContext
    from hipflask.wrappers import Request as FlaskRequest

    seen: list[t.Any] = []
    app = Flask("wsgi_story", root_path="/nonexistent-root")

    @app.route("/", methods=["GET", "POST"])
    def index() -> t.Any:
        if name == "json":
            return {"a": 1}
        if name == "stream":
            return Response(iter([b"a", b"b"]))
        if name == "tuple subclass":
            return type("Pair", (tuple,), {})(("made", 201))
        return "hello"

    @app.route("/raise")
    def fail() -> str:
        raise ValueError("the view failed")

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        seen.append(("teardown", type(exc).__name__ if exc else None))
        if name == "exc_info in teardown":
            seen.append(("exc_info", sys.exc_info()[0]))
        if name.startswith("teardown raises"):
            raise KeyError("teardown failed")

    if name == "after hook":
        app.after_request(lambda response: response)
    if name in ("raises, testing", "ignored error", "teardown raises after an error"):
        app.testing = True
    if name == "exc_info in teardown":
        app.testing = True
    if name == "ignored error":
        app.should_ignore_error = lambda error: True  # type: ignore[method-assign]
    if name == "own request class":
        app.request_class = type("OwnRequest", (FlaskRequest,), {})
    path = "/"
    if name == "not found":
        path = "/missing"
    elif name in (
        "raises",
        "raises, testing",
        "ignored error",
        "teardown raises after an error",
        "exc_info in teardown",
    ):
        path = "/raise"
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": "HEAD" if name == "head" else "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    if name == "preserve":
        environ["hipflask.preserve_context"] = lambda ctx: seen.append(
            ("preserved", type(ctx).__name__)
        )
    if name == "dict subclass environ":
        environ = _EnvironDict(environ)

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        if name == "start_response raises":
            raise RuntimeError("the server refused")
        seen.append(("started", status, list(headers)))

    push = RequestContext.push
    if name == "push raises":

        def failing_push(self: t.Any) -> None:
            raise OSError("no push")

        RequestContext.push = failing_push  # type: ignore[method-assign]
    try:
        body = serve(app, environ, start_response)
        seen.append(("body", b"".join(body)))
        if hasattr(body, "close"):
            body.close()
    except BaseException as exc:
        context = exc.__context__
        seen.append(
            (
                "raised",
                type(exc).__name__,
                str(exc),
                type(context).__name__ if context else None,
            )
        )
    finally:
        RequestContext.push = push  # type: ignore[method-assign]
    seen.append(("request context left", has_request_context()))
    return seen


@needs_c
@pytest.mark.parametrize("story", _WSGI_STORIES)
def test_serving_wsgi_in_c_does_what_python_does(story: str) -> None:
    from hipflask import wsgi

    assert wsgi.serve_wsgi is speedups.serve_wsgi
    with_c = contextvars.Context().run(_wsgi_story, story, speedups.serve_wsgi)
    with_python = contextvars.Context().run(_wsgi_story, story, wsgi.PYTHON_SERVE_WSGI)
    assert with_c == with_python
    assert with_c[-1] == ("request context left", False) or story == "push raises"


# -- page_parts -------------------------------------------------------------------


class _IntCode(int):
    pass


def _page_errors() -> list[tuple[str, t.Callable[[], t.Any]]]:
    """Errors of every kind page_parts meets: (label, maker)."""
    from hipflask.http import exceptions as ex

    def with_attrs(cls: type, **attrs: t.Any) -> t.Callable[[], t.Any]:
        def make() -> t.Any:
            error = cls()
            for name, value in attrs.items():
                setattr(error, name, value)
            return error

        return make

    standard = [
        (cls.__name__, cls)
        for cls in vars(ex).values()
        if isinstance(cls, type)
        and issubclass(cls, ex.HTTPException)
        and cls.code is not None
        and not issubclass(cls, ex.RequestRedirect)
    ]
    standard.append(("RequestRedirect", lambda: ex.RequestRedirect("/elsewhere")))
    own_body = type("OwnBody", (ex.NotFound,), {"get_body": lambda self, *a: "own"})
    own_description = type(
        "OwnDescription", (ex.NotFound,), {"get_description": lambda self, *a: "d"}
    )
    own_name = type("OwnName", (ex.NotFound,), {"name": property(lambda self: "N")})
    own_headers = type(
        "OwnHeaders", (ex.NotFound,), {"get_headers": lambda self, *a: []}
    )
    own_response = type(
        "OwnGetResponse",
        (ex.NotFound,),
        {"get_response": lambda self, *a: Response("own")},
    )
    subclass = type("PlainSubclass", (ex.NotFound,), {})
    return [
        *standard,
        ("description", lambda: ex.NotFound("gone <b>for</b>\nnow")),
        ("long description", lambda: ex.NotFound("x" * 2000)),
        ("plain description", lambda: ex.NotFound("s")),  # made first, then:
        (
            "str subclass description",
            with_attrs(ex.NotFound, description=_StrLike("s")),
        ),
        ("bytes description", with_attrs(ex.NotFound, description=b"bytes")),
        ("response", lambda: ex.NotFound(response=Response("given"))),
        ("code None", ex.HTTPException),
        ("unknown code", with_attrs(ex.NotFound, code=599)),
        ("int subclass code", with_attrs(ex.NotFound, code=_IntCode(404))),
        ("IntEnum code", with_attrs(ex.NotFound, code=HTTPStatus.NOT_FOUND)),
        ("str code", with_attrs(ex.NotFound, code="404")),
        ("own get_body", own_body),
        ("own get_description", own_description),
        ("own name", own_name),
        ("own get_headers", own_headers),
        ("own get_response", own_response),
        ("plain subclass", subclass),
        ("not an error", object),
    ]


class _StrLike(str):
    pass


@needs_c
@pytest.mark.parametrize("length_set", [True, False])
def test_error_pages_as_parts_in_c_are_the_ones_python_gives(length_set: bool) -> None:
    twin = response.PYTHON_PAGE_PARTS
    assert response.page_parts is speedups.page_parts
    setting = Response.automatically_set_content_length
    Response.automatically_set_content_length = length_set
    answered_in_c: dict[str, bool] = {}
    try:
        for label, make in _page_errors():
            for _ in range(2):  # the second time from the table of made pages
                calls: list[bool] = []

                def watch(
                    frame: t.Any, event: str, arg: t.Any, calls: list[bool] = calls
                ) -> None:
                    if event == "call" and frame.f_code is twin.__code__:
                        calls.append(True)

                results = []
                for page_parts in (speedups.page_parts, twin):
                    error = make()
                    sys.setprofile(watch if page_parts is not twin else None)
                    try:
                        results.append(("made", page_parts(error)))
                    except Exception as exc:  # compared below
                        results.append(("raised", type(exc), str(exc)))
                    finally:
                        sys.setprofile(None)
                assert results[0] == results[1], label
                answered_in_c[label] = not calls  # the second call's
    finally:
        Response.automatically_set_content_length = setting
    # The standard pages are answered in C once made (not when the class does
    # not set Content-Length: then every call is the twin's).
    for label in ("NotFound", "Forbidden", "description", "plain subclass"):
        assert answered_in_c[label] == length_set, label
    for label in (
        "own get_body",
        "own name",
        "response",
        "IntEnum code",
        "unknown code",
    ):
        assert not answered_in_c[label], label


@needs_c
def test_page_parts_is_configured_with_checked_arguments() -> None:
    with pytest.raises(TypeError):
        speedups.configure_page_parts(None)


@needs_c
def test_an_error_class_changed_after_its_page_was_made_is_asked_again() -> None:
    """C remembers that a class keeps the standard page for the class's current
    version only: a method set on it afterwards is seen."""
    from hipflask.http import exceptions as ex

    changing = type("Changing", (ex.NotFound,), {})
    for _ in range(2):
        made = speedups.page_parts(changing())
        assert made is not None
        assert made[3] == response.PYTHON_PAGE_PARTS(changing())[3]  # type: ignore[index]
    changing.get_body = lambda self, *args: "changed"  # type: ignore[method-assign]
    assert speedups.page_parts(changing()) is None
    assert response.PYTHON_PAGE_PARTS(changing()) is None
