"""The example app: `make run` serves it; tests serve it with real servers.

The same module works under WSGI (``gunicorn examples.hello:app``) and ASGI
(``uvicorn examples.hello:app``).
"""

from __future__ import annotations

import asyncio

from hipflask import Flask, abort, jsonify, request

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "Hello from hipflask!"


@app.get("/user/<int:user_id>")
def user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "name": f"user{user_id}"}


@app.get("/search")
def search() -> dict[str, object]:
    return {
        "q": request.args.get("q", ""),
        "page": request.args.get("page", 1, type=int),
    }


@app.post("/echo")
def echo() -> object:
    if request.is_json:
        return jsonify(received=request.get_json())
    return {"form": request.form.to_dict(), "files": sorted(request.files)}


@app.get("/slow")
async def slow() -> str:
    await asyncio.sleep(0.01)
    return "async view done"


@app.get("/teapot")
def teapot() -> str:
    abort(418)


@app.get("/error")
def error() -> str:
    """Fails on purpose: under ``make run`` (debug mode) it shows the debug page."""
    greeting = "about to fail"
    return greeting + 1  # type: ignore[operator]
