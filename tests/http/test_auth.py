"""Tests for hipflask.http.auth: Authorization and WWW-Authenticate values."""

from __future__ import annotations

import copy
import pickle

import pytest
from markupsafe import escape
from werkzeug import datastructures as wzds

from hipflask.http.auth import Authorization, WWWAuthenticate


def test_authorization_basic() -> None:
    auth = Authorization.from_header("Basic dXNlcjpwYXNz")
    assert auth is not None
    assert auth.type == "basic"
    assert auth.username == "user"
    assert auth.password == "pass"
    assert auth["username"] == "user"
    assert auth.get("password") == "pass"
    assert auth.get("missing", "default") == "default"
    assert auth.realm is None
    assert "username" in auth
    assert "realm" not in auth
    assert auth.token is None
    assert auth.to_header() == "Basic dXNlcjpwYXNz"
    assert str(auth) == auth.to_header()
    assert repr(auth) == "<Authorization Basic dXNlcjpwYXNz>"


def test_authorization_bearer_and_params() -> None:
    bearer = Authorization.from_header("Bearer abc==")
    assert bearer is not None
    assert (bearer.type, bearer.token, bearer.parameters) == ("bearer", "abc==", {})
    assert bearer.to_header() == "Bearer abc=="
    digest = Authorization.from_header('Digest username="u", qop=auth, nc=00000001')
    assert digest is not None
    assert digest.parameters == {"username": "u", "qop": "auth", "nc": "00000001"}
    assert digest.username == "u"
    assert digest.to_header() == "Digest username=u, qop=auth, nc=00000001"


@pytest.mark.parametrize(
    "value",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer abc.def",
        'Digest username="a b", realm="r"',
        "Token",
    ],
)
def test_authorization_matches_werkzeug(value: str) -> None:
    ours = Authorization.from_header(value)
    theirs = wzds.Authorization.from_header(value)
    assert ours is not None and theirs is not None
    assert (ours.type, ours.parameters, ours.token) == (
        theirs.type,
        theirs.parameters,
        theirs.token,
    )
    assert ours.to_header() == theirs.to_header()


def test_authorization_no_colon_is_invalid() -> None:
    # Werkzeug accepts "user" as a username with an empty password; RFC 7617
    # requires the colon, so hipflask treats it as invalid.
    assert Authorization.from_header("Basic dXNlcg==") is None


def test_authorization_equality() -> None:
    one = Authorization("basic", {"username": "a", "password": "b"})
    assert one == Authorization("basic", {"username": "a", "password": "b"})
    assert one != Authorization("basic", {"username": "a", "password": "c"})
    assert one != Authorization("bearer", None, "t")
    assert one.__eq__("basic") is NotImplemented
    with pytest.raises(TypeError):
        hash(one)


def test_authorization_dunder_lookups_are_not_parameters() -> None:
    auth = Authorization("basic", {"__html__": "x"})
    with pytest.raises(AttributeError):
        auth.__html__  # noqa: B018
    assert escape(auth) == escape(str(auth))  # no __html__ from the parameters
    clone = copy.deepcopy(auth)
    assert clone == auth
    assert pickle.loads(pickle.dumps(auth)) == auth


def test_www_authenticate_basic() -> None:
    www = WWWAuthenticate("Basic", {"realm": "Login Required"})
    assert www.type == "basic"
    assert www.realm == "Login Required"
    assert www["realm"] == "Login Required"
    assert www.get("charset") is None
    assert "realm" in www
    assert www.to_header() == 'Basic realm="Login Required"'
    assert str(www) == www.to_header()
    assert repr(www) == '<WWWAuthenticate Basic realm="Login Required">'


@pytest.mark.parametrize(
    ("auth_type", "values", "token", "expected"),
    [
        ("basic", None, None, "Basic"),
        ("bearer", None, "abc", "Bearer abc"),
        (
            "bearer",
            {"realm": "api", "error": "invalid_token"},
            None,
            "Bearer realm=api, error=invalid_token",
        ),
        (
            "digest",
            {"realm": "r", "nonce": "n", "qop": "auth", "algorithm": "MD5"},
            None,
            'Digest realm="r", nonce="n", qop="auth", algorithm=MD5',
        ),
    ],
)
def test_www_authenticate_to_header(
    auth_type: str,
    values: dict[str, str | None] | None,
    token: str | None,
    expected: str,
) -> None:
    ours = WWWAuthenticate(auth_type, values, token)
    assert ours.to_header() == expected
    assert wzds.WWWAuthenticate(auth_type, values, token).to_header() == expected


def test_www_authenticate_from_header() -> None:
    www = WWWAuthenticate.from_header('Digest realm="r", nonce="n"')
    assert www is not None
    assert (www.type, www.parameters, www.token) == (
        "digest",
        {"realm": "r", "nonce": "n"},
        None,
    )
    bearer = WWWAuthenticate.from_header("Bearer abc")
    assert bearer is not None
    assert (bearer.type, bearer.token) == ("bearer", "abc")
    assert WWWAuthenticate.from_header("") is None


def test_www_authenticate_on_update() -> None:
    seen: list[str] = []
    www = WWWAuthenticate("basic")
    www._on_update = lambda changed: seen.append(changed.to_header())
    www.realm = "a"
    www["charset"] = "UTF-8"
    www.parameters["x"] = "1"
    www.set_me = None  # type: ignore[attr-defined]  # None deletes nothing here
    del www.x
    www["charset"] = None
    www.type = "Digest"
    www.token = "tok"
    www.parameters = {"realm": "b"}
    assert seen == [
        "Basic realm=a",
        "Basic realm=a, charset=UTF-8",
        "Basic realm=a, charset=UTF-8, x=1",
        "Basic realm=a, charset=UTF-8, x=1",
        "Basic realm=a, charset=UTF-8",
        "Basic realm=a",
        'Digest realm="a"',
        "Digest tok",
        "Digest tok",
    ]
    assert www.parameters == {"realm": "b"}


def test_www_authenticate_property_setters_are_not_parameters() -> None:
    # Werkzeug routes "www.token = x" into the parameters; hipflask sets the
    # token, as the property says.
    www = WWWAuthenticate("bearer")
    www.token = "abc"
    assert www.token == "abc"
    assert "token" not in www.parameters
    www.type = "basic"
    assert www.type == "basic"
    assert "type" not in www.parameters


def test_www_authenticate_delete_missing_is_quiet() -> None:
    seen: list[object] = []
    www = WWWAuthenticate("basic")
    www._on_update = seen.append
    del www["missing"]
    del www.missing
    assert seen == []


def test_www_authenticate_equality() -> None:
    assert WWWAuthenticate("basic", {"realm": "r"}) == WWWAuthenticate(
        "Basic", {"realm": "r"}
    )
    assert WWWAuthenticate("basic") != WWWAuthenticate("bearer")
    assert WWWAuthenticate("basic").__eq__(1) is NotImplemented
    with pytest.raises(AttributeError):
        WWWAuthenticate("basic").__html__  # noqa: B018
