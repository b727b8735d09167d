"""rdflib's SPARQL parser is not thread-safe; the web app validates in waitress threads and
classifies (which parses SPARQL to recognize the compiler's idioms) in others. Concurrent
validations with SPARQL-based shapes must all succeed and agree."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from kg import reference
from kg.compile import compile_conformers
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import load
from kg.store import LocalStore
from kg.validate import data_graph, validate

SMALL = Path(__file__).parent / "data" / "small"


def test_concurrent_validations_and_compilations_agree() -> None:
    store = LocalStore()
    reference.ensure(store)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    data = data_graph(store)
    profile = load()

    def work(i: int) -> object:
        as_of = date(2016 + i % 8, 12, 31)  # a different date: a different query text
        shapes = profile.instantiate(as_of)
        if i % 2:
            return [compile_conformers(shapes, c.shape) is not None for c in profile.criteria]
        return validate(data, shapes).conforms

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(8)))
    assert all(r == [True] * 5 for r in results[1::2])
    assert len({r for r in results[0::2]}) == 1
