"""Percent-encoding for query strings, form bodies, paths and IRIs.

Query strings and ``application/x-www-form-urlencoded`` bodies are read as the
WHATWG URL standard describes them (and as Werkzeug 3.1 reads them)::

    query  = pair *( "&" pair )
    pair   = name [ "=" value ]         ; empty pairs (``&&``) are skipped
    name   = *( any char but "&" and "=" )
    value  = *( any char but "&" )      ; a later "=" belongs to the value

Only ``&`` separates pairs (``;`` is data). In names and values ``+`` means a
space and ``%XX`` is a percent-encoded byte. Decoded bytes are read as UTF-8;
bytes that are not valid UTF-8 stay percent-encoded (as ``%XX`` in upper case),
and a ``%`` that does not start a valid escape (``%zz``, a trailing ``%4``)
stays as it is. A pair without ``=`` has the value ``""``; an empty name is kept.

The other helpers build and convert URLs: :func:`url_quote` and friends encode
one component, :func:`url_encode` a whole query string, :func:`iri_to_uri` and
:func:`uri_to_iri` convert between Unicode IRIs and ASCII URIs (IDNA for the
host, UTF-8 percent-encoding elsewhere), and :func:`decode_wsgi_path` undoes the
latin-1 transport encoding PEP 3333 imposes on ``PATH_INFO``.

Every function here runs in time linear in its input and does not raise on
malformed percent-encoding.
"""

from __future__ import annotations

import codecs
import re
import typing as t
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import quote, quote_from_bytes, unquote, unquote_to_bytes, urlsplit

from ._native import speedups
from .exceptions import RequestEntityTooLarge

__all__ = [
    "decode_wsgi_path",
    "iri_to_uri",
    "parse_qsl",
    "uri_to_iri",
    "url_encode",
    "url_quote",
    "url_quote_plus",
    "url_unquote",
    "url_unquote_plus",
]

_ERRORS = "hipflask.url_quote"


def _requote_invalid_bytes(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: keep undecodable bytes as upper-case ``%XX``."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join([f"%{byte:02X}" for byte in bad]), error.end


codecs.register_error(_ERRORS, _requote_invalid_bytes)

#: The C version of :func:`_parse_text_lists` (ASCII text only), when built.
_c_parse_query_lists: t.Callable[[str], dict[str, list[str]] | None] | None = (
    speedups.parse_query_lists if speedups is not None else None
)


# -- query strings ------------------------------------------------------------


# Every ``XX`` of a ``%XX`` escape (any case of hex digits) and the byte it
# stands for, as a latin-1 character.
_HEX_CHARS: dict[str, str] = {
    a + b: chr(int(a + b, 16))
    for a in "0123456789abcdefABCDEF"
    for b in "0123456789abcdefABCDEF"
}


#: The C decoder of backslash-x escapes (CPython's and PyPy's; None elsewhere).
_escape_decode: t.Callable[[str], tuple[bytes, int]] | None = getattr(
    codecs, "escape_decode", None
)


def _unquote(text: str) -> str:
    """Decode the ``%XX`` escapes of one component (read as UTF-8).

    Undecodable bytes stay as upper-case ``%XX``; an invalid escape stays as is.
    """
    if not text.isascii():
        return unquote(text, "utf-8", _ERRORS)
    if _escape_decode is not None and "\\" not in text:
        # PERF: with no backslash of its own, the text's ``%XX`` escapes are
        # exactly the backslash-x escapes of the same text with each "%"
        # spelled that way: the C decoder reads them all in one call. An
        # invalid escape makes it raise; the table below then keeps it as is.
        try:
            raw = _escape_decode(text.replace("%", "\\x"))[0]
        except ValueError:
            pass
        else:
            return raw.decode("utf-8", _ERRORS)
    # PERF: ASCII text (nearly every query and form body) is decoded here in one
    # split and a table lookup per escape; urllib's unquote runs a regex split and
    # a second function per call. Escapes become latin-1 characters, so the
    # string is the escaped bytes; only non-ASCII bytes need the UTF-8 decode.
    bits = text.split("%")
    if len(bits) == 1:
        return text
    out = [bits[0]]
    append = out.append
    for bit in bits[1:]:
        char = _HEX_CHARS.get(bit[:2])
        if char is None:
            append("%")
            append(bit)
        else:
            append(char)
            append(bit[2:])
    text = "".join(out)
    if text.isascii():
        return text
    return text.encode("latin-1").decode("utf-8", _ERRORS)


def _decode_component(text: str) -> str:
    """Decode one name or value: ``+`` to space, then ``%XX`` escapes."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        text = _unquote(text)
    return text


def _as_text(query: str | bytes) -> str:
    """A query as text: bytes are read as UTF-8, U+FFFD for undecodable ones."""
    if type(query) is bytes:
        return query.decode("utf-8", "replace")
    if isinstance(query, (bytes, bytearray, memoryview)):
        return bytes(query).decode("utf-8", "replace")
    return query


def _check_pairs(query: str, max_pairs: int | None) -> None:
    # PERF: a query shorter than the limit cannot hold that many "&" (no count).
    if (
        max_pairs is not None
        and len(query) >= max_pairs
        and query.count("&") >= max_pairs
    ):
        # Only now is an exact count worth its cost.
        count = sum(1 for part in query.split("&") if part)
        if count > max_pairs:
            raise RequestEntityTooLarge(
                f"More than {max_pairs} fields were sent (received {count})."
            )


def parse_qsl(
    query: str | bytes, *, max_pairs: int | None = None
) -> list[tuple[str, str]]:
    """Decode a query string or urlencoded body into ``(name, value)`` pairs.

    Bytes are read as UTF-8 (undecodable bytes become U+FFFD). Raises
    :exc:`RequestEntityTooLarge` when there are more than ``max_pairs`` pairs.
    """
    query = _as_text(query)
    if not query:
        return []
    _check_pairs(query, max_pairs)
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    if "%" not in query and "+" not in query:
        # PERF: the common query (``?q=abc&page=2``) needs no decoding at all.
        for part in query.split("&"):
            if part:
                name, _, value = part.partition("=")
                append((name, value))
        return pairs
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            # PERF: only the parts with escapes pay for decoding.
            if "%" in part or "+" in part:
                name = _decode_component(name)
                value = _decode_component(value)
            append((name, value))
    return pairs


def parse_qs_lists(
    query: str | bytes, *, max_pairs: int | None = None
) -> dict[str, list[str]]:
    """Like :func:`parse_qsl`, but gather the values of each name in a list.

    The result is the storage of a multi dict (name -> every value, in order),
    ready for :meth:`~hipflask.http.multidict.MultiDict._from_lists`.
    """
    if not query:
        return {}
    # PERF: the usual bytes query is decoded inline (no helper call).
    if type(query) is not str:
        query = (
            query.decode("utf-8", "replace")
            if type(query) is bytes
            else _as_text(query)
        )
    if max_pairs is not None and len(query) >= max_pairs:
        _check_pairs(query, max_pairs)  # (a shorter query is within any limit)
    if _c_parse_query_lists is not None:
        lists = _c_parse_query_lists(query)  # None for text it leaves to us
        if lists is not None:
            return lists
    return _parse_text_lists(query)


def _parse_text_lists(query: str) -> dict[str, list[str]]:
    """:func:`parse_qs_lists` of text, in Python (the C helper's reference)."""
    lists: dict[str, list[str]] = {}
    if "%" in query:
        if "%26" in query or ("%3" in query and ("%3D" in query or "%3d" in query)):
            # An escaped "&" or "=" must not split: decode part by part.
            return _parse_escaped_lists(query)
        # PERF: no escape decodes to a separator, so the whole query can be
        # decoded before splitting, in one call: the same names and values
        # (an ASCII separator never joins bytes into one UTF-8 character).
        query = _unquote(query.replace("+", " ") if "+" in query else query)
    elif "+" in query:
        query = query.replace("+", " ")
    # PERF: one pass straight into the lists, instead of a list of pairs that a
    # multi dict then regroups.
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            if name in lists:
                lists[name].append(value)
            else:
                lists[name] = [value]
    return lists


def _parse_escaped_lists(query: str) -> dict[str, list[str]]:
    """:func:`parse_qs_lists` of a query whose escapes may hide a separator."""
    lists: dict[str, list[str]] = {}
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            if "%" in part or "+" in part:
                name = _decode_component(name)
                value = _decode_component(value)
            if name in lists:
                lists[name].append(value)
            else:
                lists[name] = [value]
    return lists


# -- quoting one component ----------------------------------------------------


def url_quote(
    value: str | bytes, safe: str = "/:", charset: str = "utf-8", errors: str = "strict"
) -> str:
    """Percent-encode ``value`` for use in a URL.

    Letters, digits, ``-._~`` and the characters in ``safe`` stay as they are;
    text is encoded with ``charset`` first.
    """
    if isinstance(value, (bytes, bytearray)):
        return quote_from_bytes(value, safe)
    if not isinstance(value, str):
        value = str(value)
    return quote(value, safe, charset, errors)


def url_quote_plus(
    value: str | bytes, safe: str = "", charset: str = "utf-8", errors: str = "strict"
) -> str:
    """Like :func:`url_quote`, but a space becomes ``+`` (form encoding)."""
    if isinstance(value, (bytes, bytearray)):
        if b" " not in value:
            return quote_from_bytes(value, safe)
        return quote_from_bytes(value, safe + " ").replace(" ", "+")
    if not isinstance(value, str):
        value = str(value)
    if " " not in value:
        return quote(value, safe, charset, errors)
    return quote(value, safe + " ", charset, errors).replace(" ", "+")


def url_unquote(
    value: str | bytes, charset: str = "utf-8", errors: str = "replace"
) -> str:
    """Decode ``%XX`` escapes; invalid escapes are kept as they are."""
    if isinstance(value, (bytes, bytearray)):
        return unquote_to_bytes(bytes(value)).decode(charset, errors)
    return unquote(value, charset, errors)


def url_unquote_plus(
    value: str | bytes, charset: str = "utf-8", errors: str = "replace"
) -> str:
    """Like :func:`url_unquote`, but ``+`` is read as a space first."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).replace(b"+", b" ")
    else:
        value = value.replace("+", " ")
    return url_unquote(value, charset, errors)


# -- building query strings ---------------------------------------------------

# What url_encode leaves unescaped besides letters, digits and ``-._~``: the
# characters the WHATWG query percent-encode set allows (as Werkzeug 3.1 does).
_ENCODE_SAFE = "!$'()*,/:;?@"


def _encode_part(value: object) -> str:
    if not isinstance(value, (str, bytes)):
        value = str(value)
    return url_quote_plus(value, _ENCODE_SAFE)


def _iter_items(obj: t.Any) -> Iterator[tuple[t.Any, t.Any]]:
    """Yield ``(key, value)`` pairs from a MultiDict, a mapping or an iterable."""
    if isinstance(obj, Mapping):
        if callable(getattr(obj, "getlist", None)):
            # A MultiDict (ours or Werkzeug's): every value of every key.
            yield from t.cast("t.Any", obj).items(multi=True)
            return
        for key, value in obj.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
        return
    yield from obj


def url_encode(
    obj: Mapping[t.Any, t.Any] | Iterable[tuple[t.Any, t.Any]], sort: bool = False
) -> str:
    """Encode pairs as a query string (without the leading ``?``).

    ``obj`` is a MultiDict, a mapping (list, tuple and set values repeat the
    key) or an iterable of pairs. ``None`` values are skipped; other non-string
    values are passed through ``str()``. ``sort`` orders the pairs by key,
    keeping the order of values within one key.
    """
    pairs = [
        (_encode_part(key), _encode_part(value))
        for key, value in _iter_items(obj)
        if value is not None
    ]
    if sort:
        pairs.sort(key=lambda pair: pair[0])
    return "&".join([f"{key}={value}" for key, value in pairs])


# -- IRI <-> URI ----------------------------------------------------------------

# Left unescaped by iri_to_uri, per component, besides letters, digits and
# ``-._~``: the WHATWG percent-encode sets of each part, plus ``%`` so that
# text already percent-encoded is not encoded twice.
_PATH_SAFE = "%!$&'()*+,/:;=@"
_QUERY_SAFE = "%!$&'()*+,/:;=?@"
_FRAGMENT_SAFE = "%!#$&'()*+,/:;=?@"
_USERINFO_SAFE = "%!$&'()*+,;="
_HOST_SAFE = "%!$&'()*+,;=[]:"
_FALLBACK_SAFE = "%!#$&'()*+,/:;=?@[]"

# A relative reference that iri_to_uri would return unchanged: starts with a
# single "/", and holds only characters that no component would escape.
_PLAIN_RELATIVE = re.compile(r"/(?!/)[A-Za-z0-9\-._~%!$&'()*+,/:;=?@]*")

# Characters kept percent-encoded by uri_to_iri: controls, space, "%", DEL,
# and the delimiters of each component whose decoding would change its meaning.
_ALWAYS_ENCODED = frozenset(range(0x21)) | {0x25, 0x7F}
_KEEP_PATH = _ALWAYS_ENCODED | {ord(c) for c in "/?#"}
_KEEP_QUERY = _ALWAYS_ENCODED | {ord(c) for c in "&=+#"}
_KEEP_FRAGMENT = _ALWAYS_ENCODED
_KEEP_USERINFO = _ALWAYS_ENCODED | {ord(c) for c in ":@/?#"}
_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _split_netloc(netloc: str) -> tuple[str | None, str | None, str, str | None]:
    """Split ``user:password@host:port`` into its four parts (None: absent)."""
    userinfo, at, hostport = netloc.rpartition("@")
    user: str | None = None
    password: str | None = None
    if at:
        user, colon, password_text = userinfo.partition(":")
        password = password_text if colon else None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end != -1:
            host, rest = hostport[: end + 1], hostport[end + 1 :]
            port = rest[1:] if rest.startswith(":") else None
            return user, password, host, port
    host, colon, port_text = hostport.partition(":")
    return user, password, host, port_text if colon else None


def _join_netloc(
    user: str | None, password: str | None, host: str, port: str | None
) -> str:
    netloc = host
    if port is not None:
        netloc = f"{netloc}:{port}"
    if user is not None:
        auth = user if password is None else f"{user}:{password}"
        netloc = f"{auth}@{netloc}"
    return netloc


def _join(
    scheme: str,
    netloc: str,
    path: str,
    query: str,
    fragment: str,
    *,
    has_authority: bool,
) -> str:
    """Reassemble a URL; unlike ``urlunsplit``, an empty ``//`` authority stays."""
    url = path
    if netloc or has_authority:
        if path and not path.startswith("/"):
            path = f"/{path}"
        url = f"//{netloc}{path}"
    if scheme:
        url = f"{scheme}:{url}"
    if query:
        url = f"{url}?{query}"
    if fragment:
        url = f"{url}#{fragment}"
    return url


# urlsplit drops leading C0 controls and spaces, and tabs and newlines anywhere.
_LEADING_JUNK = "".join(map(chr, range(0x21)))
_REMOVED = str.maketrans("", "", "\t\r\n")


def _has_authority(url: str, scheme: str) -> bool:
    """Whether ``url`` has a ``//`` authority part, even an empty one."""
    rest = url.lstrip(_LEADING_JUNK).translate(_REMOVED)
    if scheme:
        rest = rest[len(scheme) + 1 :]
    return rest.startswith("//")


def _encode_host(host: str) -> str:
    if host.isascii():
        return host.lower()
    try:
        return host.lower().encode("idna").decode("ascii")
    except UnicodeError:
        # Not a valid internationalized name: percent-encode it instead.
        return quote(host, _HOST_SAFE)


def iri_to_uri(iri: str) -> str:
    """Convert an IRI to an ASCII URI.

    Non-ASCII and unsafe characters are percent-encoded as UTF-8 (existing
    ``%XX`` escapes are kept) and the host is IDNA-encoded.
    """
    if _PLAIN_RELATIVE.fullmatch(iri):
        # PERF: relative redirects such as ``/login?next=%2F`` need no work.
        return iri
    try:
        parts = urlsplit(iri)
    except ValueError:
        # An unbalanced "[" in the authority: encode it as one opaque string.
        return quote(iri, _FALLBACK_SAFE)
    path = quote(parts.path, _PATH_SAFE)
    query = quote(parts.query, _QUERY_SAFE)
    fragment = quote(parts.fragment, _FRAGMENT_SAFE)
    netloc = ""
    if parts.netloc:
        user, password, host, port = _split_netloc(parts.netloc)
        if user is not None:
            user = quote(user, _USERINFO_SAFE)
        if password is not None:
            password = quote(password, _USERINFO_SAFE)
        if port is not None and not (port.isascii() and port.isdigit()):
            port = quote(port, "")
        netloc = _join_netloc(user, password, _encode_host(host), port)
    return _join(
        parts.scheme,
        netloc,
        path,
        query,
        fragment,
        has_authority=_has_authority(iri, parts.scheme),
    )


def _unquote_keeping(text: str, keep: frozenset[int]) -> str:
    """Decode escapes that are valid UTF-8 and not in ``keep``; leave the rest."""
    if "%" not in text:
        return text

    def decode_run(match: re.Match[str]) -> str:
        run = match.group()
        out: list[str] = []
        pending = bytearray()
        for index in range(0, len(run), 3):
            byte = int(run[index + 1 : index + 3], 16)
            if byte in keep:
                if pending:
                    out.append(pending.decode("utf-8", _ERRORS))
                    pending.clear()
                out.append(run[index : index + 3])
            else:
                pending.append(byte)
        if pending:
            out.append(pending.decode("utf-8", _ERRORS))
        return "".join(out)

    return _ESCAPE_RUN.sub(decode_run, text)


def _decode_host(host: str) -> str:
    if not host.isascii():
        return host.lower()
    host = host.lower()
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        pass
    # Decode label by label, leaving the invalid ones as they are.
    return ".".join([_decode_label(label) for label in host.split(".")])


def _decode_label(label: str) -> str:
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


def uri_to_iri(uri: str) -> str:
    """Convert a URI to an IRI: the reverse of :func:`iri_to_uri`.

    Escapes of valid UTF-8 are decoded, except where the decoded character would
    change the meaning of the URL (delimiters, controls, space, ``%``); the host
    is decoded from IDNA.
    """
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    path = _unquote_keeping(parts.path, _KEEP_PATH)
    query = _unquote_keeping(parts.query, _KEEP_QUERY)
    fragment = _unquote_keeping(parts.fragment, _KEEP_FRAGMENT)
    netloc = ""
    if parts.netloc:
        user, password, host, port = _split_netloc(parts.netloc)
        if user is not None:
            user = _unquote_keeping(user, _KEEP_USERINFO)
        if password is not None:
            password = _unquote_keeping(password, _KEEP_USERINFO)
        netloc = _join_netloc(user, password, _decode_host(host), port)
    return _join(
        parts.scheme,
        netloc,
        path,
        query,
        fragment,
        has_authority=_has_authority(uri, parts.scheme),
    )


# -- WSGI -------------------------------------------------------------------------


def decode_wsgi_path(raw: str) -> str:
    """Turn a PEP 3333 ``PATH_INFO`` (bytes carried as latin-1) into real text.

    The bytes are read as UTF-8; invalid sequences become U+FFFD.
    """
    if raw.isascii():
        # PERF: nearly every path is ASCII, and then there is nothing to do.
        return raw
    try:
        data = raw.encode("latin-1")
    except UnicodeEncodeError:
        # The server already decoded the path (not PEP 3333, but it happens).
        return raw
    return data.decode("utf-8", "replace")
