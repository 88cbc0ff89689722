"""Protocol-neutral pieces of the raw floor: router, session codec, multipart sink.

The raw callables (``raw_wsgi``, ``raw_asgi``) are the floor the frameworks
are measured against: the same work, written by hand with the standard
library plus the same helper libraries the frameworks lean on (jinja2,
itsdangerous, python-multipart).

The router keeps static rules in a dict keyed by path and dynamic rules in a
tree of path segments (a literal child per segment text, at most one
parameter child per node; no backtracking, which the rules here never need).
A rule is written ``/api/v1/res1/<int:item_id>``; ``<name>`` matches any
non-empty segment, ``<int:name>`` an ASCII run of digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO
from urllib.parse import parse_qsl

import jinja2
from itsdangerous import BadSignature, URLSafeTimedSerializer
from python_multipart.multipart import MultipartParser, parse_options_header

from benchmarks.apps import common

Converter = Callable[[str], Any]


def _to_int(segment: str) -> int:
    if not (segment.isascii() and segment.isdigit()):
        raise ValueError(segment)
    return int(segment)


def _to_str(segment: str) -> str:
    if not segment:
        raise ValueError(segment)
    return segment


class _Node:
    __slots__ = ("children", "methods", "param")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.param: tuple[str, Converter, _Node] | None = None
        self.methods: dict[str, Any] = {}


class Router:
    """Maps (method, path) to a handler and its parameters."""

    def __init__(self) -> None:
        self.static: dict[str, dict[str, Any]] = {}
        self.root = _Node()

    def add(self, method: str, rule: str, handler: Any) -> None:
        """Register ``handler`` for ``method`` requests to ``rule``."""
        if "<" not in rule:
            self.static.setdefault(rule, {})[method] = handler
            return
        node = self.root
        for segment in rule[1:].split("/"):
            if segment.startswith("<") and segment.endswith(">"):
                kind, _, name = segment[1:-1].rpartition(":")
                converter = _to_int if kind == "int" else _to_str
                if node.param is None:
                    node.param = (name, converter, _Node())
                node = node.param[2]
            else:
                node = node.children.setdefault(segment, _Node())
        node.methods[method] = handler

    def match(self, method: str, path: str) -> tuple[Any, dict[str, Any], bool]:
        """(handler, params, path_known): handler None means 404 or 405."""
        params: dict[str, Any] = {}
        methods = self.static.get(path)
        if methods is None:
            node = self.root
            for segment in path[1:].split("/"):
                child = node.children.get(segment)
                if child is None:
                    if node.param is None:
                        return None, params, False
                    name, converter, child = node.param
                    try:
                        params[name] = converter(segment)
                    except ValueError:
                        return None, params, False
                node = child
            methods = node.methods
            if not methods:
                return None, params, False
        return methods.get(method), params, True


def add_filler_routes(router: Router, total: int, handler: Any) -> None:
    """The ``routes_N`` filler rules (see ``common.route_plan``)."""
    rules = {
        "static": "/api/v1/static{}/index",
        "int": "/api/v1/res{}/<int:item_id>",
        "slug": "/api/v1/res{}/<slug>/detail",
    }
    for kind, index in common.route_plan(total):
        router.add("GET", rules[kind].format(index), handler)


TARGET_RULE = "/api/v1/users/<int:user_id>/posts/<int:post_id>"


def dumps(data: object) -> bytes:
    """A JSON body."""
    return json.dumps(data).encode()


def count_form_fields(body: bytes) -> int:
    """Number of distinct field names in an urlencoded body."""
    return len(dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)))


def load_template() -> jinja2.Template:
    """``table.html``, loaded once, with HTML autoescaping."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(common.TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(),
    )
    return environment.get_template(common.TEMPLATE_NAME)


SESSION_SERIALIZER = URLSafeTimedSerializer(common.SECRET_KEY, salt="cookie-session")


def session_cookie() -> str:
    """The Set-Cookie value /login sends."""
    value = SESSION_SERIALIZER.dumps({"user": common.SESSION_USER})
    return f"{common.SESSION_COOKIE}={value}; HttpOnly; Path=/"


def session_user(cookie_header: str) -> str | None:
    """The user stored in the signed session cookie, or None."""
    for pair in cookie_header.split(";"):
        name, _, value = pair.strip().partition("=")
        if name == common.SESSION_COOKIE:
            try:
                data = SESSION_SERIALIZER.loads(value)
            except BadSignature:
                return None
            user = data.get("user") if isinstance(data, dict) else None
            return user if isinstance(user, str) else None
    return None


class MultipartSink:
    """Feeds a multipart body to python-multipart; keeps the part named "file".

    Its bytes are counted, and written to ``target`` when one is given.
    """

    def __init__(self, content_type: str, target: BinaryIO | None = None):
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            raise ValueError("multipart body without a boundary")
        self.size = 0
        self.target = target
        self._field = bytearray()
        self._value = bytearray()
        self._in_file = False
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_part_data": self._part_data,
            },
        )

    def _part_begin(self) -> None:
        self._in_file = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._field).lower() == b"content-disposition":
            _, options = parse_options_header(bytes(self._value))
            self._in_file = options.get(b"name") == b"file"
        self._field.clear()
        self._value.clear()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.size += end - start
            if self.target is not None:
                self.target.write(data[start:end])

    def feed(self, chunks: Iterable[bytes]) -> int:
        """Parse all ``chunks``; return the size of the file part."""
        for chunk in chunks:
            self.parser.write(chunk)
        self.parser.finalize()
        return self.size
