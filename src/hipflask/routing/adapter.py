"""``MapAdapter``: a URL map bound to one server name, script root and request.

This is the Werkzeug-compatible way to match and build: ``match`` turns the
map's redirect signals into ``RequestRedirect`` exceptions carrying absolute
URLs (scheme, host, script root and query string included), and ``build``
decides between relative and absolute URLs from the adapter's subdomain or
host. The work itself is done by ``Map._match_rule`` and ``Map._build``.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urljoin

from hipflask.http.exceptions import HTTPException, MethodNotAllowed

from .exceptions import RedirectRequired, RequestRedirect
from .rules import encode_query

if t.TYPE_CHECKING:
    from .map import Map
    from .rules import Rule

__all__ = ["MapAdapter", "fill_redirect"]

_REDIRECT_PLACEHOLDER = re.compile(r"<([^>]+)>")


def fill_redirect(rule: Rule, target: str, values: Mapping[str, t.Any]) -> str:
    """``target`` with each ``<name>`` replaced by the URL form of its value."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return rule._converters[name].to_url(values[name])

    return _REDIRECT_PLACEHOLDER.sub(fill, target)


class MapAdapter:
    """A map bound to one server name, script root and request."""

    __slots__ = (
        "default_method",
        "map",
        "path_info",
        "query_args",
        "script_name",
        "server_name",
        "subdomain",
        "url_scheme",
        "websocket",
    )

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: Mapping[str, t.Any] | str | None = None,
    ) -> None:
        self.map = map
        self.server_name = server_name
        if not script_name.endswith("/"):
            script_name += "/"
        self.script_name = script_name
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        self.websocket = url_scheme in {"ws", "wss"}

    def dispatch(
        self,
        view_func: Callable[[t.Any, Mapping[str, t.Any]], t.Any],
        path_info: str | None = None,
        method: str | None = None,
        catch_http_exceptions: bool = False,
    ) -> t.Any:
        """Match, then call ``view_func(endpoint, values)``; redirects are returned."""
        try:
            try:
                endpoint, values = self.match(path_info, method)
            except RequestRedirect as redirect:
                return redirect
            return view_func(endpoint, values)
        except HTTPException as error:
            if catch_http_exceptions:
                return error
            raise

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: Mapping[str, t.Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[t.Any, dict[str, t.Any]]:
        """``(endpoint, values)`` (or ``(rule, values)``) for the path.

        Raises ``NotFound``, ``MethodNotAllowed``, ``WebsocketMismatch``, or
        ``RequestRedirect`` with the absolute URL to go to instead.
        """
        url_map = self.map
        if path_info is None:
            path_info = self.path_info
        if query_args is None:
            query_args = self.query_args or {}
        method = (method or self.default_method).upper()
        if websocket is None:
            websocket = self.websocket
        if url_map.host_matching or self.subdomain is None:
            domain_part = self.server_name
        else:
            domain_part = self.subdomain
        path = f"/{path_info.lstrip('/')}" if path_info else ""

        try:
            rule, values = url_map._match_rule(domain_part, path, method, websocket)
        except RedirectRequired as redirect:
            # Only slash redirects come from _match_rule.
            new_url = self.make_redirect_url(redirect.new_url, query_args)
            raise RequestRedirect(new_url) from None

        if url_map.redirect_defaults:
            if rule.alias:
                raise RequestRedirect(
                    self.make_alias_redirect_url(
                        f"{domain_part}|{path}",
                        rule.endpoint,
                        values,
                        method,
                        query_args,
                    )
                )
            redirect_url = self.get_default_redirect(rule, method, values, query_args)
            if redirect_url is not None:
                raise RequestRedirect(redirect_url)

        if rule.redirect_to is not None:
            if isinstance(rule.redirect_to, str):
                target = fill_redirect(rule, rule.redirect_to, values)
            else:
                target = rule.redirect_to(self, **values)
            if self.subdomain:
                netloc = f"{self.subdomain}.{self.server_name}"
            else:
                netloc = self.server_name
            base = f"{self.url_scheme or 'http'}://{netloc}{self.script_name}"
            raise RequestRedirect(urljoin(base, target))

        return (rule if return_rule else rule.endpoint), values

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Whether the path matches (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            pass
        except HTTPException:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> Iterable[str]:
        """The methods the path accepts (empty if any method or none)."""
        try:
            self.match(path_info, method="--")
        except MethodNotAllowed as error:
            return error.valid_methods or []
        except HTTPException:
            pass
        return []

    def get_host(self, domain_part: str | None) -> str:
        """The full host for a rule's domain part (a subdomain, or a host)."""
        if self.map.host_matching:
            return self.server_name if domain_part is None else domain_part
        subdomain = self.subdomain if domain_part is None else domain_part
        if subdomain:
            return f"{subdomain}.{self.server_name}"
        return self.server_name

    def get_default_redirect(
        self,
        rule: Rule,
        method: str,
        values: dict[str, t.Any],
        query_args: Mapping[str, t.Any] | str,
    ) -> str | None:
        """The URL of the rule providing ``values`` as defaults, if one does."""
        for other in self.map._rules_by_endpoint[rule.endpoint]:
            if other is rule:
                break
            if other.provides_defaults_for(rule) and other.suitable_for(values, method):
                values.update(other.defaults or {})
                built = other.build(values)
                if built is None:
                    continue
                domain_part, path = built
                return self.make_redirect_url(path, query_args, domain_part=domain_part)
        return None

    def encode_query_args(self, query_args: Mapping[str, t.Any] | str) -> str:
        """Query arguments as a query string (a string is taken as encoded)."""
        if isinstance(query_args, str):
            return query_args
        return encode_query(query_args)

    def make_redirect_url(
        self,
        path_info: str,
        query_args: Mapping[str, t.Any] | str | None = None,
        domain_part: str | None = None,
    ) -> str:
        """The absolute URL for a path below the script root."""
        if query_args is None:
            query_args = self.query_args
        query = self.encode_query_args(query_args) if query_args else ""
        path = "/".join((self.script_name.strip("/"), path_info.lstrip("/")))
        if not path.startswith("/"):
            path = f"/{path}"
        url = f"{self.url_scheme or 'http'}://{self.get_host(domain_part)}{path}"
        return f"{url}?{query}" if query else url

    def make_alias_redirect_url(
        self,
        path: str,
        endpoint: t.Any,
        values: Mapping[str, t.Any],
        method: str,
        query_args: Mapping[str, t.Any] | str,
    ) -> str:
        """The canonical URL an alias rule redirects to."""
        url = self.build(
            endpoint, values, method, append_unknown=False, force_external=True
        )
        if query_args:
            url += f"?{self.encode_query_args(query_args)}"
        return url

    def build(
        self,
        endpoint: t.Any,
        values: Mapping[str, t.Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """The URL of ``endpoint`` with ``values``; absolute when it must be.

        The URL is relative unless ``force_external``, the rule is on another
        subdomain or host, or the rule is a WebSocket rule. Raises
        :class:`BuildError` when no rule fits.
        """
        url_map = self.map
        domain_part, path, rule = url_map._build(
            endpoint,
            values,
            method,
            append_unknown=append_unknown,
            default_method=self.default_method,
            host=self.server_name,
            adapter=self,
        )
        host = self.get_host(domain_part)
        if url_scheme is None:
            url_scheme = self.url_scheme
        secure = url_scheme in {"https", "wss"}
        if rule.websocket:
            force_external = True
            url_scheme = "wss" if secure else "ws"
        elif url_scheme:
            url_scheme = "https" if secure else "http"
        if not force_external and (
            (url_map.host_matching and host == self.server_name)
            or (not url_map.host_matching and domain_part == self.subdomain)
        ):
            return f"{self.script_name.rstrip('/')}/{path.lstrip('/')}"
        scheme = f"{url_scheme}:" if url_scheme else ""
        return f"{scheme}//{host}{self.script_name[:-1]}/{path.lstrip('/')}"
