"""What ``Flask`` and ``Blueprint`` share: the registration decorators.

A scaffold records routes, hooks and error handlers in per-blueprint tables keyed
by blueprint name (``None`` is the application itself). Nothing here runs on the
request path: the application flattens these tables once per endpoint when it
first sees a request for it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from collections import defaultdict
from functools import cached_property, update_wrapper

from .concurrency import is_async_callable
from .http.exceptions import HTTPException, default_exceptions

if t.TYPE_CHECKING:
    from jinja2 import BaseLoader

    from .wrappers import Response

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
_sentinel = object()

ErrorHandlerSpec = dict[
    "str | None", dict["int | None", dict[type[BaseException], t.Callable[..., t.Any]]]
]


def setupmethod(f: F) -> F:
    """Mark a method that must run before the first request is handled."""
    f_name = f.__name__

    def wrapper_func(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(f_name)
        return f(self, *args, **kwargs)

    return t.cast(F, update_wrapper(wrapper_func, f))


def _check_websocket_handler(endpoint: str, view_func: t.Callable[..., t.Any]) -> None:
    """Refuse a websocket handler that is not a coroutine function."""
    if not is_async_callable(view_func):
        raise TypeError(
            f"The websocket handler for {endpoint!r} must be an async function"
            " (defined with 'async def'); sync websocket handlers are not supported."
        )


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (cwd if unknown)."""
    mod = sys.modules.get(import_name)
    if mod is not None and hasattr(mod, "__file__") and mod.__file__ is not None:
        return os.path.dirname(os.path.abspath(mod.__file__))
    try:
        spec = importlib.util.find_spec(import_name)
        if spec is None:
            raise ValueError
    except (ImportError, ValueError):
        loader = None
    else:
        loader = spec.loader
    if loader is None:
        return os.getcwd()
    if hasattr(loader, "get_filename"):
        filepath = loader.get_filename(import_name)
    else:
        __import__(import_name)
        mod = sys.modules[import_name]
        filepath = getattr(mod, "__file__", None)
        if filepath is None:
            raise RuntimeError(
                "No root path can be found for the provided module"
                f" {import_name!r}. This can happen because the module"
                " came from an import hook that does not provide file"
                " name information or because it's a namespace package."
                " In this case the root path needs to be explicitly"
                " provided."
            )
    return os.path.dirname(os.path.abspath(str(filepath)))


def _endpoint_from_view_func(view_func: t.Callable[..., t.Any]) -> str:
    if view_func is None:
        raise TypeError("expected view func if endpoint is not provided.")
    return str(view_func.__name__)


class Scaffold:
    """Common registration API of applications and blueprints."""

    #: Exception classes treated as HTTP exceptions (handled by status code).
    #: ``hipflask.compat`` adds Werkzeug's when it is installed.
    _http_exception_types: t.ClassVar[tuple[type[Exception], ...]] = (HTTPException,)

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        self.error_handler_spec: ErrorHandlerSpec = defaultdict(
            lambda: defaultdict(dict)
        )
        self.before_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.after_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.teardown_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.template_context_processors: dict[
            str | None, list[t.Callable[..., t.Any]]
        ] = defaultdict(list)
        self.url_value_preprocessors: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.url_default_functions: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        # Websocket hooks (Quart's): keyed by blueprint name like the others.
        self.before_websocket_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.after_websocket_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = (
            defaultdict(list)
        )
        self.teardown_websocket_funcs: dict[
            str | None, list[t.Callable[..., t.Any]]
        ] = defaultdict(list)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- folders ---------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """Absolute path of the static folder, if there is one."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is configured."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """URL prefix of the static route (defaults to the folder's name)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A loader for the template folder, if there is one (see templating)."""
        if self.template_folder is None:
            return None
        from jinja2 import FileSystemLoader

        return FileSystemLoader(os.path.join(self.root_path, self.template_folder))

    # -- routes ----------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Shortcut for ``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register the decorated function as the view for ``rule``."""

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def websocket(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Register the decorated coroutine function as the websocket handler.

        As Quart's: the handler talks through ``hipflask.websocket``; the rule's
        arguments are its keyword arguments. A sync function raises TypeError.
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            _check_websocket_handler(endpoint or _endpoint_from_view_func(f), f)
            options.setdefault("provide_automatic_options", False)
            self.add_url_rule(rule, endpoint, f, websocket=True, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule; see :meth:`hipflask.Flask.add_url_rule`."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view for ``endpoint``."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks -----------------------------------------------------------------

    @setupmethod
    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-None return ends the request."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when the request context is popped, even after errors."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def before_websocket(self, f: F) -> F:
        """Run ``f()`` before each websocket handler; a non-None return (or an
        ``abort``) ends the connection without running the handler."""
        self.before_websocket_funcs[None].append(f)
        return f

    @setupmethod
    def after_websocket(self, f: F) -> F:
        """Run ``f(rv)`` after each websocket handler has returned (or its client
        has gone); ``rv`` is what the handler returned, and ``f`` returns it."""
        self.after_websocket_funcs[None].append(f)
        return f

    @setupmethod
    def teardown_websocket(self, f: F) -> F:
        """Run ``f(exc)`` when each websocket connection ends, even after errors."""
        self.teardown_websocket_funcs[None].append(f)
        return f

    @setupmethod
    def context_processor(self, f: F) -> F:
        """Register a template context processor."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, values)`` before before_request functions."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` when building URLs, to add defaults."""
        self.url_default_functions[None].append(f)
        return f

    # -- error handlers --------------------------------------------------------

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[F], F]:
        """Register the decorated function for a status code or exception class."""

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: t.Callable[..., t.Any]
    ) -> None:
        """Register ``f`` for a status code or exception class."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        exc_class: type[Exception]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP"
                    " error code. Use a subclass of HTTPException with"
                    " that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers"
                " can only be registered for Exception classes or HTTP"
                " error codes."
            )
        if not isinstance(exc_class, type) or not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception."
                " Handlers can only be registered for Exception classes"
                " or HTTP error codes."
            )
        if issubclass(exc_class, Scaffold._http_exception_types):
            return exc_class, exc_class.code  # type: ignore[attr-defined]
        return exc_class, None

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> t.Callable[[Exception], Response] | None:
        """The handler for ``e``: by code then class MRO, blueprints before app."""
        spec = self.error_handler_spec
        if not spec:
            return None  # PERF: no handler registered anywhere.
        # PERF: not _get_exc_class_and_code, whose checks are for what users
        # register: the type of a raised exception is an Exception class.
        exc_class = type(e)
        code: int | None = (
            exc_class.code  # type: ignore[attr-defined]
            if issubclass(exc_class, Scaffold._http_exception_types)
            else None
        )
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = spec.get(name)
                if not handler_map:
                    continue
                by_class = handler_map.get(c)
                if not by_class:
                    continue
                for cls in exc_class.__mro__:
                    handler = by_class.get(cls)
                    if handler is not None:
                        return handler
                if c is not None and not issubclass(exc_class, HTTPException):
                    # A foreign HTTP exception type (Werkzeug's, under compat):
                    # a handler registered by code is keyed to our class.
                    handler = by_class.get(default_exceptions.get(c))  # type: ignore[arg-type]
                    if handler is not None:
                        return handler
        return None
