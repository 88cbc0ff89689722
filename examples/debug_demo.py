"""An app that fails on purpose, to see the debug error page.

For development only: ``hipflask --app examples.debug_demo:app run --debug``.
``application`` is the app wrapped as the development server wraps it, for
serving it by hand (``uvicorn examples.debug_demo:application`` for ASGI,
``gunicorn examples.debug_demo:application`` for WSGI). Open ``/boom``, or
``/async-boom`` for an async view; ``/`` answers normally. Never serve this
where others can reach it: the page shows source code and local variables.
"""

from __future__ import annotations

import asyncio

from hipflask import Flask, request
from hipflask.debug import DebuggedApplication

app = Flask(__name__)
app.debug = True


@app.get("/")
def index() -> str:
    return "debug demo: open /boom or /async-boom"


def average(numbers: list[int]) -> float:
    return sum(numbers) / len(numbers)


@app.get("/boom")
def boom() -> str:
    numbers = [int(part) for part in request.args.getlist("n")]
    return f"average: {average(numbers)}"


@app.get("/async-boom")
async def async_boom() -> str:
    await asyncio.sleep(0)
    wanted = request.args.get("key", "missing")
    return str({"present": 1}[wanted])


application = DebuggedApplication(app)
