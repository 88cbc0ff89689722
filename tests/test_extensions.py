"""The extension pattern: ``app.extensions``, ``init_app`` and app factories.

The extensions here are small versions of common ones (a database handle per
app context, a login manager, a CSRF check), written against hipflask's public
API the way Flask extensions are written against Flask's.
"""

from __future__ import annotations

import secrets
import typing as t

import pytest

from hipflask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    render_template_string,
    request,
    request_finished,
    session,
)
from hipflask.testing import FlaskClient


class FakeConnection:
    """What a database driver would hand out."""

    opened: t.ClassVar[list[FakeConnection]] = []

    def __init__(self, url: str) -> None:
        self.url = url
        self.closed = False
        FakeConnection.opened.append(self)

    def close(self) -> None:
        self.closed = True


class Database:
    """One connection per application context, closed on teardown."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        app.config.setdefault("DATABASE_URL", "memory://")
        if "database" in app.extensions:
            raise RuntimeError("Database is already registered on this app.")
        app.extensions["database"] = self
        app.teardown_appcontext(self._teardown)

    @property
    def connection(self) -> FakeConnection:
        if "db_connection" not in g:
            g.db_connection = FakeConnection(current_app.config["DATABASE_URL"])
        return t.cast(FakeConnection, g.db_connection)

    def _teardown(self, exc: BaseException | None) -> None:
        connection = g.pop("db_connection", None)
        if connection is not None:
            connection.close()


class LoginManager:
    """Loads the user named in the session before each request."""

    def __init__(self) -> None:
        self.loaders: list[t.Callable[[str], t.Any]] = []

    def init_app(self, app: Flask) -> None:
        app.extensions["login_manager"] = self
        app.before_request(self._load_user)
        app.context_processor(lambda: {"current_user": g.get("user")})
        bp = Blueprint("auth", __name__, url_prefix="/auth")
        bp.add_url_rule("/login/<name>", "login", self._login, methods=["POST"])
        bp.add_url_rule("/logout", "logout", self._logout, methods=["POST"])
        app.register_blueprint(bp)

    def user_loader(self, f: t.Callable[[str], t.Any]) -> t.Callable[[str], t.Any]:
        self.loaders.append(f)
        return f

    def _load_user(self) -> None:
        name = session.get("user")
        g.user = self.loaders[0](name) if name and self.loaders else None

    def _login(self, name: str) -> str:
        session["user"] = name
        return "logged in"

    def _logout(self) -> str:
        session.pop("user", None)
        return "logged out"


def login_required(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if g.get("user") is None:
            abort(401)
        return f(*args, **kwargs)

    wrapper.__name__ = f.__name__
    return wrapper


class CSRF:
    """Rejects form posts without the session's token."""

    def init_app(self, app: Flask) -> None:
        app.extensions["csrf"] = self
        app.jinja_env.globals["csrf_token"] = self.token

        @app.before_request
        def check() -> None:
            if request.method == "POST" and request.endpoint not in self.exempt:
                token = request.form.get("csrf_token")
                if not token or token != session.get("csrf_token"):
                    abort(400, description="The CSRF token is missing or wrong.")

        self.exempt: set[str] = {"auth.login", "auth.logout"}

    def token(self) -> str:
        if "csrf_token" not in session:
            session["csrf_token"] = secrets.token_hex(8)
        return t.cast(str, session["csrf_token"])


db = Database()
login_manager = LoginManager()
csrf = CSRF()


@login_manager.user_loader
def load_user(name: str) -> dict[str, str]:
    return {"name": name}


def create_app(**config: t.Any) -> Flask:
    """An app factory: extensions are created once, bound per app."""
    app = Flask("factory", root_path="/nonexistent-root")
    app.config.update(SECRET_KEY="k", TESTING=True)
    app.config.update(config)
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)

    @app.route("/db")
    def database() -> str:
        first = db.connection
        assert db.connection is first  # one per app context
        return first.url

    @app.route("/me")
    @login_required
    def me() -> str:
        return render_template_string("{{ current_user.name }}")

    @app.route("/form")
    def form() -> str:
        return render_template_string("{{ csrf_token() }}")

    @app.post("/submit")
    def submit() -> str:
        return "accepted"

    return app


@pytest.fixture
def factory_client(protocol: str) -> FlaskClient:
    return create_app().test_client(asgi=protocol == "asgi")


def test_extensions_are_registered_per_app() -> None:
    first = create_app(DATABASE_URL="sqlite://one")
    second = create_app(DATABASE_URL="sqlite://two")
    assert first.extensions["database"] is second.extensions["database"] is db
    assert set(first.extensions) == {"database", "login_manager", "csrf"}
    assert first.config["DATABASE_URL"] == "sqlite://one"
    assert create_app().config["DATABASE_URL"] == "memory://"


def test_init_app_twice_is_refused() -> None:
    app = create_app()
    with pytest.raises(RuntimeError, match="already registered"):
        db.init_app(app)


def test_resource_per_app_context_is_closed(protocol: str) -> None:
    FakeConnection.opened.clear()
    first = create_app(DATABASE_URL="sqlite://one").test_client(asgi=protocol == "asgi")
    second = create_app(DATABASE_URL="sqlite://two").test_client(
        asgi=protocol == "asgi"
    )
    assert first.get("/db").text == "sqlite://one"
    assert second.get("/db").text == "sqlite://two"
    assert [c.url for c in FakeConnection.opened] == ["sqlite://one", "sqlite://two"]
    assert all(c.closed for c in FakeConnection.opened)


def test_resource_in_a_manual_app_context() -> None:
    FakeConnection.opened.clear()
    app = create_app(DATABASE_URL="sqlite://cli")
    with app.app_context():
        connection = db.connection
        assert connection.url == "sqlite://cli"
        assert not connection.closed
    assert connection.closed


def test_login_flow(factory_client: FlaskClient) -> None:
    assert factory_client.get("/me").status_code == 401
    assert factory_client.post("/auth/login/ann").text == "logged in"
    assert factory_client.get("/me").text == "ann"
    factory_client.post("/auth/logout")
    assert factory_client.get("/me").status_code == 401


def test_csrf_check(factory_client: FlaskClient) -> None:
    rv = factory_client.post("/submit", data={})
    assert rv.status_code == 400
    assert b"The CSRF token is missing or wrong." in rv.data
    token = factory_client.get("/form").text
    assert len(token) == 16
    assert factory_client.post("/submit", data={"csrf_token": token}).text == (
        "accepted"
    )
    assert factory_client.post("/submit", data={"csrf_token": "bad"}).status_code == 400


def test_extension_reads_current_app(factory_client: FlaskClient) -> None:
    app = t.cast(Flask, factory_client.application)

    @app.get("/which")
    def which() -> str:
        extension = current_app.extensions["database"]
        return type(extension).__name__

    assert factory_client.get("/which").text == "Database"


def test_extension_with_signal_receiver(protocol: str) -> None:
    class Metrics:
        def __init__(self) -> None:
            self.statuses: list[int] = []

        def init_app(self, app: Flask) -> None:
            app.extensions["metrics"] = self
            request_finished.connect(self._record, app, weak=False)

        def _record(self, sender: Flask, response: Response, **extra: t.Any) -> None:
            self.statuses.append(response.status_code)

    metrics = Metrics()
    app = Flask("metrics", root_path="/nonexistent-root")
    metrics.init_app(app)
    app.add_url_rule("/", "index", lambda: "")
    client = app.test_client(asgi=protocol == "asgi")
    try:
        client.get("/")
        client.get("/missing")
    finally:
        request_finished.disconnect(metrics._record)
    assert metrics.statuses == [200, 404]


def test_extension_adding_cli_commands_and_error_handlers() -> None:
    class Admin:
        def init_app(self, app: Flask) -> None:
            app.extensions["admin"] = self

            @app.cli.command("create-admin")
            def create_admin() -> None:
                print("created")

            @app.errorhandler(403)
            def forbidden(e: Exception) -> tuple[str, int]:
                return "admins only", 403

    app = Flask("admin", root_path="/nonexistent-root")
    Admin().init_app(app)
    app.add_url_rule("/secret", "secret", lambda: abort(403))
    assert "create-admin" in app.cli.commands
    result = app.test_cli_runner().invoke(args=["create-admin"])
    assert result.output == "created\n"
    assert app.test_client().get("/secret").text == "admins only"


def test_init_app_after_first_request_is_refused() -> None:
    app = Flask("late", root_path="/nonexistent-root")
    app.add_url_rule("/", "index", lambda: "")
    app.test_client().get("/")
    with pytest.raises(AssertionError, match="already handled its first request"):
        Database().init_app(app)
