"""The access log of ``hvp serve``: one line per request, written when its answer is sent.

    2026-12-03T16:30:00.123Z GET /sparql?query=ASK%20%7B%7D 200 12 3.4ms

Fields: the time the request arrived (UTC), the method, the path and query string (percent-encoded,
so a line is always one line; the values of parameters that may hold a secret, such as ``token``,
replaced by ``***``; cut at :data:`LONGEST` characters), the status, the bytes of the body sent and
the milliseconds from arrival to the last byte. The write token travels in a header, which is never
logged. Granian's own access log has no byte count, hence this WSGI middleware, outermost, so
``/sparql`` (answered before Flask) is logged too.

The ``access_log`` setting: ``-`` (the default) writes to standard error, a path appends to that
file (reopened if it is moved away, for logrotate), empty writes none.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

from kg import InputError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Parameters whose values are never written (compared lower-case, ``-`` as ``_``).
SECRET = re.compile(r"token|secret|password|passwd|key|auth|session")
#: Longest path and query string written, in characters.
LONGEST = 500
_SAFE = "/:@!$&'()*+,;=-._~"


class AccessLog:
    """WSGI middleware writing one line per request to ``logger``."""

    def __init__(self, app: WSGIApplication, logger: logging.Logger) -> None:
        self.app, self.logger = app, logger

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        started, arrived = time.perf_counter(), datetime.now(UTC)
        status = ["500"]

        def recording(code: str, headers: list[tuple[str, str]], exc_info: Any = None
                      ) -> Any:
            status[0] = code.split(" ", 1)[0]
            return start_response(code, headers, exc_info)

        def write(sent: int) -> None:
            ms = (time.perf_counter() - started) * 1000
            self.logger.info("%s %s %s %s %d %.1fms",
                             arrived.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                             _token(environ.get("REQUEST_METHOD", "-")), target(environ),
                             status[0], sent, ms)

        try:
            body = self.app(environ, recording)
        except BaseException:
            write(0)
            raise
        return _Counted(body, write)


class _Counted:
    """An answer's body, counting the bytes sent; writes the line when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Any) -> None:
        self.body, self.done, self.sent = body, done, 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done(self.sent)


def target(environ: WSGIEnvironment) -> str:
    """The request's path and query string as written: percent-encoded, secrets hidden, cut."""
    path = quote(_raw(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")), safe=_SAFE)
    query = environ.get("QUERY_STRING", "")
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        hidden = [(k, "***" if SECRET.search(k.lower().replace("-", "_")) else v)
                  for k, v in pairs]
        shown = urlencode(hidden, quote_via=quote, safe="*") if pairs else quote(query, _SAFE)
        path += "?" + shown
    return path if len(path) <= LONGEST else path[:LONGEST] + "…"


def _raw(path: str) -> bytes:
    """A WSGI path's bytes (PEP 3333: bytes decoded as latin-1)."""
    try:
        return path.encode("latin-1")
    except UnicodeEncodeError:
        return path.encode("utf-8", "replace")


def _token(text: str) -> str:
    return quote(text, safe="") or "-"


def logger(destination: str) -> logging.Logger | None:
    """A logger of its own (not registered: two apps in one process do not share it) writing
    to ``destination`` (``-``: standard error), or ``None`` for an empty one."""
    if not destination:
        return None
    log = logging.Logger("hvp.access", logging.INFO)
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if destination == "-" else \
        logging.handlers.WatchedFileHandler(destination, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    return log


def check(destination: str) -> None:
    """Refuse an ``access_log`` file that cannot be appended to (before the server starts)."""
    if destination and destination != "-":
        try:
            with open(destination, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise InputError("access_log: cannot write %(destination)s: %(strerror)s; give a "
                             "file that can be written, '-' for standard error, or empty for "
                             "none", destination=destination, strerror=exc.strerror) from None


def wrap(app: WSGIApplication, destination: str) -> WSGIApplication:
    """``app`` logging its requests to ``destination`` (the ``access_log`` setting)."""
    log = logger(destination)
    return app if log is None else AccessLog(app, log)
