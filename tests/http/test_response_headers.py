"""Response header views added for Werkzeug parity: CSP, CORS, COOP and COEP.

The older views (cookies, dates, ``cache_control``...) are tested in
test_response.py. Each attribute here is read on missing, well-formed and
malformed headers, written and read back, and compared with Werkzeug where the
two are meant to agree.
"""

from __future__ import annotations

import typing as t
from datetime import timedelta

import flask
import pytest
import werkzeug.http
from werkzeug.wrappers import Response as WerkzeugResponse

from hipflask import Response as AppResponse
from hipflask.http.header_types import ContentSecurityPolicy
from hipflask.http.headers import COEP, COOP
from hipflask.http.response import Response

CSP = "Content-Security-Policy"
CSP_RO = "Content-Security-Policy-Report-Only"


# -- Content-Security-Policy -----------------------------------------------------


@pytest.mark.parametrize(
    ("attr", "header"),
    [
        ("content_security_policy", CSP),
        ("content_security_policy_report_only", CSP_RO),
    ],
)
def test_csp_view_writes_back(attr: str, header: str) -> None:
    response = Response("x")
    csp = getattr(response, attr)
    assert isinstance(csp, ContentSecurityPolicy)
    assert not csp
    assert header not in response.headers
    csp.default_src = "'self'"
    assert response.headers[header] == "default-src 'self'"
    # Every read parses the header afresh and writes back on change.
    getattr(response, attr).img_src = "* data:"
    assert response.headers[header] == "default-src 'self'; img-src * data:"
    assert getattr(response, attr).img_src == "* data:"
    getattr(response, attr)["upgrade-insecure-requests"] = ""
    assert response.headers[header] == (
        "default-src 'self'; img-src * data:; upgrade-insecure-requests"
    )
    csp = getattr(response, attr)
    csp.clear()
    assert header not in response.headers


def test_csp_header_names_are_exact() -> None:
    response = Response()
    response.content_security_policy.default_src = "'none'"
    response.content_security_policy_report_only.default_src = "'self'"
    assert [name for name, _ in response.headers.items()][-2:] == [CSP, CSP_RO]


@pytest.mark.parametrize(
    "value",
    [
        "default-src 'self'; img-src *",
        ContentSecurityPolicy({"default-src": "'self'", "img-src": "*"}),
        {"default-src": "'self'", "img-src": "*"},
    ],
    ids=["str", "policy", "mapping"],
)
def test_csp_assignment(value: t.Any) -> None:
    response = Response()
    response.content_security_policy = value
    assert response.headers[CSP] == "default-src 'self'; img-src *"
    assert response.content_security_policy == {"default-src": "'self'", "img-src": "*"}


@pytest.mark.parametrize("empty", [None, "", {}, ContentSecurityPolicy()])
def test_csp_assigning_nothing_removes_the_header(empty: t.Any) -> None:
    response = Response(headers={CSP: "default-src 'self'"})
    response.content_security_policy = empty
    assert CSP not in response.headers
    response.content_security_policy = empty  # absent already: no error
    assert CSP not in response.headers


@pytest.mark.parametrize("bad", [5, ["default-src 'self'"], [], 0])
def test_csp_assigning_another_type_raises(bad: t.Any) -> None:
    response = Response()
    with pytest.raises(TypeError, match="content_security_policy takes"):
        response.content_security_policy = bad
    with pytest.raises(TypeError, match="content_security_policy_report_only takes"):
        response.content_security_policy_report_only = bad


def test_csp_assigned_object_is_not_bound() -> None:
    shared = ContentSecurityPolicy({"default-src": "'self'"})
    first, second = Response(), Response()
    first.content_security_policy = shared
    second.content_security_policy = shared
    shared.img_src = "*"
    assert first.headers[CSP] == second.headers[CSP] == "default-src 'self'"


def test_csp_directive_with_a_semicolon_raises_and_keeps_the_header() -> None:
    response = Response(headers={CSP: "default-src 'self'"})
    with pytest.raises(ValueError, match="'script-src'"):
        response.content_security_policy.script_src = "* ; img-src evil"
    assert response.headers[CSP] == "default-src 'self'"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", {}),
        (";;; ", {}),
        ("default-src", {"default-src": ""}),
        ("DEFAULT-SRC 'self';", {"default-src": "'self'"}),
        ("a b; a c; ;  d", {"a": "b", "d": ""}),
        ("é\xa0x", {"é\xa0x": ""}),
    ],
)
def test_csp_malformed_header_reads_leniently(
    header: str, expected: dict[str, str]
) -> None:
    response = Response(headers={CSP: header})
    assert response.content_security_policy == expected
    # A change rewrites the header from what was read.
    response.content_security_policy.object_src = "'none'"
    assert response.content_security_policy == {**expected, "object-src": "'none'"}


def test_csp_round_trip_keeps_valueless_directives() -> None:
    header = "default-src 'self'; upgrade-insecure-requests; block-all-mixed-content"
    response = Response(headers={CSP: header})
    response.content_security_policy.img_src = "*"
    assert response.headers[CSP] == header + "; img-src *"


# -- CORS ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("true", True),
        (" true ", True),
        ("false", False),
        ("TRUE", False),
        ("", False),
        ("yes", False),
    ],
)
def test_access_control_allow_credentials_reads(
    header: str | None, expected: bool
) -> None:
    headers = {} if header is None else {"Access-Control-Allow-Credentials": header}
    assert Response(headers=headers).access_control_allow_credentials is expected


def test_access_control_allow_credentials_writes() -> None:
    response = Response()
    response.access_control_allow_credentials = True
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.access_control_allow_credentials is True
    response.access_control_allow_credentials = False
    assert "Access-Control-Allow-Credentials" not in response.headers
    response.headers["Access-Control-Allow-Credentials"] = "false"
    response.access_control_allow_credentials = None
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize(
    ("attr", "header"),
    [
        ("access_control_allow_headers", "Access-Control-Allow-Headers"),
        ("access_control_allow_methods", "Access-Control-Allow-Methods"),
        ("access_control_expose_headers", "Access-Control-Expose-Headers"),
    ],
)
def test_access_control_header_sets(attr: str, header: str) -> None:
    response = Response()
    assert getattr(response, attr) is None  # absent: None, as in Werkzeug
    setattr(response, attr, ["X-One"])
    assert response.headers[header] == "X-One"
    getattr(response, attr).add("x-one")  # case-insensitive: no duplicate
    getattr(response, attr).add("X-Two")  # a present header's set writes back
    assert response.headers[header] == "X-One, X-Two"
    assert "x-two" in getattr(response, attr)
    getattr(response, attr).clear()
    assert header not in response.headers
    assert getattr(response, attr) is None
    setattr(response, attr, ["GET", "POST"])
    assert response.headers[header] == "GET, POST"
    setattr(response, attr, "PUT, DELETE")
    assert list(getattr(response, attr)) == ["PUT", "DELETE"]
    setattr(response, attr, None)
    assert header not in response.headers
    response.headers[header] = ' , "quoted", ,a'
    assert list(getattr(response, attr)) == ["quoted", "a"]


def test_access_control_allow_origin() -> None:
    response = Response()
    assert response.access_control_allow_origin is None
    response.access_control_allow_origin = "https://example.com"
    assert response.headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert response.access_control_allow_origin == "https://example.com"
    response.access_control_allow_origin = None
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("600", 600),
        (" 600 ", 600),
        ("-1", -1),
        ("1.5", None),
        ("abc", None),
        ("", None),
        ("9" * 5000, None),
    ],
)
def test_access_control_max_age_reads(header: str | None, expected: int | None) -> None:
    headers = {} if header is None else {"Access-Control-Max-Age": header}
    assert Response(headers=headers).access_control_max_age == expected


@pytest.mark.parametrize(
    ("value", "header"),
    [(600, "600"), (timedelta(minutes=2), "120"), ("30", "30"), (0, "0")],
)
def test_access_control_max_age_writes(value: t.Any, header: str) -> None:
    response = Response()
    response.access_control_max_age = value
    assert response.headers["Access-Control-Max-Age"] == header
    assert response.access_control_max_age == int(header)
    response.access_control_max_age = None
    assert "Access-Control-Max-Age" not in response.headers


@pytest.mark.parametrize("bad", [True, 1.5, [1]])
def test_access_control_max_age_rejects_other_types(bad: t.Any) -> None:
    response = Response()
    with pytest.raises(TypeError, match="access_control_max_age takes"):
        response.access_control_max_age = bad
    assert "Access-Control-Max-Age" not in response.headers


# -- Cross-Origin-Opener-Policy / -Embedder-Policy -------------------------------

POLICIES = [
    ("cross_origin_opener_policy", "Cross-Origin-Opener-Policy", COOP),
    ("cross_origin_embedder_policy", "Cross-Origin-Embedder-Policy", COEP),
]
POLICY_IDS = ["coop", "coep"]


@pytest.mark.parametrize(("attr", "header", "enum"), POLICIES, ids=POLICY_IDS)
def test_policy_default_and_members(attr: str, header: str, enum: t.Any) -> None:
    response = Response()
    assert getattr(response, attr) is enum.UNSAFE_NONE
    assert header not in response.headers
    for member in enum:
        setattr(response, attr, member)
        assert response.headers[header] == member.value
        assert getattr(response, attr) is member
        setattr(response, attr, member.value)  # its str value works too
        assert getattr(response, attr) is member
    setattr(response, attr, None)
    assert header not in response.headers
    assert getattr(response, attr) is enum.UNSAFE_NONE


@pytest.mark.parametrize(("attr", "header", "enum"), POLICIES, ids=POLICY_IDS)
@pytest.mark.parametrize(
    "value", ["", "bogus", "SAME-ORIGIN", "require-corp,same-origin", ";", "é"]
)
def test_policy_unknown_header_reads_as_the_default(
    attr: str, header: str, enum: t.Any, value: str
) -> None:
    response = Response(headers={header: value})
    assert getattr(response, attr) is enum.UNSAFE_NONE


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("Cross-Origin-Opener-Policy", 'same-origin; report-to="x"', COOP.SAME_ORIGIN),
        (
            "Cross-Origin-Opener-Policy",
            " same-origin-allow-popups ",
            COOP.SAME_ORIGIN_ALLOW_POPUPS,
        ),
        ("Cross-Origin-Embedder-Policy", "require-corp;report-to=e", COEP.REQUIRE_CORP),
    ],
)
def test_policy_parameters_are_ignored(
    header: str, value: str, expected: t.Any
) -> None:
    # A structured-field item with parameters names the policy before the ";".
    # (Werkzeug reads these as the default.)
    response = Response(headers={header: value})
    attr = header.lower().replace("-", "_")
    assert getattr(response, attr) is expected


@pytest.mark.parametrize(("attr", "header", "enum"), POLICIES, ids=POLICY_IDS)
def test_policy_bad_assignment_raises(attr: str, header: str, enum: t.Any) -> None:
    response = Response()
    with pytest.raises(ValueError, match=f"{attr}: 'bogus' is not a {enum.__name__}"):
        setattr(response, attr, "bogus")
    with pytest.raises(TypeError, match=f"{attr} takes a {enum.__name__} member"):
        setattr(response, attr, 1)
    other = COEP.REQUIRE_CORP if enum is COOP else COOP.SAME_ORIGIN
    with pytest.raises(ValueError, match=attr):
        setattr(response, attr, other)
    assert header not in response.headers


def test_policy_accepts_werkzeugs_enum_members() -> None:
    response = Response()
    response.cross_origin_opener_policy = werkzeug.http.COOP.SAME_ORIGIN
    response.cross_origin_embedder_policy = werkzeug.http.COEP.REQUIRE_CORP
    assert response.cross_origin_opener_policy is COOP.SAME_ORIGIN
    assert response.cross_origin_embedder_policy is COEP.REQUIRE_CORP


def test_app_response_has_the_views() -> None:
    response = AppResponse("x")
    response.content_security_policy.default_src = "'self'"
    response.access_control_allow_origin = "*"
    response.cross_origin_opener_policy = COOP.SAME_ORIGIN
    assert response.headers[CSP] == "default-src 'self'"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


# -- against Werkzeug ------------------------------------------------------------

# Headers on which hipflask reads what Werkzeug reads. (Where they differ on
# purpose, the tests above pin hipflask's reading.)
DIFFERENTIAL_HEADERS: list[dict[str, str]] = [
    {},
    {CSP: "default-src 'self'"},
    {CSP: "default-src 'self'; img-src * data:; script-src 'nonce-r4nd0m'"},
    {CSP: " ;; default-src  'none' ; ;", CSP_RO: "report-uri /csp-report"},
    {CSP: "default-src 'self', img-src *"},
    {CSP_RO: "frame-ancestors 'none'; sandbox allow-scripts"},
    {"Cross-Origin-Opener-Policy": "same-origin"},
    {"Cross-Origin-Opener-Policy": "same-origin-allow-popups"},
    {"Cross-Origin-Opener-Policy": "unsafe-none"},
    {"Cross-Origin-Opener-Policy": "nonsense"},
    {"Cross-Origin-Opener-Policy": ""},
    {"Cross-Origin-Embedder-Policy": "require-corp"},
    {"Cross-Origin-Embedder-Policy": "credentialless"},
    {"Access-Control-Allow-Credentials": "true"},
    {
        "Access-Control-Allow-Origin": "https://example.com",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, X-Requested-With",
        "Access-Control-Expose-Headers": 'X-Total, "X-Page"',
        "Access-Control-Max-Age": "86400",
    },
    {"Access-Control-Max-Age": "-1"},
    {"Access-Control-Max-Age": "ten"},
    {"Access-Control-Max-Age": "1.0"},
]


def _header_set(value: t.Any) -> list[str] | None:
    return None if value is None else [item.lower() for item in value]


@pytest.mark.parametrize("headers", DIFFERENTIAL_HEADERS)
def test_header_views_read_like_werkzeug(headers: dict[str, str]) -> None:
    ours = Response(headers=headers)
    theirs = WerkzeugResponse(headers=headers)
    for attr in ("content_security_policy", "content_security_policy_report_only"):
        assert dict(getattr(ours, attr)) == dict(getattr(theirs, attr)), attr
    for attr in ("cross_origin_opener_policy", "cross_origin_embedder_policy"):
        assert getattr(ours, attr).value == getattr(theirs, attr).value, attr
    assert ours.access_control_allow_credentials == (
        theirs.access_control_allow_credentials
    )
    for attr in (
        "access_control_allow_headers",
        "access_control_allow_methods",
        "access_control_expose_headers",
    ):
        # Werkzeug reads an absent set as None, hipflask as an empty view.
        assert _header_set(getattr(ours, attr) or None) == _header_set(
            getattr(theirs, attr)
        ), attr
    assert ours.access_control_allow_origin == theirs.access_control_allow_origin
    assert ours.access_control_max_age == theirs.access_control_max_age


def test_header_views_write_like_werkzeug() -> None:
    ours, theirs = Response(), flask.Response()
    for response in (ours, theirs):
        response.content_security_policy.default_src = "'self'"
        response.content_security_policy.img_src = "*"
        response.content_security_policy_report_only = "report-uri /r"
        response.access_control_allow_credentials = True
        response.access_control_allow_origin = "*"
        response.access_control_allow_methods = ["GET", "POST"]
        response.access_control_max_age = 600
    ours.cross_origin_opener_policy = COOP.SAME_ORIGIN
    theirs.cross_origin_opener_policy = werkzeug.http.COOP.SAME_ORIGIN
    ours.cross_origin_embedder_policy = COEP.REQUIRE_CORP
    theirs.cross_origin_embedder_policy = werkzeug.http.COEP.REQUIRE_CORP

    def lowered(response: t.Any) -> list[tuple[str, str]]:
        return [(name.lower(), value) for name, value in response.headers.items()]

    assert lowered(ours) == lowered(theirs)
