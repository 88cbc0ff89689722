"""URL converters: the typed ``<name>`` placeholders of a rule.

A converter has three jobs. Its ``regex`` tells the matcher what text the
placeholder accepts; ``to_python`` turns the matched text into the view
argument (raising :class:`ValidationError` to say "this rule does not match,
try the next one"); ``to_url`` turns a value back into URL text when building.

``weight`` orders converters that compete for the same path segment (lower is
tried first); ``part_isolating`` says whether the converter stays inside one
``/``-separated segment. A subclass that sets a class-level ``regex`` without
saying anything about ``part_isolating`` is treated as spanning segments when
its regex contains a ``/`` (as in Werkzeug).

Converter arguments come from the rule text, ``<int(min=1, signed=True):x>``.
The argument list is parsed by :func:`parse_converter_args`; its grammar::

    arguments = [ argument *( "," argument ) [ "," ] ]
    argument  = [ name "=" ] value
    name      = identifier
    value     = string / word
    string    = [ "r" / "u" ] ( DQUOTE *( not DQUOTE ) DQUOTE
                              / "'" *( not "'" ) "'" )
    word      = 1*( letter / digit / "_" / "." / "-" / "+" )

A ``word`` becomes ``None``, ``True`` or ``False`` when spelled so, else an
``int`` or ``float`` when it parses as one, else stays a string (so
``any(about, help)`` gets the strings ``"about"`` and ``"help"``).
"""

from __future__ import annotations

import re
import typing as t
import uuid
from collections.abc import Mapping
from urllib.parse import quote

if t.TYPE_CHECKING:
    from .map import Map

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "NumberConverter",
    "PathConverter",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "parse_converter_args",
    "quote_path",
]


class ValidationError(ValueError):
    """Raised by ``to_python``: this rule does not match, try the next one."""


# Characters left as they are in a path segment: the WHATWG URL standard's
# path-segment set, minus "%" so that literal percent signs are escaped.
_PATH_SAFE = "!$&'()*+,/:;=@"
# PERF: a single regex search decides whether quoting is needed at all; most
# values built into URLs are plain ASCII words and skip urllib's work.
_PATH_UNSAFE = re.compile(r"[^A-Za-z0-9_.~!$&'()*+,/:;=@-]")


def quote_path(value: str) -> str:
    """Percent-encode ``value`` for use in a URL path (UTF-8, ``/`` kept)."""
    if _PATH_UNSAFE.search(value) is None:
        return value
    return quote(value, safe=_PATH_SAFE)


class BaseConverter:
    """Base class of converters; accepts one path segment, returns it as is."""

    regex = "[^/]+"
    weight = 100
    part_isolating = True

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "regex" in cls.__dict__ and "part_isolating" not in cls.__dict__:
            cls.part_isolating = "/" not in cls.regex

    def __init__(self, map: Map, *args: t.Any, **kwargs: t.Any) -> None:
        self.map = map

    def to_python(self, value: str) -> t.Any:
        """Convert matched URL text to the view argument."""
        return value

    def to_url(self, value: t.Any) -> str:
        """Convert a value to percent-encoded URL text."""
        return quote_path(str(value))


def spans_segments(converter: BaseConverter) -> bool:
    """Whether ``converter`` may match across ``/`` (not part isolating).

    ``part_isolating`` decides when some class below :class:`BaseConverter`
    (or the instance) sets it. Otherwise the converter only inherited the
    default, and a ``regex`` assigned at run time (a regex converter taking
    its pattern as an argument) spans segments if it contains a ``/`` other
    than in ``[^/]``.
    """
    if "part_isolating" in vars(converter):
        return not converter.part_isolating
    for cls in type(converter).__mro__:
        if cls is BaseConverter:
            break
        if "part_isolating" in cls.__dict__:
            return not converter.part_isolating
    return "/" in converter.regex.replace("[^/]", "")


class UnicodeConverter(BaseConverter):
    """``string`` (the default): one segment, optionally length-limited."""

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            repeat = f"{{{int(length)}}}"
        else:
            upper = "" if maxlength is None else str(int(maxlength))
            repeat = f"{{{int(minlength)},{upper}}}"
        self.regex = f"[^/]{repeat}"


class AnyConverter(BaseConverter):
    """``any(a, b, c)``: exactly one of the given words."""

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.items = set(items)
        self.regex = "(?:{})".format("|".join(re.escape(item) for item in items))

    def to_url(self, value: t.Any) -> str:
        if value in self.items:
            return str(value)
        choices = ", ".join(f"'{item}'" for item in sorted(self.items))
        raise ValueError(f"'{value}' is not one of {choices}")


class PathConverter(BaseConverter):
    """``path``: like ``string`` but also accepts slashes."""

    part_isolating = False
    regex = "[^/].*?"
    weight = 200


class NumberConverter(BaseConverter):
    """Shared logic of ``int`` and ``float``: digits, bounds, optional sign."""

    weight = 50
    num_convert: t.Callable[[t.Any], t.Any] = int

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        if signed:
            self.regex = self.signed_regex
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed

    def to_python(self, value: str) -> t.Any:
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except ValueError as error:
            raise ValidationError() from error
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number

    def to_url(self, value: t.Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text

    @property
    def signed_regex(self) -> str:
        """The class regex with an optional leading minus sign."""
        return f"-?{self.regex}"


class IntegerConverter(NumberConverter):
    """``int(fixed_digits=0, min=None, max=None, signed=False)``."""

    regex = r"\d+"


class FloatConverter(NumberConverter):
    """``float(min=None, max=None, signed=False)``; needs a decimal point."""

    regex = r"\d+\.\d+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)  # type: ignore[arg-type]


class UUIDConverter(BaseConverter):
    """``uuid``: a hyphenated hexadecimal UUID, converted to :class:`uuid.UUID`."""

    regex = (
        r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-"
        r"[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    )

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: uuid.UUID) -> str:
        return str(value)


#: Converter names available in every map.
DEFAULT_CONVERTERS: Mapping[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}


_ARGUMENT = re.compile(
    r"""
    \s*
    (?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?
    (?:
        [rRuU]?(?P<string>"[^"]*"|'[^']*')
      | (?P<word>[\w.+-]+)
    )
    \s*(?P<end>,|$)
    """,
    re.VERBOSE,
)
_CONSTANTS: dict[str, t.Any] = {"None": None, "True": True, "False": False}


def _word_value(word: str) -> t.Any:
    if word in _CONSTANTS:
        return _CONSTANTS[word]
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def parse_converter_args(text: str) -> tuple[tuple[t.Any, ...], dict[str, t.Any]]:
    """Parse ``1, max=5, "a b"`` into positional and keyword arguments.

    Raises :class:`ValueError` naming the text that could not be parsed.
    """
    args: list[t.Any] = []
    kwargs: dict[str, t.Any] = {}
    position = 0
    length = len(text)
    if not text.strip():
        return (), {}
    while position < length:
        match = _ARGUMENT.match(text, position)
        if match is None:
            raise ValueError(f"Cannot parse converter argument {text[position:]!r}")
        string = match.group("string")
        value = string[1:-1] if string is not None else _word_value(match["word"])
        name = match.group("name")
        if name is None:
            if kwargs:
                raise ValueError(
                    f"Positional converter argument {value!r} follows a keyword"
                    f" argument in {text!r}"
                )
            args.append(value)
        elif name in kwargs:
            raise ValueError(f"Converter argument {name!r} repeated in {text!r}")
        else:
            kwargs[name] = value
        position = match.end()
        if match.group("end") == "," and not text[position:].strip():
            break
    return tuple(args), kwargs
