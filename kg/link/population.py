"""``hvp link population``: regions' populations from Wikidata, beside the official table.

For every region the store links to Wikidata (``owl:sameAs`` of the reference data: the nation
and the 31 provinces), the item's population statements (``p:P1082`` / ``ps:P1082``) with a
point in time (``pq:P585``) are read; the year of the point in time is the observation's year.
Of several statements for one year, the preferred rank wins, then the larger value (recorded in
the comment). They are written as ``hvp:PopulationObservation`` nodes
(``{base}links/wikidata-population/{region}/{year}``, with ``dcterms:source`` the statement) in
the named graph ``{base}links/wikidata-population``, replaced by each run, with the run's
provenance (``prov:Activity``, endpoint, times), in one staged write. The indicators read the
official table in the default graph, or this graph with ``--population wikidata``
(:mod:`kg.indicators.population`); :func:`compare` sets the two side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from kg import official
from kg.iri import mint
from kg.link import graph as lg
from kg.link.candidates import WD
from kg.link.client import Endpoint
from kg.link.owners import _regions, software
from kg.store import LocalStore
from kg.vocab import HVP

__all__ = ["Figure", "fetch", "write", "compare", "population_graph", "METHOD"]

METHOD = "hvp-link-population/1"
RANKS = {"http://wikiba.se/ontology#PreferredRank": 2, "http://wikiba.se/ontology#NormalRank": 1}


@dataclass(frozen=True)
class Figure:
    region: str  # ISO 3166-2 (or CN)
    year: int
    population: int
    statement: str
    others: int = 0  # other statements for the same year


def population_graph(base: str) -> ox.NamedNode:
    """The graph of the population figures found at Wikidata."""
    return ox.NamedNode(mint(base, "links", "wikidata-population"))


def _query(qids: list[str]) -> str:
    text = (Path(__file__).resolve().parent / "population.rq").read_text(encoding="utf-8")
    values = "VALUES ?item { " + " ".join(str(ox.NamedNode(WD + q)) for q in qids) + " }"
    return text.replace("#ITEMS#", values)


def fetch(store: LocalStore, endpoint: Endpoint) -> list[Figure]:
    regions = {qid: code for _, code, qid in _regions(store)}
    best: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    for row in endpoint.select(_query(sorted(regions))):
        code = regions.get(row["item"]["value"][len(WD):])
        try:
            year = int(row["time"]["value"][:5].lstrip("+")[:4])
            people = int(float(row["population"]["value"]))
        except ValueError:
            continue
        if code is None or people <= 0:
            continue
        rank = RANKS.get(row["rank"]["value"], 0)
        best.setdefault((code, year), []).append((rank, people, row["statement"]["value"]))
    out = []
    for (code, year), found in sorted(best.items()):
        rank, people, statement = max(found)
        out.append(Figure(code, year, people, statement, len(found) - 1))
    return out


def write(store: LocalStore, base: str, figures: list[Figure], run: lg.Run) -> None:
    graph = population_graph(base)
    act, quads = lg.run_quads(run, graph)
    n = ox.NamedNode

    for f in figures:
        obs = n(mint(base, "links", "wikidata-population", f.region, str(f.year)))
        quads += [ox.Quad(s, p, o, graph) for s, p, o in (
            (obs, n(str(RDF.type)), n(str(HVP.PopulationObservation))),
            (obs, n(str(HVP.region)), n(mint(base, "region", f.region))),
            (obs, n(str(HVP.year)), ox.Literal(str(f.year), datatype=n(str(XSD.integer)))),
            (obs, n(str(HVP.population)),
             ox.Literal(str(f.population), datatype=n(str(XSD.integer)))),
            (obs, n(str(DCTERMS.source)), n(f.statement)),
            (obs, n("http://www.w3.org/ns/prov#wasGeneratedBy"), act))]
        if f.others:
            quads.append(ox.Quad(obs, n(str(RDFS.comment)), ox.Literal(
                f"{f.others} other statement(s) for {f.year}; this one by rank, then value"),
                graph))
    with lg.writing(store, base) as target:  # all or nothing: the old figures stay whole
        target.clear_graph(graph)
        target.add(quads)


def link(store: LocalStore, base: str, endpoint: Endpoint) -> list[Figure]:
    """Fetch the regions' population from ``endpoint`` into :func:`population_graph`."""
    started = datetime.now(UTC)
    figures = fetch(store, endpoint)
    write(store, base, figures, lg.Run(endpoint.url, started, datetime.now(UTC), software(),
                                       METHOD, f"{len(figures)} region-years"))
    return figures


def compare(figures: list[Figure]) -> list[tuple[str, int, int, int | None, float | None]]:
    """``(region, year, wikidata, official, wikidata / official - 1)`` per figure, the official
    figure from the built-in NBS table (None where it has none)."""
    table = official.population()
    rows = []
    for f in figures:
        known = table.get((f.region, f.year))
        rows.append((f.region, f.year, f.population, known,
                     None if not known else f.population / known - 1))
    return rows
