"""Blueprints: registration, nesting, renaming, deferred functions, URLs."""

from __future__ import annotations

import types
import typing as t

import flask
import pytest

import hipflask
from hipflask import (
    Blueprint,
    Flask,
    render_template_string,
    request,
    url_for,
)
from hipflask.blueprints import BlueprintSetupState
from hipflask.testing import FlaskClient


def rule_table(app: t.Any) -> list[tuple[str, str, str, tuple[str, ...], str]]:
    """Every rule as (rule, endpoint, subdomain, methods, defaults)."""
    return sorted(
        (
            rule.rule,
            rule.endpoint,
            rule.subdomain or "",
            tuple(sorted(rule.methods or ())),
            repr(sorted((rule.defaults or {}).items())),
        )
        for rule in app.url_map.iter_rules()
    )


def build_tree(mod: types.ModuleType) -> t.Any:
    """Nested blueprints with prefixes, subdomains, defaults and a rename."""
    app = mod.Flask("tree", root_path="/nonexistent-root", static_folder=None)
    app.config["SERVER_NAME"] = "example.test"
    parent = mod.Blueprint("parent", "tree", url_prefix="/parent", subdomain="api")
    child = mod.Blueprint(
        "child", "tree", url_prefix="/child/", url_defaults={"page": 1}
    )
    grandchild = mod.Blueprint("grandchild", "tree", subdomain="v1")
    plain = mod.Blueprint("plain", "tree")

    def view(**kwargs: t.Any) -> str:
        return repr(sorted(kwargs.items()))

    for bp in (parent, child, grandchild, plain):
        bp.add_url_rule("/", "index", view)
        bp.add_url_rule("/<int:n>", "item", view, methods=["GET", "POST"])
        bp.add_url_rule("", "bare", view)
    child.register_blueprint(grandchild, url_prefix="/gc")
    parent.register_blueprint(child)
    parent.register_blueprint(plain, url_prefix="/plain")
    app.register_blueprint(parent)
    app.register_blueprint(child, name="again", url_prefix="/again", subdomain="www")
    app.register_blueprint(plain, url_prefix="/top")
    return app


# -- registration --------------------------------------------------------------------


def test_rule_table_matches_flask() -> None:
    assert rule_table(build_tree(hipflask)) == rule_table(build_tree(flask))


def test_blueprint_names_and_endpoints_match_flask() -> None:
    ours = build_tree(hipflask)
    theirs = build_tree(flask)
    assert list(ours.blueprints) == list(theirs.blueprints)
    assert sorted(ours.view_functions) == sorted(theirs.view_functions)


def test_constructor_arguments(tmp_path: t.Any) -> None:
    bp = Blueprint(
        "admin",
        __name__,
        static_folder="static",
        static_url_path="/admin-static",
        template_folder="templates",
        url_prefix="/admin",
        subdomain="control",
        url_defaults={"lang": "en"},
        root_path=str(tmp_path),
        cli_group="administer",
    )
    assert bp.name == "admin"
    assert bp.import_name == __name__
    assert bp.static_folder == str(tmp_path / "static")
    assert bp.static_url_path == "/admin-static"
    assert bp.template_folder == "templates"
    assert bp.url_prefix == "/admin"
    assert bp.subdomain == "control"
    assert bp.url_values_defaults == {"lang": "en"}
    assert bp.root_path == str(tmp_path)
    assert bp.cli_group == "administer"
    assert repr(bp) == "<Blueprint 'admin'>"


def test_default_root_path_is_the_import_names_folder() -> None:
    import os

    bp = Blueprint("here", __name__)
    assert bp.root_path == os.path.dirname(os.path.abspath(__file__))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "'name' may not be empty."),
        ("a.b", "'name' may not contain a dot '.' character."),
    ],
)
def test_bad_names(name: str, message: str) -> None:
    with pytest.raises(ValueError) as ours:
        Blueprint(name, __name__)
    with pytest.raises(ValueError) as theirs:
        flask.Blueprint(name, __name__)
    assert str(ours.value) == str(theirs.value) == message


def test_dotted_endpoint_and_view_name_are_rejected() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="'endpoint' may not contain a dot"):
        bp.add_url_rule("/", "a.b", lambda: "")

    def view() -> str:
        return ""

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="'view_func' name may not contain a dot"):
        bp.add_url_rule("/", view_func=view)


def test_same_name_twice_is_an_error_with_flasks_message(app: Flask) -> None:
    def messages(mod: types.ModuleType, target: t.Any) -> list[str]:
        bp = mod.Blueprint("bp", "x")
        other = mod.Blueprint("bp", "x")
        target.register_blueprint(bp)
        found = []
        for candidate in (bp, other):
            with pytest.raises(ValueError) as info:
                target.register_blueprint(candidate)
            found.append(str(info.value))
        return found

    flask_app = flask.Flask("x")
    ours = messages(hipflask, app)
    assert ours == messages(flask, flask_app)
    assert ours[0] == (
        "The name 'bp' is already registered for this blueprint."
        " Use 'name=' to provide a unique name."
    )
    assert "a different blueprint" in ours[1]


def test_registering_on_itself_is_an_error() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="Cannot register a blueprint on itself"):
        bp.register_blueprint(bp)


def test_blueprint_setup_after_registration_is_an_error(app: Flask) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="already been registered at least once"):
        bp.route("/late")(lambda: "")


def test_register_blueprint_after_first_request_is_an_error(
    app: Flask, client: FlaskClient
) -> None:
    app.route("/")(lambda: "")
    client.get("/")
    with pytest.raises(AssertionError, match="already handled its first request"):
        app.register_blueprint(Blueprint("bp", __name__))


# -- serving -------------------------------------------------------------------------


def test_nested_blueprints_serve_with_joined_prefixes(
    app: Flask, client: FlaskClient
) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__, url_prefix="/grandchild")

    def where() -> str:
        return f"{request.blueprint}|{','.join(request.blueprints)}|{request.endpoint}"

    for bp in (parent, child, grandchild):
        bp.add_url_rule("/", "where", where)
    child.register_blueprint(grandchild)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.add_url_rule("/", "where", where)
    assert client.get("/").text == "None||where"
    assert client.get("/parent/").text == "parent|parent|parent.where"
    assert (
        client.get("/parent/child/").text
        == "parent.child|parent.child,parent|parent.child.where"
    )
    assert client.get("/parent/child/grandchild/").text == (
        "parent.child.grandchild|parent.child.grandchild,parent.child,parent"
        "|parent.child.grandchild.where"
    )


@pytest.mark.parametrize(
    ("prefix", "rule", "url"),
    [
        ("", "/", "/"),
        ("/", "", "/"),
        ("/", "/", "/"),
        ("/foo", "", "/foo"),
        ("/foo/", "", "/foo/"),
        ("", "/bar", "/bar"),
        ("/foo/", "/bar", "/foo/bar"),
        ("/foo/", "bar", "/foo/bar"),
        ("/foo", "/bar", "/foo/bar"),
        ("/foo/", "//bar", "/foo/bar"),
        ("/foo//", "/bar", "/foo/bar"),
    ],
)
def test_prefix_slashes(
    app: Flask, client: FlaskClient, prefix: str, rule: str, url: str
) -> None:
    bp = Blueprint("test", __name__, url_prefix=prefix)
    bp.add_url_rule(rule, "index", lambda: "ok")
    app.register_blueprint(bp)
    assert client.get(url).text == "ok"
    with app.test_request_context():
        assert url_for("test.index") == url


def test_subdomain_blueprints(protocol: str) -> None:
    app = Flask("subdomains", root_path="/nonexistent-root", subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    client = app.test_client(asgi=protocol == "asgi")
    api = Blueprint("api", __name__, subdomain="api")
    v1 = Blueprint("v1", __name__, subdomain="v1", url_prefix="/v1")
    v1.add_url_rule("/", "index", lambda: f"v1 {request.host}")
    api.add_url_rule("/", "index", lambda: f"api {request.host}")
    api.register_blueprint(v1)
    app.register_blueprint(api)
    assert client.get("/", base_url="http://api.example.test").text == (
        "api api.example.test"
    )
    assert client.get("/v1/", base_url="http://v1.api.example.test").text == (
        "v1 v1.api.example.test"
    )
    assert client.get("/", base_url="http://example.test").status_code == 404
    with app.app_context():
        assert url_for("api.v1.index") == "http://v1.api.example.test/v1/"


def test_registering_twice_under_another_name(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_url_rule("/", "index", lambda: f"{request.blueprint}:{url_for('.index')}")
    app.register_blueprint(bp, url_prefix="/first")
    app.register_blueprint(bp, name="second", url_prefix="/second")
    assert client.get("/first/").text == "bp:/first/"
    assert client.get("/second/").text == "second:/second/"
    assert app.blueprints == {"bp": bp, "second": bp}


def test_renamed_nested_blueprint(app: Flask, client: FlaskClient) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    child.add_url_rule("/", "index", lambda: request.endpoint)
    parent.register_blueprint(child, name="kid", url_prefix="/kid")
    app.register_blueprint(parent, name="mom", url_prefix="/mom")
    assert client.get("/mom/kid/").text == "mom.kid.index"


def build_url_defaults(mod: types.ModuleType) -> t.Any:
    app = mod.Flask("defaults", root_path="/nonexistent-root")
    bp = mod.Blueprint("bp", "defaults", url_defaults={"page": 1})

    def page_view(page: int) -> str:
        return f"page {page}"

    bp.add_url_rule("/", "index", page_view)
    bp.add_url_rule("/<int:page>", "index", page_view)
    app.register_blueprint(bp, url_prefix="/list")
    app.register_blueprint(bp, name="other", url_prefix="/o", url_defaults={"page": 9})
    return app


def test_blueprint_url_defaults(protocol: str) -> None:
    app = build_url_defaults(hipflask)
    client = app.test_client(asgi=protocol == "asgi")
    assert client.get("/list/").text == "page 1"
    assert client.get("/o/").text == "page 9"
    # The defaults apply to every rule: /list/1 and even /list/3 redirect to
    # the rule that needs no value, as in Flask (compared below).
    reference = build_url_defaults(flask).test_client()
    for path in ("/list/", "/list/1", "/list/3", "/o/", "/o/9", "/o/2"):
        ours, theirs = client.get(path), reference.get(path)
        assert (ours.status_code, ours.headers.get("Location"), ours.data) == (
            theirs.status_code,
            theirs.headers.get("Location"),
            theirs.data,
        ), path
    with app.test_request_context():
        assert url_for("bp.index") == "/list/"
        assert url_for("other.index") == "/o/"


def test_relative_url_for(app: Flask, client: FlaskClient) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    @child.route("/")
    def index() -> str:
        return ",".join([url_for(".index"), url_for(".other"), url_for("index")])

    child.add_url_rule("/other", "other", lambda: "")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.add_url_rule("/", "index", lambda: url_for(".index"))
    assert client.get("/p/c/").text == "/p/c/,/p/c/other,/"
    # Outside a blueprint, ".index" is the app's endpoint.
    assert client.get("/").text == "/"


def test_request_blueprint_for_app_routes_and_errors(
    app: Flask, client: FlaskClient
) -> None:
    app.add_url_rule(
        "/", "index", lambda: repr((request.blueprint, request.blueprints))
    )
    app.register_error_handler(
        404, lambda e: (repr((request.blueprint, request.blueprints)), 404)
    )
    assert client.get("/").text == "(None, [])"
    assert client.get("/missing").text == "(None, [])"


def test_endpoint_decorator(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.endpoint("hello")
    def hello() -> str:
        return str(request.endpoint)

    app.register_blueprint(bp, url_prefix="/bp")
    # As in Flask, the endpoint is registered as named, without the prefix.
    app.add_url_rule("/hi", "hello")
    assert client.get("/hi").text == "hello"


# -- record and record_once ----------------------------------------------------------


def test_record_and_record_once(app: Flask) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp", subdomain="sub")
    states: list[BlueprintSetupState] = []
    once: list[str] = []
    bp.record(states.append)
    bp.record_once(lambda state: once.append(state.name))
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again", extra="x")
    assert once == ["bp"]
    first, second = states
    assert first.app is app
    assert first.blueprint is bp
    assert first.first_registration is True
    assert second.first_registration is False
    assert (first.name, first.url_prefix, first.subdomain) == ("bp", "/bp", "sub")
    assert (second.name, second.url_prefix) == ("again", "/again")
    assert second.options["extra"] == "x"
    assert first.url_defaults == {}


def test_record_lets_a_blueprint_read_app_config(
    app: Flask, client: FlaskClient
) -> None:
    bp = Blueprint("bp", __name__)
    found: dict[str, t.Any] = {}

    @bp.record
    def read_config(state: BlueprintSetupState) -> None:
        found["secret"] = state.app.config["SECRET_KEY"]
        state.add_url_rule("/added", "added", lambda: "added by state")

    app.register_blueprint(bp, url_prefix="/bp")
    assert found == {"secret": "test key"}
    assert client.get("/bp/added").text == "added by state"
    assert "bp.added" in app.view_functions


# -- templates -----------------------------------------------------------------------


def test_app_template_filter_test_and_global(app: Flask, client: FlaskClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_template_filter()
    def shout(s: str) -> str:
        return s.upper()

    @bp.app_template_filter("whisper")
    def quiet(s: str) -> str:
        return s.lower()

    @bp.app_template_test()
    def even(n: int) -> bool:
        return n % 2 == 0

    @bp.app_template_test("odd_number")
    def odd(n: int) -> bool:
        return n % 2 == 1

    @bp.app_template_global()
    def answer() -> int:
        return 42

    bp.add_app_template_global(lambda: "g2", name="second")
    app.register_blueprint(bp)

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ 'a'|shout }}{{ 'B'|whisper }} {{ 4 is even }} {{ 4 is odd_number }}"
            " {{ answer() }} {{ second() }}"
        )

    assert client.get("/").text == "Ab True False 42 g2"
    assert app.jinja_env.filters["shout"] is shout
    assert app.jinja_env.tests["even"] is even
    assert app.jinja_env.globals["answer"] is answer


# -- CLI group -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cli_group", "options", "where"),
    [
        (Ellipsis, {}, ("bp", "hello")),
        ("tools", {}, ("tools", "hello")),
        (None, {}, (None, "hello")),
        (Ellipsis, {"cli_group": "override"}, ("override", "hello")),
    ],
)
def test_cli_group(
    app: Flask, cli_group: t.Any, options: dict[str, t.Any], where: tuple[t.Any, str]
) -> None:
    kwargs = {} if cli_group is Ellipsis else {"cli_group": cli_group}
    bp = Blueprint("bp", __name__, **kwargs)

    @bp.cli.command("hello")
    def hello() -> None:
        pass

    app.register_blueprint(bp, **options)
    group, command = where
    if group is None:
        assert app.cli.commands[command] is hello
    else:
        assert app.cli.commands[group].commands[command] is hello  # type: ignore[attr-defined]
