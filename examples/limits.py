"""An example app with a request body limit (``MAX_CONTENT_LENGTH``).

Served like ``examples.hello`` (``gunicorn examples.limits:app``,
``uvicorn examples.limits:app``). A body over the limit is answered
413 Request Entity Too Large when the view reads it; an accepted upload
is answered with a 303 redirect to a page that reports its size
(post/redirect/get). One view lowers the limit for its requests, another
raises it.
"""

from __future__ import annotations

from hipflask import Flask, Response, redirect, request, url_for

app = Flask(__name__)
#: Bytes a request body may have: small, so that tests can go over it cheaply.
app.config["MAX_CONTENT_LENGTH"] = 1024


@app.post("/upload")
def upload() -> Response:
    size = len(request.get_data())
    return redirect(url_for("received", size=size), code=303)


@app.get("/received/<int:size>")
def received(size: int) -> dict[str, int]:
    return {"received": size}


@app.post("/upload/larger")
def upload_larger() -> dict[str, int]:
    # Raising it works too: under ASGI the rest of the body, held at the app's
    # limit, is received then (a sync view runs in a worker thread).
    request.max_content_length = 4096
    return {"received": len(request.get_data())}


@app.post("/upload/smaller")
def upload_smaller() -> dict[str, int]:
    # Lowering the limit for one request works under every protocol.
    request.max_content_length = 16
    return {"received": len(request.get_data())}
