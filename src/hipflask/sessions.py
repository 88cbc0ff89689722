"""Sessions: the session interface and Flask's signed-cookie implementation.

The cookie format is Flask's: the tagged-JSON session, signed with itsdangerous'
``URLSafeTimedSerializer`` (salt ``cookie-session``, HMAC key derivation, SHA-1),
so Flask and hipflask apps sharing a ``SECRET_KEY`` read each other's sessions.
``SECRET_KEY_FALLBACKS`` lists older keys still accepted; the newest signs.

Access tracking: reading the session marks it ``accessed`` (the response then
varies on Cookie); changing it marks it ``modified`` (the cookie is rewritten).
"""

from __future__ import annotations

import hmac
import time
import typing as t
import zlib
from binascii import a2b_base64
from collections.abc import MutableMapping
from datetime import datetime, timezone

from itsdangerous import (
    BadPayload,
    BadSignature,
    BadTimeSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from itsdangerous.signer import HMACAlgorithm

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


def _mark_changed(session: SecureCookieSession) -> None:
    """A session was changed: it must be saved, and it was accessed."""
    session.modified = True
    session.accessed = True


class SecureCookieSession(CallbackDict[str, t.Any], SessionMixin):
    """A dict that tracks reads (``accessed``) and writes (``modified``)."""

    modified = False
    accessed = False

    def __init__(self, initial: t.Mapping[str, t.Any] | None = None) -> None:
        super().__init__(initial, _mark_changed)

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
        headers.add("Vary", "Cookie")
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


# itsdangerous' URL-safe base64 alphabet, mapped onto the standard one.
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


# The "=" padding itsdangerous adds, by the length of the text modulo 4.
_PADDING = (b"", b"===", b"==", b"=")


def _b64decode(data: bytes) -> bytes:
    """itsdangerous' ``base64_decode``: pad, map ``-_`` to ``+/``, decode leniently.

    Raises ``binascii.Error`` (a ValueError) where it raises ``BadData``.
    """
    return a2b_base64((data + _PADDING[len(data) & 3]).translate(_URLSAFE_TO_STANDARD))


def _pad_sha1() -> t.Callable[[bytes], t.Any]:
    """The SHA-1 whose states are cheapest to copy.

    CPython's own ``_sha1`` copies a state with one memcpy; an OpenSSL state
    (hashlib's usual SHA-1) costs several times that to copy, and an HMAC
    here is two copies and two digests (each digest copies too). Both give
    the same hash; hashlib's is used where ``_sha1`` was left out of the build.
    """
    try:
        from _sha1 import sha1  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - CPython builds have it by default
        return _lazy_sha1
    return sha1  # type: ignore[no-any-return]


def _sha1_hmac_pads(key: bytes) -> tuple[t.Any, t.Any]:
    """SHA-1 states after the inner and outer HMAC pads of ``key`` (RFC 2104)."""
    sha1 = _pad_sha1()
    if len(key) > 64:  # SHA-1's block size
        key = sha1(key).digest()
    key = key.ljust(64, b"\0")
    return sha1(key.translate(_INNER_PAD)), sha1(key.translate(_OUTER_PAD))


_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class _CookieReader:
    """Verifies and decodes what a ``URLSafeTimedSerializer`` signed, in one pass.

    PERF: itsdangerous builds a signer per ``loads``, runs the HMAC through
    ``hmac.new`` and decodes base64 with several checks per piece; reading a
    session cookie that way costs more than the rest of a request. This does
    the same checks on the same bytes, in the same order of outcomes:

    ``payload.timestamp.signature``: the signature is URL-safe base64 of the
    HMAC of ``payload.timestamp`` under any of the derived keys (newest
    first); the timestamp is the big-endian seconds (at most 8 bytes), not
    older than ``max_age`` and not in the future; the payload is base64 of
    the serialised data, zlib-compressed when it starts with ``.``.

    Every failure raises ``BadData`` (or the error itsdangerous lets escape,
    such as ``UnicodeEncodeError`` for a value that is not UTF-8).
    The keys come from itsdangerous' own signer (its key derivation), and
    writing cookies stays with itsdangerous.
    """

    __slots__ = ("_digest", "_keys", "_serializer", "_sha1_pads", "_text")

    def __init__(self, serializer: URLSafeTimedSerializer) -> None:
        signer = serializer.make_signer()
        self._keys = tuple(signer.derive_key(k) for k in reversed(signer.secret_keys))
        self._digest: t.Any = signer.digest_method
        # For SHA-1 (the default), each key's HMAC pads are hashed once: an HMAC
        # is then two hash copies and updates, a third of the time of a fresh
        # hmac.digest (which sets up OpenSSL's HMAC for every call). Another
        # digest goes through hmac.new, exactly as itsdangerous calls it.
        self._sha1_pads: tuple[tuple[t.Any, t.Any], ...] | None = None
        if signer.digest_method is _lazy_sha1:
            self._sha1_pads = tuple(_sha1_hmac_pads(key) for key in self._keys)
        self._serializer: t.Any = serializer.serializer
        self._text = serializer.is_text_serializer

    @staticmethod
    def usable(serializer: URLSafeTimedSerializer) -> bool:
        """Whether ``serializer`` is one this reader matches exactly."""
        if (
            type(serializer) is not URLSafeTimedSerializer
            or serializer.fallback_signers
        ):
            return False
        signer = serializer.make_signer()
        return (
            type(signer) is _KeyCachingSigner
            and signer.sep == b"."
            and type(signer.algorithm) is HMACAlgorithm
            and signer.algorithm.digest_method is signer.digest_method
        )

    def loads(self, cookie: str, max_age: int) -> t.Any:
        """The data signed in ``cookie``; BadData if invalid, expired or unreadable."""
        signed = cookie.encode()
        value, dot, signature = signed.rpartition(b".")
        if not dot:
            raise BadSignature("No '.' found in value")
        try:
            # PERF: _b64decode, inlined (three per cookie).
            mac = a2b_base64(
                (signature + _PADDING[len(signature) & 3]).translate(
                    _URLSAFE_TO_STANDARD
                )
            )
        except ValueError:
            raise BadSignature("Invalid signature encoding") from None
        pads = self._sha1_pads
        if pads is not None:
            for inner_pad, outer_pad in pads:
                inner = inner_pad.copy()
                inner.update(value)
                outer = outer_pad.copy()
                outer.update(inner.digest())
                if hmac.compare_digest(mac, outer.digest()):
                    break
            else:
                raise BadSignature("Signature does not match")
        else:
            digest = self._digest
            for key in self._keys:
                if hmac.compare_digest(mac, hmac.new(key, value, digest).digest()):
                    break
            else:
                raise BadSignature("Signature does not match")
        payload, dot, stamp = value.rpartition(b".")
        if not dot:
            raise BadTimeSignature("timestamp missing")
        try:
            stamp_bytes = a2b_base64(
                (stamp + _PADDING[len(stamp) & 3]).translate(_URLSAFE_TO_STANDARD)
            )
        except ValueError:
            raise BadTimeSignature("Malformed timestamp") from None
        if len(stamp_bytes) > 8:
            raise BadTimeSignature("Malformed timestamp")
        age = int(time.time()) - int.from_bytes(stamp_bytes, "big")
        if age > max_age or age < 0:
            raise SignatureExpired(f"Signature age {age} outside 0..{max_age} seconds")
        try:
            if payload[:1] == b".":
                data = zlib.decompress(_b64decode(payload[1:]))
            else:
                data = _b64decode(payload)
            return self._serializer.loads(data.decode() if self._text else data)
        except Exception as e:
            raise BadPayload("Could not load the payload", original_error=e) from e


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
        signing = self._signing(app)
        return None if signing is None else signing[0]

    def _signing(
        self, app: Flask
    ) -> tuple[URLSafeTimedSerializer, _CookieReader | None] | None:
        """The cached serializer, and a reader for its cookies when one fits."""
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
        cache: dict[t.Any, tuple[URLSafeTimedSerializer, _CookieReader | None]]
        cache = self.__dict__.get("_serializers")  # type: ignore[assignment]
        if cache is None:
            cache = self.__dict__["_serializers"] = {}
        signing = cache.get(key)
        if signing is None:
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
            reader = (
                _CookieReader(serializer) if _CookieReader.usable(serializer) else None
            )
            signing = (serializer, reader)
            if len(cache) >= 8:  # keys rotate rarely; keep the cache small
                cache.clear()
            cache[key] = signing
        return signing

    def _cookie_options(self, app: Flask) -> tuple[str, dict[str, t.Any]]:
        """The cookie's name, and the attributes set_cookie/delete_cookie take."""
        name = self.get_cookie_name(app)
        options = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "partitioned": self.get_cookie_partitioned(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        return name, options

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Verify and load the cookie; a bad or expired one gives an empty session."""
        reader: _CookieReader | None = None
        if (
            type(self).get_signing_serializer
            is SecureCookieSessionInterface.get_signing_serializer
        ):
            signing = self._signing(app)
            if signing is None:
                return None
            s, reader = signing
        else:
            s = self.get_signing_serializer(app)  # type: ignore[assignment]
            if s is None:
                return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            if reader is not None:
                data = reader.loads(val, max_age)
            else:
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
        accessed = session.accessed
        if accessed:
            _vary_on_cookie(response)
        try:
            # PERF: the cookie settings are read only when a cookie is sent; most
            # responses (a session only read) send none.
            if not session:
                if session.modified:
                    name, options = self._cookie_options(app)
                    response.delete_cookie(name, **options)
                    _vary_on_cookie(response)
                return
            if not self.should_set_cookie(app, session):
                return
            name, options = self._cookie_options(app)
            expires = self.get_expiration_time(app, session)
            val = self.get_signing_serializer(app).dumps(dict(session))  # type: ignore[union-attr]
            response.set_cookie(name, val, expires=expires, **options)
            _vary_on_cookie(response)
        finally:
            # Reading the session to save it is not the app accessing it.
            session.accessed = accessed


_VARY_COOKIE: list[tuple[str, str]] = [("Vary", "Cookie")]
_NO_HEADERS: list[tuple[str, str]] = []


def _read_session_headers(
    interface: SessionInterface, app: Flask, session: SessionMixin
) -> list[tuple[str, str]] | None:
    """The headers saving ``session`` adds to a response when it sets no cookie.

    PERF: a session that was only read (not modified, not a permanent one to
    refresh) needs no Response object to be saved onto: saving adds at most
    ``Vary: Cookie``, so the pipeline may send a plain response with these
    headers. None when saving must run: another interface or session class,
    a method of the interface replaced on the instance, or a cookie to write
    or delete.
    """
    if (
        type(interface) is not SecureCookieSessionInterface
        or type(session) is not SecureCookieSession
        or session.modified
    ):
        return None
    overrides = interface.__dict__
    if overrides and (len(overrides) > 1 or "_serializers" not in overrides):
        return None
    if (
        dict.__len__(session)
        and dict.get(session, "_permanent", False)
        and app.config["SESSION_REFRESH_EACH_REQUEST"]
    ):
        return None
    return _VARY_COOKIE if session.accessed else _NO_HEADERS
