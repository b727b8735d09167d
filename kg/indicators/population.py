"""Where an indicator's denominators come from: the official table, or Wikidata's figures.

``official`` (the default): the ``hvp:PopulationObservation`` nodes of the default graph, the
built-in NBS year-end table and any ``population.csv`` ingested (docs/rules.md §1).

``wikidata``: the observations ``hvp link population`` wrote into the graph
``{base}links/wikidata-population`` (:func:`kg.link.population.population_graph`), one per
region and year of a ``P1082`` statement's point in time (``P585``). The figure for year ``Y`` is
the one whose point in time falls in ``Y`` -- never an earlier year's: the indicator divides by
the population of the year it counts, and a census figure ten years old would give a number
that looks like the indicator and is not. A region/year without one gets no row and a warning
naming it (:func:`kg.indicators.core.compute`); ``hvp link population`` prints the years
Wikidata has.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox

from kg.errors import InputError
from kg.iri import DEFAULT_BASE
from kg.link.population import population_graph
from kg.store import Store
from kg.vocab import HVP

__all__ = ["SOURCES", "OFFICIAL", "WIKIDATA", "check", "graph", "available", "figures",
           "years", "series", "region_code"]

SOURCES = ("official", "wikidata")
OFFICIAL, WIKIDATA = SOURCES
HERE = Path(__file__).resolve().parent
_SERIES = {OFFICIAL: HVP.OfficialPopulation, WIKIDATA: HVP.WikidataPopulation}


@cache
def _text(name: str) -> str:
    return (HERE / f"{name}.rq").read_text(encoding="utf-8")


def check(source: str, name: str = "--population") -> str:
    """``source`` if it is one of :data:`SOURCES`, else an InputError naming ``name``."""
    if source not in SOURCES:
        raise InputError("%(name)s must be one of %(sources)s, got %(source)r",
                         name=name, sources=', '.join(SOURCES), source=source)
    return source


def graph(source: str, base: str = DEFAULT_BASE) -> ox.NamedNode | None:
    """The named graph holding a source's observations (None: the default graph)."""
    return population_graph(base) if check(source) == WIKIDATA else None


def series(source: str) -> ox.NamedNode:
    """The concept naming a source in the indicator cube (``hvp:populationSeries``)."""
    return ox.NamedNode(str(_SERIES[check(source)]))


def available(store: Store, base: str = DEFAULT_BASE) -> list[str]:
    """The sources with at least one observation in the store, official first (always)."""
    present = store.select("PREFIX hvp: <https://w3id.org/hvp/def#> SELECT ?graph WHERE { "
                           "GRAPH ?graph { ?obs a hvp:PopulationObservation } } LIMIT 1",
                           {"graph": population_graph(base)})  # bound values are selected
    return [OFFICIAL, WIKIDATA] if present else [OFFICIAL]


def require(store: Store, source: str, base: str = DEFAULT_BASE) -> str:
    """``source``, if the store has its figures; else an InputError saying how to get them."""
    if check(source) != OFFICIAL and source not in available(store, base):
        raise InputError("population source %(source)r: the store has no Wikidata population "
                         "(graph %(value)s); run `hvp link population` first",
                         source=source, value=population_graph(base).value)
    return source


def figures(store: Store, year: int, source: str = OFFICIAL,
            base: str = DEFAULT_BASE) -> dict[str, tuple[str, int, str]]:
    """Region code -> (observation IRI, persons, the observation's own source) for one year."""
    named = graph(source, base)
    bind: dict[str, ox.NamedNode | ox.Literal] = {"year": ox.Literal(year)}
    if named is not None:
        bind["graph"] = named
    found: dict[str, tuple[str, int, str]] = {}
    for row in store.select(_text("population" if named is None else "population-graph"),
                            bind):
        code = row["code"].value if "code" in row else region_code(row["region"].value)
        reference = row["source"].value if "source" in row else ""
        found[code] = (row["obs"].value, int(row["population"].value), reference)
    return found


def years(store: Store, source: str = OFFICIAL, base: str = DEFAULT_BASE) -> set[int]:
    """The years with a population observation (of any region) in a source."""
    named = graph(source, base)
    pattern = "?obs a hvp:PopulationObservation ; hvp:year ?year"
    where = pattern if named is None else f"GRAPH ?graph {{ {pattern} }}"
    rows = store.select(f"PREFIX hvp: <https://w3id.org/hvp/def#> SELECT DISTINCT "
                        f"{'' if named is None else '?graph '}?year WHERE {{ {where} }}",
                        {} if named is None else {"graph": named})
    return {int(row["year"].value) for row in rows}


def region_code(region_iri: str) -> str:
    """``{base}region/CN-GD`` -> ``CN-GD`` (any base)."""
    return unquote(region_iri.rpartition("/region/")[2])
