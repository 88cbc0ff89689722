"""URL rules: parsing rule strings, and building URLs from a rule.

A rule string is a path with placeholders. The grammar::

    rule        = *( "/" / static / placeholder )
    static      = 1*( any character except "/" and "<" )
    placeholder = "<" [ converter [ "(" arguments ")" ] ":" ] variable ">"
    converter   = identifier          ; a name in ``Map.converters``
    variable    = identifier          ; ASCII letters, digits, "_"
    arguments   = see ``converters.parse_converter_args``

The argument text ends at the first ``)`` that is followed by
``:variable>``, so quoted arguments may contain ``)``.

When a rule is bound to a map (``Map.add``) it is cut into *parts*, one per
``/``-separated segment, preceded by one part for the domain (the subdomain
pattern, or the host pattern when the map does host matching). A part
without placeholders is *static* and stores its text; any other part stores a
regular expression with one named group per placeholder. Once a converter
that may span slashes (``path``) appears, the rest of the rule joins that
part, which is then *final*: it consumes all remaining segments. A final part
that ends in ``/`` is *suffixed*: it also matches without the slash (so the
matcher can redirect) and is followed by an empty static part. Each dynamic
part carries a weight, compared as a tuple, so that parts with more static
text come first and, among placeholders, lower converter weights come first.

Building (``Rule.build``) runs a small function generated for the rule the
first time it is built: it checks that the values suit the rule, converts
each value with its converter's ``to_url`` and appends the values the rule
does not use as a query string (``encode_query``).
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Callable, Iterable, Iterator, Mapping
from string import Template
from urllib.parse import quote_plus

from .converters import (
    BaseConverter,
    ValidationError,
    parse_converter_args,
    quote_path,
    spans_segments,
)
from .linear import Element, converter_elements, literal, suffix_elements

if t.TYPE_CHECKING:
    from .map import Map

__all__ = [
    "EndpointPrefix",
    "Rule",
    "RuleFactory",
    "RulePart",
    "RuleTemplate",
    "RuleTemplateFactory",
    "Subdomain",
    "Submount",
    "encode_query",
]

#: ``(static_count, static_weights, argument_count, argument_weights)``.
Weight = tuple[int, tuple[tuple[int, int], ...], int, tuple[int, ...]]
_NO_WEIGHT: Weight = (0, (), 0, ())

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# After the ")" closing an argument list: ":variable>".
_ARGUMENTS_END = re.compile(r"\):([A-Za-z_][A-Za-z0-9_]*)>")
_MULTIPLE_SLASHES = re.compile("/{2,}")


class _Slash:
    """The "/" token of a rule string."""


_SLASH = _Slash()


class _Placeholder(t.NamedTuple):
    converter: str
    arguments: str
    name: str


def _tokenize(rule: str) -> Iterator[_Slash | str | _Placeholder]:
    """Yield ``_SLASH``, static text, or a placeholder for each piece of ``rule``."""
    position = 0
    length = len(rule)
    while position < length:
        char = rule[position]
        if char == "/":
            yield _SLASH
            position += 1
            continue
        if char != "<":
            end = position + 1
            while end < length and rule[end] not in "/<":
                end += 1
            yield rule[position:end]
            position = end
            continue
        name_match = _IDENTIFIER.match(rule, position + 1)
        if name_match is None:
            raise ValueError(f"malformed url rule: {rule!r}")
        first = name_match.group()
        after = name_match.end()
        next_char = rule[after : after + 1]
        if next_char == ">":
            yield _Placeholder("default", "", first)
            position = after + 1
        elif next_char == ":":
            variable = _IDENTIFIER.match(rule, after + 1)
            if variable is None or rule[variable.end() : variable.end() + 1] != ">":
                raise ValueError(f"malformed url rule: {rule!r}")
            yield _Placeholder(first, "", variable.group())
            position = variable.end() + 1
        elif next_char == "(":
            close = rule.find(")", after)
            while close != -1:
                end_match = _ARGUMENTS_END.match(rule, close)
                if end_match is not None:
                    break
                close = rule.find(")", close + 1)
            else:
                raise ValueError(f"malformed url rule: {rule!r}")
            yield _Placeholder(first, rule[after + 1 : close], end_match.group(1))
            position = end_match.end()
        else:
            raise ValueError(f"malformed url rule: {rule!r}")


class RulePart:
    """One segment of a bound rule: static text, or a regex with groups."""

    __slots__ = (
        "content",
        "element_groups",
        "elements",
        "final",
        "static",
        "suffixed",
        "weight",
    )

    def __init__(
        self, content: str, final: bool, static: bool, suffixed: bool, weight: Weight
    ) -> None:
        self.content = content
        self.final = final
        self.static = static
        self.suffixed = suffixed
        self.weight = weight
        # For the linear matcher (linear.py): the regex as elements, with the
        # capture group of each (-1 for none); None if some regex is unknown.
        self.elements: list[Element] | None = None
        self.element_groups: list[int] = []

    def key(self) -> tuple[str, bool, bool, bool, Weight]:
        """Parts with equal keys share a node of the matcher's tree."""
        return (self.content, self.final, self.static, self.suffixed, self.weight)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RulePart) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        kind = "static" if self.static else "final" if self.final else "dynamic"
        return f"<RulePart {kind} {self.content!r}>"


def _iter_multi_items(values: t.Any) -> Iterator[tuple[t.Any, t.Any]]:
    lists = getattr(values, "lists", None)
    if callable(lists):  # a MultiDict: every value of every key
        for key, items in lists():
            for item in items:
                yield key, item
    elif isinstance(values, Mapping):
        for key, value in values.items():
            if isinstance(value, (list, tuple, set)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from values


_QUERY_SAFE = "!$'()*,/:;?@"
_QUERY_UNSAFE = re.compile(r"[^A-Za-z0-9_.~!$'()*,/:;?@-]")


def _quote_query(value: t.Any) -> str:
    if isinstance(value, bytes):
        return quote_plus(value, safe=_QUERY_SAFE)
    text = value if isinstance(value, str) else str(value)
    if _QUERY_UNSAFE.search(text) is None:
        return text
    return quote_plus(text, safe=_QUERY_SAFE)


def encode_query(
    values: t.Any,
    sort: bool = False,
    key: Callable[[t.Any], t.Any] | None = None,
) -> str:
    """Encode a mapping, MultiDict or pair list as ``a=1&b=2``.

    List, tuple and set values become repeated keys; ``None`` values are left
    out; text is UTF-8 percent-encoded with spaces as ``+``.
    """
    items: Iterable[tuple[t.Any, t.Any]] = _iter_multi_items(values)
    if sort:
        items = sorted(items, key=key)
    return "&".join(
        f"{_quote_query(name)}={_quote_query(value)}"
        for name, value in items
        if value is not None
    )


class RuleFactory:
    """Something that contributes rules to a map (a rule, or a group of them)."""

    def get_rules(self, map: Map) -> Iterable[Rule]:
        """Return the rules to add to ``map``."""
        raise NotImplementedError()


class Subdomain(RuleFactory):
    """Give every wrapped rule the subdomain pattern ``subdomain``."""

    def __init__(self, subdomain: str, rules: Iterable[RuleFactory]) -> None:
        self.subdomain = subdomain
        self.rules = rules

    def get_rules(self, map: Map) -> Iterator[Rule]:
        for factory in self.rules:
            for rule in factory.get_rules(map):
                copy = rule.empty()
                copy.subdomain = self.subdomain
                yield copy


class Submount(RuleFactory):
    """Prefix every wrapped rule's path with ``path``."""

    def __init__(self, path: str, rules: Iterable[RuleFactory]) -> None:
        self.path = path.rstrip("/")
        self.rules = rules

    def get_rules(self, map: Map) -> Iterator[Rule]:
        for factory in self.rules:
            for rule in factory.get_rules(map):
                copy = rule.empty()
                copy.rule = self.path + copy.rule
                yield copy


class EndpointPrefix(RuleFactory):
    """Prefix every wrapped rule's (string) endpoint with ``prefix``."""

    def __init__(self, prefix: str, rules: Iterable[RuleFactory]) -> None:
        self.prefix = prefix
        self.rules = rules

    def get_rules(self, map: Map) -> Iterator[Rule]:
        for factory in self.rules:
            for rule in factory.get_rules(map):
                copy = rule.empty()
                copy.endpoint = self.prefix + copy.endpoint
                yield copy


class RuleTemplate:
    """Rules with ``$name`` placeholders, filled in when the template is called."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = list(rules)

    def __call__(self, *args: t.Any, **kwargs: t.Any) -> RuleTemplateFactory:
        return RuleTemplateFactory(self.rules, dict(*args, **kwargs))


class RuleTemplateFactory(RuleFactory):
    """The rules of a :class:`RuleTemplate` with its variables substituted."""

    def __init__(self, rules: Iterable[RuleFactory], context: dict[str, t.Any]) -> None:
        self.rules = rules
        self.context = context

    def get_rules(self, map: Map) -> Iterator[Rule]:
        def fill(value: t.Any) -> t.Any:
            if isinstance(value, str):
                return Template(value).substitute(self.context)
            return value

        for factory in self.rules:
            for rule in factory.get_rules(map):
                defaults = None
                if rule.defaults:
                    defaults = {
                        key: fill(value) for key, value in rule.defaults.items()
                    }
                subdomain = None if rule.subdomain is None else fill(rule.subdomain)
                yield Rule(
                    fill(rule.rule),
                    defaults,
                    subdomain,
                    rule.methods,
                    rule.build_only,
                    fill(rule.endpoint),
                    rule.strict_slashes,
                )


BuildFunction = Callable[[Mapping[str, t.Any], bool], "tuple[str, str] | None"]


class Rule(RuleFactory):
    """One URL pattern and what it routes to.

    ``string`` is the rule text (see the module docstring). ``methods=None``
    accepts any method; ``GET`` brings ``HEAD`` along. ``defaults`` are
    values the view receives without them appearing in the URL. The
    ``strict_slashes``, ``merge_slashes`` and ``subdomain`` options fall back
    to the map's settings when the rule is bound.
    """

    def __init__(
        self,
        string: str,
        defaults: Mapping[str, t.Any] | None = None,
        subdomain: str | None = None,
        methods: Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: t.Any | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not isinstance(string, str) or not string.startswith("/"):
            raise ValueError(f"urls must start with a leading slash, got {string!r}")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")

        self.map: Map = None  # type: ignore[assignment]
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        self.endpoint: t.Any = endpoint
        self.redirect_to = redirect_to

        method_set: set[str] | None = None
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError("'methods' should be a list of strings, not a string.")
            method_set = {method.upper() for method in methods}
            if "GET" in method_set:
                method_set.add("HEAD")
            if websocket and method_set - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    "WebSocket rules can only use 'GET', 'HEAD', and 'OPTIONS'"
                    f" methods, got {sorted(method_set)}."
                )
        self.methods = method_set

        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._trace: list[tuple[bool, str]] = []
        self._parts: list[RulePart] = []
        self._trace_split = 0
        self._builder: BuildFunction | None = None
        #: Flask sets this: whether the app answers OPTIONS for the rule itself.
        self.provide_automatic_options = False
        # Set by the map when it compiles: matching this rule may redirect.
        self._match_special = False

    def empty(self) -> Rule:
        """An unbound copy of this rule, made with ``get_empty_kwargs()``."""
        return type(self)(self.rule, **self.get_empty_kwargs())

    def get_empty_kwargs(self) -> Mapping[str, t.Any]:
        """The keyword arguments :meth:`empty` passes to the constructor."""
        return {
            "defaults": dict(self.defaults) if self.defaults else None,
            "subdomain": self.subdomain,
            "methods": self.methods,
            "build_only": self.build_only,
            "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes,
            "merge_slashes": self.merge_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "host": self.host,
            "websocket": self.websocket,
        }

    def get_rules(self, map: Map) -> Iterator[Rule]:
        yield self

    def refresh(self) -> None:
        """Re-parse the rule after changing it in place."""
        self.bind(self.map, rebind=True)

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to ``map``, fill in the map's defaults and parse it."""
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self.compile()

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[t.Any, ...],
        kwargs: Mapping[str, t.Any],
    ) -> BaseConverter:
        """Instantiate the converter ``converter_name`` from the map."""
        if converter_name not in self.map.converters:
            raise LookupError(f"the converter {converter_name!r} does not exist")
        return self.map.converters[converter_name](self.map, *args, **kwargs)

    def compile(self) -> None:
        """Cut the rule into parts and generate its URL builder."""
        if self.map is None:
            raise RuntimeError(f"url rule {self.rule!r} is not bound to a map")
        if self.map.host_matching:
            domain_rule = self.host or ""
        else:
            domain_rule = self.subdomain or ""
        self._converters = {}
        self._trace = []
        if domain_rule:
            parts = self._parse_parts(domain_rule)
        else:
            parts = [RulePart("", False, True, False, _NO_WEIGHT)]
        self._trace_split = len(self._trace)
        self._trace.append((False, "|"))
        path = self.rule
        if self.merge_slashes:
            path = _MULTIPLE_SLASHES.sub("/", path)
        parts.extend(self._parse_parts(path))
        self._parts = parts
        # Generated on first use (build_function): many rules are never built.
        self._builder = None
        # But a default the converter cannot put in a URL fails now, as the
        # builder would (it turns such defaults into constants).
        for name, value in (self.defaults or {}).items():
            if name in self._converters:
                self._converters[name].to_url(value)

    def _parse_parts(self, text: str) -> list[RulePart]:
        parts: list[RulePart] = []
        pieces: list[str] = []
        static = True
        final = False
        static_weights: list[tuple[int, int]] = []
        argument_weights: list[int] = []
        elements: list[Element] | None = []
        element_groups: list[int] = []

        def make_part(content: str, suffixed: bool = False) -> RulePart:
            weight: Weight = (
                -len(static_weights),
                tuple(static_weights),
                -len(argument_weights),
                tuple(argument_weights),
            )
            if not static:
                try:
                    re.compile(content)
                except re.error as error:
                    raise ValueError(
                        f"url rule {self.rule!r} gives the invalid regular expression"
                        f" {content!r}: {error}"
                    ) from None
            part = RulePart(content, final, static, suffixed, weight)
            if not static and elements is not None:
                part.elements = elements
                part.element_groups = element_groups
            return part

        for token in _tokenize(text):
            if isinstance(token, str):
                static_weights.append((len(static_weights), -len(token)))
                self._trace.append((False, token))
                pieces.append(token if static else re.escape(token))
                if elements is not None:
                    elements.append(literal(token))
                    element_groups.append(-1)
            elif isinstance(token, _Placeholder):
                name = token.name
                if name in self._converters:
                    raise ValueError(
                        f"variable name {name!r} used twice in url rule {self.rule!r}"
                    )
                if static:
                    pieces = [re.escape("".join(pieces))]
                    static = False
                args, kwargs = parse_converter_args(token.arguments)
                converter = self.get_converter(name, token.converter, args, kwargs)
                self._converters[name] = converter
                self.arguments.add(name)
                if spans_segments(converter):
                    final = True
                # Group names restart in every part, so that equal parts of
                # different rules compare equal and share a matcher node.
                pieces.append(f"(?P<_hf{len(argument_weights)}>{converter.regex})")
                known = converter_elements(converter.regex)
                if known is None:
                    elements = None
                elif elements is not None:
                    elements.extend(known)
                    element_groups.extend([len(argument_weights)] * len(known))
                argument_weights.append(converter.weight)
                self._trace.append((True, name))
            else:
                self._trace.append((False, "/"))
                if final:
                    pieces.append("/")
                    if elements is not None:
                        elements.append(literal("/"))
                        element_groups.append(-1)
                    continue
                content = "".join(pieces)
                parts.append(make_part(content if static else content + r"\Z"))
                pieces = []
                static = True
                static_weights = []
                argument_weights = []
                elements = []
                element_groups = []

        content = "".join(pieces)
        suffixed = final and content.endswith("/")
        if suffixed:
            content = content[:-1] + "(?<!/)(/?)"
            if elements is not None:
                # The final "/" literal becomes the optional slash group.
                elements = [*elements[:-1], *suffix_elements()]
                element_groups = [*element_groups[:-1], -1, len(argument_weights)]
        parts.append(make_part(content if static else content + r"\Z", suffixed))
        if suffixed:
            parts.append(RulePart("", False, True, False, parts[-1].weight))
        return parts

    def build(
        self, values: Mapping[str, t.Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """``(domain_part, path_and_query)`` for ``values``; ``None`` if unsuitable."""
        return self.build_function()(values, append_unknown)

    def build_function(self) -> BuildFunction:
        """The generated URL builder of this rule (made on first call)."""
        builder = self._builder
        if builder is None:
            if self.map is None:
                raise RuntimeError(f"url rule {self.rule!r} is not bound to a map")
            builder = self._builder = _compile_builder(self)
        return builder

    def provides_defaults_for(self, rule: Rule) -> bool:
        """Whether this rule is the canonical URL, by defaults, of ``rule``."""
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self != rule
            and self.arguments == rule.arguments
        )

    def suitable_for(
        self, values: Mapping[str, t.Any], method: str | None = None
    ) -> bool:
        """Whether ``values`` (and ``method``) are enough to build this rule."""
        if (
            method is not None
            and self.methods is not None
            and method not in self.methods
        ):
            return False
        defaults = self.defaults or {}
        for name in self.arguments:
            if name not in defaults and name not in values:
                return False
        for name, value in defaults.items():
            if name in values and value != values[name]:
                return False
        return True

    def build_compare_key(self) -> tuple[int, int, int]:
        """Sort key among one endpoint's rules: which to try first when building."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._trace == other._trace

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} (unbound)>"
        text = "".join(
            f"<{data}>" if dynamic else data for dynamic, data in self._trace
        )
        methods = ""
        if self.methods is not None:
            methods = f" ({', '.join(sorted(self.methods))})"
        return (
            f"<{type(self).__name__} {text.lstrip('|')!r}{methods} -> {self.endpoint}>"
        )


def _compile_builder(rule: Rule) -> BuildFunction:
    """Generate the function that builds ``rule``'s URL from a values dict.

    The generated code, for ``/user/<int:id>`` without defaults, reads::

        def build(values, append_unknown):
            if 'id' not in values:
                return None
            try:
                domain = ''
                path = '/user/' + c0(values['id'])
            except ValidationError:
                return None
            if append_unknown and len(values) > 1:
                return domain, path + query(values)
            return domain, path
    """
    defaults = rule.defaults or {}
    split = rule._trace_split
    namespace: dict[str, t.Any] = {
        "ValidationError": ValidationError,
        "quote_path": quote_path,
        "str": str,
    }

    def expression(trace: list[tuple[bool, str]]) -> str:
        pieces: list[str] = []
        static = ""
        for is_dynamic, data in trace:
            if not is_dynamic:
                static += quote_path(data)
                continue
            converter = rule._converters[data]
            if data in defaults:
                static += converter.to_url(defaults[data])
                continue
            if static:
                pieces.append(repr(static))
                static = ""
            if type(converter).to_url is BaseConverter.to_url:
                # PERF: the plain converters' to_url, without the method call.
                pieces.append(f"quote_path(str(values[{data!r}]))")
            else:
                name = f"c{len(namespace)}"
                namespace[name] = converter.to_url
                pieces.append(f"{name}(values[{data!r}])")
        if static or not pieces:
            pieces.append(repr(static))
        return " + ".join(pieces)

    required = [name for name in rule._converters if name not in defaults]
    lines = ["def build(values, append_unknown):"]
    lines.extend(
        f"    if {name!r} not in values:\n        return None" for name in required
    )
    for index, (name, value) in enumerate(defaults.items()):
        namespace[f"d{index}"] = value
        lines.append(f"    if {name!r} in values and values[{name!r}] != d{index}:")
        lines.append("        return None")
    lines += [
        "    try:",
        f"        domain = {expression(rule._trace[:split])}",
        f"        path = {expression(rule._trace[split + 1 :])}",
        "    except ValidationError:",
        "        return None",
        f"    if append_unknown and len(values) > {len(required)}:",
        "        return domain, path + query(values)",
        "    return domain, path",
    ]
    arguments = frozenset(rule.arguments)

    def query(values: Mapping[str, t.Any]) -> str:
        extra = {name: value for name, value in values.items() if name not in arguments}
        if not extra:
            return ""
        bound = rule.map
        text = encode_query(extra, bound.sort_parameters, bound.sort_key)
        return f"?{text}" if text else ""

    namespace["query"] = query
    code = compile("\n".join(lines), f"<hipflask builder {rule.rule!r}>", "exec")
    exec(code, namespace)
    return t.cast(BuildFunction, namespace["build"])
