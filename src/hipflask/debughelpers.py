"""Errors that explain common mistakes, raised only in debug mode."""

from __future__ import annotations

import typing as t

from .http.exceptions import BadRequestKeyError

if t.TYPE_CHECKING:
    from .wrappers import Request


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised where bytes were expected but a str with non-ASCII came."""


class DebugFilesKeyError(KeyError, AssertionError):
    """``request.files[key]`` on a form sent without ``multipart/form-data``."""

    def __init__(self, request: Request, key: str) -> None:
        form_matches = request.form.getlist(key)
        buf = [
            f"You tried to access the file {key!r} in the request.files"
            " dictionary but it does not exist. The mimetype for the"
            f" request is {request.mimetype!r} instead of"
            " 'multipart/form-data' which means that no file contents"
            " were transmitted. To fix this error you should provide"
            ' enctype="multipart/form-data" in your form.'
        ]
        if form_matches:
            names = ", ".join(repr(x) for x in form_matches)
            buf.append(
                "\n\nThe browser instead transmitted some file names. "
                f"This was submitted: {names}"
            )
        self.msg = "".join(buf)

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):
    """A redirect that would drop form data (301/302 on a POST) in debug mode."""

    def __init__(self, request: Request) -> None:
        exc = request.routing_exception
        new_url: str = getattr(exc, "new_url", "")
        buf = [
            f"A request was sent to '{request.url}', but routing issued"
            f" a redirect to the canonical URL '{new_url}'."
        ]
        if f"{request.base_url}/" == new_url.partition("?")[0]:
            buf.append(
                " The URL was defined with a trailing slash. Flask"
                " will redirect to the URL with a trailing slash if it"
                " was accessed without one."
            )
        buf.append(
            " Send requests to the canonical URL, or use 307 or 308 for"
            " routing redirects. Otherwise, browsers will drop form"
            " data.\n\n"
            "This exception is only raised in debug mode."
        )
        super().__init__("".join(buf))


def attach_enctype_error_multidict(request: Request) -> None:
    """Make ``request.files[key]`` explain a missing multipart enctype."""
    oldcls = request.files.__class__

    class newcls(oldcls):  # type: ignore[valid-type, misc]
        __slots__ = ()

        def __getitem__(self, key: str) -> t.Any:
            try:
                return super().__getitem__(key)
            except KeyError as e:
                if key not in request.form:
                    raise
                raise DebugFilesKeyError(request, key).with_traceback(
                    e.__traceback__
                ) from None

    newcls.__name__ = oldcls.__name__
    newcls.__module__ = oldcls.__module__
    request.files.__class__ = newcls


def __getattr__(name: str) -> t.Any:
    # Flask keeps this in debughelpers; ours lives with the Jinja classes.
    if name == "explain_template_loading_attempts":
        from .jinja import explain_template_loading_attempts

        return explain_template_loading_attempts
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BadRequestKeyError",
    "DebugFilesKeyError",
    "FormDataRoutingRedirect",
    "UnexpectedUnicodeError",
    "attach_enctype_error_multidict",
]
