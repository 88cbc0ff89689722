"""HTTP dates (RFC 9110 5.6.7) and delta-seconds.

Senders use IMF-fixdate only; recipients also accept the two obsolete
forms::

    IMF-fixdate  = day-name "," SP day SP month SP year SP hh ":" mm ":" ss SP "GMT"
                   ; Sun, 06 Nov 1994 08:49:37 GMT
    rfc850-date  = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP GMT
                   ; Sunday, 06-Nov-94 08:49:37 GMT
    asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT )) SP time-of-day SP year
                   ; Sun Nov  6 08:49:37 1994

:func:`http_date` formats from fixed tables (no ``strftime``, so no locale),
and caches the current second for the ``Date`` header. :func:`parse_date`
reads the fixed-width IMF-fixdate by slicing and hands every other shape to
:func:`email.utils.parsedate_to_datetime`, as Werkzeug does, so that RFC 850,
asctime and RFC 2822 variants parse the same way. Input longer than any date
or not ASCII is rejected first.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

__all__ = ["dump_age", "http_date", "parse_age", "parse_date"]

#: Longest string tried as a date; real HTTP dates are at most 33 characters.
MAX_DATE_LENGTH = 128

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = (
    "",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(_MONTH_NAMES)}
del _MONTH_NUMBERS[""]
_now_cache: tuple[int, str] = (-1, "")


def _format(fields: Sequence[int]) -> str:
    """Format (year, month, day, hour, minute, second, weekday), Monday 0."""
    # PERF: %-formatting is faster here than an f-string with format specs.
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (  # noqa: UP031
        _DAY_NAMES[fields[6]],
        fields[2],
        _MONTH_NAMES[fields[1]],
        fields[0],
        fields[3],
        fields[4],
        fields[5],
    )


def http_date(
    value: datetime | date | int | float | time.struct_time | None = None,
) -> str:
    """Format a moment as an IMF-fixdate, e.g. ``Wed, 21 Oct 2015 07:28:00 GMT``.

    Takes an aware datetime, a naive one (read as UTC), a date (midnight
    UTC), a Unix timestamp, a UTC ``struct_time``, or ``None`` for now.
    """
    global _now_cache
    if value is None:
        # PERF: this is every response's Date header; format once a second.
        second = int(time.time())
        cached = _now_cache
        if cached[0] == second:
            return cached[1]
        text = _format(time.gmtime(second))
        _now_cache = (second, text)
        return text
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset():
            value = value.astimezone(timezone.utc)
        return _format(
            (
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.weekday(),
            )
        )
    if isinstance(value, date):
        return _format((value.year, value.month, value.day, 0, 0, 0, value.weekday()))
    if isinstance(value, time.struct_time):
        value = timegm(value)
    return _format(time.gmtime(value))


_fixdate_re = re.compile(
    r"[A-Za-z]{3}, (\d\d) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT", re.ASCII
)


def _parse_fixdate(value: str) -> datetime | None:
    """Parse an IMF-fixdate, or return None to try the other forms.

    Raises ValueError for a well-formed but impossible date (31 Feb).
    """
    match = _fixdate_re.fullmatch(value)
    if match is None:
        return None
    day, month_name, year, hour, minute, second = match.groups()
    month = _MONTH_NUMBERS.get(month_name.lower())
    if month is None or year < "0100":
        # Two-digit years get email.utils' century rule.
        return None
    return datetime(
        int(year),
        month,
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=timezone.utc,
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC datetime; invalid gives ``None``.

    A date without a zone is taken as UTC; one with an offset is converted.
    """
    if not value or len(value) > MAX_DATE_LENGTH or not value.isascii():
        return None
    try:
        parsed = _parse_fixdate(value)
        if parsed is not None:
            return parsed
        from email.utils import parsedate_to_datetime  # rare formats only

        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None or not parsed.utcoffset():
            return parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except Exception:  # garbage raises TypeError, ValueError, OverflowError...
        return None


def parse_age(value: str | None = None) -> timedelta | None:
    """Parse a non-negative count of seconds (``Age``); invalid gives ``None``."""
    if not value or not value.isdigit() or not value.isascii() or len(value) > 20:
        return None
    try:
        return timedelta(seconds=int(value))
    except OverflowError:
        return None


def dump_age(age: timedelta | int | None = None) -> str | None:
    """Format a duration as whole seconds; ``None`` stays ``None``."""
    if age is None:
        return None
    seconds = int(age.total_seconds()) if isinstance(age, timedelta) else int(age)
    if seconds < 0:
        raise ValueError(f"age must not be negative, got {seconds}")
    return str(seconds)
