"""Jinja2 templates with Flask's semantics.

One :class:`Environment` per application, created on first use of
``app.jinja_env`` from ``app.jinja_options`` (``create_jinja_environment``).
Its loader, :class:`DispatchingJinjaLoader`, asks the application's own
``jinja_loader`` first and then each registered blueprint's, in registration
order; the first that has the template wins. Jinja caches compiled templates,
so the loader only runs when a template is first needed (or has changed, with
``TEMPLATES_AUTO_RELOAD``). With ``EXPLAIN_TEMPLATE_LOADING`` every loader is
asked and the attempts are logged.

Autoescaping is on for ``.html .htm .xml .xhtml .svg`` templates and for
templates rendered from strings (``select_jinja_autoescape``).

The Jinja-based classes (the environment and the loader) live in
:mod:`hipflask.jinja`, imported when the first environment is built, so that
``import hipflask`` does not import jinja2.

Rendering (:func:`render_template` and friends) takes three steps:

1. ``app.update_template_context(context)`` adds what context processors
   return, without overriding names the caller passed. The processors that
   apply to a blueprint (the application's, then each enclosing blueprint's,
   outermost first) are flattened once per blueprint name and cached once the
   application has served its first request (setup is frozen from then on);
   when no blueprint has processors of its own, the one chain serves every
   request without looking up its blueprint.
   The default processor only adds the concrete ``g`` and ``request``; when it
   is the only one, that is done inline without copying the context.
2. ``before_render_template`` is sent (only if someone listens).
3. Jinja renders; ``template_rendered`` is sent (only if someone listens).

``config``, ``request``, ``session``, ``g``, ``url_for`` and
``get_flashed_messages`` are environment globals, so imported and included
templates see them too.

The application's template API (``jinja_env``, ``template_filter`` and the
rest) lives here in :class:`TemplatingMixin`, which :class:`hipflask.Flask`
inherits, so that ``app.py`` stays about the request pipeline.
"""

from __future__ import annotations

import typing as t
from functools import cached_property

from .globals import _cv_app, _cv_request, _no_app_msg, g, request, session
from .helpers import _split_blueprint_path, get_flashed_messages, stream_with_context
from .scaffold import setupmethod
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from jinja2 import Template

    from .app import Flask
    from .config import Config
    from .jinja import DispatchingJinjaLoader, Environment

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "TemplatingMixin",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
TemplateNames = t.Union[str, "Template", list[t.Union[str, "Template"]]]

#: Extensions whose templates are autoescaped.
AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")


def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Put the concrete ``g`` and ``request`` in the context (faster than proxies)."""
    app_ctx = _cv_app.get(None)
    req_ctx = _cv_request.get(None)
    rv: dict[str, t.Any] = {}
    if app_ctx is not None:
        rv["g"] = app_ctx.g
    if req_ctx is not None:
        rv["request"] = req_ctx.request
    return rv


#: Marks a blueprint whose only context processor is the default one.
_DEFAULT_ONLY: list[t.Callable[[], dict[str, t.Any]]] = [
    _default_template_ctx_processor
]


class _DefaultEnvironmentClass:
    """``jinja_environment``'s default: jinja2 is imported on first use only."""

    def __get__(self, obj: object, owner: type | None = None) -> type[Environment]:
        from .jinja import Environment

        return Environment


def __getattr__(name: str) -> t.Any:
    # The Jinja-based classes live in hipflask.jinja, which imports jinja2; they
    # stay reachable here (``flask.templating.Environment`` under compat).
    if name in ("Environment", "DispatchingJinjaLoader"):
        from . import jinja

        return getattr(jinja, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _name_of(f: t.Callable[..., t.Any], name: str | None) -> str:
    return name or f.__name__


class TemplatingMixin:
    """The application's template API (mixed into :class:`hipflask.Flask`)."""

    #: The environment class :meth:`create_jinja_environment` instantiates
    #: (:class:`hipflask.jinja.Environment` unless replaced).
    if t.TYPE_CHECKING:
        jinja_environment: type[Environment]
    else:
        jinja_environment = _DefaultEnvironmentClass()
    #: Options passed to the environment; changes after ``jinja_env`` exists
    #: have no effect.
    jinja_options: dict[str, t.Any] = {}

    if t.TYPE_CHECKING:
        config: Config
        template_context_processors: dict[str | None, list[t.Callable[..., t.Any]]]
        _got_first_request: bool
        _template_chains: dict[str | None, list[t.Callable[[], dict[str, t.Any]]]]
        _template_chain_everywhere: list[t.Callable[[], dict[str, t.Any]]] | None

        def ensure_sync(
            self, func: t.Callable[..., t.Any]
        ) -> t.Callable[..., t.Any]: ...

    def _init_templating(self) -> None:
        """Install the default context processor (called by ``Flask.__init__``)."""
        self.template_context_processors[None].append(_default_template_ctx_processor)
        self._template_chains = {}
        self._template_chain_everywhere = None

    @cached_property
    def jinja_env(self) -> Environment:
        """The application's Jinja environment, created on first access."""
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        """Build the environment from :attr:`jinja_options` and the app's settings."""
        app = t.cast("Flask", self)
        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = app.debug if auto_reload is None else auto_reload
        env = self.jinja_environment(app, **options)
        env.globals.update(
            url_for=app.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            # The default context processor passes the concrete request and g;
            # the proxies serve imported templates, which do not get the context.
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = app.json.dumps
        return env

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The environment's loader: the app's templates, then the blueprints'."""
        from .jinja import DispatchingJinjaLoader

        return DispatchingJinjaLoader(t.cast("Flask", self))

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether to autoescape a template (always for one without a name)."""
        if filename is None:
            return True
        return filename.endswith(AUTOESCAPE_EXTENSIONS)

    def _context_processors(
        self, blueprint: str | None
    ) -> list[t.Callable[[], dict[str, t.Any]]]:
        """The processors for templates rendered under ``blueprint``, in call order."""
        funcs = self._template_chains.get(blueprint)
        if funcs is not None:
            return funcs
        names: list[str | None] = [None]
        if blueprint is not None:
            names.extend(reversed(_split_blueprint_path(blueprint)))
        tables = self.template_context_processors
        funcs = [self.ensure_sync(f) for name in names for f in tables.get(name, ())]
        if funcs == _DEFAULT_ONLY:
            funcs = _DEFAULT_ONLY
        if self._got_first_request:
            # Setup methods refuse changes from now on, so the list stays valid.
            self._template_chains[blueprint] = funcs
            if not any(fs for name, fs in tables.items() if name is not None):
                # No blueprint adds processors: every blueprint gets this chain,
                # so rendering need not work out the request's blueprint.
                self._template_chain_everywhere = funcs
        return funcs

    def _forget_template_chains(self) -> None:
        """Drop the cached chains (setup may change again, e.g. after ``run``)."""
        self._template_chains.clear()
        self._template_chain_everywhere = None

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add what the context processors return; names already set are kept."""
        req_ctx = _cv_request.get(None)
        funcs = self._template_chain_everywhere
        if funcs is None:
            blueprint = req_ctx.request.blueprint if req_ctx is not None else None
            funcs = self._context_processors(blueprint)
        if funcs is _DEFAULT_ONLY:
            # PERF: the common case, done inline without copying the context.
            if "g" not in context:
                app_ctx = _cv_app.get(None)
                if app_ctx is not None:
                    context["g"] = app_ctx.g
            if req_ctx is not None and "request" not in context:
                context["request"] = req_ctx.request
            return
        passed = context.copy()
        for func in funcs:
            context.update(func())
        context.update(passed)

    # -- filters, tests and globals -------------------------------------------

    @setupmethod
    def template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a template filter."""

        def decorator(f: F) -> F:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Register ``f`` as a template filter (named ``name`` or after ``f``)."""
        self.jinja_env.filters[_name_of(f, name)] = f

    @setupmethod
    def template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a template test."""

        def decorator(f: F) -> F:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(
        self, f: t.Callable[..., bool], name: str | None = None
    ) -> None:
        """Register ``f`` as a template test (named ``name`` or after ``f``)."""
        self.jinja_env.tests[_name_of(f, name)] = f

    @setupmethod
    def template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a template global."""

        def decorator(f: F) -> F:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(
        self, f: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Register ``f`` as a template global (named ``name`` or after ``f``)."""
        self.jinja_env.globals[_name_of(f, name)] = f


# -- rendering --------------------------------------------------------------------


def _current_app() -> Flask:
    try:
        return _cv_app.get().app
    except LookupError:
        raise RuntimeError(_no_app_msg) from None


def _render(app: Flask, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    rv = template.render(context)
    if template_rendered.receivers:
        template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    return rv


def render_template(template_name_or_list: TemplateNames, **context: t.Any) -> str:
    """Render a template by name (the first that exists, given a list)."""
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> str:
    """Render a template from its source text (autoescaped)."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


def _stream(app: Flask, template: Template, context: dict[str, t.Any]) -> Iterator[str]:
    app.update_template_context(context)
    if before_render_template.receivers:
        before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        if template_rendered.receivers:
            template_rendered.send(
                app, _async_wrapper=app.ensure_sync, template=template, context=context
            )

    rv = generate()
    if _cv_request.get(None) is not None:
        # Keep the request context while the body is generated.
        rv = stream_with_context(rv)
    return rv


def stream_template(
    template_name_or_list: TemplateNames, **context: t.Any
) -> Iterator[str]:
    """Render a template by name as an iterator of strings (a streamed body)."""
    app = _current_app()
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> Iterator[str]:
    """Render a template from its source text as an iterator of strings."""
    app = _current_app()
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)
