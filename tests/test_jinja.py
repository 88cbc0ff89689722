"""hipflask.jinja: the environment's template class and its render context."""

from __future__ import annotations

import typing as t
from collections import ChainMap

import jinja2
import pytest
from jinja2.runtime import Context

from hipflask import Flask, render_template_string
from hipflask.jinja import Environment, Template
from hipflask.testing import FlaskClient


def stock_context(
    template: jinja2.Template,
    vars: dict[str, t.Any] | None = None,
    shared: bool = False,
    locals: t.Mapping[str, t.Any] | None = None,
) -> Context:
    """The context plain Jinja would build for ``template``."""
    return jinja2.Template.new_context(template, vars, shared, locals)


def same_context(ours: Context, stock: Context) -> None:
    assert list(ours.parent.items()) == list(stock.parent.items())
    assert ours.globals_keys == stock.globals_keys
    assert ours.vars == stock.vars
    assert ours.name == stock.name
    assert ours.blocks == stock.blocks
    assert type(ours) is type(stock)


@pytest.fixture
def env(app: Flask) -> Environment:
    app.jinja_env.globals["shadowed"] = "env"
    return app.jinja_env


def test_templates_are_hipflask_templates(env: Environment) -> None:
    template = env.from_string("{{ 1 }}")
    assert type(template) is Template
    assert isinstance(template, jinja2.Template)
    assert type(template.globals) is ChainMap


@pytest.mark.parametrize(
    "vars",
    [None, {}, {"x": 1}, {"shadowed": "var", "own": "var", "config": 0}],
)
def test_context_matches_jinja(env: Environment, vars: dict[str, t.Any]) -> None:
    # Per-template globals over the environment's, the caller's values over both;
    # key order as ChainMap gives it.
    template = env.from_string("", globals={"own": "tpl", "shadowed": "tpl"})
    ours = template.new_context(None if vars is None else dict(vars))
    same_context(ours, stock_context(template, vars))
    assert ours.parent["shadowed"] == (vars or {}).get("shadowed", "tpl")


def test_context_with_locals_matches_jinja(env: Environment) -> None:
    template = env.from_string("")
    ours = template.new_context({"a": 1}, locals={"b": 2, "c": jinja2.runtime.missing})
    same_context(ours, stock_context(template, {"a": 1}, locals={"b": 2}))
    assert "c" not in ours.parent


def test_render_uses_the_flat_context(env: Environment) -> None:
    template = env.from_string(
        "{{ shadowed }} {{ own }} {{ x }} {{ config is defined }}",
        globals={"own": "tpl"},
    )
    assert template.render(x=1) == "env tpl 1 True"
    assert template.render(shadowed="var", own="var", x=2) == "var var 2 True"


def test_later_environment_globals_show(env: Environment) -> None:
    template = env.from_string("{{ late }}")
    assert template.render() == ""
    env.globals["late"] = "added"
    assert template.render() == "added"
    template.globals["late"] = "own"
    assert template.render() == "own"


def test_keys_must_be_strings_as_in_jinja(env: Environment) -> None:
    template = env.from_string("")
    with pytest.raises(TypeError):
        stock_context(template, {1: 2})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        template.render({1: 2})


class _Shouting(dict[str, t.Any]):
    def __getitem__(self, key: str) -> t.Any:
        return str(super().__getitem__(key)).upper()


def test_globals_that_are_not_plain_dicts_fall_back(env: Environment) -> None:
    # ChainMap reads a dict subclass through its __getitem__; dict.update would not.
    template = env.from_string("{{ word }}", globals=_Shouting(word="hi"))
    assert type(template.globals.maps[0]) is _Shouting
    same_context(template.new_context({}), stock_context(template, {}))
    assert template.render() == "HI"


def test_globals_that_are_not_a_chain_fall_back(env: Environment) -> None:
    template = env.from_string("{{ word }}")
    template.globals = {"word": "plain"}
    same_context(template.new_context({}), stock_context(template, {}))
    assert template.render() == "plain"


def test_shared_context_is_the_callers_dict(env: Environment) -> None:
    template = env.from_string("{{ x }}")
    values = {"x": 1}
    assert template.new_context(values, shared=True).parent is values
    assert "shadowed" not in values


def test_custom_context_class_gets_the_chain(env: Environment) -> None:
    received: list[t.Any] = []

    class Recording(Context):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            received.append(kwargs["globals"])
            super().__init__(*args, **kwargs)

    env.context_class = Recording
    template = env.from_string("{{ shadowed }}")
    assert template.render() == "env"
    assert len(received) == 1
    assert received[0] is template.globals
    same_context(template.new_context({}), stock_context(template, {}))


def test_imports_and_macros_see_the_context(app: Flask, client: FlaskClient) -> None:
    app.jinja_env.globals["site"] = "S"

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{% macro m(x) %}{{ site }}{{ x }}{% endmacro %}"
            "{{ m(1) }}|{% set y = 2 %}{{ y }}|{{ request.path }}|{{ g is defined }}"
        )

    assert client.get("/").text == "S1|2|/|True"


# -- getattr: ``row.name`` ------------------------------------------------------------


def stock_getattr(env: Environment, obj: t.Any, attribute: t.Any) -> t.Any:
    """What plain Jinja's ``Environment.getattr`` answers."""
    return jinja2.Environment.getattr(env, obj, attribute)


class _WithAttribute(dict[str, t.Any]):
    name = "attribute"


@pytest.mark.parametrize(
    ("obj", "attribute"),
    [
        ({"name": "item"}, "name"),  # fast: the item
        ({"keys": "item"}, "keys"),  # a dict attribute wins over the item
        ({"get": "item"}, "get"),
        ({}, "__class__"),
        ({"__dict__": "item"}, "__dict__"),  # dicts have no __dict__
        (_WithAttribute(name="item"), "name"),  # subclasses take Jinja's path
        ([1, 2], "append"),
    ],
)
def test_getattr_matches_jinja(env: Environment, obj: t.Any, attribute: str) -> None:
    assert env.getattr(obj, attribute) == stock_getattr(env, obj, attribute)


def test_getattr_prefers_the_attribute(env: Environment) -> None:
    row = {"name": "item", "items": "item"}
    assert env.getattr(row, "name") == "item"
    assert env.getattr(row, "items") == row.items
    assert env.getattr(_WithAttribute(name="item"), "name") == "attribute"
    assert env.getattr({"__dict__": "item"}, "__dict__") == "item"


def test_getattr_missing_item_is_undefined(env: Environment) -> None:
    row = {"name": "item"}
    ours = env.getattr(row, "missing")
    stock = stock_getattr(env, row, "missing")
    assert type(ours) is type(stock) is jinja2.Undefined
    assert ours._undefined_obj is row
    assert ours._undefined_name == stock._undefined_name == "missing"


def test_getattr_other_mappings_take_jinjas_path(env: Environment) -> None:
    from collections import defaultdict

    counts: defaultdict[str, int] = defaultdict(int)
    assert env.getattr(counts, "missing") == 0
    assert counts == {"missing": 0}


def test_getattr_non_string_attribute_as_jinja(env: Environment) -> None:
    with pytest.raises(TypeError) as stock:
        stock_getattr(env, {1: "item"}, 1)
    with pytest.raises(TypeError) as ours:
        env.getattr({1: "item"}, 1)  # type: ignore[arg-type]
    assert str(ours.value) == str(stock.value)


def test_dict_rows_in_templates(app: Flask, client: FlaskClient) -> None:
    rows = [{"name": "a & b", "keys": 1}, {"name": "<c>"}]

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{% for row in rows %}{{ row.name }}|{{ row.missing }}|"
            "{{ row.keys is callable }};{% endfor %}",
            rows=rows,
        )

    assert client.get("/").text == "a &amp; b||True;&lt;c&gt;||True;"


def test_strict_undefined_still_raises() -> None:
    app = Flask(__name__)
    app.jinja_options = {"undefined": jinja2.StrictUndefined}
    with app.app_context():
        template = app.jinja_env.from_string("{{ row.missing }}")
        with pytest.raises(jinja2.UndefinedError, match="has no attribute 'missing'"):
            template.render(row={"name": "item"})
