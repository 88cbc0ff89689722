"""Flask's signals, on blinker.

Senders check ``signal.receivers`` before building arguments, so a signal nobody
listens to costs one attribute test per request.
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

from .http._native import speedups


class _Signal(NamedSignal):
    """A blinker NamedSignal whose ``receivers`` dict lives in a slot.

    PERF: the request path tests ``receivers`` of several signals for every
    request; the C helpers read the slot at its offset, where an instance dict
    would cost a hash lookup each time.
    """

    __slots__ = ("receivers",)


_signals = Namespace()


def _signal(name: str) -> NamedSignal:
    made = _signals[name] = _Signal(name)
    return made


template_rendered = _signal("template-rendered")
before_render_template = _signal("before-render-template")
request_started = _signal("request-started")
request_finished = _signal("request-finished")
request_tearing_down = _signal("request-tearing-down")
got_request_exception = _signal("got-request-exception")
appcontext_tearing_down = _signal("appcontext-tearing-down")
appcontext_pushed = _signal("appcontext-pushed")
appcontext_popped = _signal("appcontext-popped")
message_flashed = _signal("message-flashed")

if speedups is not None:
    speedups.configure_signals(_Signal)

__all__ = [
    "appcontext_popped",
    "appcontext_pushed",
    "appcontext_tearing_down",
    "before_render_template",
    "got_request_exception",
    "message_flashed",
    "request_finished",
    "request_started",
    "request_tearing_down",
    "template_rendered",
]
