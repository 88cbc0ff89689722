"""An example app with a request body limit (``MAX_CONTENT_LENGTH``).

Served like ``examples.hello`` (``gunicorn examples.limits:app``,
``uvicorn examples.limits:app``). A body over the limit is answered
413 Request Entity Too Large before the view sees it; an accepted upload
is answered with a 303 redirect to a page that reports its size
(post/redirect/get).
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


@app.post("/upload/smaller")
def upload_smaller() -> dict[str, int]:
    # Lowering the limit for one request works under every protocol.
    request.max_content_length = 16
    return {"received": len(request.get_data())}
