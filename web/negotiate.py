"""Content negotiation as tables: media types and short names -> pyoxigraph formats.

An explicit ``format`` / ``output`` / ``results`` parameter (Fuseki and SPARQLWrapper style short
names, or a media type) wins over ``Accept``; ``Accept`` is parsed with q-values by werkzeug.
A graph (CONSTRUCT, DESCRIBE) asked for with only results media types in ``Accept`` is answered
in the RDF counterpart of the one preferred (:data:`COUNTERPARTS`), as Fuseki does: rdflib's
``SPARQLStore(returnFormat="json")`` sends ``Accept: application/sparql-results+json`` for every
query. No match -> 406 naming what is available.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from web.echo import clip
from web.errors import Problem

R, G = ox.QueryResultsFormat, ox.RdfFormat
Format = ox.QueryResultsFormat | ox.RdfFormat

#: SELECT / ASK results: media type -> format, in order of preference (first = default).
RESULTS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": R.JSON,
    "application/json": R.JSON,
    "application/sparql-results+xml": R.XML,
    "application/xml": R.XML,
    "text/csv": R.CSV,
    "text/tab-separated-values": R.TSV,
    "text/xml": R.XML,
}
#: CONSTRUCT / DESCRIBE results and linked-data pages.
GRAPHS: dict[str, ox.RdfFormat] = {
    "text/turtle": G.TURTLE,
    "application/x-turtle": G.TURTLE,
    "text/n3": G.TURTLE,  # Turtle is N3 (rdflib and SPARQLWrapper ask for it)
    "application/turtle": G.TURTLE,
    "application/n-triples": G.N_TRIPLES,
    "text/plain": G.N_TRIPLES,
    "application/ld+json": G.JSON_LD,
    "application/x-json+ld": G.JSON_LD,
    "application/json": G.JSON_LD,
    "application/rdf+xml": G.RDF_XML,
    "application/xml": G.RDF_XML,
}
#: The graph format answered for a results format asked in ``Accept`` (Fuseki answers Turtle,
#: its default, where no RDF format matches).
COUNTERPARTS: dict[ox.QueryResultsFormat, ox.RdfFormat] = {
    R.JSON: G.JSON_LD, R.XML: G.RDF_XML, R.CSV: G.TURTLE, R.TSV: G.TURTLE}
#: Short names (``?format=``, ``?output=``, ``?results=``) for each kind of result.
SHORT_RESULTS = {"json": R.JSON, "srj": R.JSON, "xml": R.XML, "srx": R.XML, "csv": R.CSV,
                 "tsv": R.TSV}
SHORT_GRAPHS = {"ttl": G.TURTLE, "turtle": G.TURTLE, "nt": G.N_TRIPLES, "ntriples": G.N_TRIPLES,
                "n-triples": G.N_TRIPLES, "n3": G.TURTLE, "jsonld": G.JSON_LD, "json-ld": G.JSON_LD,
                "json": G.JSON_LD, "rdfxml": G.RDF_XML, "rdf": G.RDF_XML, "xml": G.RDF_XML,
                "rdf+xml": G.RDF_XML}
#: File suffixes of linked-data pages.
SUFFIXES = {".ttl": G.TURTLE, ".nt": G.N_TRIPLES, ".jsonld": G.JSON_LD, ".rdf": G.RDF_XML}
PARAMS = ("format", "output", "results")


def choose(accept: str, args: Mapping[str, str], graph: bool) -> Format:
    """The format to answer in, for a graph (CONSTRUCT/DESCRIBE) or a results table, given the
    request's ``Accept`` header and its parameters; 406 if none fits."""
    param = given(args)
    fmt = pick(accept, param, graph)
    if fmt is None:
        raise not_acceptable(graph, accept, param)
    return fmt


def given(args: Mapping[str, str]) -> tuple[str, str] | None:
    """The format parameter that decides, as ``(name, value)``: the first of :data:`PARAMS`
    given a value."""
    for name in PARAMS:
        if name in args:  # not args.get(): werkzeug raises (and catches) a KeyError for a miss
            value = (args.get(name) or "").strip().lower()
            if value:
                return name, value
    return None


@lru_cache(maxsize=1024)
def pick(accept: str, param: tuple[str, str] | None, graph: bool) -> Format | None:
    """The format for ``Accept`` (werkzeug's q-value rules) and the deciding format parameter,
    or ``None``. Memoized: clients send the same few headers again and again, and matching them
    cost more than the engine's answer to a point lookup (measured: negotiation was half of the
    app's ~180 us per /sparql request)."""
    table: Mapping[str, Format] = GRAPHS if graph else RESULTS
    if param is not None:
        value = param[1]
        short: Mapping[str, Format] = SHORT_GRAPHS if graph else SHORT_RESULTS
        return short.get(value) or table.get(value.split(";")[0].strip())
    if not accept.strip():
        return next(iter(table.values()))
    # Parameters other than q do not change what a type means here (a client may well send
    # back the "charset=utf-8" it was answered with).
    ranges = [(value.split(";")[0].strip().lower(), q)
              for value, q in parse_accept_header(accept, MIMEAccept)]
    # A type refused with q=0 is not let in again as an alias matched by a wildcard (*/*
    # matches application/json, which is answered as application/sparql-results+json).
    refused = {table[v] for v, q in ranges if q == 0 and v in table and media_type(table[v]) == v}
    best = MIMEAccept(ranges).best_match([k for k, f in table.items() if f not in refused])
    if best is None and graph:
        return _counterpart(ranges)
    return None if best is None else table[best]


def _counterpart(ranges: list[tuple[str, float]]) -> ox.RdfFormat | None:
    """The RDF counterpart of the results type ``ranges`` prefer, if they name one."""
    named = [v for v, q in ranges if q > 0 and v in RESULTS]
    best = MIMEAccept(ranges).best_match(named) if named else None
    return None if best is None else COUNTERPARTS[RESULTS[best]]


@lru_cache(maxsize=512)
def prefers_html(accept: str) -> bool:
    """A browser asking for a page: ``text/html`` named and preferred to every data format."""
    parsed = parse_accept_header(accept, MIMEAccept)
    named = any(value == "text/html" for value, _ in parsed)
    return named and parsed.best_match(["text/html", *RESULTS, *GRAPHS]) == "text/html"


def not_acceptable(graph: bool, accept: str, param: tuple[str, str] | None) -> Problem:
    """406 naming what was asked (the format parameter, else ``Accept``) and what is
    available."""
    table: Mapping[str, Format] = GRAPHS if graph else RESULTS
    short: Mapping[str, Format] = SHORT_GRAPHS if graph else SHORT_RESULTS
    values = {"table": ", ".join(table), "short": ", ".join(short)}
    if param:
        return Problem(406, "Not Acceptable", "cannot answer %(parameter)s=%(value)s; available: "
                       "%(table)s; short names: %(short)s", available=list(table),
                       short_names=list(short),
                       params={"parameter": param[0], "value": clip(param[1]), **values})
    return Problem(406, "Not Acceptable", "cannot answer Accept: %(value)s; available: %(table)s; "
                   "short names: %(short)s", available=list(table), short_names=list(short),
                   params={"value": clip(accept), **values})


def download(fmt: str | None, accept: MIMEAccept, offers: Mapping[str, str]) -> str | None:
    """The short name of the download a page's request asks for among ``offers`` (short name
    -> media type), or None for the HTML page: ``?format=NAME`` (``html`` names the page) wins,
    else the best of ``Accept`` with q-values (none sent: the page). 406 naming what is
    available for a name not offered or an ``Accept`` that matches nothing."""
    names = ["html", *offers]
    if fmt:
        if fmt not in names:
            raise Problem(406, "Not Acceptable", "format=%(fmt)s; available: %(names)s",
                          available=names, params={"fmt": clip(fmt), "names": ", ".join(names)})
        return None if fmt == "html" else fmt
    types = ["text/html", *offers.values()]
    best = accept.best_match(types)
    if best is None and accept:
        raise Problem(406, "Not Acceptable", "cannot answer %(asked)s; available: %(types)s",
                      available=types, params={"asked": clip(accept.to_header()),
                                               "types": ", ".join(types)})
    return next((name for name, media in offers.items() if media == best), None)


def media_type(fmt: Format) -> str:
    """The media type an answer in ``fmt`` is sent as, without parameters."""
    return str(fmt.media_type).split(";")[0]


#: W3C's unique IRIs for formats (https://www.w3.org/ns/formats/), where pyoxigraph's differ.
FORMAT_IRIS: dict[Format, str] = {G.JSON_LD: "http://www.w3.org/ns/formats/JSON-LD"}


def format_iri(fmt: Format) -> str:
    return FORMAT_IRIS.get(fmt) or str(fmt.iri)
