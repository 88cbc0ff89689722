"""Configuration: ``Config`` loaders, defaults, config attributes, instance paths."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import typing as t
from datetime import timedelta
from pathlib import Path

import flask
import pytest

from hipflask import Blueprint, Config, Flask
from hipflask.testing import FlaskClient


class Settings:
    SECRET_KEY = "from object"
    TEST_KEY = "foo"
    lower_case = "ignored"


# -- loaders -------------------------------------------------------------------------


def common_checks(config: Config) -> None:
    assert config["SECRET_KEY"] == "from object"
    assert config["TEST_KEY"] == "foo"
    assert "lower_case" not in config


def test_from_object_with_an_object(app: Flask) -> None:
    app.config.from_object(Settings)
    common_checks(app.config)
    app.config.from_object(Settings())
    common_checks(app.config)


def test_from_object_with_an_import_string(app: Flask) -> None:
    app.config.from_object("collections")
    assert "OrderedDict" not in app.config
    app.config.from_object("json.decoder:JSONDecodeError")
    app.config.from_object("http.HTTPStatus")
    assert app.config["OK"] == 200
    with pytest.raises(ImportError):
        app.config.from_object("no_such_module_here.Thing")


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_from_pyfile(tmp_path: Path) -> None:
    write(tmp_path / "settings.py", "SECRET_KEY = 'from object'\nTEST_KEY = 'foo'\n")
    config = Config(tmp_path)
    assert config.from_pyfile("settings.py") is True
    common_checks(config)
    # An absolute name ignores the root path.
    other = Config("/nonexistent-root")
    assert other.from_pyfile(str(tmp_path / "settings.py")) is True
    common_checks(other)


def test_from_pyfile_sees_its_own_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "cfg.py", "HERE = __file__\n")
    config = Config(tmp_path)
    config.from_pyfile("cfg.py")
    assert config["HERE"] == str(path)


@pytest.mark.parametrize("name", ["missing.py", "."])
def test_from_pyfile_missing(tmp_path: Path, name: str) -> None:
    config = Config(tmp_path)
    assert config.from_pyfile(name, silent=True) is False
    with pytest.raises(OSError) as ours:
        config.from_pyfile(name)
    reference = flask.Config(tmp_path)
    with pytest.raises(OSError) as theirs:
        reference.from_pyfile(name)
    assert ours.value.strerror == theirs.value.strerror
    assert str(ours.value.strerror).startswith("Unable to load configuration file (")


def test_from_envvar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "env.py", "SECRET_KEY = 'from object'\nTEST_KEY = 'foo'\n")
    config = Config("/nonexistent-root")
    monkeypatch.delenv("MY_SETTINGS", raising=False)
    assert config.from_envvar("MY_SETTINGS", silent=True) is False
    with pytest.raises(RuntimeError) as ours:
        config.from_envvar("MY_SETTINGS")
    with pytest.raises(RuntimeError) as theirs:
        flask.Config("/x").from_envvar("MY_SETTINGS")
    assert str(ours.value) == str(theirs.value)
    monkeypatch.setenv("MY_SETTINGS", str(tmp_path / "env.py"))
    assert config.from_envvar("MY_SETTINGS") is True
    common_checks(config)
    monkeypatch.setenv("MY_SETTINGS", str(tmp_path / "missing.py"))
    assert config.from_envvar("MY_SETTINGS", silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_envvar("MY_SETTINGS")


def test_from_mapping() -> None:
    config = Config("/nonexistent-root")
    assert config.from_mapping({"SECRET_KEY": "from object", "lower": 1}) is True
    config.from_mapping([("TEST_KEY", "foo")])  # type: ignore[arg-type]
    common_checks(config)
    config.from_mapping(SECRET_KEY="kw", lower="no")
    assert config["SECRET_KEY"] == "kw"
    assert "lower" not in config
    with pytest.raises(TypeError):
        config.from_mapping({}, {})  # type: ignore[call-arg]


def test_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(
        json.dumps({"SECRET_KEY": "from object", "TEST_KEY": "foo", "low": 1})
    )
    config = Config(tmp_path)
    assert config.from_file("c.json", load=json.load) is True
    common_checks(config)
    assert "low" not in config


def test_from_file_toml_in_binary_mode(tmp_path: Path) -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same API, a dev dependency before Python 3.11
        import tomli as tomllib
    write(tmp_path / "c.toml", 'SECRET_KEY = "from object"\nTEST_KEY = "foo"\n')
    config = Config(tmp_path)
    assert config.from_file("c.toml", load=tomllib.load, text=False) is True
    common_checks(config)
    # tomllib refuses a text file: text=False is what makes it work.
    with pytest.raises(TypeError):
        config.from_file("c.toml", load=tomllib.load)


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    assert config.from_file("none.json", json.load, silent=True) is False
    with pytest.raises(OSError, match="Unable to load configuration file"):
        config.from_file("none.json", json.load)


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("FLASK_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FLASK_STRING", "value")
    monkeypatch.setenv("FLASK_BOOL", "true")
    monkeypatch.setenv("FLASK_INT", "1")
    monkeypatch.setenv("FLASK_FLOAT", "1.5")
    monkeypatch.setenv("FLASK_LIST", "[1, 2]")
    monkeypatch.setenv("FLASK_DICT", '{"k": "v"}')
    monkeypatch.setenv("FLASK_NOT_JSON", "{oops")
    monkeypatch.setenv("NOT_FLASK_OTHER", "other")
    config = Config("/nonexistent-root")
    assert config.from_prefixed_env() is True
    assert config == {
        "STRING": "value",
        "BOOL": True,
        "INT": 1,
        "FLOAT": 1.5,
        "LIST": [1, 2],
        "DICT": {"k": "v"},
        "NOT_JSON": "{oops",
    }
    reference = flask.Config("/x")
    reference.from_prefixed_env()
    assert dict(config) == dict(reference)


def test_from_prefixed_env_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_EXIST__ok", "other")
    monkeypatch.setenv("APP_EXIST__inner__ik", "2")
    monkeypatch.setenv("APP_NEW__K", "v")
    config = Config("/nonexistent-root")
    config["EXIST"] = {"ok": "value", "flag": True, "inner": {"ik": 1}}
    config.from_prefixed_env("APP")
    assert config["EXIST"] == {"ok": "other", "flag": True, "inner": {"ik": 2}}
    assert config["NEW"] == {"K": "v"}


def test_from_prefixed_env_custom_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOM_A", "1")
    config = Config("/nonexistent-root")
    config.from_prefixed_env("CUSTOM", loads=lambda s: f"<{s}>")
    assert config["A"] == "<1>"


def test_get_namespace() -> None:
    config = Config("/nonexistent-root")
    config.update(
        FOO_OPTION_1="foo option 1",
        FOO_OPTION_2="foo option 2",
        BAR_STUFF_1="bar stuff 1",
    )
    assert config.get_namespace("FOO_") == {
        "option_1": "foo option 1",
        "option_2": "foo option 2",
    }
    assert config.get_namespace("FOO_", lowercase=False) == {
        "OPTION_1": "foo option 1",
        "OPTION_2": "foo option 2",
    }
    assert config.get_namespace("BAR_", trim_namespace=False) == {
        "bar_stuff_1": "bar stuff 1"
    }


def test_repr_and_dict_behaviour() -> None:
    config = Config("/root", {"A": 1})
    assert repr(config) == "<Config {'A': 1}>"
    assert isinstance(config, dict)
    assert config.root_path == "/root"


# -- defaults and attributes ---------------------------------------------------------


def test_every_flask_default_with_flasks_value() -> None:
    ours = Flask.default_config
    theirs = flask.Flask.default_config
    assert {key: ours[key] for key in theirs} == theirs
    # The one addition is documented in the app module.
    assert set(ours) - set(theirs) == {"ASGI_SYNC_INLINE"}
    assert ours["ASGI_SYNC_INLINE"] is False


def test_new_app_config_matches_flask(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLASK_DEBUG", "HIPFLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    ours = Flask("x", root_path="/r").config
    theirs = flask.Flask("x", root_path="/r").config
    assert {key: ours[key] for key in theirs} == dict(theirs)


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_debug_from_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FLASK_DEBUG", value)
    assert Flask("x", root_path="/r").debug is True
    monkeypatch.setenv("FLASK_DEBUG", "0")
    assert Flask("x", root_path="/r").debug is False


def test_config_attributes(app: Flask) -> None:
    app.debug = True
    assert app.config["DEBUG"] is True
    app.config["DEBUG"] = False
    assert app.debug is False
    app.testing = False
    assert app.config["TESTING"] is False
    app.secret_key = "s3cret"
    assert app.config["SECRET_KEY"] == "s3cret"
    assert app.permanent_session_lifetime == timedelta(days=31)
    app.config["PERMANENT_SESSION_LIFETIME"] = 42
    assert app.permanent_session_lifetime == timedelta(seconds=42)
    app.permanent_session_lifetime = timedelta(hours=1)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)


def test_config_is_readable_in_views(app: Flask, client: FlaskClient) -> None:
    app.config["GREETING"] = "hello"

    @app.route("/")
    def index() -> str:
        from hipflask import current_app

        return str(current_app.config["GREETING"])

    assert client.get("/").text == "hello"


def test_config_class_is_swappable() -> None:
    class MyConfig(Config):
        pass

    class MyApp(Flask):
        config_class = MyConfig

    app = MyApp("x", root_path="/r")
    assert isinstance(app.config, MyConfig)


# -- instance path and resources -----------------------------------------------------


def test_instance_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="must be absolute"):
        Flask("x", instance_path="relative")


def test_explicit_instance_path(tmp_path: Path) -> None:
    app = Flask("x", instance_path=str(tmp_path))
    assert app.instance_path == str(tmp_path)


@pytest.mark.parametrize("import_name", [__name__, "json", "json.decoder", "nowhere"])
def test_default_instance_path_as_flask(import_name: str) -> None:
    ours = Flask(import_name, root_path="/r").instance_path
    assert ours == flask.Flask(import_name, root_path="/r").instance_path
    assert os.path.isabs(ours)


def test_default_instance_path_for_a_module_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "standalone_app_module.py", "")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = Flask("standalone_app_module")
    assert app.instance_path == str(tmp_path / "instance")


def test_instance_relative_config(tmp_path: Path) -> None:
    write(tmp_path / "cfg.py", "FROM_INSTANCE = True\n")
    app = Flask("x", instance_path=str(tmp_path), instance_relative_config=True)
    assert app.config.root_path == str(tmp_path)
    app.config.from_pyfile("cfg.py")
    assert app.config["FROM_INSTANCE"] is True
    plain = Flask("x", root_path="/r", instance_path=str(tmp_path))
    assert plain.config.root_path == "/r"


def test_open_instance_resource(tmp_path: Path) -> None:
    app = Flask("x", instance_path=str(tmp_path))
    with app.open_instance_resource("new.txt", "w") as f:
        f.write("héllo")
    with app.open_instance_resource("new.txt") as f:
        assert f.read() == "héllo".encode()
    with app.open_instance_resource("new.txt", "r") as f:
        assert f.read() == "héllo"
    with app.open_instance_resource("new.txt", "r", encoding="latin-1") as f:
        assert f.read() == "héllo".encode().decode("latin-1")


def test_open_resource(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("ünïcode", encoding="utf-8")
    app = Flask("x", root_path=str(tmp_path))
    with app.open_resource("data.txt") as f:
        assert f.read() == "ünïcode".encode()
    with app.open_resource("data.txt", "r", encoding="utf-8") as f:
        assert f.read() == "ünïcode"
    bp = Blueprint("bp", "x", root_path=str(tmp_path))
    with bp.open_resource("data.txt", "rt") as f:
        assert f.read() == "ünïcode"


@pytest.mark.parametrize("mode", ["w", "x", "a", "r+", "wb", "rb+"])
def test_open_resource_is_read_only(tmp_path: Path, mode: str) -> None:
    app = Flask("x", root_path=str(tmp_path))
    bp = Blueprint("bp", "x", root_path=str(tmp_path))
    for owner in (app, bp):
        with pytest.raises(
            ValueError, match="Resources can only be opened for reading"
        ):
            owner.open_resource("data.txt", mode)
    assert not (tmp_path / "data.txt").exists()


def test_config_value_type_annotations_are_flasks() -> None:
    # The attribute descriptors are readable on the class, as Flask's are.
    attributes: dict[str, t.Any] = dict(vars(Flask))
    assert attributes["testing"].__name__ == "TESTING"
    assert attributes["secret_key"].__name__ == "SECRET_KEY"
    assert attributes["permanent_session_lifetime"].get_converter is not None
