"""Writes behind a token: SPARQL 1.1 Update on ``/update`` and the Graph Store Protocol on
``/store``.

Refused (403) unless the ``write_token`` setting is set and ``read_only`` is false; then a
request must carry ``Authorization: Bearer <write_token>`` (compared in constant time,
:func:`hmac.compare_digest`; otherwise 401). Each write is one Oxigraph update, which the engine
applies in one transaction (all or nothing): ``/update`` runs the user's text; a Graph Store
``PUT`` or ``POST`` parses the body first (a syntax error writes nothing) and loads it as one
``INSERT DATA`` (after ``DROP SILENT GRAPH`` for ``PUT``) written from the parsed terms by the
engine's serializer. Before it the derived graphs (classifications, the indicator cube) are
dropped, as ``hvp ingest`` drops them (:func:`kg.ingest.drop_derived`). On an on-disk store
the write runs in the writer process (:mod:`web.writer`), staged in a new generation of the
store under ``write_timeout`` and ``write_memory``: cut at a limit (503), it leaves the store as
it was: they are stale once the
data changes, and are computed again when asked. Writes into a derived graph
(``{base}graph/...``) are refused (403), as is ``LOAD`` (it would fetch a URL from the server)
and ``SERVICE``. A write is admitted as a computation (:mod:`web.admission`) and published to
the query workers as a page's writes are (:meth:`web.service.Service.deriving`).

``GET /store?graph=IRI`` (or ``?default``) reads a graph through a query worker, under the
time limit, in any graph format (``Accept``).
"""

from __future__ import annotations

import hmac
import io
import re
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, request

from kg import Word, derived_prefix, staged
from web import limits, negotiate
from web.echo import clip
from web.errors import Problem
from web.pool import DEFAULT_GRAPH, Request
from web.sandbox import update_copy, update_on_nothing
from web.service import Service, service

bp = Blueprint("writes", __name__)

UPDATE_TYPE = "application/sparql-update"
#: Seconds a write waits for the writer process to finish another write (a queued computation).
WAIT = 5.0
FORM = "application/x-www-form-urlencoded"


def _authorize(svc: Service) -> None:
    token = str(svc.settings.get("write_token") or "")
    if not token or svc.settings.get("read_only", True):
        raise Problem(403, "Forbidden", "this service does not accept writes (set the settings "
                      "write_token and read_only = false to accept them); load data with "
                      "`hvp ingest`")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
        raise Problem(401, "Unauthorized", "a write needs the header Authorization: Bearer "
                      "<write_token>", headers={"WWW-Authenticate": 'Bearer realm="hvp-kg"'})


@bp.route("/update", methods=["POST"])
def update() -> Response:
    svc = service()
    _authorize(svc)
    if request.mimetype == UPDATE_TYPE:
        text = request.get_data().decode("utf-8", errors="strict")
    elif request.mimetype in (FORM, "multipart/form-data"):
        text = request.form.get("update", "")
    else:
        raise Problem(415, "Unsupported Media Type", "POST application/sparql-update or a form "
                      "with `update`")
    if not text.strip():
        raise Problem(400, "Bad request", "the update is empty", parameter="update")
    limits.check_query(text, svc.max_query, "update")
    _check_targets(text, svc.base)
    _write(svc, text)
    return Response(status=204)


def _check_targets(text: str, base: str) -> None:
    """403 for LOAD, SERVICE, or any derived graph named; 400 for an update Oxigraph cannot
    parse (the engine that runs it: rdflib's parser refused updates that Oxigraph takes).

    The text is read token by token (:data:`TOKENS`: comments, strings, IRIs, variables,
    prefixed names, words): ``LOAD`` and ``SERVICE`` as words; every IRI with its escapes
    decoded, and every prefixed name expanded by the ``PREFIX`` declarations, checked against
    the derived graphs' namespace. Then the update is run on an empty in-memory store in the
    sandbox process (:mod:`web.sandbox`) under the time limit: a syntax error is a 400 with its
    position, and work that does not depend on the data (a cartesian product of ``VALUES``) is
    killed at the limit (503) before the store is touched."""
    derived = derived_prefix(base)
    prefixes: dict[str, str] = {}
    last = ""  # the previous token that is not a comment or white space
    for match in TOKENS.finditer(text):
        kind, token = match.lastgroup, match[0]
        if kind in ("comment", "space"):
            continue
        if kind == "word" and token.upper() in ("LOAD", "SERVICE"):
            raise Problem(403, "Forbidden", "LOAD and SERVICE are refused: this service fetches "
                          "nothing from other hosts")
        iri = None
        if kind == "iri":
            iri = _unescape(token[1:-1])
            if last.endswith(":") and last[:-1] not in prefixes:  # PREFIX p: <iri>
                prefixes[last[:-1]] = iri
        elif kind == "pname" and not token.endswith(":"):
            prefix, _, local = token.partition(":")
            iri = prefixes.get(prefix, "") + re.sub(r"\\(.)", r"\1", local)
        if iri is not None and iri.startswith(derived):
            raise Problem(403, "Forbidden", "<%(iri)s> is a derived graph (computed from the "
                                            "data; dropped by every write): write the data "
                                            "instead", params={"iri": clip(iri)})
        last = token if kind == "pname" else ""
    service().sandbox.run(update_on_nothing, text)


#: The tokens of a SPARQL text that the derived-graph check tells apart.
TOKENS = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
      |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$]\w+)
  | (?P<pname>(?:[^\W\d][\w.-]*)?:(?:[\w\-.:%]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)""", re.VERBOSE | re.DOTALL)


def _unescape(iri: str) -> str:
    return re.sub(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
                  lambda m: chr(int(m[1] or m[2], 16)), iri)


def _write(svc: Service, text: str, source: str | None = None) -> None:
    """On disk, in the writer process (:mod:`web.writer`): staged, under the write limits; a
    write that waits for another more than :data:`WAIT` seconds is refused (503). In memory,
    on a copy in the sandbox (:func:`web.sandbox.update_copy`), under the time limit and
    ``worker_memory``; what it removed and added is then applied here in one swap. Either
    way what the write added is checked as ingested RDF is (:func:`kg.update_checked`; a
    problem is located in ``source``, the Graph Store body, when given): 400, nothing written."""
    with svc.computing.enter():
        try:
            if svc.writer is not None:
                svc.write(("update", (text, source)), Word("the write"), wait=WAIT)
                return
            with svc.exclusive(WAIT), svc.deriving() as store:  # not beside a computation
                dump = io.BytesIO()
                store.dump(dump, ox.RdfFormat.N_QUADS)
                change = svc.sandbox.run(update_copy, dump.getvalue(), text, svc.base, source,
                                         what="write")
                with staged(store) as copy:  # counted as a write: published when it ends
                    change.apply(copy)
        finally:
            svc.computations.forget()  # answers computed from the data before


def _target(svc: Service) -> ox.NamedNode | ox.DefaultGraph:
    """The graph a Graph Store request names: ``?default`` or ``?graph=IRI``."""
    graphs = request.args.getlist("graph")
    if ("default" in request.args) == bool(graphs) or len(graphs) > 1:
        raise Problem(400, "Bad request", "name one graph: ?default or ?graph=IRI",
                      parameter="graph")
    if not graphs:
        return ox.DefaultGraph()
    try:
        return ox.NamedNode(graphs[0])
    except ValueError:
        raise Problem(400, "Bad request", "graph: not an IRI: %(graphs)s",
                      parameter="graph", params={"graphs": clip(graphs[0])}) from None


@bp.route("/store", methods=["GET", "HEAD"])
def read() -> Response:
    svc = service()
    graph = _target(svc)
    fmt = negotiate.choose(request.headers.get("Accept", ""), request.args, graph=True)
    assert isinstance(fmt, ox.RdfFormat)
    name = DEFAULT_GRAPH if isinstance(graph, ox.DefaultGraph) else graph.value
    if not isinstance(graph, ox.DefaultGraph) and not svc.store().oxigraph.contains_named_graph(
            graph):
        raise Problem(404, "Not Found", "no graph <%(graph_value)s>",
                                        params={"graph_value": clip(graph.value)})
    reply = svc.run(Request("CONSTRUCT WHERE { ?s ?p ?o }", results_type=None,
                            graph_type=negotiate.media_type(fmt), default_graph=[name]))
    return Response(reply.body, content_type=f"{negotiate.media_type(fmt)}; charset=utf-8")


@bp.route("/store", methods=["PUT", "POST", "DELETE"])
def write() -> Response:
    svc = service()
    _authorize(svc)
    graph = _target(svc)
    if isinstance(graph, ox.NamedNode) and graph.value.startswith(derived_prefix(svc.base)):
        raise Problem(403, "Forbidden", "<%(graph_value)s> is a derived graph (computed from "
                                        "the data; dropped by every write): write the data "
                                        "instead", params={"graph_value": clip(graph.value)})
    into = "" if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} "
    drop = "DROP SILENT DEFAULT" if isinstance(graph, ox.DefaultGraph) else \
        f"DROP SILENT GRAPH {graph}"
    if request.method == "DELETE":
        if isinstance(graph, ox.NamedNode) and \
                not svc.store().oxigraph.contains_named_graph(graph):
            raise Problem(404, "Not Found", "no graph <%(graph_value)s>",
                                            params={"graph_value": clip(graph.value)})
        _write(svc, drop)
        return Response(status=204)
    triples = _parse()
    insert = f"INSERT DATA {{ {into}{{\n{triples}}} }}"
    _write(svc, f"{drop} ;\n{insert}" if request.method == "PUT" else insert,
           request.get_data().decode("utf-8", "replace"))
    return Response(status=204)


def _parse() -> str:
    """The body's triples as N-Triples (parsed first: bad RDF is a 400 that writes nothing)."""
    fmt = ox.RdfFormat.from_media_type(request.mimetype) if request.mimetype else None
    if fmt is None or fmt.supports_datasets:
        raise Problem(415, "Unsupported Media Type", "send a graph: Turtle, N-Triples, "
                      "JSON-LD or RDF/XML with its Content-Type")
    body = request.get_data()
    limits.check_rdf(body, fmt, "body")
    try:
        triples = [q.triple for q in ox.parse(body, format=fmt, base_iri=request.base_url)]
    except SyntaxError as exc:
        where: dict[str, Any] = {"line": exc.lineno, "column": exc.offset or 0} \
            if exc.lineno else {}
        raise Problem(400, "Bad RDF", "body: %(engine)s", **where,
                      params={"engine": exc.msg}) from None
    return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
