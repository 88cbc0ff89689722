"""Sending files: ``send_file``, ``send_from_directory`` and ``safe_join``.

**Responses.** :func:`send_file` answers with the file as a :class:`FileBody`
(the open file, its path, and the byte span to send) in a response in direct
passthrough mode, with ``Content-Type`` guessed from the name,
``Content-Length``, ``Last-Modified``, ``Cache-Control`` (``no-cache``, or
``public, max-age=N`` with a max age), ``Expires``, an ``ETag`` and a
``Content-Disposition`` (RFC 6266; a non-ASCII name also goes in ``filename*``
as RFC 5987 ``UTF-8''`` percent-encoding). Size and modification time come
from ``fstat`` of the opened file, so they describe the bytes that are sent.
Then :func:`hipflask.http.conditional.make_conditional` answers the request's
``If-*`` headers (304, 412) and ``Range`` (206, ``multipart/byteranges`` for
several ranges, 416).

**Streaming.** A file is never read whole. The adapters recognise a
:class:`FileBody` that covers the whole file: under WSGI it is handed to the
server's ``wsgi.file_wrapper`` (``sendfile`` on gunicorn), under ASGI it is
sent with the ``http.response.pathsend`` extension when the server offers it.
Otherwise (and for byte ranges) the body is read in :data:`CHUNK_SIZE` chunks.

**Untrusted paths.** :func:`send_from_directory` serves a client-supplied
path only from inside a directory, and answers 404 (without touching anything
outside the directory) when the path

- contains a backslash, NUL or another control character;
- is absolute (``/etc/passwd``, UNC ``//host/share``) or has a drive
  (``C:...``), or climbs out with ``..`` after normalisation;
- names a Windows device in any segment (``CON``, ``NUL.txt``, ``a/NUL ``,
  ``COM1:``): refused on every platform, so a path set is portable;
- reaches through a symbolic link whose target lies outside the directory, or
  ends at anything but a regular file.

The lexical rules are :func:`safe_join`. Symbolic links are then resolved one
component at a time, by ``lstat`` and ``readlink`` of names inside the
directory only (never a look at a target outside it; an absolute target is
compared by name with the directory's path and, failing that, its real path),
at most :data:`MAX_SYMLINKS` of them. The final file is opened with
``O_NOFOLLOW`` and ``O_NONBLOCK`` (a FIFO cannot hang the worker) and must be
the same regular file that was resolved.
"""

from __future__ import annotations

import io
import mimetypes
import os
import posixpath
import re
import stat
import time
import typing as t
import unicodedata
from functools import lru_cache
from urllib.parse import quote
from zlib import adler32

from .globals import _cv_app, _cv_request, _no_app_msg
from .http.conditional import make_conditional
from .http.dates import http_date
from .http.exceptions import NotFound, RequestedRangeNotSatisfiable
from .http.header_structures import Headers
from .http.header_syntax import quote_etag, quote_header_value

if t.TYPE_CHECKING:
    from datetime import datetime

    from .app import Flask
    from .wrappers import Request, Response

__all__ = [
    "CHUNK_SIZE",
    "MAX_SYMLINKS",
    "FileBody",
    "safe_join",
    "send_file",
    "send_from_directory",
]

#: Bytes read from a file per chunk of a streamed body.
CHUNK_SIZE = 64 * 1024
#: Symbolic links followed while resolving one untrusted path.
MAX_SYMLINKS = 40

# Windows device names, refused as any path segment's stem.
_DEVICE_NAMES = frozenset(
    {
        "AUX",
        "CON",
        "CONIN$",
        "CONOUT$",
        "NUL",
        "PRN",
        *(f"COM{c}" for c in "123456789¹²³"),
        *(f"LPT{c}" for c in "123456789¹²³"),
    }
)
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\]").search
_DRIVE = re.compile(r"[A-Za-z]:").match
# O_NONBLOCK keeps a FIFO from blocking the open; regular files ignore it.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
)
# RFC 5987 attr-char, besides letters and digits.
_ATTR_CHARS = "!#$&+-.^_`|~"

MaxAge = int | t.Callable[[str | None], int | None] | None


class FileBody:
    """A file, or a byte span of it, as a response body read in chunks.

    ``offset`` is the absolute position to start at, or None to read from the
    file's current position (the whole file, for a freshly opened path);
    ``length`` caps the bytes sent (None: to the end of the file). ``path`` is
    the absolute file name when there is one, for ``pathsend``.
    """

    __slots__ = (
        "_base",
        "_remaining",
        "_started",
        "chunk_size",
        "file",
        "length",
        "offset",
        "path",
    )

    def __init__(
        self,
        file: t.IO[bytes],
        path: str | None = None,
        offset: int | None = None,
        length: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.file = file
        self.path = path
        self.offset = offset
        self.length = length
        self.chunk_size = chunk_size
        self._remaining = length
        self._started = False
        self._base: int | None = offset

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.path or self.file!r}"
            f" offset={self.offset} length={self.length}>"
        )

    def __iter__(self) -> FileBody:
        return self

    def __next__(self) -> bytes:
        if not self._started:
            self._started = True
            if self.offset is not None:
                self.file.seek(self.offset)
        remaining = self._remaining
        if remaining is None:
            data = self.file.read(self.chunk_size)
        elif remaining > 0:
            data = self.file.read(min(remaining, self.chunk_size))
            self._remaining = remaining - len(data)
        else:
            raise StopIteration
        if not data:
            raise StopIteration
        return data

    def with_range(self, start: int, length: int) -> FileBody:
        """A body for ``length`` bytes from ``start``, relative to this body's start."""
        base = self._base
        if base is None:
            # Where a file object was handed over is where its data begins.
            base = self._base = self.file.tell()
        return FileBody(self.file, self.path, base + start, length, self.chunk_size)

    def close(self) -> None:
        """Close the file."""
        self.file.close()


# -- untrusted paths ---------------------------------------------------------------


def _untrusted_parts(pathname: str) -> list[str] | None:
    """The normalised segments of a client's path, or None if it is unsafe."""
    if _UNSAFE_CHARS(pathname) is not None:
        return None
    normalized = posixpath.normpath(pathname)
    if (
        normalized[:1] == "/"
        or normalized == ".."
        or normalized[:3] == "../"
        or _DRIVE(normalized) is not None
        or os.path.isabs(normalized)
    ):
        return None
    parts = [part for part in normalized.split("/") if part and part != "."]
    for part in parts:
        stem = part.partition(":")[0].partition(".")[0].strip()
        if stem.upper() in _DEVICE_NAMES:
            return None
    return parts


def safe_join(directory: str, *pathnames: str) -> str | None:
    """Join untrusted ``pathnames`` onto ``directory``; None if one is unsafe.

    Only the names are checked (see the module docstring); nothing is looked
    up on disk. The result uses ``/`` separators.
    """
    parts = [directory or "."]
    for pathname in pathnames:
        if not pathname:
            continue
        segments = _untrusted_parts(pathname)
        if segments is None:
            return None
        parts.extend(segments)
    return posixpath.join(*parts)


def _within(root: str, target: str) -> str | None:
    """``target`` relative to ``root`` if it lies inside it (by name), else None."""
    root = root.rstrip("/") or "/"
    if target == root:
        return ""
    prefix = root if root.endswith("/") else root + "/"
    if target.startswith(prefix):
        return target[len(prefix) :]
    return None


def _resolve_inside(root: str, parts: list[str]) -> tuple[str, os.stat_result] | None:
    """Resolve ``parts`` under ``root`` following links that stay inside it.

    Only names inside ``root`` are looked up. Returns the resolved path and its
    ``lstat``, or None when the path escapes, loops or does not exist.
    """
    resolved: list[str] = []
    pending = parts[::-1]  # a stack: the next segment is last
    links = 0
    info: os.stat_result | None = None
    while pending:
        name = pending.pop()
        if not name or name == ".":
            continue
        if name == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, name)
        info = os.lstat(candidate)
        if stat.S_ISLNK(info.st_mode):
            links += 1
            if links > MAX_SYMLINKS:
                return None
            target = os.readlink(candidate)
            if os.sep != "/":
                target = target.replace(os.sep, "/")
            if target.startswith("/") or os.path.isabs(target):
                rest = _within(os.path.abspath(root).replace(os.sep, "/"), target)
                if rest is None:
                    real_root = os.path.realpath(root).replace(os.sep, "/")
                    rest = _within(real_root, target)
                if rest is None:
                    return None
                resolved = []
                target = rest
            pending.extend(reversed(target.split("/")))
            continue
        if pending and not stat.S_ISDIR(info.st_mode):
            return None
        resolved.append(name)
    if not resolved or info is None:
        return None
    return os.path.join(root, *resolved), info


def _open_inside(root: str, parts: list[str]) -> tuple[t.IO[bytes], str] | None:
    """Open the regular file ``parts`` names under ``root``, or None (see above)."""
    try:
        found = _resolve_inside(root, parts)
        if found is None:
            return None
        path, info = found
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
            info.st_dev,
            info.st_ino,
        ):
            os.close(fd)
            return None
        return open(fd, "rb", buffering=0), path
    except OSError:
        os.close(fd)
        return None


# -- responses ----------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _guess_type(name: str) -> tuple[str | None, str | None]:
    return mimetypes.guess_type(name)


def _disposition(download_name: str, as_attachment: bool) -> str:
    if "\r" in download_name or "\n" in download_name or "\0" in download_name:
        raise ValueError("The download name must not contain newline characters.")
    kind = "attachment" if as_attachment else "inline"
    if download_name.isascii():
        return f"{kind}; filename={quote_header_value(download_name)}"
    simple = unicodedata.normalize("NFKD", download_name)
    simple = simple.encode("ascii", "ignore").decode("ascii")
    encoded = quote(download_name.encode("utf-8", "replace"), safe=_ATTR_CHARS)
    return f"{kind}; filename={quote_header_value(simple)}; filename*=UTF-8''{encoded}"


def _current_app() -> Flask:
    try:
        return _cv_app.get().app
    except LookupError:
        raise RuntimeError(_no_app_msg) from None


def _file_response(
    app: Flask,
    file: t.IO[bytes] | None,
    path: str | None,
    *,
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> Response:
    """Build the response for an open ``file`` (or, with X-Sendfile, a ``path``).

    The arguments are :func:`send_file`'s; the caller closes ``file`` if this
    raises.
    """
    size: int | None = None
    mtime: float | None = None
    if path is not None:
        info = os.fstat(file.fileno()) if file is not None else os.stat(path)
        size = info.st_size
        mtime = info.st_mtime
        if download_name is None:
            download_name = os.path.basename(path)
    elif isinstance(file, io.BytesIO):
        size = file.getbuffer().nbytes - file.tell()

    header_list: list[tuple[str, str]] = []
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is"
                " not available. Either set 'download_name', pass a"
                " path instead of a file, or set 'mimetype'."
            )
        mimetype, encoding = _guess_type(download_name)
        if mimetype is None:
            mimetype = "application/octet-stream"
        # A browser would decompress an attachment such as a .tar.gz.
        if encoding is not None and not as_attachment:
            header_list.append(("Content-Encoding", encoding))
    if download_name is not None:
        header_list.append(
            ("Content-Disposition", _disposition(download_name, as_attachment))
        )
    elif as_attachment:
        raise TypeError(
            "No name provided for attachment. Either set"
            " 'download_name' or pass a path instead of a file."
        )

    body: FileBody | None = None
    if file is None:
        header_list.append(("X-Sendfile", t.cast(str, path)))
    else:
        body = FileBody(file, path, None, size)
    if size is not None:
        header_list.append(("Content-Length", str(size)))
    if last_modified is None:
        last_modified = mtime
    if last_modified is not None:
        header_list.append(("Last-Modified", http_date(last_modified)))
    if max_age is None:
        max_age = app.get_send_file_max_age
    if callable(max_age):
        max_age = max_age(path)
    if max_age is None:
        header_list.append(("Cache-Control", "no-cache"))
    else:
        max_age = int(max_age)
        directive = "public" if max_age > 0 else "no-cache"
        header_list.append(("Cache-Control", f"{directive}, max-age={max_age}"))
        header_list.append(("Expires", http_date(int(time.time() + max_age))))
    if isinstance(etag, str):
        header_list.append(("ETag", quote_etag(etag)))
    elif etag and path is not None:
        check = adler32(os.fsencode(path)) & 0xFFFFFFFF
        header_list.append(("ETag", quote_etag(f"{mtime}-{size}-{check}")))

    rv = app.response_class(
        body,
        mimetype=mimetype,
        headers=Headers._from_trusted_list(header_list),
        direct_passthrough=True,
    )
    req_ctx = _cv_request.get(None)
    if conditional and req_ctx is not None:
        request: Request = req_ctx.request
        try:
            make_conditional(
                rv,
                request,
                accept_ranges=True,
                complete_length=size,
                multiple_ranges=True,
            )
        except RequestedRangeNotSatisfiable:
            if body is not None:
                body.close()
            raise
        code = rv.status_code
        if code in {304, 412}:
            # No body follows: release the file now.
            if body is not None:
                body.close()
            rv.response = []
            rv.headers.remove("X-Sendfile")
            if code == 412:
                rv.headers.set("Content-Length", "0")
    return rv


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: MaxAge = None,
) -> Response:
    """Send a file (a path relative to the app's root, or a binary file object).

    Never pass a path a client chose: use :func:`send_from_directory` for that.
    ``max_age`` defaults to ``app.get_send_file_max_age``; with
    ``USE_X_SENDFILE`` the server is told the path instead of being sent bytes.
    """
    app = _current_app()
    file: t.IO[bytes] | None
    if isinstance(path_or_file, (str, os.PathLike)) or hasattr(
        path_or_file, "__fspath__"
    ):
        name = os.fsdecode(os.fspath(t.cast("os.PathLike[str]", path_or_file)))
        path: str | None = os.path.abspath(os.path.join(app.root_path, name))
        file = None
        if not app.config["USE_X_SENDFILE"]:
            # Closed by the response (or below if building it fails).
            file = open(t.cast(str, path), "rb")  # noqa: SIM115
    else:
        file = path_or_file
        path = None
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
    try:
        return _file_response(
            app,
            file,
            path,
            mimetype=mimetype,
            as_attachment=as_attachment,
            download_name=download_name,
            conditional=conditional,
            etag=etag,
            last_modified=last_modified,
            max_age=max_age,
        )
    except BaseException:
        if file is not None and path is not None:
            file.close()
        raise


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    **kwargs: t.Any,
) -> Response:
    """Send the file ``path`` from inside ``directory`` (relative to the app's root).

    ``path`` may come from the client: anything unsafe, missing or not a
    regular file raises :class:`~hipflask.http.exceptions.NotFound`.
    ``directory`` must not. Other arguments are those of :func:`send_file`.
    """
    app = _current_app()
    parts = _untrusted_parts(os.fspath(path))
    if not parts:
        raise NotFound()
    root = os.path.join(app.root_path, os.fspath(directory))
    found = _open_inside(root, parts)
    if found is None:
        raise NotFound()
    file, real_path = found
    if app.config["USE_X_SENDFILE"]:
        file.close()
        return _file_response(app, None, os.path.abspath(real_path), **kwargs)
    try:
        return _file_response(app, file, os.path.abspath(real_path), **kwargs)
    except BaseException:
        file.close()
        raise
