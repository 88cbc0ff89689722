"""Field-value syntax shared by HTTP headers (RFC 9110 5.6, RFC 8187).

Parsers and dumpers for the generic shapes that typed headers are built
from: tokens, quoted strings, comma lists, ``key=value`` dicts, parameters
after ``;`` and entity tags. The grammar::

    token          = 1*tchar
    tchar          = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "."
                   / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    quoted-string  = DQUOTE *( qdtext / quoted-pair ) DQUOTE
    quoted-pair    = "\\" ( HTAB / SP / VCHAR / obs-text )
    #element       = [ element ] *( OWS "," OWS [ element ] )
    parameters     = *( OWS ";" OWS [ parameter ] )
    parameter      = parameter-name "=" parameter-value
    parameter-value = ( token / quoted-string )
    ext-value      = charset "'" [ language ] "'" value-chars   ; RFC 8187
    entity-tag     = [ "W/" ] DQUOTE *etagc DQUOTE              ; 9110 8.8.3

Every parser is one forward scan with ``str.find`` (positions of the next
comma or quote are remembered, never searched for twice) or a regex with a
single non-nested quantifier, so time is linear in the input. Malformed
input never raises: results match Werkzeug 3.1 (invalid parts skipped, an
unclosed quoted string in a list gives ``[]``).
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

__all__ = [
    "TOKEN_CHARS",
    "dump_header",
    "dump_options_header",
    "generate_etag",
    "parse_dict_header",
    "parse_list_header",
    "parse_options_header",
    "quote_etag",
    "quote_header_value",
    "unquote_etag",
    "unquote_header_value",
]

TOKEN_CHARS = frozenset(
    "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
)
WHITESPACE = " \t"
_unslash_re = re.compile(r"\\(.)")
_token_re = re.compile(r"[\w!#$%&'*+\-.^`|~]+", re.ASCII)
_parameter_key_re = re.compile(r"([\w!#$%&'*+\-.^`|~]+)=", re.ASCII)
_charset_chars = TOKEN_CHARS - {"'"}
_safe_charsets = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})


def quote_header_value(value: object, allow_token: bool = True) -> str:
    """Return ``str(value)`` as a token if it is one, else as a quoted-string."""
    text = str(value)
    if not text:
        return '""'
    if allow_token and TOKEN_CHARS.issuperset(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_header_value(value: str, is_filename: bool = False) -> str:
    """Remove surrounding quotes and backslash escapes from ``value``.

    With ``is_filename``, a quoted UNC path (``"\\\\server\\share"``) keeps
    its backslashes, as browsers send such paths unescaped.
    """
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        if "\\" not in inner or (is_filename and inner[:2] == "\\\\"):
            return inner
        return _unslash_re.sub(r"\g<1>", inner)
    return value


# ---------------------------------------------------------------------------
# Comma lists and key=value dicts


def split_list(value: str, limit: int = 0) -> list[str]:
    """Split a ``#element`` list at commas outside quoted strings.

    Items are stripped and unquoted and empty ones dropped. An unclosed
    quoted string makes the value invalid (``[]``). With ``limit``, scanning
    stops once that many items were found.
    """
    items: list[str] = []
    length = len(value)
    start = pos = 0
    # PERF: the next comma and quote are found once and reused until passed.
    comma = value.find(",")
    quote = value.find('"')
    while True:
        if quote != -1 and (comma == -1 or quote < comma):
            # Skip a quoted string, in which a backslash escapes any character.
            pos = quote + 1
            close = value.find('"', pos)
            while True:
                if close == -1:
                    return []
                slash = value.find("\\", pos, close)
                if slash == -1:
                    break
                pos = slash + 2
                if pos > close:
                    close = value.find('"', pos) if pos < length else -1
            pos = close + 1
            quote = value.find('"', pos)
            if comma != -1 and comma < pos:
                comma = value.find(",", pos)
            continue
        item = value[start : length if comma == -1 else comma].strip(WHITESPACE)
        if item:
            items.append(unquote_header_value(item))
            if len(items) == limit:
                return items
        if comma == -1:
            return items
        start = pos = comma + 1
        comma = value.find(",", pos)


def parse_list_header(value: str) -> list[str]:
    """Parse a comma list: ``'a, "b, c"'`` gives ``['a', 'b, c']``.

    Empty items are dropped; an unclosed quoted string gives ``[]``.
    """
    return split_list(value)


def split_ext_value(value: str) -> tuple[str, str | None]:
    """Split ``charset'language'pct-encoded`` into (encoded, lowercase charset).

    Returns ``(value, None)`` when ``value`` does not have that shape.
    """
    first = value.find("'")
    second = value.find("'", first + 1) if first != -1 else -1
    if second == -1:
        return value, None
    encoded = value[second + 1 :]
    if encoded[-1:] == "\n":
        # Werkzeug's pattern ends in "$", which also matches before a final LF.
        encoded = encoded[:-1]
    if (
        not encoded
        or not TOKEN_CHARS.issuperset(encoded)
        or not _charset_chars.issuperset(value[:first])
        or not _charset_chars.issuperset(value[first + 1 : second])
    ):
        return value, None
    return encoded, value[:first].lower()


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse a comma list of ``key=value`` items; a bare key maps to ``None``.

    ``key*=UTF-8''%e2%82%ac`` is percent-decoded into ``key`` for the
    ASCII, UTF-8 and ISO-8859-1 charsets. Items without a key are skipped.
    """
    result: dict[str, str | None] = {}
    for item in split_list(value):
        key, has_value, item_value = item.partition("=")
        key = key.strip(WHITESPACE)
        if not key:
            continue
        if not has_value:
            result[key] = None
            continue
        item_value = item_value.strip(WHITESPACE)
        if key[-1] == "*":
            key = key[:-1]
            item_value, charset = split_ext_value(item_value)
            if charset in _safe_charsets:
                item_value = unquote(item_value, encoding=charset)
        result[key] = unquote_header_value(item_value)
    return result


def dump_header(iterable: Mapping[str, t.Any] | Iterable[t.Any]) -> str:
    """Join items, or a mapping's ``key=value`` pairs, with ``", "``.

    Values are quoted when needed, a ``None`` value gives the bare key, and
    a key ending in ``*`` is taken to hold an encoded ext-value already.
    """
    if isinstance(iterable, Mapping):
        items = []
        for key, value in iterable.items():
            if value is None:
                items.append(key)
            elif key[-1:] == "*":
                items.append(f"{key}={value}")
            else:
                items.append(f"{key}={quote_header_value(value)}")
        return ", ".join(items)
    return ", ".join([quote_header_value(item) for item in iterable])


# ---------------------------------------------------------------------------
# Parameters: Content-Type, Content-Disposition


def _scan_parameters(rest: str) -> list[tuple[str, str]]:
    """Collect ``(lowercase key, raw value)`` pairs from ``a=b; c="d"``.

    A part that is neither ``token=token`` nor ``token=quoted-string`` is
    skipped up to the next ``;``; an unclosed quoted string ends the scan.
    """
    parts: list[tuple[str, str]] = []
    length = len(rest)
    pos = 0
    while pos < length:
        key_match = _parameter_key_re.match(rest, pos)
        if key_match is not None:
            key = key_match.group(1).lower()
            pos = key_match.end()
            token_match = _token_re.match(rest, pos)
            if token_match is not None:
                parts.append((key, token_match.group()))
            elif pos < length and rest[pos] == '"':
                # Only \\ and \" are escapes; any other backslash is literal.
                scan = pos + 1
                close = rest.find('"', scan)
                while close != -1:
                    slash = rest.find("\\", scan, close)
                    if slash == -1:
                        break
                    scan = slash + 2 if rest[slash + 1] in '\\"' else slash + 1
                    if scan > close:
                        close = rest.find('"', scan)
                if close == -1:
                    break
                parts.append((key, rest[pos : close + 1]))
                pos = close + 1
        delimiter = rest.find(";", pos)
        if delimiter == -1:
            break
        pos = delimiter + 1
        while pos < length and rest[pos] in WHITESPACE:
            pos += 1
    return parts


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split ``text/html; charset="utf-8"`` into ``("text/html", {...})``.

    Keys are lowercased and values unquoted (``\\"`` and ``%22`` both give
    ``"``). RFC 2231 continuations (``key*0=``, ``key*1=``) are joined and
    ``key*=charset''pct-encoded`` values decoded for ASCII, UTF-8 and
    ISO-8859-1; such a decoded ``key*`` wins over a plain ``key`` in either
    order (RFC 6266 4.3). Malformed parameters are skipped.
    """
    if value is None:
        return "", {}
    main, _, rest = value.partition(";")
    main = main.strip(WHITESPACE)
    rest = rest.strip(WHITESPACE)
    if not main or not rest:
        return main, {}

    options: dict[str, str] = {}
    continuations: dict[str, list[str]] = {}
    continuation_charsets: dict[str, str] = {}
    decoded: set[str] = set()
    for key, raw in _scan_parameters(rest):
        charset: str | None = None
        is_continuation = has_charset = False
        if key[-1] == "*":
            has_charset = True
            key = key[:-1]
        star = key.rfind("*")
        if star != -1 and key[star + 1 :].isdigit():
            is_continuation = True
            key = key[:star]

        if has_charset:
            raw, charset = split_ext_value(raw)
            if not charset and is_continuation:
                charset = continuation_charsets.get(key)
            if charset in _safe_charsets:
                raw = unquote(raw, encoding=charset)
                decoded.add(key)
        elif key in decoded and not is_continuation:
            continue
        else:
            raw = unquote_header_value(raw).replace("%22", '"')

        if is_continuation:
            options.pop(key, None)
            continuations.setdefault(key, []).append(raw)
            if charset:
                continuation_charsets[key] = charset
        else:
            if key in continuations:
                del continuations[key]
                continuation_charsets.pop(key, None)
            options[key] = raw

    for key, pieces in continuations.items():
        options[key] = "".join(pieces)
    return main, options


def dump_options_header(header: str | None, options: Mapping[str, t.Any]) -> str:
    """Join ``header`` and ``key=value`` options with ``"; "``.

    ``None`` values are skipped; keys ending in ``*`` are written unquoted.
    """
    segments = [] if header is None else [header]
    for key, value in options.items():
        if value is None:
            continue
        if key[-1:] == "*":
            segments.append(f"{key}={value}")
        else:
            segments.append(f"{key}={quote_header_value(value)}")
    return "; ".join(segments)


# ---------------------------------------------------------------------------
# Entity tags


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote ``etag``, as ``W/"..."`` if weak; ValueError if it has a ``"``."""
    if '"' in etag:
        raise ValueError(f"an entity tag cannot contain '\"', got {etag!r}")
    return f'W/"{etag}"' if weak else f'"{etag}"'


@t.overload
def unquote_etag(etag: str) -> tuple[str, bool]: ...
@t.overload
def unquote_etag(etag: None) -> tuple[None, None]: ...
@t.overload
def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]: ...
def unquote_etag(etag: str | None) -> tuple[str, bool] | tuple[None, None]:
    """Split ``W/"tag"`` into ``("tag", True)``; empty gives ``(None, None)``.

    A value without quotes is returned as it is (after any ``W/``).
    """
    if not etag:
        return None, None
    weak = etag[:2] in ("W/", "w/")
    start = 2 if weak else 0
    if etag.startswith('"', start) and etag.endswith('"', start):
        return etag[start + 1 : -1], weak
    return etag[start:], weak


def generate_etag(data: bytes) -> str:
    """Return the SHA-1 hex digest of ``data``, for use as an entity tag."""
    from hashlib import sha1  # imported when first needed

    return sha1(data, usedforsecurity=False).hexdigest()
