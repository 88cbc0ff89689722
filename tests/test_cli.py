"""The ``hipflask`` command line, driven with click's runner (no servers here).

Finding the app (every ``--app`` form, the environment variables, the default
files, factories), what each kind of failure says, dotenv files, ``--debug``,
``routes``, ``shell``, custom and blueprint commands, ``run`` and ``serve`` up to
the point where they would start a server (``tests/test_serving.py`` starts
real ones).
"""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
import textwrap
import types
import typing as t
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hipflask import Blueprint, Flask, current_app
from hipflask import production as production_module
from hipflask import serving as serving_module
from hipflask.cli import (
    AppGroup,
    FlaskCliRunner,
    FlaskGroup,
    NoAppException,
    ScriptInfo,
    find_best_app,
    load_dotenv,
    locate_app,
    prepare_import,
    run_command,
    with_appcontext,
)
from hipflask.cli import cli as hipflask_cli

#: Environment variables the command line reads or writes.
ENV_KEYS = (
    "FLASK_APP",
    "HIPFLASK_APP",
    "FLASK_DEBUG",
    "HIPFLASK_DEBUG",
    "FLASK_RUN_FROM_CLI",
    "FLASK_SKIP_DOTENV",
    "HIPFLASK_SKIP_DOTENV",
    "FLASK_ENV_FILE",
    "HIPFLASK_ENV_FILE",
    "FLASK_RUN_PORT",
    "HIPFLASK_RUN_PORT",
    "FLASK_RUN_HOST",
    "HIPFLASK_RUN_HOST",
    "HIPFLASK_RUN_MAIN",
    "HIPFLASK_SERVE_APP",
    "HIPFLASK_SERVE_WORKERS",
    "FOO",
    "BAR",
    "SPAM",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the variables above; restore them (and drop new ones) afterwards."""
    for key in ENV_KEYS:
        monkeypatch.setenv(key, "placeholder")
        monkeypatch.delenv(key)
    # No test reads the dotenv files of the folders above it, except on purpose.
    monkeypatch.setenv("HIPFLASK_SKIP_DOTENV", "1")


@pytest.fixture
def app_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[t.Callable[[str, str], Path]]:
    """Write modules into a fresh current folder; forget what they imported."""
    monkeypatch.chdir(tmp_path)
    saved_path = sys.path[:]
    saved_modules = set(sys.modules)

    def write(name: str, source: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        return path

    yield write
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


APP_MODULE = """
    from hipflask import Flask

    app = Flask("by_name")
    other = Flask("other_name")

    def create_app(name="from_factory"):
        return Flask(name)

    def create_pair(first, second):
        return Flask(f"{first}_{second}")

    def no_app():
        return None

    not_app = 42
"""


# -- finding the application -------------------------------------------------------


def test_find_best_app_prefers_common_names() -> None:
    class Module:
        application = Flask("application")
        something = Flask("something")

    assert find_best_app(Module) is Module.application  # type: ignore[arg-type]

    class Single:
        mine = Flask("mine")

    assert find_best_app(Single) is Single.mine  # type: ignore[arg-type]

    class Factory:
        @staticmethod
        def make_app() -> Flask:
            return Flask("made")

    assert find_best_app(Factory).name == "made"  # type: ignore[arg-type]


def test_find_best_app_keeps_factory_errors_with_a_note() -> None:
    class Module:
        @staticmethod
        def create_app() -> Flask:
            raise RuntimeError("database is down")

    with pytest.raises(RuntimeError, match="database is down") as info:
        find_best_app(Module)  # type: ignore[arg-type]
    assert getattr(info.value, "__notes__", None) == [
        "hipflask: raised by the app factory 'create_app' in module 'Module'."
    ]


def test_type_error_inside_factory_is_not_a_wrong_call() -> None:
    class Module:
        @staticmethod
        def create_app() -> Flask:
            raise TypeError("raised inside the factory")

    with pytest.raises(TypeError, match="raised inside the factory"):
        find_best_app(Module)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("app_name", "expected"),
    [
        ("app", "by_name"),
        ("other", "other_name"),
        ("create_app", "from_factory"),
        ("create_app()", "from_factory"),
        (" create_app ( ) ", "from_factory"),
        ("create_app('given')", "given"),
        ("create_app(name='keyword')", "keyword"),
        ('create_pair("a", "b", )', "a_b"),
    ],
)
def test_locate_app_by_name(
    app_dir: t.Callable[[str, str], Path], app_name: str, expected: str
) -> None:
    app_dir("byname_mod.py", APP_MODULE)
    sys.path.insert(0, os.getcwd())
    assert locate_app("byname_mod", app_name).name == expected


@pytest.mark.parametrize(
    ("app_name", "message"),
    [
        ("missing", "Failed to find attribute 'missing' in 'bad_names'."),
        (
            "create_app(",
            "Failed to parse 'create_app(' as an attribute name or function call.",
        ),
        ("a.b", "Failed to parse 'a.b' as an attribute name or function call."),
        ("a[0]", "Failed to parse 'a[0]' as an attribute name or function call."),
        ("obj.f()", "Function reference must be a simple name: 'obj.f()'."),
        (
            "create_app(x)",
            "Failed to parse arguments as literal values: 'create_app(x)'.",
        ),
        (
            "create_app(*['a'])",
            "Failed to parse arguments as literal values: \"create_app(*['a'])\".",
        ),
        (
            "create_app(**{'name': 'a'})",
            "Keyword unpacking ('**') is not supported in \"create_app(**{'name':"
            " 'a'})\": pass each argument as name=literal.",
        ),
        (
            "create_pair('one')",
            "The factory \"create_pair('one')\" in module 'bad_names' could not be"
            " called with the specified arguments.",
        ),
        (
            "not_app",
            "A valid Flask application was not obtained from 'bad_names:not_app'"
            " (got int).",
        ),
        (
            "no_app",
            "A valid Flask application was not obtained from 'bad_names:no_app'"
            " (got NoneType).",
        ),
    ],
)
def test_locate_app_rejects_bad_names(
    app_dir: t.Callable[[str, str], Path], app_name: str, message: str
) -> None:
    app_dir("bad_names.py", APP_MODULE)
    sys.path.insert(0, os.getcwd())
    with pytest.raises(NoAppException) as info:
        locate_app("bad_names", app_name)
    assert info.value.format_message() == message


@pytest.mark.parametrize(
    ("module", "source", "message"),
    [
        (
            "no_such_module_xyz",
            None,
            "Could not import 'no_such_module_xyz': no module of that name was found"
            " on the import path (searched first: {cwd!r}).",
        ),
        (
            "two_apps",
            "from hipflask import Flask\none = Flask('one')\ntwo = Flask('two')\n",
            "Detected multiple Flask applications in module 'two_apps' ('one',"
            " 'two'). Use 'two_apps:name' to specify the correct one.",
        ),
        (
            "no_apps",
            "x = 1\n",
            "Failed to find Flask application or factory in module 'no_apps': looked"
            " for an application named 'app' or 'application', for a single"
            " application under any name, and for the factories 'create_app' and"
            " 'make_app'. Use 'no_apps:name' to specify one.",
        ),
        (
            "needs_args",
            "from hipflask import Flask\n"
            "def create_app(config):\n"
            "    return Flask('x')\n",
            "Detected factory 'create_app' in module 'needs_args', but could not call"
            " it without arguments. Use 'needs_args:create_app(args)' to specify"
            " arguments.",
        ),
    ],
)
def test_locate_app_says_what_was_not_found(
    app_dir: t.Callable[[str, str], Path],
    module: str,
    source: str | None,
    message: str,
) -> None:
    if source is not None:
        app_dir(f"{module}.py", source)
    sys.path.insert(0, os.getcwd())
    with pytest.raises(NoAppException) as info:
        locate_app(module, None)
    assert info.value.format_message() == message.format(cwd=os.getcwd())


def test_import_error_inside_the_module_is_reported_with_its_traceback(
    app_dir: t.Callable[[str, str], Path],
) -> None:
    app_dir("needs_dep.py", "import dependency_that_is_missing_xyz\n")
    sys.path.insert(0, os.getcwd())
    with pytest.raises(NoAppException) as info:
        # Even when a missing module would be tolerated.
        locate_app("needs_dep", None, raise_if_not_found=False)
    text = info.value.format_message()
    assert text.startswith("While importing 'needs_dep', an ImportError was raised:")
    assert "No module named 'dependency_that_is_missing_xyz'" in text


def test_other_errors_while_importing_keep_their_type(
    app_dir: t.Callable[[str, str], Path],
) -> None:
    app_dir("explodes.py", "raise ValueError('bad config')\n")
    sys.path.insert(0, os.getcwd())
    with pytest.raises(ValueError, match="bad config") as info:
        locate_app("explodes", None)
    assert getattr(info.value, "__notes__", None) == [
        "hipflask: raised while importing the module 'explodes'."
    ]


def test_missing_module_can_be_tolerated() -> None:
    assert locate_app("no_such_module_xyz", None, raise_if_not_found=False) is None


@pytest.mark.parametrize(
    ("value", "folder", "result"),
    [
        ("plain", ".", "plain"),
        ("plain.py", ".", "plain"),
        ("sub/mod.py", "sub", "mod"),
        ("pkg/__init__.py", ".", "pkg"),
        ("pkg/inner", ".", "pkg.inner"),
        ("pkg/inner.py", ".", "pkg.inner"),
        ("dotted.name", ".", "dotted.name"),
    ],
)
def test_prepare_import(
    app_dir: t.Callable[[str, str], Path], value: str, folder: str, result: str
) -> None:
    app_dir("pkg/__init__.py", "")
    app_dir("sub/mod.py", "")
    assert prepare_import(value) == result
    assert sys.path[0] == os.path.realpath(folder)


def test_scriptinfo_default_files(app_dir: t.Callable[[str, str], Path]) -> None:
    info = ScriptInfo()
    with pytest.raises(NoAppException) as error:
        info.load_app()
    text = error.value.format_message()
    assert "the current folder" in text
    assert "FLASK_APP" in text
    assert "HIPFLASK_APP" in text
    app_dir("app.py", "from hipflask import Flask\napp = Flask('from_app_py')\n")
    assert ScriptInfo().load_app().name == "from_app_py"
    app_dir("wsgi.py", "from hipflask import Flask\napp = Flask('from_wsgi_py')\n")
    info = ScriptInfo()
    assert info.load_app().name == "from_wsgi_py"  # wsgi.py is tried first
    assert info.load_app() is info.load_app()
    assert info.import_path_for_workers() == os.path.abspath("wsgi.py")


def test_scriptinfo_create_app_errors_get_a_note() -> None:
    def create_app() -> Flask:
        raise KeyError("SECRET")

    with pytest.raises(KeyError) as info:
        ScriptInfo(create_app=create_app).load_app()
    assert getattr(info.value, "__notes__", None) == [
        "hipflask: raised by the create_app callback."
    ]


def test_scriptinfo_create_app_returning_none() -> None:
    with pytest.raises(NoAppException) as info:
        ScriptInfo(create_app=lambda: None).load_app()  # type: ignore[arg-type,return-value]
    assert info.value.format_message() == (
        "The create_app callback returned None instead of an application."
    )


def test_scriptinfo_sets_debug_from_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def create_app() -> Flask:
        app = Flask("debuggy")
        app.debug = True
        return app

    assert ScriptInfo(create_app=create_app).load_app().debug is False
    assert ScriptInfo(create_app=create_app, set_debug_flag=False).load_app().debug
    monkeypatch.setenv("HIPFLASK_DEBUG", "1")
    assert ScriptInfo(create_app=create_app).load_app().debug is True


# -- --app and the environment through the command line ---------------------------


@pytest.mark.parametrize(
    "app_option",
    [
        "mod_forms",
        "mod_forms:app",
        "mod_forms:create_app",
        "mod_forms:create_app()",
        "mod_forms:create_app('from_arg')",
        "mod_forms.py",
        "{cwd}/mod_forms.py:create_app",
    ],
)
def test_app_option_forms(
    app_dir: t.Callable[[str, str], Path], runner: CliRunner, app_option: str
) -> None:
    app_dir(
        "mod_forms.py",
        """
        import click
        from hipflask import Flask, current_app

        def create_app(name="factory"):
            made = Flask(name)

            @made.cli.command()
            def which():
                click.echo(f"app={current_app.name}")

            return made

        app = create_app("module_app")
        """,
    )
    value = app_option.format(cwd=os.getcwd())
    result = runner.invoke(FlaskGroup(), ["--app", value, "which"])
    assert result.exit_code == 0, result.output
    expected = {
        "mod_forms:create_app": "factory",
        "mod_forms:create_app()": "factory",
        "mod_forms:create_app('from_arg')": "from_arg",
    }.get(app_option.replace("{cwd}/mod_forms.py", "mod_forms"), "module_app")
    assert result.output == f"app={expected}\n"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"FLASK_APP": "env_a"}, "a"),
        ({"HIPFLASK_APP": "env_b"}, "b"),
        ({"HIPFLASK_APP": "env_b", "FLASK_APP": "env_a"}, "b"),
    ],
)
def test_app_from_environment_variables(
    app_dir: t.Callable[[str, str], Path],
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    expected: str,
) -> None:
    for letter in ("a", "b", "c"):
        app_dir(
            f"env_{letter}.py", f"from hipflask import Flask\napp = Flask('{letter}')\n"
        )
    for key, value in variables.items():
        monkeypatch.setenv(key, value)

    @click.command()
    @with_appcontext
    def name() -> None:
        click.echo(current_app.name)

    group = FlaskGroup()
    group.add_command(name)
    assert runner.invoke(group, ["name"]).output == f"{expected}\n"
    # The option beats the variables.
    assert runner.invoke(group, ["--app", "env_c", "name"]).output == "c\n"


def test_unknown_command_reports_why_the_app_did_not_load(runner: CliRunner) -> None:
    result = runner.invoke(FlaskGroup(), ["nosuchcommand"])
    assert result.exit_code == 2
    assert "Error: Could not locate a Flask application" in result.stderr
    assert "No such command 'nosuchcommand'" in result.stderr


def test_help_lists_app_commands_and_survives_a_failing_factory(
    app_dir: t.Callable[[str, str], Path], runner: CliRunner
) -> None:
    app_dir(
        "helpful.py",
        """
        from hipflask import Flask
        app = Flask("helpful")

        @app.cli.command()
        def custom():
            '''A custom command.'''
        """,
    )
    result = runner.invoke(FlaskGroup(), ["--app", "helpful", "--help"])
    assert result.exit_code == 0
    assert "custom  A custom command." in result.stdout

    def create_app() -> Flask:
        raise RuntimeError("factory failed")

    result = runner.invoke(FlaskGroup(create_app=create_app), ["--help"])
    assert result.exit_code == 0
    assert "RuntimeError: factory failed" in result.stderr
    assert "run     Run a development server." in result.stdout


def test_builtin_commands_work_without_an_app(runner: CliRunner) -> None:
    result = runner.invoke(FlaskGroup(), ["run", "--help"])
    assert result.exit_code == 0
    assert "Run a local development server" in result.output
    assert result.stderr == ""


def test_python_dash_m_hipflask() -> None:
    env = {**os.environ, "HIPFLASK_SKIP_DOTENV": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "hipflask", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: python -m hipflask [OPTIONS] COMMAND")


def test_version(runner: CliRunner) -> None:
    import platform

    import hipflask

    result = runner.invoke(hipflask_cli, ["--version"])
    lines = result.output.splitlines()
    assert lines[0] == f"Python {platform.python_version()}"
    assert lines[1] == f"hipflask {hipflask.__version__} (Flask 3.1.3 API)"
    assert lines[2].startswith("click ")
    assert lines[3].startswith("uvicorn ")


# -- debug, dotenv -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "preset", "flask_debug", "hipflask_debug"),
    [
        (["--debug"], {}, "1", None),
        (["--no-debug"], {}, "0", None),
        (["--no-debug"], {"HIPFLASK_DEBUG": "1"}, "0", "0"),
        ([], {}, None, None),
        ([], {"FLASK_DEBUG": "1"}, "1", None),
    ],
)
def test_debug_option(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    preset: dict[str, str],
    flask_debug: str | None,
    hipflask_debug: str | None,
) -> None:
    for key, value in preset.items():
        monkeypatch.setenv(key, value)

    group = FlaskGroup(create_app=lambda: Flask("dbg"))

    @group.command()
    def show() -> None:
        click.echo(f"{current_app.debug}")

    result = runner.invoke(group, [*args, "show"])
    assert result.exit_code == 0, result.output
    assert os.environ.get("FLASK_DEBUG") == flask_debug
    assert os.environ.get("HIPFLASK_DEBUG") == hipflask_debug
    assert result.output == f"{(hipflask_debug or flask_debug) == '1'}\n"


def write_dotenv_files(folder: Path) -> None:
    (folder / ".flaskenv").write_text("FOO=flaskenv\nBAR=bar\n", encoding="utf-8")
    (folder / ".env").write_text("FOO=env\nSPAM=1\n", encoding="utf-8")


def test_load_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_dotenv_files(tmp_path)
    (tmp_path / "extra.env").write_text("FOO=extra\nSPAM=2\n", encoding="utf-8")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)  # the files are found by searching upwards
    monkeypatch.setenv("SPAM", "already set")
    assert load_dotenv(tmp_path / "extra.env") is True
    assert os.environ["FOO"] == "extra"
    assert os.environ["BAR"] == "bar"
    assert os.environ["SPAM"] == "already set"
    assert load_dotenv("missing.env", load_defaults=False) is False


def test_group_loads_dotenv_unless_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    write_dotenv_files(tmp_path)
    monkeypatch.chdir(tmp_path)

    group = FlaskGroup(create_app=lambda: Flask("dotenv"))

    @group.command()
    def foo() -> None:
        click.echo(os.environ.get("FOO", "unset"))

    assert runner.invoke(group, ["foo"]).output == "unset\n"  # SKIP_DOTENV is set
    monkeypatch.delenv("HIPFLASK_SKIP_DOTENV")
    assert runner.invoke(group, ["foo"]).output == "env\n"
    monkeypatch.delenv("FOO")
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    assert runner.invoke(group, ["foo"]).output == "unset\n"
    # An explicit file is loaded even when the defaults are skipped.
    (tmp_path / "mine.env").write_text("FOO=mine\n", encoding="utf-8")
    assert runner.invoke(group, ["-e", "mine.env", "foo"]).output == "mine\n"


def test_without_python_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    write_dotenv_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "dotenv", None)
    assert load_dotenv() is False
    assert "FOO" not in os.environ
    (tmp_path / "mine.env").write_text("FOO=mine\n", encoding="utf-8")
    result = runner.invoke(FlaskGroup(), ["-e", "mine.env", "routes"])
    assert result.exit_code == 2
    assert "python-dotenv must be installed to load an env file." in result.output


# -- routes --------------------------------------------------------------------------


@pytest.fixture
def routes_app() -> Flask:
    app = Flask("routes_app", static_folder=None)
    app.add_url_rule(
        "/get_post/<int:x>/<int:y>", methods=["GET", "POST"], endpoint="yyy"
    )
    app.add_url_rule("/zzz_post", methods=["POST"], endpoint="aaa_post")
    return app


def invoke_routes(app: Flask, *args: str) -> str:
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["routes", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_routes_table(routes_app: Flask) -> None:
    assert invoke_routes(routes_app) == (
        "Endpoint  Methods    Rule\n"
        "--------  ---------  -------------------------\n"
        "aaa_post  POST       /zzz_post\n"
        "yyy       GET, POST  /get_post/<int:x>/<int:y>\n"
    )


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("endpoint", ["aaa_post", "yyy"]),
        ("methods", ["yyy", "aaa_post"]),
        ("rule", ["yyy", "aaa_post"]),
        ("match", ["yyy", "aaa_post"]),
    ],
)
def test_routes_sort(routes_app: Flask, sort: str, order: list[str]) -> None:
    lines = invoke_routes(routes_app, "--sort", sort).splitlines()[2:]
    assert [line.split()[0] for line in lines] == order


def test_routes_all_methods(routes_app: Flask) -> None:
    assert "GET, HEAD, OPTIONS, POST" not in invoke_routes(routes_app)
    assert "GET, HEAD, OPTIONS, POST" in invoke_routes(routes_app, "--all-methods")


def test_routes_domains() -> None:
    app = Flask("sub", static_folder=None)
    app.add_url_rule("/a", subdomain="api", endpoint="a")
    app.add_url_rule("/b", endpoint="b")
    assert invoke_routes(app) == (
        "Endpoint  Methods  Subdomain  Rule\n"
        "--------  -------  ---------  ----\n"
        "a         GET      api        /a\n"
        "b         GET                 /b\n"
    )
    hosts = Flask("hosts", static_folder=None, host_matching=True)
    hosts.add_url_rule("/a", host="a.example", endpoint="a")
    assert invoke_routes(hosts).splitlines()[0] == "Endpoint  Methods  Host       Rule"


def test_routes_empty() -> None:
    assert invoke_routes(Flask("empty", static_folder=None)) == (
        "No routes were registered.\n"
    )


# -- shell ---------------------------------------------------------------------------


def shell_app() -> Flask:
    app = Flask("shell_app")

    @app.shell_context_processor
    def extra() -> dict[str, object]:
        return {"greeting": "hello"}

    return app


def test_shell_plain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    app = shell_app()
    result = CliRunner().invoke(
        FlaskGroup(create_app=lambda: app),
        ["shell", "--plain"],
        input="print(app.name, greeting, from_startup, g is not None)\n",
    )
    assert result.exit_code == 0, result.output
    assert "App: shell_app" in result.output
    assert "shell_app hello yes True" in result.output


def test_shell_uses_ipython_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, t.Any]] = []
    fake = types.ModuleType("IPython")
    fake.__spec__ = importlib.machinery.ModuleSpec("IPython", None)
    fake.start_ipython = lambda **kwargs: calls.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    app = shell_app()
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["shell"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert calls[0]["argv"] == []
    assert calls[0]["user_ns"]["app"] is app
    assert calls[0]["user_ns"]["greeting"] == "hello"


# -- custom commands -----------------------------------------------------------------


def test_app_cli_commands_run_in_app_context(app: Flask) -> None:
    def param_callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
        return f"{value}@{current_app.name}"

    @app.cli.command()
    @click.argument("value", callback=param_callback)
    def check(value: str) -> None:
        click.echo(value)

    @app.cli.command
    def bare() -> None:
        click.echo(f"bare@{current_app.name}")

    @app.cli.command(with_appcontext=False)
    def no_context() -> None:
        click.echo(f"context={bool(current_app)}")

    assert app.cli.name == "test_app"
    runner = app.test_cli_runner()
    assert isinstance(runner, FlaskCliRunner)
    assert runner.invoke(args=["bare"]).output == "bare@test_app\n"
    # Under the group, parameter callbacks see the app context too.
    group_result = CliRunner().invoke(
        FlaskGroup(create_app=lambda: app), ["check", "y"]
    )
    assert group_result.output == "y@test_app\n"
    # Without the wrapper, a bare click group has no app context.
    plain = click.Group("plain", commands={"no-context": no_context})
    assert CliRunner().invoke(plain, ["no-context"]).output == "context=False\n"


def test_app_group_subgroups(runner: CliRunner) -> None:
    @click.group(cls=AppGroup)
    def top() -> None:
        pass

    @top.group()
    def sub() -> None:
        pass

    @sub.command()
    def leaf() -> None:
        click.echo(current_app.name)

    assert isinstance(sub, AppGroup)
    obj = ScriptInfo(create_app=lambda: Flask("grouped"))
    assert runner.invoke(top, ["sub", "leaf"], obj=obj).output == "grouped\n"


def test_test_cli_runner_class(app: Flask) -> None:
    class Custom(FlaskCliRunner):
        pass

    app.test_cli_runner_class = Custom
    assert type(app.test_cli_runner()) is Custom


def test_blueprint_commands(app: Flask) -> None:
    default = Blueprint("default", __name__)
    custom = Blueprint("custom", __name__, cli_group="named")
    merged = Blueprint("merged", __name__, cli_group=None)
    empty = Blueprint("empty", __name__, cli_group="empty")
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)
    for blueprint in (default, custom, merged, child):

        @blueprint.cli.command("hello")
        def hello(name: str = blueprint.name) -> None:
            click.echo(f"{name}@{current_app.name}")

    parent.register_blueprint(child)
    app.register_blueprint(default)
    app.register_blueprint(custom)
    app.register_blueprint(merged)
    app.register_blueprint(empty)
    app.register_blueprint(parent)
    app.register_blueprint(default, name="again", cli_group="late")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["default", "hello"]).output == "default@test_app\n"
    assert runner.invoke(args=["named", "hello"]).output == "custom@test_app\n"
    assert runner.invoke(args=["hello"]).output == "merged@test_app\n"
    assert runner.invoke(args=["parent.child", "hello"]).output == "child@test_app\n"
    assert runner.invoke(args=["late", "hello"]).output == "default@test_app\n"
    assert runner.invoke(args=["empty", "--help"]).exit_code == 2


def test_import_hipflask_leaves_the_command_line_out() -> None:
    code = (
        "import sys, hipflask\n"
        "app = hipflask.Flask('x')\n"
        "names = ('click', 'uvicorn', 'hipflask.cli', 'hipflask.serving')\n"
        "print([name for name in names if name in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


def test_cli_is_made_lazily(app: Flask) -> None:
    assert "cli" not in vars(app)
    group = app.cli
    assert app.cli is group
    assert vars(app)["cli"] is group


# -- run (up to starting the server) -------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[t.Any, ...], dict[str, t.Any]]] = []

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.calls.append((args, kwargs))


@pytest.fixture
def recorded_run(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(serving_module, "run_simple", recorder)
    return recorder


@pytest.mark.parametrize(
    ("args", "env", "host", "port", "reload", "debugger"),
    [
        ([], {}, "127.0.0.1", 5000, False, False),
        (["--debug"], {}, "127.0.0.1", 5000, True, True),
        (["--debug", "--no-reload"], {}, "127.0.0.1", 5000, False, True),
        (["--reload", "--no-debugger"], {}, "127.0.0.1", 5000, True, False),
        (["-h", "0.0.0.0", "-p", "8080"], {}, "0.0.0.0", 8080, False, False),
        ([], {"HIPFLASK_RUN_PORT": "7001"}, "127.0.0.1", 7001, False, False),
        ([], {"FLASK_RUN_PORT": "7002"}, "127.0.0.1", 7002, False, False),
        (
            [],
            {"FLASK_RUN_PORT": "7002", "HIPFLASK_RUN_PORT": "7003"},
            "127.0.0.1",
            7003,
            False,
            False,
        ),
    ],
)
def test_run_passes_options_to_the_server(
    recorded_run: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    host: str,
    port: int,
    reload: bool,
    debugger: bool,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = Flask("runner")
    group = FlaskGroup(create_app=lambda: app)
    global_args = [a for a in args if a == "--debug"]
    run_args = [a for a in args if a != "--debug"]
    result = CliRunner().invoke(group, [*global_args, "run", *run_args])
    assert result.exit_code == 0, result.output
    [(call_args, call_kwargs)] = recorded_run.calls
    assert call_args == (host, port, app)
    assert call_kwargs["use_reloader"] is reload
    assert call_kwargs["use_debugger"] is debugger
    assert call_kwargs["ssl_context"] is None
    assert f" * Debug mode: {'on' if '--debug' in args else 'off'}" in result.output


def test_run_banner_names_the_app(
    app_dir: t.Callable[[str, str], Path], recorded_run: Recorder
) -> None:
    app_dir("app.py", "from hipflask import Flask\napp = Flask('x')\n")
    result = CliRunner().invoke(FlaskGroup(), ["run"])
    assert result.exit_code == 0, result.output
    assert f" * Serving hipflask app '{os.path.abspath('app.py')}'" in result.output


def test_run_reports_a_broken_app(recorded_run: Recorder) -> None:
    def create_app() -> Flask:
        raise RuntimeError("cannot start")

    result = CliRunner().invoke(FlaskGroup(create_app=create_app), ["run"])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)
    assert recorded_run.calls == []


def test_run_serves_an_error_page_after_a_bad_reload(
    recorded_run: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIPFLASK_RUN_MAIN", "true")

    def create_app() -> Flask:
        raise RuntimeError("syntax slip")

    result = CliRunner().invoke(FlaskGroup(create_app=create_app), ["run"])
    assert result.exit_code == 0, result.output
    [(call_args, _)] = recorded_run.calls
    assert not isinstance(call_args[2], Flask)  # the error app


def test_run_cert_and_key(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    key = tmp_path / "key.pem"
    cert.write_text("x")
    key.write_text("y")
    ctx = run_command.make_context("run", ["--cert", str(cert), "--key", str(key)])
    assert ctx.params["cert"] == (str(cert), str(key))
    for args in (["--cert", str(cert)], ["--key", str(key)]):
        with pytest.raises(click.BadParameter):
            run_command.make_context("run", args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "-1"], "Invalid value for '--port' / '-p': -1 is not in the range"),
        (["--port", "65536"], "65536 is not in the range 0<=x<=65535."),
        (["--port", "http"], "'http' is not a valid integer range."),
        (
            ["--cert", "no_such_module_xyz.context"],
            "Invalid value for '--cert': File 'no_such_module_xyz.context' does"
            " not exist.",
        ),
        (
            ["--cert", "hipflask"],  # importable, but not an SSLContext
            "Invalid value for '--cert': File 'hipflask' does not exist.",
        ),
        (
            ["--cert", "adhoc"],
            "Using ad-hoc certificates requires the cryptography library.",
        ),
        (["--key", "{file}"], '"--cert" must also be specified.'),
        (
            ["--cert", "{file}"],
            "Invalid value for '--key': Required when using \"--cert\".",
        ),
    ],
)
def test_run_rejects_bad_options(
    args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography", None)
    args = [arg.format(file=__file__) for arg in args]
    result = CliRunner().invoke(run_command, args)
    assert result.exit_code == 2
    assert message in result.output


def test_run_cert_from_an_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    holder = types.ModuleType("holder_xyz")
    holder.context = context  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "holder_xyz", holder)
    for spelling in ("holder_xyz.context", "holder_xyz:context"):
        ctx = run_command.make_context("run", ["--cert", spelling])
        assert ctx.params["cert"] is context
    with pytest.raises(click.BadParameter, match="SSLContext object"):
        run_command.make_context(
            "run", ["--cert", "holder_xyz.context", "--key", __file__]
        )


def test_run_extra_files_and_exclude_patterns() -> None:
    ctx = run_command.make_context(
        "run",
        [
            "--extra-files",
            os.pathsep.join(["a.txt", "b.txt"]),
            "--exclude-patterns",
            "*.tmp",
        ],
    )
    assert ctx.params["extra_files"] == ["a.txt", "b.txt"]
    assert ctx.params["exclude_patterns"] == ["*.tmp"]


def test_app_run_inside_the_cli_is_ignored(
    app_dir: t.Callable[[str, str], Path], recorded_run: Recorder
) -> None:
    app_dir(
        "runs_at_import.py",
        "from hipflask import Flask\napp = Flask('r')\napp.run()\n",
    )
    result = CliRunner().invoke(FlaskGroup(), ["--app", "runs_at_import", "routes"])
    assert result.exit_code == 0, result.output
    assert "Ignoring a call to 'app.run()'" in result.stderr
    assert recorded_run.calls == []


# -- serve (up to starting the server) -----------------------------------------------


class Exec:
    def __init__(self) -> None:
        self.argv: list[str] = []
        self.env: dict[str, str] = {}

    def __call__(self, argv: list[str], env: dict[str, str]) -> t.NoReturn:
        self.argv = argv
        self.env = env
        raise SystemExit(0)


@pytest.fixture
def fake_exec(monkeypatch: pytest.MonkeyPatch) -> Exec:
    recorder = Exec()
    monkeypatch.setattr(production_module, "exec_server", recorder)
    return recorder


SYNC_APP = """
from hipflask import Flask
app = Flask('s')
@app.get('/')
def i():
    return 'x'
"""
ASYNC_APP = SYNC_APP.replace("def i", "async def i")


@pytest.mark.parametrize(
    ("source", "installed", "args", "server", "interface"),
    [
        (SYNC_APP, ["granian", "gunicorn", "uvicorn"], [], "granian", "wsgi"),
        (ASYNC_APP, ["granian", "gunicorn", "uvicorn"], [], "granian", "asgi"),
        (SYNC_APP, ["gunicorn", "uvicorn"], [], "gunicorn", "wsgi"),
        (ASYNC_APP, ["gunicorn", "uvicorn"], [], "gunicorn", "asgi"),
        (SYNC_APP, ["uvicorn"], [], "uvicorn", "asgi"),
        (SYNC_APP, ["granian", "uvicorn"], ["--server", "uvicorn"], "uvicorn", "asgi"),
        (SYNC_APP, ["granian"], ["--interface", "asgi"], "granian", "asgi"),
        (
            SYNC_APP + "app.wsgi_app = (lambda w: w)(app.wsgi_app)\n",
            ["granian"],
            [],
            "granian",
            "wsgi",
        ),
        (
            ASYNC_APP + "app.wsgi_app = (lambda w: w)(app.wsgi_app)\n",
            ["granian"],
            [],
            "granian",
            "wsgi",
        ),
    ],
)
def test_serve_chooses_server_and_interface(
    app_dir: t.Callable[[str, str], Path],
    fake_exec: Exec,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    installed: list[str],
    args: list[str],
    server: str,
    interface: str,
) -> None:
    app_dir("served.py", source)
    monkeypatch.setattr(production_module, "available_servers", lambda: installed)
    result = CliRunner().invoke(
        FlaskGroup(), ["--app", "served", "serve", "-w", "3", *args]
    )
    assert result.exit_code == 0, result.output
    assert fake_exec.argv[:3] == [sys.executable, "-m", server]
    assert fake_exec.env["HIPFLASK_SERVE_APP"] == "served"
    assert (
        f" * Serving hipflask app 'served' with {server}"
        f" ({interface.upper()}, 3 workers)" in result.output
    )
    assert fake_exec.argv == production_module.serve_command_line(
        server, interface, "127.0.0.1", 8000, 3
    )


def test_serve_defaults_and_pass_through(
    app_dir: t.Callable[[str, str], Path],
    fake_exec: Exec,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_dir("served.py", SYNC_APP)
    monkeypatch.setattr(production_module, "available_servers", lambda: ["granian"])
    monkeypatch.setattr(production_module, "_cpu_count", lambda: 7)
    monkeypatch.setenv("HIPFLASK_DEBUG", "1")
    result = CliRunner().invoke(
        FlaskGroup(),
        [
            "--app",
            "served",
            "serve",
            "-h",
            "::1",
            "-p",
            "9000",
            "--",
            "--backlog",
            "4096",
        ],
    )
    assert result.exit_code == 0, result.output
    assert fake_exec.argv == [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "::1",
        "--port",
        "9000",
        "--workers",
        "7",
        "--workers-kill-timeout",
        "30",
        "--factory",
        "--backlog",
        "4096",
        "hipflask.production:app_from_environment",
    ]
    assert " * Listening on http://[::1]:9000" in result.output
    assert "debug mode is ignored" in result.stderr


@pytest.mark.parametrize(
    ("installed", "args", "exit_code", "message"),
    [
        (
            [],
            [],
            1,
            "Error: 'hipflask serve' needs a production server, and none is"
            " installed. Install granian (pip install 'hipflask[serve]'), gunicorn"
            " or uvicorn.",
        ),
        (
            ["uvicorn"],
            ["--server", "granian"],
            2,
            "The server 'granian' is not installed (pip install 'hipflask[serve]').",
        ),
        (
            ["gunicorn", "uvicorn"],
            ["--server", "uvicorn", "--interface", "wsgi"],
            2,
            "uvicorn serves hipflask apps as ASGI only; for WSGI use granian or"
            " gunicorn.",
        ),
        (["granian"], ["--workers", "0"], 2, "0 is not in the range x>=1"),
        (["granian"], ["--server", "waitress"], 2, "'waitress' is not one of"),
    ],
)
def test_serve_errors(
    app_dir: t.Callable[[str, str], Path],
    fake_exec: Exec,
    monkeypatch: pytest.MonkeyPatch,
    installed: list[str],
    args: list[str],
    exit_code: int,
    message: str,
) -> None:
    app_dir("served.py", SYNC_APP)
    monkeypatch.setattr(production_module, "available_servers", lambda: installed)
    result = CliRunner().invoke(FlaskGroup(), ["--app", "served", "serve", *args])
    assert result.exit_code == exit_code, result.output
    assert message in " ".join(result.output.split())
    assert fake_exec.argv == []


def test_serve_needs_an_importable_app(fake_exec: Exec) -> None:
    app = Flask("lambda_made")
    result = CliRunner().invoke(FlaskGroup(create_app=lambda: app), ["serve"])
    assert result.exit_code == 2
    assert "Name the app with '--app module:name'" in " ".join(result.output.split())
    assert fake_exec.argv == []


def test_serve_uses_an_importable_factory(
    app_dir: t.Callable[[str, str], Path],
    fake_exec: Exec,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_dir(
        "factory_mod.py",
        "from hipflask import Flask\ndef build():\n    return Flask('f')\n",
    )
    sys.path.insert(0, os.getcwd())
    import factory_mod  # type: ignore[import-not-found]

    monkeypatch.setattr(production_module, "available_servers", lambda: ["uvicorn"])
    result = CliRunner().invoke(FlaskGroup(create_app=factory_mod.build), ["serve"])
    assert result.exit_code == 0, result.output
    assert fake_exec.env["HIPFLASK_SERVE_APP"] == "factory_mod:build"
