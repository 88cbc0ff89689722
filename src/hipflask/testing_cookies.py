"""The test client's cookie jar: what a browser would store and send back.

A response's ``Set-Cookie`` header (RFC 6265 section 4.1.1)::

    set-cookie-string = cookie-pair *( ";" SP cookie-av )
    cookie-pair       = cookie-name "=" cookie-value
    cookie-av         = "Expires=" sane-cookie-date / "Max-Age=" 1*DIGIT
                      / "Domain=" domain-value / "Path=" path-value
                      / "Secure" / "HttpOnly" / extension-av   ; e.g. SameSite=Lax

is read leniently, as section 5.2 tells user agents to: the pair is split at the
first ``;`` and its name and value at the first ``=`` (the value is decoded with
:func:`hipflask.http.headers.parse_cookie`), attribute names are
case-insensitive, and a malformed ``Expires`` or ``Max-Age`` is ignored. A header
without a usable pair is dropped.

Cookies are stored under ``(domain, path, decoded name)``. Without ``Domain`` a
cookie belongs to the request host only (``origin_only``); with it, to that
domain and its subdomains (a leading dot is ignored). Without ``Path`` it
belongs to the directory of the request path. ``Max-Age`` takes precedence over
``Expires``; a cookie already expired when received deletes the stored one, and
one that expires later is dropped when next due to be sent. A request gets
every unexpired cookie whose domain and path match it, except ``Secure`` ones
when it is not over https.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
from collections.abc import Iterable, Iterator
from datetime import datetime

from .http.headers import dump_cookie, parse_cookie, parse_date

__all__ = ["Cookie", "CookieJar", "host_name"]


def host_name(host: str) -> str:
    """The lower-cased host name of a ``Host`` value (no port, no brackets)."""
    host = host.rpartition("@")[2]
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    return host.partition(":")[0].rstrip(".").lower()


@dataclasses.dataclass
class Cookie:
    """A stored cookie, as :meth:`FlaskClient.get_cookie` returns it."""

    #: The name as sent in the header.
    key: str
    #: The value as sent in the header (still quoted or escaped).
    value: str
    #: The name as the application set and reads it.
    decoded_key: str
    #: The value as the application set and reads it.
    decoded_value: str
    #: The ``Expires`` attribute.
    expires: datetime | None
    #: The ``Max-Age`` attribute, in seconds.
    max_age: int | None
    #: The ``Domain`` attribute, or the request host when absent.
    domain: str
    #: True when ``Domain`` was absent: only the exact host gets the cookie.
    origin_only: bool
    #: The ``Path`` attribute, or the request path's directory when absent.
    path: str
    #: The ``Secure`` attribute.
    secure: bool | None
    #: The ``HttpOnly`` attribute.
    http_only: bool | None
    #: The ``SameSite`` attribute.
    same_site: str | None
    #: When the cookie expires (a ``time.time()`` value), or None for a session cookie.
    expires_at: float | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    @classmethod
    def _from_response_header(
        cls, server_name: str, path: str, header: str, now: float | None = None
    ) -> Cookie | None:
        """Parse a ``Set-Cookie`` value received for ``server_name`` and ``path``."""
        pair, _, attributes = header.partition(";")
        key, sep, value = pair.partition("=")
        key = key.strip(" \t")
        if not sep or not key:
            return None
        decoded = parse_cookie(pair)
        if not decoded:
            return None
        decoded_key, decoded_value = decoded[0]

        params: dict[str, str | None] = {}
        for item in attributes.split(";"):
            name, has_value, param = item.partition("=")
            name = name.strip(" \t").lower()
            if name:
                params[name] = param.strip(" \t") if has_value else None

        max_age: int | None = None
        raw_max_age = params.get("max-age")
        if raw_max_age:
            digits = raw_max_age[1:] if raw_max_age[0] == "-" else raw_max_age
            if digits.isdigit() and digits.isascii():
                max_age = int(raw_max_age)
        expires = parse_date(params.get("expires"))
        if now is None:
            now = time.time()
        expires_at: float | None = None
        if max_age is not None:
            expires_at = now + max_age
        elif expires is not None:
            expires_at = expires.timestamp()

        domain = (params.get("domain") or "").lstrip(".").lower()
        cookie_path = params.get("path") or ""
        if not cookie_path.startswith("/"):
            # The default path: the request path up to its last slash.
            cookie_path = path.rpartition("/")[0] or "/"
        return cls(
            key=key,
            value=value.strip(" \t"),
            decoded_key=decoded_key,
            decoded_value=decoded_value,
            expires=expires,
            max_age=max_age,
            domain=domain or server_name,
            origin_only=not domain,
            path=cookie_path,
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            expires_at=expires_at,
        )

    @property
    def _storage_key(self) -> tuple[str, str, str]:
        return self.domain, self.path, self.decoded_key

    def _expired(self, now: float) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def _matches_request(self, server_name: str, path: str) -> bool:
        """Whether a request to ``server_name`` and ``path`` gets this cookie."""
        domain = self.domain
        if server_name != domain and (
            self.origin_only
            or not server_name.endswith(domain)
            or server_name[-len(domain) - 1] != "."
        ):
            return False
        cookie_path = self.path
        if path == cookie_path:
            return True
        return path.startswith(cookie_path) and (
            cookie_path.endswith("/") or path[len(cookie_path)] == "/"
        )

    def _to_request_header(self) -> str:
        return f"{self.key}={self.value}"


class CookieJar:
    """Cookies by ``(domain, path, name)``, in the order they were first set."""

    __slots__ = ("_cookies",)

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        return len(self._cookies)

    def get(
        self, key: str, domain: str = "localhost", path: str = "/"
    ) -> Cookie | None:
        """The cookie stored for ``(domain, path, key)``, if any."""
        return self._cookies.get((domain, path, key))

    def set(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: t.Any,
    ) -> None:
        """Store a cookie as if ``domain`` had set it (``kwargs`` to dump_cookie)."""
        header = dump_cookie(key, value, domain=domain, path=path, **kwargs)
        cookie = Cookie._from_response_header(domain, "/", header)
        if cookie is None:
            raise ValueError(f"Cannot store a cookie named {key!r}.")
        cookie.origin_only = origin_only
        self._store(cookie, time.time())

    def delete(self, key: str, domain: str = "localhost", path: str = "/") -> None:
        """Forget the cookie stored for ``(domain, path, key)``."""
        self._cookies.pop((domain, path, key), None)

    def _store(self, cookie: Cookie, now: float) -> None:
        if cookie._expired(now):
            self._cookies.pop(cookie._storage_key, None)
        else:
            self._cookies[cookie._storage_key] = cookie

    def update_from_headers(
        self, server_name: str, path: str, headers: Iterable[str]
    ) -> None:
        """Apply the ``Set-Cookie`` values of a response to ``server_name``/``path``."""
        now = time.time()
        for header in headers:
            cookie = Cookie._from_response_header(server_name, path, header, now)
            if cookie is not None:
                self._store(cookie, now)

    def request_header(self, server_name: str, path: str, *, secure: bool) -> str:
        """The ``Cookie`` value for a request (empty when no cookie applies).

        ``secure`` says whether ``Secure`` cookies may be sent (an https request).
        """
        if not self._cookies:
            return ""
        now = time.time()
        values = []
        for storage_key, cookie in list(self._cookies.items()):
            if cookie._expired(now):
                del self._cookies[storage_key]
            elif (secure or not cookie.secure) and cookie._matches_request(
                server_name, path
            ):
                values.append(cookie._to_request_header())
        return "; ".join(values)
