"""Werkzeug-compatible HTTP data structures, importable from one place.

``from hipflask.http.datastructures import MultiDict, Headers, FileStorage`` works
as it does with Werkzeug. The multi dicts and :class:`CallbackDict` live in
:mod:`hipflask.http.multidict`, :class:`Headers` and :class:`EnvironHeaders` in
:mod:`hipflask.http.header_structures`, the parsed header values (``Accept``,
``Authorization``, ``ETags``, ``Range``, the Cache-Control and CSP dicts...) in
:mod:`hipflask.http.header_types`; this module re-exports them and defines two
more:

- :class:`HeaderSet`, the ordered, case-insensitive set of tokens behind ``Vary``,
  ``Allow`` and ``Content-Language``. It keeps the items as given in a list plus a
  set of their lowercased forms for membership, and reports changes to an
  ``on_update`` callback (the response writes the header back from there).
  ``to_header()`` joins the items with ``", "``, quoting those that are not tokens.

- :class:`FileStorage`, the uploaded file. It wraps the part's stream (a
  ``BytesIO`` or a spooled temporary file from the form parser) and its part
  headers. ``mimetype`` and ``mimetype_params`` come from the part's
  ``Content-Type``, parsed on first use with
  :func:`~hipflask.http.header_syntax.parse_options_header` and cached until the
  header changes.
"""

from __future__ import annotations

import os
import shutil
import typing as t
from collections.abc import Callable, Iterable, Iterator, MutableSet
from io import BytesIO

from .header_structures import EnvironHeaders, Headers
from .header_syntax import parse_options_header, quote_header_value
from .header_types import (
    Accept,
    Authorization,
    CharsetAccept,
    ContentRange,
    ContentSecurityPolicy,
    ETags,
    IfRange,
    LanguageAccept,
    MIMEAccept,
    Range,
    RequestCacheControl,
    ResponseCacheControl,
    WWWAuthenticate,
)
from .multidict import (
    CallbackDict,
    CombinedMultiDict,
    ImmutableMultiDict,
    MultiDict,
    iter_multi_items,
)

__all__ = [
    "Accept",
    "Authorization",
    "CallbackDict",
    "CharsetAccept",
    "CombinedMultiDict",
    "ContentRange",
    "ContentSecurityPolicy",
    "ETags",
    "EnvironHeaders",
    "FileStorage",
    "HeaderSet",
    "Headers",
    "IfRange",
    "ImmutableMultiDict",
    "LanguageAccept",
    "MIMEAccept",
    "MultiDict",
    "Range",
    "RequestCacheControl",
    "ResponseCacheControl",
    "WWWAuthenticate",
    "iter_multi_items",
]


class HeaderSet(MutableSet[str]):
    """An ordered, case-insensitive set of header tokens (``Vary``, ``Allow``).

    ``on_update(self)`` is called after every change.
    """

    def __init__(
        self,
        headers: Iterable[str] | None = None,
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._headers: list[str] = []
        self._set: set[str] = set()
        for header in headers or ():
            key = header.lower()
            if key not in self._set:
                self._set.add(key)
                self._headers.append(header)
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, header: str) -> None:
        """Add ``header`` unless an equal one (ignoring case) is present."""
        self.update((header,))

    def update(self, iterable: Iterable[str]) -> None:
        """Add every header of ``iterable``."""
        changed = False
        for header in iterable:
            key = header.lower()
            if key not in self._set:
                self._set.add(key)
                self._headers.append(header)
                changed = True
        if changed:
            self._changed()

    def remove(self, header: str) -> None:
        """Remove ``header``; raise ``KeyError`` if it is not present."""
        key = header.lower()
        if key not in self._set:
            raise KeyError(header)
        self._set.remove(key)
        del self._headers[self.find(header)]
        self._changed()

    def discard(self, header: str) -> None:
        """Remove ``header`` if present."""
        if header.lower() in self._set:
            self.remove(header)

    def find(self, header: str) -> int:
        """Return the position of ``header``, or -1."""
        key = header.lower()
        for index, item in enumerate(self._headers):
            if item.lower() == key:
                return index
        return -1

    def index(self, header: str) -> int:
        """Return the position of ``header``; raise ``IndexError`` if absent."""
        position = self.find(header)
        if position < 0:
            raise IndexError(header)
        return position

    def clear(self) -> None:
        """Remove every header."""
        self._set.clear()
        self._headers.clear()
        self._changed()

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """Return a plain ``set``: lowercased, or as added with ``preserve_casing``."""
        if preserve_casing:
            return set(self._headers)
        return set(self._set)

    def to_header(self) -> str:
        """Return the header value: the items, quoted if needed, comma-separated."""
        return ", ".join(map(quote_header_value, self._headers))

    def __getitem__(self, index: t.SupportsIndex) -> str:
        return self._headers[index]

    def __delitem__(self, index: t.SupportsIndex) -> None:
        removed = self._headers.pop(index)
        self._set.discard(removed.lower())
        self._changed()

    def __setitem__(self, index: t.SupportsIndex, value: str) -> None:
        old = self._headers[index]
        self._set.discard(old.lower())
        self._headers[index] = value
        self._set.add(value.lower())
        self._changed()

    def __contains__(self, header: object) -> bool:
        return isinstance(header, str) and header.lower() in self._set

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __bool__(self) -> bool:
        return bool(self._headers)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._headers!r})"


class FileStorage:
    """An uploaded file: its stream plus the filename, field name and headers.

    Attributes the wrapper lacks (``read``, ``seek``, ...) come from ``stream``.
    """

    def __init__(
        self,
        stream: t.IO[bytes] | None = None,
        filename: str | os.PathLike[str] | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.name = name
        self.stream: t.IO[bytes] = BytesIO() if stream is None else stream
        if filename is None:
            # A real file knows its name; "<stdin>"-style pseudo names do not count.
            stream_name = getattr(stream, "name", None)
            if isinstance(stream_name, (str, bytes, os.PathLike)):
                filename = os.fsdecode(stream_name)
                if filename.startswith("<") and filename.endswith(">"):
                    filename = None
        else:
            filename = os.fsdecode(filename)
        self.filename: str | None = filename
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers["Content-Type"] = content_type
        if content_length is not None:
            headers["Content-Length"] = str(content_length)
        self._parsed_type: tuple[str, tuple[str, dict[str, str]]] | None = None

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type`` header, if it sent one."""
        return self.headers.get("Content-Type")

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length`` header as an int; 0 if absent or invalid."""
        value = self.headers.get("Content-Length")
        if value is not None:
            value = value.strip()
            if value.isascii() and value.isdigit():
                try:
                    return int(value)
                except ValueError:  # more digits than int() accepts
                    pass
        return 0

    def _content_type_parts(self) -> tuple[str, dict[str, str]]:
        raw = self.content_type or ""
        cached = self._parsed_type
        if cached is None or cached[0] != raw:
            cached = self._parsed_type = (raw, parse_options_header(raw))
        return cached[1]

    @property
    def mimetype(self) -> str:
        """The media type without parameters, lowercased (``"text/html"``)."""
        return self._content_type_parts()[0].lower()

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The Content-Type parameters (``{"charset": "utf-8"}``)."""
        return self._content_type_parts()[1]

    def save(
        self,
        dst: str | bytes | os.PathLike[str] | os.PathLike[bytes] | t.IO[bytes],
        buffer_size: int = 16384,
    ) -> None:
        """Copy the stream to ``dst``: a path (opened, written, closed) or a file.

        A file object given as ``dst`` is left open.
        """
        if isinstance(dst, (str, bytes, os.PathLike)):
            with open(dst, "wb") as target:
                shutil.copyfileobj(self.stream, target, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream, ignoring errors."""
        try:
            self.stream.close()
        except Exception:
            pass

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __getattr__(self, name: str) -> t.Any:
        if name == "__getstate__":
            # Python 3.10's object has none: copy and pickle must not take the
            # stream's.
            raise AttributeError(name)
        try:
            stream = self.__dict__["stream"]
        except KeyError:  # not initialised yet (copy, unpickling)
            raise AttributeError(name) from None
        try:
            return getattr(stream, name)
        except AttributeError:
            # SpooledTemporaryFile before Python 3.11 lacks the IOBase methods.
            backing = getattr(stream, "_file", None)
            if backing is None:
                raise
            return getattr(backing, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"
