"""Linear-time matching for rule parts with several placeholders.

A part such as ``<a>-<b>-<c>.html`` compiles to the regex
``([^/]+)\\-([^/]+)\\-([^/]+)\\.html\\Z``. A backtracking engine (Python's
``re``) needs time polynomial in the segment length, of a degree growing with
the number of placeholders, to reject ``a-a-a-…``: seconds for a few
kilobytes, which a client controls. This module gives the same answer as
the regex in time proportional to (elements x length).

A part is a sequence of *elements*::

    element = literal                  ; fixed text
            / repeat(class, low, high) ; greedy or lazy, like "[^/]+" or ".*?"
            / choice(words)            ; "(?:a|b)", tried in order
            / not_after_slash          ; the zero-width "(?<!/)"

and the regex engine's answer is the first assignment of lengths, in its
preference order (longest first for greedy repeats, shortest first for lazy
ones, words in order), that matches to the end. So :meth:`LinearPart.match`
first computes, from the last element back, at which positions each suffix
of the element list can still match to the end (``possible[k][p]``), using
run lengths and prefix counts to stay linear. Then it walks forward and lets
each element take its most preferred length after which the rest is still
possible: exactly the regex's choice, without the dead ends.

Only the regexes of the built-in converters are understood
(:func:`converter_elements`); a part with any other regex keeps using ``re``.
Short targets also use ``re``, where backtracking cannot get expensive.
"""

from __future__ import annotations

import re
import typing as t

__all__ = ["LinearPart", "converter_elements", "literal"]

_UNBOUNDED = 1 << 62


class _Literal(t.NamedTuple):
    text: str


class _Repeat(t.NamedTuple):
    test: t.Callable[[str], bool]
    low: int
    high: int
    greedy: bool


class _Choice(t.NamedTuple):
    words: tuple[str, ...]


class _NotAfterSlash(t.NamedTuple):
    pass


Element = _Literal | _Repeat | _Choice | _NotAfterSlash


def literal(text: str) -> Element:
    """An element matching ``text`` exactly."""
    return _Literal(text)


def _not_slash(char: str) -> bool:
    return char != "/"


def _not_newline(char: str) -> bool:
    return char != "\n"


def _is_slash(char: str) -> bool:
    return char == "/"


def _is_minus(char: str) -> bool:
    return char == "-"


def _is_decimal(char: str) -> bool:
    # ``\d`` in a str pattern is Unicode category Nd, as str.isdecimal().
    return char.isdecimal()


def _is_hex(char: str) -> bool:
    return char in "0123456789abcdefABCDEF"


def _digits() -> list[Element]:
    return [_Repeat(_is_decimal, 1, _UNBOUNDED, True)]


def _hex(count: int) -> _Repeat:
    return _Repeat(_is_hex, count, count, True)


_KNOWN: dict[str, list[Element]] = {
    r"\d+": _digits(),
    r"-?\d+": [_Repeat(_is_minus, 0, 1, True), *_digits()],
    r"\d+\.\d+": [*_digits(), _Literal("."), *_digits()],
    r"-?\d+\.\d+": [
        _Repeat(_is_minus, 0, 1, True),
        *_digits(),
        _Literal("."),
        *_digits(),
    ],
    "[^/].*?": [
        _Repeat(_not_slash, 1, 1, True),
        _Repeat(_not_newline, 0, _UNBOUNDED, False),
    ],
    "[^/]+": [_Repeat(_not_slash, 1, _UNBOUNDED, True)],
    (
        r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-"
        r"[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    ): [
        _hex(8),
        _Literal("-"),
        _hex(4),
        _Literal("-"),
        _hex(4),
        _Literal("-"),
        _hex(4),
        _Literal("-"),
        _hex(12),
    ],
}
_LENGTH = re.compile(r"\[\^/\]\{(\d+)(,(\d*))?\}")
_SPECIAL = set("()[]{}?*+|^$.\\")


def _choice_words(regex: str) -> tuple[str, ...] | None:
    """The words of ``(?:w1|w2)`` with ``re.escape``d words, else ``None``."""
    if not (regex.startswith("(?:") and regex.endswith(")")):
        return None
    words: list[str] = []
    current: list[str] = []
    body = regex[3:-1]
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            if index + 1 == len(body) or body[index + 1].isalnum():
                return None  # a class escape such as \d, not a literal
            current.append(body[index + 1])
            index += 2
            continue
        if char == "|":
            words.append("".join(current))
            current = []
        elif char in _SPECIAL:
            return None
        else:
            current.append(char)
        index += 1
    words.append("".join(current))
    return tuple(words)


def converter_elements(regex: str) -> list[Element] | None:
    """The elements equivalent to a converter's ``regex``, if it is a known one."""
    known = _KNOWN.get(regex)
    if known is not None:
        return list(known)
    length = _LENGTH.fullmatch(regex)
    if length is not None:
        low = int(length.group(1))
        if length.group(2) is None:
            high = low
        else:
            high = int(length.group(3)) if length.group(3) else _UNBOUNDED
        return [_Repeat(_not_slash, low, high, True)]
    words = _choice_words(regex)
    if words is not None:
        return [_Choice(words)]
    return None


def suffix_elements() -> list[Element]:
    """The elements of the optional trailing slash ``(?<!/)(/?)``."""
    return [_NotAfterSlash(), _Repeat(_is_slash, 0, 1, True)]


def ambiguity(elements: list[Element]) -> int:
    """How many elements may take more than one length."""
    return sum(
        1
        for element in elements
        if (isinstance(element, _Repeat) and element.low != element.high)
        or (isinstance(element, _Choice) and len({len(w) for w in element.words}) > 1)
    )


class LinearPart:
    """Match one part: ``re`` for short targets, the linear walk otherwise.

    ``groups[i]`` is the index of the capture group element ``i`` belongs
    to, or ``-1``. :meth:`match` returns the captured texts, or ``None``.
    """

    __slots__ = ("count", "elements", "groups", "numbers", "regex", "short")

    def __init__(
        self,
        elements: list[Element],
        groups: list[int],
        regex: re.Pattern[str],
        numbers: tuple[int, ...],
    ) -> None:
        self.elements = elements
        self.groups = groups
        self.count = max(groups, default=-1) + 1
        self.regex = regex
        self.numbers = numbers
        # Up to this length the regex's backtracking is cheap: at most about
        # 10**5 steps for the number of ambiguous elements.
        self.short = int(100_000 ** (1 / max(ambiguity(elements), 1)))

    def match(self, target: str) -> tuple[str, ...] | None:
        """The captured groups of the full match of ``target``, or ``None``."""
        if len(target) <= self.short:
            found = self.regex.match(target)
            if found is None:
                return None
            if len(self.numbers) == 1:
                return (found.group(self.numbers[0]),)
            return t.cast(tuple[str, ...], found.group(*self.numbers))
        return self._walk(target)

    def _walk(self, target: str) -> tuple[str, ...] | None:
        size = len(target)
        elements = self.elements
        after = [False] * size + [True]  # what may follow the last element
        possible = [after]
        for element in reversed(elements):
            after = _possible(element, target, after)
            possible.append(after)
        possible.reverse()  # possible[k]: elements k.. can match from p
        if not possible[0][0]:
            return None
        starts = [-1] * self.count
        ends = [-1] * self.count
        position = 0
        for index, element in enumerate(elements):
            end = _choose(element, target, position, possible[index + 1])
            group = self.groups[index]
            if group >= 0:
                if starts[group] < 0:
                    starts[group] = position
                ends[group] = end
            position = end
        return tuple(
            target[start:end] if start >= 0 else ""
            for start, end in zip(starts, ends, strict=True)
        )


def _possible(element: Element, target: str, after: list[bool]) -> list[bool]:
    """Positions from which ``element`` then a position in ``after`` can match."""
    size = len(target)
    if isinstance(element, _Literal):
        text = element.text
        width = len(text)
        return [
            position + width <= size
            and after[position + width]
            and target.startswith(text, position)
            for position in range(size + 1)
        ]
    if isinstance(element, _Choice):
        return [
            any(
                position + len(word) <= size
                and after[position + len(word)]
                and target.startswith(word, position)
                for word in element.words
            )
            for position in range(size + 1)
        ]
    if isinstance(element, _NotAfterSlash):
        return [
            after[position] and (position == 0 or target[position - 1] != "/")
            for position in range(size + 1)
        ]
    # A repeat: some end in [p + low, p + min(high, run)] must be in ``after``,
    # where ``run`` is how many characters from p pass the test.
    test = element.test
    runs = [0] * (size + 1)
    for position in range(size - 1, -1, -1):
        if test(target[position]):
            runs[position] = runs[position + 1] + 1
    counts = [0] * (size + 2)  # counts[i]: entries of after[:i] that are True
    for position in range(size + 1):
        counts[position + 1] = counts[position] + after[position]
    result = [False] * (size + 1)
    for position in range(size + 1):
        low = position + element.low
        high = position + min(element.high, runs[position])
        if low <= high and counts[high + 1] - counts[low] > 0:
            result[position] = True
    return result


def _choose(element: Element, target: str, position: int, after: list[bool]) -> int:
    """Where ``element`` ends when it starts at ``position``, as the regex decides."""
    if isinstance(element, _Literal):
        return position + len(element.text)
    if isinstance(element, _NotAfterSlash):
        return position
    if isinstance(element, _Choice):
        for word in element.words:
            end = position + len(word)
            if end < len(after) and after[end] and target.startswith(word, position):
                return end
        raise RuntimeError("linear matcher lost its match")  # pragma: no cover
    test = element.test
    run = 0
    limit = min(element.high, len(target) - position)
    while run < limit and test(target[position + run]):
        run += 1
    low = position + element.low
    high = position + run
    ends = range(high, low - 1, -1) if element.greedy else range(low, high + 1)
    for end in ends:
        if after[end]:
            return end
    raise RuntimeError("linear matcher lost its match")  # pragma: no cover
