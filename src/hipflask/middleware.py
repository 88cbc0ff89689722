"""``ProxyFix``: trust ``X-Forwarded-*`` headers set by known reverse proxies.

Behind nginx or a load balancer the connection comes from the proxy, so the
client's address, the scheme it used, and the host and prefix it asked for
arrive in ``X-Forwarded-For``, ``-Proto``, ``-Host``, ``-Port`` and ``-Prefix``.
As with Werkzeug's middleware of the same name (Flask's deployment docs use
it), each header is trusted only as far as the configured number of proxies:
with ``x_for=1`` the last address in ``X-Forwarded-For`` (the one the nearest
proxy added) is taken, and anything a client put before it is ignored. A
header with fewer values than trusted proxies, or absent, changes nothing.

``app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)`` applies under
WSGI and under ASGI: wrapping the app's own ``wsgi_app`` directly, its
rewrite is applied to the ASGI scope (:meth:`ProxyFix.asgi_scope`) and the
request is served natively, websockets included; further down a WSGI stack,
through :mod:`hipflask.wsgi_middleware`. The values
replaced are kept in ``environ["werkzeug.proxy_fix.orig"]``, the key Werkzeug
uses. Unlike Werkzeug's, a forwarded scheme other than http/https and a
forwarded port that is not a number are ignored rather than copied into the
environ.
"""

from __future__ import annotations

import typing as t

from .http.header_syntax import parse_list_header

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ProxyFix"]

_SCHEMES = frozenset(("http", "https"))


class ProxyFix:
    """WSGI middleware taking the client's view of a request from trusted
    ``X-Forwarded-*`` headers (each ``x_*`` is how many proxies set that one)."""

    def __init__(
        self,
        app: WSGIApplication,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        for name, value in (
            ("x_for", x_for),
            ("x_proto", x_proto),
            ("x_host", x_host),
            ("x_port", x_port),
            ("x_prefix", x_prefix),
        ):
            if type(value) is not int or value < 0:
                raise ValueError(
                    f"ProxyFix: {name} is a number of proxies (an int >= 0),"
                    f" not {value!r}."
                )
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    @staticmethod
    def _trusted(proxies: int, header: str | None) -> str | None:
        """The value the outermost trusted proxy added to ``header``, if any."""
        if not proxies or not header:
            return None
        values = parse_list_header(header)
        return values[-proxies] if len(values) >= proxies else None

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        self._apply(environ)
        return self.app(environ, start_response)

    def _apply(self, environ: dict[str, t.Any]) -> None:
        """Rewrite ``environ`` from the trusted headers (originals kept)."""
        get = environ.get
        environ["werkzeug.proxy_fix.orig"] = {
            key: get(key)
            for key in (
                "REMOTE_ADDR",
                "wsgi.url_scheme",
                "HTTP_HOST",
                "SERVER_NAME",
                "SERVER_PORT",
                "SCRIPT_NAME",
            )
        }
        client = self._trusted(self.x_for, get("HTTP_X_FORWARDED_FOR"))
        if client:
            environ["REMOTE_ADDR"] = client
        scheme = self._trusted(self.x_proto, get("HTTP_X_FORWARDED_PROTO"))
        if scheme and scheme.lower() in _SCHEMES:
            environ["wsgi.url_scheme"] = scheme.lower()
        host = self._trusted(self.x_host, get("HTTP_X_FORWARDED_HOST"))
        if host:
            environ["HTTP_HOST"] = environ["SERVER_NAME"] = host
            name, port = _split_port(host)
            if port is not None:
                environ["SERVER_NAME"], environ["SERVER_PORT"] = name, port
        port = self._trusted(self.x_port, get("HTTP_X_FORWARDED_PORT"))
        if port and _is_number(port):
            current = get("HTTP_HOST")
            if current:
                environ["HTTP_HOST"] = f"{_split_port(current)[0]}:{port}"
            environ["SERVER_PORT"] = port
        prefix = self._trusted(self.x_prefix, get("HTTP_X_FORWARDED_PREFIX"))
        if prefix:
            environ["SCRIPT_NAME"] = prefix

    def asgi_scope(self, scope: dict[str, t.Any]) -> dict[str, t.Any]:
        """A copy of an ASGI http or websocket ``scope`` rewritten as
        :meth:`__call__` rewrites an environ (``ws``/``wss`` for websockets).

        The application uses this instead of the WSGI bridge when ProxyFix
        wraps its own ``wsgi_app`` directly: same result, served natively.
        """
        websocket = scope["type"] == "websocket"
        client = scope.get("client")
        server = scope.get("server") or (None, None)
        headers = scope.get("headers") or []
        environ: dict[str, t.Any] = {
            "REMOTE_ADDR": client[0] if client else None,
            "wsgi.url_scheme": {"ws": "http", "wss": "https"}.get(
                scope.get("scheme", "http"), scope.get("scheme", "http")
            ),
            "SERVER_NAME": server[0],
            "SERVER_PORT": None if server[1] is None else str(server[1]),
            "SCRIPT_NAME": scope.get("root_path", ""),
        }
        for raw_name, raw_value in headers:
            name = raw_name.decode("latin-1").lower()
            if name == "host" or name.startswith("x-forwarded-"):
                key = "HTTP_" + name.upper().replace("-", "_")
                value = raw_value.decode("latin-1")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        original_host = environ.get("HTTP_HOST")
        self._apply(environ)
        new = dict(scope)
        if environ["REMOTE_ADDR"] is not None:
            new["client"] = (environ["REMOTE_ADDR"], client[1] if client else 0)
        scheme = environ["wsgi.url_scheme"]
        new["scheme"] = {"http": "ws", "https": "wss"}[scheme] if websocket else scheme
        port = environ["SERVER_PORT"]
        new["server"] = (
            environ["SERVER_NAME"],
            int(port) if port and _is_number(port) else None,
        )
        new["root_path"] = environ["SCRIPT_NAME"]
        host = environ.get("HTTP_HOST")
        if host != original_host and host is not None:
            new["headers"] = [
                (name, value) for name, value in headers if name.lower() != b"host"
            ] + [(b"host", host.encode("latin-1"))]
        extensions = dict(scope.get("extensions") or {})
        extra = dict(extensions.get("hipflask.environ") or {})
        extra["werkzeug.proxy_fix.orig"] = environ["werkzeug.proxy_fix.orig"]
        extensions["hipflask.environ"] = extra
        new["extensions"] = extensions
        return new


def _split_port(host: str) -> tuple[str, str | None]:
    """``(name, port)`` of a Host value; an IPv6 literal keeps its colons."""
    if ":" in host and not host.endswith("]"):
        name, _, port = host.rpartition(":")
        return name, port
    return host, None


def _is_number(text: str) -> bool:
    """Whether ``text`` is ASCII digits (``str.isdigit`` also takes "²")."""
    return text.isascii() and text.isdigit()
