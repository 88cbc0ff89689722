"""JSON: the app's provider, jsonify, module functions, tagged JSON, orjson."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import io
import json
import subprocess
import sys
import typing as t
import uuid
from collections import OrderedDict, namedtuple
from pathlib import Path

import flask
import flask.json.tag
import pytest
from markupsafe import Markup

import hipflask
import hipflask.json
from hipflask import Flask, jsonify, request
from hipflask.json.orjson import ORJSONProvider
from hipflask.json.provider import DefaultJSONProvider, JSONProvider
from hipflask.json.tag import JSONTag, TaggedJSONSerializer
from hipflask.testing import FlaskClient

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclasses.dataclass
class Point:
    x: int
    y: datetime.date


class HTMLThing:
    def __html__(self) -> str:
        return "<p>html</p>"


Pair = namedtuple("Pair", "left right")

#: Values the default provider serialises, with Flask's output as the referee.
VALUES: dict[str, t.Any] = {
    "none": None,
    "bool": [True, False],
    "int": [0, -1, 2**63 - 1, -(2**63), 2**64 + 5, 10**30],
    "float": [0.0, -0.0, 1.5, 1e16, 1e22, 1e-5, 1e-7, 2.5e-05, 123.456e-10, 0.1],
    "float-tiny": 0.00001234,
    "str": "plain",
    "unicode": 'Zoë – naïve café ☃ 😀 \u2028 \x7f \x00 \n "q" \\',
    "nested": {"b": [1, {"d": 4, "c": 3}], "a": (1, 2)},
    "keys": {"b": 1, "a": 2, "A": 3, "é": 4, "10": 5, "9": 6},
    "int-keys": {10: "ten", 9: "nine", 1: "one"},
    "mixed-keys": {"a": 1, True: 2, None: 3, 1.5: 4},
    "date": datetime.date(2024, 2, 29),
    "datetime-utc": datetime.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc
    ),
    "datetime-naive": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "datetime-offset": datetime.datetime(
        2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    ),
    "decimal": decimal.Decimal("3.14159265358979323846"),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "dataclass": Point(1, datetime.date(2020, 1, 1)),
    "html": HTMLThing(),
    "markup": Markup("<b>x</b>"),
    "ordered": OrderedDict([("z", 1), ("a", 2)]),
    "namedtuple": Pair(1, 2),
    "empty": [[], {}, ""],
    "deep": [[[[[[[[[[[[1]]]]]]]]]]]],
    "uuid-strings": ["3e-4abc", "1e-7", "0.00001", "x,1e-5 y"],
}


def flask_provider(**settings: t.Any) -> t.Any:
    app = flask.Flask("reference")
    for name, value in settings.items():
        setattr(app.json, name, value)
    return app


def our_app(provider: type[JSONProvider], **settings: t.Any) -> Flask:
    app = Flask("ours", root_path="/nonexistent-root")
    app.json = provider(app)
    for name, value in settings.items():
        setattr(app.json, name, value)
    return app


PROVIDERS = [DefaultJSONProvider, ORJSONProvider]
SETTINGS = [
    {},
    {"sort_keys": False},
    {"ensure_ascii": False},
    {"compact": False},
    {"compact": True},
]


# -- the provider against Flask's ----------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS, ids=["default", "orjson"])
@pytest.mark.parametrize("settings", SETTINGS, ids=repr)
@pytest.mark.parametrize("name", list(VALUES))
def test_response_body_matches_flask(
    provider: type[JSONProvider], settings: dict[str, t.Any], name: str
) -> None:
    value = VALUES[name]
    reference = flask_provider(**settings)
    app = our_app(provider, **settings)
    with reference.app_context():
        try:
            expected: t.Any = reference.json.response(value).get_data()
        except TypeError as e:
            expected = e
    with app.app_context():
        if isinstance(expected, TypeError):
            with pytest.raises(TypeError) as info:
                app.json.response(value)
            assert str(info.value) == str(expected)
            return
        got = app.json.response(value)
    assert got.get_data() == expected
    assert got.mimetype == "application/json"


@pytest.mark.parametrize("provider", PROVIDERS, ids=["default", "orjson"])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"separators": (",", ":")}, {"indent": 2}, {"indent": 4, "sort_keys": False}],
    ids=repr,
)
@pytest.mark.parametrize("name", list(VALUES))
def test_dumps_matches_flask(
    provider: type[JSONProvider], kwargs: dict[str, t.Any], name: str
) -> None:
    value = VALUES[name]
    reference = flask_provider()
    app = our_app(provider)
    try:
        expected: t.Any = reference.json.dumps(value, **kwargs)
    except TypeError as e:
        expected = e
    if isinstance(expected, TypeError):
        with pytest.raises(TypeError) as info:
            app.json.dumps(value, **kwargs)
        assert str(info.value) == str(expected)
    else:
        assert app.json.dumps(value, **kwargs) == expected


LOADS_INPUTS = [
    '{"a": [1, 2.5, true, null, "x"]}',
    b'{"b": "\\u00e9\\ud83d\\ude00"}',
    "[18446744073709551616, -9223372036854775809, 1234567890123456789012]",
    "[NaN, Infinity, -Infinity]",
    '"\\ud800"',
    "\ufeff[1]".encode(),
    '{"a": 1, "a": 2}',
    "[1e400, 0.1, -0.0]",
    " [ 1 , 2 ] ",
    "[1]".encode("utf-16"),
    b'"caf\xc3\xa9"',
]
BAD_LOADS = ["", "[1,", "{'a': 1}", "[1] x", b"\xff\xfe\xfa", "tru", '"\\x"']


@pytest.mark.parametrize("provider", PROVIDERS, ids=["default", "orjson"])
@pytest.mark.parametrize("text", LOADS_INPUTS, ids=repr)
def test_loads_matches_the_standard_library(
    provider: type[JSONProvider], text: str | bytes
) -> None:
    app = our_app(provider)
    got = app.json.loads(text)
    expected = json.loads(text)
    assert repr(got) == repr(expected)
    assert type(got) is type(expected)


@pytest.mark.parametrize("provider", PROVIDERS, ids=["default", "orjson"])
@pytest.mark.parametrize("text", BAD_LOADS, ids=repr)
def test_bad_input_raises_the_standard_librarys_error(
    provider: type[JSONProvider], text: str | bytes
) -> None:
    app = our_app(provider)
    with pytest.raises(ValueError) as expected:
        json.loads(text)
    with pytest.raises(ValueError) as got:
        app.json.loads(text)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)


def test_unserialisable_values_raise_flasks_type_error() -> None:
    app = our_app(DefaultJSONProvider)
    for value in (object(), {1, 2}, b"bytes", datetime.time(1, 2)):
        with pytest.raises(TypeError) as ours:
            app.json.dumps(value)
        with pytest.raises(TypeError) as theirs:
            flask_provider().json.dumps(value)
        assert str(ours.value) == str(theirs.value)


def _circular() -> list[t.Any]:
    items: list[t.Any] = [1]
    items.append({"again": items})
    return items


def _failure_then_success(app: t.Any, value: t.Any) -> tuple[t.Any, bytes]:
    with app.app_context():
        try:
            app.json.response(value)
        except (ValueError, TypeError) as e:
            error: t.Any = (type(e), str(e))
        else:
            error = None
        return error, app.json.response({"a": [1, {"b": 2}]}).get_data()


@pytest.mark.parametrize("settings", [{}, {"compact": False}], ids=repr)
@pytest.mark.parametrize(
    "value",
    [_circular(), {"a": [1, {"b": object()}]}, {"x": {1, 2}}],
    ids=["circular", "deep-object", "set"],
)
def test_failures_match_flask_and_leave_no_state(
    settings: dict[str, t.Any], value: t.Any
) -> None:
    # The compact encoder is built once and reused: a failure in one response
    # must raise what Flask raises and must not affect the next response.
    ours = _failure_then_success(our_app(DefaultJSONProvider, **settings), value)
    assert ours[0] is not None
    assert ours == _failure_then_success(flask_provider(**settings), value)


def test_deep_data_is_a_recursion_error(app: Flask) -> None:
    # Deeper than Python's recursion limit and than the C recursion limit
    # that the C encoder checks on Python 3.12 and later.
    deep: dict[str, t.Any] = {}
    for _ in range(max(sys.getrecursionlimit() + 100, 100_000)):
        deep = {"a": deep}
    with app.app_context():
        with pytest.raises(RecursionError):
            app.json.response(deep)
        assert app.json.response({"ok": 1}).get_data() == b'{"ok":1}\n'


def test_default_may_serialise_in_turn(app: Flask) -> None:
    class Nested:
        pass

    def default(value: t.Any) -> t.Any:
        if isinstance(value, Nested):
            # A default that itself renders JSON (with the same provider).
            return json.loads(jsonify({"inner": [1, 2]}).get_data())
        raise TypeError(f"no {type(value).__name__}")

    app.json.default = default  # type: ignore[attr-defined]
    with app.app_context():
        rv = jsonify(outer=Nested(), n=1)
    assert rv.get_data() == b'{"n":1,"outer":{"inner":[1,2]}}\n'


def test_jsonify_outside_an_app_context_is_flasks_error() -> None:
    with pytest.raises(RuntimeError) as ours:
        jsonify(1)
    with pytest.raises(RuntimeError) as theirs:
        flask.jsonify(1)
    assert str(ours.value) == str(theirs.value)


def test_provider_defaults_are_flasks() -> None:
    ours = DefaultJSONProvider
    theirs = flask.json.provider.DefaultJSONProvider
    for name in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        assert getattr(ours, name) == getattr(theirs, name)


def test_debug_pretty_prints_unless_compact(app: Flask) -> None:
    app.debug = True
    with app.app_context():
        assert app.json.response({"a": 1}).get_data() == b'{\n  "a": 1\n}\n'
        app.json.compact = True  # type: ignore[attr-defined]
        assert app.json.response({"a": 1}).get_data() == b'{"a":1}\n'


def test_mimetype_and_response_class(app: Flask) -> None:
    app.json.mimetype = "application/vnd.api+json"  # type: ignore[attr-defined]
    with app.app_context():
        rv = jsonify(1)
    assert rv.mimetype == "application/vnd.api+json"
    assert isinstance(rv, app.response_class)


def test_custom_default_function(app: Flask, client: FlaskClient) -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    def default(o: t.Any) -> t.Any:
        if isinstance(o, Money):
            return f"${o.cents / 100:.2f}"
        return DefaultJSONProvider.default(o)

    app.json.default = default  # type: ignore[attr-defined]
    app.route("/")(lambda: {"price": Money(1999), "day": datetime.date(2024, 1, 1)})
    assert client.get("/").json == {
        "day": "Mon, 01 Jan 2024 00:00:00 GMT",
        "price": "$19.99",
    }


# -- jsonify and the module functions ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {}, None),
        ((1,), {}, 1),
        (("a", "b"), {}, ["a", "b"]),
        ((), {"b": 2, "a": 1}, {"a": 1, "b": 2}),
        (([1, 2],), {}, [1, 2]),
    ],
)
def test_jsonify_arguments(
    app: Flask,
    client: FlaskClient,
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
    expected: t.Any,
) -> None:
    app.route("/")(lambda: jsonify(*args, **kwargs))
    rv = client.get("/")
    assert rv.status_code == 200
    assert rv.mimetype == "application/json"
    assert rv.json == expected


def test_jsonify_args_and_kwargs_is_type_error(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError, match="either args or kwargs"):
        jsonify(1, a=2)


def test_view_returning_dict_or_list(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/dict", "dict", lambda: {"z": 1, "a": [1]})
    app.add_url_rule("/list", "list", lambda: [{"b": 2, "a": 1}])
    app.add_url_rule("/status", "status", lambda: ({"e": "x"}, 418))
    assert client.get("/dict").data == b'{"a":[1],"z":1}\n'
    assert client.get("/list").data == b'[{"a":1,"b":2}]\n'
    rv = client.get("/status")
    assert (rv.status_code, rv.json) == (418, {"e": "x"})


def test_module_functions_use_the_app_provider(app: Flask) -> None:
    class Upper(DefaultJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return super().dumps(obj, **kwargs).upper()

        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            return {"loaded": super().loads(s, **kwargs)}

    app.json = Upper(app)
    with app.app_context():
        assert hipflask.json.dumps({"a": "b"}) == '{"A": "B"}'
        assert hipflask.json.loads('"x"') == {"loaded": "x"}
        out = io.StringIO()
        hipflask.json.dump(["x"], out)
        assert out.getvalue() == '["X"]'
        assert hipflask.json.load(io.StringIO("1")) == {"loaded": 1}


def test_module_functions_without_an_app_match_flask() -> None:
    for value in (
        {"b": 1, "a": datetime.date(2024, 1, 1)},
        [uuid.UUID(int=1), decimal.Decimal("1.5"), "é"],
    ):
        assert hipflask.json.dumps(value) == flask.json.dumps(value)
    out = io.StringIO()
    hipflask.json.dump({"a": 1}, out)
    assert out.getvalue() == '{"a": 1}'
    assert hipflask.json.loads(b'{"a": [1]}') == {"a": [1]}
    assert hipflask.json.load(io.BytesIO(b"[2]")) == [2]


def test_request_get_json_uses_the_app_provider(
    app: Flask, client: FlaskClient
) -> None:
    class Tagging(DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            return {"via": "provider", "data": super().loads(s, **kwargs)}

    app.json = Tagging(app)
    app.post("/")(lambda: request.get_json())
    # (The raw body: the test client reads .json with the app's provider too.)
    rv = client.post("/", json={"a": 1})
    assert rv.data == b'{"data":{"a":1},"via":"provider"}\n'


def test_json_provider_class_is_swappable(protocol: str) -> None:
    class Custom(DefaultJSONProvider):
        sort_keys = False

        def response(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            rv = super().response(*args, **kwargs)
            rv.headers["X-Provider"] = "custom"
            return rv

    class App(Flask):
        json_provider_class = Custom

    app = App("swapped", root_path="/nonexistent-root")
    assert isinstance(app.json, Custom)
    app.route("/")(lambda: {"b": 1, "a": 2})
    rv = app.test_client(asgi=protocol == "asgi").get("/")
    assert rv.headers["X-Provider"] == "custom"
    assert rv.data == b'{"b":1,"a":2}\n'


def test_provider_interface_defaults(app: Flask) -> None:
    base = JSONProvider(app)
    with pytest.raises(NotImplementedError):
        base.dumps(1)
    with pytest.raises(NotImplementedError):
        base.loads("1")


# -- the orjson provider -------------------------------------------------------------


def test_orjson_provider_serves_the_same_bodies(protocol: str) -> None:
    def build(provider: type[JSONProvider]) -> Flask:
        app = Flask("o", root_path="/nonexistent-root")
        app.json = provider(app)

        @app.route("/<name>")
        def value(name: str) -> t.Any:
            return jsonify(VALUES[name])

        @app.post("/echo")
        def echo() -> t.Any:
            return request.get_json()

        return app

    ours = build(ORJSONProvider).test_client(asgi=protocol == "asgi")
    reference = build(DefaultJSONProvider).test_client()
    for name in VALUES:
        if name in ("mixed-keys",):
            continue
        assert ours.get(f"/{name}").data == reference.get(f"/{name}").data, name
    body = {"a": [1, 2.5e-7, "é"], "n": 12345678901234567890123}
    assert ours.post("/echo", json=body).data == reference.post("/echo", json=body).data


def test_orjson_provider_known_differences() -> None:
    app = our_app(ORJSONProvider)
    with app.app_context():
        # NaN is not valid JSON: orjson writes null, the standard library NaN.
        assert app.json.response([float("nan")]).get_data() == b"[null]\n"

        class Color(enum.Enum):
            RED = "red"

        assert app.json.response([Color.RED]).get_data() == b'["red"]\n'


def test_orjson_provider_subclass_dumps_is_used() -> None:
    class Shouting(ORJSONProvider):
        def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    app = our_app(Shouting)
    with app.app_context():
        assert app.json.response({"a": "b"}).get_data() == b'{"A":"B"}\n'


def test_import_hipflask_does_not_import_orjson() -> None:
    code = (
        "import sys, hipflask, hipflask.json, hipflask.json.provider;"
        "app = hipflask.Flask('x');"
        "app.test_client().get('/');"
        "print('orjson' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC)},
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False"


# -- tagged JSON ---------------------------------------------------------------------

TAGGED_VALUES: list[t.Any] = [
    {" t": (1, 2, 3)},
    {"a": (1, (2, [3, (4,)]))},
    b"\xff\x00bytes",
    Markup("<b>markup</b>"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
    {"dict": {"nested": [b"x", (1,)]}},
    {" di": 1},
    {" t__": "x"},
    [],
    "",
    None,
    {"x": [{" m": "looks tagged"}]},
]


@pytest.mark.parametrize("value", TAGGED_VALUES, ids=repr)
def test_tagged_round_trip_matches_flask(value: t.Any) -> None:
    ours = TaggedJSONSerializer()
    theirs = flask.json.tag.TaggedJSONSerializer()
    dumped = ours.dumps(value)
    assert dumped == theirs.dumps(value)
    assert ours.loads(dumped) == value
    assert ours.loads(dumped) == theirs.loads(dumped)


def test_tagged_datetime_naive_becomes_utc() -> None:
    s = TaggedJSONSerializer()
    naive = datetime.datetime(2024, 1, 2, 3, 4, 5)
    assert s.loads(s.dumps(naive)) == naive.replace(tzinfo=datetime.timezone.utc)


def test_custom_tag() -> None:
    class Foo:
        def __init__(self, data: t.Any) -> None:
            self.data = data

    class TagFoo(JSONTag):
        __slots__ = ()
        key = " f"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, Foo)

        def to_json(self, value: t.Any) -> t.Any:
            return self.serializer.tag(value.data)

        def to_python(self, value: t.Any) -> t.Any:
            return Foo(value)

    s = TaggedJSONSerializer()
    s.register(TagFoo)
    result = s.loads(s.dumps(Foo("bar")))
    assert isinstance(result, Foo)
    assert result.data == "bar"
    with pytest.raises(KeyError, match="' f' is already registered"):
        s.register(TagFoo)
    s.register(TagFoo, force=True)
    assert isinstance(s.tags[" f"], TagFoo)
    s.register(TagFoo, force=True, index=0)
    assert isinstance(s.order[0], TagFoo)


def test_tag_interface() -> None:
    tag = JSONTag(TaggedJSONSerializer())
    for method in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            method(None)


def test_tagged_serializer_with_orjson_provider_writes_the_same(app: Flask) -> None:
    s = TaggedJSONSerializer()
    value = {"u": uuid.UUID(int=5), "t": (1, 2), "s": "é", "f": 1e-7}
    with app.app_context():
        default_text = s.dumps(value)
    app.json = ORJSONProvider(app)
    with app.app_context():
        assert s.dumps(value) == default_text
        assert s.loads(default_text) == value


# -- the response encoder: the C encoder called directly, or encode() ----------------


def test_response_encoder_without_the_c_encoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    app = our_app(DefaultJSONProvider)
    with app.app_context():
        body = app.json.response(VALUES["ordered"]).get_data()
    assert body == b'{"a":2,"z":1}\n'


def test_response_encoder_keeps_no_state_between_calls() -> None:
    app = our_app(DefaultJSONProvider)
    loop: list[t.Any] = []
    loop.append(loop)
    holder: dict[str, t.Any] = {"k": [1, 2], "z": object()}
    with app.app_context():
        with pytest.raises(ValueError, match="Circular reference detected"):
            app.json.response(loop)
        # A call that fails inside ``holder`` (on its unserialisable value)
        # leaves no mark on it: once fixed, it serialises fine.
        with pytest.raises(TypeError):
            app.json.response([holder])
        del holder["z"]
        assert app.json.response([holder, holder]).get_data() == (
            b'[{"k":[1,2]},{"k":[1,2]}]\n'
        )


def reference_untagged(s: TaggedJSONSerializer, text: str) -> tuple[str, t.Any]:
    """The parse-then-walk result (or error) the fast path must reproduce."""
    try:
        return ("ok", s._untag_scan(json.loads(text)))
    except json.JSONDecodeError as e:
        return ("error", str(e))


TAGGED_TEXTS = [
    '{"a":1}',
    ' {"a":1}',
    '{"a":1}\n\t ',
    '{"a":1} x',
    '{"a":1}{"b":2}',
    "",
    "   ",
    "x",
    "\ufeff{}",
    '{" t":[1,{" t":[2]}]}',
    '[{" b":"AAE="},{" u":"12345678123456781234567812345678"}]',
    '{"k":{" di":{" t__":5}}}',
    '{"a":1,"a":{" m":"<b>"}}',
    '"text"',
    "12.5",
]


@pytest.mark.parametrize("text", TAGGED_TEXTS, ids=repr)
def test_tagged_loads_parses_while_untagging_as_parse_then_walk(
    app: Flask, text: str
) -> None:
    s = TaggedJSONSerializer()
    expected = reference_untagged(s, text)
    for context in (None, app.app_context()):
        if context is not None:
            context.push()
        try:
            try:
                got: tuple[str, t.Any] = ("ok", s.loads(text))
            except json.JSONDecodeError as e:
                got = ("error", str(e))
        finally:
            if context is not None:
                context.pop()
        assert got == expected


def test_tagged_loads_bytes_and_other_providers_use_their_parser(app: Flask) -> None:
    calls: list[t.Any] = []

    class Recording(DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            calls.append(s)
            return super().loads(s, **kwargs)

    s = TaggedJSONSerializer()
    text = '{"x":{" t":[1]}}'
    assert s.loads(text.encode()) == {"x": (1,)}
    app.json = Recording(app)
    with app.app_context():
        assert s.loads(text) == {"x": (1,)}
    assert calls == [text]


def test_tagged_subclass_with_its_own_walk_keeps_it() -> None:
    class Walker(TaggedJSONSerializer):
        __slots__ = ()

        def _untag_scan(self, value: t.Any) -> t.Any:
            return ("walked", value)

    assert Walker().loads('{"a":1}') == ("walked", {"a": 1})
    assert TaggedJSONSerializer().loads('{"a":1}') == {"a": 1}


def test_jsonify_default_provider_builds_the_response_directly(app: Flask) -> None:
    with app.app_context():
        rv = jsonify(b=1, a=[2])
        assert isinstance(rv, app.response_class)
        assert rv.mimetype == "application/json"
        assert rv.get_data(as_text=True) == '{"a":[2],"b":1}\n'
        assert jsonify().get_data(as_text=True) == "null\n"
        assert jsonify(1, 2).get_data(as_text=True) == "[1,2]\n"


def test_jsonify_uses_a_subclass_response(app: Flask) -> None:
    class Provider(DefaultJSONProvider):
        def response(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
            return app.response_class("sub", mimetype="text/plain")

    app.json = Provider(app)
    with app.app_context():
        assert jsonify(a=1).get_data(as_text=True) == "sub"


def test_jsonify_uses_a_subclass_prepare_response_obj(app: Flask) -> None:
    class Provider(DefaultJSONProvider):
        def _prepare_response_obj(
            self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
        ) -> t.Any:
            return {"wrapped": kwargs}

    app.json = Provider(app)
    with app.app_context():
        assert jsonify(a=1).get_json() == {"wrapped": {"a": 1}}


def test_jsonify_uses_an_instance_response(app: Flask) -> None:
    app.json.response = lambda *a, **k: app.response_class("inst")  # type: ignore[method-assign]
    with app.app_context():
        assert jsonify(a=1).get_data(as_text=True) == "inst"


def test_jsonify_uses_an_instance_prepare_response_obj(app: Flask) -> None:
    app.json._prepare_response_obj = lambda a, k: ["inst", k]  # type: ignore[method-assign]
    with app.app_context():
        assert jsonify(a=1).get_json() == ["inst", {"a": 1}]


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("sort_keys", False, '{"b":1,"a":"\\u00e9"}\n'),
        ("ensure_ascii", False, '{"a":"\u00e9","b":1}\n'),
        ("compact", False, '{\n  "a": "\\u00e9",\n  "b": 1\n}\n'),
        ("default", lambda o: "D", '{"a":"\\u00e9","b":1,"c":"D"}\n'),
    ],
)
def test_setting_changes_take_effect_on_the_next_response(
    app: Flask, client: FlaskClient, setting: str, value: t.Any, expected: str
) -> None:
    def view() -> t.Any:
        data: dict[str, t.Any] = {"b": 1, "a": "\u00e9"}
        if setting == "default":
            data["c"] = object()
            if app.json.default is DefaultJSONProvider.default:  # type: ignore[attr-defined]
                data.pop("c")
        return jsonify(data)

    app.route("/")(view)
    assert client.get("/").get_data(as_text=True) == '{"a":"\\u00e9","b":1}\n'
    assert client.get("/").get_data(as_text=True) == '{"a":"\\u00e9","b":1}\n'
    setattr(app.json, setting, value)
    assert client.get("/").get_data(as_text=True) == expected
    delattr(app.json, setting)
    assert client.get("/").get_data(as_text=True) == '{"a":"\\u00e9","b":1}\n'


def test_equal_but_not_identical_settings_serialise_the_same(app: Flask) -> None:
    app.json.sort_keys = 1  # type: ignore[attr-defined]
    with app.app_context():
        assert jsonify(b=1, a=2).get_data(as_text=True) == '{"a":2,"b":1}\n'
        app.json.sort_keys = 0  # type: ignore[attr-defined]
        assert jsonify(b=1, a=2).get_data(as_text=True) == '{"b":1,"a":2}\n'
