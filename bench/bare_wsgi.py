"""The floor of bench/web.py: a bare WSGI app that answers every request with a fixed SPARQL JSON
result, running no query. Whatever Python web layer serves /sparql on the same server costs at
least this much; served by ``granian --interface wsgi bare_wsgi:app`` and
``waitress-serve --threads N bare_wsgi:app``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

BODY = (b'{"head":{"vars":["p","o"]},"results":{"bindings":[{"p":{"type":"uri","value":'
        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#type"},"o":{"type":"uri","value":'
        b'"https://w3id.org/hvp/def#InventionPatent"}}]}}')


def app(environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/sparql-results+json"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
