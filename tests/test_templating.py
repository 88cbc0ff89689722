"""Jinja2 integration: environment, loaders, context, rendering, streaming, signals."""

from __future__ import annotations

import logging
import typing as t
from pathlib import Path

import jinja2
import pytest
from markupsafe import Markup

from hipflask import (
    Blueprint,
    Flask,
    before_render_template,
    flash,
    g,
    get_template_attribute,
    render_template,
    render_template_string,
    request,
    session,
    stream_template,
    stream_template_string,
    template_rendered,
)
from hipflask.templating import DispatchingJinjaLoader, Environment
from hipflask.testing import FlaskClient

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def app() -> Flask:
    """An application whose templates are tests/fixtures/templates."""
    app = Flask("template_app", root_path=str(FIXTURES))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: Flask, protocol: str) -> FlaskClient:
    return app.test_client(asgi=protocol == "asgi")


def blueprint(name: str, **options: t.Any) -> Blueprint:
    """A blueprint rooted at tests/fixtures/<name>."""
    return Blueprint(name, __name__, root_path=str(FIXTURES / name), **options)


# -- rendering and context ----------------------------------------------------------


def test_render_template_with_context_processor(
    app: Flask, client: FlaskClient
) -> None:
    @app.context_processor
    def inject() -> dict[str, t.Any]:
        return {"injected": 42, "value": "loses"}

    @app.route("/")
    def index() -> str:
        return render_template("context.html", value=23)

    rv = client.get("/")
    assert rv.status_code == 200
    # The caller's value wins over the context processor's.
    assert rv.data == b"<p>23|42"


def test_default_context(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> str:
        g.name = "gee"
        session["user"] = "ann"
        flash("hi")
        return render_template("defaults.txt")

    rv = client.get("/?q=query")
    assert rv.text == "query|gee|ann|True|/|['hi']"


def test_imported_templates_see_the_globals(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> str:
        return render_template("imports.html")

    assert client.get("/?who=<b>").text == "Hello &lt;b&gt;!|True"


def test_passed_values_override_defaults(app: Flask) -> None:
    with app.test_request_context("/?q=1"):
        assert render_template_string("{{ request }}|{{ g }}", request=1, g=2) == "1|2"
        assert render_template_string("{{ config }}", config=42) == "42"


def test_rendering_without_request(app: Flask) -> None:
    app.config["NAME"] = "World"

    @app.context_processor
    def inject() -> dict[str, t.Any]:
        return {"extra": "!"}

    with app.app_context():
        assert render_template_string("Hi {{ config.NAME }}{{ extra }}") == "Hi World!"


def test_rendering_needs_an_app_context() -> None:
    with pytest.raises(RuntimeError, match="outside of application context"):
        render_template_string("x")
    with pytest.raises(RuntimeError, match="outside of application context"):
        render_template("x.html")


def test_template_list_renders_the_first_that_exists(app: Flask) -> None:
    with app.app_context():
        assert render_template(["missing.txt", "shared.txt", "context.html"]) == "app"
        with pytest.raises(jinja2.TemplatesNotFound):
            render_template(["missing.txt", "also-missing.txt"])
        with pytest.raises(jinja2.TemplateNotFound):
            render_template("missing.txt")


def test_nested_template_names(app: Flask) -> None:
    with app.app_context():
        assert render_template("nested/page.txt") == "nested"


def test_get_template_attribute(app: Flask) -> None:
    with app.app_context():
        hello = get_template_attribute("macros.html", "hello")
        assert hello("World") == "Hello World!"


# -- autoescaping ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("escape.html", True),
        ("escape.htm", True),
        ("escape.xml", True),
        ("escape.xhtml", True),
        ("escape.svg", True),
        ("escape.txt", False),
    ],
)
def test_autoescape_by_extension(app: Flask, name: str, escaped: bool) -> None:
    with app.app_context():
        rv = render_template(name, text="<p>", html=Markup("<p>"))
    assert rv == ("&lt;p&gt;|<p>" if escaped else "<p>|<p>")


def test_autoescape_for_strings(app: Flask) -> None:
    with app.app_context():
        assert render_template_string("{{ x }}", x="<p>") == "&lt;p&gt;"
        assert render_template_string("{{ x|safe }}", x="<p>") == "<p>"
        assert "".join(stream_template_string("{{ x }}", x="&")) == "&amp;"


def test_select_jinja_autoescape_override() -> None:
    class TextApp(Flask):
        def select_jinja_autoescape(self, filename: str | None) -> bool:
            return filename is not None and filename.endswith(".txt")

    app = TextApp("text_app", root_path=str(FIXTURES))
    with app.app_context():
        assert render_template("escape.txt", text="<", html="") == "&lt;|"
        assert render_template("escape.html", text="<", html="") == "<|"


def test_tojson_uses_the_app_json_provider(app: Flask) -> None:
    with app.app_context():
        rv = render_template_string("{{ data|tojson }}", data={"a": "</script>"})
    assert rv == '{"a": "\\u003c/script\\u003e"}'


# -- context processors ---------------------------------------------------------------


def test_blueprint_context_processors(app: Flask, client: FlaskClient) -> None:
    calls: list[str] = []
    outer = Blueprint("outer", __name__)
    inner = Blueprint("inner", __name__)

    @app.context_processor
    def app_values() -> dict[str, t.Any]:
        calls.append("app")
        return {"a": "app", "b": "app", "c": "app"}

    @outer.context_processor
    def outer_values() -> dict[str, t.Any]:
        calls.append("outer")
        return {"b": "outer", "c": "outer"}

    @inner.context_processor
    def inner_values() -> dict[str, t.Any]:
        calls.append("inner")
        return {"c": "inner"}

    @outer.app_context_processor
    def everywhere() -> dict[str, t.Any]:
        calls.append("everywhere")
        return {"d": "everywhere"}

    template = "{{ a }} {{ b }} {{ c }} {{ d }}"

    @inner.route("/inner")
    def inner_view() -> str:
        return render_template_string(template)

    @outer.route("/outer")
    def outer_view() -> str:
        return render_template_string(template)

    @app.route("/")
    def app_view() -> str:
        return render_template_string(template)

    outer.register_blueprint(inner)
    app.register_blueprint(outer)

    assert client.get("/inner").text == "app outer inner everywhere"
    assert calls == ["app", "everywhere", "outer", "inner"]
    calls.clear()
    assert client.get("/outer").text == "app outer outer everywhere"
    assert calls == ["app", "everywhere", "outer"]
    calls.clear()
    assert client.get("/").text == "app app app everywhere"
    assert calls == ["app", "everywhere"]


def test_context_processor_chains_are_cached(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.route("/")
    def index() -> str:
        return render_template_string("{{ value }}")

    @bp.context_processor
    def value() -> dict[str, t.Any]:
        return {"value": "bp"}

    app.register_blueprint(bp)
    assert client.get("/").text == "bp"
    chain = app._template_chains["bp"]
    assert client.get("/").text == "bp"
    assert app._template_chains["bp"] is chain


def test_one_chain_serves_every_blueprint_without_own_processors(
    app: Flask, client: FlaskClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_context_processor
    def everywhere() -> dict[str, t.Any]:
        return {"value": "app"}

    @bp.route("/in-bp")
    def in_bp() -> str:
        return render_template_string("{{ value }} {{ request.blueprint }}")

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ value }} {{ request.blueprint }}")

    app.register_blueprint(bp)
    assert client.get("/in-bp").text == "app bp"
    chain = app._template_chain_everywhere
    assert chain is not None
    assert [getattr(f, "__name__", None) for f in chain][-1] == "everywhere"
    assert client.get("/").text == "app None"
    assert client.get("/in-bp").text == "app bp"
    assert app._template_chain_everywhere is chain


def test_blueprint_processors_need_the_blueprints_chain(
    app: Flask, client: FlaskClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.context_processor
    def own() -> dict[str, t.Any]:
        return {"value": "bp"}

    @bp.route("/in-bp")
    def in_bp() -> str:
        return render_template_string("{{ value }}")

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ value }}")

    app.register_blueprint(bp)
    for _ in range(2):
        assert client.get("/").text == ""
        assert client.get("/in-bp").text == "bp"
    assert app._template_chain_everywhere is None
    assert set(app._template_chains) == {None, "bp"}


def test_chains_are_dropped_after_run(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hipflask.serving.run_app", lambda *args: None)

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ value }}")

    assert client.get("/").text == ""
    assert app._template_chain_everywhere is not None
    app.run()
    assert app._template_chain_everywhere is None
    assert app._template_chains == {}

    @app.context_processor
    def late() -> dict[str, t.Any]:
        return {"value": "late"}

    assert client.get("/").text == "late"


def test_only_default_processor_is_a_fast_path(app: Flask, client: FlaskClient) -> None:
    seen: dict[str, t.Any] = {}

    @app.route("/")
    def index() -> str:
        context: dict[str, t.Any] = {"request": "mine"}
        app.update_template_context(context)
        seen.update(context)
        return ""

    client.get("/")
    # The caller's "request" stays; "g" is the concrete object, not the proxy.
    assert seen["request"] == "mine"
    assert type(seen["g"]) is app.app_ctx_globals_class


def test_async_context_processor(app: Flask, client: FlaskClient) -> None:
    @app.context_processor
    async def inject() -> dict[str, t.Any]:
        return {"value": "async"}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ value }}")

    assert client.get("/").text == "async"


# -- loaders ------------------------------------------------------------------------


def test_loader_order_app_then_blueprints(app: Flask) -> None:
    app.register_blueprint(blueprint("bp_one", template_folder="templates"))
    app.register_blueprint(blueprint("bp_two", template_folder="templates"))
    with app.app_context():
        assert render_template("shared.txt") == "app"  # the app wins
        assert render_template("both.txt") == "one"  # first registered wins
        assert render_template("only_one.txt") == "only one"
        assert render_template("only_two.txt") == "only two"
    assert isinstance(app.jinja_env.loader, DispatchingJinjaLoader)
    assert "only_two.txt" in app.jinja_env.list_templates()
    assert "nested/page.txt" in app.jinja_env.list_templates()


def test_blueprint_registration_order_decides(app: Flask) -> None:
    app.register_blueprint(blueprint("bp_two", template_folder="templates"))
    app.register_blueprint(blueprint("bp_one", template_folder="templates"))
    with app.app_context():
        assert render_template("both.txt") == "two"


def test_no_template_folder() -> None:
    app = Flask("plain", root_path=str(FIXTURES), template_folder=None)
    assert app.jinja_loader is None
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound):
        render_template("shared.txt")


def test_custom_jinja_loader() -> None:
    class DictApp(Flask):
        @property
        def jinja_loader(self) -> jinja2.BaseLoader:
            return jinja2.DictLoader({"x.txt": "from dict"})

    app = DictApp("dict_app", root_path=str(FIXTURES))
    with app.app_context():
        assert render_template("x.txt") == "from dict"


def test_create_global_jinja_loader_override() -> None:
    class GlobalApp(Flask):
        def create_global_jinja_loader(self) -> t.Any:
            return jinja2.DictLoader({"x.txt": "global"})

    app = GlobalApp("global_app", root_path=str(FIXTURES))
    with app.app_context():
        assert render_template("x.txt") == "global"


def test_explain_template_loading(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    bp = blueprint("bp_one", template_folder="templates")

    @bp.route("/missing")
    def missing() -> str:
        return render_template("nope.txt")

    @bp.route("/found")
    def found() -> str:
        return render_template("only_one.txt")

    app.register_blueprint(bp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        assert client.get("/missing").status_code == 500
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "INFO")
    assert "Locating template 'nope.txt':" in text
    assert "1: trying loader of application 'template_app'" in text
    assert f"2: trying loader of blueprint 'bp_one' ({bp.import_name})" in text
    assert "class: jinja2.loaders.FileSystemLoader" in text
    assert "Error: the template could not be found." in text
    assert "belongs to the blueprint 'bp_one'" in text

    caplog.clear()
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        assert client.get("/found").text == "only one"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "-> found (" in text
    assert "Error" not in text


# -- environment --------------------------------------------------------------------


def test_one_environment_per_app(app: Flask) -> None:
    env = app.jinja_env
    assert isinstance(env, Environment)
    assert env.app is app
    assert app.jinja_env is env
    other = Flask("other", root_path=str(FIXTURES))
    assert other.jinja_env is not env


def test_jinja_options_and_custom_environment() -> None:
    class MyEnvironment(Environment):
        pass

    class MyApp(Flask):
        jinja_environment = MyEnvironment
        jinja_options = {"trim_blocks": True, "autoescape": False}

    app = MyApp("my_app", root_path=str(FIXTURES))
    assert isinstance(app.jinja_env, MyEnvironment)
    assert app.jinja_env.trim_blocks is True
    with app.app_context():
        assert render_template_string("{{ x }}", x="<") == "<"


def test_create_jinja_environment_override() -> None:
    class MyApp(Flask):
        def create_jinja_environment(self) -> Environment:
            env = super().create_jinja_environment()
            env.globals["answer"] = 42
            return env

    app = MyApp("my_app", root_path=str(FIXTURES))
    with app.app_context():
        assert render_template_string("{{ answer }}") == "42"


def test_update_template_context_override(app: Flask) -> None:
    class MyApp(Flask):
        def update_template_context(self, context: dict[str, t.Any]) -> None:
            super().update_template_context(context)
            context["extra"] = "yes"

    app = MyApp("my_app", root_path=str(FIXTURES))
    with app.app_context():
        assert render_template_string("{{ extra }}") == "yes"


@pytest.mark.parametrize(
    ("debug", "setting", "expected"),
    [
        (False, None, False),
        (False, False, False),
        (False, True, True),
        (True, None, True),
        (True, False, False),
        (True, True, True),
    ],
)
def test_templates_auto_reload(
    debug: bool, setting: bool | None, expected: bool
) -> None:
    app = Flask("reload", root_path=str(FIXTURES))
    app.config["DEBUG"] = debug
    app.config["TEMPLATES_AUTO_RELOAD"] = setting
    assert app.jinja_env.auto_reload is expected


def test_debug_switch_turns_auto_reload_on() -> None:
    app = Flask("reload", root_path=str(FIXTURES))
    assert app.jinja_env.auto_reload is False
    app.debug = True
    assert app.jinja_env.auto_reload is True


def test_auto_reload_picks_up_changes(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    page = tmp_path / "templates" / "page.txt"
    page.write_text("one")
    app = Flask("reload", root_path=str(tmp_path))
    app.config["TEMPLATES_AUTO_RELOAD"] = True
    with app.app_context():
        assert render_template("page.txt") == "one"
        page.write_text("two, longer")
        assert render_template("page.txt") == "two, longer"

    app = Flask("cached", root_path=str(tmp_path))
    with app.app_context():
        assert render_template("page.txt") == "two, longer"
        page.write_text("three")
        assert render_template("page.txt") == "two, longer"


# -- filters, tests, globals ----------------------------------------------------------


def test_template_filter_decorator_and_add(app: Flask) -> None:
    @app.template_filter()
    def reverse_text(s: str) -> str:
        return s[::-1]

    @app.template_filter("shout")
    def upper(s: str) -> str:
        return s.upper()

    app.add_template_filter(len, "size")
    assert app.jinja_env.filters["reverse_text"] is reverse_text
    assert app.jinja_env.filters["shout"] is upper
    with app.app_context():
        assert render_template("filter.txt", value="abc") == "cba"
        assert render_template_string("{{ 'a'|shout }}{{ 'abc'|size }}") == "A3"


def test_template_test_decorator_and_add(app: Flask) -> None:
    @app.template_test()
    def boolean(value: object) -> bool:
        return isinstance(value, bool)

    app.add_template_test(lambda value: value == 3, "three")
    assert app.jinja_env.tests["boolean"] is boolean
    with app.app_context():
        assert render_template("test.txt", value=False) == "yes"
        assert render_template("test.txt", value=0) == "no"
        assert render_template_string("{{ 3 is three }}") == "True"


def test_template_global_decorator_and_add(app: Flask) -> None:
    @app.template_global()
    def answer() -> int:
        return 42

    app.add_template_global(lambda: "hi", "greet")
    with app.app_context():
        assert render_template_string("{{ answer() }} {{ greet() }}") == "42 hi"


def test_blueprint_app_template_helpers(app: Flask) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter("rev")
    def rev(s: str) -> str:
        return s[::-1]

    @bp.app_template_test("even")
    def even(n: int) -> bool:
        return n % 2 == 0

    @bp.app_template_global("answer")
    def answer() -> int:
        return 42

    assert "rev" not in app.jinja_env.filters
    app.register_blueprint(bp)
    with app.app_context():
        rv = render_template_string("{{ 'ab'|rev }} {{ 4 is even }} {{ answer() }}")
    assert rv == "ba True 42"


def test_template_helpers_are_setup_methods(app: Flask, client: FlaskClient) -> None:
    app.route("/")(lambda: "")
    client.get("/")
    with pytest.raises(AssertionError, match="template_filter"):
        app.template_filter()(str)
    with pytest.raises(AssertionError, match="add_template_global"):
        app.add_template_global(str)


# -- streaming ----------------------------------------------------------------------


def test_stream_template(app: Flask, client: FlaskClient) -> None:
    @app.route("/items")
    def items() -> t.Any:
        return stream_template("stream.txt", items=["a", "b"])

    rv = client.get("/items")
    assert rv.status_code == 200
    # The request context is kept while the body is generated.
    assert rv.text == "a/items;b/items;"


def test_stream_template_string(app: Flask, client: FlaskClient) -> None:
    @app.route("/")
    def index() -> t.Any:
        return stream_template_string("{{ x }}{{ request.args.y }}", x="<")

    assert client.get("/?y=2").text == "&lt;2"


def test_stream_without_request(app: Flask) -> None:
    with app.app_context():
        chunks = stream_template_string(
            "{% for i in r %}{{ i }}{% endfor %}", r=range(3)
        )
        assert "".join(chunks) == "012"


# -- signals ------------------------------------------------------------------------


def test_render_signals(app: Flask, client: FlaskClient) -> None:
    events: list[tuple[str, str | None, t.Any]] = []

    def before(
        sender: Flask, template: jinja2.Template, context: dict[str, t.Any]
    ) -> None:
        context["value"] = "changed"
        events.append(("before", template.name, context["value"]))

    def after(
        sender: Flask, template: jinja2.Template, context: dict[str, t.Any]
    ) -> None:
        events.append(("after", template.name, context["value"]))

    @app.route("/")
    def index() -> str:
        return render_template("context.html", value="original")

    before_render_template.connect(before, app)
    template_rendered.connect(after, app)
    try:
        rv = client.get("/")
    finally:
        before_render_template.disconnect(before, app)
        template_rendered.disconnect(after, app)
    assert rv.text == "<p>changed|"
    assert events == [
        ("before", "context.html", "changed"),
        ("after", "context.html", "changed"),
    ]


def test_stream_signals(app: Flask) -> None:
    events: list[str] = []

    def record(sender: Flask, **extra: t.Any) -> None:
        events.append(extra["template"].name or "<string>")

    template_rendered.connect(record, app)
    try:
        with app.test_request_context():
            chunks = stream_template("shared.txt")
            assert events == []
            assert "".join(chunks) == "app"
    finally:
        template_rendered.disconnect(record, app)
    assert events == ["shared.txt"]


def test_request_proxy_in_globals_is_the_proxy(app: Flask) -> None:
    assert app.jinja_env.globals["request"] is request
    assert app.jinja_env.globals["session"] is session
    assert app.jinja_env.globals["g"] is g
    assert app.jinja_env.globals["config"] is app.config
