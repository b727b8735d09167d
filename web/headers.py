"""Headers every answer carries.

- ``Vary: Accept``: every route may answer in several forms (a page for browsers, data or
  problem+json for other clients), so a shared cache must key on ``Accept`` — except an answer
  whose URL names its one form (``/patent/X.ttl``), marked with :func:`fixed`.
- CORS: the data is public and the app read-only, with no cookies or credentials, so by default
  any web page may query it and read the answer (``Access-Control-Allow-Origin: *``, as Fuseki
  and the Wikidata Query Service send); the ``cors`` setting names one origin instead, or none.
  A preflight (``OPTIONS``) is answered for the methods and headers a SPARQL client sends.
- Security (:data:`SECURITY`): ``X-Content-Type-Options: nosniff`` on every answer (a download
  is never run as a script or page); every HTML page also gets a Content-Security-Policy that
  lets only this origin's scripts, styles, fonts and requests in (YASGUI and Chart.js are served
  from ``/vendor``; YASGUI's CodeMirror writes ``style`` attributes, hence ``'unsafe-inline'``
  for styles only), and may not be framed by another site (``frame-ancestors 'none'``,
  ``X-Frame-Options: DENY`` for older browsers).
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOW_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOW_HEADERS = "Accept, Content-Type"
#: The Content-Security-Policy of every HTML answer (docs/web.md, "Security headers").
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
#: Headers of every answer; and of HTML ones.
SECURITY = [("X-Content-Type-Options", "nosniff")]
HTML_SECURITY = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY"),
                 ("Referrer-Policy", "same-origin")]


def cors(origin: str) -> list[tuple[str, str]]:
    """The CORS headers of an answer, for the ``cors`` setting."""
    return [("Access-Control-Allow-Origin", origin)] if origin else []


def fixed(response: Response) -> Response:
    """Mark an answer whose URL names its form: it does not vary on ``Accept``."""
    response.hvp_fixed = True  # type: ignore[attr-defined]
    return response


def init_app(app: Flask, origin: str) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        if not getattr(response, "hvp_fixed", False):
            response.vary.add("Accept")
        response.headers.update(SECURITY)
        if response.mimetype == "text/html":
            response.headers.update(HTML_SECURITY)
        for name, value in cors(origin):
            response.headers[name] = value
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
                response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
                response.headers["Access-Control-Max-Age"] = "86400"
        return response
