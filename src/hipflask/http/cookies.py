"""The Cookie request header and Set-Cookie values (RFC 6265), as Werkzeug 3.1.

Parsing follows Werkzeug rather than the strict RFC grammar, because
browsers send what they were given::

    cookie-string = cookie-pair *( ";" SP cookie-pair )      ; RFC 6265 4.2.1
    cookie-pair   = name [ "=" value ]                        ; leniently:
    name          = 1*<any char except SP HTAB "=" DQUOTE ";">
    value         = quoted / *<any char except SP HTAB DQUOTE ";">
    quoted        = DQUOTE *( <char except "\\" DQUOTE> / "\\" <char but LF> ) DQUOTE

Blanks around names, ``=`` and values are ignored. A pair that does not fit
is skipped up to the next ``;`` after where it started (which may be inside
a broken quoted value, as in Werkzeug). In a quoted value ``\\"``, ``\\\\``
and three-digit octal escapes (``\\054``) are decoded; the bytes are read
as UTF-8. Order and duplicates are kept.

The scan is linear: a header without ``"`` is split at ``;`` and each piece
matched once; otherwise quoted spans are found with ``str.find``, and since
a pair that starts inside a failed quoted span cannot open a new quote
there, no character is scanned more than a constant number of times.

:func:`dump_cookie` writes attributes in Werkzeug's order and quotes values
the way Werkzeug does (octal escapes, as :mod:`http.cookies`).
"""

from __future__ import annotations

import functools
import re
import warnings
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

from .dates import http_date

__all__ = ["dump_cookie", "parse_cookie"]

# The name and the blanks after it, at the start of a pair.
_name_re = re.compile(r'[ \t]*([^ \t=";]+)[ \t]*')
_blanks_re = re.compile(r"[ \t]*")
_token_value_re = re.compile(r'[^ \t";]*')
_escape_re = re.compile(rb"\\(?:([0-3][0-7][0-7])|(.))")


def _unescape(match: re.Match[bytes]) -> bytes:
    octal = match.group(1)
    if octal is not None:
        return bytes((int(octal, 8),))
    return match.group(2)


def _skip_blanks(text: str, pos: int) -> int:
    match = _blanks_re.match(text, pos)
    return pos if match is None else match.end()


def _quoted_end(header: str, pos: int) -> int:
    """Index of the quote closing a value whose content starts at ``pos``.

    -1 if it is unclosed or has a backslash before a line feed.
    """
    close = header.find('"', pos)
    while close != -1:
        slash = header.find("\\", pos, close)
        if slash == -1:
            return close
        if header[slash + 1] == "\n":
            return -1
        pos = slash + 2
        if pos > close:
            close = header.find('"', pos)
    return -1


def _parse_quoted(header: str) -> list[tuple[str, str]]:
    """The general scanner, for headers that contain a ``"``."""
    cookies: list[tuple[str, str]] = []
    length = len(header)
    pos = 0
    while pos < length:
        start = pos
        name_match = _name_re.match(header, pos)
        if name_match is not None:
            name = name_match.group(1)
            value = ""
            pos = name_match.end()
            ok = True
            if pos < length and header[pos] == "=":
                pos = _skip_blanks(header, pos + 1)
                if pos < length and header[pos] == '"':
                    close = _quoted_end(header, pos + 1)
                    if close == -1:
                        ok = False
                    else:
                        value = header[pos + 1 : close]
                        if "\\" in value:
                            raw = value.encode("utf-8", "surrogatepass")
                            value = _escape_re.sub(_unescape, raw).decode(
                                errors="replace"
                            )
                        pos = _skip_blanks(header, close + 1)
                else:
                    token_match = _token_value_re.match(header, pos)
                    token_end = pos if token_match is None else token_match.end()
                    value = header[pos:token_end]
                    pos = _skip_blanks(header, token_end)
            if ok and (pos == length or header[pos] == ";"):
                cookies.append((name, value))
                pos += 1
                continue
        pos = header.find(";", start) + 1
        if pos == 0:
            break
    return cookies


def parse_cookie(header: str | None) -> list[tuple[str, str]]:
    """Parse a Cookie header into ``(name, value)`` pairs, in order.

    Pairs without a name, or that are otherwise malformed, are dropped; a
    name without ``=`` gets the value ``""``.
    """
    if not header:
        return []
    if '"' in header:
        return _parse_quoted(header)
    # PERF: the usual header has no quotes, so every pair lies between two
    # ";" and is checked with str methods (the grammar _parse_quoted applies),
    # several times faster than a regular expression on long cookie values.
    cookies: list[tuple[str, str]] = []
    for pair in header.split(";"):
        name, eq, value = pair.partition("=")
        name = name.strip(" \t")
        if not name or " " in name or "\t" in name:
            continue
        if eq:
            value = value.strip(" \t")
            if " " in value or "\t" in value:
                continue
        cookies.append((name, value))
    return cookies


# Value characters that need no quoting (Werkzeug's set: no space, DQUOTE,
# comma, semicolon or backslash, ASCII only).
_UNQUOTED_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "_!#$%&'()*+-./:<=>?@[]^`{|}~"
)
# How each UTF-8 byte of a quoted value is written.
_BYTE_ESCAPES = [chr(byte) for byte in range(256)]
for _byte in (*range(0x1A), *b",;", *range(0x7F, 256)):
    _BYTE_ESCAPES[_byte] = f"\\{_byte:03o}"
_BYTE_ESCAPES[ord('"')] = '\\"'
_BYTE_ESCAPES[ord("\\")] = "\\\\"
del _byte
_SAMESITE = frozenset({"Strict", "Lax", "None"})


@functools.lru_cache(maxsize=64)
def _quote_path(path: str) -> str:
    # PERF: applications use a handful of cookie paths; quote each once.
    return quote(path, safe="%!$&'()*+,/:=@")


def _reject_newlines(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"the cookie {name} must not contain CR or LF: {value!r}")


def dump_cookie(
    key: str,
    value: str = "",
    max_age: timedelta | int | None = None,
    expires: str | datetime | date | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
    sync_expires: bool = True,
    max_size: int = 4093,
) -> str:
    """Build a Set-Cookie header value, in Werkzeug 3.1's format.

    ``key`` is trusted (not validated). ``value`` is quoted with octal
    escapes if it has characters RFC 6265 does not allow. With ``max_age``
    and no ``expires``, Expires is derived unless ``sync_expires`` is off.
    ``samesite`` is Strict, Lax or None (any case); ``partitioned`` implies
    Secure. ValueError for CR/LF in the key, value, domain or a string
    ``expires``. A result longer than ``max_size`` (0: no limit) warns, as
    browsers may silently drop it.
    """
    _reject_newlines("key", key)
    _reject_newlines("value", value)
    if path is not None:
        path = _quote_path(path)
    if domain:
        _reject_newlines("domain", domain)
        domain = domain.partition(":")[0].lstrip(".").encode("idna").decode("ascii")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    expires_text: str | None
    if isinstance(expires, str):
        _reject_newlines("expires", expires)
        expires_text = expires
    elif expires is not None:
        expires_text = http_date(expires)
    elif max_age is not None and sync_expires:
        expires_text = http_date(datetime.now(tz=timezone.utc).timestamp() + max_age)
    else:
        expires_text = None
    if samesite is not None:
        samesite = samesite.title()
        if samesite not in _SAMESITE:
            raise ValueError("SameSite must be 'Strict', 'Lax', or 'None'.")
    if partitioned:
        secure = True

    if not _UNQUOTED_CHARS.issuperset(value):
        value = '"' + "".join([_BYTE_ESCAPES[byte] for byte in value.encode()]) + '"'

    parts = [f"{key.encode().decode('latin1')}={value}"]
    for name, attribute in (
        ("Domain", domain),
        ("Expires", expires_text),
        ("Max-Age", max_age),
        ("Secure", bool(secure)),
        ("HttpOnly", bool(httponly)),
        ("Path", path),
        ("SameSite", samesite),
        ("Partitioned", bool(partitioned)),
    ):
        if attribute is None or attribute is False:
            continue
        parts.append(name if attribute is True else f"{name}={attribute}")
    result = "; ".join(parts)

    size = len(result)
    if max_size and size > max_size:
        value_size = len(value)
        warnings.warn(
            f"The '{key}' cookie is too large: the value was {value_size} bytes but"
            f" the header required {size - value_size} extra bytes. The final size"
            f" was {size} bytes but the limit is {max_size} bytes. Browsers may"
            " silently ignore cookies larger than this.",
            stacklevel=2,
        )
    return result
