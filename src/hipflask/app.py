"""The ``Flask`` application object: the registry and the one request pipeline.

How a request flows (read top to bottom from :meth:`Flask._handle`):

1. An adapter (:mod:`hipflask.wsgi` or :mod:`hipflask.asgi`) builds a Request and a
   RequestContext, matches the URL (:meth:`_match_request`) and pushes the context.
2. :meth:`_handle` runs Flask's steps: ``request_started``, URL value
   preprocessors and ``before_request`` hooks (a non-None result short-circuits),
   the view, error handlers for what was raised, ``make_response``,
   ``after_request`` hooks and session saving, ``request_finished``. Anything
   that escapes becomes a 500 through :meth:`handle_exception`.
3. The adapter sends the response and pops the context (teardown functions).
   When nothing runs after the view (no after_request hook or function, no
   session to save, no ``request_finished`` receiver) and the view returned a
   str, dict or list with the default classes, no Response object is built:
   ``_handle`` returns its parts (:data:`~hipflask.http.response.PlainResponse`).
   A default session that was only read writes no cookie, so it allows this
   too, adding the ``Vary: Cookie`` saving would add
   (:func:`~hipflask.sessions._read_session_headers`).

The pipeline is written once, as a coroutine. Every call into user code goes
through :meth:`_call`, which knows whether the callable is a coroutine function
(decided once per callable and cached in ``_async_flags``) and how the pipeline
is being driven:

- *direct*: the coroutine is stepped with ``send(None)`` by sync code (a WSGI
  request, or an ASGI request whose endpoint is sync from end to end, stepped in a
  worker thread). Sync callables are called inline; async ones run on the
  thread's own event loop. The pipeline never suspends, so one ``send`` finishes.
- *async*: the coroutine runs on the server's event loop (ASGI). Async callables
  are awaited; sync ones run in a worker thread (or inline with
  ``ASGI_SYNC_INLINE``).

Hook chains (preprocessors, before, after) are flattened per endpoint on first
use (:meth:`_chain_for`); setup methods raise once the first request was handled,
as in Flask, so the flattened chains cannot go stale.

When the endpoint's hooks and view are all sync, :meth:`_handle_direct` runs the
same steps as plain calls, without the coroutine. With the C helpers built, it
and :meth:`_respond` are their C twins (``http/_speedups_app.c``): they run the
hooks and the view of the common request and answer it, and call the Python
steps (``_direct_dispatch``, ``_direct_user_error``, ``_direct_process``,
``_direct_failed``) for everything else, so each step is written once.
"""

from __future__ import annotations

import asyncio.coroutines
import inspect
import logging
import os
import sys
import typing as t
import warnings
import weakref
from collections.abc import Iterator
from datetime import timedelta
from functools import cached_property, update_wrapper
from itertools import chain

from . import signals
from .concurrency import drive as _drive
from .concurrency import is_async_callable, run_coroutine, run_in_thread
from .config import Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .globals import _cv_app, _cv_request, _cv_websocket, _no_req_msg
from .helpers import _split_blueprint_path, get_debug_flag
from .http._native import speedups
from .http.datastructures import Headers
from .http.exceptions import (
    Aborter,
    BadHost,
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    NotFound,
    RequestRedirect,
    RoutingException,
)
from .http.response import PlainResponse, page_parts, plain_response, text_response
from .json.provider import DefaultJSONProvider, JSONProvider
from .logging import create_logger
from .routing import BuildError, Map, MapAdapter, Rule
from .scaffold import (
    Scaffold,
    _check_websocket_handler,
    _endpoint_from_view_func,
    setupmethod,
)
from .sessions import (
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
    _read_session_headers,
)
from .templating import TemplatingMixin
from .wrappers import Request, Response

if t.TYPE_CHECKING:
    from .blueprints import Blueprint
    from .cli import AppGroup, FlaskCliRunner
    from .testing import FlaskClient

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_sentinel = object()
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"


def _make_timedelta(value: t.Any) -> t.Any:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class _Chain:
    """The hooks that apply to one endpoint, flattened in call order."""

    __slots__ = (
        "after",
        "all_sync",
        "before",
        "blueprints",
        "direct_view",
        "preprocessors",
    )

    def __init__(
        self,
        blueprints: list[str],
        preprocessors: list[t.Callable[..., t.Any]],
        before: list[t.Callable[..., t.Any]],
        after: list[t.Callable[..., t.Any]],
        all_sync: bool,
        direct_view: t.Callable[..., t.Any] | None,
    ) -> None:
        self.blueprints = blueprints
        self.preprocessors = preprocessors
        self.before = before
        self.after = after
        self.all_sync = all_sync
        #: The endpoint's view when it is sync (callable directly); else None.
        self.direct_view = direct_view


class Flask(TemplatingMixin, Scaffold):
    """The application: register views and hooks, then serve it as WSGI or ASGI."""

    # PERF: what the C request path reads for every request lives in slots, read
    # at their offsets there (an instance dict costs a hash lookup per read);
    # everything else is in the instance dict.
    __slots__ = (
        "_chains",
        "_overridden",
        "_plain_app_context",
        "_plain_ok",
        "config",
        "error_handler_spec",
        "subdomain_matching",
        "teardown_appcontext_funcs",
        "teardown_request_funcs",
        "url_map",
        "view_functions",
    )

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    aborter_class = Aborter
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[FlaskClient] | None = None
    test_cli_runner_class: type[t.Any] | None = None
    session_interface: SessionInterface = SecureCookieSessionInterface()
    default_config: dict[str, t.Any] = {
        "DEBUG": None,
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": None,
        "SECRET_KEY": None,
        "SECRET_KEY_FALLBACKS": None,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
        "USE_X_SENDFILE": False,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "APPLICATION_ROOT": "/",
        "SESSION_COOKIE_NAME": "session",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_PATH": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_PARTITIONED": False,
        "SESSION_COOKIE_SAMESITE": None,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": None,
        "MAX_FORM_MEMORY_SIZE": 500_000,
        "MAX_FORM_PARTS": 1_000,
        "SEND_FILE_MAX_AGE_DEFAULT": None,
        "TRAP_BAD_REQUEST_ERRORS": None,
        "TRAP_HTTP_EXCEPTIONS": False,
        "EXPLAIN_TEMPLATE_LOADING": False,
        "PREFERRED_URL_SCHEME": "http",
        "TEMPLATES_AUTO_RELOAD": None,
        "MAX_COOKIE_SIZE": 4093,
        "PROVIDE_AUTOMATIC_OPTIONS": True,
        # hipflask: under ASGI, call sync views and hooks on the event loop instead
        # of a worker thread (for apps whose sync code never blocks).
        "ASGI_SYNC_INLINE": False,
    }

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute["str | bytes | None"]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME", get_converter=_make_timedelta
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.make_aborter()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ] = []
        self.teardown_appcontext_funcs: list[t.Callable[..., t.Any]] = []
        self.shell_context_processors: list[t.Callable[[], dict[str, t.Any]]] = []
        self.blueprints: dict[str, Blueprint] = {}
        self.extensions: dict[str, t.Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        # Per-callable and per-endpoint decisions, made once (see module doc).
        self._async_flags: dict[t.Any, bool] = {}
        #: Public pipeline methods a subclass (or the instance) replaced; set at
        #: the first request. Non-empty: requests run Flask's way through them.
        self._overridden: frozenset[str] = frozenset()
        # Whether make_response is Flask's own (set with _overridden): then a
        # str or JSON return can skip the Response object (see _handle).
        self._plain_ok = False
        # Whether app_context is Flask's own (set with _overridden): then a
        # request context builds its AppContext itself (see RequestContext.push).
        self._plain_app_context = False
        self._chains: dict[str | None, _Chain] = {}
        self._init_templating()
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                # AssertionError, as Flask raises (and its tests expect).
                raise AssertionError("Invalid static_host/host_matching combination")
            # A weak reference, so the view does not keep the app alive.
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # -- names and settings ---------------------------------------------------

    @property
    def name(self) -> str:  # type: ignore[override]
        """The application's name: the import name, or the main script's name."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Whether debug mode is on (``DEBUG`` config)."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if (
            self.config["TEMPLATES_AUTO_RELOAD"] is None
            and "jinja_env" in self.__dict__
        ):
            self.jinja_env.auto_reload = value

    @property
    def logger(self) -> logging.Logger:
        """The application's logger, named after the app."""
        logger = self.__dict__.get("_logger")
        if logger is None:
            logger = self.__dict__["_logger"] = create_logger(self)
        return logger

    @cached_property
    def cli(self) -> AppGroup:
        """The app's click command group (``hipflask <command>``), made on first use."""
        from .cli import AppGroup  # the command line is not imported with the app

        return AppGroup(self.name)

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create the config, with defaults and ``DEBUG`` from the environment."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        """Create ``app.aborter`` (``abort()`` raises through it): an
        ``aborter_class`` instance; override to customise it."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """The ``instance`` folder next to the package (or in ``var/`` if installed)."""
        prefix, package_path = _find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open a file relative to the instance folder (writing allowed).

        ``encoding`` applies to text modes only.
        """
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open a file relative to the application's root path for reading."""
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called"
                " on the application. It has already handled its first"
                " request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc."
                " needed to set up the application are done before"
                " running it."
            )

    # -- registration -----------------------------------------------------------

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Connect a URL rule to an endpoint and, optionally, its view function."""
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)  # type: ignore[arg-type]
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for"
                ' example: @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods: set[str] = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(
                view_func, "provide_automatic_options", None
            )
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False
        methods |= required_methods
        if options.get("websocket") and view_func is not None:
            _check_websocket_handler(endpoint, view_func)
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the application context is popped."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(self, f: F) -> F:
        """Register a function adding names to ``hipflask shell``."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        """The names ``hipflask shell`` starts with: app, g and the processors'."""
        from .globals import g

        names: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            names.update(processor())
        return names

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Register a blueprint's routes and hooks on this application."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[Blueprint]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    # -- contexts -------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new application context (``with app.app_context(): ...``)."""
        return AppContext(self)

    def request_context(self, environ: dict[str, t.Any]) -> RequestContext:
        """A new request context for a WSGI environ."""
        return RequestContext(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context built from test-client style arguments."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> FlaskClient:
        """A client that sends requests to this app without a server."""
        cls = self.test_client_class
        if cls is None:
            from .testing import FlaskClient as cls
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)  # type: ignore[misc]

    def test_cli_runner(self, **kwargs: t.Any) -> FlaskCliRunner:
        """A click runner for this app's commands (``test_cli_runner_class``)."""
        cls = self.test_cli_runner_class
        if cls is None:
            from .cli import FlaskCliRunner

            cls = FlaskCliRunner
        return t.cast("FlaskCliRunner", cls(self, **kwargs))

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """A URL adapter for building (and matching) URLs in this context."""
        if request is not None:
            trusted = self.config["TRUSTED_HOSTS"]
            if trusted is not None:
                request.trusted_hosts = trusted
            host = request.host
            server_name = self.config["SERVER_NAME"]
            subdomain: str | None = None
            if self.url_map.host_matching:
                server_name = host
            elif self.subdomain_matching and server_name:
                server_name = _strip_default_port(server_name, request.scheme)
                subdomain = self._subdomain_of(host, server_name)
            else:
                subdomain = self.url_map.default_subdomain or ""
                if not server_name:
                    server_name = host
            return self.url_map.bind(
                server_name,
                script_name=request.root_path or "/",
                subdomain=subdomain,
                url_scheme=request.scheme,
                default_method=request.method,
                path_info=request.path,
                query_args=request.query_string.decode("latin-1"),
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    @staticmethod
    def _subdomain_of(host: str, server_name: str) -> str:
        """The subdomain ``host`` is of ``server_name``, else ``"<invalid>"``."""
        host = host.lower()
        server_name = server_name.lower()
        if host == server_name:
            return ""
        if host.endswith("." + server_name):
            return host[: -len(server_name) - 1]
        # Flask's warning, attributed to the module name the user imports (the
        # name warning filters are written against), not to a caller's line.
        aliased = sys.modules.get("flask") is sys.modules[__package__]
        warnings.warn_explicit(
            f"Current server name {host!r} doesn't match configured"
            f" server name {server_name!r}",
            UserWarning,
            __file__,
            0,
            module="flask.app" if aliased else __name__,
            registry=globals().setdefault("__warningregistry__", {}),
        )
        return "<invalid>"

    # -- routing ------------------------------------------------------------------

    def _routing_host(self, request: Request) -> str:
        """What the URL map matches hosts against for this request."""
        if self.url_map.host_matching:
            return request.host.lower()
        if self.subdomain_matching:
            server_name = self.config["SERVER_NAME"]
            if server_name:
                server_name = _strip_default_port(server_name, request.scheme)
                return self._subdomain_of(request.host, server_name)
            return self.url_map.default_subdomain
        return self.url_map.default_subdomain

    def _match_request(self, request: Request) -> None:
        """Match the URL; store the rule and args, or the routing exception."""
        environ = request._environ
        if request._scope is None and environ is not None:
            # PERF: Request._has_bad_host inlined (one call less), here for WSGI
            # and below for ASGI (from_asgi's reading).
            host: str | None = environ.get("HTTP_HOST")
            if host and not host.isprintable():
                request.routing_exception = BadHost(
                    "The Host header contains characters that are not allowed."
                )
                return
        elif (
            request._bad_host if request._scope is not None else request._has_bad_host()
        ):
            request.routing_exception = BadHost(
                "The Host header contains characters that are not allowed."
            )
            return
        url_map = self.url_map
        trusted = self.config["TRUSTED_HOSTS"]
        try:
            if (
                trusted is None
                and not url_map._dirty
                and not url_map.host_matching
                and not self.subdomain_matching
            ):
                # PERF: Map._match_or_error's static lookup (a rule without
                # placeholders, for the default host) done here, without a call.
                host = url_map.default_subdomain
                paths = url_map._static_http.get(host)
                if paths is not None:
                    methods = paths.get(request.path)
                    if methods is not None:
                        rule = methods.get(request.method)
                        if rule is not None:
                            request.url_rule = rule
                            request.view_args = (
                                dict(rule.defaults) if rule.defaults else {}
                            )
                            return
                # PERF: stored as they come; a miss is (None, error), moved below.
                request.url_rule, request.view_args = url_map._match_unlisted(  # type: ignore[assignment]
                    request.path, request.method, host, False
                )
            else:
                host = self._match_host(request, trusted)
                request.url_rule, request.view_args = url_map._match_or_error(  # type: ignore[assignment]
                    request.path, request.method, host
                )
        except Exception as e:  # an untrusted host, a converter that failed badly
            request.routing_exception = e
            return
        if request.url_rule is None:
            request.routing_exception = request.view_args  # type: ignore[assignment]
            request.view_args = None

    def _match_host(self, request: Request, trusted: t.Any) -> str:
        """The host (or subdomain) the URL map matches ``request`` against;
        SecurityError when ``trusted`` (TRUSTED_HOSTS) does not list it."""
        if trusted is not None:
            request.trusted_hosts = trusted
            request.host  # noqa: B018 (raises SecurityError when untrusted)
        if self.url_map.host_matching or self.subdomain_matching:
            return self._routing_host(request)
        return self.url_map.default_subdomain

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing exception stored on the request.

        In debug mode a 301/302 redirect of a request with a body raises
        FormDataRoutingRedirect instead, because browsers drop form data there.
        """
        exc = request.routing_exception
        if isinstance(exc, RequestRedirect):
            exc = self._absolute_routing_redirect(request, exc)
            if self._form_data_redirect(request, exc):
                from .debughelpers import FormDataRoutingRedirect

                raise FormDataRoutingRedirect(request)
        raise exc  # type: ignore[misc]

    def _absolute_routing_redirect(
        self, request: Request, exc: RequestRedirect
    ) -> RequestRedirect:
        """The router's redirect, made absolute (and stored) if it is not yet."""
        if exc.new_url.startswith("/"):
            exc = RequestRedirect(self._absolute_redirect(request, exc.new_url))
            request.routing_exception = exc
        return exc

    def _form_data_redirect(self, request: Request, exc: RequestRedirect) -> bool:
        """Whether the redirect would drop a form body (reported in debug mode)."""
        return (
            self.debug
            and exc.code not in (307, 308)
            and request.method not in ("GET", "HEAD", "OPTIONS")
        )

    @staticmethod
    def _absolute_redirect(request: Request, path: str) -> str:
        url = f"{request.scheme}://{request.host}{request.root_path}{path}"
        if request.query_string:
            url = f"{url}?{request.query_string.decode('latin-1')}"
        return url

    # -- decisions made once --------------------------------------------------

    def _is_async(self, func: t.Callable[..., t.Any]) -> bool:
        flag = self._async_flags.get(func)
        if flag is None:
            flag = self._async_flags[func] = is_async_callable(func)
        return flag

    def _chain_for(self, endpoint: str | None) -> _Chain:
        """The flattened hook chain for an endpoint (cached)."""
        chain_ = self._chains.get(endpoint)
        if chain_ is not None:
            return chain_
        self._got_first_request = True
        self._overridden = frozenset(
            name for name in _PIPELINE_METHODS if self._overrides(name)
        )
        self._plain_ok = not self._overrides("make_response")
        self._plain_app_context = not self._overrides("app_context")
        blueprints = (
            _split_blueprint_path(endpoint.rpartition(".")[0])
            if (endpoint and "." in endpoint)
            else []
        )
        names: list[str | None] = [None, *reversed(blueprints)]
        preprocessors = [
            f for name in names for f in self.url_value_preprocessors.get(name, ())
        ]
        before = [f for name in names for f in self.before_request_funcs.get(name, ())]
        after = [
            f
            for name in chain(blueprints, (None,))
            for f in reversed(self.after_request_funcs.get(name, ()))
        ]
        funcs = [*preprocessors, *before, *after]
        view = self.view_functions.get(endpoint) if endpoint else None
        if view is not None:
            funcs.append(view)
        all_sync = not any(self._is_async(f) for f in funcs)
        direct_view = view if view is not None and not self._is_async(view) else None
        chain_ = _Chain(blueprints, preprocessors, before, after, all_sync, direct_view)
        self._chains[endpoint] = chain_
        return chain_

    # -- the pipeline ---------------------------------------------------------------

    async def _call(
        self, direct: bool, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any
    ) -> t.Any:
        """Call user code the way the current driver needs (see module doc)."""
        if direct:
            if self._is_async(func):
                return run_coroutine(func(*args, **kwargs))
            return func(*args, **kwargs)
        if self._is_async(func):
            return await func(*args, **kwargs)
        if self.config["ASGI_SYNC_INLINE"]:
            return func(*args, **kwargs)
        return await run_in_thread(func, *args, **kwargs)

    async def _handle(
        self, ctx: RequestContext, direct: bool
    ) -> Response | PlainResponse:
        """Turn the pushed request context into a response. Never raises Exception.

        The result is a Response, or the parts of one (a
        :data:`~hipflask.http.response.PlainResponse`) when nothing could observe
        the object.
        """
        request = ctx.request
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else None
        chain_ = self._chains.get(endpoint) or self._chain_for(endpoint)
        if self._overridden:
            return await self._handle_overridden(ctx, chain_, direct)
        try:
            try:
                if signals.request_started.receivers:
                    signals.request_started.send(self, _async_wrapper=self.ensure_sync)
                rv = None
                if chain_.preprocessors:
                    for func in chain_.preprocessors:
                        await self._call(
                            direct, func, request.endpoint, request.view_args
                        )
                for func in chain_.before:
                    rv = await self._call(direct, func)
                    if rv is not None:
                        break
                if rv is None:
                    view = chain_.direct_view if direct else None
                    if (
                        view is not None
                        and request.routing_exception is None
                        and request.method != "OPTIONS"
                        and self.view_functions[endpoint] is view  # type: ignore[index]
                    ):
                        # PERF: a matched sync view called directly, no coroutine
                        # (without the ** call when there are no arguments).
                        view_args = request.view_args
                        rv = view(**view_args) if view_args else view()
                    else:
                        rv = await self._dispatch(request, direct)
            except Exception as e:
                if self._overrides("handle_user_exception"):
                    rv = await self._call(direct, self.handle_user_exception, e)
                else:
                    rv = await self._handle_user_exception(e, chain_, direct)
            if chain_.after or ctx._after_request_functions:
                return await self._finalize(ctx, chain_, rv, direct, False)
            response = self._respond(ctx, chain_, rv)
            if response is None:
                return await self._finalize(ctx, chain_, rv, direct, False)
            return response
        except Exception as e:
            if self._overrides("handle_exception"):
                # As in Flask, teardown functions see what reached it.
                ctx._exception = e
                rv = await self._call(direct, self.handle_exception, e)
                return self.make_response(rv)
            return await self._handle_exception(ctx, chain_, e, direct)

    def _handle_direct(self, ctx: RequestContext) -> Response | PlainResponse:
        """:meth:`_handle` driven directly (sync code; a WSGI request, or an ASGI
        one stepped in a worker thread).

        PERF: when the endpoint's view and hooks are all sync and no pipeline
        method is overridden, the same steps run as plain calls: creating,
        stepping and finishing a coroutine (its StopIteration) costs more than
        the rest of a small request's pipeline. Rarer steps (errors, after
        hooks) still run their coroutines, driven to completion.
        """
        request = ctx.request
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else None
        chain_ = self._chains.get(endpoint) or self._chain_for(endpoint)
        if self._overridden or not chain_.all_sync:
            return _drive(self._handle(ctx, True))
        try:
            try:
                if signals.request_started.receivers:
                    signals.request_started.send(self, _async_wrapper=self.ensure_sync)
                rv = None
                for func in chain_.preprocessors:
                    func(request.endpoint, request.view_args)
                for func in chain_.before:
                    rv = func()
                    if rv is not None:
                        break
                if rv is None:
                    view = chain_.direct_view
                    if (
                        view is not None
                        and request.routing_exception is None
                        and request.method != "OPTIONS"
                        and self.view_functions[endpoint] is view  # type: ignore[index]
                    ):
                        # PERF: no ** call when there are no arguments.
                        view_args = request.view_args
                        rv = view(**view_args) if view_args else view()
                    else:
                        rv = self._direct_dispatch(request)
            except Exception as e:
                rv = self._direct_user_error(chain_, e)
            if chain_.after or ctx._after_request_functions:
                return self._direct_process(ctx, chain_, rv)
            response = self._respond(ctx, chain_, rv)
            if response is None:
                return self._direct_process(ctx, chain_, rv)
            return response
        except Exception as e:
            return self._direct_failed(ctx, chain_, e)

    # Steps of _handle_direct apart; its C twin calls them too (see the module
    # header).

    def _direct_dispatch(self, request: Request, unraised: bool = False) -> t.Any:
        """The view's return value when it is not called directly: a routing
        error's answer, an automatic OPTIONS answer, a view replaced since the
        chain was made. ``unraised``: :meth:`_unraised_routing_error` was
        asked already (and answered None)."""
        exc = request.routing_exception
        if exc is not None:
            # PERF: a routing error's answer without the _dispatch coroutine
            # (which raises it when there is none).
            rv = None if unraised else self._unraised_routing_error(request, exc)
            if rv is None:
                rv = _drive(self._dispatch(request, True, False))
            return rv
        return _drive(self._dispatch(request, True))

    def _direct_user_error(self, chain_: _Chain, e: Exception) -> t.Any:
        """The user-exception step: what ``handle_user_exception`` makes of
        ``e``, which a hook or the view raised. Called while ``e`` is being
        handled."""
        if self._overrides("handle_user_exception"):
            return _drive(self._call(True, self.handle_user_exception, e))
        return _drive(self._handle_user_exception(e, chain_, True))

    def _direct_process(
        self, ctx: RequestContext, chain_: _Chain, rv: t.Any
    ) -> Response:
        """The response for ``rv`` made and put through the after-request steps."""
        if type(rv) is str and self._plain_ok:
            # PERF: make_response's rule for a str (not overridden), without
            # its call.
            made: Response = text_response(self.response_class, rv)
        else:
            made = self.make_response(rv)
        # PERF: _finalize's steps, without its coroutine (nothing is overridden
        # and the hooks are sync here).
        return self._process_direct(ctx, chain_, made)

    def _direct_failed(
        self, ctx: RequestContext, chain_: _Chain, e: Exception
    ) -> Response:
        """The answer when the steps after the view raised ``e`` (or the
        user-exception step did): ``handle_exception``'s. Called while ``e`` is
        being handled."""
        if self._overrides("handle_exception"):
            # As in Flask, teardown functions see what reached it.
            ctx._exception = e
            rv = _drive(self._call(True, self.handle_exception, e))
            return self.make_response(rv)
        return _drive(self._handle_exception(ctx, chain_, e, True))

    def _respond(
        self, ctx: RequestContext, chain_: _Chain, rv: t.Any
    ) -> Response | PlainResponse | None:
        """The response for the view's (or a handler's) ``rv`` when nothing runs
        after the view; ``None`` when :meth:`_finalize` must make it.

        The caller has checked that no ``after_request`` or ``after_this_request``
        function is registered.
        """
        request = ctx.request
        if signals.request_finished.receivers:
            return None
        session = ctx._opened_session
        if session is None:
            environ = request._environ
            if request._scope is None and environ is not None:
                # PERF: Request._has_cookie_header inlined, for WSGI here and
                # for ASGI below (from_asgi's reading).
                if environ.get("HTTP_COOKIE"):
                    session = self._session_to_refresh(ctx)  # as _finalize would
            elif (
                request._cookie_sent
                if request._scope is not None
                else request._has_cookie_header()
            ):
                session = self._session_to_refresh(ctx)
        session_headers = None
        if session is not None:
            session_headers = _read_session_headers(
                self.session_interface, self, session
            )
            if session_headers is None:  # a cookie to write, or custom saving
                return None
        # PERF: nothing runs after the view, so nothing can see the response:
        # a str or JSON return with the default classes is sent as its parts
        # (a session that was only read adds its Vary: all saving it does).
        if self._plain_ok and self.response_class is Response:
            rv_type = type(rv)
            if rv_type is Response:
                if session_headers:
                    return None
                response: Response = rv  # make_response's answer, without its call
                return response
            if rv_type is str:
                mimetype = Response.default_mimetype
                if mimetype is not None and Response.automatically_set_content_length:
                    plain = plain_response(rv, mimetype)
                    if session_headers:
                        plain[2].extend(session_headers)
                    return plain
            elif rv_type is dict or rv_type is list:
                provider = self.json
                if type(provider).response is DefaultJSONProvider.response:
                    plain = plain_response(
                        provider._body(rv),  # type: ignore[attr-defined]
                        provider.mimetype,  # type: ignore[attr-defined]
                    )
                    if session_headers:
                        plain[2].extend(session_headers)
                    return plain
            elif isinstance(rv, HTTPException) and not self._overrides("make_response"):
                # An HTTP error without a handler (a routing error): its page.
                # (Error paths ask whether make_response was replaced since the
                # first request, as _http_error_rv does.)
                page = page_parts(rv)
                if page is not None:
                    if session_headers:
                        page[2].extend(session_headers)
                    return page
        if session_headers:
            return None
        return self.make_response(rv)

    async def _handle_overridden(
        self, ctx: RequestContext, chain_: _Chain, direct: bool
    ) -> Response:
        """Flask's sequence through the public methods, some of them overridden.

        Used when a subclass replaced a step of the pipeline (``dispatch_request``,
        ``process_response``, ...): each step is the public method, called the
        way ``_call`` calls user code.
        """
        try:
            if "full_dispatch_request" in self._overridden:
                rv: t.Any = await self._call(direct, self.full_dispatch_request)
            else:
                try:
                    if signals.request_started.receivers:
                        signals.request_started.send(
                            self, _async_wrapper=self.ensure_sync
                        )
                    rv = await self._call(direct, self.preprocess_request)
                    if rv is None:
                        rv = await self._call(direct, self.dispatch_request)
                except Exception as e:
                    rv = await self._call(direct, self.handle_user_exception, e)
                rv = await self._call(direct, self.finalize_request, rv)
            return self.make_response(rv)
        except Exception as e:
            if not self._overrides("handle_exception"):
                return await self._handle_exception(ctx, chain_, e, direct)
            ctx._exception = e
            return self.make_response(
                await self._call(direct, self.handle_exception, e)
            )

    def _overrides(self, name: str) -> bool:
        """Whether a subclass or the instance replaced the method ``name``.

        Extensions wrap ``handle_exception`` and friends on the instance
        (Flask-RESTful does); the pipeline calls the replacement then. Asked
        only once an exception happened, so the common path pays nothing.
        """
        return name in self.__dict__ or getattr(type(self), name) is not getattr(
            Flask, name
        )

    async def _dispatch(
        self, request: Request, direct: bool, pipeline: bool = True
    ) -> t.Any:
        """The view's return value.

        ``pipeline`` (:meth:`_handle`): a routing error may come back as its
        answer instead of being raised (see :meth:`_unraised_routing_error`);
        ``dispatch_request`` raises it, as Flask's does.
        """
        exc = request.routing_exception
        if exc is not None:
            if pipeline:
                rv = self._unraised_routing_error(request, exc)
                if rv is not None:
                    return rv
            self.raise_routing_exception(request)
        rule = request.url_rule
        if rule is None:
            raise NotFound()
        if request.method == "OPTIONS" and getattr(
            rule, "provide_automatic_options", False
        ):
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]
        if direct and not self._is_async(view):
            # PERF: the common case skips the _call coroutine.
            return view(**request.view_args)  # type: ignore[arg-type]
        return await self._call(direct, view, **request.view_args)  # type: ignore[arg-type]

    def _unraised_routing_error(self, request: Request, exc: Exception) -> t.Any:
        """What the pipeline answers for the routing error ``exc``, or ``None``.

        PERF: when no user code would see ``exc`` raised (the steps that could
        are Flask's own, no error handler takes it, it is not trapped), the
        answer is ``exc`` itself, what Flask's ``handle_http_exception`` gives
        back and ``make_response`` turns into the page, without raising,
        catching and re-raising it (and without a traceback whose frames hold
        the request: a reference cycle through ``request.routing_exception``
        left to the garbage collector). ``None`` means: raise it, the general
        path.
        """
        cls = type(self)
        attributes = self.__dict__  # extensions wrap steps on the instance
        if (
            # Error handlers are looked up by the request's blueprints.
            request.url_rule is not None
            or not isinstance(exc, HTTPException)
            or isinstance(exc, BadRequestKeyError)
            or cls.raise_routing_exception is not _FLASK_RAISE_ROUTING_EXCEPTION
            or cls.handle_user_exception is not _FLASK_HANDLE_USER_EXCEPTION
            or cls.handle_http_exception is not _FLASK_HANDLE_HTTP_EXCEPTION
            or cls.trap_http_exception is not _FLASK_TRAP_HTTP_EXCEPTION
            or "raise_routing_exception" in attributes
            or "handle_user_exception" in attributes
            or "handle_http_exception" in attributes
            or "trap_http_exception" in attributes
        ):
            return None
        if isinstance(exc, RequestRedirect):
            exc = self._absolute_routing_redirect(request, exc)
            if self._form_data_redirect(request, exc):
                return None
        elif (
            exc.code is not None
            and self.error_handler_spec
            and not isinstance(exc, RoutingException)
            and self._find_error_handler(exc, [])
        ):
            return None
        # trap_http_exception(exc) (Flask's, see above) for an exception that is
        # not a BadRequestKeyError.
        config = self.config
        if config["TRAP_HTTP_EXCEPTIONS"] or (
            config["TRAP_BAD_REQUEST_ERRORS"] and isinstance(exc, BadRequest)
        ):
            return None
        # handle_http_exception's answer; make_response (or _respond, which
        # sends the standard page as parts) makes the response of it.
        return exc

    def _http_error_rv(self, e: Exception) -> t.Any:
        """``e`` as the pipeline's return value: the error page as a response
        when ``make_response`` is Flask's (what it would make of ``e``), else
        ``e`` for ``make_response`` to convert."""
        if (
            type(self).make_response is not _FLASK_MAKE_RESPONSE
            or "make_response" in self.__dict__
            or not isinstance(e, HTTPException)
        ):
            return e
        # PERF: the exception's page directly, skipping make_response's tests
        # for the return types a view usually gives.
        response_class = self.response_class
        if (
            response_class is Response
            and e.response is None
            and type(e).get_response is _HTTP_EXCEPTION_GET_RESPONSE
        ):
            # The default class shares the base class's __init__ and settings:
            # made as it at once, rather than re-classed by force_type.
            return e._page(Response)
        return response_class.force_type(e.get_response())

    async def _handle_user_exception(
        self, e: Exception, chain_: _Chain, direct: bool, page: bool = True
    ) -> t.Any:
        """Flask's ``handle_user_exception``. With ``page`` (the pipeline), an
        HTTP error without a handler comes back as its response, not as ``e``."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        if isinstance(e, self._http_exception_types) and not self.trap_http_exception(
            e
        ):
            if (
                type(self).handle_http_exception is not _FLASK_HANDLE_HTTP_EXCEPTION
                or "handle_http_exception" in self.__dict__
            ):
                return await self._call(direct, self.handle_http_exception, e)
            if e.code is None or isinstance(e, RoutingException):  # type: ignore[attr-defined]
                return self._http_error_rv(e) if page else e
            handler = self._find_error_handler(e, chain_.blueprints)
            if handler is None:
                return self._http_error_rv(e) if page else e
            return await self._call(direct, handler, e)
        handler = self._find_error_handler(e, chain_.blueprints)
        if handler is None:
            raise e
        return await self._call(direct, handler, e)

    async def _finalize(
        self,
        ctx: RequestContext,
        chain_: _Chain,
        rv: t.Any,
        direct: bool,
        from_error_handler: bool,
    ) -> Response:
        response = self.make_response(rv)
        if "process_response" in self._overridden:
            try:
                response = await self._call(direct, self.process_response, response)
                if signals.request_finished.receivers:
                    signals.request_finished.send(
                        self, _async_wrapper=self.ensure_sync, response=response
                    )
            except Exception:
                if not from_error_handler:
                    raise
                self.logger.exception(
                    "Request finalizing failed with an error while handling an error"
                )
            return response
        try:
            if direct and chain_.all_sync:
                response = self._process_direct(ctx, chain_, response)
            else:
                for func in ctx._after_request_functions:
                    response = await self._call(direct, func, response)
                for func in chain_.after:
                    response = await self._call(direct, func, response)
                self._save_session(ctx, response)
                if signals.request_finished.receivers:
                    signals.request_finished.send(
                        self, _async_wrapper=self.ensure_sync, response=response
                    )
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response

    def _process_direct(
        self, ctx: RequestContext, chain_: _Chain, response: Response
    ) -> Response:
        """The after-request steps of :meth:`_finalize` when the pipeline is driven
        directly and the endpoint's hooks are sync: ``after_this_request``
        functions, ``after_request`` hooks (each result is the response from
        then on), session saving, ``request_finished``. Raises what they raise.
        """
        functions: list[t.Callable[[Response], t.Any]] = ctx._after_request_functions
        if functions:
            is_async = self._is_async
            # Iterated as it grows: a function may register another.
            for func in functions:
                if is_async(func):
                    response = run_coroutine(func(response))
                else:
                    response = func(response)
        for func in chain_.after:
            response = func(response)
        session = ctx._opened_session
        if session is None:
            # PERF: _session_to_refresh's cheapest test first: without a Cookie
            # header there is no session to refresh (read inline for WSGI).
            request = ctx.request
            environ = request._environ
            if request._scope is None and environ is not None:
                has_cookie = bool(environ.get("HTTP_COOKIE"))
            elif request._scope is not None:
                has_cookie = request._cookie_sent  # from_asgi's reading
            else:
                has_cookie = request._has_cookie_header()
            if has_cookie:
                self._save_session(ctx, response)
        else:
            self._save_session(ctx, response, session)
        if signals.request_finished.receivers:
            signals.request_finished.send(
                self, _async_wrapper=self.ensure_sync, response=response
            )
        return response

    def _save_session(
        self,
        ctx: RequestContext,
        response: Response,
        session: SessionMixin | None = None,
    ) -> None:
        """Save the request's session onto ``response``, as Flask's
        ``process_response`` does (a session the request never touched only when
        it must be refreshed)."""
        if session is None:
            session = ctx._opened_session
            if session is None:
                session = self._session_to_refresh(ctx)
                if session is None:
                    return
        interface = self.session_interface
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)

    async def _handle_exception(
        self, ctx: RequestContext, chain_: _Chain, e: Exception, direct: bool
    ) -> Response:
        if signals.got_request_exception.receivers:
            signals.got_request_exception.send(
                self, _async_wrapper=self.ensure_sync, exception=e
            )
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if self.debug:
                # Served through the development server's debugger: answer with
                # the debug page instead (see hipflask.debug for when and why).
                from .debug import render_debug_response, served_with_debugger

                if served_with_debugger(ctx.request):
                    ctx._exception = e
                    self.log_exception((type(e), e, e.__traceback__))
                    return render_debug_response(e, ctx.request)
            raise e
        # Teardown functions see the exception even though a 500 was made.
        ctx._exception = e
        self.log_exception((type(e), e, e.__traceback__))
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, chain_.blueprints)
        if handler is not None:
            try:
                server_error = await self._call(direct, handler, server_error)
            except Exception:
                self.logger.exception("The error handler for a 500 error failed")
                server_error = InternalServerError(original_exception=e)
        try:
            return await self._finalize(ctx, chain_, server_error, direct, True)
        except Exception:
            self.logger.exception("Building the 500 response failed")
            return self.response_class.force_type(  # type: ignore[return-value]
                InternalServerError().get_response()
            )

    def full_dispatch_request(self) -> Response:
        """Flask's request sequence for the pushed context, through the public
        methods (preprocess, dispatch, handle_user_exception, finalize).

        An exception no handler takes propagates, as in Flask. The adapters do
        not call this: they run :meth:`_handle`, which does the same work.
        """
        _require_request_ctx()
        try:
            if signals.request_started.receivers:
                signals.request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    # -- public pieces of the pipeline (Flask API) ------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """Return a sync callable for ``func`` (coroutine functions get wrapped)."""
        if self._is_async(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Wrap a coroutine function to run on this thread's event loop."""

        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return run_coroutine(func(*args, **kwargs))

        return wrapper

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception should propagate instead of being handled."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if (
            trap_bad_request is None
            and isinstance(e, BadRequestKeyError)
            and self.debug
        ):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def handle_http_exception(self, e: HTTPException) -> HTTPException | t.Any:
        """Find and call the handler for an HTTP exception (or return it)."""
        if e.code is None or isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, _current_blueprints())
        if handler is None:
            return e
        return self.ensure_sync(handler)(e)

    def handle_user_exception(self, e: Exception) -> HTTPException | t.Any:
        """Handle an exception raised by user code; re-raise when unhandled."""
        chain_ = self._chain_for(_current_endpoint())
        return _drive(self._handle_user_exception(e, chain_, True, page=False))

    def handle_exception(self, e: Exception) -> Response:
        """Turn an unhandled exception into a 500 response (or propagate it)."""
        ctx = _require_request_ctx()
        chain_ = self._chain_for(_current_endpoint())
        return _drive(self._handle_exception(ctx, chain_, e, True))

    def log_exception(self, exc_info: t.Any) -> None:
        """Log an unhandled exception (called when it is not propagated)."""
        request = _cv_request.get(None)
        where = f"{request.request.path} [{request.request.method}]" if request else "?"
        if request is None and (ws_ctx := _cv_websocket.get(None)) is not None:
            where = f"{ws_ctx.websocket.path} [WEBSOCKET]"
        self.logger.error(f"Exception on {where}", exc_info=exc_info)

    def dispatch_request(self) -> t.Any:
        """Call the view for the current request and return its value."""
        ctx = _require_request_ctx()
        return _drive(self._dispatch(ctx.request, True, pipeline=False))

    def preprocess_request(self) -> t.Any:
        """Run URL value preprocessors and before_request hooks."""
        request = _require_request_ctx().request
        chain_ = self._chain_for(request.endpoint)
        for func in chain_.preprocessors:
            func(request.endpoint, request.view_args)
        for func in chain_.before:
            rv = self.ensure_sync(func)()
            if rv is not None:
                return rv
        return None

    def process_response(self, response: Response) -> Response:
        """Run after_request hooks and save the session."""
        ctx = _require_request_ctx()
        chain_ = self._chain_for(ctx.request.endpoint)
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for func in chain_.after:
            response = self.ensure_sync(func)(response)
        session = ctx._opened_session
        if session is None:
            session = self._session_to_refresh(ctx)
        if session is not None and not self.session_interface.is_null_session(session):
            self.session_interface.save_session(self, session, response)
        return response

    def _session_to_refresh(self, ctx: RequestContext) -> SessionMixin | None:
        """The session of a request that did not touch it, if it must be saved.

        Flask opens every session and, with ``SESSION_REFRESH_EACH_REQUEST``,
        re-sends a permanent one on every response. Only a request carrying the
        session cookie can have such a session, so only that one opens it here.
        """
        if not self.config["SESSION_REFRESH_EACH_REQUEST"]:
            return None
        if not ctx.request._has_cookie_header():
            return None
        cookie = ctx.request.headers.get("Cookie")
        if not cookie or self.session_interface.get_cookie_name(self) not in cookie:
            return None
        return ctx._session

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Make a response from a view's return value and post-process it."""
        ctx = _require_request_ctx()
        chain_ = self._chain_for(ctx.request.endpoint)
        return _drive(self._finalize(ctx, chain_, rv, True, from_error_handler))

    def make_default_options_response(self) -> Response:
        """The automatic OPTIONS response, with ``Allow``."""
        ctx = _cv_request.get()
        adapter = ctx.url_adapter
        methods = adapter.allowed_methods() if adapter is not None else []
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should not see ``error``."""
        return False

    def _teardown_request_funcs(self, request: Request) -> list[t.Callable[..., t.Any]]:
        funcs = self.teardown_request_funcs
        if not funcs:
            return []
        return [
            func
            for name in chain(request.blueprints, (None,))
            for func in reversed(funcs.get(name, ()))
        ]

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run teardown_request functions (blueprints first, newest first)."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        if self.teardown_request_funcs:
            for func in self._teardown_request_funcs(_cv_request.get().request):
                self.ensure_sync(func)(exc)
        if signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(
                self, _async_wrapper=self.ensure_sync, exc=exc
            )

    def do_teardown_appcontext(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run teardown_appcontext functions (newest first)."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        if self.teardown_appcontext_funcs:
            for func in reversed(self.teardown_appcontext_funcs):
                self.ensure_sync(func)(exc)
        if signals.appcontext_tearing_down.receivers:
            signals.appcontext_tearing_down.send(
                self, _async_wrapper=self.ensure_sync, exc=exc
            )

    async def _pop_async(self, ctx: RequestContext, exc: BaseException | None) -> None:
        """Pop a request context from the event loop (async mode).

        Teardown functions go through :meth:`_call` like every other user
        callable: async ones are awaited, sync ones run in a worker thread.
        """
        try:
            if not ctx._outer:  # the outermost push
                for func in self._teardown_request_funcs(ctx.request):
                    await self._call(False, func, exc)
                if signals.request_tearing_down.receivers:
                    signals.request_tearing_down.send(
                        self, _async_wrapper=self.ensure_sync, exc=exc
                    )
                ctx.request.close()
        finally:
            app_ctx = ctx._release()
        if app_ctx is not None:
            await self._pop_app_async(app_ctx, exc)

    async def _pop_app_async(
        self, app_ctx: AppContext, exc: BaseException | None
    ) -> None:
        """Pop an application context from the event loop, its teardown
        functions run through :meth:`_call` (async ones awaited)."""
        try:
            if not app_ctx._outer:  # the outermost push
                for func in reversed(self.teardown_appcontext_funcs):
                    await self._call(False, func, exc)
                if signals.appcontext_tearing_down.receivers:
                    signals.appcontext_tearing_down.send(
                        self, _async_wrapper=self.ensure_sync, exc=exc
                    )
        finally:
            app_ctx._release()

    # -- responses -----------------------------------------------------------------

    def make_response(self, rv: t.Any) -> Response:
        """Convert a view's return value into a response object (Flask's rules)."""
        response_class = self.response_class
        # PERF: the common returns are checked first, by exact type.
        rv_type = type(rv)
        if rv_type is str:
            return text_response(response_class, rv)
        if rv_type is bytes:
            return response_class(rv)
        if rv_type is dict or rv_type is list:
            return self.json.response(rv)
        if isinstance(rv, response_class):
            return rv
        status = headers = None
        if isinstance(rv, tuple):
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv
            elif len_rv == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple."
                    " The tuple must have the form (body, status, headers),"
                    " (body, status), or (body, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {_current_endpoint()!r} did not"
                " return a valid response. The function either returned"
                " None or ended without a return statement."
            )
        if not isinstance(rv, response_class):
            if isinstance(rv, (str, bytes, bytearray, Iterator)):
                rv = response_class(
                    t.cast(t.Any, rv),
                    status=status,
                    headers=headers,
                )
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException):
                # The app's response class, as Flask's (after_request sees it).
                rv = response_class.force_type(rv.get_response())
            elif isinstance(rv, Response) or callable(rv):
                try:
                    rv = response_class.force_type(rv, _current_environ())
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid"
                        " response. The return type must be a string,"
                        " dict, list, tuple with headers or status,"
                        " Response instance, or WSGI callable, but it"
                        f" was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid"
                    " response. The return type must be a string,"
                    " dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it was a"
                    f" {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status if isinstance(status, str) else status.decode()
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response using this app's response class."""
        from .http.response import redirect as _redirect

        return t.cast(
            Response, _redirect(location, code=code, Response=self.response_class)
        )

    # -- URL building ------------------------------------------------------------------

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let url_defaults functions add values before a URL is built."""
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            names = chain(
                names, reversed(_split_blueprint_path(endpoint.rpartition(".")[0]))
            )
        for name in names:
            if name in self.url_default_functions:
                for func in self.url_default_functions[name]:
                    func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Called when building a URL fails; handlers may return a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        raise error

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build a URL for ``endpoint`` with ``values`` (extra ones become a query)."""
        req_ctx = _cv_request.get(None)
        if req_ctx is not None:
            url_adapter = req_ctx.url_adapter
            blueprint_name = req_ctx.request.blueprint
            if endpoint[:1] == ".":
                endpoint = (
                    f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
                )
            if _external is None:
                _external = _scheme is not None
        elif (ws_ctx := _cv_websocket.get(None)) is not None:
            # In a websocket handler URLs are built as in a request.
            url_adapter = ws_ctx.url_adapter
            blueprint_name = ws_ctx.websocket.blueprint
            if endpoint[:1] == ".":
                endpoint = (
                    f"{blueprint_name}{endpoint}" if blueprint_name else endpoint[1:]
                )
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = _cv_app.get(None)
            url_adapter = (
                app_ctx.url_adapter
                if app_ctx is not None
                else self.create_url_adapter(None)
            )
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request"
                    " without 'SERVER_NAME' configured. Also configure"
                    " 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
                    " needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            rv = url_adapter.build(  # type: ignore[union-attr]
                endpoint,
                values,
                method=_method,
                url_scheme=_scheme,
                force_external=_external,
            )
        except BuildError as error:
            values.update(
                _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external
            )
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            from urllib.parse import quote

            rv = f"{rv}#{quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv

    # -- static files ------------------------------------------------------------

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """Max age for static files (``SEND_FILE_MAX_AGE_DEFAULT``)."""
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    def send_static_file(self, filename: str) -> Response:
        """Serve a file from the static folder."""
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        from .helpers import send_from_directory

        max_age = self.get_send_file_max_age(filename)
        return send_from_directory(
            t.cast(str, self.static_folder), filename, max_age=max_age
        )

    # -- serving --------------------------------------------------------------------

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app for development, through uvicorn (``serving.run_simple``).

        ``host`` and ``port`` default to ``SERVER_NAME``'s, else 127.0.0.1:5000;
        ``debug`` turns on the reloader too. Not for production: use
        ``hipflask serve``. Does nothing under the ``hipflask`` command.
        """
        from .serving import run_app

        try:
            run_app(self, host, port, debug, load_dotenv, options)
        finally:
            # As in Flask, the app can be changed again once the server stopped.
            self._got_first_request = False
            self._chains.clear()
            self._forget_template_chains()

    def wsgi_app(
        self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]
    ) -> t.Iterable[bytes]:
        """The WSGI application (wrap this attribute with WSGI middleware)."""
        return serve_wsgi(self, environ, start_response)

    async def asgi_app(
        self,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        """The ASGI application (wrap this attribute with ASGI middleware).

        While the instance's :attr:`wsgi_app` is wrapped (WSGI middleware),
        http requests go through it (:mod:`hipflask.wsgi_middleware`), except
        that a :class:`~hipflask.middleware.ProxyFix` right around the app is
        applied to the scope (http and websocket) and served natively. So do
        they when a subclass overrides the ``wsgi_app`` method and not this
        one: code written for Flask runs under both protocols. A subclass
        overriding this method too chooses for itself.
        """
        wrapped = self.__dict__.get("wsgi_app")
        if wrapped is not None and scope["type"] in ("http", "websocket"):
            if type(wrapped) is ProxyFix and _is_wsgi_app_of(self, wrapped.app):
                scope = wrapped.asgi_scope(scope)
            elif scope["type"] == "http":
                await serve_wsgi_stack(self, scope, receive, send)
                return
        elif (
            wrapped is None
            and scope["type"] == "http"
            and type(self).wsgi_app is not _WSGI_APP
            and type(self).asgi_app is _ASGI_APP
        ):
            await serve_wsgi_stack(self, scope, receive, send)
            return
        await serve_asgi(self, scope, receive, send)

    def __call__(self, first: t.Any, second: t.Any, third: t.Any = _sentinel) -> t.Any:
        """WSGI with two arguments; ASGI (returns a coroutine) with three."""
        # PERF: straight to the adapter (one call less) unless the attribute was
        # replaced (WSGI/ASGI middleware) or overridden.
        if third is _sentinel:
            if "wsgi_app" in self.__dict__ or type(self).wsgi_app is not _WSGI_APP:
                return self.wsgi_app(first, second)
            return serve_wsgi(self, first, second)
        own = self.__dict__
        cls = type(self)
        if (
            "asgi_app" in own
            or "wsgi_app" in own
            or cls.asgi_app is not _ASGI_APP
            or cls.wsgi_app is not _WSGI_APP
        ):
            return self.asgi_app(first, second, third)
        return serve_asgi(self, first, second, third)


_WSGI_APP = Flask.wsgi_app


def _is_wsgi_app_of(app: Flask, candidate: object) -> bool:
    """Whether ``candidate`` is ``app``'s own (unwrapped) ``wsgi_app`` method."""
    return (
        getattr(candidate, "__func__", None) is _WSGI_APP
        and getattr(candidate, "__self__", None) is app
    )


_ASGI_APP = Flask.asgi_app

# Servers that guess the interface (uvicorn, hypercorn, asgiref) take an app whose
# __call__ is not a coroutine function for ASGI 2 or WSGI. Called with three
# arguments it returns a coroutine, so it is marked as a coroutine function.
if sys.version_info >= (3, 12):
    inspect.markcoroutinefunction(Flask.__call__)
else:
    Flask.__call__._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]


def _strip_default_port(server_name: str, scheme: str) -> str:
    """``SERVER_NAME`` without the scheme's default port (a Host never has it)."""
    if scheme == "http":
        return server_name.removesuffix(":80")
    if scheme == "https":
        return server_name.removesuffix(":443")
    return server_name


# Flask's own error steps: a subclass that replaces one is called instead.
_FLASK_RAISE_ROUTING_EXCEPTION = Flask.raise_routing_exception
_FLASK_HANDLE_USER_EXCEPTION = Flask.handle_user_exception
_FLASK_HANDLE_HTTP_EXCEPTION = Flask.handle_http_exception
_FLASK_TRAP_HTTP_EXCEPTION = Flask.trap_http_exception
_FLASK_MAKE_RESPONSE = Flask.make_response
_HTTP_EXCEPTION_GET_RESPONSE = HTTPException.get_response

_PIPELINE_METHODS = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "process_response",
)


def _require_request_ctx() -> RequestContext:
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(_no_req_msg)
    return ctx


def _current_endpoint() -> str | None:
    ctx = _cv_request.get(None)
    return ctx.request.endpoint if ctx is not None else None


def _current_blueprints() -> list[str]:
    ctx = _cv_request.get(None)
    return ctx.request.blueprints if ctx is not None else []


def _current_environ() -> dict[str, t.Any] | None:
    ctx = _cv_request.get(None)
    return ctx.request.environ if ctx is not None else None


def _find_package(import_name: str) -> tuple[str | None, str]:
    """(install prefix or None, package folder) for ``import_name``."""
    import importlib.util

    root_mod_name, _, _ = import_name.partition(".")
    package_path: str
    try:
        root_spec = importlib.util.find_spec(root_mod_name)
        if root_spec is None:
            raise ValueError("not found")
    except (ImportError, ValueError):
        package_path = os.getcwd()
    else:
        locations = root_spec.submodule_search_locations
        if locations:
            if root_spec.origin is None or root_spec.origin == "namespace":
                # A namespace package: the location holding this submodule.
                search_location = locations[0]
                spec = importlib.util.find_spec(import_name)
                if spec is not None and spec.submodule_search_locations:
                    common = os.path.commonpath(spec.submodule_search_locations)
                    for location in locations:
                        if os.path.commonpath([common, location]) == location:
                            search_location = location
                            break
                package_path = os.path.dirname(search_location)
            else:
                package_path = os.path.dirname(os.path.dirname(root_spec.origin))
        elif root_spec.origin:
            package_path = os.path.dirname(root_spec.origin)
        else:
            package_path = os.getcwd()
    py_prefix = os.path.abspath(sys.prefix)
    # Installed into the interpreter's prefix.
    try:
        if os.path.commonpath([package_path, py_prefix]) == py_prefix:
            return py_prefix, package_path
    except ValueError:  # different drives
        pass
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() != "site-packages":
        return None, package_path
    # Installed into a virtualenv: climb out of lib/ (or lib/pythonX.Y/).
    parent, folder = os.path.split(site_parent)
    if folder.lower() == "lib":
        return parent, package_path
    if os.path.basename(parent).lower() == "lib":
        return os.path.dirname(parent), package_path
    return site_parent, package_path


#: The Python steps of the direct pipeline and the URL match. With the C helpers
#: built, ``Flask._handle_direct``, ``Flask._respond`` and
#: ``Flask._match_request`` are their C twins (``http/_speedups_app.c``), which
#: answer the common request themselves and call these, and the steps above,
#: for the rest.
PYTHON_HANDLE_DIRECT = Flask._handle_direct
PYTHON_RESPOND = Flask._respond
PYTHON_MATCH_REQUEST = Flask._match_request
PYTHON_UNRAISED_ROUTING_ERROR = Flask._unraised_routing_error
if speedups is not None:
    speedups.configure_app(
        PYTHON_HANDLE_DIRECT,
        Response,
        DefaultJSONProvider.response,
        signals.request_started,
        signals.request_finished,
        PYTHON_RESPOND,
        speedups.respond,
        _Chain,
        Flask,
        HTTPException,
        page_parts,
        _FLASK_MAKE_RESPONSE,
    )
    speedups.configure_routing(
        PYTHON_MATCH_REQUEST,
        Map,
        (
            _FLASK_RAISE_ROUTING_EXCEPTION,
            _FLASK_HANDLE_USER_EXCEPTION,
            _FLASK_HANDLE_HTTP_EXCEPTION,
            _FLASK_TRAP_HTTP_EXCEPTION,
        ),
        (HTTPException, BadRequestKeyError, RequestRedirect, BadRequest),
        PYTHON_UNRAISED_ROUTING_ERROR,
    )
    type.__setattr__(Flask, "_handle_direct", speedups.handle_direct)
    type.__setattr__(Flask, "_respond", speedups.respond)
    type.__setattr__(Flask, "_match_request", speedups.match_request)
    type.__setattr__(Flask, "_unraised_routing_error", speedups.unraised_routing_error)

# The adapters import the contexts, which import nothing from here at load time;
# importing them last keeps ``wsgi_app``/``asgi_app`` free of per-call imports.
from .asgi import serve_asgi  # noqa: E402
from .middleware import ProxyFix  # noqa: E402
from .wsgi import serve_wsgi  # noqa: E402
from .wsgi_middleware import serve_wsgi_stack  # noqa: E402

#: Flask.__call__ in Python: the reference, and what the C version (installed
#: in its place) hands every call to but a plain WSGI or ASGI one.
PYTHON_CALL = Flask.__call__
if speedups is not None:
    _call = speedups.app_call(PYTHON_CALL, _WSGI_APP, _ASGI_APP, serve_asgi)
    # Its name, doc, __wrapped__ (for inspect.signature) and the coroutine
    # marker set above (the twin's __dict__), which servers read.
    update_wrapper(_call, PYTHON_CALL)
    type.__setattr__(Flask, "__call__", _call)
