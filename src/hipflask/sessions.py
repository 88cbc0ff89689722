"""Sessions: the session interface and Flask's signed-cookie implementation.

The cookie format is Flask's: the tagged-JSON session, signed with itsdangerous'
``URLSafeTimedSerializer`` (salt ``cookie-session``, HMAC key derivation, SHA-1),
so Flask and hipflask apps sharing a ``SECRET_KEY`` read each other's sessions.
``SECRET_KEY_FALLBACKS`` lists older keys still accepted; the newest signs.

Access tracking: reading the session marks it ``accessed`` (the response then
varies on Cookie); changing it marks it ``modified`` (the cookie is rewritten).
"""

from __future__ import annotations

import typing as t
from collections.abc import MutableMapping
from datetime import datetime, timezone

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from .http.datastructures import CallbackDict
from .json.tag import TaggedJSONSerializer

if t.TYPE_CHECKING:
    from .app import Flask
    from .wrappers import Request, Response


class SessionMixin(MutableMapping[str, t.Any]):
    """What every session offers beyond a mapping."""

    @property
    def permanent(self) -> bool:
        """Whether the cookie outlives the browser session."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)

    new = False
    modified = True
    accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """A dict that tracks reads (``accessed``) and writes (``modified``)."""

    modified = False
    accessed = False

    def __init__(self, initial: t.Mapping[str, t.Any] | None = None) -> None:
        def on_update(self: SecureCookieSession) -> None:
            self.modified = True
            self.accessed = True

        super().__init__(initial, on_update)

    def __getitem__(self, key: str) -> t.Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: t.Any = None) -> t.Any:
        self.accessed = True
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __iter__(self) -> t.Iterator[str]:
        self.accessed = True
        return super().__iter__()

    def __len__(self) -> int:
        self.accessed = True
        return super().__len__()


class NullSession(SecureCookieSession):
    """The session when no secret key is set: readable, not writable."""

    def _fail(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "The session is unavailable because no secret "
            "key was set.  Set the secret_key on the "
            "application to something unique and secret."
        )

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail


class SessionInterface:
    """How sessions are opened and saved; subclass to store them elsewhere."""

    null_session_class = NullSession
    pickle_based = False

    def make_null_session(self, app: Flask) -> NullSession:
        """The session used when a real one can't be opened."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is a null session."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Flask) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Flask) -> str | None:
        """``SESSION_COOKIE_DOMAIN`` (None: the browser's default)."""
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: Flask) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: Flask) -> bool:
        """``SESSION_COOKIE_HTTPONLY``."""
        return app.config["SESSION_COOKIE_HTTPONLY"]  # type: ignore[no-any-return]

    def get_cookie_secure(self, app: Flask) -> bool:
        """``SESSION_COOKIE_SECURE``."""
        return app.config["SESSION_COOKIE_SECURE"]  # type: ignore[no-any-return]

    def get_cookie_samesite(self, app: Flask) -> str | None:
        """``SESSION_COOKIE_SAMESITE``."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """``SESSION_COOKIE_PARTITIONED``."""
        return app.config["SESSION_COOKIE_PARTITIONED"]  # type: ignore[no-any-return]

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """Expiry of a permanent session (None for a browser session)."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        """Whether to send the cookie: modified, or permanent and refreshed."""
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        )

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """Load the session for a request (None: use a null session)."""
        raise NotImplementedError

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Persist the session on the response."""
        raise NotImplementedError


session_json_serializer = TaggedJSONSerializer()


def _vary_on_cookie(response: Response) -> None:
    """Add ``Cookie`` to the response's Vary header (once)."""
    # PERF: the common case (no Vary yet) skips building a HeaderSet view.
    headers = response.headers
    if "Vary" not in headers:
        headers["Vary"] = "Cookie"
    else:
        response.vary.add("Cookie")


class _KeyCachingSigner(TimestampSigner):
    """A timestamp signer that derives each secret key once, not per signature.

    itsdangerous makes a new signer for every ``loads``/``dumps``, so the derived
    keys are cached on the class, keyed by everything the derivation uses.
    """

    _derived: t.ClassVar[dict[tuple[t.Any, ...], bytes]] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        raw = self.secret_keys[-1] if secret_key is None else secret_key
        cache_key = (raw, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(cache_key)
        if derived is None:
            derived = super().derive_key(secret_key)
            if len(self._derived) >= 64:
                self._derived.clear()
            self._derived[cache_key] = derived
        return derived


def _lazy_sha1(string: bytes = b"") -> t.Any:
    import hashlib  # imported with the first session, not with hipflask

    return hashlib.sha1(string)


class SecureCookieSessionInterface(SessionInterface):
    """Sessions stored in a signed cookie (Flask's default, same format)."""

    salt = "cookie-session"
    digest_method = staticmethod(_lazy_sha1)
    key_derivation = "hmac"
    serializer = session_json_serializer
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The signer (None when the app has no secret key).

        One serializer per set of keys and settings is kept and reused: building
        one costs more than verifying a cookie (itsdangerous probes the
        serializer, and derives each key with an HMAC on every use otherwise).
        """
        secret_key = app.secret_key
        if not secret_key:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]
        key = (
            secret_key,
            tuple(fallbacks) if fallbacks else (),
            self.salt,
            self.key_derivation,
            self.digest_method,
            self.serializer,
        )
        cache: dict[t.Any, URLSafeTimedSerializer] | None = self.__dict__.get(
            "_serializers"
        )
        if cache is None:
            cache = self.__dict__["_serializers"] = {}
        serializer = cache.get(key)
        if serializer is None:
            keys: list[str | bytes] = [*key[1], secret_key]
            serializer = URLSafeTimedSerializer(
                keys,  # type: ignore[arg-type]
                salt=self.salt,
                serializer=self.serializer,
                signer=_KeyCachingSigner,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            if len(cache) >= 8:  # keys rotate rarely; keep the cache small
                cache.clear()
            cache[key] = serializer
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Verify and load the cookie; a bad or expired one gives an empty session."""
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data = s.loads(val, max_age=max_age)
            return self.session_class(data)
        except BadSignature:
            return self.session_class()
        except Exception:
            # Signed by us but unreadable (e.g. tags changed): start afresh.
            return self.session_class()

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Write (or delete) the cookie, and vary on Cookie when it was read."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)
        accessed = session.accessed
        if accessed:
            _vary_on_cookie(response)
        try:
            if not session:
                if session.modified:
                    response.delete_cookie(
                        name,
                        domain=domain,
                        path=path,
                        secure=secure,
                        partitioned=partitioned,
                        samesite=samesite,
                        httponly=httponly,
                    )
                    _vary_on_cookie(response)
                return
            if not self.should_set_cookie(app, session):
                return
            expires = self.get_expiration_time(app, session)
            val = self.get_signing_serializer(app).dumps(dict(session))  # type: ignore[union-attr]
            response.set_cookie(
                name,
                val,
                expires=expires,
                httponly=httponly,
                domain=domain,
                path=path,
                secure=secure,
                partitioned=partitioned,
                samesite=samesite,
            )
            _vary_on_cookie(response)
        finally:
            # Reading the session to save it is not the app accessing it.
            session.accessed = accessed
