"""The compiled matcher: static lookup tables plus generated code for the rest.

Matching follows Werkzeug 3.1's state machine. The rules' parts (see
``rules.py``) form a tree: the root's children are domain parts, their
children the first path segment, and so on; rules with equal leading parts
share nodes. A request is the segment list ``[domain, *path.split("/")]``,
walked depth first. At every node:

1. If no segment is left, the node's rules are tried in registration order.
   A rule whose methods exclude the request method records them (for the
   405's ``Allow``), one for the other protocol records a WebSocket
   mismatch, the first other rule whose converters accept the values wins
   (a converter raising ``ValidationError`` sends the walk on, as Werkzeug
   documents; Werkzeug 3.1 itself answers 404 then). Failing that, if the
   child for an empty segment (the rule's trailing slash) holds a rule for
   this method, the path matches with a slash added: a strict rule signals
   a redirect, a lenient one matches.
2. Otherwise the static child named by the segment is tried first, then the
   dynamic children in weight order (their regex must match the segment, or
   for a final part the rest of the path joined by ``/``).
3. If all of that failed and only an empty segment is left (the request
   has a trailing slash), rules that do not use strict slashes may match.

Instead of interpreting the tree on every request, :class:`Matcher` turns it
into Python source once (``Matcher.source`` shows it), in the spirit of
Falcon's compiled router: static children become ``if`` tests, or a dict of
per-child functions where a node has many; dynamic children become regex
calls; failing out of a block is backtracking. So the work per request
depends on the path's depth, not on the number of rules. Two refinements:
a part that is one placeholder of a common kind is tested with a string
method instead of a regex (``str.isdecimal()`` for ``\\d+``, a length check
for ``[^/]{m,n}``, a set for ``any``), and a part with several placeholders
goes through ``linear.py``, so that no path can make matching backtrack.

Rules without any placeholder are also entered in plain dicts,
``domain -> path -> method -> rule`` (one set for HTTP, one for WebSocket),
which the map consults first: a hit there is what the tree walk would find.
"""

from __future__ import annotations

import re
import typing as t

from .converters import BaseConverter, IntegerConverter, ValidationError
from .exceptions import SlashRequired
from .linear import LinearPart, ambiguity
from .rules import Rule, RulePart

__all__ = ["Matcher"]

Finder = t.Callable[
    [str, str, str, bool, list[t.Any]], "tuple[Rule, dict[str, t.Any]] | None"
]
StaticTable = dict[str, dict[str, dict[str, Rule]]]

# A node with more static children than this dispatches through a dict.
_INLINE_CHILDREN = 6
# Past this indentation the generated code continues in a new function.
_MAX_INDENT = 24
# Methods a static rule accepting any method is entered under in the tables;
# other methods take the general path, which gives the same answer.
_COMMON_METHODS = (
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "OPTIONS",
    "TRACE",
    "CONNECT",
)


class _Node:
    __slots__ = ("dynamic", "rules", "static")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.dynamic: list[tuple[RulePart, _Node]] = []
        self.rules: list[Rule] = []


class _Position:
    """Where the walk is: segment ``index``, or a known ``remaining`` tail.

    After a final part the remaining segments are known while generating
    code (none, or one empty segment), so tests on them fold away.
    """

    __slots__ = ("index", "remaining")

    def __init__(self, index: int | None, remaining: tuple[str, ...] = ()) -> None:
        self.index = index
        self.remaining = remaining

    def consumed(self) -> bool | str:
        if self.index is None:
            return not self.remaining
        if self.index <= 1:  # the domain and the first "" always exist
            return False
        return f"n == {self.index - 1}"

    def segment(self) -> str:
        if self.index is None:
            return repr(self.remaining[0])
        return "domain" if self.index == 0 else f"parts[{self.index - 1}]"

    def next(self) -> _Position:
        if self.index is None:
            return _Position(None, self.remaining[1:])
        return _Position(self.index + 1)

    def only_empty_left(self, segment: str) -> bool | str:
        if self.index is None:
            return self.remaining == ("",)
        if self.index == 0:
            return False
        return f"n == {self.index} and {segment} == ''"

    def rest(self) -> str:
        if self.index is None:
            return repr("/".join(self.remaining))
        if self.index == 0:
            return "domain + '/' + path"
        if self.index == 1:
            return "path"
        return f"'/'.join(parts[{self.index - 1}:])"


_PARAMETERS = "domain, path, parts, n, method, websocket, misses"

# A part made of one placeholder, and regexes with an equivalent string test.
_WHOLE_SEGMENT = re.compile(r"\(\?P<_hf0>(.*)\)\\Z", re.DOTALL)
_LENGTH = re.compile(r"\[\^/\]\{(\d+)(,(\d*))?\}")
_WORDS = re.compile(r"\(\?:(\w+(?:\|\w+)*)\)", re.ASCII)


class _Generator:
    def __init__(self) -> None:
        self.namespace: dict[str, t.Any] = {
            "ValidationError": ValidationError,
            "SlashRequired": SlashRequired,
        }
        self.functions: list[list[str]] = []
        self.variables = 0
        self.regexes: dict[str, str] = {}
        self.tables: list[dict[str, t.Any]] = []

    def resolve(self) -> None:
        """After the source ran: point dispatch tables at the functions."""
        for table in self.tables:
            for key, name in table.items():
                table[key] = self.namespace[name]

    def constant(self, prefix: str, value: t.Any) -> str:
        name = f"{prefix}{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def regex(self, pattern: str) -> tuple[str, re.Pattern[str]]:
        compiled = re.compile(pattern)
        if pattern not in self.regexes:
            self.regexes[pattern] = self.constant("match", compiled.match)
        return self.regexes[pattern], compiled

    def function(self, node: _Node, position: _Position, variables: list[str]) -> str:
        """Generate a function for ``node``'s subtree; return its name."""
        name = f"f{len(self.functions)}"
        lines = [f"def {name}({', '.join([_PARAMETERS, *variables])}):"]
        self.functions.append(lines)
        lines += self.node(node, position, variables, 1) or ["    pass"]
        lines.append("    return None")
        return name

    def call(self, function: str, variables: list[str], indent: int) -> list[str]:
        pad = "    " * indent
        return [
            f"{pad}rv = {function}({', '.join([_PARAMETERS, *variables])})",
            f"{pad}if rv is not None:",
            f"{pad}    return rv",
        ]

    def node(
        self, node: _Node, position: _Position, variables: list[str], indent: int
    ) -> list[str]:
        if position.index is not None and indent > _MAX_INDENT:
            return self.call(
                self.function(node, position, variables), variables, indent
            )
        consumed = position.consumed()
        if consumed is True:
            return self.leaf(node, variables, indent)
        if consumed is False:
            return self.branch(node, position, variables, indent)
        pad = "    " * indent
        leaf = self.leaf(node, variables, indent + 1)
        branch = self.branch(node, position, variables, indent + 1)
        lines: list[str] = []
        if leaf:
            lines += [f"{pad}if {consumed}:", *leaf]
            if branch:
                lines += [f"{pad}else:", *branch]
        elif branch:
            lines += [f"{pad}if {consumed.replace('==', '!=')}:", *branch]
        return lines

    def leaf(self, node: _Node, variables: list[str], indent: int) -> list[str]:
        """Code for a node when no segment is left."""
        lines: list[str] = []
        for rule in node.rules:
            lines += self.accept(rule, variables, indent)
        slash = node.static.get("")
        if slash is None:
            return lines
        pad = "    " * indent
        for rule in slash.rules:
            test = "websocket" if rule.websocket else "not websocket"
            if rule.methods is not None:
                methods = self.constant("methods", frozenset(rule.methods))
                test += f" and method in {methods}"
            if rule.strict_slashes:
                lines += [f"{pad}if {test}:", f"{pad}    raise SlashRequired()"]
            else:
                lines += [f"{pad}if {test}:", *self.result(rule, variables, indent + 1)]
        return lines

    def branch(
        self, node: _Node, position: _Position, variables: list[str], indent: int
    ) -> list[str]:
        """Code for a node when segments are left: its children, then leniency."""
        pad = "    " * indent
        lines: list[str] = []
        assignment = ""
        if position.index is None:
            segment = position.segment()
        elif position.index == 0:
            segment = "domain"
        else:
            segment = f"s{position.index}"
            assignment = f"{pad}{segment} = {position.segment()}"
        after = position.next()

        if position.index is None:
            child = node.static.get(position.remaining[0])
            if child is not None:
                lines += self.node(child, after, variables, indent)
        elif len(node.static) <= _INLINE_CHILDREN:
            keyword = "if"
            for key, child in node.static.items():
                body = self.node(child, after, variables, indent + 1)
                if body:
                    lines += [f"{pad}{keyword} {segment} == {key!r}:", *body]
                    keyword = "elif"
        else:
            # Function names for now; ``resolve`` swaps in the functions.
            table = {
                key: self.function(child, after, variables)
                for key, child in node.static.items()
            }
            self.tables.append(table)
            lines += [
                f"{pad}f = {self.constant('children', table)}.get({segment})",
                f"{pad}if f is not None:",
                *self.call("f", variables, indent + 1),
            ]

        for part, child in node.dynamic:
            quick = None
            if position.index != 0 and not part.final:
                quick = self.segment_test(part.content, segment)
            if quick is not None:
                # The value is the whole segment; reuse its variable if it has one.
                if segment.isidentifier():
                    names = [segment]
                    lines.append(f"{pad}if {quick}:")
                else:
                    names = [f"v{self.variables}"]
                    self.variables += 1
                    lines += [f"{pad}if {quick}:", f"{pad}    {names[0]} = {segment}"]
                inner = [*variables, *names]
                body = self.node(child, after, inner, indent + 1)
                lines += body or [f"{pad}    pass"]
                continue
            match, compiled = self.regex(part.content)
            target = position.rest() if part.final else segment
            groups = sorted(
                (key for key in compiled.groupindex if key.startswith("_hf")),
                key=lambda key: int(key[3:]),
            )
            numbers = [compiled.groupindex[key] for key in groups]
            names = []
            for _ in groups:
                names.append(f"v{self.variables}")
                self.variables += 1
            suffix = f"m.group({compiled.groups})"
            if part.elements is not None and ambiguity(part.elements) >= 2:
                # Several placeholders: a linear-time matcher returning a tuple.
                if part.suffixed:
                    numbers.append(compiled.groups)
                    suffix = f"m[{len(names)}]"
                linear = LinearPart(
                    part.elements, part.element_groups, compiled, tuple(numbers)
                )
                match = self.constant("linear", linear.match)
                values = [f"m[{index}]" for index in range(len(names))]
            else:
                values = [f"m.group({number})" for number in numbers]
            lines += [f"{pad}m = {match}({target})", f"{pad}if m is not None:"]
            if names:
                lines.append(f"{pad}    {', '.join(names)} = {', '.join(values)}")
            inner = [*variables, *names]
            if not part.final:
                body = self.node(child, after, inner, indent + 1)
            elif part.suffixed:
                with_slash = self.node(child, _Position(None, ("",)), inner, indent + 2)
                without = self.node(child, _Position(None, ()), inner, indent + 2)
                body = [
                    f"{pad}    if {suffix} == '/':",
                    *(with_slash or [f"{pad}        pass"]),
                    f"{pad}    else:",
                    *(without or [f"{pad}        pass"]),
                ]
            else:
                body = self.node(child, _Position(None, ()), inner, indent + 1)
            lines += body or [f"{pad}    pass"]

        lenient = [rule for rule in node.rules if not rule.strict_slashes]
        if lenient:
            test = position.only_empty_left(segment)
            if test is True:
                for rule in lenient:
                    lines += self.accept(rule, variables, indent)
            elif test is not False:
                lines.append(f"{pad}if {test}:")
                for rule in lenient:
                    lines += self.accept(rule, variables, indent + 1)
        if lines and assignment:
            lines.insert(0, assignment)
        return lines

    def segment_test(self, content: str, segment: str) -> str | None:
        """A string test equal to matching ``content`` on one path segment.

        Covers a part that is exactly one placeholder with a common regex;
        ``None`` for anything else. A path segment never contains ``/``, so
        ``[^/]`` is any character there; and ``\\d`` is the Unicode category
        Nd, which is exactly what ``str.isdecimal()`` tests.
        """
        whole = _WHOLE_SEGMENT.fullmatch(content)
        if whole is None or "(?P<_hf1>" in content:
            return None
        regex = whole.group(1)
        if regex == r"\d+":
            return f"{segment}.isdecimal()"
        if regex == "[^/]+":
            return segment
        length = _LENGTH.fullmatch(regex)
        if length is not None:
            low = int(length.group(1))
            if length.group(2) is None:
                return f"len({segment}) == {low}"
            if length.group(3):
                return f"{low} <= len({segment}) <= {int(length.group(3))}"
            return segment if low == 1 else f"len({segment}) >= {low}"
        words = _WORDS.fullmatch(regex)
        if words is not None:
            choices = frozenset(words.group(1).split("|"))
            return f"{segment} in {self.constant('choices', choices)}"
        return None

    def accept(self, rule: Rule, variables: list[str], indent: int) -> list[str]:
        """Code returning ``rule`` if method and protocol fit, else noting why not."""
        pad = "    " * indent
        test = "websocket" if rule.websocket else "not websocket"
        lines = [
            f"{pad}if {test}:",
            *self.result(rule, variables, indent + 1),
            f"{pad}else:",
            f"{pad}    misses.append(True)",
        ]
        if rule.methods is None:
            return lines
        methods = self.constant("methods", frozenset(rule.methods))
        return [
            f"{pad}if method in {methods}:",
            *["    " + line for line in lines],
            f"{pad}else:",
            f"{pad}    misses.append({methods})",
        ]

    def result(self, rule: Rule, variables: list[str], indent: int) -> list[str]:
        """Code that converts the values and returns ``(rule, values)``."""
        pad = "    " * indent
        names = list(rule._converters)
        if len(names) != len(variables):
            raise RuntimeError(f"matcher out of step with the parts of {rule!r}")
        entries = []
        may_fail = False
        for name, variable in zip(names, variables, strict=True):
            converter = rule._converters[name]
            if type(converter).to_python is BaseConverter.to_python:
                entries.append(f"{name!r}: {variable}")
            elif (
                # PERF: int() directly; the regex already admits only digits.
                type(converter) is IntegerConverter
                and not converter.fixed_digits
                and converter.min is None
                and converter.max is None
            ):
                entries.append(f"{name!r}: int({variable})")
            else:
                call = self.constant("to_python", converter.to_python)
                entries.append(f"{name!r}: {call}({variable})")
                may_fail = True
        if rule.defaults:
            entries.append(f"**{self.constant('defaults', dict(rule.defaults))}")
        statement = f"return {self.constant('rule', rule)}, {{{', '.join(entries)}}}"
        if not may_fail:
            return [pad + statement]
        return [
            f"{pad}try:",
            f"{pad}    {statement}",
            f"{pad}except ValidationError:",
            f"{pad}    pass",
        ]


class Matcher:
    """Everything matching needs, compiled from a map's rules at once."""

    __slots__ = ("find", "source", "static_http", "static_websocket")

    def __init__(self, rules: t.Iterable[Rule]) -> None:
        root = _Node()
        static_rules: dict[tuple[bool, str, str], list[Rule]] = {}
        for rule in rules:
            if rule.build_only:
                continue
            node = root
            for part in rule._parts:
                if part.static:
                    node = node.static.setdefault(part.content, _Node())
                    continue
                for existing, child in node.dynamic:
                    if existing == part:
                        node = child
                        break
                else:
                    child = _Node()
                    node.dynamic.append((part, child))
                    node = child
            node.rules.append(rule)
            if all(part.static for part in rule._parts):
                domain = rule._parts[0].content
                path = "/".join(part.content for part in rule._parts[1:])
                if not path.startswith("//"):
                    key = (rule.websocket, domain, path)
                    static_rules.setdefault(key, []).append(rule)
        _sort(root)

        generator = _Generator()
        body = generator.node(root, _Position(0), [], 1)
        main = [
            f"def find({_PARAMETERS.replace(' parts, n,', '')}):",
            "    parts = path.split('/')",
            "    n = len(parts)",
            *body,
            "    return None",
        ]
        self.source = "\n\n".join(
            "\n".join(lines) for lines in [*generator.functions, main]
        )
        namespace = generator.namespace
        exec(compile(self.source, "<hipflask matcher>", "exec"), namespace)
        generator.resolve()
        self.find: Finder = namespace["find"]

        self.static_http: StaticTable = {}
        self.static_websocket: StaticTable = {}
        for (websocket, domain, path), found in static_rules.items():
            tables = self.static_websocket if websocket else self.static_http
            tables.setdefault(domain, {})[path] = _by_method(found)


def _sort(node: _Node) -> None:
    node.dynamic.sort(key=lambda entry: entry[0].weight)
    for child in node.static.values():
        _sort(child)
    for _, child in node.dynamic:
        _sort(child)


def _by_method(rules: list[Rule]) -> dict[str, Rule]:
    """Method -> the first of ``rules`` accepting it (as the tree walk picks)."""
    table: dict[str, Rule] = {}
    for rule in rules:
        if rule.methods is None:
            for method in _COMMON_METHODS:
                table.setdefault(method, rule)
            break
        for method in rule.methods:
            table.setdefault(method, rule)
    # Rules that may redirect need the general path; leave their methods out.
    return {method: rule for method, rule in table.items() if not rule._match_special}
