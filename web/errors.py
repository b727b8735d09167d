"""One error shape: RFC 9457 ``application/problem+json`` for clients, an HTML page for browsers.

The HTTP status of each :mod:`kg.errors` class is decided here, in :data:`STATUS`, and nowhere
else. Unexpected exceptions answer 500 without details (they are logged, never shown).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from kg import (
    Busy,
    CompileError,
    InputError,
    KGError,
    LimitExceeded,
    NotFound,
    QueryError,
    QueryTimeout,
    Queued,
    Refused,
    RowError,
    ServiceFailed,
    StoreError,
    TooLarge,
    Word,
    fill,
)
from web.echo import Clipped, echoed_path, unechoed
from web.i18n import N_, gettext, language

PROBLEM = "application/problem+json"


#: kg error class -> (HTTP status, title). The most specific class wins (MRO order).
STATUS: dict[type[Exception], tuple[int, str]] = {
    RowError: (400, N_("Bad input")),
    InputError: (400, N_("Bad input")),
    Refused: (403, N_("Forbidden")),
    QueryError: (400, N_("Bad query")),
    LimitExceeded: (503, N_("Limit exceeded")),
    ServiceFailed: (502, N_("Federated call failed")),
    QueryTimeout: (503, N_("Query time limit exceeded")),
    Queued: (503, N_("Being computed")),
    Busy: (503, N_("Service busy")),
    TooLarge: (413, N_("Content Too Large")),
    NotFound: (404, N_("Not found")),
    CompileError: (500, N_("Unsupported shape")),
    StoreError: (500, N_("Store error")),
    KGError: (500, N_("Internal error")),
}


#: The titles of problems other than :data:`STATUS`'s: the web layer's own (:class:`Problem`'s)
#: and the name of every error werkzeug knows (``werkzeug.exceptions.default_exceptions``: an
#: unknown URL, a method not allowed, a body too large...). Every title is said in the reader's
#: language (:func:`problem`); ``tests/test_web_problem_titles.py`` holds the code to this list.
TITLES = (N_("Bad RDF"), N_("Bad request"), N_("Batch too large"), N_("Too many ids"),
          N_("Front-end library missing"),
          # werkzeug's, by status
          N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"),
          N_("Method Not Allowed"), N_("Not Acceptable"), N_("Request Timeout"),
          N_("Conflict"), N_("Gone"), N_("Length Required"), N_("Precondition Failed"),
          N_("Request Entity Too Large"), N_("Request URI Too Long"),
          N_("Unsupported Media Type"), N_("Requested Range Not Satisfiable"),
          N_("Expectation Failed"), N_("I'm a teapot"), N_("Misdirected Request"),
          N_("Unprocessable Entity"), N_("Locked"), N_("Failed Dependency"),
          N_("Precondition Required"), N_("Too Many Requests"),
          N_("Request Header Fields Too Large"), N_("Unavailable For Legal Reasons"),
          N_("Internal Server Error"), N_("Not Implemented"), N_("Bad Gateway"),
          N_("Service Unavailable"), N_("Gateway Timeout"), N_("HTTP Version Not Supported"))


#: How a :class:`kg.RowError` places its message (``RowError.PLACE``, a message id of its own).
ROW_PLACE = N_("%(file)s:%(line)s: column %(column)r: %(reason)s")
#: How a client's input cut for a message reads (``web.echo.CLIPPED``, for the catalogue).
CLIPPED_SAID = N_("%(start)s... (%(count)s characters)")
#: The detail of a server error, whose own message is logged, never shown.
UNEXPECTED = N_("the server could not complete the request")


def detail_of(exc: KGError) -> str:
    """A kg error's message in the reader's language: its template through the catalogue,
    filled with its values (a value that is a kg error or a :class:`kg.Word` said the same
    way). A template the catalogue lacks stays English."""
    if not exc.template:
        return str(exc)
    text = gettext(exc.template, **said(exc.params))
    if isinstance(exc, RowError):
        return gettext(ROW_PLACE, file=_said(exc.file), line=exc.line, column=exc.column,
                       reason=text)
    return text


def said(params: dict[str, Any]) -> dict[str, Any]:
    """A message's values with each kg error and :class:`kg.Word` among them in the reader's
    language, and each that repeats a long part of the request cut (:func:`web.echo.unechoed`:
    a kg function's error quotes what it was given, which may be a client's long input)."""
    return {k: _said(v) for k, v in params.items()}


def _said(value: Any) -> Any:
    if isinstance(value, KGError):
        return detail_of(value)
    if isinstance(value, Word):
        return gettext(value.template, **said(value.params))
    if isinstance(value, Clipped):
        return gettext(CLIPPED_SAID, start=value.head, count=value.length)
    if isinstance(value, str):
        return unechoed(value)
    return value


#: werkzeug's own descriptions of the errors it raises (an unknown URL, a method not allowed,
#: ...), for the catalogue: the error page and problem say them in the reader's language.
DESCRIPTIONS = (
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("The requested URL was not found on the server. If you entered the URL manually please "
       "check your spelling and try again."),
    N_("The method is not allowed for the requested URL."),
    N_("The data value transmitted exceeds the capacity limit."),
    N_("The server does not support the media type transmitted in the request."),
)


class Problem(Exception):
    """An HTTP error raised by the web layer itself (406, 403, 413, ...). With ``params``,
    ``detail`` is a template of the catalogue filled from them (as :class:`kg.KGError`'s)."""

    def __init__(self, status: int, title: str, detail: str,
                 headers: dict[str, str] | None = None, *,
                 params: dict[str, Any] | None = None, **extra: Any) -> None:
        self.params = params or {}
        super().__init__(fill(detail, self.params))
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}

    def localized(self) -> str:
        """The detail in the reader's language."""
        return gettext(self.detail, **said(self.params))


#: The longest ``detail`` of a problem; the rest is cut.
DETAIL = 2000


_POSITION = re.compile(r"(?:error at |line )(\d+)(?::| column )(\d+)")


def position(message: str) -> dict[str, int]:
    """``{"line": .., "column": ..}`` found in an engine's error message, else ``{}``."""
    match = _POSITION.search(message)
    return {"line": int(match[1]), "column": int(match[2])} if match else {}


def problem(status: int, title: str, detail: str = "", **extra: Any) -> Response:
    """The one function that builds an error response (problem+json or an HTML page). The
    ``title`` (English, one of :data:`STATUS`'s or :data:`TITLES`) is said in the reader's
    language, as the ``detail`` is (RFC 9457 lets a title be localized; ``type`` stays
    ``about:blank``), and the answer says which (``Content-Language``)."""
    detail = _cut(detail)
    extra = {k: _cut(v) if isinstance(v, str) else v for k, v in extra.items()}
    body = {"type": "about:blank", "title": gettext(title), "status": status, "detail": detail,
            **({"instance": path} if (path := echoed_path()) else {}), **extra}
    if _wants_html():
        html = render_template("error.html", problem=body)
        response = Response(html, status=status, mimetype="text/html")
    else:
        # indented: the query editor shows the body as it comes, and one long line is cut off
        response = Response(json.dumps(body, ensure_ascii=False, indent=2) + "\n",
                            status=status, mimetype=PROBLEM)
    return language(response)


def _cut(text: str) -> str:
    """A problem's text cut at :data:`DETAIL` characters: the detail, and the members beside it
    (a parser's own words, ``engine``, may quote a whole uploaded body)."""
    return text if len(text) <= DETAIL else text[:DETAIL] + "... (cut)"


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match([PROBLEM, "application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > \
        request.accept_mimetypes[PROBLEM]


def _status_of(exc: Exception) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "Internal error"


def _kg_error(exc: KGError) -> Response:
    status, title = _status_of(exc)
    told = status < 500 or isinstance(exc, QueryTimeout | Busy | ServiceFailed)
    detail = detail_of(exc) if told else gettext(UNEXPECTED)
    extra: dict[str, Any] = position(str(exc)) if isinstance(exc, QueryError) else {}
    if isinstance(exc, RowError):
        extra = {"file": exc.file, "line": exc.line, "column": exc.column}
    if "engine" in exc.params and told:  # the parser's or engine's own words, as they are
        extra["engine"] = str(exc.params["engine"])
    response = problem(status, title, detail, **extra)
    if isinstance(exc, Busy):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Queued):  # a browser reloads the page when it should be ready
        response.headers["Refresh"] = str(exc.retry_after)
    return response


def _problem(exc: Problem) -> Response:
    extra = {**exc.extra, **({"engine": exc.params["engine"]} if "engine" in exc.params else {})}
    response = problem(exc.status, exc.title, exc.localized(), **extra)
    response.headers.update(exc.headers)
    return response


def _http(exc: HTTPException) -> Response:
    response = problem(exc.code or 500, exc.name, gettext(exc.description or ""))
    allowed = getattr(exc, "valid_methods", None)
    if exc.code == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unexpected error", exc_info=exc)
    return problem(500, "Internal error", gettext(UNEXPECTED))


def init_app(app: Flask) -> None:
    app.register_error_handler(KGError, _kg_error)
    app.register_error_handler(Problem, _problem)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
