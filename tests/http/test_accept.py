"""Tests for hipflask.http.accept: Accept values and content negotiation."""

from __future__ import annotations

import pickle

import pytest
from werkzeug import datastructures as wzds
from werkzeug import http as wz

from hipflask.http.accept import Accept, CharsetAccept, LanguageAccept, MIMEAccept
from hipflask.http.headers import parse_accept_header


def test_accept_basics() -> None:
    accept = Accept([("a", 0.5), ("b", 1), ("*", 0.1), ("c", 1)])
    assert list(accept) == [("b", 1), ("c", 1), ("a", 0.5), ("*", 0.1)]
    assert accept["a"] == 0.5
    assert accept["B"] == 1
    assert accept["zzz"] == 0.1  # matched by *
    assert accept[0] == ("b", 1)
    assert accept[1:3] == [("c", 1), ("a", 0.5)]
    assert accept.quality("c") == 1
    assert "anything" in accept
    assert accept.index("a") == 2
    assert accept.index(("a", 0.5)) == 2
    assert accept.find("a") == 2
    assert accept.find(("nope", 1)) == -1
    assert list(accept.values()) == ["b", "c", "a", "*"]
    assert accept.best == "b"
    assert accept.provided
    assert accept.to_header() == "b,c,a;q=0.5,*;q=0.1"
    assert str(accept) == accept.to_header()
    assert repr(accept) == "Accept([('b', 1), ('c', 1), ('a', 0.5), ('*', 0.1)])"


def test_accept_without_star() -> None:
    accept = Accept([("a", 1)])
    assert accept["b"] == 0
    assert "b" not in accept
    assert accept.find("b") == -1
    with pytest.raises(ValueError, match="b"):
        accept.index("b")
    assert 42 not in accept


def test_accept_empty_and_missing() -> None:
    missing = Accept(None)
    assert not missing.provided
    assert missing.best is None
    assert missing.best_match(["a"]) is None
    assert missing.best_match(["a"], default="x") == "x"
    assert Accept().provided
    copied = MIMEAccept(Accept(None))
    assert not copied.provided


@pytest.mark.parametrize(
    "mutate",
    [
        lambda a: a.append(("x", 1)),
        lambda a: a.extend([("x", 1)]),
        lambda a: a.insert(0, ("x", 1)),
        lambda a: a.remove(("a", 1)),
        lambda a: a.pop(),
        lambda a: a.clear(),
        lambda a: a.reverse(),
        lambda a: a.sort(),
        lambda a: a.__setitem__(0, ("x", 1)),
        lambda a: a.__delitem__(0),
        lambda a: a.__iadd__([("x", 1)]),
        lambda a: a.__imul__(2),
    ],
)
def test_accept_is_immutable(mutate: object) -> None:
    accept = Accept([("a", 1)])
    with pytest.raises(TypeError, match="immutable"):
        mutate(accept)  # type: ignore[operator]
    assert list(accept) == [("a", 1)]


def test_accept_hash_and_pickle() -> None:
    accept = MIMEAccept([("text/html", 1), ("*/*", 0.5)])
    assert hash(accept) == hash(MIMEAccept([("*/*", 0.5), ("text/html", 1)]))
    copy = pickle.loads(pickle.dumps(accept))
    assert type(copy) is MIMEAccept
    assert list(copy) == list(accept)
    assert copy.best_match(["text/html"]) == "text/html"


# ---------------------------------------------------------------------------
# best_match


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        (
            "text/html, application/json;q=0.9",
            ["application/json", "text/html"],
            "text/html",
        ),
        ("application/json;q=0.9, text/html", ["application/json"], "application/json"),
        ("text/*;q=0.5, */*;q=0.1", ["image/png", "text/plain"], "text/plain"),
        ("*/*", ["image/png", "text/plain"], "image/png"),
        ("text/html;q=0, */*", ["text/html"], None),  # quality 0 excludes
        ("text/html;q=0, */*", ["text/html", "text/plain"], "text/plain"),
        (
            "text/html;level=1, text/html;q=0.5",
            ["text/html;level=1"],
            "text/html;level=1",
        ),
        ("text/html;level=1;q=0.5, text/html", ["text/html"], "text/html"),
        ("text/*, text/html;q=0.5", ["text/html", "text/plain"], "text/plain"),
        ("application/json", ["text/html"], None),
        ("", ["text/html"], None),
        ("image/*", ["*/*"], "*/*"),
        ("TEXT/HTML", ["text/html"], "text/html"),
        (
            "text/html; charset=UTF-8",
            ["text/html; charset=utf-8"],
            "text/html; charset=utf-8",
        ),
        ("text/html;a=1;b=2", ["text/html;b=2;a=1"], "text/html;b=2;a=1"),
        ("text/html;a=1", ["text/html"], None),
        ("html, text/*", ["text/html"], "text/html"),  # invalid client item ignored
        ("*/html", ["text/html"], None),
    ],
)
def test_mime_best_match(header: str, offers: list[str], expected: str | None) -> None:
    ours = parse_accept_header(header, MIMEAccept)
    assert ours.best_match(offers) == expected
    theirs = wz.parse_accept_header(header, wzds.MIMEAccept)
    assert theirs.best_match(offers) == expected


@pytest.mark.parametrize(
    ("header", "value", "quality"),
    [
        ("text/html;q=0.5, */*;q=0.1", "text/html", 0.5),
        ("text/html;q=0.5, */*;q=0.1", "image/png", 0.1),
        ("text/*;q=0.3", "text/plain", 0.3),
        ("text/*;q=0.3", "image/png", 0),
        ("text/html", "*/*", 1),
    ],
)
def test_mime_quality(header: str, value: str, quality: float) -> None:
    assert parse_accept_header(header, MIMEAccept).quality(value) == quality


@pytest.mark.parametrize("value", ["html", "*/html"])
def test_mime_invalid_server_value(value: str) -> None:
    accept = MIMEAccept([("text/html", 1)])
    with pytest.raises(ValueError, match="invalid mimetype"):
        accept.quality(value)
    with pytest.raises(ValueError, match="invalid mimetype"):
        wzds.MIMEAccept([("text/html", 1)]).quality(value)
    # nothing to compare against: no error, as Werkzeug
    assert MIMEAccept([("html", 1)]).quality(value) == 0


def test_mime_value_matches_hook() -> None:
    accept = MIMEAccept()
    assert accept._value_matches("text/html", "text/*")
    assert not accept._value_matches("text/html", "image/*")
    assert not accept._value_matches("text/html", "html")


@pytest.mark.parametrize(
    ("header", "html", "xhtml", "json"),
    [
        ("text/html", True, False, False),
        ("application/xhtml+xml", True, True, False),
        ("application/xml", True, True, False),
        ("application/json", False, False, True),
        ("*/*", True, True, True),
        ("image/png", False, False, False),
        ("", False, False, False),
    ],
)
def test_mime_accept_flags(header: str, html: bool, xhtml: bool, json: bool) -> None:
    accept = parse_accept_header(header, MIMEAccept)
    assert (accept.accept_html, accept.accept_xhtml, accept.accept_json) == (
        html,
        xhtml,
        json,
    )


def test_mime_specificity_sorting() -> None:
    accept = parse_accept_header(
        "*/*, text/*, text/html;level=1, text/html", MIMEAccept
    )
    assert list(accept.values()) == ["text/html; level=1", "text/html", "text/*", "*/*"]
    theirs = wz.parse_accept_header(
        "*/*, text/*, text/html;level=1, text/html", wzds.MIMEAccept
    )
    assert list(accept) == list(theirs)


@pytest.mark.parametrize(
    ("header", "offers", "expected"),
    [
        ("en-US, fr;q=0.5", ["fr", "en-US"], "en-US"),
        ("en-US", ["en_us"], "en_us"),
        ("en-US", ["en"], "en"),  # client's primary tag
        ("en", ["en-US", "en-GB"], "en-US"),  # server's primary tag
        ("en-US;q=0.5, de-DE", ["en", "de"], "de"),
        ("fr", ["en", "de"], None),
        ("*", ["en", "de"], "en"),
        ("de-CH;q=0, *", ["de-CH", "fr"], "fr"),
        ("zh-Hant-TW", ["zh"], "zh"),
        ("", ["en"], None),
    ],
)
def test_language_best_match(
    header: str, offers: list[str], expected: str | None
) -> None:
    ours = parse_accept_header(header, LanguageAccept)
    assert ours.best_match(offers) == expected
    assert ours.best_match(iter(offers)) == expected  # any iterable
    theirs = wz.parse_accept_header(header, wzds.LanguageAccept)
    assert theirs.best_match(offers) == expected


def test_language_best_match_default() -> None:
    assert LanguageAccept([("fr", 1)]).best_match(["en"], default="en") == "en"


def test_language_contains() -> None:
    accept = LanguageAccept([("en-US", 1)])
    assert "en_us" in accept
    assert "EN-us" in accept
    assert "en" not in accept


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("utf-8", "UTF8", True),
        ("ISO-8859-1", "latin-1", True),
        ("utf-8", "utf-16", False),
        ("*", "anything", True),
        ("x-unknown", "X-Unknown", True),
        ("utf-8", "a" * 100, False),
        ("\x00", "\x00", True),
    ],
)
def test_charset_contains(header: str, value: str, expected: bool) -> None:
    assert (value in CharsetAccept([(header, 1)])) is expected


def test_charset_best_match() -> None:
    accept = parse_accept_header("iso-8859-1;q=0.5, utf-8", CharsetAccept)
    assert accept.best_match(["latin1", "UTF8"]) == "UTF8"
    theirs = wz.parse_accept_header("iso-8859-1;q=0.5, utf-8", wzds.CharsetAccept)
    assert theirs.best_match(["latin1", "UTF8"]) == "UTF8"
