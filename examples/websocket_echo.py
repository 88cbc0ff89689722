"""An example websocket app (ASGI only): an echo with Quart's API.

``uvicorn examples.websocket_echo:app`` or
``hipflask --app examples.websocket_echo:app run`` serves it (uvicorn needs a
websocket library: ``wsproto`` or ``websockets``). ``/`` is a page whose script
talks to ``/ws``; ``/ws/<name>`` greets first, then echoes.
"""

from __future__ import annotations

from hipflask import Flask, websocket

app = Flask(__name__)

PAGE = """<!doctype html>
<title>hipflask websocket echo</title>
<input id="text" value="hello"> <button id="send">send</button>
<pre id="log"></pre>
<script>
const log = (line) => { document.getElementById("log").textContent += line + "\\n"; };
const socket = new WebSocket(location.href.replace(/^http/, "ws") + "ws");
socket.onmessage = (event) => log("< " + event.data);
document.getElementById("send").onclick = () => {
  const text = document.getElementById("text").value;
  log("> " + text);
  socket.send(text);
};
</script>
"""


@app.get("/")
def index() -> str:
    return PAGE


@app.websocket("/ws")
async def echo() -> None:
    while True:
        message = await websocket.receive()
        await websocket.send(message)


@app.websocket("/ws/<name>")
async def greet(name: str) -> None:
    await websocket.accept(
        subprotocol=next(iter(websocket.requested_subprotocols), None)
    )
    await websocket.send(f"hello {name}")
    while True:
        await websocket.send(await websocket.receive())
