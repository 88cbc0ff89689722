"""Exceptions raised by routing.

``NotFound``, ``MethodNotAllowed``, ``RequestRedirect`` and the base
``RoutingException`` live in :mod:`hipflask.http.exceptions` and are re-exported
here. This module adds :class:`BuildError` (no rule can build the requested
URL), :class:`WebsocketMismatch` (the only matching rule is for the other
protocol) and the private signals the matcher uses internally.
"""

from __future__ import annotations

import difflib
import typing as t
from collections.abc import Mapping
from functools import cached_property

from hipflask.http.exceptions import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    RoutingException,
)

if t.TYPE_CHECKING:
    from .adapter import MapAdapter
    from .map import Map
    from .rules import Rule

__all__ = [
    "BuildError",
    "MethodNotAllowed",
    "NotFound",
    "RequestRedirect",
    "RoutingException",
    "WebsocketMismatch",
]


class BuildError(RoutingException, LookupError):
    """No rule of ``endpoint`` can build a URL from ``values`` (and ``method``)."""

    def __init__(
        self,
        endpoint: t.Any,
        values: Mapping[str, t.Any],
        method: str | None,
        adapter: MapAdapter | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.adapter = adapter
        # The map to search for suggestions when no adapter is given.
        self._map: Map | None = None

    @cached_property
    def suggested(self) -> Rule | None:
        """The rule closest to what was asked for, used to phrase a hint."""
        return self.closest_rule(self.adapter)

    def closest_rule(self, adapter: MapAdapter | None) -> Rule | None:
        """The rule whose endpoint, arguments and methods best fit the request."""
        url_map = adapter.map if adapter is not None else self._map
        if url_map is None or not url_map._rules:
            return None
        wanted = str(self.endpoint)
        value_names = set(self.values or ())

        def score(rule: Rule) -> float:
            similarity = difflib.SequenceMatcher(None, str(rule.endpoint), wanted)
            return (
                0.98 * similarity.ratio()
                + 0.01 * bool(value_names.issubset(rule.arguments))
                + 0.01 * bool(rule.methods and self.method in rule.methods)
            )

        # Endpoint by endpoint, each in build order: ties go as in Werkzeug.
        rules = [
            rule for group in url_map._rules_by_endpoint.values() for rule in group
        ]
        return max(rules, key=score)

    def __str__(self) -> str:
        message = [f"Could not build url for endpoint {self.endpoint!r}"]
        if self.method:
            message.append(f" ({self.method!r})")
        if self.values:
            message.append(f" with values {sorted(self.values)!r}")
        message.append(".")
        suggested = self.suggested
        if suggested is not None:
            if self.endpoint == suggested.endpoint:
                if (
                    self.method
                    and suggested.methods is not None
                    and self.method not in suggested.methods
                ):
                    message.append(
                        f" Did you mean to use methods {sorted(suggested.methods)!r}?"
                    )
                missing = suggested.arguments.union(suggested.defaults or ()) - set(
                    self.values
                )
                if missing:
                    message.append(
                        f" Did you forget to specify values {sorted(missing)!r}?"
                    )
            else:
                message.append(f" Did you mean {suggested.endpoint!r} instead?")
        return "".join(message)


class WebsocketMismatch(BadRequest):
    """400: the URL matches only a WebSocket rule and this is HTTP, or the reverse."""


class RedirectRequired(RequestRedirect):
    """Raised by ``Map._match``: redirect to ``new_url``, relative to the app root.

    ``new_url`` is a percent-encoded path such as ``/users/`` that does not
    include the script root or the query string: prefix
    ``scheme://host`` plus the script root and append the request's query
    string to get what ``MapAdapter.match`` puts in its ``RequestRedirect``.
    (A ``redirect_to`` target that is already an absolute URL is passed
    through as is.) ``path`` is the new path, not percent-encoded, when the
    redirect adds a trailing slash or merges repeated slashes, and ``None``
    when the matched rule asks for the redirect (``redirect_to``, ``alias``,
    or another rule of the endpoint providing the values as defaults).
    """

    def __init__(self, new_url: str, path: str | None = None) -> None:
        super().__init__(new_url)
        self.path = path


class SlashRequired(Exception):
    """Signal inside the matcher: the path matches with a slash appended."""


def no_match(misses: list[t.Any]) -> NotFound | MethodNotAllowed | WebsocketMismatch:
    """The error for a failed match, from what the matcher recorded.

    ``misses`` holds, for each rule whose path matched, its method set when
    the method was wrong, or ``True`` when the protocol (WebSocket or HTTP)
    was wrong.
    """
    allowed: set[str] = set()
    websocket_mismatch = False
    for miss in misses:
        if miss is True:
            websocket_mismatch = True
        else:
            allowed.update(miss)
    if allowed:
        return MethodNotAllowed(valid_methods=sorted(allowed))
    if websocket_mismatch:
        return WebsocketMismatch()
    return NotFound()
