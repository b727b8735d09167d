"""One error shape: RFC 9457 ``application/problem+json`` for clients, an HTML page for browsers.

The HTTP status of each :mod:`kg.errors` class is decided here, in :data:`STATUS`, and nowhere
else. Unexpected exceptions answer 500 without details (they are logged, never shown).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from kg import errors as kg

PROBLEM = "application/problem+json"

#: kg error class -> (HTTP status, title). The most specific class wins (MRO order).
STATUS: dict[type[Exception], tuple[int, str]] = {
    kg.RowError: (400, "Bad input"),
    kg.InputError: (400, "Bad input"),
    kg.QueryError: (400, "Bad query"),
    kg.QueryTimeout: (503, "Query time limit exceeded"),
    kg.Queued: (503, "Being computed"),
    kg.Busy: (503, "Service busy"),
    kg.TooLarge: (413, "Content Too Large"),
    kg.NotFound: (404, "Not found"),
    kg.CompileError: (500, "Unsupported shape"),
    kg.StoreError: (500, "Store error"),
    kg.KGError: (500, "Internal error"),
}


class Problem(Exception):
    """An HTTP error raised by the web layer itself (406, 403, 413, ...)."""

    def __init__(self, status: int, title: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}


#: The most characters of a client's own input that an error message repeats (a header, a
#: parameter): more is cut, so that an answer never reflects a long text back.
ECHO = 80
#: The longest ``detail`` of a problem; the rest is cut.
DETAIL = 2000


def clip(text: str, limit: int = ECHO) -> str:
    """``text`` quoted for an error message, cut to ``limit`` characters."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


_POSITION = re.compile(r"(?:error at |line )(\d+)(?::| column )(\d+)")


def position(message: str) -> dict[str, int]:
    """``{"line": .., "column": ..}`` found in an engine's error message, else ``{}``."""
    match = _POSITION.search(message)
    return {"line": int(match[1]), "column": int(match[2])} if match else {}


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    """The one function that builds an error response (problem+json or an HTML page)."""
    if len(detail) > DETAIL:
        detail = detail[:DETAIL] + "... (cut)"
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "instance": request.path, **extra}
    if _wants_html():
        html = render_template("error.html", problem=body)
        return Response(html, status=status, mimetype="text/html")
    # indented: the query editor shows the body as it comes, and one long line is cut off
    return Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n", status=status,
                    mimetype=PROBLEM)


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match([PROBLEM, "application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > \
        request.accept_mimetypes[PROBLEM]


def _status_of(exc: Exception) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "Internal error"


def _kg_error(exc: kg.KGError) -> Response:
    status, title = _status_of(exc)
    detail = str(exc) if status < 500 or isinstance(exc, kg.QueryTimeout | kg.Busy) else \
        "the server could not complete the request"
    extra: dict[str, Any] = position(str(exc)) if isinstance(exc, kg.QueryError) else {}
    if isinstance(exc, kg.RowError):
        extra = {"file": exc.file, "line": exc.line, "column": exc.column}
    response = problem(status, title, detail, **extra)
    if isinstance(exc, kg.Busy):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, kg.Queued):  # a browser reloads the page when it should be ready
        response.headers["Refresh"] = str(exc.retry_after)
    return response


def _problem(exc: Problem) -> Response:
    response = problem(exc.status, exc.title, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


def _http(exc: HTTPException) -> Response:
    response = problem(exc.code or 500, exc.name, exc.description or "")
    allowed = getattr(exc, "valid_methods", None)
    if exc.code == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _unexpected(exc: Exception) -> Response:
    from flask import current_app

    current_app.logger.exception("unexpected error", exc_info=exc)
    return problem(500, "Internal error", "the server could not complete the request")


def init_app(app: Flask) -> None:
    app.register_error_handler(kg.KGError, _kg_error)
    app.register_error_handler(Problem, _problem)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
