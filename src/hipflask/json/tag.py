"""Tagged JSON: a compact, lossless JSON form for session data.

Values JSON cannot express are wrapped in a one-key object whose key is a tag:
``{" t": [...]}`` for a tuple, ``" b"`` bytes (base64), ``" m"`` Markup, ``" u"``
UUID (hex), ``" d"`` datetime (HTTP date), and ``" di"`` for a dict whose only key
happens to look like a tag. The tags and their encodings are the ones Flask uses,
so a session cookie written by Flask is read here and the other way round.
"""

from __future__ import annotations

import json
import re
import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup

from ..globals import _cv_app
from ..http.headers import http_date, parse_date
from . import dumps, loads
from .provider import DefaultJSONProvider

# The blanks JSONDecoder.decode allows after the value (json.decoder.WHITESPACE).
_json_blanks = re.compile(r"[ \t\n\r]*").match


class JSONTag:
    """Base class of a tag: ``check`` claims values, ``to_json``/``to_python``."""

    __slots__ = ("serializer",)
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Convert ``value`` to a JSON-able form (without the tag)."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Convert the JSON form back."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> dict[str, t.Any]:
        """Wrap ``value`` with this tag's key."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A dict whose single key ends with a registered tag key."""

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        return {k: self.serializer.tag(v) for k, v in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Objects with ``__html__`` (serialised as that HTML), read back as Markup."""

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """Serialise with tags; ``register`` adds custom tags."""

    __slots__ = ("_decoder", "order", "tags")

    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)
        # PERF: the JSON parser calls ``object_hook`` on each object once its
        # members are parsed: the same bottom-up untagging as _untag_scan, done
        # while parsing instead of in a second walk. Not when a subclass changes
        # the walk itself.
        self._decoder: json.JSONDecoder | None = None
        if type(self)._untag_scan is TaggedJSONSerializer._untag_scan:
            self._decoder = json.JSONDecoder(object_hook=self.untag)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag class; a duplicate key needs ``force``."""
        tag = tag_class(self)
        key = tag.key
        if key:
            if not force and key in self.tags:
                raise KeyError(f"Tag '{key}' is already registered.")
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """Convert ``value`` to its tagged JSON-able form."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Convert a one-key tagged dict back to its Python value."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        return self.tags[key].to_python(value[key])

    def _untag_scan(self, value: t.Any) -> t.Any:
        if isinstance(value, dict):
            value = {k: self._untag_scan(v) for k, v in value.items()}
            value = self.untag(value)
        elif isinstance(value, list):
            value = [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag and serialise to compact JSON."""
        return dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        """Parse and untag."""
        decoder = self._decoder
        if (
            decoder is not None
            and isinstance(value, str)
            and not value.startswith("\ufeff")
        ):
            # The parsing is the standard library's (json.loads) with no app or
            # with the default provider; another provider parses its own way.
            app_ctx = _cv_app.get(None)
            if (
                app_ctx is None
                or type(app_ctx.app.json).loads is DefaultJSONProvider.loads
            ):
                # JSONDecoder.decode, without its two Python-level calls when
                # the text starts with the value and ends with it.
                scan_once: t.Any = decoder.scan_once  # type: ignore[attr-defined]
                try:
                    result, end = scan_once(value, 0)
                except StopIteration:  # leading blanks, or not JSON
                    return decoder.decode(value)
                if end != len(value):
                    end = t.cast("re.Match[str]", _json_blanks(value, end)).end()
                    if end != len(value):
                        raise json.JSONDecodeError("Extra data", value, end)
                return result
        return self._untag_scan(loads(value))
