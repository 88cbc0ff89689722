"""Authorization and WWW-Authenticate values (RFC 9110 11, RFC 7617).

::

    credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    auth-param  = token BWS "=" BWS ( token / quoted-string )

After the scheme, an ``=`` that is not trailing base64 padding means
auth-params (parsed with :func:`~hipflask.http.header_syntax.parse_dict_header`),
otherwise the rest is a token68. Basic credentials are decoded into
``username`` and ``password``; invalid base64, non-UTF-8 text or a missing
``:`` make the header invalid (``None``). Scheme names are lowercased.
"""

from __future__ import annotations

import base64
import typing as t
from collections.abc import Callable, Mapping

from .header_syntax import dump_header, parse_dict_header, quote_header_value
from .multidict import CallbackDict

if t.TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Authorization", "WWWAuthenticate"]


def _split_credentials(value: str) -> tuple[str, str, bool]:
    """Split ``Scheme rest`` into (lowercase scheme, rest, rest-is-params)."""
    scheme, _, rest = value.partition(" ")
    rest = rest.strip(" \t")
    # An "=" that is not trailing base64 padding means auth-params.
    return scheme.lower(), rest, "=" in rest.rstrip("=")


class Authorization:
    """Credentials from an Authorization header.

    Basic credentials are decoded into ``username`` and ``password``
    parameters; other schemes carry either ``parameters`` or a ``token``.
    ``auth.realm`` and ``auth["realm"]`` read parameters (None if absent).
    """

    __slots__ = ("parameters", "token", "type")

    def __init__(
        self,
        auth_type: str,
        data: dict[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type
        self.parameters: dict[str, str | None] = {} if data is None else data
        self.token = token

    def __getattr__(self, name: str) -> str | None:
        if name[:2] == "__" or name in Authorization.__slots__:
            raise AttributeError(name)
        return self.parameters.get(name)

    def __getitem__(self, name: str) -> str | None:
        return self.parameters.get(name)

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self.parameters.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (
            other.type == self.type
            and other.token == self.token
            and other.parameters == self.parameters
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_header(cls, value: str | None) -> Self | None:
        """Parse a header value; None if empty, or if Basic credentials are
        not valid base64 of UTF-8 ``user:password``.
        """
        if not value:
            return None
        scheme, rest, has_params = _split_credentials(value)
        if scheme == "basic":
            try:
                text = base64.b64decode(rest, validate=True).decode()
            except ValueError:  # binascii.Error, UnicodeDecodeError, non-ASCII
                return None
            username, colon, password = text.partition(":")
            if not colon:
                return None
            return cls(scheme, {"username": username, "password": password})
        if has_params:
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Serialize to a header value."""
        if self.type == "basic":
            credentials = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(credentials).decode("ascii")
        if self.token is not None:
            return f"{self.type.title()} {self.token}"
        return f"{self.type.title()} {dump_header(self.parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"


_WWW_AUTHENTICATE_ATTRIBUTES = frozenset(
    {"_type", "_parameters", "_token", "_on_update", "type", "parameters", "token"}
)


class WWWAuthenticate:
    """A WWW-Authenticate challenge: ``type`` plus ``parameters`` or ``token``.

    ``auth.realm`` and ``auth["realm"]`` get, set and delete parameters.
    Any change calls ``_on_update(self)``, which a Response sets to write
    the header back.
    """

    __slots__ = ("_on_update", "_parameters", "_token", "_type")

    def __init__(
        self,
        auth_type: str,
        values: Mapping[str, str | None] | None = None,
        token: str | None = None,
    ) -> None:
        self._on_update: Callable[[WWWAuthenticate], None] | None = None
        self._type = auth_type.lower()
        self._parameters: CallbackDict[str, str | None] = CallbackDict(
            values, self._parameters_changed
        )
        self._token = token

    def _parameters_changed(self, _parameters: object) -> None:
        self._trigger_on_update()

    def _trigger_on_update(self) -> None:
        if self._on_update is not None:
            self._on_update(self)

    @property
    def type(self) -> str:
        """The scheme, lowercase: ``basic``, ``digest``, ``bearer``..."""
        return self._type

    @type.setter
    def type(self, value: str) -> None:
        self._type = value.lower()
        self._trigger_on_update()

    @property
    def parameters(self) -> dict[str, str | None]:
        """The auth-params of the challenge."""
        return self._parameters

    @parameters.setter
    def parameters(self, value: Mapping[str, str | None]) -> None:
        self._parameters = CallbackDict(value, self._parameters_changed)
        self._trigger_on_update()

    @property
    def token(self) -> str | None:
        """The token68 of the challenge, if it has one instead of parameters."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value
        self._trigger_on_update()

    def __getitem__(self, key: str) -> str | None:
        return self._parameters.get(key)

    def __setitem__(self, key: str, value: str | None) -> None:
        if value is None:
            if key in self._parameters:
                dict.__delitem__(self._parameters, key)
        else:
            dict.__setitem__(self._parameters, key, value)
        self._trigger_on_update()

    def __delitem__(self, key: str) -> None:
        if key in self._parameters:
            del self._parameters[key]

    def __getattr__(self, name: str) -> str | None:
        if name[:2] == "__" or name in _WWW_AUTHENTICATE_ATTRIBUTES:
            raise AttributeError(name)
        return self[name]

    def __setattr__(self, name: str, value: t.Any) -> None:
        if name in _WWW_AUTHENTICATE_ATTRIBUTES:
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WWWAuthenticate):
            return NotImplemented
        return (
            other.type == self.type
            and other.token == self.token
            and other.parameters == self.parameters
        )

    __hash__ = None  # type: ignore[assignment]

    def get(self, key: str, default: str | None = None) -> str | None:
        """A parameter, or ``default``."""
        return self._parameters.get(key, default)

    @classmethod
    def from_header(cls, value: str | None) -> Self | None:
        """Parse one challenge; None if the value is empty."""
        if not value:
            return None
        scheme, rest, has_params = _split_credentials(value)
        if has_params:
            return cls(scheme, parse_dict_header(rest), None)
        return cls(scheme, None, rest)

    def to_header(self) -> str:
        """Serialize to a header value."""
        if self._token is not None:
            return f"{self._type.title()} {self._token}"
        if not self._parameters:
            return self._type.title()
        if self._type == "digest":
            items = []
            for key, value in self._parameters.items():
                # RFC 7616 requires these to be quoted-strings even if tokens.
                allow_token = key not in {"realm", "domain", "nonce", "opaque", "qop"}
                items.append(f"{key}={quote_header_value(value, allow_token)}")
            return f"Digest {', '.join(items)}"
        return f"{self._type.title()} {dump_header(self._parameters)}"

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()}>"
