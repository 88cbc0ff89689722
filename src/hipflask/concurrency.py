"""Crossing between sync and async code.

Two directions are needed, and each is decided once per callable, at registration:

- From sync code (a WSGI request, a test) to a coroutine: :func:`run_coroutine`
  runs it on an event loop owned by the calling thread. The loop is created on first
  use and reused for every later call on that thread, so an async view under WSGI
  does not pay for a new loop per request.
- From async code (an ASGI request) to a blocking callable: :func:`run_in_thread`
  runs it in the default executor with the caller's contextvars copied, so the
  request context is visible inside the worker thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
import typing as t
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to completion, without an event loop.

    The request pipeline in direct mode is such a coroutine: one ``send`` runs
    it to the end. A coroutine that does suspend is an error here.
    """
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("A coroutine driven directly tried to suspend.")


class _LoopOwner:
    """Holds a thread's event loop and closes it when the thread ends.

    It lives in the thread-local storage, which is cleared when its thread
    exits: a worker thread of a pool does not leave an unclosed loop behind.
    """

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        loop = self.loop
        if not loop.is_closed() and not loop.is_running():
            loop.close()


def thread_loop() -> asyncio.AbstractEventLoop:
    """Return this thread's private event loop, creating it on first use."""
    owner: _LoopOwner | None = getattr(_local, "owner", None)
    if owner is None or owner.loop.is_closed():
        owner = _local.owner = _LoopOwner()
    return owner.loop


def run_coroutine(awaitable: Awaitable[T]) -> T:
    """Run ``awaitable`` to completion from sync code on the thread's own loop.

    Raises RuntimeError when called from inside a running event loop on this thread
    (blocking there would deadlock it).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "Cannot run a coroutine synchronously from inside a running event loop."
            " Await it instead."
        )
    loop = thread_loop()
    if inspect.iscoroutine(awaitable):
        return t.cast(T, loop.run_until_complete(awaitable))
    return loop.run_until_complete(_await(awaitable))


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def run_in_thread(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call a blocking ``func`` in a worker thread with the current context copied."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    if kwargs:
        call = functools.partial(context.run, func, *args, **kwargs)
        return await loop.run_in_executor(None, call)
    return await loop.run_in_executor(None, context.run, func, *args)


def is_async_callable(obj: object) -> bool:
    """Whether calling ``obj`` returns a coroutine (functions, partials, __call__)."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    if inspect.iscoroutinefunction(obj):
        return True
    call = getattr(obj, "__call__", None)  # noqa: B004
    return call is not None and inspect.iscoroutinefunction(call)


_STOP = object()


def _next_or_stop(iterator: Iterator[T]) -> T | object:
    return next(iterator, _STOP)


async def iterate_in_thread(
    iterator: Iterator[T], context: contextvars.Context | None = None
) -> AsyncIterator[T]:
    """Drive a blocking iterator from async code, one item per worker-thread call.

    Every step runs in one Context (``context``, else a copy of the caller's),
    so a generator that pushes a context var in one step and pops it in a later
    one (as ``stream_with_context`` does) sees one consistent Context.
    """
    loop = asyncio.get_running_loop()
    if context is None:
        context = contextvars.copy_context()
    while True:
        item = await loop.run_in_executor(None, context.run, _next_or_stop, iterator)
        if item is _STOP:
            return
        yield item  # type: ignore[misc]
