"""hipflask.compat: ``import flask`` on hipflask, Werkzeug interop, the pytest plugin.

``install()`` changes the process for good (``sys.modules``, Werkzeug's modules),
so every test that installs runs its code in a fresh interpreter; the other tests
of the suite keep the real Flask and Werkzeug to compare against.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import typing as t
from pathlib import Path

import pytest

from hipflask.compat import modules

SRC = Path(__file__).resolve().parents[1] / "src"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with warnings as errors."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "HIPFLASK_", "WERKZEUG_"))
    }
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(SRC), os.environ.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
        check=False,
    )


def run_ok(code: str, **env: str) -> t.Any:
    """Run ``code``; fail with its stderr unless it exits 0; return its JSON output."""
    done = run_python(code, **env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def has_attr(module: str, owner: str, attribute: str) -> bool:
    if not exists(module):
        return False
    found = importlib.import_module(module)
    return hasattr(getattr(found, owner, None), attribute)


# --- flask -> hipflask --------------------------------------------------------


def test_import_flask_gives_hipflask() -> None:
    result = run_ok(
        """
        import json, sys
        import hipflask.compat
        hipflask.compat.install()
        import flask, hipflask
        from flask import Flask, request
        print(json.dumps([
            flask is hipflask,
            Flask is hipflask.Flask,
            request is hipflask.request,
            sys.modules["flask"] is hipflask,
        ]))
        """
    )
    assert result == [True, True, True, True]


def test_install_is_idempotent() -> None:
    result = run_ok(
        """
        import json, sys
        import hipflask.compat
        from hipflask.compat.modules import FlaskAliasFinder
        first = hipflask.compat.install()
        second = hipflask.compat.install()
        finders = [f for f in sys.meta_path if isinstance(f, FlaskAliasFinder)]
        print(json.dumps([first == second, len(finders), hipflask.compat.installed()]))
        """
    )
    assert result == [True, 1, True]


def expected_target(flask_name: str) -> str | None:
    """What the table says ``flask_name`` resolves to on this tree, or None."""
    alias = modules.FLASK_MODULES[flask_name]
    for candidate in (*alias.modules, "hip" + flask_name):
        if exists(candidate):
            return candidate
    import hipflask

    if alias.names and all(hasattr(hipflask, name) for name in alias.names):
        return flask_name  # built from hipflask's top-level names
    return None


@pytest.fixture(scope="module")
def resolved() -> dict[str, list[t.Any]]:
    """For each Flask module: [module name, same object as target?, spec name]."""
    return t.cast(
        dict[str, list[t.Any]],
        run_ok(
            """
            import importlib, json
            import hipflask.compat
            from hipflask.compat.modules import FLASK_MODULES
            hipflask.compat.install()
            out = {}
            for name, alias in FLASK_MODULES.items():
                try:
                    module = importlib.import_module(name)
                except ImportError as exc:
                    out[name] = [None, type(exc).__name__, str(exc)]
                    continue
                target = module.__name__
                same = (
                    importlib.import_module(target) is module
                    if target.startswith("hipflask")
                    else None
                )
                out[name] = [target, same, module.__spec__.name]
            print(json.dumps(out))
            """
        ),
    )


@pytest.mark.parametrize("flask_name", sorted(modules.FLASK_MODULES))
def test_submodule_aliases(resolved: dict[str, list[t.Any]], flask_name: str) -> None:
    target = expected_target(flask_name)
    got = resolved[flask_name]
    if target is None:
        # Nothing in hipflask stands in for it yet: the import fails honestly.
        assert got[0] is None
        assert got[1] == "ModuleNotFoundError"
        return
    if target == flask_name:  # a stand-in built from top-level names
        assert got == [flask_name, None, flask_name]
        return
    # The very module object, keeping its own spec.
    assert got == [target, True, target]


def test_wrappers_stand_in_is_built_from_top_level_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hipflask

    monkeypatch.setitem(
        modules.FLASK_MODULES,
        "flask.no_such_wrappers",
        modules.Alias(("hipflask.no_such_module",), names=("Request", "Response")),
    )
    built = modules.resolve("flask.no_such_wrappers")
    assert built is not None
    assert built.__name__ == "flask.no_such_wrappers"
    assert built.Request is hipflask.Request
    assert built.Response is hipflask.Response
    assert built.__hipflask_stand_in__ is True
    assert "flask.no_such_wrappers" not in sys.modules


def test_stand_in_needs_every_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        modules.FLASK_MODULES,
        "flask.no_such_wrappers",
        modules.Alias(("hipflask.no_such_module",), names=("Request", "NoSuchName")),
    )
    assert modules.resolve("flask.no_such_wrappers") is None


def test_name_outside_table_maps_to_same_name() -> None:
    result = run_ok(
        """
        import json
        import hipflask.compat
        hipflask.compat.install()
        import flask.http.exceptions, hipflask.http.exceptions
        import flask.concurrency, hipflask.concurrency
        print(json.dumps([
            flask.http.exceptions is hipflask.http.exceptions,
            flask.concurrency is hipflask.concurrency,
            hipflask.concurrency.__spec__.name,
        ]))
        """
    )
    assert result == [True, True, "hipflask.concurrency"]


@pytest.mark.parametrize(
    "statement",
    ["import flask.sansio", "import flask.sansio.app", "from flask import no_such_mod"],
)
def test_missing_module_import_fails(statement: str) -> None:
    done = run_python(
        f"""
        import hipflask.compat
        hipflask.compat.install()
        {statement}
        """
    )
    assert done.returncode == 1
    assert "ImportError" in done.stderr or "ModuleNotFoundError" in done.stderr
    # Never the real Flask's module found through the back door.
    assert "site-packages/flask" not in done.stderr


def test_real_flask_module_is_never_loaded() -> None:
    result = run_ok(
        """
        import json, sys
        import hipflask.compat
        hipflask.compat.install()
        import flask, flask.json
        del sys.modules["flask"]
        import flask as again
        import hipflask
        files = [getattr(m, "__file__", None) or "" for m in sys.modules.values()]
        print(json.dumps([
            again is hipflask,
            [f for f in files if "site-packages/flask" in f],
        ]))
        """
    )
    assert result == [True, []]


def test_refuses_when_real_flask_already_imported() -> None:
    done = run_python(
        """
        import flask
        import hipflask.compat
        hipflask.compat.install()
        """
    )
    assert done.returncode == 1
    message = "RuntimeError: hipflask.compat.install() must run before Flask"
    assert message in done.stderr


def test_importing_compat_changes_nothing() -> None:
    result = run_ok(
        """
        import json, sys
        import hipflask.compat
        import hipflask.compat.modules, hipflask.compat.patching
        import hipflask.compat.werkzeug_interop, hipflask.compat.werkzeug_run
        print(json.dumps([
            hipflask.compat.installed(),
            sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "werkzeug")),
        ]))
        """
    )
    assert result == [False, []]


def test_hipflask_does_not_import_compat_or_werkzeug() -> None:
    result = run_ok(
        """
        import json, sys
        import hipflask
        print(json.dumps(sorted(
            m for m in sys.modules
            if m.split(".")[0] in ("flask", "werkzeug")
            or m.startswith("hipflask.compat")
        )))
        """
    )
    assert result == []


# --- Werkzeug ---------------------------------------------------------------------


def test_werkzeug_names_are_adopted() -> None:
    result = run_ok(
        """
        import json
        import hipflask.compat
        from hipflask.compat import werkzeug_interop
        hipflask.compat.install()
        import hipflask.http.exceptions as ours
        from werkzeug.exceptions import NotFound, HTTPException, abort
        import werkzeug.exceptions
        genuine = werkzeug_interop.original("werkzeug.exceptions", "NotFound")
        print(json.dumps([
            NotFound is ours.NotFound,
            HTTPException is ours.HTTPException,
            abort is ours.abort,
            genuine.__module__,
            genuine is not NotFound,
            "NotFound" in werkzeug_interop.adopted()["werkzeug.exceptions"],
        ]))
        """
    )
    assert result == [True, True, True, "werkzeug.exceptions", True, True]


@pytest.mark.skipif(not exists("hipflask.routing"), reason="no hipflask.routing yet")
def test_werkzeug_routing_names_are_adopted() -> None:
    result = run_ok(
        """
        import json
        import hipflask.compat
        hipflask.compat.install()
        import hipflask.routing as ours
        from werkzeug.routing import BaseConverter, ValidationError, BuildError
        print(json.dumps([
            BaseConverter is ours.BaseConverter,
            ValidationError is ours.ValidationError,
            BuildError is ours.BuildError,
        ]))
        """
    )
    assert result == [True, True, True]


def test_werkzeug_keeps_its_own_classes_inside() -> None:
    result = run_ok(
        """
        import json
        import hipflask.compat
        from hipflask.compat import werkzeug_interop
        hipflask.compat.install()
        import werkzeug.routing.exceptions as wre
        from werkzeug.datastructures import MultiDict as AdoptedOrNot
        import werkzeug.datastructures.structures as structures
        genuine_http = werkzeug_interop.original("werkzeug.exceptions", "HTTPException")
        redirect = werkzeug_interop.original("werkzeug.routing", "RequestRedirect")
        # Werkzeug's own router still raises Werkzeug's own NotFound.
        from werkzeug.routing import Map as AnyMap
        genuine_map = werkzeug_interop.original("werkzeug.routing", "Map")
        genuine_rule = werkzeug_interop.original("werkzeug.routing", "Rule")
        adapter = genuine_map([genuine_rule("/a", endpoint="a")]).bind("x")
        try:
            adapter.match("/b")
        except Exception as exc:
            raised = type(exc).__module__
        print(json.dumps([
            issubclass(redirect, genuine_http),
            redirect.__module__,
            raised,
        ]))
        """
    )
    assert result == [True, "werkzeug.routing.exceptions", "werkzeug.exceptions"]


def test_without_werkzeug_nothing_is_imported() -> None:
    result = run_ok(
        """
        import json, sys
        sys.modules["werkzeug"] = None  # as if it were not installed
        import hipflask.compat
        status = hipflask.compat.install()
        import flask, hipflask
        print(json.dumps([
            flask is hipflask,
            status["werkzeug"],
            sorted(m for m in sys.modules if m.startswith("werkzeug.")),
        ]))
        """
    )
    assert result == [True, "not installed", []]


def test_test_client_identifies_as_werkzeug() -> None:
    result = run_ok(
        """
        import json, importlib.metadata
        import hipflask.compat
        hipflask.compat.install()
        from flask import Flask
        app = Flask("x")
        client = app.test_client()
        print(json.dumps([
            client.environ_base["HTTP_USER_AGENT"],
            "Werkzeug/" + importlib.metadata.version("werkzeug"),
        ]))
        """
    )
    assert result[0] == result[1]


HTTP_HOOK = has_attr("hipflask.scaffold", "Scaffold", "_http_exception_types")
needs_http_hook = pytest.mark.xfail(
    not HTTP_HOOK,
    reason="hipflask.scaffold.Scaffold._http_exception_types (the tuple of classes"
    " error handling treats as HTTP exceptions) does not exist yet",
    strict=True,
)

GENUINE_APP = """
import json
import hipflask.compat
from hipflask.compat import werkzeug_interop
hipflask.compat.install()
from flask import Flask
Forbidden = werkzeug_interop.original("werkzeug.exceptions", "Forbidden")
NotFound = werkzeug_interop.original("werkzeug.exceptions", "NotFound")
app = Flask("genuine")

class Teapot(Forbidden):
    code = 418
    description = "short and stout"

@app.route("/forbidden")
def forbidden():
    raise Forbidden()

@app.route("/missing")
def missing():
    raise NotFound()

@app.route("/teapot")
def teapot():
    raise Teapot()

@app.errorhandler(404)
def by_code(e):
    return f"by code {e.code} {type(e).__module__}", 404

@app.errorhandler(Teapot)
def by_class(e):
    return "by class", 418

out = {}
for asgi in (False, True):
    client = app.test_client(asgi=asgi)
    out["asgi" if asgi else "wsgi"] = [
        [r.status_code, r.get_data(as_text=True)[:60]]
        for r in map(client.get, ("/forbidden", "/missing", "/teapot"))
    ]
print(json.dumps(out))
"""


@needs_http_hook
def test_genuine_werkzeug_http_exception() -> None:
    result = run_ok(GENUINE_APP)
    for protocol in ("wsgi", "asgi"):
        forbidden, missing, teapot = result[protocol]
        assert forbidden[0] == 403
        assert "<title>403 Forbidden</title>" in forbidden[1]
        assert missing == [404, "by code 404 werkzeug.exceptions"]
        assert teapot == [418, "by class"]


def test_werkzeug_response_and_wsgi_callable_are_served() -> None:
    result = run_ok(
        """
        import json
        import hipflask.compat
        hipflask.compat.install()
        from flask import Flask
        from werkzeug.wrappers import Response as WerkzeugResponse
        app = Flask("responses")

        @app.route("/werkzeug")
        def werkzeug_response():
            return WerkzeugResponse("from werkzeug", 202, {"X-Kind": "werkzeug"})

        def wsgi_app(environ, start_response):
            start_response("201 CREATED", [("Content-Type", "text/plain")])
            return [b"from ", environ["PATH_INFO"].encode()]

        @app.route("/wsgi")
        def wsgi_callable():
            return wsgi_app

        out = []
        for asgi in (False, True):
            client = app.test_client(asgi=asgi)
            a, b = client.get("/werkzeug"), client.get("/wsgi")
            out.append([a.status_code, a.text, a.headers.get("X-Kind"),
                        b.status_code, b.text])
        print(json.dumps(out))
        """
    )
    assert result == [[202, "from werkzeug", "werkzeug", 201, "from /wsgi"]] * 2


CONVERTER_APP = """
import json
import hipflask.compat
from hipflask.compat import werkzeug_interop
hipflask.compat.install()
from flask import Flask, url_for
from werkzeug.routing import BaseConverter  # adopted: hipflask's
Genuine = werkzeug_interop.original("werkzeug.routing", "BaseConverter")

class ListConverter(BaseConverter):
    def to_python(self, value):
        return value.split(",")
    def to_url(self, value):
        base_to_url = super().to_url
        return ",".join(base_to_url(x) for x in value)

class Upper(Genuine):  # a subclass of Werkzeug's own class
    regex = "[a-z]+"
    def to_python(self, value):
        return value.upper()
    def to_url(self, value):
        return value.lower()

app = Flask("converters")
app.url_map.converters["list"] = ListConverter
app.url_map.converters["upper"] = Upper

@app.route("/l/<list:items>")
def items(items):
    return "|".join(items) + " " + url_for("items", items=items)

@app.route("/u/<upper:word>")
def word(word):
    return word + " " + url_for("word", word=word)

out = []
for asgi in (False, True):
    client = app.test_client(asgi=asgi)
    a, b, c = client.get("/l/a,b"), client.get("/u/abc"), client.get("/u/ABC")
    out.append([a.status_code, a.text, b.status_code, b.text, c.status_code])
print(json.dumps(out))
"""


def test_werkzeug_converters_work() -> None:
    result = run_ok(CONVERTER_APP)
    assert result == [[200, "a|b /l/a,b", 200, "ABC /u/abc", 404]] * 2


# --- the pytest plugin --------------------------------------------------------------


@pytest.fixture
def flask_project(tmp_path: Path) -> Path:
    """A small Flask project whose conftest imports Flask at import time."""
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest
            import flask
            from flask import Flask

            IMPORTED_AS = flask.__name__

            @pytest.fixture
            def app():
                app = Flask("project")

                @app.route("/")
                def index():
                    return "hello"

                return app
            """
        )
    )
    (tmp_path / "test_project.py").write_text(
        textwrap.dedent(
            """
            import os
            import conftest

            def test_conftest_saw_hipflask():
                assert conftest.IMPORTED_AS == "hipflask"

            def test_client(app):
                client = app.test_client()
                assert client.get("/").text == "hello"
                assert client.asgi is (os.environ["EXPECT_PROTOCOL"] == "asgi")
            """
        )
    )
    return tmp_path


def run_pytest(
    project: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HIPFLASK_", "PYTEST_"))
    }
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join([str(SRC), str(project)])
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "hipflask.compat.pytest_plugin"),
            *("-p", "no:cacheprovider", "--rootdir", str(project), *args),
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=project,
        env=environ,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, "wsgi"),
        (("--hipflask-protocol=wsgi",), {}, "wsgi"),
        (("--hipflask-protocol=asgi",), {}, "asgi"),
        ((), {"HIPFLASK_TEST_PROTOCOL": "asgi"}, "asgi"),
        ((), {"HIPFLASK_TEST_PROTOCOL": "ASGI "}, "asgi"),
        (("--hipflask-protocol=wsgi",), {"HIPFLASK_TEST_PROTOCOL": "asgi"}, "wsgi"),
    ],
    ids=["default", "option-wsgi", "option-asgi", "env", "env-case", "option-wins"],
)
def test_plugin_runs_flask_project(
    flask_project: Path, args: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    done = run_pytest(flask_project, *args, EXPECT_PROTOCOL=expected, **env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
    assert "hipflask.compat: flask is hipflask" in done.stdout
    assert f"protocol {expected}" in done.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {"HIPFLASK_TEST_PROTOCOL": "http3"}, "is not a protocol"),
        (("--hipflask-protocol=http3",), {}, "invalid choice: 'http3'"),
    ],
)
def test_plugin_rejects_unknown_protocol(
    flask_project: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    done = run_pytest(flask_project, *args, EXPECT_PROTOCOL="wsgi", **env)
    assert done.returncode == 4
    assert message in done.stderr


def test_force_asgi_clients_needs_an_asgi_argument() -> None:
    from hipflask.compat.patching import force_asgi_clients

    class NoAsgi:
        def __init__(self, app: object) -> None:
            self.app = app

    with pytest.raises(TypeError, match="takes no 'asgi' argument"):
        force_asgi_clients(NoAsgi)


def test_force_asgi_clients_sets_the_default_once() -> None:
    from hipflask.compat.patching import force_asgi_clients

    class Client:
        def __init__(self, app: object, *, asgi: bool = False) -> None:
            self.asgi = asgi

    class Custom(Client):
        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)

    force_asgi_clients(Client)
    wrapped = Client.__init__
    force_asgi_clients(Client)
    assert Client.__init__ is wrapped
    assert Client(None).asgi is True
    assert Custom(None).asgi is True
    assert Client(None, asgi=False).asgi is False


# --- app.run honours a replaced werkzeug.serving.run_simple ------------------------

RUN_APP = """
import json, os
import hipflask.compat
hipflask.compat.install()
import werkzeug.serving
from flask import Flask

calls = []
werkzeug.serving.run_simple = lambda *args, **kwargs: calls.append(
    [args[0], args[1], args[2].name, sorted(kwargs.items())]
)
app = Flask("served")
app.config["SERVER_NAME"] = os.environ.get("SERVER_NAME_FOR_TEST") or None
app.run(*json.loads(os.environ["RUN_ARGS"]), **json.loads(os.environ["RUN_KWARGS"]))
print(json.dumps([calls, app.debug]))
"""


@pytest.mark.parametrize(
    ("args", "kwargs", "server_name", "expected"),
    [
        ((), {}, "", ["127.0.0.1", 5000, False, False]),
        (("localhost", 8000), {"debug": True}, "", ["localhost", 8000, True, True]),
        ((None, None), {}, "pocoo.org:8080", ["pocoo.org", 8080, False, False]),
        (("localhost", 0), {}, "localhost:8080", ["localhost", 0, False, False]),
        ((None, "81"), {}, "pocoo.org", ["pocoo.org", 81, False, False]),
        (
            (),
            {"use_reloader": False, "debug": True},
            "",
            ["127.0.0.1", 5000, True, False],
        ),
    ],
)
def test_app_run_calls_a_replaced_werkzeug_run_simple(
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
    server_name: str,
    expected: list[t.Any],
) -> None:
    host, port, debug, reloader = expected
    result = run_ok(
        RUN_APP,
        RUN_ARGS=json.dumps(args),
        RUN_KWARGS=json.dumps(kwargs),
        SERVER_NAME_FOR_TEST=server_name,
        FLASK_SKIP_DOTENV="1",
    )
    options = [["threaded", True], ["use_debugger", debug], ["use_reloader", reloader]]
    assert result == [[[host, port, "served", options]], debug]


def test_app_run_inside_flask_run_does_nothing() -> None:
    done = run_python(
        RUN_APP, RUN_ARGS="[]", RUN_KWARGS="{}", FLASK_RUN_FROM_CLI="true"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], False]
    assert "Ignoring a call to 'app.run()'" in done.stderr


@pytest.mark.skipif(not exists("hipflask.cli"), reason="no hipflask.cli yet")
def test_version_lists_werkzeug() -> None:
    result = run_ok(
        """
        import contextlib, importlib.metadata, io, json
        import hipflask.compat
        hipflask.compat.install()
        from flask.cli import get_version

        class Ctx:
            resilient_parsing = False
            color = None
            exited = False
            def exit(self):
                self.exited = True

        ctx, out = Ctx(), io.StringIO()
        with contextlib.redirect_stdout(out):
            get_version(ctx, None, "yes")
            get_version(ctx, None, None)  # no value: prints nothing
        print(json.dumps([
            out.getvalue().splitlines()[-1],
            "Werkzeug " + importlib.metadata.version("werkzeug"),
            ctx.exited,
        ]))
        """
    )
    assert result[0] == result[1]
    assert result[2] is True
