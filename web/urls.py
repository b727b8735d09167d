"""A request's URL and form are UTF-8, or the request is 400 (problem+json) before any route.

The server hands the app the path percent-decoded, as bytes (WSGI's ``PATH_INFO``, a latin-1
string), and the query string as sent; werkzeug then decodes the path with bad bytes replaced
(``/patent/%FF`` became a page about ``<.../patent/%EF%BF%BD>``: 404) and keeps a bad escape in
a parameter as text (``?q=%FF`` searched for ``%FF``). An IRI is UTF-8 text without control
characters, so :func:`check` (the app's first ``before_request``) refuses a path that is not
UTF-8 or holds a control character, and a query string or ``application/x-www-form-urlencoded``
body that is not UTF-8 once decoded; ``/sparql``'s query operations, answered in front of the
Flask app (:class:`web.sparql.Endpoint`), call :func:`utf8` on theirs (and mark the request
:data:`CHECKED`: the body is read).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import request

from kg import Word
from web.errors import Problem

#: A percent-escape of a byte that is not ASCII: only then can a URL or form be bad UTF-8.
_HIGH_BYTE = re.compile(r"%[89a-fA-F][0-9a-fA-F]")
#: Characters an IRI never holds (RFC 3987: no C0 or C1 control, no DEL).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
FORM = "application/x-www-form-urlencoded"
#: Set in the WSGI environ by a handler in front of the app that checked the request itself
#: (and may have read its body): :func:`check` leaves it alone.
CHECKED = "hvp.url_checked"


def check() -> None:
    """400 for a request whose path, query string or urlencoded form is not UTF-8, or whose
    path holds a control character."""
    environ = request.environ
    if environ.get(CHECKED):
        return
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    try:
        text = path.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(Word("the URL's path"), exc) from None
    if found := _CONTROL.search(text):
        raise Problem(400, "Bad request", "the URL's path holds the control character %(code)s "
                      "at character %(at)s: an IRI holds none",
                      params={"code": f"U+{ord(found.group()):04X}", "at": found.start() + 1})
    utf8(environ.get("QUERY_STRING", ""), Word("the URL's query string"))
    if request.method == "POST" and request.mimetype == FORM:
        utf8(request.get_data(cache=True).decode("latin-1"), Word("the form"))


def utf8(encoded: str, where: str) -> None:
    """400 if the percent-encoded ``encoded`` is not UTF-8 once decoded."""
    if _HIGH_BYTE.search(encoded):
        try:
            unquote_to_bytes(encoded.replace("+", " ")).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(where, exc) from None


def not_utf8(where: str, exc: UnicodeDecodeError) -> Problem:
    """The 400 for text (``where``) that is not UTF-8."""
    return Problem(400, "Bad request", "%(where)s is not UTF-8: byte 0x%(object)s at byte "
                                       "%(start)s (URLs, forms and queries are UTF-8 here)",
                   params={"where": where, "object": f"{exc.object[exc.start]:02X}",
                           "start": exc.start + 1})
