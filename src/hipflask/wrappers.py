"""Flask's Request and Response: the HTTP toolkit's classes plus app awareness."""

from __future__ import annotations

import typing as t

from . import json as _json_module
from .globals import _cv_app
from .helpers import _split_blueprint_path
from .http.exceptions import BadRequest
from .http.request import FILES_ONLY_CLOSE, _from_asgi_in_c
from .http.request import Request as _HTTPRequest
from .http.response import Response as _HTTPResponse
from .http.response import _text_response_in_c


class Request(_HTTPRequest):
    """The request object a Flask application sees as ``request``."""

    json_module: t.Any = _json_module

    _max_content_length: int | None = None
    _max_form_memory_size: int | None = None
    _max_form_parts: int | None = None

    @property
    def max_content_length(self) -> int | None:
        """Body size limit: this request's own, else ``MAX_CONTENT_LENGTH``."""
        if self._max_content_length is not None:
            return self._max_content_length
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            return None
        return app_ctx.app.config["MAX_CONTENT_LENGTH"]  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """Limit for a non-file form field: this request's, else the config's."""
        if self._max_form_memory_size is not None:
            return self._max_form_memory_size
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            return 500_000
        return app_ctx.app.config["MAX_FORM_MEMORY_SIZE"]  # type: ignore[no-any-return]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        """Limit on form parts: this request's, else ``MAX_FORM_PARTS``."""
        if self._max_form_parts is not None:
            return self._max_form_parts
        app_ctx = _cv_app.get(None)
        if app_ctx is None:
            return 1_000
        return app_ctx.app.config["MAX_FORM_PARTS"]  # type: ignore[no-any-return]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    def _form_limits(self) -> tuple[int | None, int | None, int | None]:
        cls = type(self)
        if (
            cls.max_content_length is _MAX_CONTENT_LENGTH
            and cls.max_form_memory_size is _MAX_FORM_MEMORY_SIZE
            and cls.max_form_parts is _MAX_FORM_PARTS
        ):
            app_ctx = _cv_app.get(None)
            if app_ctx is not None:
                # PERF: the three properties' answers from one context lookup.
                config = app_ctx.app.config
                max_length = self._max_content_length
                if max_length is None:
                    max_length = config["MAX_CONTENT_LENGTH"]
                memory = self._max_form_memory_size
                if memory is None:
                    memory = config["MAX_FORM_MEMORY_SIZE"]
                parts = self._max_form_parts
                if parts is None:
                    parts = config["MAX_FORM_PARTS"]
                return max_length, memory, parts
        return super()._form_limits()

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # In debug mode, explain a files[] lookup on a non-multipart form.
        app_ctx = _cv_app.get(None)
        if (
            app_ctx is not None
            and app_ctx.app.debug
            and self.mimetype != "multipart/form-data"
            and not self.files
        ):
            from .debughelpers import attach_enctype_error_multidict

            attach_enctype_error_multidict(self)

    @property
    def endpoint(self) -> str | None:
        """The matched endpoint, if any."""
        rule = self.url_rule
        return rule.endpoint if rule is not None else None

    @property
    def blueprint(self) -> str | None:
        """The (dotted) name of the matched endpoint's blueprint."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The matched blueprint and its parents, innermost first."""
        name = self.blueprint
        if name is None:
            return []
        return _split_blueprint_path(name)

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        """415/400 for bad JSON; the parser's message only in debug mode."""
        try:
            return super().on_json_loading_failed(e)
        except BadRequest as ebr:
            app_ctx = _cv_app.get(None)
            if e is None or (app_ctx is not None and app_ctx.app.debug):
                raise
            raise BadRequest("The request body is not valid JSON.") from ebr


FILES_ONLY_CLOSE.add(Request)  # it keeps the base class's close()
_from_asgi_in_c(Request)  # and its fields
_MAX_CONTENT_LENGTH = Request.max_content_length
_MAX_FORM_MEMORY_SIZE = Request.max_form_memory_size
_MAX_FORM_PARTS = Request.max_form_parts


class Response(_HTTPResponse):
    """The response class a Flask application uses by default."""

    default_mimetype: str | None = "text/html"
    json_module: t.Any = _json_module
    autocorrect_location_header = False

    _max_cookie_size: int | None = None

    @property
    def max_cookie_size(self) -> int:
        """``MAX_COOKIE_SIZE`` of the current app (4093 outside one)."""
        if self._max_cookie_size is not None:
            return self._max_cookie_size
        app_ctx = _cv_app.get(None)
        if app_ctx is not None:
            return int(app_ctx.app.config["MAX_COOKIE_SIZE"])
        return 4093

    @max_cookie_size.setter
    def max_cookie_size(self, value: int) -> None:
        self._max_cookie_size = value


_text_response_in_c(Response)  # it keeps the base class's fields
