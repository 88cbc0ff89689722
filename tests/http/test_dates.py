"""Tests for hipflask.http.dates: IMF-fixdate output, lenient date parsing."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest
from werkzeug import http as wz

from hipflask.http import dates
from hipflask.http.dates import dump_age, http_date, parse_age, parse_date

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2015, 10, 21, 7, 28, tzinfo=UTC), "Wed, 21 Oct 2015 07:28:00 GMT"),
        (datetime(2015, 10, 21, 7, 28), "Wed, 21 Oct 2015 07:28:00 GMT"),  # naive: UTC
        (
            datetime(
                2015, 10, 21, 9, 28, 5, 999999, tzinfo=timezone(timedelta(hours=2))
            ),
            "Wed, 21 Oct 2015 07:28:05 GMT",
        ),
        (date(1994, 11, 6), "Sun, 06 Nov 1994 00:00:00 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (784111777.9, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (time.gmtime(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (datetime(1, 1, 1, tzinfo=UTC), "Mon, 01 Jan 0001 00:00:00 GMT"),
        (datetime(9999, 12, 31, 23, 59, 59), "Fri, 31 Dec 9999 23:59:59 GMT"),
    ],
)
def test_http_date(
    value: datetime | date | float | time.struct_time, expected: str
) -> None:
    assert http_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        datetime(2000, 2, 29, 12, 0, 1, tzinfo=UTC),
        datetime(2024, 7, 4, 23, 59, 59),
        datetime(2024, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=-5))),
        date(2030, 3, 1),
        1700000000,
        1700000000.5,
        -86400,
    ],
)
def test_http_date_matches_werkzeug(value: datetime | date | float) -> None:
    assert http_date(value) == wz.http_date(value)


def test_http_date_now() -> None:
    before = int(time.time())
    text = http_date()
    after = int(time.time())
    assert text in {http_date(second) for second in range(before, after + 1)}


def test_http_date_now_cache_follows_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.2]
    monkeypatch.setattr(dates.time, "time", lambda: clock[0])
    assert http_date() == "Thu, 01 Jan 1970 00:16:40 GMT"
    clock[0] = 1000.9
    assert http_date() == "Thu, 01 Jan 1970 00:16:40 GMT"
    clock[0] = 1001.0
    assert http_date() == "Thu, 01 Jan 1970 00:16:41 GMT"


EXPECTED = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 9110 5.6.7 examples
        ("Sun, 06 Nov 1994 08:49:37 GMT", EXPECTED),
        ("Sunday, 06-Nov-94 08:49:37 GMT", EXPECTED),
        ("Sun Nov  6 08:49:37 1994", EXPECTED),
        # lenient forms email.utils accepts
        ("sun, 06 nov 1994 08:49:37 gmt", EXPECTED),
        ("06 Nov 1994 08:49:37 GMT", EXPECTED),
        ("Sun, 6 Nov 1994 8:49:37 GMT", EXPECTED),
        ("Sun, 06 Nov 94 08:49:37 GMT", EXPECTED),
        ("Xyz, 06 Nov 1994 08:49:37 GMT", EXPECTED),
        ("Sun, 06 Nov 1994 08:49:37", EXPECTED),
        ("Sun, 06 Nov 1994 08:49:37 UTC", EXPECTED),
        ("Sun, 06 Nov 1994 08:49:37 -0000", EXPECTED),
        ("Sun, 06 Nov 1994 10:49:37 +0200", EXPECTED),
        ("Sun, 06 Nov 0094 08:49:37 GMT", EXPECTED),  # 4 digits, still < 100
        (
            "Sunday, 06-Nov-68 08:49:37 GMT",
            datetime(2068, 11, 6, 8, 49, 37, tzinfo=UTC),
        ),
        (
            "Sunday, 06-Nov-69 08:49:37 GMT",
            datetime(1969, 11, 6, 8, 49, 37, tzinfo=UTC),
        ),
        ("Sun, 06 Nov 0994 08:49:37 GMT", datetime(994, 11, 6, 8, 49, 37, tzinfo=UTC)),
    ],
)
def test_parse_date(value: str, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo == UTC
    assert parsed.utcoffset() == timedelta(0)
    assert wz.parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "Sun, 06 Nov 1994 08:49:60 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 10000 08:49:37 GMT",
        "Sun, ٠٦ Nov 1994 08:49:37 GMT",  # non-ASCII digits
        "Sun, 06 Nov 1994 08:49:37 GMT" + " " * 200,  # longer than any date
        "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994",
        "\x00" * 20,
    ],
)
def test_parse_date_invalid(value: str | None) -> None:
    assert parse_date(value) is None


def test_parse_date_round_trip() -> None:
    moment = datetime(2023, 5, 17, 13, 4, 59, tzinfo=UTC)
    assert parse_date(http_date(moment)) == moment


def test_parse_date_hostile() -> None:
    assert parse_date("Sun, 06 Nov 1994 08:49:37 GMT" * 40000) is None
    assert parse_date(" " * (1 << 20)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", timedelta(0)),
        ("3600", timedelta(hours=1)),
        (None, None),
        ("", None),
        ("-1", None),
        ("+1", None),
        ("1.5", None),
        (" 1", None),
        ("١", None),
        ("9" * 20, None),  # beyond timedelta
        ("9" * 5000, None),
    ],
)
def test_parse_age(value: str | None, expected: timedelta | None) -> None:
    assert parse_age(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (0, "0"),
        (3600, "3600"),
        (timedelta(minutes=2, seconds=1.5), "121"),
    ],
)
def test_dump_age(value: timedelta | int | None, expected: str | None) -> None:
    assert dump_age(value) == expected


def test_dump_age_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        dump_age(-1)
