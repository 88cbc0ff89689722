"""An optional JSON provider on orjson (``pip install hipflask[orjson]``).

Use it with ``app.json = ORJSONProvider(app)`` or by setting
``Flask.json_provider_class``. ``import hipflask`` never imports orjson.

It writes and reads exactly what :class:`~hipflask.json.provider.DefaultJSONProvider`
does, byte for byte, and uses orjson only where orjson's output is the same;
everything else goes to the standard library:

- ``response()`` (``jsonify``, dict and list returns) and ``dumps()`` called
  compact (``separators=(",", ":")``, as the session serializer does) or with
  ``indent=2``, and no other argument. Plain ``dumps()`` keeps the standard
  library's spaced separators, which orjson cannot write.
- Dates, datetimes and dataclasses are passed to the provider's ``default``
  (HTTP dates and ``asdict``, as the default provider does), not written in
  orjson's own formats.
- With ``ensure_ascii`` (the default), output with characters past U+007E
  is written by the standard library, which escapes them as ``\\uXXXX``.
- A float below 1e-4 that orjson writes in another form (``0.00001`` or
  ``1e-7`` where Python writes ``1e-05`` and ``1e-07``), a key that is not a
  ``str``, an integer past 64 bits, a circular or very deep structure, or
  anything orjson refuses: the standard library serialises it instead.
- ``loads()`` falls back for input orjson rejects (``NaN``, lone surrogates,
  UTF-16, ...) and for numbers of 19 or more digits, which orjson may read
  as floats.

Known differences: NaN and infinities are written as ``null`` (valid JSON)
where the standard library writes ``NaN``/``Infinity``, and plain ``Enum``
members are written as their value where the default provider raises
TypeError.
"""

from __future__ import annotations

import re
import typing as t

import orjson

from ..http.response import text_response
from .provider import DefaultJSONProvider

if t.TYPE_CHECKING:
    from ..wrappers import Response

# The floats orjson writes differently from Python's repr, all below 1e-4:
# "1e-7" (Python "1e-07") and "0.00001" (Python "1e-05"). PERF: each pattern
# starts with a literal, which the regex engine scans for quickly; the
# lookarounds then check it is a number (a digit before "e", one digit after
# "-" and then the number's end; no digit before "0.0000").
_SHORT_EXPONENT = re.compile(rb"e-[0-9](?=[,\]\}\s]|\Z)(?<=[0-9]e-[0-9])")
_TINY_DECIMAL = re.compile(rb"0\.0000(?<![0-9]0\.0000)")
# PERF: a run of 19 digits (an integer orjson may read as a float: past 64
# bits, or below -2**63) is found by mapping every digit to "0" and searching
# for the run, several times faster than a regular expression over the text.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
_COMPACT = (",", ":")
_BASE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class ORJSONProvider(DefaultJSONProvider):
    """:class:`DefaultJSONProvider`'s output, written by orjson where it can."""

    def _orjson(self, obj: t.Any, pretty: bool) -> bytes | None:
        """``obj`` as the standard library would write it, or None if unsure."""
        option = _BASE_OPTIONS
        if self.sort_keys:
            option |= orjson.OPT_SORT_KEYS
        if pretty:
            option |= orjson.OPT_INDENT_2
        try:
            data = orjson.dumps(obj, default=self.default, option=option)
        except (TypeError, ValueError, RecursionError):
            return None
        if _SHORT_EXPONENT.search(data) or _TINY_DECIMAL.search(data):
            return None
        # orjson writes every character past U+007E as it is; the standard
        # library's C encoder escapes them faster than a rewrite here could.
        if self.ensure_ascii and (not data.isascii() or b"\x7f" in data):
            return None
        return data

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialise like the default provider (orjson for compact or indent=2)."""
        if kwargs:
            pretty = kwargs == {"indent": 2}
            if pretty or (
                len(kwargs) == 1 and tuple(kwargs.get("separators", ())) == _COMPACT
            ):
                data = self._orjson(obj, pretty)
                if data is not None:
                    return data.decode()
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse like the standard library (orjson when that gives the same)."""
        if not kwargs:
            raw = s.encode() if isinstance(s, str) else s
            if raw.translate(_DIGITS_TO_ZERO).find(_LONG_NUMBER) < 0:
                try:
                    return orjson.loads(raw)
                except orjson.JSONDecodeError:
                    pass
        return super().loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A JSON response, as the default provider's (compact unless debug)."""
        if type(self).dumps is not ORJSONProvider.dumps:
            # A subclass changed how to serialise: let it.
            return super().response(*args, **kwargs)
        if len(args) == 1 and not kwargs:
            obj = args[0]
        else:
            obj = self._prepare_response_obj(args, kwargs)
        compact = self.compact
        pretty = compact is False or (compact is None and self._app.config["DEBUG"])
        data = self._orjson(obj, bool(pretty))
        if data is None:
            layout: dict[str, t.Any] = (
                {"indent": 2} if pretty else {"separators": _COMPACT}
            )
            text = DefaultJSONProvider.dumps(self, obj, **layout)
            return text_response(self._app.response_class, f"{text}\n", self.mimetype)
        return self._app.response_class(data + b"\n", mimetype=self.mimetype)
