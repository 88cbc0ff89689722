"""JSON helpers that use the current application's provider when there is one."""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import _cv_app, _no_app_msg, current_app
from ..http.response import text_response
from .provider import DefaultJSONProvider, JSONProvider, _default

if t.TYPE_CHECKING:
    from ..wrappers import Response


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialise ``obj`` with ``current_app.json`` (or the standard library)."""
    if current_app:
        return current_app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialise ``obj`` into a file."""
    if current_app:
        current_app.json.dump(obj, fp, **kwargs)
    else:
        kwargs.setdefault("default", _default)
        _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Parse JSON with ``current_app.json`` (or the standard library)."""
    if current_app:
        return current_app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Parse JSON from a file."""
    if current_app:
        return current_app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """A JSON response: one argument as is, several as a list, keywords as a dict."""
    # PERF: the app straight from its context variable, not through the proxy.
    try:
        app = _cv_app.get().app
    except LookupError:
        raise RuntimeError(_no_app_msg) from None
    provider = app.json
    provider_type = type(provider)
    # PERF: with the default ``response`` and ``_prepare_response_obj`` (not
    # overridden on the class, not replaced on the instance), build the body and
    # the response here, as they would.
    if (
        provider_type.response is _DEFAULT_RESPONSE
        and provider_type._prepare_response_obj is _DEFAULT_PREPARE
        and "response" not in provider.__dict__
        and "_prepare_response_obj" not in provider.__dict__
    ):
        if args:
            if kwargs:
                raise TypeError(
                    "app.json.response() takes either args or kwargs, not both"
                )
            obj = args[0] if len(args) == 1 else args
        else:
            obj = kwargs or None
        return text_response(
            provider._app.response_class,
            provider._body(obj),  # type: ignore[attr-defined]
            provider.mimetype,  # type: ignore[attr-defined]
        )
    return provider.response(*args, **kwargs)


_DEFAULT_RESPONSE = DefaultJSONProvider.response
_DEFAULT_PREPARE = JSONProvider._prepare_response_obj
