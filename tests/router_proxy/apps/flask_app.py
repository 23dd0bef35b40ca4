"""A Flask app unlike the payments API: sessions, redirects, streaming, uploads, errors."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from wsgiref.validate import validator

from flask import Flask, Response, abort, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

app = Flask(__name__)
app.config["SECRET_KEY"] = "router-test-secret"

# What the streaming view saw, for the disconnect tests (same process, in-process mode).
STREAM_EVENTS: list[str] = []
TEARDOWNS: list[str] = []
SLOW_GATE = threading.Event()


@app.teardown_request
def _teardown(_exc: BaseException | None) -> None:
    TEARDOWNS.append(request.path)


@app.get("/")
def index() -> str:
    return "legacy index"


@app.get("/items/<int:item_id>")
def item(item_id: int) -> Response:
    return jsonify(source="legacy", id=item_id)


@app.get("/shared")
def shared() -> Response:
    return jsonify(source="legacy")


@app.route("/both", methods=["GET", "POST"])
def both() -> Response:
    return jsonify(method=request.method)


@app.get("/files/<path:name>")
def files(name: str) -> str:
    return f"file {name}"


@app.get("/unicode/<name>")
def unicode_name(name: str) -> Response:
    return jsonify(name=name, args=request.args.to_dict(flat=False))


@app.get("/dir/")
def directory() -> str:
    return "directory"


@app.post("/login")
def login() -> BaseResponse:
    session["owner"] = request.form.get("owner", "alice")
    return redirect(url_for("whoami"))


@app.get("/whoami")
def whoami() -> Response:
    return jsonify(owner=session.get("owner"))


@app.get("/redirect-external")
def redirect_external() -> BaseResponse:
    return redirect(url_for("whoami", _external=True))


@app.get("/cookies")
def cookies() -> Response:
    response = jsonify(ok=True)
    response.set_cookie("first", "1")
    response.set_cookie("second", "2", httponly=True)
    response.headers["X-Custom"] = "yes"
    return response


@app.post("/upload")
def upload() -> Response:
    stored = request.files["document"]
    data = stored.read()
    return jsonify(
        filename=stored.filename, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


@app.post("/echo-body")
def echo_body() -> Response:
    data = request.get_data()
    return jsonify(size=len(data), sha256=hashlib.sha256(data).hexdigest())


@app.get("/echo-environ")
def echo_environ() -> Response:
    environ = request.environ
    headers = sorted(k for k in environ if k.startswith("HTTP_"))
    return jsonify(
        path_info=environ["PATH_INFO"],
        script_name=environ["SCRIPT_NAME"],
        query_string=environ["QUERY_STRING"],
        url=request.url,
        remote_addr=request.remote_addr,
        headers=headers,
        forwarded_for=environ.get("HTTP_X_FORWARDED_FOR"),
    )


@app.get("/client")
def client() -> Response:
    return jsonify(client=request.remote_addr)


@app.get("/stream")
def stream() -> Response:
    count = int(request.args.get("n", "5"))
    delay = float(request.args.get("delay", "0.05"))

    def generate() -> Iterator[bytes]:
        try:
            for i in range(count):
                STREAM_EVENTS.append(f"chunk {i}")
                yield f"chunk {i}\n".encode()
                time.sleep(delay)
        finally:
            STREAM_EVENTS.append("closed")

    return Response(generate(), mimetype="text/plain")


@app.get("/slow")
def slow() -> str:
    SLOW_GATE.wait(timeout=float(request.args.get("s", "2")))
    return "slow done"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("boom")


@app.get("/teapot")
def teapot() -> str:
    abort(418)


@app.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


# The same app inside wsgiref's validator, for the PEP 3333 conformance test (A15).
validated_app = validator(app)


@app.route("/flaky/<case>", methods=["GET", "POST"])
def flaky(case: str) -> Response:
    """Legacy's steady answer to what the new app fails (router_proxy.fallback)."""
    return jsonify(case=case, source="legacy", body=request.get_data(as_text=True))
