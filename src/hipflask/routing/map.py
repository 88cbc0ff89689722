"""The URL map: the rule registry, request matching, and URL building.

``Map.add`` parses and stores rules; nothing is compiled then. The first
match or build after a change compiles everything at once (``Map.update``):
each endpoint's rules are sorted for building, rules that may redirect are
flagged, and a :class:`~.matcher.Matcher` is generated.

Two ways in:

* ``Map._match(path, method, host, websocket)`` is the per request fast
  path. Placeholder-free rules are three dict lookups; other paths run the
  generated matcher. It raises ``NotFound``, ``MethodNotAllowed`` and
  ``WebsocketMismatch``, and for a redirect
  :class:`~.exceptions.RedirectRequired`, a ``RequestRedirect`` whose URL is
  relative to the application root (the caller adds scheme, host, script
  root and query string). The application calls ``Map._match_or_error``,
  the same match that returns those exceptions instead of raising them.
  ``Map._build`` is the fast path for ``url_for``.
* ``Map.bind`` / ``Map.bind_to_environ`` return a :class:`MapAdapter`, the
  Werkzeug-compatible interface: ``match`` raises ``RequestRedirect`` with
  an absolute URL itself, and ``build`` returns relative or absolute URLs.
"""

from __future__ import annotations

import re
import threading
import typing as t
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pprint import pformat
from types import MappingProxyType
from urllib.parse import urljoin

from hipflask.http.exceptions import BadHost, NotFound

from .adapter import MapAdapter, fill_redirect
from .converters import DEFAULT_CONVERTERS, BaseConverter, quote_path
from .exceptions import (
    BuildError,
    RedirectRequired,
    SlashRequired,
    no_match,
)
from .matcher import Finder, Matcher, StaticTable
from .rules import Rule, RuleFactory

__all__ = ["Map"]

_MULTIPLE_SLASHES = re.compile("/{2,}")
_HOST = re.compile(
    r"(?:[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([1-9][0-9]{0,4}))?",
    re.ASCII | re.IGNORECASE,
)
# The build cache is keyed partly by the request method; bound it.
_BUILD_CACHE_SIZE = 1024

BuildResult = tuple[str, str, Rule]
#: What ``Map._match_or_error`` answers: ``(rule, view_args)`` or ``(None, error)``.
MatchOrError = tuple[Rule, dict[str, t.Any]] | tuple[None, Exception]


class Map:
    """All URL rules of an application, plus the settings they share."""

    # PERF: what the C helpers read for every request lives in slots (see
    # Flask._match_request); anything else in the instance dict.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_dirty",
        "_static_http",
        "default_subdomain",
        "host_matching",
    )

    #: Converters every map starts with; ``converters`` is a copy to extend.
    default_converters: Mapping[str, type[BaseConverter]] = MappingProxyType(
        dict(DEFAULT_CONVERTERS)
    )
    #: The lock type guarding recompilation.
    lock_class: Callable[[], t.Any] = threading.Lock

    def __init__(
        self,
        rules: Iterable[RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: Callable[[t.Any], t.Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self._rules: list[Rule] = []
        self._rules_by_endpoint: dict[t.Any, list[Rule]] = {}
        self._lock = self.lock_class()
        self._dirty = True
        self._matcher: Matcher | None = None
        self._find: Finder = _not_compiled
        self._static_http: StaticTable = {}
        self._static_websocket: StaticTable = {}
        self._build_cache: dict[t.Any, tuple[tuple[Rule, ...], ...]] = {}

        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self._redirect_defaults = redirect_defaults
        self.host_matching = host_matching
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key

        for factory in rules or ():
            self.add(factory)

    @property
    def redirect_defaults(self) -> bool:
        """Redirect to the rule that provides the matched values as defaults."""
        return self._redirect_defaults

    @redirect_defaults.setter
    def redirect_defaults(self, value: bool) -> None:
        self._redirect_defaults = value
        self._dirty = True

    def add(self, rulefactory: RuleFactory) -> None:
        """Bind and add a rule (or every rule of a factory)."""
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            self._rules.append(rule)
            self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
        self._dirty = True

    def iter_rules(self, endpoint: t.Any | None = None) -> Iterator[Rule]:
        """All rules in registration order, or one endpoint's in build order."""
        self.update()
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules)

    def is_endpoint_expecting(self, endpoint: t.Any, *arguments: str) -> bool:
        """Whether some rule of ``endpoint`` has all of ``arguments``."""
        self.update()
        wanted = set(arguments)
        return any(
            wanted.issubset(rule.arguments)
            for rule in self._rules_by_endpoint[endpoint]
        )

    def update(self) -> None:
        """Compile the rules if they changed since the last compilation."""
        if not self._dirty:
            return
        with self._lock:
            if not self._dirty:
                return
            for rules in self._rules_by_endpoint.values():
                rules.sort(key=lambda rule: rule.build_compare_key())
            redirect_defaults = self._redirect_defaults
            for rule in self._rules:
                rule._match_special = rule.redirect_to is not None or (
                    redirect_defaults
                    and (rule.alias or self._has_default_provider(rule))
                )
            matcher = Matcher(self._rules)
            self._matcher = matcher
            self._find = matcher.find
            self._static_http = matcher.static_http
            self._static_websocket = matcher.static_websocket
            self._build_cache = {}
            self._dirty = False

    def _has_default_provider(self, rule: Rule) -> bool:
        for other in self._rules_by_endpoint[rule.endpoint]:
            if other is rule:
                return False
            if other.provides_defaults_for(rule):
                return True
        return False

    @property
    def _matcher_source(self) -> str:
        """The generated matcher's Python source, for reading and debugging."""
        self.update()
        return self._matcher.source if self._matcher is not None else ""

    def _match(
        self, path: str, method: str, host: str = "", websocket: bool = False
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Match a request: :meth:`_match_or_error`, raising what it returns.

        ``method`` must be upper case. ``host`` is the domain part: the
        subdomain (``""`` without subdomains) or, with ``host_matching``, the
        full host. Returns the rule and a fresh dict of view arguments.
        Raises ``NotFound``, ``MethodNotAllowed`` or ``WebsocketMismatch``;
        raises :class:`RedirectRequired` (a ``RequestRedirect``) when the
        request must be redirected: its ``new_url`` is relative to the
        application root, without the query string.
        """
        rule, found = self._match_or_error(path, method, host, websocket)
        if rule is None:
            raise found  # type: ignore[misc]
        return rule, found  # type: ignore[return-value]

    def _match_or_error(
        self, path: str, method: str, host: str = "", websocket: bool = False
    ) -> MatchOrError:
        """Like :meth:`_match`, with the routing error returned, not raised.

        The application's per-request entry point: ``(rule, view_args)``, or
        ``(None, error)``. PERF: a miss answers with the exception object;
        nothing is raised and caught, and the error carries no traceback
        (whose frames would hold the request and so form a reference cycle
        through ``request.routing_exception``). Both answers are pairs so that
        the caller tells them apart without a type test. Errors that are bugs
        (a converter or ``redirect_to`` failing) are still raised.
        """
        if self._dirty:
            self.update()
        # PERF: the static lookup is repeated in _match_rule rather than
        # called, to spare a function call on the most common request.
        paths = (self._static_websocket if websocket else self._static_http).get(host)
        if paths is not None:
            methods = paths.get(path)
            if methods is not None:
                rule = methods.get(method)
                if rule is not None:
                    return rule, dict(rule.defaults) if rule.defaults else {}
        return self._match_unlisted(path, method, host, websocket)

    def _match_unlisted(
        self, path: str, method: str, host: str, websocket: bool
    ) -> MatchOrError:
        """:meth:`_match_or_error` for a request its static lookup did not find.

        The map must be compiled. The application calls it directly after its
        own static lookup (see ``Flask._match_request``).
        """
        # PERF: _match_tree inlined.
        if path[:1] != "/" or path[:2] == "//":
            path = f"/{path.lstrip('/')}" if path else ""
        misses: list[t.Any] = []
        try:
            found = self._find(host, path, method, websocket, misses)
        except SlashRequired:
            return None, RedirectRequired(quote_path(f"{path}/"), f"{path}/")
        if found is None:
            if not misses and "//" not in path:
                # PERF: no rule matched the path at all: the plain 404.
                return None, NotFound()
            return None, self._no_match(host, path, method, websocket, misses)
        rule = found[0]
        if rule._match_special:
            target = self._rule_redirect(rule, found[1], method)
            if target is not None:
                return None, RedirectRequired(target)
        return found

    def _match_rule(
        self, host: str, path: str, method: str, websocket: bool
    ) -> tuple[Rule, dict[str, t.Any]]:
        """Like :meth:`_match`, without the redirects that rules ask for."""
        if self._dirty:
            self.update()
        paths = (self._static_websocket if websocket else self._static_http).get(host)
        if paths is not None:
            methods = paths.get(path)
            if methods is not None:
                rule = methods.get(method)
                if rule is not None:
                    return rule, dict(rule.defaults) if rule.defaults else {}
        if path[:1] != "/" or path[:2] == "//":
            path = f"/{path.lstrip('/')}" if path else ""
        misses: list[t.Any] = []
        try:
            found = self._find(host, path, method, websocket, misses)
        except SlashRequired:
            raise RedirectRequired(quote_path(f"{path}/"), f"{path}/") from None
        if found is None:
            raise self._no_match(host, path, method, websocket, misses)
        return found

    def _no_match(
        self, host: str, path: str, method: str, websocket: bool, misses: list[t.Any]
    ) -> Exception:
        """After a failed walk: the redirect if merging slashes helps, else the
        error (returned, not raised)."""
        if self.merge_slashes and "//" in path:
            merged = _MULTIPLE_SLASHES.sub("/", path)
            try:
                found = self._find(host, merged, method, websocket, misses)
            except SlashRequired:
                return RedirectRequired(quote_path(f"{merged}/"), f"{merged}/")
            if found is not None and found[0].merge_slashes is not False:
                return RedirectRequired(quote_path(merged), merged)
        return no_match(misses)

    def _rule_redirect(
        self, rule: Rule, values: dict[str, t.Any], method: str
    ) -> str | None:
        """Where matching ``rule`` redirects to (root-relative), if anywhere.

        Follows ``MapAdapter.match``: an alias redirects to its endpoint's
        canonical URL, a rule whose values another rule of the endpoint
        provides as defaults to that rule, and ``redirect_to`` to its target.
        A callable ``redirect_to`` gets an adapter bound to no server name.
        """
        if self._redirect_defaults:
            if rule.alias:
                return self._build(rule.endpoint, values, method, append_unknown=False)[
                    1
                ]
            for other in self._rules_by_endpoint[rule.endpoint]:
                if other is rule:
                    break
                if other.provides_defaults_for(rule) and other.suitable_for(
                    values, method
                ):
                    built = other.build({**values, **(other.defaults or {})})
                    if built is not None:
                        return built[1]
        redirect_to = rule.redirect_to
        if redirect_to is None:
            return None
        if isinstance(redirect_to, str):
            target = fill_redirect(rule, redirect_to, values)
        else:
            target = redirect_to(self.bind(""), **values)
        return urljoin("/", target)

    def _build(
        self,
        endpoint: t.Any,
        values: Mapping[str, t.Any] | None,
        method: str | None = None,
        *,
        append_unknown: bool = True,
        default_method: str | None = "GET",
        host: str | None = None,
        adapter: MapAdapter | None = None,
    ) -> BuildResult:
        """Build ``endpoint``'s URL: ``(domain_part, path_and_query, rule)``.

        ``values`` fill the rule's placeholders; the rest become the query
        string (lists as repeated keys, ``None`` skipped). ``method=None``
        prefers rules for ``default_method``. With host matching, a rule for
        ``host`` is preferred. The path excludes the script root. Raises
        :class:`BuildError`.
        """
        if self._dirty:
            self.update()
        values = _clean_values(values)
        key = (endpoint, method, default_method)
        try:
            passes = self._build_cache[key]
        except KeyError:
            passes = self._build_passes(endpoint, method, default_method)
            if len(self._build_cache) >= _BUILD_CACHE_SIZE:
                self._build_cache.clear()
            self._build_cache[key] = passes
        except TypeError:  # an unhashable endpoint
            passes = self._build_passes(endpoint, method, default_method)
        host_matching = self.host_matching
        for candidates in passes:
            fallback: BuildResult | None = None
            for rule in candidates:
                # _build_passes made sure every candidate has its builder.
                built = rule._builder(values, append_unknown)  # type: ignore[misc]
                if built is None:
                    continue
                if not host_matching or built[0] == host:
                    return built[0], built[1], rule
                if fallback is None:
                    fallback = (built[0], built[1], rule)
            if fallback is not None:
                return fallback
        error = BuildError(endpoint, values, method, adapter)
        error._map = self
        raise error

    def _build_passes(
        self, endpoint: t.Any, method: str | None, default_method: str | None
    ) -> tuple[tuple[Rule, ...], ...]:
        rules = self._rules_by_endpoint.get(endpoint, ())
        for rule in rules:
            rule.build_function()
        wanted = method if method is not None else default_method
        if wanted is None:
            return (tuple(rules),)
        first = tuple(r for r in rules if r.methods is None or wanted in r.methods)
        if method is not None:
            return (first,)
        if self.host_matching:  # a second pass may find a better host
            return (first, tuple(rules))
        tried = {id(rule) for rule in first}
        return (first, tuple(rule for rule in rules if id(rule) not in tried))

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: Mapping[str, t.Any] | str | None = None,
    ) -> MapAdapter:
        """An adapter for matching and building URLs of one server name."""
        server_name = server_name.lower()
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("host matching enabled and a subdomain was provided")
        elif subdomain is None:
            subdomain = self.default_subdomain
        name, separator, port = server_name.partition(":")
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise BadHost() from error
        return MapAdapter(
            self,
            f"{name}{separator}{port}",
            "/" if script_name is None else script_name,
            subdomain,
            url_scheme,
            "/" if path_info is None else path_info,
            default_method,
            query_args,
        )

    def bind_to_environ(
        self,
        environ: t.Any,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """Like :meth:`bind`, with everything taken from a WSGI environ.

        ``environ`` may also be a request object with an ``environ``. The
        subdomain is what the request's host has in front of
        ``server_name``; a host that does not end with ``server_name`` gives
        the subdomain ``"<invalid>"`` (and a warning), so nothing matches.
        """
        env: dict[str, t.Any] = (
            environ if isinstance(environ, dict) else environ.environ
        )
        request_host = _environ_host(env).lower()
        scheme = env["wsgi.url_scheme"]
        connection = env.get("HTTP_CONNECTION", "").lower().split(",")
        if (
            any(token.strip(" \t") == "upgrade" for token in connection)
            and env.get("HTTP_UPGRADE", "").lower() == "websocket"
        ):
            scheme = "wss" if scheme == "https" else "ws"

        if server_name is None:
            server_name = request_host
        else:
            server_name = server_name.lower()
            if scheme in {"http", "ws"}:
                server_name = server_name.removesuffix(":80")
            elif scheme in {"https", "wss"}:
                server_name = server_name.removesuffix(":443")

        if subdomain is None and not self.host_matching:
            current = request_host.split(".")
            configured = server_name.split(".")
            offset = -len(configured)
            if current[offset:] != configured:
                warnings.warn(
                    f"Current server name {request_host!r} doesn't match configured"
                    f" server name {server_name!r}",
                    stacklevel=2,
                )
                subdomain = "<invalid>"
            else:
                subdomain = ".".join(filter(None, current[:offset]))

        return Map.bind(
            self,
            server_name,
            _environ_text(env, "SCRIPT_NAME"),
            subdomain,
            scheme,
            env["REQUEST_METHOD"],
            _environ_text(env, "PATH_INFO"),
            query_args=_environ_text(env, "QUERY_STRING"),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({pformat(list(self.iter_rules()))})"


def _not_compiled(*args: t.Any) -> t.NoReturn:
    raise RuntimeError("the URL map is not compiled (a rule failed to compile)")


def _clean_values(values: Mapping[str, t.Any] | None) -> Mapping[str, t.Any]:
    """Build values without ``None``s; a MultiDict's single values unwrapped."""
    if not values:
        return {}
    if type(values) is dict:
        # PERF: most calls pass a plain dict without None; use it as is.
        for value in values.values():
            if value is None:
                break
        else:
            return values
    else:
        lists = getattr(values, "lists", None)
        if callable(lists):
            return {
                key: items[0] if len(items) == 1 else items
                for key, items in lists()
                if len(items) != 0
            }
    return {key: value for key, value in values.items() if value is not None}


def _environ_text(environ: Mapping[str, t.Any], key: str) -> str | None:
    """A WSGI string (bytes as latin-1) decoded as UTF-8."""
    value = environ.get(key)
    if value is None:
        return None
    try:
        return str(value.encode("latin1").decode(errors="replace"))
    except UnicodeEncodeError:  # not a WSGI string: already decoded
        return str(value)


def _environ_host(environ: Mapping[str, t.Any]) -> str:
    """The request's ``host[:port]`` (standard port dropped), or ``""`` if invalid."""
    scheme = environ["wsgi.url_scheme"]
    host = environ.get("HTTP_HOST")
    if host is None:
        name = environ.get("SERVER_NAME")
        try:
            port = int(environ.get("SERVER_PORT"))  # type: ignore[arg-type]
        except (TypeError, ValueError):  # a Unix socket
            return ""
        if name is None:
            return ""
        if ":" in name and name[0] != "[":
            name = f"[{name}]"
        host = f"{name}:{port}"
    if scheme in {"http", "ws"}:
        host = host.removesuffix(":80")
    elif scheme in {"https", "wss"}:
        host = host.removesuffix(":443")
    match = _HOST.fullmatch(host)
    if match is None or (match.group(1) and int(match.group(1)) > 65535):
        return ""
    return str(host)
