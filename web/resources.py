"""Linked data: every IRI the service mints dereferences at the same path on the app.

``/patent/CN-T01`` is ``{base}patent/CN-T01`` (likewise owner, region, family, publication,
pledge, award, population, concordance, classification, observation, sei, award-kind...).
Browsers get an HTML page; RDF clients Turtle, N-Triples, JSON-LD or RDF/XML by ``Accept`` or a
``.ttl`` / ``.nt`` / ``.jsonld`` / ``.rdf`` suffix: the resource's own triples plus the labels of
the things it links to. A patent's page also explains why it is (or is not) high-value at a date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import unquote

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from kg import (
    IRI_KINDS,
    PROFILE_NS,
    NotFound,
    Word,
    classification_complete,
    classification_iri,
    ensure_classification,
    explain_patent,
    load_profile,
    profile_name,
    shipped_profiles,
)
from web import headers, limits, negotiate, summary
from web import labels as names
from web.echo import clip
from web.i18n import N_, data_language, gettext, locale
from web.links import FIXED, SCHEMES, to_iris
from web.service import service

bp = Blueprint("resources", __name__)
#: The first path segment of a served IRI: a minted kind, or a fixed namespace of one segment
#: (``/.well-known/genid/...`` has a route of its own).
KIND_PATTERN = "any(" + ", ".join(
    f'"{k}"' for k in sorted(set(IRI_KINDS) | {k for k in FIXED if "/" not in k})) + ")"
#: What a page says each kind of thing is (the first segment of its path), in the reader's
#: language.
KIND_NAMES = {
    "patent": N_("Patent"), "owner": N_("Owner"), "region": N_("Region"),
    "family": N_("Patent family"), "publication": N_("Publication"), "pledge": N_("Pledge"),
    "award": N_("Award"), "population": N_("Population figure"),
    "concordance": N_("Concordance row"), "classification": N_("Classification"),
    "observation": N_("Observation"), "indicators": N_("Indicators"), "graph": N_("Graph"),
    "sei": N_("SEI industry"), "award-kind": N_("Award kind"), "links": N_("Links"),
    "profile": N_("Criteria profile"), ".well-known/genid": N_("Blank node")}
LABELS = ("http://www.w3.org/2000/01/rdf-schema#label",
          "http://www.w3.org/2004/02/skos/core#prefLabel", "http://xmlns.com/foaf/0.1/name",
          "http://purl.org/dc/terms/title", "http://purl.org/dc/terms/identifier")
LABEL_RANK = (LABELS[2], LABELS[3], LABELS[1], LABELS[0], LABELS[4])
_LABEL_SET = frozenset(ox.NamedNode(p) for p in LABELS)
# The labels of linked things as an OPTIONAL with FILTER ... IN: written with VALUES ?lp, Oxigraph
# joins every label triple of the store first (2.8-5.5 s per page on 42,000 demo patents; this
# form answers in milliseconds, bench/pages.py).
DESCRIBE = f"""CONSTRUCT {{ ?s ?p ?o . ?o ?lp ?label }} WHERE {{
  ?s ?p ?o OPTIONAL {{ ?o ?lp ?label FILTER(?lp IN ({", ".join(f"<{p}>" for p in LABELS)})) }} }}"""
#: Things linking to a resource, shown on its page (``INCOMING_COUNT`` says how many in all):
#: the first links in the store's index order, not sorted by the engine (a sort reads every link
#: of a resource that thousands of things link to; the page sorts the ones it shows). 500 links
#: took a region's triples page to 300-500 ms on a loaded machine (reading their labels and
#: rendering them, half each); 200, 140-220 ms.
INCOMING_LIMIT = 200
INCOMING = f"SELECT ?s ?x ?p WHERE {{ ?x ?p ?s }} LIMIT {INCOMING_LIMIT}"
INCOMING_COUNT = """SELECT ?s (COUNT(*) AS ?n) (COUNT(DISTINCT ?x) AS ?things)
  WHERE { ?x ?p ?s } GROUP BY ?s"""


@bp.route(f"/<{KIND_PATTERN}:kind>/<path:rest>")
@bp.route("/<any(sei, 'award-kind'):kind>/", defaults={"rest": ""})  # concept schemes
@bp.route("/.well-known/genid/<path:rest>", defaults={"kind": ".well-known/genid"})
def resource(kind: str, rest: str) -> Response:
    iri, fmt = _resolve(kind, rest)
    triples = _profile(iri) if kind == "profile" else _describe(iri)
    if not triples:
        raise NotFound("nothing is known about <%(iri)s>", iri=iri)
    return linked_data(triples, fmt, lambda: _page(kind, iri, triples))


def linked_data(triples: list[ox.Triple], suffixed: ox.RdfFormat | None,
                page: Callable[[], str], prefixes: dict[str, str] | None = None) -> Response:
    """The answer at a linked-data URL: the triples in the format its suffix names, else by
    ``Accept`` in a graph format, or the HTML ``page()`` for a browser. Turtle is written with
    ``prefixes`` (default: the service's)."""
    fmt = suffixed or _negotiate()
    if fmt is not None:
        body = ox.serialize(triples, format=fmt, prefixes=(prefixes or service().prefixes)
                            if fmt == ox.RdfFormat.TURTLE else None)
        response = Response(body, content_type=f"{fmt.media_type}; charset=utf-8")
    else:
        response = Response(page(), mimetype="text/html")
    # the bare IRI's answer depends on Accept (web.headers); a suffixed URL names one format
    return response if suffixed is None else headers.fixed(response)


def _resolve(kind: str, rest: str) -> tuple[str, ox.RdfFormat | None]:
    """The IRI served at the path and the format its suffix names (None: negotiated): the
    first reading that the store knows, else the first (which is then not found)."""
    readings: list[tuple[str, ox.RdfFormat | None]] = [
        (rest[: -len(suffix)], fmt) for suffix, fmt in negotiate.SUFFIXES.items()
        if rest.endswith(suffix) and (len(rest) > len(suffix) or kind in SCHEMES)]
    readings.append((rest, None))
    exists = _shipped_profile if kind == "profile" else _exists
    for name, fmt in readings:
        for iri in to_iris(kind, name):
            if exists(iri):
                return iri, fmt
    return to_iris(kind, readings[0][0])[0], readings[0][1]


def _subject(iri: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(iri)
    except ValueError as exc:
        raise NotFound("not an IRI this service mints: %(iri)s", iri=clip(iri)) from exc


def _exists(iri: str) -> bool:
    store = service().store()
    return bool(store.query("ASK { ?s ?p ?o }", {"s": _subject(iri)}, union_default_graph=True))


def _shipped_profile(iri: str) -> bool:
    return iri.startswith(PROFILE_NS) and iri[len(PROFILE_NS):] in shipped_profiles()


def _profile(iri: str) -> list[ox.Triple]:
    """A criteria profile's IRI gives the whole profile as loaded: its parameters, the
    criteria and conditions it imports and the shapes built from them."""
    if not _shipped_profile(iri):
        return []
    text = load_profile(iri[len(PROFILE_NS):]).graph.serialize(format="nt")
    return [t.triple for t in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]


def _describe(iri: str) -> list[ox.Triple]:
    result = service().store().query(DESCRIBE, {"s": _subject(iri)}, union_default_graph=True)
    assert not isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
    return list(result)  # an embedded store's QueryTriples, a remote engine's list


def _incoming(subject: ox.NamedNode) -> tuple[list[dict[str, Any]], tuple[int, int]]:
    """The things with the first :data:`INCOMING_LIMIT` links to ``subject`` (one row per
    thing: its best label and the properties that link it), and how many links and things
    there are in all."""
    store = service().store()
    found = store.query(INCOMING, {"s": subject}, union_default_graph=True)
    counted = store.query(INCOMING_COUNT, {"s": subject}, union_default_graph=True)
    assert isinstance(found, ox.QuerySolutions) and isinstance(counted, ox.QuerySolutions)
    rows = list(found)
    # The labels of the things listed, read from each thing's own quads (a query joining the
    # listed things to the label triples reads every label triple, 0.7-1.4 s; one read per
    # (thing, label property) cost 22 ms a patent page, five index seeks a thing).
    labels = _labels([quad.triple for thing in {r["x"] for r in rows}
                      for quad in store.quads(thing, None, None, None)
                      if quad.predicate in _LABEL_SET])
    things: dict[str, dict[str, Any]] = {}
    for r in rows:
        thing = things.setdefault(r["x"].value, {"x": r["x"], "ps": [],
                                                 "label": labels.get(r["x"].value)})
        thing["ps"].append(r["p"])
    total = next(iter(counted), None)
    counts = (int(total["n"].value), int(total["things"].value)) if total else (0, 0)
    return sorted(things.values(), key=lambda t: t["x"].value), counts


def _negotiate() -> ox.RdfFormat | None:
    offers = ["text/html", *negotiate.GRAPHS]
    best = request.accept_mimetypes.best_match(offers, default="text/html")
    return None if best == "text/html" else negotiate.GRAPHS[best]


def _page(kind: str, iri: str, triples: list[ox.Triple]) -> str:
    if summary.wanted(kind, iri):  # a region, an owner, an SEI industry: its summary
        return summary.page(kind, iri, triples, limits.request_day())
    subject = ox.NamedNode(iri)
    labels = _labels(triples)
    facts = [(t.predicate, t.object) for t in triples if t.subject == subject]
    facts.sort(key=lambda f: (f[0].value != LABELS[3], f[0].value, str(f[1])))
    incoming, linked = _incoming(subject)
    explanation = _explanation(iri) if kind == "patent" else None
    return render_template("resource.html", iri=iri, kind=kind,
                           kind_name=gettext(KIND_NAMES.get(kind, kind)),
                           region_name=names.region, title=labels.get(iri, iri),
                           facts=facts, labels=labels, incoming=incoming, linked=linked,
                           explanation=explanation, as_of=limits.request_day(),
                           alternates={s: f"{request.path}{s}" for s in negotiate.SUFFIXES})


def _labels(triples: list[ox.Triple]) -> dict[str, str]:
    """The best label of each subject: a name or title over an identifier; in the reader's
    language first, then one without a language, then English."""
    ranked: dict[str, tuple[int, int, str]] = {}
    order = {data_language(): 0, None: 1, "en": 2}
    for t in triples:
        if t.predicate.value in LABELS and isinstance(t.object, ox.Literal) \
                and isinstance(t.subject, ox.NamedNode | ox.BlankNode):
            lang = order.get(t.object.language, 3)
            rank = (LABEL_RANK.index(t.predicate.value), lang, t.object.value)
            if t.subject.value not in ranked or rank < ranked[t.subject.value]:
                ranked[t.subject.value] = rank
    return {s: r[2] for s, r in ranked.items()}




def _explanation(iri: str) -> dict[str, Any]:
    """kg.explain's account of the patent at the chosen date."""
    svc = service()
    patent_id = iri.rsplit("/", 1)[1]
    day = date.fromisoformat(limits.request_day())
    profile = profile_name(str(svc.settings["profile"]))
    key = ("classification", profile, day)
    if not classification_complete(svc.store(), classification_iri(svc.base, profile, day)) \
            or svc.computations.pending(key):  # complete, but its job not yet published
        # a date not classified yet is a classification of the whole store: computed first
        # (queued on disk: web.computations), then read
        svc.computed(key, Word("classification"),
                     lambda store: ensure_classification(store, day, svc.profile(), svc.base),
                     computes=True)
    with svc.deriving() as store:
        result = explain_patent(store, unquote(patent_id), day, svc.profile(), svc.base,
                                locale())  # the reasons in the reader's language
    return result.to_dict()  # type: ignore[no-any-return]
