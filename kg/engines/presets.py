"""Where each engine serves SPARQL Update and the Graph Store Protocol, given its query URL.

The ``endpoint_engine`` setting picks one; ``update_endpoint`` and ``gsp_endpoint`` still win
when set. docs/engines.md lists what each engine needs configured besides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kg.errors import InputError


def _root(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0]


#: engine -> (query URL -> update URL, query URL -> graph store URL)
PRESETS: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "oxigraph": (lambda q: f"{_root(q)}/update", lambda q: f"{_root(q)}/store"),
    "virtuoso": (lambda q: q, lambda q: f"{_root(q)}/sparql-graph-crud"),
    "fuseki": (lambda q: f"{_root(q)}/update", lambda q: f"{_root(q)}/data"),
    "graphdb": (lambda q: f"{q.rstrip('/')}/statements",
                lambda q: f"{q.rstrip('/')}/rdf-graphs/service"),
    "qlever": (lambda q: q, lambda q: q),
    "neptune": (lambda q: q, lambda q: f"{q.rstrip('/')}/gsp/"),
}


def urls(engine: str, query: str) -> tuple[str, str]:
    """The update and graph store URLs of ``engine`` (a name of :data:`PRESETS`)."""
    try:
        update, store = PRESETS[engine or "oxigraph"]
    except KeyError:
        raise InputError("endpoint_engine %(engine)r: expected one of %(presets)s",
                         engine=engine, presets=', '.join(sorted(PRESETS))) from None
    return update(query), store(query)


@dataclass(frozen=True)
class Traits:
    """How an engine holds hvp-kg's dataset.

    ``data_graph``: the named graph that holds the data (its default graph is the union of all
    graphs, so the data cannot be on its own there), or "" for the default graph.
    ``dataset_get``: its graph store answers a GET of the whole dataset (N-Quads).
    ``own_graphs``: IRI prefixes of the graphs the engine keeps for itself (left out of
    exports)."""

    data_graph: str = ""
    dataset_get: bool = True
    own_graphs: tuple[str, ...] = ()


#: Virtuoso's graph store has neither ``?default`` nor a dataset GET; its system graphs
VIRTUOSO_DATA = "urn:hvp:data"
TRAITS: dict[str, Traits] = {
    "virtuoso": Traits(VIRTUOSO_DATA, dataset_get=False, own_graphs=(
        "http://www.openlinksw.com/", "http://www.w3.org/ns/ldp#",
        "http://www.w3.org/2002/07/owl#", "http://localhost:8890/")),
}


def traits(engine: str) -> Traits:
    return TRAITS.get(engine, Traits())
