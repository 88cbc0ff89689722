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

Rendering (:func:`render_template` and friends) takes three steps:

1. ``app.update_template_context(context)`` adds what context processors
   return, without overriding names the caller passed. The processors that
   apply to a blueprint (the application's, then each enclosing blueprint's,
   outermost first) are flattened once per blueprint name and cached once the
   application has served its first request (setup is frozen from then on).
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

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from .globals import _cv_app, _cv_request, _no_app_msg, g, request, session
from .helpers import _split_blueprint_path, get_flashed_messages, stream_with_context
from .scaffold import setupmethod
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from .app import Flask
    from .config import Config
    from .scaffold import Scaffold

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
SourceTriple = tuple[str, str | None, t.Callable[[], bool] | None]
TemplateNames = str | Template | list[str | Template]

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


class Environment(BaseEnvironment):
    """A Jinja environment that knows its application (``env.app``)."""

    def __init__(self, app: Flask, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Look templates up in the application's folder, then each blueprint's."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def get_source(self, environment: BaseEnvironment, template: str) -> SourceTriple:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> SourceTriple:
        attempts: list[tuple[BaseLoader, Scaffold, SourceTriple | None]] = []
        found: SourceTriple | None = None
        for owner, loader in self._iter_loaders():
            try:
                rv: SourceTriple | None = loader.get_source(environment, template)
            except TemplateNotFound:
                rv = None
            if found is None:
                found = rv
            attempts.append((loader, owner, rv))
        explain_template_loading_attempts(self.app, template, attempts)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> Iterator[tuple[Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return list(names)


def _describe_loader(loader: BaseLoader) -> Iterator[str]:
    yield f"class: {type(loader).__module__}.{type(loader).__name__}"
    for key, value in sorted(vars(loader).items()):
        if key.startswith("_"):
            continue
        if isinstance(value, (tuple, list)):
            if all(isinstance(item, str) for item in value):
                yield f"{key}:"
                for item in value:
                    yield f"  - {item}"
        elif isinstance(value, (str, int, float, bool)):
            yield f"{key}: {value!r}"


def explain_template_loading_attempts(
    app: Flask,
    template: str,
    attempts: list[tuple[BaseLoader, Scaffold, SourceTriple | None]],
) -> None:
    """Log (at INFO) which loaders were asked for ``template`` and what they said."""
    from .blueprints import Blueprint

    lines = [f"Locating template {template!r}:"]
    found = 0
    for index, (loader, owner, triple) in enumerate(attempts, 1):
        if isinstance(owner, Blueprint):
            where = f"blueprint {owner.name!r} ({owner.import_name})"
        elif owner is app:
            where = f"application {owner.import_name!r}"
        else:
            where = repr(owner)
        lines.append(f"{index:5}: trying loader of {where}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if triple is None:
            lines.append("       -> no match")
        else:
            found += 1
            lines.append(f"       -> found ({triple[1] or '<string>'!r})")

    if found == 0:
        lines.append("Error: the template could not be found.")
    elif found > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
    req_ctx = _cv_request.get(None)
    blueprint = req_ctx.request.blueprint if req_ctx is not None else None
    if blueprint is not None and found != 1:
        lines.append(
            "  The template was looked up from an endpoint that belongs"
            f" to the blueprint {blueprint!r}."
        )
        lines.append("  Maybe you did not place a template in the right folder?")
        lines.append("  See https://flask.palletsprojects.com/blueprints/#templates")
    app.logger.info("\n".join(lines))


def _name_of(f: t.Callable[..., t.Any], name: str | None) -> str:
    return name or f.__name__


class TemplatingMixin:
    """The application's template API (mixed into :class:`hipflask.Flask`)."""

    #: The environment class :meth:`create_jinja_environment` instantiates.
    jinja_environment: type[Environment] = Environment
    #: Options passed to the environment; changes after ``jinja_env`` exists
    #: have no effect.
    jinja_options: dict[str, t.Any] = {}

    if t.TYPE_CHECKING:
        config: Config
        template_context_processors: dict[str | None, list[t.Callable[..., t.Any]]]
        _got_first_request: bool
        _template_chains: dict[str | None, list[t.Callable[[], dict[str, t.Any]]]]

        def ensure_sync(
            self, func: t.Callable[..., t.Any]
        ) -> t.Callable[..., t.Any]: ...

    def _init_templating(self) -> None:
        """Install the default context processor (called by ``Flask.__init__``)."""
        self.template_context_processors[None].append(_default_template_ctx_processor)
        self._template_chains = {}

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
        return funcs

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add what the context processors return; names already set are kept."""
        req_ctx = _cv_request.get(None)
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
