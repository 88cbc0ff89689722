"""The ``hipflask`` command line: the command group and its built-in commands.

Commands come from three places (:class:`FlaskGroup`): the built-in ``run``,
``serve`` (:mod:`hipflask.production`), ``shell`` and ``routes``; plugins (entry
points in the ``hipflask.commands`` group, and ``flask.commands`` once
:mod:`hipflask.compat` makes ``flask`` mean hipflask); and the app's ``app.cli``
group, blueprint groups included. The app (found as :mod:`hipflask.discovery`
describes) is loaded only for a name that is not built in, so ``hipflask run
--help`` works without one. Commands of ``app.cli`` run inside an application
context; :func:`with_appcontext` gives any command one.

First of all the group loads ``.flaskenv`` and ``.env`` with python-dotenv when it
is installed (``--env-file`` adds a file of higher precedence), unless
``HIPFLASK_SKIP_DOTENV`` or ``FLASK_SKIP_DOTENV`` is set. Options read
``FLASK_<COMMAND>_<OPTION>`` environment variables as in Flask; the built-in
ones read the ``HIPFLASK_`` spelling first (``HIPFLASK_APP``, ``HIPFLASK_RUN_PORT``).

Flask's names are all here (``flask.cli`` resolves to this module under
:mod:`hipflask.compat`), including those that live in :mod:`hipflask.discovery`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import platform
import sys
import traceback
import typing as t
from functools import update_wrapper
from operator import itemgetter

import click
from click.core import ParameterSource
from click.testing import CliRunner, Result

from . import serving
from .discovery import (
    NoAppException,
    ScriptInfo,
    find_app_by_string,
    find_best_app,
    locate_app,
    pass_script_info,
    prepare_import,
)
from .globals import current_app
from .helpers import get_debug_flag
from .production import serve_command
from .reloader import is_running_from_reloader
from .serving import show_server_banner

if t.TYPE_CHECKING:
    import ssl

    from .app import Flask

__all__ = [
    "AppGroup",
    "CertParamType",
    "FlaskCliRunner",
    "FlaskGroup",
    "NoAppException",
    "ScriptInfo",
    "SeparatedPathType",
    "cli",
    "find_app_by_string",
    "find_best_app",
    "get_version",
    "load_dotenv",
    "locate_app",
    "main",
    "pass_script_info",
    "prepare_import",
    "routes_command",
    "run_command",
    "serve_command",
    "shell_command",
    "show_server_banner",
    "version_option",
    "with_appcontext",
]

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: The Flask release whose API (and test suite) hipflask follows.
FLASK_API_VERSION = "3.1.3"


def with_appcontext(f: F) -> F:
    """Run the decorated command in the app's context (loading the app if needed)."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in the app context by default.

    Pass ``with_appcontext=False`` to :meth:`command` to opt out. Subgroups are
    AppGroups too. Not to be confused with :class:`FlaskGroup`.
    """

    @t.overload
    def command(self, __func: t.Callable[..., t.Any]) -> click.Command: ...

    @t.overload
    def command(
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]: ...

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        """Like :meth:`click.Group.command`, wrapping the callback in an app context."""
        wrap_for_ctx = kwargs.pop("with_appcontext", True)
        if len(args) == 1 and callable(args[0]) and not kwargs:  # @group.command
            return self.command()(args[0])

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return super(AppGroup, self).command(*args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group]:
        """Like :meth:`click.Group.group`, with :class:`AppGroup` as the class."""
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)  # type: ignore[no-any-return]


# -- the group and its options -----------------------------------------------------


def _set_app(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    if value is None:
        return None
    ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


# Eager, so the app is known when --help lists its commands; --help is eager
# too, so this option must come before it.
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    envvar=["HIPFLASK_APP", "FLASK_APP"],
    help=(
        "The application or factory to load, as 'module:name'. The module can be"
        " a dotted import or a file path. The name may be left out when it is"
        " 'app', 'application', 'create_app' or 'make_app', and can be"
        " 'name(args)' to pass arguments."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)


def _set_debug(ctx: click.Context, param: click.Option, value: bool) -> bool | None:
    source = ctx.get_parameter_source(param.name)
    if source is not None and source in (
        ParameterSource.DEFAULT,
        ParameterSource.DEFAULT_MAP,
    ):
        return None
    # An environment variable, not the app: a factory can read it early.
    flag = "1" if value else "0"
    os.environ["FLASK_DEBUG"] = flag
    if "HIPFLASK_DEBUG" in os.environ:  # it takes precedence when present
        os.environ["HIPFLASK_DEBUG"] = flag
    return value


_debug_option = click.Option(
    ["--debug/--no-debug"],
    envvar=["HIPFLASK_DEBUG"],
    help="Set debug mode.",
    expose_value=False,
    callback=_set_debug,
)


def _env_file_callback(
    ctx: click.Context, param: click.Option, value: str | None
) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        # Complain only about an explicit file; the defaults just get a tip.
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file.",
                ctx=ctx,
                param=param,
            ) from None
    if value is not None or ctx.obj.load_dotenv_defaults:
        load_dotenv(value, load_defaults=ctx.obj.load_dotenv_defaults)
    return value


# Eager, so the variables are set before the other options read theirs.
_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    envvar=["HIPFLASK_ENV_FILE"],
    help=(
        "Load environment variables from this file, taking precedence over those"
        " of '.env' and '.flaskenv'. Variables already set in the environment"
        " win. python-dotenv must be installed."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)


def _dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def get_version(ctx: click.Context, param: click.Parameter, value: t.Any) -> None:
    """The ``--version`` callback: print the versions that matter, and exit."""
    if not value or ctx.resilient_parsing:
        return
    from . import __version__

    click.echo(
        f"Python {platform.python_version()}\n"
        f"hipflask {__version__} (Flask {FLASK_API_VERSION} API)\n"
        f"click {_dist_version('click')}\n"
        f"uvicorn {_dist_version('uvicorn')}",
        color=ctx.color,
    )
    ctx.exit()


version_option = click.Option(
    ["--version"],
    help="Show the hipflask version.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


def _compat_installed() -> bool:
    return sys.modules.get("flask") is sys.modules.get("hipflask")


class FlaskGroup(AppGroup):
    """The ``hipflask`` command: built-in, plugin and app commands (module doc).

    ``create_app`` returns the app instead of ``--app``; ``load_dotenv`` loads
    ``.flaskenv``/``.env``; ``set_debug_flag`` sets ``app.debug`` from the
    environment after loading.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Flask] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        # Options work through callbacks, so a custom group callback keeps them.
        # --env-file first: it is evaluated before --app.
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "FLASK")
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(serve_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        self._loaded_plugin_commands = True
        groups = ["hipflask.commands"]
        if _compat_installed():
            groups.append("flask.commands")
        for group in groups:
            for entry_point in importlib.metadata.entry_points(group=group):
                try:
                    command = entry_point.load()
                except Exception:
                    click.secho(
                        f" * Warning: the command plugin {entry_point.name!r}"
                        f" ({entry_point.value}) failed to load:\n"
                        f"{traceback.format_exc()}",
                        err=True,
                        fg="yellow",
                    )
                    continue
                self.add_command(command, entry_point.name)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands()
        # Built-in and plugin commands work even when the app does not load.
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        # The app's context, for parameter and command callbacks alike.
        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            names.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        # Makes an unguarded app.run() in the app's module a no-op.
        os.environ["FLASK_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # Help is printed before eager options run: read the env file and
            # the app option (from the environment) first, so that the help
            # lists the app's commands.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Set environment variables from dotenv files; True if any variable was read.

    ``path`` wins over ``.env``, which wins over ``.flaskenv`` (both found by
    searching up from the current folder when ``load_defaults``). Variables
    already in the environment are never changed. Without python-dotenv nothing
    is loaded (a tip is printed if such files exist).
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".flaskenv"):
            click.secho(
                " * Tip: There are .env files present. Install python-dotenv"
                " to use them.",
                fg="yellow",
                err=True,
            )
        return False
    data: dict[str, str | None] = {}
    if load_defaults:
        for name in (".flaskenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                data.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        data.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in data.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(data)


# -- run -------------------------------------------------------------------------


def _import_string(name: str) -> t.Any:
    """The object at ``module.attr`` or ``module:attr``; None if it is not there."""
    module_name, sep, attr = name.replace(":", ".").rpartition(".")
    try:
        if sep:
            try:
                return getattr(importlib.import_module(module_name), attr)
            except (ImportError, AttributeError):
                pass
        return importlib.import_module(name)
    except (ImportError, ValueError):
        return None


class CertParamType(click.ParamType):  # type: ignore[type-arg]
    """``--cert``: an existing file, ``adhoc``, or the import path of an SSLContext."""

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        try:
            import ssl
        except ImportError:
            raise click.BadParameter(
                'Using "--cert" requires Python to be compiled with SSL support.',
                ctx,
                param,
            ) from None
        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            value = click.STRING(value, param, ctx).lower()
            if value == "adhoc":
                try:
                    importlib.import_module("cryptography")
                except ImportError:
                    raise click.BadParameter(
                        "Using ad-hoc certificates requires the cryptography library.",
                        ctx,
                        param,
                    ) from None
                return value
            obj = _import_string(value)
            if isinstance(obj, ssl.SSLContext):
                return obj
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """``--key`` goes with a certificate file; make ``cert`` a (cert, key) pair."""
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    try:
        import ssl
    except ImportError:
        is_context = False
    else:
        is_context = isinstance(cert, ssl.SSLContext)
    if value is not None:
        if is_adhoc:
            raise click.BadParameter(
                'When "--cert" is "adhoc", "--key" is not used.', ctx, param
            )
        if is_context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.',
                ctx,
                param,
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = cert, value
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths separated by ``os.pathsep``, each checked as a click.Path."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        items = self.split_envvar_value(value)
        convert = super().convert
        return [convert(item, param, ctx) for item in items]


@click.command("run", short_help="Run a development server.")
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    envvar=["HIPFLASK_RUN_HOST"],
    help="The interface to bind to.",
)
@click.option(
    "--port",
    "-p",
    default=5000,
    type=click.IntRange(0, 65535),
    envvar=["HIPFLASK_RUN_PORT"],
    help="The port to bind to (0: any free port).",
)
@click.option(
    "--cert",
    type=CertParamType(),
    help="Specify a certificate file to use HTTPS.",
    is_eager=True,
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file to use when specifying a certificate.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    envvar=["HIPFLASK_RUN_RELOAD"],
    help="Enable or disable the reloader. By default the reloader is active if"
    " debug is enabled.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Enable or disable the debugger. By default the debugger is active if"
    " debug is enabled.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Accepted for Flask compatibility; sync views always run in worker threads.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=(
        "Extra files that trigger a reload on change. Multiple paths are"
        f" separated by {os.path.pathsep!r}."
    ),
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help=(
        "Files matching these fnmatch patterns will not trigger a reload on"
        f" change. Multiple patterns are separated by {os.path.pathsep!r}."
    ),
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: ssl.SSLContext | tuple[str, str] | t.Literal["adhoc"] | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server (uvicorn, serving the app as ASGI).

    It is for development only: for production use 'hipflask serve'. The
    reloader and debugger are enabled by default with the '--debug' option.
    """
    app: t.Any
    try:
        app = info.load_app()
    except Exception as e:
        if not is_running_from_reloader():
            raise
        # After a bad edit: keep serving (an error page) and keep watching.
        traceback.print_exc()
        app = serving.load_error_app(e, show_traceback=get_debug_flag())
    debug = get_debug_flag()
    if reload is None:
        reload = debug
    if debugger is None:
        debugger = debug
    show_server_banner(debug, info.app_import_path or info._found_at)
    serving.run_simple(
        host,
        port,
        app,
        use_reloader=reload,
        use_debugger=debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


run_command.params.insert(0, _debug_option)


# -- shell and routes ------------------------------------------------------------


@click.command("shell", short_help="Run a shell in the app context.")
@click.option(
    "--plain",
    is_flag=True,
    help="Use the plain Python shell even if IPython is installed.",
)
@with_appcontext
def shell_command(plain: bool) -> None:
    """Run an interactive Python shell in the context of the application.

    Its namespace holds 'app', 'g' and what the app's shell context processors
    add. IPython is used when it is installed.
    """
    import code

    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {current_app.import_name}\n"
        f"Instance: {current_app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    namespace.update(current_app.make_shell_context())
    if not plain and importlib.util.find_spec("IPython") is not None:
        ipython: t.Any = importlib.import_module("IPython")
        click.echo(banner)
        ipython.start_ipython(argv=[], user_ns=namespace)
        return
    hook = getattr(sys, "__interactivehook__", None)
    if hook is not None and sys.stdin.isatty():
        # readline with completion of the shell's names (not hipflask.__main__'s).
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        hook()
    code.interact(banner=banner, local=namespace)


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help=(
        "Method to sort routes by. 'match' is the order that the app will match"
        " routes when dispatching a request."
    ),
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS methods.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with endpoints and methods."""
    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching
    has_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)
    headers = ["Endpoint", "Methods"]
    sorts = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sorts.append("domain")
    headers.append("Rule")
    sorts.append("rule")
    rows: list[list[str]] = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted((rule.methods or set()) - ignored))]
        if has_domain:
            row.append((rule.host if host_matching else rule.subdomain) or "")
        row.append(rule.rule)
        rows.append(row)
    if sort in sorts:  # "match" keeps the map's order
        rows.sort(key=itemgetter(sorts.index(sort)))
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    template = "  ".join(f"{{{i}:<{width}}}" for i, width in enumerate(widths))
    click.echo(template.format(*headers).rstrip())
    click.echo(template.format(*("-" * width for width in widths)))
    for row in rows:
        click.echo(template.format(*row).rstrip())


# -- testing and the entry point ---------------------------------------------------


class FlaskCliRunner(CliRunner):
    """A click test runner for an app's commands (``app.test_cli_runner()``)."""

    def __init__(self, app: Flask, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Invoke ``cli`` (default: ``app.cli``) with a ScriptInfo for the app."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


cli = FlaskGroup(
    name="hipflask",
    help="""\
A general utility script for hipflask (and Flask) applications.

An application to load must be given with the '--app' option, the
'HIPFLASK_APP' or 'FLASK_APP' environment variable, or with a 'wsgi.py'
or 'app.py' file in the current directory.
""",
)


def main() -> None:
    """The ``hipflask`` console script."""
    cli.main()
