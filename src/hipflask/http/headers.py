"""Typed HTTP header parsers, and the one import point for header helpers.

This module parses the headers whose values have a structure beyond the
generic syntax (RFC 9110, 9111, 7235) into the classes of
:mod:`hipflask.http.header_types`::

    Accept         = #( media-range [ weight ] )                ; 12.5.1
    weight         = OWS ";" OWS "q=" qvalue
    Cache-Control  = #cache-directive                          ; 9111 5.2
    cache-directive = token [ "=" ( token / quoted-string ) ]
    If-None-Match  = "*" / #entity-tag                         ; 13.1.2
    entity-tag     = [ "W/" ] DQUOTE *etagc DQUOTE
    If-Range       = entity-tag / HTTP-date                    ; 13.1.5
    Range          = range-unit "=" 1#( int-range / suffix-range )  ; 14.2
    int-range      = first-pos "-" [ last-pos ]
    suffix-range   = "-" suffix-length
    Content-Range  = range-unit SP ( incl-range "/" ( complete-length / "*" )
                                   / "*/" complete-length )    ; 14.4
    Authorization  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]  ; 11.6.2
    Content-Security-Policy = directive *( ";" [ directive ] )   ; CSP 3
    directive      = name [ 1*WSP value ]

Each parser is a single forward scan and never raises on malformed input:
it returns what Werkzeug 3.1 returns (``None``, an empty object, or the
valid parts). Lists that feed sorting or matching are capped: at most
:data:`MAX_ACCEPT_ITEMS` Accept items and :data:`MAX_ETAGS` entity tags are
read (the rest is ignored), and a Range with more than :data:`MAX_RANGES`
ranges is rejected.

Where hipflask differs from Werkzeug on purpose: an empty entity tag
(``""``) is kept as ``""`` (Werkzeug yields ``None``); integers in ranges
have at most 19 digits; ``is_resource_modified`` follows the RFC 9110
precedence (see there); Basic credentials without ``:`` are invalid. A CSP
is read as CSP 3 says a browser reads it: directive names are lowercased, the
first of repeated directives wins, any ASCII whitespace separates name and
value, and a directive without a value is kept (as ``""``). Werkzeug keeps
the case, lets the last repeat win, splits on a space only and drops
valueless directives, so writing a parsed policy back lost e.g.
``upgrade-insecure-requests``.

:class:`COOP` and :class:`COEP` are the values of the Cross-Origin-Opener /
Embedder-Policy headers (``werkzeug.http.COOP`` / ``COEP``).

Everything header-related is importable from here: the generic syntax
(:mod:`~hipflask.http.header_syntax`), dates (:mod:`~hipflask.http.dates`)
and cookies (:mod:`~hipflask.http.cookies`) are re-exported.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum

from .cookies import dump_cookie, parse_cookie
from .datastructures import HeaderSet
from .dates import dump_age, http_date, parse_age, parse_date
from .header_syntax import (
    TOKEN_CHARS,
    WHITESPACE,
    dump_header,
    dump_options_header,
    generate_etag,
    parse_dict_header,
    parse_list_header,
    parse_options_header,
    quote_etag,
    quote_header_value,
    split_list,
    unquote_etag,
    unquote_header_value,
)
from .header_types import (
    Accept,
    Authorization,
    ContentRange,
    ContentSecurityPolicy,
    ETags,
    IfRange,
    Range,
    RequestCacheControl,
    WWWAuthenticate,
    _dump_csp,
    is_byte_range_valid,
)

if t.TYPE_CHECKING:
    from collections.abc import Mapping

    from .header_types import _CacheControl

__all__ = [
    "COEP",
    "COOP",
    "MAX_ACCEPT_ITEMS",
    "MAX_ETAGS",
    "MAX_RANGES",
    "TOKEN_CHARS",
    "dump_age",
    "dump_cookie",
    "dump_csp_header",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "http_date",
    "is_byte_range_valid",
    "is_resource_modified",
    "parse_accept_header",
    "parse_age",
    "parse_authorization_header",
    "parse_cache_control_header",
    "parse_content_range_header",
    "parse_cookie",
    "parse_csp_header",
    "parse_date",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "parse_set_header",
    "parse_www_authenticate_header",
    "quote_etag",
    "quote_header_value",
    "unquote_etag",
    "unquote_header_value",
]

#: Accept-* items read; the rest of a longer header is ignored.
MAX_ACCEPT_ITEMS = 64
#: A Range header with more ranges than this is invalid (``None``).
MAX_RANGES = 64
#: Entity tags read from If-Match / If-None-Match.
MAX_ETAGS = 64
#: Longest integer accepted in Range / Content-Range (covers 2**63).
_MAX_INT_DIGITS = 19

_WS = WHITESPACE

# ---------------------------------------------------------------------------
# Accept-* and Cache-Control

_TAccept = t.TypeVar("_TAccept", bound=Accept)
_TCacheControl = t.TypeVar("_TCacheControl", bound="_CacheControl")


def _is_q_value(text: str) -> bool:
    """Match ``-?DIGITS(.DIGITS)?``, as Werkzeug does before range-checking."""
    body = text[1:] if text[:1] == "-" else text
    whole, dot, fraction = body.partition(".")
    return body.isascii() and whole.isdigit() and (not dot or fraction.isdigit())


@t.overload
def parse_accept_header(value: str | None) -> Accept: ...
@t.overload
def parse_accept_header(value: str | None, cls: type[_TAccept]) -> _TAccept: ...
def parse_accept_header(value: str | None, cls: type[Accept] = Accept) -> Accept:
    """Parse an Accept-* header into ``cls`` (sorted by specificity, quality).

    Items with a ``q`` outside 0..1 or not a number are skipped; other
    parameters stay part of the value. At most :data:`MAX_ACCEPT_ITEMS`.
    """
    if not value:
        return cls(None)
    result: list[tuple[str, float]] = []
    for item in split_list(value, MAX_ACCEPT_ITEMS):
        name, _, parameters = item.partition(";")
        parameters = parameters.strip(_WS)
        if not parameters:
            # PERF: most items are bare or carry only a token q; those two
            # shapes skip the general parameter parser (same result).
            result.append((name.strip(_WS), 1))
            continue
        name = name.strip(_WS)
        q_text: str | None = parameters[2:]
        if (
            name
            and q_text
            and parameters[:2] == "q="
            and TOKEN_CHARS.issuperset(q_text)
        ):
            options: dict[str, str] = {}
        else:
            name, options = parse_options_header(item)
            q_text = options.pop("q", None)
        quality: float = 1
        if q_text is not None:
            q_text = q_text.strip(_WS)
            if not _is_q_value(q_text):
                continue
            quality = float(q_text)
            if not 0 <= quality <= 1:
                continue
        if options:
            name = dump_options_header(name, options)
        result.append((name, quality))
    return cls(result)


@t.overload
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[_CacheControl], None] | None = None,
) -> RequestCacheControl: ...
@t.overload
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[_CacheControl], None] | None = None,
    cls: type[_TCacheControl] = ...,
) -> _TCacheControl: ...
def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[_CacheControl], None] | None = None,
    cls: type[_CacheControl] = RequestCacheControl,
) -> _CacheControl:
    """Parse ``Cache-Control`` into ``cls`` (request directives by default)."""
    if not value:
        return cls((), on_update)
    return cls(parse_dict_header(value), on_update)


# ---------------------------------------------------------------------------
# Entity tags and conditional requests


# One If-Match / If-None-Match item: an optional weak marker, then a quoted
# tag or (leniently, as Werkzeug) a bare one, then a comma or the end. If the
# item does not fit after "W/", the engine retries it as a bare "W/..." tag.
_etag_item_re = re.compile(r'[ \t]*([Ww]/)?(?:"([^"]*)"|([^" \t,]+))[ \t]*(?:,|\Z)')


def parse_etags(value: str | None) -> ETags:
    """Parse If-Match / If-None-Match into :class:`ETags`.

    ``*`` alone is the star tag. Malformed items are skipped up to the next
    comma; only the first :data:`MAX_ETAGS` items are read.
    """
    if not value:
        return ETags()
    if value == "*":
        return ETags(star_tag=True)
    strong: list[str] = []
    weak: list[str] = []
    match_item = _etag_item_re.match
    length = len(value)
    pos = 0
    for _item in range(MAX_ETAGS):
        if pos >= length:
            break
        match = match_item(value, pos)
        if match is None:
            pos = value.find(",", pos) + 1
            if pos == 0:
                break
            continue
        is_weak, quoted, bare = match.groups()
        (weak if is_weak else strong).append(bare if quoted is None else quoted)
        pos = match.end()
    return ETags(strong, weak)


def _utc_seconds(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        value = parse_date(value)
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.replace(microsecond=0)


def is_resource_modified(
    *,
    method: str,
    if_none_match: ETags | None,
    if_modified_since: datetime | str | None,
    if_match: ETags | None = None,
    if_unmodified_since: datetime | str | None = None,
    if_range: IfRange | None = None,
    etag: str | None = None,
    last_modified: datetime | str | None = None,
    ignore_if_range: bool = True,
) -> bool:
    """Return False if the request's preconditions stop a normal response.

    ``etag`` is the response's ETag (quoted or not, ``W/`` for weak) and
    ``last_modified`` its Last-Modified; dates are compared to the second.
    Following RFC 9110 13.2.2, in order:

    1. If-Match present: false (412) unless ``*`` or it lists ``etag`` by
       strong comparison (a weak ``etag`` never matches).
    2. Else If-Unmodified-Since: false (412) if modified after that date.
    3. If-None-Match present: false (304 for GET/HEAD, else 412) if ``*`` or
       it lists ``etag`` by weak comparison; If-Modified-Since is not used.
    4. Else, for GET and HEAD, If-Modified-Since: false (304) if not
       modified after that date.

    A False result is a 412 if step 1 or 2 failed, else 304 (GET/HEAD).
    With ``ignore_if_range=False`` and a non-empty ``if_range``, step 5 is
    answered instead: True means the Range must be ignored (the ETag is not
    a strong match, or Last-Modified is later than the If-Range date). Call it
    only after the preconditions passed.
    """
    tag, weak = unquote_etag(etag)
    modified = _utc_seconds(last_modified)

    if not ignore_if_range and if_range is not None:
        if if_range.etag is not None:
            return tag is None or bool(weak) or if_range.etag != tag
        if if_range.date is not None:
            since = _utc_seconds(if_range.date)
            return modified is None or since is None or modified > since

    if if_match:
        if not (
            if_match.star_tag or (tag is not None and not weak and tag in if_match)
        ):
            return False
    else:
        since = _utc_seconds(if_unmodified_since)
        if since is not None and modified is not None and modified > since:
            return False

    if if_none_match:
        return not (
            if_none_match.star_tag
            or (tag is not None and if_none_match.contains_weak(tag))
        )
    if method in ("GET", "HEAD"):
        since = _utc_seconds(if_modified_since)
        if since is not None and modified is not None and modified <= since:
            return False
    return True


# ---------------------------------------------------------------------------
# Ranges


def _plain_int(text: str) -> int | None:
    """Parse ``-?DIGITS`` (ASCII, at most 19 digits) after stripping blanks."""
    text = text.strip(_WS)
    digits = text[1:] if text[:1] == "-" else text
    if (
        not digits
        or len(digits) > _MAX_INT_DIGITS
        or not digits.isdigit()
        or not digits.isascii()
    ):
        return None
    return int(text)


def parse_range_header(value: str | None, make_inclusive: bool = True) -> Range | None:
    """Parse ``bytes=0-499, 500-999, -500, 9500-`` into a :class:`Range`.

    Stored ranges are ``(start, stop)`` with ``stop`` exclusive, or
    ``(-suffix, None)`` / ``(start, None)``. Ranges must be ascending and not
    overlap, an open range must be last, and there may be at most
    :data:`MAX_RANGES`; otherwise the result is ``None``. ``make_inclusive``
    is accepted for Werkzeug compatibility and ignored.
    """
    if not value or "=" not in value:
        return None
    units, _, range_set = value.partition("=")
    units = units.strip(_WS).lower()
    ranges: list[tuple[int, int | None]] = []
    last_end = 0
    pos = 0
    while True:
        comma = range_set.find(",", pos)
        item = range_set[pos:] if comma == -1 else range_set[pos:comma]
        item = item.strip(_WS)
        if "-" not in item or len(ranges) == MAX_RANGES:
            return None
        end: int | None
        if item[0] == "-":
            begin = _plain_int(item)
            if last_end < 0 or begin is None or begin == 0:
                return None
            end = None
            last_end = -1
        else:
            begin_text, _, end_text = item.partition("-")
            begin = _plain_int(begin_text)
            if begin is None or begin < last_end or last_end < 0:
                return None
            if end_text.strip(_WS):
                end = _plain_int(end_text)
                if end is None:
                    return None
                end += 1
                if begin >= end:
                    return None
                last_end = end
            else:
                end = None
                last_end = -1
        ranges.append((begin, end))
        if comma == -1:
            return Range(units, ranges)
        pos = comma + 1


def parse_content_range_header(
    value: str | None,
    on_update: Callable[[ContentRange], None] | None = None,
) -> ContentRange | None:
    """Parse ``bytes 0-499/1234`` or ``bytes */1234``; invalid gives ``None``."""
    if value is None:
        return None
    units, _, range_def = value.strip(_WS).partition(" ")
    if "/" not in range_def:
        return None
    span, _, length_text = range_def.partition("/")
    length: int | None = None
    if length_text != "*":
        length = _plain_int(length_text)
        if length is None:
            return None
    if span == "*":
        if not is_byte_range_valid(None, None, length):
            return None
        return ContentRange(units, None, None, length, on_update=on_update)
    if "-" not in span:
        return None
    start_text, _, stop_text = span.partition("-")
    start = _plain_int(start_text)
    stop = _plain_int(stop_text)
    if start is None or stop is None:
        return None
    stop += 1
    if not is_byte_range_valid(start, stop, length):
        return None
    return ContentRange(units, start, stop, length, on_update=on_update)


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse If-Range: a date, else an entity tag (weakness dropped)."""
    if not value:
        return IfRange()
    parsed = parse_date(value)
    if parsed is not None:
        return IfRange(date=parsed)
    return IfRange(unquote_etag(value)[0])


# ---------------------------------------------------------------------------
# Set-like lists (Vary, Allow, Content-Language)


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """Parse a comma list into a case-insensitive :class:`HeaderSet`."""
    if not value:
        return HeaderSet(None, on_update)
    return HeaderSet(split_list(value), on_update)


# ---------------------------------------------------------------------------
# Authorization


def parse_authorization_header(value: str | None) -> Authorization | None:
    """Parse ``Authorization``: Basic (decoded), token68, or auth-params.

    Basic with invalid base64, non-UTF-8 text or no ``:`` gives ``None``.
    """
    return Authorization.from_header(value)


def parse_www_authenticate_header(value: str | None) -> WWWAuthenticate | None:
    """Parse one ``WWW-Authenticate`` challenge; empty gives ``None``."""
    return WWWAuthenticate.from_header(value)


# ---------------------------------------------------------------------------
# Content-Security-Policy and cross-origin isolation

_TCSP = t.TypeVar("_TCSP", bound=ContentSecurityPolicy)
# CSP 3's ASCII whitespace, around items and between a name and its value.
_CSP_SPACE = " \t\n\r\f"
_csp_split_name = re.compile(r"[ \t\n\r\f]+").split


class COOP(Enum):
    """Values of ``Cross-Origin-Opener-Policy``."""

    UNSAFE_NONE = "unsafe-none"
    SAME_ORIGIN_ALLOW_POPUPS = "same-origin-allow-popups"
    SAME_ORIGIN = "same-origin"


class COEP(Enum):
    """Values of ``Cross-Origin-Embedder-Policy``."""

    UNSAFE_NONE = "unsafe-none"
    REQUIRE_CORP = "require-corp"


@t.overload
def parse_csp_header(
    value: str | None,
    on_update: Callable[[ContentSecurityPolicy], None] | None = None,
) -> ContentSecurityPolicy: ...
@t.overload
def parse_csp_header(
    value: str | None,
    on_update: Callable[[ContentSecurityPolicy], None] | None = None,
    cls: type[_TCSP] = ...,
) -> _TCSP: ...
def parse_csp_header(
    value: str | None,
    on_update: Callable[[ContentSecurityPolicy], None] | None = None,
    cls: type[ContentSecurityPolicy] | None = None,
) -> ContentSecurityPolicy:
    """Parse ``default-src 'self'; img-src *`` into ``cls`` (a CSP by default).

    Items are split on ``;``; empty ones are skipped. Each item's name (up to
    the first whitespace, lowercased) maps to the rest, stripped (``""`` when
    there is none); a repeated name keeps its first value.
    """
    if cls is None:
        cls = ContentSecurityPolicy
    if not value:
        return cls((), on_update)
    directives: dict[str, str] = {}
    for item in value.split(";"):
        item = item.strip(_CSP_SPACE)
        if not item:
            continue
        name, *rest = _csp_split_name(item, 1)
        directives.setdefault(name.lower(), rest[0] if rest else "")
    return cls(directives, on_update)


def dump_csp_header(header: Mapping[str, str | None]) -> str:
    """Serialize CSP directives to ``name value; name value``.

    A directive whose value is empty or None is written as its bare name.
    ValueError for a name that is empty or holds whitespace or ``;``, or a
    value holding ``;``.
    """
    return _dump_csp(header)
