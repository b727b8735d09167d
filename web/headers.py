"""Headers every answer carries.

- ``Vary: Accept``: every route may answer in several forms (a page for browsers, data or
  problem+json for other clients), so a shared cache must key on ``Accept`` — except an answer
  whose URL names its one form (``/patent/X.ttl``), marked with :func:`fixed`.
- CORS: the data is public and the app read-only, with no cookies or credentials, so by default
  any web page may query it and read the answer (``Access-Control-Allow-Origin: *``, as Fuseki
  and the Wikidata Query Service send); the ``cors`` setting names one origin instead, or none.
  A preflight (``OPTIONS``) is answered for the methods and headers a SPARQL client sends.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOW_METHODS = "GET, HEAD, POST, OPTIONS"
ALLOW_HEADERS = "Accept, Content-Type"


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
        for name, value in cors(origin):
            response.headers[name] = value
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
                response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
                response.headers["Access-Control-Max-Age"] = "86400"
        return response
