"""Small apps that must type-check under mypy --strict (they are not run)."""

from __future__ import annotations

from hipflask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from hipflask.http import COEP, COOP
from hipflask.views import MethodView

app = Flask(__name__)
bp = Blueprint("bp", __name__, url_prefix="/bp")


@app.route("/")
def index() -> str:
    return "hello"


@app.get("/json/<int:item>")
def as_json(item: int) -> dict[str, int]:
    return {"item": item}


@app.post("/status")
def with_status() -> tuple[str, int]:
    return request.form.get("x", ""), 201


@app.route("/headers")
def with_headers() -> tuple[str, int, dict[str, str]]:
    return "x", 200, {"X-Kind": "typed"}


@app.route("/response")
def as_response() -> Response:
    response = make_response("body")
    response.set_cookie("a", "b", httponly=True, samesite="Lax")
    return response


@app.route("/redirect")
def go() -> Response:
    return redirect(url_for("index"))


@app.route("/abort")
def stop() -> str:
    abort(404)


@app.route("/async")
async def asynchronous() -> Response:
    g.user = session.get("user")
    return jsonify(user=g.user, args=request.args.to_dict())


@app.before_request
def before() -> None:
    pass


@app.after_request
def after(response: Response) -> Response:
    response.headers["X-After"] = "1"
    return response


@app.after_request
def security_headers(response: Response) -> Response:
    response.content_security_policy.default_src = "'self'"
    response.content_security_policy_report_only = {"img-src": "*"}
    response.cross_origin_opener_policy = COOP.SAME_ORIGIN
    response.cross_origin_embedder_policy = "require-corp"
    response.access_control_allow_credentials = True
    response.access_control_max_age = 600
    if response.access_control_allow_origin is None:
        response.access_control_allow_origin = "*"
    written: int = response.stream.write("tail")
    length: int | None = response.access_control_max_age
    embedder: COEP = response.cross_origin_embedder_policy
    app_iter, status, header_list = response.get_wsgi_response({})
    del written, length, embedder, app_iter, status, header_list
    return response


@app.errorhandler(404)
def not_found(error: Exception) -> tuple[str, int]:
    return "missing", 404


class Items(MethodView):
    def get(self) -> str:
        return "items"


bp.add_url_rule("/items", view_func=Items.as_view("items"))
app.register_blueprint(bp)


# hipflask.typing (flask.typing's names) annotates views and hooks.
from hipflask.typing import (  # noqa: E402
    AfterRequestCallable,
    BeforeRequestCallable,
    ErrorHandlerCallable,
    ResponseReturnValue,
    TeardownCallable,
)


@app.route("/typed")
def typed_view() -> ResponseReturnValue:
    return "text", 200, {"X-One": "1"}


def typed_before() -> ResponseReturnValue | None:
    return None


async def typed_async_before() -> ResponseReturnValue | None:
    return ("stop", 403)


def typed_after(response: Response) -> Response:
    return response


def typed_teardown(error: BaseException | None) -> None:
    pass


def typed_handler(error: Exception) -> ResponseReturnValue:
    return str(error), 500


before_hooks: list[BeforeRequestCallable] = [typed_before, typed_async_before]
after_hook: AfterRequestCallable[Response] = typed_after
teardown_hook: TeardownCallable = typed_teardown
handler: ErrorHandlerCallable = typed_handler
app.before_request(typed_before)
app.after_request(typed_after)
