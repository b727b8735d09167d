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


def test_a_long_query_at_the_head_leaves_no_worker_idle(monkeypatch) -> None:
    """The answers are read in order, but the queries behind a long one keep the other
    worker busy (with one query per worker sent ahead, a long head query left the second
    worker idle once it had answered the query behind it: the 5,000,000-patent validation
    used 1.14 cores of 2)."""
    import threading

    import pyoxigraph as ox
    from rdflib import URIRef

    from kg.compile.results import ShapeQuery
    from kg.validate import compiled

    store = LocalStore()
    store.add([ox.Quad(ox.NamedNode(f"urn:s{i}"), ox.NamedNode("urn:p"), ox.Literal(i),
                       ox.DefaultGraph()) for i in range(200)])
    slow = ("SELECT ?focus ?value WHERE { ?focus <urn:p> ?value . ?b <urn:p> ?y . ?c <urn:p> ?z "
            "FILTER(?value + ?y + ?z < -1) }")
    fast = "SELECT ?focus ?value WHERE { ?focus <urn:p> ?value FILTER(?value < 0) }"
    ended: list[str] = []
    lock = threading.Lock()
    answer = compiled._tsv

    def timed(store: LocalStore, query: str) -> bytes:
        data = answer(store, query)
        with lock:
            ended.append("slow" if query == slow else "fast")
        return data

    monkeypatch.setattr(compiled, "_tsv", timed)
    jobs = [ShapeQuery(URIRef("urn:shape"), (), text) for text in [slow] + [fast] * 5]
    for rows in compiled._answers(store, jobs, workers=2):
        list(rows)
    assert ended.index("slow") == len(ended) - 1, ended  # every fast one answered before it
