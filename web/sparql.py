"""``/sparql``: the SPARQL 1.1 Protocol (query operation) and a service description.

GET ``?query=``, POST form, POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri``; answers negotiated by :mod:`web.negotiate`. Updates are refused. Without a
query: the query editor for browsers, otherwise a service description (Turtle by default).

The query operation is plain WSGI (:class:`Endpoint`, with werkzeug's request), in front
of the Flask app: Flask's request machinery cost the app's process more than the engine's whole
answer to a point lookup (docs/web.md, "Benchmark"). The pages (editor, service description)
are the Flask view :func:`endpoint`, and so is every error: :class:`Endpoint` hands it over in
the WSGI environ (:data:`ERROR`) and the view raises it, so the app's error handlers render it
as for any route.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request as WsgiRequest

from kg import (
    PREFIXES,
    SPARQL_IRI,
    SPARQL_TOKENS,
    KGError,
    QueryError,
    Word,
    check_federation,
    federation_allowed,
    is_federated,
)
from web import headers, limits, negotiate
from web.echo import clip
from web.editor import page as editor_page
from web.errors import Problem
from web.pool import Request
from web.service import Service, service
from web.urls import CHECKED, not_utf8, utf8

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

bp = Blueprint("sparql", __name__)

PATH = "/sparql"
#: The WSGI environ key under which :class:`Endpoint` hands an error over to the Flask view.
ERROR = "hvp.sparql.error"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
UPDATE_TYPE = "application/sparql-update"
QUERY_TYPE = "application/sparql-query"


class Endpoint:
    """WSGI middleware (``app.wsgi_app``): answers the query operations on :data:`PATH` and
    passes everything else to the Flask app."""

    def __init__(self, app: WSGIApplication, svc: Service) -> None:
        self.app, self.service = app, svc
        self.headers = [("Vary", "Accept"), *headers.SECURITY,
                        *headers.cors(str(svc.settings["cors"]))]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or \
                environ.get("REQUEST_METHOD") not in ("GET", "HEAD", "POST"):
            return self.app(environ, start_response)
        environ[CHECKED] = True  # by _params, which reads the body
        try:
            req = WsgiRequest(environ)
            req.max_content_length = self.service.max_body
            req.max_form_memory_size = self.service.max_body
            answered = query_operation(req, self.service)
        except Exception as exc:  # noqa: BLE001 - rendered by the app's error handlers
            environ[ERROR] = exc
            answered = None
        if answered is None:
            return self.app(environ, start_response)
        body, content_type = answered
        start_response("200 OK", [("Content-Type", content_type),
                                  ("Content-Length", str(len(body))), *self.headers])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]


def query_operation(req: WsgiRequest, svc: Service) -> tuple[bytes, str] | None:
    """The answer to a query operation and its content type; ``None`` for a page (the editor,
    the description)."""
    params = _params(req)
    if "update" in params:
        raise Problem(403, "Forbidden", "SPARQL updates are not taken here: POST them to "
                      "/update (refused unless the service accepts writes: write_token)")
    accept = req.environ.get("HTTP_ACCEPT", "")
    if req.method != "POST" and ("query" not in params or _wants_html(accept, req.args)):
        return None
    queries = params.getlist("query")
    if len(queries) != 1:
        raise Problem(400, "Bad request", "give exactly one query, not %(count)s (SPARQL 1.1 "
                                          "Protocol: one `query` parameter, or one "
                                          "application/sparql-query body)", parameter="query",
                                          params={"count": len(queries)})
    query = queries[0]
    if not query.strip():
        raise Problem(400, "Bad request", "the query is empty", parameter="query")
    limits.check_query(query, svc.max_query)
    if is_federated(query):  # only to the endpoints of the allow-list (none by default)
        check_federation(query, federation_allowed(svc.settings.get("federation_allow")))
    # the endpoint's URL (werkzeug takes 7 us to build it) only for a query with a relative IRI
    return answer(query, params, accept, svc, req.base_url if _RELATIVE.search(query) else None)


@bp.route(PATH, methods=["GET", "POST"])
def endpoint() -> Response:
    """What :class:`Endpoint` leaves to Flask: its errors, the editor, the description."""
    error = request.environ.get(ERROR)
    if error is not None:
        raise error
    return editor() if _wants_html(request.headers.get("Accept", ""), request.args) \
        else description()


@bp.route("/editor")
def editor(permalink: str | None = None) -> Response:
    """The query editor (:mod:`web.editor`); with a kept query to open and run."""
    return editor_page(permalink)


def _params(req: WsgiRequest) -> MultiDict[str, str]:
    """The parameters of the URL, and of a POST's body (``update`` for an update). The URL, a
    urlencoded form and a direct body are checked to be UTF-8 (werkzeug keeps a bad escape such
    as ``%E9`` as text); a multipart form's fields are werkzeug's, bad bytes replaced."""
    utf8(req.environ.get("QUERY_STRING", ""), Word("the URL's query string"))
    if req.method != "POST":
        return req.args
    params: MultiDict[str, str] = MultiDict(req.args)
    if req.mimetype in (QUERY_TYPE, UPDATE_TYPE):
        params.add("query" if req.mimetype == QUERY_TYPE else "update",
                   _body_text(req.get_data()))
    elif req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if req.mimetype == "application/x-www-form-urlencoded":
            utf8(req.get_data(cache=True).decode("latin-1"), Word("the form"))
        for name, value in req.form.items(multi=True):
            params.add(name, value)
    else:
        raise Problem(415, "Unsupported Media Type", "POST a form "
                      "(application/x-www-form-urlencoded) or application/sparql-query")
    return params


#: An IRI without a scheme (or a ``<`` that only looks like one: then the base is not used).
_RELATIVE = re.compile("<(?![A-Za-z][A-Za-z0-9+.-]*:)" + SPARQL_IRI[1:])
def _body_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(Word("the request body"), exc) from None


def _undeclared(query: str) -> list[str]:
    """The prefixes a query uses without declaring them, in order."""
    declared, used, after_prefix = set(), [], False
    for m in SPARQL_TOKENS.finditer(query):
        if m.group("comment") is not None:
            continue
        prefix = m.group("prefix")
        if prefix is not None:
            if after_prefix:
                declared.add(prefix)
            elif prefix not in used:
                used.append(prefix)
        after_prefix = (m.group("word") or "").upper() == "PREFIX"
    return [p for p in used if p not in declared]


def _prefix_error(query: str, exc: QueryError) -> QueryError:
    """The engine's "Prefix not found" (a list of expected characters) said plainly, with the
    declarations to add for the project's prefixes."""
    position = re.search(r"error at (\d+):(\d+)", str(exc))
    missing = _undeclared(query)
    if not missing or position is None:
        return exc
    hint = "; ".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in missing if p in PREFIXES)
    names = ", ".join(f"{p}:" for p in missing)
    if hint:
        return QueryError("invalid SPARQL: error at %(line)s:%(column)s: undeclared prefix "
                          "%(names)s (declare it: %(hint)s)", line=position[1],
                          column=position[2], names=names, hint=hint)
    return QueryError("invalid SPARQL: error at %(line)s:%(column)s: undeclared prefix %(names)s "
                      "(declare it with PREFIX)", line=position[1], column=position[2],
                      names=names)


def _wants_html(accept: str, args: MultiDict[str, str]) -> bool:
    """A browser asking for a page: ``text/html`` named and preferred to every data format,
    and no format parameter."""
    return negotiate.prefers_html(accept) and negotiate.given(args) is None


def answer(query: str, params: MultiDict[str, str], accept: str, svc: Service,
           base: str | None = None) -> tuple[bytes, str]:
    """Run the query in the formats negotiated for both kinds of answer (the query's form,
    known once it runs, decides which applies)."""
    param = negotiate.given(params)
    results, graph = negotiate.pick(accept, param, False), negotiate.pick(accept, param, True)
    try:
        reply = svc.run(Request(
            query, results_type=negotiate.media_type(results) if results else None,
            graph_type=negotiate.media_type(graph) if graph else None,
            default_graph=_iris(params, "default-graph-uri"),
            named_graphs=_iris(params, "named-graph-uri"), base=base))
    except QueryError as exc:
        if "Prefix not found" in str(exc):
            raise _prefix_error(query, exc) from None
        raise
    if reply.media_type is None:
        raise negotiate.not_acceptable(reply.kind == "graph", accept, param)
    return reply.body, _content_type(reply.media_type)


@lru_cache(maxsize=64)
def _content_type(mime: str) -> str:
    """The Content-Type for ``mime`` (a media type without parameters)."""
    textual = mime.startswith("text/") or mime.endswith(("json", "xml", "triples"))
    return f"{mime}; charset=utf-8" if textual else mime


def _iris(params: MultiDict[str, str], name: str) -> list[str] | None:
    if name not in params:
        return None
    return [_iri(g, name) for g in params.getlist(name)] or None


def _iri(text: str, name: str) -> str:
    try:
        return ox.NamedNode(text.strip()).value
    except ValueError as exc:
        raise Problem(400, "Bad request", "%(name)s: not an IRI: %(text)s (%(engine)s)",
                      parameter=name,
                      params={"name": name, "text": clip(text), "engine": str(exc)}) from exc


STATS = """SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?entities)
  (SUM(IF(?p = <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>, 1, 0)) AS ?typings)
  WHERE { ?s ?p ?o }"""
CLASSES = "SELECT (COUNT(DISTINCT ?c) AS ?classes) WHERE { ?s a ?c }"


def statistics() -> dict[str, int]:
    """VoID counts of the default graph (cached until the store changes; bounded by the limit)."""
    svc = service()
    counts: dict[str, int] | None = svc.cache.get("void")  # one read (see web.indicators)
    if counts is None:
        counts = {}
        try:
            for text in (STATS, CLASSES):
                reply = svc.run(Request(text, results_type="application/sparql-results+json"))
                row = _json_row(reply.body)
                counts.update({k: int(v) for k, v in row.items()})
        except KGError:
            return {}
        svc.cache["void"] = counts
    return dict(counts)


def _json_row(body: bytes) -> dict[str, str]:
    rows = json.loads(body)["results"]["bindings"]
    return {k: v["value"] for k, v in rows[0].items()} if rows else {}


def description() -> Response:
    fmt = negotiate.choose(request.headers.get("Accept", ""), request.args, graph=True)
    assert isinstance(fmt, ox.RdfFormat)
    s = ox.NamedNode(request.base_url)
    dataset, graph = ox.BlankNode(), ox.BlankNode()
    sd = {n: ox.NamedNode(SD + n) for n in (
        "Service", "endpoint", "supportedLanguage", "SPARQL11Query", "resultFormat",
        "defaultDataset", "Dataset", "defaultGraph", "Graph", "feature", "UnionDefaultGraph",
        "namedGraph", "NamedGraph", "name")}
    a = ox.NamedNode(RDF_TYPE)
    triples = [ox.Triple(s, a, sd["Service"]), ox.Triple(s, sd["endpoint"], s),
               ox.Triple(s, sd["supportedLanguage"], sd["SPARQL11Query"]),
               ox.Triple(s, sd["defaultDataset"], dataset),
               ox.Triple(dataset, a, sd["Dataset"]), ox.Triple(dataset, sd["defaultGraph"], graph),
               ox.Triple(graph, a, sd["Graph"])]
    formats: list[negotiate.Format] = [*negotiate.RESULTS.values(), *negotiate.GRAPHS.values()]
    iris = {negotiate.format_iri(f) for f in formats}
    for iri in sorted(iris):
        triples.append(ox.Triple(s, sd["resultFormat"], ox.NamedNode(iri)))
    for name, value in statistics().items():
        if name in ("triples", "entities", "classes"):
            triples.append(ox.Triple(graph, ox.NamedNode(VOID + name), ox.Literal(value)))
    # the named graphs (derived: classifications at a date, the indicator cube), by name
    for name in sorted(g.value for g in service().store().named_graphs()):
        named = ox.BlankNode()
        triples += [ox.Triple(dataset, sd["namedGraph"], named),
                    ox.Triple(named, a, sd["NamedGraph"]),
                    ox.Triple(named, sd["name"], ox.NamedNode(name))]
    prefixes = {"sd": SD, "void": VOID}
    body = ox.serialize(triples, format=fmt,
                        prefixes=prefixes if fmt == ox.RdfFormat.TURTLE else None)
    return Response(body, content_type=_content_type(negotiate.media_type(fmt)))
