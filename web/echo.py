"""What an answer may repeat of the request: a client's own input cut short, the request's
path only when it is short (no long reflection of client input: docs/reliability.md)."""

from __future__ import annotations

from flask import has_request_context, request

#: The most characters of a client's own input that an error message repeats (a header, a
#: parameter): more is cut, so that an answer never reflects a long text back.
ECHO = 80
#: The longest URL of the request (path and query string) that an answer repeats: a problem's
#: ``instance``, the language-switch links (:func:`web.i18n.switch_url`). A longer one is left
#: out, never cut (a cut URL names another resource).
URL = 512


def echoed_path() -> str | None:
    """The request's path for an answer to repeat, or None when it is longer than :data:`URL`."""
    return request.path if len(request.path) <= URL else None


#: Characters of a client's input that, found in a message's value, show that the value
#: repeats it (:func:`unechoed`).
RUN = 40
#: The most characters of each input that :func:`unechoed` looks for.
SCANNED = 65536


def unechoed(value: str) -> str:
    """``value``, a message's value, cut to :data:`ECHO` characters (and ``…``) when it is
    longer and repeats :data:`RUN` characters of the request's own input: its path, a query
    string's or a form's value. Whatever raised the message (a kg function given a parameter:
    "nothing is known about <IRI>", "not a date: '...'") then repeats no long input."""
    if len(value) <= ECHO or not has_request_context():
        return value
    inputs = [request.path, *request.args.values()]
    if "form" in request.__dict__:  # a form already read (/sparql reads its body itself:
        inputs += request.form.values()  # the stream is gone, and reading it again raised)
    for text in inputs:
        text = text[:SCANNED]
        if any(text[i:i + RUN] in value for i in range(0, max(1, len(text) - RUN + 1), RUN // 2)
               if len(text) >= RUN):
            return value[:ECHO] + "…"
    return value


def clip(text: str, limit: int = ECHO) -> str:
    """``text`` quoted for an error message, cut to ``limit`` characters."""
    if len(text) <= limit:
        return repr(text)
    return Clipped(repr(text[:limit]), len(text))


class Clipped(str):
    """A client's input cut for a message: its start and its length, which the error's message
    says in the reader's language (:data:`CLIPPED`)."""

    head: str
    length: int

    def __new__(cls, start: str, count: int) -> Clipped:
        clipped = super().__new__(cls, CLIPPED % {"start": start, "count": count})
        clipped.head, clipped.length = start, count
        return clipped

    def __getnewargs__(self) -> tuple[str, int]:  # type: ignore[override]
        return self.head, self.length


#: How a cut input reads (a message id of the catalogue).
CLIPPED = "%(start)s... (%(count)s characters)"
