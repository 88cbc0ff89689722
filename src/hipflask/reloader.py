"""Restart the development server when a source file changes.

The process the user started becomes a *supervisor* (:func:`supervise`). It runs
the same command line again as a child process (``sys.orig_argv``, so
``hipflask run``, ``python -m hipflask run`` and ``python app.py`` each restart as
themselves) with ``HIPFLASK_RUN_MAIN=true`` in its environment, and waits. The
child serves and watches (:func:`start_watching`); when a watched file changes it
stops its server and exits with :data:`RESTART_CODE`, and the supervisor starts a
new child. Any other exit status ends the supervisor with that status. The
listening socket is bound once, by the supervisor, and handed to each child
(``HIPFLASK_SERVER_FD``), so the port stays open between restarts: requests made
during a restart wait in the socket's backlog.

What is watched (:meth:`FileWatcher.files`): the files of imported modules, the
``.py`` files under the project's import roots (``sys.path`` entries outside the
Python installation and the virtualenv), and ``extra_files``; minus the paths
matching one of the ``exclude_patterns`` (``fnmatch`` patterns on absolute
paths). Directories are walked with the usual clutter skipped (``.git``,
``__pycache__``, ``node_modules``, virtualenvs...) and without descending below
a directory when neither it nor its parent holds Python files. Two ways to
notice a change:

- ``watchfiles``, when installed: the operating system reports changes in the
  directories of the watched files;
- polling: every ``interval`` seconds each file's modification time and size
  are compared with the last ones seen. The walk is repeated each time, so a
  file created later is watched too (its first sighting is not a change).

A child also stops (exit status 0, no restart) when its supervisor has died, so
killing the supervisor never leaves a server behind.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import inspect
import os
import signal
import site
import subprocess
import sys
import sysconfig
import threading
import typing as t
from collections.abc import Callable, Iterable

__all__ = [
    "RESTART_CODE",
    "RUN_MAIN_ENV",
    "SERVER_FD_ENV",
    "FileWatcher",
    "PollingWatcher",
    "WatchfilesWatcher",
    "is_running_from_reloader",
    "make_watcher",
    "start_watching",
    "supervise",
]

#: Set to ``"true"`` in the environment of the child process that serves.
RUN_MAIN_ENV = "HIPFLASK_RUN_MAIN"
#: The listening socket's file descriptor, inherited by the serving child.
SERVER_FD_ENV = "HIPFLASK_SERVER_FD"
#: The child's exit status that asks the supervisor for a restart.
RESTART_CODE = 3

#: Directory names never walked into.
_SKIPPED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".eggs",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        "dist-packages",
    }
)
_SOURCE_SUFFIXES = (".py", ".pyw")
#: Returned by :meth:`FileWatcher.wait_for_change` when the supervisor is gone.
PARENT_GONE = "<supervisor exited>"


def is_running_from_reloader() -> bool:
    """Whether this process is the serving child of a reloading supervisor."""
    return os.environ.get(RUN_MAIN_ENV) == "true"


def _installation_dirs() -> tuple[str, ...]:
    """Folders of the Python installation and virtualenv: never walked."""
    dirs: set[str] = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(path)
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:  # some embedded interpreters lack it
        pass
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if isinstance(user_site, str):
        dirs.add(user_site)
    if sys.prefix != sys.base_prefix:  # a virtualenv holds no project code
        dirs.add(sys.prefix)
    return tuple(os.path.join(os.path.abspath(d), "") for d in dirs)


class FileWatcher:
    """What to watch; subclasses decide how to notice that one of them changed."""

    #: Shown in the server banner.
    name = "none"

    def __init__(
        self,
        extra_files: Iterable[str] = (),
        exclude_patterns: Iterable[str] = (),
        interval: float = 1.0,
    ) -> None:
        self.extra_files = {os.path.abspath(path) for path in extra_files}
        self.exclude_patterns = list(exclude_patterns)
        if interval <= 0:
            raise ValueError(
                f"The reloader interval must be positive, got {interval!r}."
            )
        self.interval = interval
        self._skipped_roots = _installation_dirs()

    def _excluded(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in self.exclude_patterns)

    def _module_files(self) -> set[str]:
        files: set[str] = set()
        for module in list(sys.modules.values()):
            name = getattr(module, "__file__", None)
            if not isinstance(name, str):
                continue
            if name.endswith((".pyc", ".pyo")):
                name = name[:-1]
            files.add(os.path.abspath(name))
        return files

    def _import_roots(self) -> list[str]:
        roots: list[str] = []
        for entry in [os.getcwd(), *sys.path]:
            path = os.path.abspath(entry or os.curdir)
            if (
                os.path.isdir(path)
                and path not in roots
                and not os.path.join(path, "").startswith(self._skipped_roots)
            ):
                roots.append(path)
        return roots

    def _scan(self, root: str) -> set[str]:
        """The source files under ``root``, pruned as the module doc says."""
        found: set[str] = set()
        has_source = {os.path.dirname(root): True}
        for folder, dirs, files in os.walk(root):
            if os.path.join(folder, "").startswith(self._skipped_roots) or (
                "pyvenv.cfg" in files
            ):
                dirs.clear()
                continue
            here = False
            for name in files:
                if name.endswith(_SOURCE_SUFFIXES):
                    here = True
                    found.add(os.path.join(folder, name))
            if not (here or has_source.get(os.path.dirname(folder), False)):
                dirs.clear()
                continue
            has_source[folder] = here
            dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS]
        return found

    def files(self) -> set[str]:
        """Every file watched right now."""
        paths = self._module_files()
        for root in self._import_roots():
            paths |= self._scan(root)
        paths |= self.extra_files
        if self.exclude_patterns:
            paths = {path for path in paths if not self._excluded(path)}
        return paths

    def prepare(self) -> None:
        """Take the first look at the files (before the server starts)."""

    def wait_for_change(
        self, stop: threading.Event, alive: Callable[[], bool]
    ) -> str | None:
        """Block until a file changes; return its path (None once ``stop`` is set).

        Returns :data:`PARENT_GONE` when ``alive()`` turns false.
        """
        raise NotImplementedError


class PollingWatcher(FileWatcher):
    """Compares modification times and sizes every ``interval`` seconds."""

    name = "polling"

    def __init__(
        self,
        extra_files: Iterable[str] = (),
        exclude_patterns: Iterable[str] = (),
        interval: float = 1.0,
    ) -> None:
        super().__init__(extra_files, exclude_patterns, interval)
        self._seen: dict[str, tuple[int, int]] = {}

    @staticmethod
    def _stamps(paths: Iterable[str]) -> dict[str, tuple[int, int]]:
        stamps: dict[str, tuple[int, int]] = {}
        for path in paths:
            try:
                result = os.stat(path)
            except OSError:  # deleted, or not there yet
                continue
            stamps[path] = (result.st_mtime_ns, result.st_size)
        return stamps

    def prepare(self) -> None:
        self._seen = self._stamps(self.files())

    def wait_for_change(
        self, stop: threading.Event, alive: Callable[[], bool]
    ) -> str | None:
        seen = self._seen
        while not stop.wait(self.interval):
            if not alive():
                return PARENT_GONE
            for path, stamp in self._stamps(self.files()).items():
                old = seen.get(path)
                if old is None:
                    seen[path] = stamp
                elif old != stamp:
                    return path
        return None


class WatchfilesWatcher(FileWatcher):
    """Lets ``watchfiles`` report changes in the watched files' folders."""

    name = "watchfiles"

    def __init__(
        self,
        extra_files: Iterable[str] = (),
        exclude_patterns: Iterable[str] = (),
        interval: float = 1.0,
    ) -> None:
        super().__init__(extra_files, exclude_patterns, interval)
        self._files: set[str] = set()

    def prepare(self) -> None:
        self._files = self.files()

    def _accept(self, change: object, path: str) -> bool:
        if path in self._files:
            return True
        return path.endswith(_SOURCE_SUFFIXES) and not self._excluded(path)

    def wait_for_change(
        self, stop: threading.Event, alive: Callable[[], bool]
    ) -> str | None:
        watchfiles: t.Any = importlib.import_module("watchfiles")
        folders = sorted({os.path.dirname(path) for path in self._files})
        folders = [folder for folder in folders if os.path.isdir(folder)]
        options: dict[str, t.Any] = {}
        if "recursive" in inspect.signature(watchfiles.watch).parameters:
            # The walk that found the files already chose the folders that
            # matter; older watchfiles versions always watch recursively.
            options["recursive"] = False
        for changes in watchfiles.watch(
            *folders,
            watch_filter=self._accept,
            stop_event=stop,
            yield_on_timeout=True,
            rust_timeout=int(self.interval * 1000),
            **options,
        ):
            if stop.is_set():
                return None
            if not alive():
                return PARENT_GONE
            for _change, path in sorted(changes, key=lambda item: item[1]):
                return str(path)
        return None


def make_watcher(
    reloader_type: str = "auto",
    extra_files: Iterable[str] = (),
    exclude_patterns: Iterable[str] = (),
    interval: float = 1.0,
) -> FileWatcher:
    """A watcher: ``"watchfiles"``, ``"polling"`` (or ``"stat"``), or ``"auto"``."""
    if reloader_type == "auto":
        has_watchfiles = importlib.util.find_spec("watchfiles") is not None
        reloader_type = "watchfiles" if has_watchfiles else "polling"
    if reloader_type in ("polling", "stat"):
        return PollingWatcher(extra_files, exclude_patterns, interval)
    if reloader_type == "watchfiles":
        if importlib.util.find_spec("watchfiles") is None:
            raise ValueError(
                "reloader_type='watchfiles' needs the watchfiles package"
                " (pip install watchfiles)."
            )
        return WatchfilesWatcher(extra_files, exclude_patterns, interval)
    raise ValueError(
        f"Unknown reloader type {reloader_type!r}: use 'auto', 'watchfiles'"
        " or 'polling'."
    )


def start_watching(
    watcher: FileWatcher, on_change: Callable[[str], None]
) -> threading.Event:
    """Watch in a daemon thread and call ``on_change(path)`` once.

    ``path`` is :data:`PARENT_GONE` when the supervisor died. Setting the
    returned event ends the watching without a call.
    """
    watcher.prepare()
    stop = threading.Event()
    parent = os.getppid()

    def alive() -> bool:
        return os.getppid() == parent

    def run() -> None:
        path = watcher.wait_for_change(stop, alive)
        if path is not None and not stop.is_set():
            on_change(path)

    threading.Thread(target=run, name="hipflask-reloader", daemon=True).start()
    return stop


def _child_command() -> list[str]:
    """The command line that started this process, to run it again."""
    return [sys.executable, *sys.orig_argv[1:]]


def supervise(server_fd: int | None = None) -> int:
    """Run this program again as a serving child until it stops asking for restarts.

    ``server_fd`` is the listening socket to hand down (POSIX only). Returns the
    last child's exit status (0 after Ctrl+C). A SIGTERM is passed on to the
    child; once the child has stopped, the supervisor ends by the same signal.
    """
    env = dict(os.environ)
    env[RUN_MAIN_ENV] = "true"
    pass_fds: tuple[int, ...] = ()
    if server_fd is not None and os.name == "posix":
        env[SERVER_FD_ENV] = str(server_fd)
        pass_fds = (server_fd,)
    child: subprocess.Popen[bytes] | None = None
    terminated = False

    def forward_sigterm(signum: int, frame: object) -> None:
        nonlocal terminated
        terminated = True
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, forward_sigterm)
    try:
        while True:
            child = subprocess.Popen(_child_command(), env=env, pass_fds=pass_fds)
            try:
                code = child.wait()
            except KeyboardInterrupt:
                return _stop_child(child)
            if terminated:
                break
            if code != RESTART_CODE:
                return code
            print(" * Restarting", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    signal.raise_signal(signal.SIGTERM)
    return 0  # reached only when SIGTERM is handled by the previous handler


def _stop_child(child: subprocess.Popen[bytes]) -> int:
    """After Ctrl+C: let the child stop, asking it too when the signal missed it."""
    try:
        # From a terminal, Ctrl+C reached the child as well (same process group).
        child.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        # SIGTERM, not a second SIGINT: uvicorn takes that one as "stop at once".
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0
