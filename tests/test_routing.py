"""Tests for hipflask.routing: converters, rules, matching, redirects, building.

Where behaviour is Werkzeug's, tests compare against ``werkzeug.routing``
directly (the differential tests at the end).
"""

from __future__ import annotations

import re
import typing as t
import uuid

import pytest
import werkzeug.routing as wz

from hipflask.http.datastructures import MultiDict
from hipflask.http.exceptions import (
    BadHost,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
)
from hipflask.routing import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    BuildError,
    EndpointPrefix,
    IntegerConverter,
    Map,
    MapAdapter,
    PathConverter,
    RedirectRequired,
    Rule,
    RuleTemplate,
    Subdomain,
    Submount,
    UnicodeConverter,
    ValidationError,
    WebsocketMismatch,
)
from hipflask.routing.converters import parse_converter_args
from hipflask.routing.linear import LinearPart, ambiguity


def match(
    rules: list[Rule], path: str, method: str = "GET", **map_options: t.Any
) -> tuple[t.Any, dict[str, t.Any]]:
    """Match ``path`` on a fresh map (of unbound copies) through an adapter."""
    adapter = Map([rule.empty() for rule in rules], **map_options).bind("example.com")
    return adapter.match(path, method)  # type: ignore[no-any-return]


def outcome(adapter: t.Any, path: str, method: str = "GET") -> tuple[t.Any, ...]:
    """A comparable summary of ``adapter.match`` for hipflask and Werkzeug."""
    try:
        endpoint, values = adapter.match(path, method)
    except Exception as error:
        name = type(error).__name__
        if name == "RequestRedirect":
            return ("redirect", error.new_url)  # type: ignore[attr-defined]
        if name == "MethodNotAllowed":
            return ("405", sorted(error.valid_methods))  # type: ignore[attr-defined]
        return (name,)
    return ("match", endpoint, values)


# -- converters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("placeholder", "segment", "expected"),
    [
        ("<int:x>", "42", 42),
        ("<int:x>", "0", 0),
        ("<int:x>", "-1", None),
        ("<int:x>", "1.5", None),
        ("<int:x>", "4a", None),
        ("<int:x>", "", None),
        ("<int:x>", "٣", 3),  # Unicode decimal digits count, as in Werkzeug
        ("<int(signed=True):x>", "-7", -7),
        ("<int(signed=True):x>", "7", 7),
        ("<int(signed=True):x>", "--7", None),
        ("<int(min=1):x>", "0", None),
        ("<int(min=1):x>", "1", 1),
        ("<int(max=5):x>", "5", 5),
        ("<int(max=5):x>", "6", None),
        ("<int(min=-3, max=3, signed=True):x>", "-3", -3),
        ("<int(min=-3, max=3, signed=True):x>", "-4", None),
        ("<int(fixed_digits=3):x>", "007", 7),
        ("<int(fixed_digits=3):x>", "07", None),
        ("<int(fixed_digits=3):x>", "0007", None),
        ("<float:x>", "1.5", 1.5),
        ("<float:x>", "1", None),
        ("<float:x>", ".5", None),
        ("<float:x>", "-1.5", None),
        ("<float(signed=True):x>", "-1.5", -1.5),
        ("<float(min=0.5):x>", "0.25", None),
        ("<float(max=2.5):x>", "2.5", 2.5),
        ("<float(max=2.5):x>", "2.75", None),
        ("<string:x>", "abc", "abc"),
        ("<x>", "a b%", "a b%"),
        ("<string(length=2):x>", "de", "de"),
        ("<string(length=2):x>", "d", None),
        ("<string(length=2):x>", "deu", None),
        ("<string(minlength=2):x>", "a", None),
        ("<string(minlength=2):x>", "ab", "ab"),
        ("<string(maxlength=3):x>", "abc", "abc"),
        ("<string(maxlength=3):x>", "abcd", None),
        ("<string(minlength=2, maxlength=3):x>", "abcd", None),
        ("<any(about, help):x>", "about", "about"),
        ("<any(about, help):x>", "help", "help"),
        ("<any(about, help):x>", "abouts", None),
        ("<any(about, help):x>", "imprint", None),
        ("<any(about, \"x y\", 'a,b'):x>", "x y", "x y"),
        ("<any(about, \"x y\", 'a,b'):x>", "a,b", "a,b"),
        ("<any(a.b, c):x>", "a.b", "a.b"),
        ("<any(a.b, c):x>", "axb", None),
        (
            "<uuid:x>",
            "12345678-1234-5678-1234-567812345678",
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
        ),
        (
            "<uuid:x>",
            "ABCDEF01-1234-5678-1234-567812345678",
            uuid.UUID("abcdef01-1234-5678-1234-567812345678"),
        ),
        ("<uuid:x>", "12345678-1234-5678-1234-56781234567", None),
        ("<uuid:x>", "12345678123456781234567812345678", None),
        ("<uuid:x>", "g2345678-1234-5678-1234-567812345678", None),
    ],
)
def test_converter_matching(placeholder: str, segment: str, expected: t.Any) -> None:
    rules = [Rule(f"/v/{placeholder}", endpoint="v")]
    if expected is None:
        with pytest.raises(NotFound):
            match(rules, f"/v/{segment}")
    else:
        endpoint, values = match(rules, f"/v/{segment}")
        assert endpoint == "v"
        assert values == {"x": expected}
        assert type(values["x"]) is type(expected)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/files/a", "a"),
        ("/files/a/b/c.txt", "a/b/c.txt"),
        ("/files/a//b", "a//b"),
        ("/files/a/b/", "a/b/"),
    ],
)
def test_path_converter_spans_slashes(path: str, expected: str) -> None:
    rules = [Rule("/files/<path:name>", endpoint="f")]
    assert match(rules, path, merge_slashes=False) == ("f", {"name": expected})


@pytest.mark.parametrize("path", ["/files/", "/files//a", "/files"])
def test_path_converter_needs_a_first_character(path: str) -> None:
    rules = [Rule("/files/<path:name>", endpoint="f")]
    with pytest.raises(NotFound):
        match(rules, path, merge_slashes=False)


def test_path_converter_followed_by_static_parts() -> None:
    rules = [Rule("/wiki/<path:page>/edit", endpoint="edit")]
    assert match(rules, "/wiki/a/b/edit") == ("edit", {"page": "a/b"})
    with pytest.raises(NotFound):
        match(rules, "/wiki/a/b")


@pytest.mark.parametrize(
    ("converter", "value", "expected"),
    [
        (UnicodeConverter, "a b/ü?#%", "a%20b/%C3%BC%3F%23%25"),
        (UnicodeConverter, "!$&'()*+,/:;=@", "!$&'()*+,/:;=@"),
        (UnicodeConverter, 12, "12"),
        (PathConverter, "a/b c", "a/b%20c"),
        (IntegerConverter, 7, "7"),
        (IntegerConverter, "7", "7"),
    ],
)
def test_converter_to_url(
    converter: type[BaseConverter], value: t.Any, expected: str
) -> None:
    assert converter(Map()).to_url(value) == expected


def test_number_converter_to_url_pads_fixed_digits() -> None:
    assert IntegerConverter(Map(), fixed_digits=4).to_url(42) == "0042"


def test_any_converter_to_url_rejects_other_values() -> None:
    converter = AnyConverter(Map(), "b", "a")
    assert converter.to_url("a") == "a"
    with pytest.raises(ValueError, match=r"^'c' is not one of 'a', 'b'$"):
        converter.to_url("c")


def test_default_converters() -> None:
    assert set(DEFAULT_CONVERTERS) == {
        "default",
        "string",
        "any",
        "path",
        "int",
        "float",
        "uuid",
    }
    assert DEFAULT_CONVERTERS["default"] is UnicodeConverter
    assert set(DEFAULT_CONVERTERS) == set(wz.Map.default_converters)


def test_converters_are_copied_per_map() -> None:
    first, second = Map(), Map()
    first.converters["custom"] = UnicodeConverter
    assert "custom" not in second.converters
    assert "custom" not in DEFAULT_CONVERTERS


class RegexConverter(BaseConverter):
    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.regex = items[0]


def test_regex_converter_registered_before_rules() -> None:
    url_map = Map()
    url_map.converters["regex"] = RegexConverter
    url_map.add(Rule(r'/<regex("[a-z]{3}"):code>', endpoint="code"))
    url_map.add(Rule(r'/<regex("[0-9]+/[0-9]+"):pair>/end', endpoint="pair"))
    adapter = url_map.bind("example.com")
    assert adapter.match("/abc") == ("code", {"code": "abc"})
    # A regex containing "/" spans segments (part_isolating is not set).
    assert adapter.match("/12/34/end") == ("pair", {"pair": "12/34"})
    with pytest.raises(NotFound):
        adapter.match("/abcd")


class EvenConverter(BaseConverter):
    regex = r"\d+"

    def to_python(self, value: str) -> int:
        if int(value) % 2:
            raise ValidationError()
        return int(value)

    def to_url(self, value: t.Any) -> str:
        return str(value)


def test_validation_error_tries_the_next_rule() -> None:
    # Deliberate: Werkzeug 3.1's matcher answers 404 here, although its
    # ValidationError documentation says the next rule is tried.
    url_map = Map(converters={"even": EvenConverter})
    url_map.add(Rule("/n/<even:n>", endpoint="even"))
    url_map.add(Rule("/n/<n>", endpoint="other"))
    adapter = url_map.bind("example.com")
    assert adapter.match("/n/4") == ("even", {"n": 4})
    assert adapter.match("/n/5") == ("other", {"n": "5"})
    assert url_map._match("/n/5", "GET")[0].endpoint == "other"


def test_validation_error_without_other_rule_is_404() -> None:
    url_map = Map(converters={"even": EvenConverter})
    url_map.add(Rule("/n/<even:n>", endpoint="even"))
    with pytest.raises(NotFound):
        url_map.bind("example.com").match("/n/5")


class ListConverter(BaseConverter):
    part_isolating = False
    regex = r"[a-z]+(?:/[a-z]+)*"

    def to_python(self, value: str) -> list[str]:
        return value.split("/")

    def to_url(self, value: t.Any) -> str:
        return "/".join(value)


def test_custom_converter_not_part_isolating() -> None:
    url_map = Map(
        [Rule("/l/<list:items>/x", endpoint="l")], converters={"list": ListConverter}
    )
    adapter = url_map.bind("example.com")
    assert adapter.match("/l/a/b/c/x") == ("l", {"items": ["a", "b", "c"]})
    assert adapter.build("l", {"items": ["a", "b"]}) == "/l/a/b/x"


def test_part_isolating_defaults_from_class_regex() -> None:
    class Slashy(BaseConverter):
        regex = "[a-z/]+"

    class Plain(BaseConverter):
        regex = "[a-z]+"

    assert Slashy.part_isolating is False
    assert Plain.part_isolating is True
    assert PathConverter.part_isolating is False


@pytest.mark.parametrize(
    ("text", "args", "kwargs"),
    [
        ("", (), {}),
        ("  ", (), {}),
        ("1", (1,), {}),
        ("1.5", (1.5,), {}),
        ("-2", (-2,), {}),
        ("min=1, max=5", (), {"min": 1, "max": 5}),
        ("signed=True", (), {"signed": True}),
        ("x=False, y=None", (), {"x": False, "y": None}),
        ("about, help", ("about", "help"), {}),
        ("'a b', \"c)d\"", ("a b", "c)d"), {}),
        ("u'x', r\"y\"", ("x", "y"), {}),
        ("a,", ("a",), {}),
        ("1e3", (1000.0,), {}),
        ("a.b", ("a.b",), {}),
        ("length = 2", (), {"length": 2}),
    ],
)
def test_parse_converter_args(
    text: str, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> None:
    assert parse_converter_args(text) == (args, kwargs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", "Cannot parse converter argument"),
        ("a,,b", "Cannot parse converter argument"),
        ("=1", "Cannot parse converter argument"),
        ("'open", "Cannot parse converter argument"),
        ("x=1, 2", "follows a keyword argument"),
        ("x=1, x=2", "repeated"),
        ("a $", "Cannot parse converter argument"),
    ],
)
def test_parse_converter_args_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_converter_args(text)


# -- rule strings and Rule objects -------------------------------------------


@pytest.mark.parametrize(
    ("rule", "options", "error", "message"),
    [
        ("foo", {}, ValueError, "urls must start with a leading slash"),
        ("", {}, ValueError, "urls must start with a leading slash"),
        ("/<int:>", {}, ValueError, "malformed url rule: '/<int:>'"),
        ("/<a", {}, ValueError, "malformed url rule: '/<a'"),
        ("/<>", {}, ValueError, "malformed url rule"),
        ("/<1a>", {}, ValueError, "malformed url rule"),
        ("/<int(max=5:x>", {}, ValueError, "malformed url rule"),
        ("/<int(max=5)x>", {}, ValueError, "malformed url rule"),
        ("/<a-b>", {}, ValueError, "malformed url rule"),
        ("/<nope:x>", {}, LookupError, "the converter 'nope' does not exist"),
        ("/<a>/<int:a>", {}, ValueError, "variable name 'a' used twice"),
        ("/<int(oops=):x>", {}, ValueError, "Cannot parse converter argument"),
        ("/<int(bogus=1):x>", {}, TypeError, "bogus"),
        ("/x", {"methods": "GET"}, TypeError, "'methods' should be a list"),
        ("/<int:x>", {"defaults": {"x": "a"}}, ValueError, "invalid literal for int()"),
        ("/x", {"methods": ["POST"], "websocket": True}, ValueError, "WebSocket rules"),
    ],
)
def test_malformed_rules_raise_on_add(
    rule: str, options: dict[str, t.Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        Map().add(Rule(rule, endpoint="e", **options))


def test_invalid_converter_regex_raises_on_add() -> None:
    url_map = Map(converters={"regex": RegexConverter})
    with pytest.raises(ValueError, match="invalid regular expression"):
        url_map.add(Rule('/<regex("[a-"):x>', endpoint="e"))


def test_unknown_converter_is_lookup_error_like_werkzeug() -> None:
    with pytest.raises(LookupError) as ours:
        Map([Rule("/<nope:x>", endpoint="e")])
    with pytest.raises(LookupError) as theirs:
        wz.Map([wz.Rule("/<nope:x>", endpoint="e")])
    assert str(ours.value) == str(theirs.value)


def test_rule_attributes() -> None:
    rule = Rule(
        "/x/<int:id>", endpoint="ep", methods=["get", "post"], defaults={"a": 1}
    )
    assert rule.methods == {"GET", "HEAD", "POST"}
    assert rule.arguments == {"a"}
    assert rule.map is None
    assert repr(rule) == "<Rule (unbound)>"
    url_map = Map([rule])
    assert rule.map is url_map
    assert rule.arguments == {"a", "id"}
    assert rule.strict_slashes is True
    assert rule.merge_slashes is True
    assert rule.subdomain == ""
    assert rule.is_leaf and not rule.is_branch
    assert repr(rule) == "<Rule '/x/<id>' (GET, HEAD, POST) -> ep>"
    assert str(rule) == "/x/<int:id>"
    assert rule.provide_automatic_options is False  # Flask overwrites it
    assert Rule("/y", methods=[]).methods == set()
    assert Rule("/y").methods is None


def test_rule_repr_with_subdomain_and_no_methods() -> None:
    rule = Rule("/p/<name>", subdomain="<user>", endpoint="profile")
    Map([rule])
    assert repr(rule) == "<Rule '<user>|/p/<name>' -> profile>"


def test_rule_cannot_be_bound_twice() -> None:
    rule = Rule("/x", endpoint="x")
    Map([rule])
    with pytest.raises(RuntimeError, match="already bound"):
        Map([rule])


def test_rule_empty_copies_settings() -> None:
    rule = Rule(
        "/x/<a>",
        endpoint="x",
        defaults={"b": 2},
        methods=["POST"],
        strict_slashes=False,
        merge_slashes=False,
        websocket=False,
        host="h",
    )
    copy = rule.empty()
    assert copy is not rule
    assert copy.map is None
    assert (copy.rule, copy.endpoint, copy.defaults, copy.methods) == (
        "/x/<a>",
        "x",
        {"b": 2},
        {"POST"},
    )
    assert copy.defaults is not rule.defaults
    assert copy.strict_slashes is False
    assert copy.merge_slashes is False
    assert copy.host == "h"


def test_rule_equality_is_by_structure() -> None:
    first, second, third = Rule("/a/<x>"), Rule("/a/<y>", endpoint="other"), Rule("/b")
    Map([first, second, third])
    assert first != second
    again = Rule("/a/<x>", endpoint="z")
    Map([again])
    assert first == again
    assert first != third
    with pytest.raises(TypeError):
        hash(first)


def test_rule_factories() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Submount(
                "/blog", [Rule("/", endpoint="blog"), Rule("/<slug>", endpoint="post")]
            ),
            EndpointPrefix("api.", [Submount("/api", [Rule("/v", endpoint="v")])]),
            Subdomain("<lang>", [Rule("/home", endpoint="home")]),
            RuleTemplate([Rule("/$name/", endpoint="$name.list")])(name="user"),
        ]
    )
    assert [rule.rule for rule in url_map.iter_rules()] == [
        "/",
        "/blog/",
        "/blog/<slug>",
        "/api/v",
        "/home",
        "/user/",
    ]
    adapter = url_map.bind("example.com", subdomain="")
    assert adapter.match("/blog/hello") == ("post", {"slug": "hello"})
    assert adapter.match("/api/v") == ("api.v", {})
    assert adapter.match("/user/") == ("user.list", {})
    assert url_map.bind("example.com", subdomain="de").match("/home") == (
        "home",
        {"lang": "de"},
    )


def test_iter_rules_and_endpoint_expectations() -> None:
    url_map = Map(
        [
            Rule("/a", endpoint="a"),
            Rule("/b/<x>", endpoint="b"),
            Rule("/b/<x>/<y>", endpoint="b"),
        ]
    )
    assert [rule.rule for rule in url_map.iter_rules("b")] == ["/b/<x>/<y>", "/b/<x>"]
    assert [rule.rule for rule in url_map._rules] == ["/a", "/b/<x>", "/b/<x>/<y>"]
    assert url_map.is_endpoint_expecting("b", "x")
    assert url_map.is_endpoint_expecting("b", "x", "y")
    assert not url_map.is_endpoint_expecting("a", "x")
    with pytest.raises(KeyError):
        url_map.is_endpoint_expecting("missing", "x")
    assert "Rule '/a'" in repr(url_map)


# -- matching order -----------------------------------------------------------

ORDER_CASES = [
    # (rules as (string, endpoint), path, expected endpoint)
    ([("/<x>", "dynamic"), ("/static", "static")], "/static", "static"),
    ([("/<x>", "string"), ("/<int:x>", "int")], "/42", "int"),
    ([("/<x>", "string"), ("/<int:x>", "int")], "/abc", "string"),
    ([("/<path:x>", "path"), ("/<x>", "string")], "/abc", "string"),
    ([("/<path:x>", "path"), ("/<x>", "string")], "/a/b", "path"),
    ([("/<float:x>", "float"), ("/<x>", "string")], "/1.5", "float"),
    ([("/<x>", "first"), ("/<y>", "second")], "/abc", "first"),
    ([("/<x>", "string"), ("/page-<int:n>", "page")], "/page-3", "page"),
    ([("/<x>.html", "short"), ("/<x>.en.html", "long")], "/a.en.html", "long"),
    ([("/<a>/<b>", "two"), ("/<a>/x", "static-second")], "/1/x", "static-second"),
    ([("/<int:a>/x", "int"), ("/<a>/<b>", "any")], "/1/x", "int"),
    ([("/<any(a, b):x>", "any"), ("/<x>", "string")], "/a", "any"),
    ([("/<string(length=2):x>", "two"), ("/<x>", "string")], "/ab", "two"),
    ([("/<x>/<path:p>", "path-second"), ("/a/<path:p>", "static")], "/a/b/c", "static"),
]


@pytest.mark.parametrize(("rules", "path", "expected"), ORDER_CASES)
def test_matching_order(rules: list[tuple[str, str]], path: str, expected: str) -> None:
    ours = Map([Rule(rule, endpoint=endpoint) for rule, endpoint in rules])
    theirs = wz.Map([wz.Rule(rule, endpoint=endpoint) for rule, endpoint in rules])
    assert ours.bind("x").match(path)[0] == expected
    assert theirs.bind("x").match(path)[0] == expected  # the reference agrees


# -- 404 / 405 / methods ------------------------------------------------------


def test_method_not_allowed_lists_union_of_methods() -> None:
    rules = [
        Rule("/r", endpoint="read", methods=["GET"]),
        Rule("/r", endpoint="write", methods=["POST", "PUT"]),
        Rule("/<x>", endpoint="other", methods=["DELETE"]),
    ]
    with pytest.raises(MethodNotAllowed) as info:
        match(rules, "/r", "PATCH")
    assert info.value.valid_methods == ["DELETE", "GET", "HEAD", "POST", "PUT"]
    headers = dict(info.value.get_headers())
    assert headers["Allow"] == "DELETE, GET, HEAD, POST, PUT"
    assert match(rules, "/r", "PUT") == ("write", {})
    assert match(rules, "/r", "HEAD") == ("read", {})
    assert match(rules, "/r", "DELETE") == ("other", {"x": "r"})


def test_static_rule_with_other_method_falls_through_to_dynamic() -> None:
    rules = [
        Rule("/a", endpoint="post", methods=["POST"]),
        Rule("/<x>", endpoint="any"),
    ]
    assert match(rules, "/a", "GET") == ("any", {"x": "a"})
    assert match(rules, "/a", "POST") == ("post", {})
    fast = Map([rule.empty() for rule in rules])
    assert fast._match("/a", "GET")[0].endpoint == "any"
    assert fast._match("/a", "POST")[0].endpoint == "post"


def test_any_method_rule_matches_unusual_methods() -> None:
    url_map = Map([Rule("/", endpoint="index"), Rule("/x/<a>", endpoint="x")])
    for method in ["GET", "PROPFIND", "BREW"]:
        assert url_map._match("/", method)[0].endpoint == "index"
        assert url_map._match("/x/1", method)[0].endpoint == "x"


@pytest.mark.parametrize(
    "path",
    [
        "/missing",
        "/a/b/c",
        "/a/",
        "/a/x",
        "/%",
        "/\x00",
        "/a\nb",
        "/ü",
        "/" + "x" * 10_000,
    ],
)
def test_not_found(path: str) -> None:
    url_map = Map([Rule("/", endpoint="index"), Rule("/a/<int:n>", endpoint="a")])
    with pytest.raises(NotFound):
        url_map._match(path, "GET")
    with pytest.raises(NotFound):
        url_map.bind("example.com").match(path)


def test_allowed_methods_and_test() -> None:
    adapter = Map(
        [
            Rule("/a", endpoint="a", methods=["GET", "POST"]),
            Rule("/b", endpoint="b"),
            Rule("/c/", endpoint="c"),
        ]
    ).bind("example.com")
    assert sorted(adapter.allowed_methods("/a")) == ["GET", "HEAD", "POST"]
    assert list(adapter.allowed_methods("/b")) == []
    assert list(adapter.allowed_methods("/nope")) == []
    assert adapter.test("/a") is True
    assert adapter.test("/a", "DELETE") is False
    assert adapter.test("/c") is True  # a redirect counts
    assert adapter.test("/nope") is False


# -- strict slashes, merge slashes --------------------------------------------


def test_strict_slashes_redirect_keeps_script_name_and_query() -> None:
    url_map = Map([Rule("/foo/", endpoint="foo")])
    adapter = url_map.bind("example.com", "/app", query_args="a=1&b=%20")
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/foo")
    assert info.value.new_url == "http://example.com/app/foo/?a=1&b=%20"
    assert info.value.code == 308
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/foo", query_args={"q": ["x y", "z"], "n": None})
    assert info.value.new_url == "http://example.com/app/foo/?q=x+y&q=z"


def test_strict_slashes_leaf_with_slash_is_not_found() -> None:
    with pytest.raises(NotFound):
        match([Rule("/foo", endpoint="foo")], "/foo/")


@pytest.mark.parametrize("path", ["/foo", "/foo/"])
@pytest.mark.parametrize("rule", ["/foo", "/foo/"])
@pytest.mark.parametrize("where", ["rule", "map"])
def test_non_strict_slashes_match_both(path: str, rule: str, where: str) -> None:
    if where == "rule":
        result = match([Rule(rule, endpoint="foo", strict_slashes=False)], path)
    else:
        result = match([Rule(rule, endpoint="foo")], path, strict_slashes=False)
    assert result == ("foo", {})


def test_strict_slash_redirect_percent_encodes_path() -> None:
    adapter = Map([Rule("/<name>/", endpoint="n")]).bind("example.com")
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/a b")
    assert info.value.new_url == "http://example.com/a%20b/"


def test_path_converter_slash_redirect() -> None:
    adapter = Map([Rule("/d/<path:p>/", endpoint="d")]).bind("example.com")
    assert adapter.match("/d/a/b/") == ("d", {"p": "a/b"})
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/d/a/b")
    assert info.value.new_url == "http://example.com/d/a/b/"


@pytest.mark.parametrize(
    ("path", "new_url"),
    [
        ("/a//b", "http://example.com/a/b"),
        ("/a///b", "http://example.com/a/b"),
        ("/c//", "http://example.com/c/"),
        ("/c", "http://example.com/c/"),
    ],
)
def test_merge_slashes_redirects(path: str, new_url: str) -> None:
    adapter = Map([Rule("/a/b", endpoint="ab"), Rule("/c/", endpoint="c")]).bind(
        "example.com"
    )
    with pytest.raises(RequestRedirect) as info:
        adapter.match(path)
    assert info.value.new_url == new_url


def test_leading_slashes_are_dropped_like_werkzeug() -> None:
    url_map = Map([Rule("/a", endpoint="a")])
    assert url_map.bind("x").match("//a") == ("a", {})
    assert url_map._match("//a", "GET")[0].endpoint == "a"


def test_merge_slashes_disabled() -> None:
    with pytest.raises(NotFound):
        match([Rule("/a/b", endpoint="ab")], "/a//b", merge_slashes=False)
    with pytest.raises(NotFound):
        match([Rule("/a/b", endpoint="ab", merge_slashes=False)], "/a//b")
    assert match([Rule("/a//b", endpoint="ab", merge_slashes=False)], "/a//b") == (
        "ab",
        {},
    )


def test_rule_strings_are_merged() -> None:
    assert match([Rule("/a//b", endpoint="ab")], "/a/b") == ("ab", {})


# -- defaults, aliases, redirect_to ---------------------------------------------


def defaults_map(**options: t.Any) -> Map:
    return Map(
        [
            Rule("/all/", defaults={"page": 1}, endpoint="all"),
            Rule("/all/page/<int:page>", endpoint="all"),
        ],
        **options,
    )


def test_defaults_redirect_to_canonical_url() -> None:
    adapter = defaults_map().bind("example.com", query_args="x=1")
    assert adapter.match("/all/") == ("all", {"page": 1})
    assert adapter.match("/all/page/2") == ("all", {"page": 2})
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/all/page/1")
    assert info.value.new_url == "http://example.com/all/?x=1"
    assert adapter.build("all", {"page": 1}) == "/all/"
    assert adapter.build("all", {"page": 3}) == "/all/page/3"
    assert adapter.build("all") == "/all/"


def test_defaults_without_redirect() -> None:
    adapter = defaults_map(redirect_defaults=False).bind("example.com")
    assert adapter.match("/all/page/1") == ("all", {"page": 1})


def test_defaults_redirect_through_fast_path() -> None:
    url_map = defaults_map()
    with pytest.raises(RedirectRequired) as info:
        url_map._match("/all/page/1", "GET")
    assert info.value.new_url == "/all/"
    assert info.value.path is None
    assert isinstance(info.value, RequestRedirect)
    assert url_map._match("/all/page/2", "GET")[1] == {"page": 2}


def test_alias_redirects_to_canonical_rule() -> None:
    url_map = Map(
        [
            Rule("/about", endpoint="about"),
            Rule("/about-us", endpoint="about", alias=True),
        ]
    )
    adapter = url_map.bind("example.com")
    with pytest.raises(RequestRedirect) as info:
        adapter.match("/about-us")
    assert info.value.new_url == "http://example.com/about"
    with pytest.raises(RedirectRequired) as fast:
        url_map._match("/about-us", "GET")
    assert fast.value.new_url == "/about"
    assert adapter.build("about") == "/about"


def test_redirect_to_string_and_callable() -> None:
    def to_slug(adapter: MapAdapter, id: int) -> str:
        return f"posts/post-{id}"

    url_map = Map(
        [
            Rule("/old/<int:id>", redirect_to="new/<id>"),
            Rule("/older/<int:id>", redirect_to=to_slug),
            Rule("/away", redirect_to="https://other.example/x"),
        ],
        default_subdomain="www",
    )
    adapter = url_map.bind("example.com", "/app", subdomain="www")
    expected = [
        ("/old/5", "http://www.example.com/app/new/5", "/new/5"),
        ("/older/7", "http://www.example.com/app/posts/post-7", "/posts/post-7"),
        ("/away", "https://other.example/x", "https://other.example/x"),
    ]
    for path, new_url, relative in expected:
        with pytest.raises(RequestRedirect) as info:
            adapter.match(path)
        assert info.value.new_url == new_url
        with pytest.raises(RedirectRequired) as fast:
            url_map._match(path, "GET", "www")
        assert fast.value.new_url == relative


# -- hosts, subdomains, websockets --------------------------------------------


def test_subdomain_matching() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="root"),
            Rule("/", subdomain="www", endpoint="www"),
            Rule("/", subdomain="<user>", endpoint="user"),
            Rule("/", subdomain="<string(length=2):lang>.docs", endpoint="docs"),
        ]
    )
    cases = [
        ("", ("root", {})),
        ("www", ("www", {})),
        ("alice", ("user", {"user": "alice"})),
        ("de.docs", ("docs", {"lang": "de"})),
    ]
    for subdomain, expected in cases:
        assert url_map.bind("example.com", subdomain=subdomain).match("/") == expected
        rule, values = url_map._match("/", "GET", subdomain)
        assert (rule.endpoint, values) == expected
    adapter = url_map.bind("example.com", subdomain="www")
    assert adapter.build("user", {"user": "bob"}) == "http://bob.example.com/"
    assert adapter.build("www") == "/"
    assert adapter.build("root") == "http://example.com/"


def test_default_subdomain() -> None:
    url_map = Map([Rule("/", endpoint="index")], default_subdomain="www")
    assert url_map.bind("example.com").match("/") == ("index", {})
    with pytest.raises(NotFound):
        url_map.bind("example.com", subdomain="api").match("/")


def test_host_matching() -> None:
    url_map = Map(
        [
            Rule("/", host="example.com", endpoint="main"),
            Rule("/", host="<tenant>.example.com", endpoint="tenant"),
            Rule("/p/<int:id>", host="<tenant>.example.com", endpoint="page"),
        ],
        host_matching=True,
    )
    assert url_map.bind("example.com").match("/") == ("main", {})
    assert url_map.bind("acme.example.com").match("/p/3") == (
        "page",
        {"tenant": "acme", "id": 3},
    )
    with pytest.raises(NotFound):
        url_map.bind("other.org").match("/")
    assert url_map._match("/", "GET", "acme.example.com")[1] == {"tenant": "acme"}
    adapter = url_map.bind("example.com")
    assert adapter.build("main") == "/"
    assert adapter.build("page", {"tenant": "x", "id": 1}) == "http://x.example.com/p/1"
    with pytest.raises(RuntimeError, match="host matching enabled"):
        url_map.bind("example.com", subdomain="x")


def test_bind_to_environ() -> None:
    url_map = Map(
        [Rule("/", endpoint="index"), Rule("/", subdomain="<sub>", endpoint="sub")]
    )
    environ = {
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "api.example.com:443",
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "/app",
        "PATH_INFO": "/",
        "QUERY_STRING": "a=1",
    }
    adapter = url_map.bind_to_environ(environ, server_name="example.com:443")
    assert (adapter.server_name, adapter.subdomain, adapter.url_scheme) == (
        "example.com",
        "api",
        "https",
    )
    assert (adapter.script_name, adapter.path_info, adapter.default_method) == (
        "/app/",
        "/",
        "POST",
    )
    assert adapter.match() == ("sub", {"sub": "api"})
    plain = url_map.bind_to_environ(
        {**environ, "HTTP_HOST": "example.com"}, "example.com"
    )
    assert plain.match() == ("index", {})


def test_bind_to_environ_foreign_host_matches_nothing() -> None:
    url_map = Map(
        [Rule("/", endpoint="index"), Rule("/", subdomain="www", endpoint="w")]
    )
    environ = {
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "evil.org",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
    }
    with pytest.warns(UserWarning, match="doesn't match configured server name"):
        adapter = url_map.bind_to_environ(environ, server_name="example.com")
    assert adapter.subdomain == "<invalid>"
    with pytest.raises(NotFound):
        adapter.match()


@pytest.mark.parametrize(
    ("environ", "host"),
    [
        ({"HTTP_HOST": "Example.COM:80"}, "example.com"),
        ({"HTTP_HOST": "example.com:8080"}, "example.com:8080"),
        ({"SERVER_NAME": "example.com", "SERVER_PORT": "80"}, "example.com"),
        ({"SERVER_NAME": "::1", "SERVER_PORT": "5000"}, "[::1]:5000"),
        ({"HTTP_HOST": "bad host"}, ""),
        ({"HTTP_HOST": "example.com:99999"}, ""),
        ({"SERVER_NAME": "/tmp/sock", "SERVER_PORT": ""}, ""),
    ],
)
def test_bind_to_environ_host(environ: dict[str, str], host: str) -> None:
    base = {"wsgi.url_scheme": "http", "REQUEST_METHOD": "GET"}
    adapter = Map([Rule("/", endpoint="i")]).bind_to_environ({**base, **environ})
    assert adapter.server_name == host


def test_bind_rejects_invalid_idna() -> None:
    with pytest.raises(BadHost):
        Map().bind("a..b")


def test_websocket_rules() -> None:
    url_map = Map(
        [
            Rule("/ws", endpoint="ws", websocket=True),
            Rule("/http", endpoint="http"),
            Rule("/both", endpoint="both-ws", websocket=True),
            Rule("/both", endpoint="both-http"),
        ]
    )
    adapter = url_map.bind("example.com")
    with pytest.raises(WebsocketMismatch) as info:
        adapter.match("/ws")
    assert info.value.code == 400
    assert adapter.match("/ws", websocket=True) == ("ws", {})
    with pytest.raises(WebsocketMismatch):
        adapter.match("/http", websocket=True)
    assert adapter.match("/both") == ("both-http", {})
    assert adapter.match("/both", websocket=True) == ("both-ws", {})
    assert url_map.bind("example.com", url_scheme="wss").match("/ws") == ("ws", {})
    assert url_map._match("/ws", "GET", websocket=True)[0].endpoint == "ws"
    with pytest.raises(WebsocketMismatch):
        url_map._match("/ws", "GET")
    assert adapter.build("ws") == "ws://example.com/ws"
    assert (
        url_map.bind("example.com", url_scheme="https").build("ws")
        == "wss://example.com/ws"
    )


def test_websocket_upgrade_in_environ() -> None:
    url_map = Map([Rule("/ws", endpoint="ws", websocket=True)])
    environ = {
        "wsgi.url_scheme": "https",
        "HTTP_HOST": "example.com",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/ws",
        "HTTP_CONNECTION": "keep-alive, Upgrade",
        "HTTP_UPGRADE": "websocket",
    }
    adapter = url_map.bind_to_environ(environ)
    assert adapter.url_scheme == "wss"
    assert adapter.match() == ("ws", {})


# -- the fast path ------------------------------------------------------------


def test_fast_match_returns_fresh_dicts() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="index", defaults={"page": 1}),
            Rule("/u/<int:id>", endpoint="user", defaults={"tab": "home"}),
        ]
    )
    rule, values = url_map._match("/", "GET")
    values["page"] = 99
    assert url_map._match("/", "GET")[1] == {"page": 1}
    assert rule.defaults == {"page": 1}
    _, values = url_map._match("/u/5", "GET")
    assert values == {"id": 5, "tab": "home"}
    values.clear()
    assert url_map._match("/u/5", "GET")[1] == {"id": 5, "tab": "home"}
    assert url_map._match("/", "GET")[1] is not url_map._match("/", "GET")[1]


def test_fast_match_slash_redirect_gives_path() -> None:
    url_map = Map([Rule("/docs/", endpoint="docs"), Rule("/a b/", endpoint="space")])
    with pytest.raises(RedirectRequired) as info:
        url_map._match("/docs", "GET")
    assert info.value.path == "/docs/"
    assert info.value.new_url == "/docs/"
    with pytest.raises(RedirectRequired) as info:
        url_map._match("/a b", "GET")
    assert (info.value.path, info.value.new_url) == ("/a b/", "/a%20b/")
    with pytest.raises(RedirectRequired) as info:
        url_map._match("/docs//", "GET")
    assert info.value.path == "/docs/"


def test_fast_match_errors() -> None:
    url_map = Map(
        [
            Rule("/a", endpoint="a", methods=["POST"]),
            Rule("/b/<x>", endpoint="b", methods=["PUT"]),
        ]
    )
    with pytest.raises(MethodNotAllowed) as info:
        url_map._match("/a", "GET")
    assert info.value.valid_methods == ["POST"]
    with pytest.raises(MethodNotAllowed) as info:
        url_map._match("/b/1", "GET")
    assert info.value.valid_methods == ["PUT"]
    with pytest.raises(NotFound):
        url_map._match("/c", "GET")


def test_rules_added_after_matching_are_compiled() -> None:
    url_map = Map([Rule("/a", endpoint="a")])
    assert url_map._match("/a", "GET")[0].endpoint == "a"
    url_map.add(Rule("/b/<int:n>", endpoint="b"))
    assert url_map._match("/b/2", "GET")[1] == {"n": 2}
    assert url_map.bind("x").build("b", {"n": 3}) == "/b/3"


def test_generated_matcher_source_is_readable() -> None:
    url_map = Map([Rule("/u/<int:id>", endpoint="u")])
    source = url_map._matcher_source
    assert source.startswith("def find(")
    assert "isdecimal()" in source
    compile(source, "<test>", "exec")


def test_build_only_rules_never_match() -> None:
    url_map = Map([Rule("/static/<path:f>", endpoint="static", build_only=True)])
    with pytest.raises(NotFound):
        url_map._match("/static/a.css", "GET")
    assert url_map.bind("x").build("static", {"f": "a.css"}) == "/static/a.css"


def test_thousand_rules_last_one_matches() -> None:
    rules = []
    for index in range(1000):
        kind = index % 4
        if kind == 0:
            rules.append(Rule(f"/static{index}", endpoint=f"e{index}"))
        elif kind == 1:
            rules.append(Rule(f"/items{index}/<int:id>", endpoint=f"e{index}"))
        elif kind == 2:
            rules.append(
                Rule(
                    f"/u{index}/<name>/p/<int:n>",
                    endpoint=f"e{index}",
                    methods=["POST"],
                )
            )
        else:
            rules.append(Rule(f"/files{index}/<path:p>", endpoint=f"e{index}"))
    url_map = Map(rules)
    rule, values = url_map._match("/files999/a/b", "GET")
    assert (rule.endpoint, values) == ("e999", {"p": "a/b"})
    rule, values = url_map._match("/u998/bob/p/7", "POST")
    assert (rule.endpoint, values) == ("e998", {"name": "bob", "n": 7})
    with pytest.raises(MethodNotAllowed):
        url_map._match("/u998/bob/p/7", "GET")
    assert url_map._match("/items997/5", "GET")[0].endpoint == "e997"
    assert url_map._match("/static996", "GET")[0].endpoint == "e996"
    with pytest.raises(NotFound):
        url_map._match("/items997/x", "GET")
    adapter = url_map.bind("example.com")
    for index in range(0, 1000, 37):
        rule = rules[index]
        values = {"id": 1, "name": "n", "n": 2, "p": "x/y"}
        url = adapter.build(
            rule.endpoint, {k: v for k, v in values.items() if k in rule.arguments}
        )
        assert (
            adapter.match(url, "POST" if index % 4 == 2 else "GET")[0] == rule.endpoint
        )


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/" + "a-" * 3000,
        "/" + "a-" * 3000 + "b.html",
        "/t/" + "x/" * 3000,
        "/t/" + "x/" * 3000 + "\n",
        "/" + "-" * 5000,
    ],
)
def test_multi_placeholder_parts_stay_linear(path: str) -> None:
    url_map = Map(
        [
            Rule("/<a>-<b>-<c>.html", endpoint="html"),
            Rule("/t/<path:a>/<path:b>/", endpoint="two-paths"),
            Rule("/<int:a>-<int:b>-<c>", endpoint="ints"),
        ]
    )
    try:
        url_map._match(path, "GET")
    except HTTPException:
        pass
    # No timing assertion; a backtracking regex would take minutes here.


def test_linear_matcher_agrees_with_regex() -> None:
    url_map = Map([Rule("/<a>-<int:b>-<any(x, xy):c>.<d>", endpoint="e")])
    url_map.update()
    part = url_map._rules[0]._parts[-1]
    assert part.elements is not None
    assert ambiguity(part.elements) >= 2
    compiled = re.compile(part.content)
    numbers = tuple(range(1, compiled.groups + 1))
    linear = LinearPart(part.elements, part.element_groups, compiled, numbers)
    samples = [
        "a-1-x.y",
        "a-b-1-xy.z",
        "a--1-x.",
        "a-1-xy.q.r",
        "-1-x.y",
        "a-1-z.y",
        "a-٣-x.b",
    ]
    for sample in samples * 2 + [s * 40 for s in samples]:
        found = compiled.match(sample)
        expected = None if found is None else found.groups()
        assert linear._walk(sample) == expected, sample


@pytest.mark.parametrize(
    "path",
    ["/%00", "/a%2Fb", "/\ud800", "/a\r\nb", "/\t", "/../..", "/./", "/" + "é" * 1000],
)
def test_odd_paths_raise_only_http_errors(path: str) -> None:
    url_map = Map(
        [
            Rule("/", endpoint="i"),
            Rule("/<x>", endpoint="x"),
            Rule("/f/<path:p>", endpoint="f"),
            Rule("/n/<int:n>/<float:f>", endpoint="n"),
        ]
    )
    for method in ["GET", "POST", "", "X" * 100]:
        try:
            url_map._match(path, method)
        except HTTPException:
            pass


# -- building -----------------------------------------------------------------


@pytest.fixture
def build_adapter() -> MapAdapter:
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Rule("/u/<int:id>", endpoint="user"),
            Rule("/f/<path:name>", endpoint="file"),
            Rule("/p/<name>", endpoint="page", methods=["GET"]),
            Rule("/p/<name>/edit", endpoint="page", methods=["POST"]),
            Rule("/lang/<any(en, de):lang>", endpoint="lang"),
        ]
    )
    return url_map.bind("example.com", "/app")


@pytest.mark.parametrize(
    ("endpoint", "values", "method", "expected"),
    [
        ("index", {}, None, "/app/"),
        ("index", {"q": "x y", "n": 1}, None, "/app/?q=x+y&n=1"),
        ("index", {"q": ["a", "b"], "z": None}, None, "/app/?q=a&q=b"),
        ("index", {"q": ("a",), "e": ""}, None, "/app/?q=a&e="),
        ("index", {"k&=": "v/?#"}, None, "/app/?k%26%3D=v/?%23"),
        ("index", {"b": b"\xff"}, None, "/app/?b=%FF"),
        ("user", {"id": 42}, None, "/app/u/42"),
        ("user", {"id": "42", "page": 2}, None, "/app/u/42?page=2"),
        ("file", {"name": "a b/ü.txt"}, None, "/app/f/a%20b/%C3%BC.txt"),
        ("page", {"name": "x"}, None, "/app/p/x"),
        ("page", {"name": "x"}, "POST", "/app/p/x/edit"),
        ("page", {"name": "x"}, "GET", "/app/p/x"),
        ("lang", {"lang": "de"}, None, "/app/lang/de"),
    ],
)
def test_build(
    build_adapter: MapAdapter,
    endpoint: str,
    values: dict[str, t.Any],
    method: str | None,
    expected: str,
) -> None:
    assert build_adapter.build(endpoint, values, method=method) == expected


def test_build_external_and_scheme(build_adapter: MapAdapter) -> None:
    assert build_adapter.build("user", {"id": 1}, force_external=True) == (
        "http://example.com/app/u/1"
    )
    assert build_adapter.build(
        "user", {"id": 1}, force_external=True, url_scheme="https"
    ) == ("https://example.com/app/u/1")
    assert build_adapter.build("index", {"a": 1}, append_unknown=False) == "/app/"


def test_build_default_method_prefers_matching_rule(build_adapter: MapAdapter) -> None:
    post = build_adapter.map.bind("example.com", default_method="POST")
    assert post.build("page", {"name": "x"}) == "/p/x/edit"


def test_build_with_multidict() -> None:
    adapter = Map([Rule("/s", endpoint="search")]).bind("x")
    values = MultiDict([("q", "a"), ("q", "b"), ("one", "1")])
    assert adapter.build("search", values) == "/s?q=a&q=b&one=1"


def test_build_sorted_parameters() -> None:
    adapter = Map([Rule("/s", endpoint="s")], sort_parameters=True).bind("x")
    assert adapter.build("s", {"b": 1, "a": 2, "c": [3, 0]}) == "/s?a=2&b=1&c=0&c=3"


def test_build_any_converter_rejects_unknown_value(build_adapter: MapAdapter) -> None:
    with pytest.raises(ValueError, match="'fr' is not one of 'de', 'en'"):
        build_adapter.build("lang", {"lang": "fr"})


def test_fast_build() -> None:
    url_map = Map(
        [Rule("/u/<int:id>", endpoint="user"), Rule("/", subdomain="w", endpoint="w")]
    )
    domain, path, rule = url_map._build("user", {"id": 3, "tab": "x", "none": None})
    assert (domain, path, rule.endpoint) == ("", "/u/3?tab=x", "user")
    assert url_map._build("w", {})[:2] == ("w", "/")
    with pytest.raises(BuildError):
        url_map._build("user", {})


@pytest.mark.parametrize(
    ("endpoint", "values", "method", "message"),
    [
        (
            "user",
            {},
            None,
            "Could not build url for endpoint 'user'. Did you forget to specify values"
            " ['id']?",
        ),
        (
            "user",
            {"name": "x"},
            None,
            "Could not build url for endpoint 'user' with values ['name']. Did you"
            " forget to specify values ['id']?",
        ),
        (
            "usr",
            {"id": 1},
            None,
            "Could not build url for endpoint 'usr' with values ['id']. Did you mean"
            " 'user' instead?",
        ),
        (
            "page",
            {"name": "x"},
            "DELETE",
            "Could not build url for endpoint 'page' ('DELETE') with values ['name']."
            " Did you mean to use methods ['GET', 'HEAD']?",
        ),
    ],
)
def test_build_error_messages(
    build_adapter: MapAdapter,
    endpoint: str,
    values: dict[str, t.Any],
    method: str | None,
    message: str,
) -> None:
    with pytest.raises(BuildError) as info:
        build_adapter.build(endpoint, values, method=method)
    assert str(info.value) == message
    assert isinstance(info.value, LookupError)
    assert (info.value.endpoint, info.value.method) == (endpoint, method)
    assert info.value.adapter is build_adapter
    theirs = wz.Map(
        [
            wz.Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
            for rule in build_adapter.map.iter_rules()
        ]
    ).bind("example.com", "/app")
    with pytest.raises(wz.BuildError) as reference:
        theirs.build(endpoint, values, method=method)
    assert str(reference.value) == message


def test_build_error_without_rules_has_no_suggestion() -> None:
    with pytest.raises(BuildError) as info:
        Map().bind("x").build("nothing")
    assert str(info.value) == "Could not build url for endpoint 'nothing'."
    assert info.value.suggested is None


# -- differential tests against Werkzeug --------------------------------------

DIFF_RULES: list[tuple[str, dict[str, t.Any]]] = [
    ("/", {"endpoint": "index"}),
    ("/about/", {"endpoint": "about"}),
    ("/contact", {"endpoint": "contact", "methods": ["GET", "POST"]}),
    ("/contact", {"endpoint": "contact_put", "methods": ["PUT"]}),
    ("/u/<int:id>", {"endpoint": "user"}),
    ("/u/<int:id>/<any(posts, likes):tab>", {"endpoint": "user_tab"}),
    ("/u/<username>", {"endpoint": "user_by_name"}),
    ("/u/<username>/", {"endpoint": "user_dir", "strict_slashes": False}),
    ("/files/<path:name>", {"endpoint": "files"}),
    ("/files/<path:name>/raw/", {"endpoint": "raw"}),
    ("/page-<int:n>.html", {"endpoint": "page_html"}),
    ("/<lang>/<path:rest>", {"endpoint": "localized"}),
    ("/blog/", {"endpoint": "blog", "defaults": {"page": 1}}),
    ("/blog/<int:page>", {"endpoint": "blog"}),
    ("/v/<float:x>", {"endpoint": "float"}),
    ("/v/<uuid:x>", {"endpoint": "uuid"}),
    ("/v/<string(length=3):x>", {"endpoint": "three"}),
    ("/v/<x>-<y>", {"endpoint": "dash"}),
    ("/post", {"endpoint": "post_only", "methods": ["POST"]}),
    ("/ws", {"endpoint": "socket", "websocket": True}),
    ("/old/<int:id>", {"redirect_to": "u/<id>"}),
]

DIFF_PATHS = [
    "/",
    "",
    "/about",
    "/about/",
    "/contact",
    "/contact/",
    "/u/42",
    "/u/42/posts",
    "/u/42/other",
    "/u/bob",
    "/u/bob/",
    "/u/42/",
    "/files/a/b/c",
    "/files/a/b/raw",
    "/files/a/b/raw/",
    "/files/",
    "/page-3.html",
    "/page-x.html",
    "/de/some/where",
    "/blog/",
    "/blog",
    "/blog/1",
    "/blog/2",
    "/v/1.5",
    "/v/12345678-1234-5678-1234-567812345678",
    "/v/abc",
    "/v/a-b-c",
    "/v/ab",
    "/post",
    "/ws",
    "/old/7",
    "//about/",
    "/about//",
    "/u//42",
    "/files//a",
    "/nothing/here/at/all",
    "/%20",
    "/ü/x",
]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "HEAD"])
@pytest.mark.parametrize("path", DIFF_PATHS)
def test_matching_equals_werkzeug(path: str, method: str) -> None:
    ours = Map([Rule(rule, **options) for rule, options in DIFF_RULES])
    theirs = wz.Map([wz.Rule(rule, **options) for rule, options in DIFF_RULES])
    adapter = ours.bind("example.com", "/root", query_args="q=1")
    reference = theirs.bind("example.com", "/root", query_args="q=1")
    assert outcome(adapter, path, method) == outcome(reference, path, method)


DIFF_BUILDS: list[tuple[str, dict[str, t.Any], str | None]] = [
    ("index", {}, None),
    ("index", {"next": "/a b", "tags": ["x", "y"], "none": None}, None),
    ("about", {"x": 1}, None),
    ("contact", {}, "POST"),
    ("contact", {}, "PUT"),
    ("contact", {}, "DELETE"),
    ("user", {"id": 7}, None),
    ("user_tab", {"id": 7, "tab": "likes"}, None),
    ("user_by_name", {"username": "a/b c"}, None),
    ("files", {"name": "dir/ü x.txt"}, None),
    ("raw", {"name": "d/e"}, None),
    ("page_html", {"n": 2}, None),
    ("localized", {"lang": "de", "rest": "a/b"}, None),
    ("blog", {}, None),
    ("blog", {"page": 1}, None),
    ("blog", {"page": 5}, None),
    ("float", {"x": 2.5}, None),
    ("uuid", {"x": uuid.UUID(int=5)}, None),
    ("dash", {"x": "a", "y": "b"}, None),
    ("socket", {}, None),
    ("user", {}, None),
    ("missing", {}, None),
]


@pytest.mark.parametrize("external", [False, True])
@pytest.mark.parametrize(("endpoint", "values", "method"), DIFF_BUILDS)
def test_building_equals_werkzeug(
    endpoint: str, values: dict[str, t.Any], method: str | None, external: bool
) -> None:
    ours = Map([Rule(rule, **options) for rule, options in DIFF_RULES]).bind(
        "example.com", "/root"
    )
    theirs = wz.Map([wz.Rule(rule, **options) for rule, options in DIFF_RULES]).bind(
        "example.com", "/root"
    )

    def result(adapter: t.Any) -> t.Any:
        try:
            return adapter.build(endpoint, dict(values), method, external)
        except Exception as error:
            return (type(error).__name__, str(error))

    assert result(ours) == result(theirs)


def test_fast_match_agrees_with_adapter() -> None:
    url_map = Map([Rule(rule, **options) for rule, options in DIFF_RULES])
    adapter = url_map.bind("example.com")
    for path in DIFF_PATHS:
        for method in ["GET", "POST", "PROPFIND"]:
            try:
                expected: t.Any = adapter.match(path, method, return_rule=True)
            except RequestRedirect:
                expected = "redirect"
            except HTTPException as error:
                expected = type(error)
            try:
                got: t.Any = url_map._match(path, method)
            except RequestRedirect:
                got = "redirect"
            except HTTPException as error:
                got = type(error)
            assert got == expected, (path, method)


def test_compilation_is_lazy() -> None:
    url_map = Map()
    for index in range(20):
        url_map.add(Rule(f"/r{index}/<int:x>", endpoint=f"r{index}"))
    assert url_map._dirty
    assert url_map._matcher is None
    assert url_map._match("/r19/5", "GET")[1] == {"x": 5}
    assert not url_map._dirty
    matcher = url_map._matcher
    url_map._match("/r3/1", "GET")
    assert url_map._matcher is matcher  # not recompiled


# -- _match_or_error: the application's entry point, errors returned ----------------


def _error_map() -> Map:
    return Map(
        [
            Rule("/", endpoint="index"),
            Rule("/post", endpoint="post", methods=["POST"]),
            Rule("/dir/", endpoint="dir"),
            Rule("/u/<int:n>", endpoint="user"),
            Rule("/old", endpoint="old", redirect_to="/new"),
            Rule("/ws", endpoint="ws", websocket=True),
        ]
    )


@pytest.mark.parametrize(
    ("path", "method", "error", "new_url"),
    [
        ("/missing", "GET", NotFound, None),
        ("/u/x", "GET", NotFound, None),
        ("/post", "GET", MethodNotAllowed, None),
        ("/dir", "GET", RedirectRequired, "/dir/"),
        ("/old", "GET", RedirectRequired, "/new"),
        ("/u//1", "GET", RedirectRequired, "/u/1"),
        ("/ws", "GET", WebsocketMismatch, None),
    ],
)
def test_match_or_error_returns_what_match_raises(
    path: str, method: str, error: type[Exception], new_url: str | None
) -> None:
    url_map = _error_map()
    rule, found = url_map._match_or_error(path, method)
    assert rule is None
    assert type(found) is error
    assert found.__traceback__ is None
    if new_url is not None:
        assert found.new_url == new_url  # type: ignore[attr-defined]
    if error is MethodNotAllowed:
        assert found.valid_methods == ["POST"]  # type: ignore[attr-defined]
    with pytest.raises(error) as raised:
        url_map._match(path, method)
    assert type(raised.value) is error


@pytest.mark.parametrize(
    ("path", "endpoint", "values"),
    [("/", "index", {}), ("/dir/", "dir", {}), ("/u/5", "user", {"n": 5})],
)
def test_match_or_error_hits(
    path: str, endpoint: str, values: dict[str, t.Any]
) -> None:
    url_map = _error_map()
    rule, found = url_map._match_or_error(path, "GET")
    assert rule is not None
    assert (rule.endpoint, found) == (endpoint, values)
    assert url_map._match(path, "GET") == (rule, found)
