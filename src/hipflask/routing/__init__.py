"""URL routing: rules, converters, the compiled matcher and the URL builder.

Flask's routing API as Werkzeug defines it (``Map``, ``Rule``, converters,
``MapAdapter``, ``BuildError``), written for speed. The package is split by
concern:

* ``converters.py``: the ``<converter:name>`` types and their arguments;
* ``rules.py``: the rule-string grammar, ``Rule`` and URL building;
* ``matcher.py``: static lookup tables and the generated matcher;
* ``map.py``: ``Map`` (registry, fast ``_match``/``_build``) and ``MapAdapter``;
* ``exceptions.py``: ``BuildError``, ``WebsocketMismatch`` and signals.
"""

from __future__ import annotations

from .adapter import MapAdapter
from .converters import (
    DEFAULT_CONVERTERS,
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    NumberConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
    ValidationError,
)
from .exceptions import (
    BuildError,
    MethodNotAllowed,
    NotFound,
    RedirectRequired,
    RequestRedirect,
    RoutingException,
    WebsocketMismatch,
)
from .map import Map
from .rules import (
    EndpointPrefix,
    Rule,
    RuleFactory,
    RuleTemplate,
    RuleTemplateFactory,
    Subdomain,
    Submount,
)

__all__ = [
    "DEFAULT_CONVERTERS",
    "AnyConverter",
    "BaseConverter",
    "BuildError",
    "EndpointPrefix",
    "FloatConverter",
    "IntegerConverter",
    "Map",
    "MapAdapter",
    "MethodNotAllowed",
    "NotFound",
    "NumberConverter",
    "PathConverter",
    "RedirectRequired",
    "RequestRedirect",
    "RoutingException",
    "Rule",
    "RuleFactory",
    "RuleTemplate",
    "RuleTemplateFactory",
    "Subdomain",
    "Submount",
    "UUIDConverter",
    "UnicodeConverter",
    "ValidationError",
    "WebsocketMismatch",
]
