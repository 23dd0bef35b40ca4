"""What a client gets when an app raises before it answered: what the app's own server
would have answered, never the router's (or the reference contract's) JSON.

- legacy (WSGI): gunicorn's error page (``gunicorn.util.write_error``: an HTML 500 and
  ``Connection: close``), the server a Flask app runs under in production;
- new (ASGI): uvicorn's plain-text 500 (``send_500_response``).

The traceback goes to the log, through the same redaction as every line (``logsafe``);
the client learns nothing of it.

Example:
    >>> GUNICORN_500.body.startswith(b"<html>")
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from rollout.types import Backend
from router_proxy.types import HeaderList, Send


@dataclass(frozen=True, slots=True)
class CrashPage:
    headers: HeaderList
    body: bytes

    async def send(self, send: Send, extra: HeaderList) -> None:
        start = {"type": "http.response.start", "status": 500, "headers": self.headers + extra}
        await send(start)
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def _page(content_type: bytes, body: bytes) -> CrashPage:
    headers = [
        (b"connection", b"close"),
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
    ]
    return CrashPage(headers, body)


# gunicorn's page with an empty message, byte for byte (its ``%(mesg)s`` line keeps four
# spaces of indentation).
_GUNICORN_HTML = (
    "<html>\n"
    "  <head>\n"
    "    <title>Internal Server Error</title>\n"
    "  </head>\n"
    "  <body>\n"
    "    <h1><p>Internal Server Error</p></h1>\n"
    "    \n"
    "  </body>\n"
    "</html>\n"
)
GUNICORN_500 = _page(b"text/html", _GUNICORN_HTML.encode("latin-1"))
UVICORN_500 = _page(b"text/plain; charset=utf-8", b"Internal Server Error")


def crash_page(backend: Backend) -> CrashPage:
    return GUNICORN_500 if backend is Backend.LEGACY else UVICORN_500
