"""``/sparql``: the SPARQL 1.1 Protocol (query operation) and a service description.

GET ``?query=``, POST form, POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri``; answers negotiated by :mod:`web.negotiate`. Updates are refused. Without a
query: the query editor for browsers, otherwise a service description (Turtle by default).
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request
from werkzeug.datastructures import MultiDict

from kg.errors import KGError
from web import negotiate
from web.errors import Problem
from web.pool import Request
from web.service import service

bp = Blueprint("sparql", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
UPDATE_TYPE = "application/sparql-update"
QUERY_TYPE = "application/sparql-query"


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    params = _params()
    if "update" in params or request.mimetype == UPDATE_TYPE:
        raise Problem(403, "Forbidden", "this endpoint is read-only: SPARQL updates are refused "
                      "(load data with `hvp ingest`)")
    query = params.get("query", "")
    if not query.strip():
        if _wants_html():
            return editor()
        return description()
    if _wants_html() and request.method == "GET":
        return editor()
    return answer(query, params)


@bp.route("/editor")
def editor() -> Response:
    from web.queries import catalogue

    return Response(render_template("editor.html", prefixes=service().prefixes,
                                    examples=catalogue()), mimetype="text/html")


def _params() -> MultiDict[str, str]:
    params: MultiDict[str, str] = MultiDict(request.args)
    if request.method == "POST":
        if request.mimetype == QUERY_TYPE:
            params["query"] = request.get_data(as_text=True)
        elif request.mimetype == UPDATE_TYPE:
            params["update"] = request.get_data(as_text=True)
        elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params.update(request.form)
        else:
            raise Problem(415, "Unsupported Media Type", "POST a form "
                          "(application/x-www-form-urlencoded) or application/sparql-query")
    return params


def _wants_html() -> bool:
    """A browser asking for a page: ``text/html`` named and preferred to every data format,
    and no format parameter."""
    return negotiate.prefers_html(request.headers.get("Accept", "")) and \
        not any(request.args.get(p) for p in negotiate.PARAMS)


def formats(args: MultiDict[str, str]) -> tuple[Request, Problem | None, Problem | None]:
    """A request skeleton with both negotiated formats (the query's form decides which applies)."""
    req = Request("")
    errors: list[Problem | None] = []
    for graph in (False, True):
        try:
            fmt = negotiate.choose(request.headers.get("Accept", ""), args, graph)
            mime, err = negotiate.media_type(fmt), None
        except Problem as exc:
            mime, err = None, exc
        if graph:
            req.graph_type = mime
        else:
            req.results_type = mime
        errors.append(err)
    return req, errors[0], errors[1]


def answer(query: str, params: MultiDict[str, str]) -> Response:
    req, results_error, graph_error = formats(params)
    req.query = query
    req.default_graph = [_iri(g, "default-graph-uri")
                         for g in params.getlist("default-graph-uri")] or None
    req.named_graphs = [_iri(g, "named-graph-uri")
                        for g in params.getlist("named-graph-uri")] or None
    reply = service().run(req)
    if reply.media_type is None:
        raise (graph_error if reply.kind == "graph" else results_error) or \
            Problem(406, "Not Acceptable", "no acceptable format")
    return Response(reply.body, content_type=_content_type(reply.media_type))


def _content_type(mime: str) -> str:
    textual = mime.startswith("text/") or mime.endswith(("json", "xml", "triples"))
    return f"{mime}; charset=utf-8" if textual else mime


def _iri(text: str, name: str) -> str:
    try:
        return ox.NamedNode(text.strip()).value
    except ValueError as exc:
        raise Problem(400, "Bad request", f"{name}: not an IRI: {text!r} ({exc})",
                      parameter=name) from exc


STATS = """SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?entities)
  (SUM(IF(?p = <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>, 1, 0)) AS ?typings)
  WHERE { ?s ?p ?o }"""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?classes) WHERE { ?s a ?c }"


def statistics() -> dict[str, int]:
    """VoID counts of the default graph (cached until the store changes; bounded by the limit)."""
    svc = service()
    svc.store()  # notices a changed store and clears the cache
    if "void" not in svc.cache:
        counts: dict[str, int] = {}
        try:
            for text in (STATS, CLASSES):
                reply = svc.run(Request(text, results_type="application/sparql-results+json"))
                row = _json_row(reply.body)
                counts.update({k: int(v) for k, v in row.items()})
        except KGError:
            return {}
        svc.cache["void"] = counts
    return dict(svc.cache["void"])


def _json_row(body: bytes) -> dict[str, str]:
    import json

    rows = json.loads(body)["results"]["bindings"]
    return {k: v["value"] for k, v in rows[0].items()} if rows else {}


def description() -> Response:
    fmt = negotiate.choose(request.headers.get("Accept", ""), request.args, graph=True)
    assert isinstance(fmt, ox.RdfFormat)
    s = ox.NamedNode(request.base_url)
    dataset, graph = ox.BlankNode(), ox.BlankNode()
    sd = {n: ox.NamedNode(SD + n) for n in (
        "Service", "endpoint", "supportedLanguage", "SPARQL11Query", "resultFormat",
        "defaultDataset", "Dataset", "defaultGraph", "Graph", "feature", "UnionDefaultGraph")}
    a = ox.NamedNode(RDF_TYPE)
    triples = [ox.Triple(s, a, sd["Service"]), ox.Triple(s, sd["endpoint"], s),
               ox.Triple(s, sd["supportedLanguage"], sd["SPARQL11Query"]),
               ox.Triple(s, sd["defaultDataset"], dataset),
               ox.Triple(dataset, a, sd["Dataset"]), ox.Triple(dataset, sd["defaultGraph"], graph),
               ox.Triple(graph, a, sd["Graph"])]
    iris = {f.iri for f in negotiate.RESULTS.values()} | {f.iri for f in negotiate.GRAPHS.values()}
    for iri in sorted(iris):
        triples.append(ox.Triple(s, sd["resultFormat"], ox.NamedNode(iri)))
    for name, value in statistics().items():
        if name in ("triples", "entities", "classes"):
            triples.append(ox.Triple(graph, ox.NamedNode(VOID + name), ox.Literal(value)))
    prefixes = {"sd": SD, "void": VOID}
    body = ox.serialize(triples, format=fmt,
                        prefixes=prefixes if fmt == ox.RdfFormat.TURTLE else None)
    return Response(body, content_type=_content_type(negotiate.media_type(fmt)))
