"""JSON providers: how an application serialises and parses JSON.

``app.json`` is an instance of ``app.json_provider_class``. The default provider
uses the standard library with Flask's defaults: keys sorted, ASCII-only output,
compact unless in debug mode, and conversions for dates, UUIDs, decimals,
dataclasses and objects with ``__html__``.
"""

from __future__ import annotations

import json
import json.encoder
import sys
import typing as t
import uuid
import weakref
from datetime import date

from ..http.headers import http_date
from ..http.response import text_response

if t.TYPE_CHECKING:
    from ..app import Flask
    from ..wrappers import Response


class JSONProvider:
    """The interface an application uses for JSON; subclass to change it."""

    def __init__(self, app: Flask) -> None:
        self._app: Flask = weakref.proxy(app)  # type: ignore[assignment]

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialise ``obj`` to a JSON string."""
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialise ``obj`` into a text file."""
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse a JSON string or bytes."""
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Parse JSON from a file."""
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A JSON response of the serialised arguments (as ``jsonify``)."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(o: t.Any) -> t.Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, uuid.UUID):
        return str(o)
    # Only an imported decimal module can have made a Decimal; importing it just
    # to test would cost every app its import time.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(o, decimal.Decimal):
        return str(o)
    if hasattr(type(o), "__dataclass_fields__") and not isinstance(o, type):
        from dataclasses import asdict

        return asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _compact_encode(encoder: json.JSONEncoder) -> t.Callable[[t.Any], str] | None:
    """``encoder.encode`` (compact, no indent) through one reusable C encoder.

    PERF: ``JSONEncoder.encode`` goes through ``iterencode``, which checks its
    options and builds a new C encoder on every call. This one is built once,
    without the circular-reference bookkeeping (a reused encoder could not reset
    it after an error, and concurrent calls would share it): a circular
    structure then ends in RecursionError, and ``encoder.encode`` (which checks)
    runs again to raise its usual ValueError. None when the C encoder is
    missing or does not give ``encode``'s output on a sample.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        iterencode = make(
            None,
            encoder.default,
            json.encoder.encode_basestring_ascii
            if encoder.ensure_ascii
            else json.encoder.encode_basestring,
            None,
            encoder.key_separator,
            encoder.item_separator,
            encoder.sort_keys,
            encoder.skipkeys,
            encoder.allow_nan,
        )
    except Exception:  # a C encoder with another signature
        return None
    checked = encoder.encode

    def encode(obj: t.Any) -> str:
        try:
            return "".join(iterencode(obj, 0))
        except RecursionError:
            return checked(obj)

    sample = {"b": [1.5, None, True, "\u00e9\n"], "a": {"x": float("inf")}}
    try:
        if encode(sample) != checked(sample) or encode("s") != '"s"':
            return None
    except Exception:  # a C encoder that behaves differently
        return None
    return encode


class DefaultJSONProvider(JSONProvider):
    """The standard library's ``json`` with Flask's defaults."""

    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)
    ensure_ascii = True
    sort_keys = True
    compact: bool | None = None
    mimetype = "application/json"

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self._encoders: dict[tuple[t.Any, ...], t.Callable[[t.Any], str]] = {}
        self._last_encoder: tuple[t.Any, ...] | None = None

    def _encoder(self, pretty: bool) -> t.Callable[[t.Any], str]:
        """The function that serialises with the current settings (cached)."""
        # PERF: json.dumps() with a custom ``default`` builds a JSONEncoder per
        # call; keep one per combination of settings (they may change at runtime).
        default = self.default
        ensure_ascii = self.ensure_ascii
        sort_keys = self.sort_keys
        # PERF: the settings the last encoder was built for, compared by identity
        # (anything else goes through the dict, keyed by equality as before).
        last = self._last_encoder
        if (
            last is not None
            and last[0] is default
            and last[1] is ensure_ascii
            and last[2] is sort_keys
            and last[3] is pretty
        ):
            return t.cast("t.Callable[[t.Any], str]", last[4])
        key = (default, ensure_ascii, sort_keys, pretty)
        encode = self._encoders.get(key)
        if encode is None:
            encoder = json.JSONEncoder(
                default=self.default,
                ensure_ascii=self.ensure_ascii,
                sort_keys=self.sort_keys,
                indent=2 if pretty else None,
                separators=None if pretty else (",", ":"),
            )
            encode = (None if pretty else _compact_encode(encoder)) or encoder.encode
            if len(self._encoders) < 16:
                self._encoders[key] = encode
        self._last_encoder = (default, ensure_ascii, sort_keys, pretty, encode)
        return encode

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialise with the provider's defaults (sorted keys, ASCII only)."""
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Parse with the standard library."""
        return json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """A JSON response, pretty-printed in debug mode unless ``compact``."""
        if len(args) == 1 and not kwargs:
            obj = args[0]
        else:
            obj = self._prepare_response_obj(args, kwargs)
        return text_response(self._app.response_class, self._body(obj), self.mimetype)

    def _body(self, obj: t.Any) -> str:
        """The text :meth:`response` sends for ``obj``."""
        compact = self.compact
        pretty = compact is False or (compact is None and self._app.config["DEBUG"])
        if type(self).dumps is DefaultJSONProvider.dumps:
            text = self._encoder(bool(pretty))(obj)
        elif pretty:
            text = self.dumps(obj, indent=2)
        else:
            text = self.dumps(obj, separators=(",", ":"))
        return f"{text}\n"
