"""The Jinja2 classes behind templating: the app's environment, template and loader.

Imported on first use (``app.jinja_env``), so that importing hipflask does not
import jinja2. :mod:`hipflask.templating` holds the API; see its header for how
loading and rendering work.

The environment loads templates as :class:`Template`, a ``jinja2.Template``
that builds each render's context from plain dict copies of its globals
rather than through the ``ChainMap`` Jinja keeps them in (same keys, order and
values; other mappings take Jinja's own path). Its ``getattr`` (the
template's ``row.name``) looks a name up directly as an item of a plain dict
when no dict attribute has that name, where Jinja would first raise and catch
an AttributeError; the result is the same.
"""

from __future__ import annotations

import typing as t
from collections import ChainMap

from jinja2 import BaseLoader, TemplateNotFound
from jinja2 import Environment as BaseEnvironment
from jinja2 import Template as BaseTemplate
from jinja2.runtime import Context, new_context

from .globals import _cv_request

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from .app import Flask
    from .scaffold import Scaffold

__all__ = [
    "DispatchingJinjaLoader",
    "Environment",
    "Template",
    "explain_template_loading_attempts",
]

SourceTriple = tuple[str, str | None, t.Callable[[], bool] | None]

#: Every attribute a plain dict has (its type's and object's): no other name
#: can be found by ``getattr`` on a ``dict`` instance, which has no ``__dict__``.
_DICT_ATTRIBUTES = frozenset(name for klass in dict.__mro__ for name in vars(klass))


class Template(BaseTemplate):
    """A Jinja template whose render context is built without ChainMap lookups.

    A loaded template's ``globals`` is a ``ChainMap`` of its own globals over
    the environment's (so later changes to ``env.globals`` show). Jinja builds
    each render's context with ``dict(globals, **vars)``, which calls
    ``ChainMap.__getitem__`` (Python code that raises and catches ``KeyError``
    for the empty first map) once per global: an application's dozen globals
    cost more than the rest of setting up the render.
    """

    def new_context(
        self,
        vars: dict[str, t.Any] | None = None,
        shared: bool = False,
        locals: t.Mapping[str, t.Any] | None = None,
    ) -> Context:
        globals = self.globals
        if shared or type(globals) is not ChainMap:
            return super().new_context(vars, shared, locals)
        # PERF: flatten the chain with dict.update (C speed), last map first so
        # that keys keep ChainMap's order and the first map's values win; only
        # for plain dicts, whose update cannot differ from item lookups.
        flat: dict[str, t.Any] = {}
        for mapping in reversed(globals.maps):
            if type(mapping) is not dict:
                return super().new_context(vars, shared, locals)
            flat.update(mapping)
        # The same dict(globals, **vars) Jinja builds, already "shared".
        parent = flat if vars is None else dict(flat, **vars)
        # Context only takes the key set of globals: the flat copy has the same.
        keys = flat if self.environment.context_class is Context else globals
        return new_context(
            self.environment, self.name, self.blocks, parent, True, keys, locals
        )


class Environment(BaseEnvironment):
    """A Jinja environment that knows its application (``env.app``)."""

    template_class = Template

    def __init__(self, app: Flask, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app

    def getattr(self, obj: t.Any, attribute: str) -> t.Any:
        """``obj.attribute`` in a template: the attribute, else the item."""
        if (
            type(obj) is dict
            and type(attribute) is str
            and attribute not in _DICT_ATTRIBUTES
        ):
            # PERF: ``row.name`` on a plain dict. Jinja tries getattr() first,
            # which cannot succeed for a name a dict does not have, and raising
            # and catching that AttributeError costs several times the rest of
            # the lookup; go straight to the item, as Jinja then does.
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


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
