"""Rows grouped by patent in bounded memory (kg.classify.grouped): the same groups, in any
number of buckets on disk, as grouping every row in memory; and a classification's evidence
the same whatever the bucket size."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import reference
from kg.classify import classify, grouped
from kg.classify.result_sets import spill, table
from kg.demo import generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

EX = "http://example.org/"
QUERY = f"SELECT ?this ?v ?w WHERE {{ ?this <{EX}v> ?v OPTIONAL {{ ?this <{EX}w> ?w }} }}"


@pytest.fixture()
def store() -> LocalStore:
    """300 things with 0 to 3 values each (some with a second, optional column)."""
    store = LocalStore()
    quads = []
    for i in range(300):
        thing = ox.NamedNode(f"{EX}t{i}")
        quads += [ox.Quad(thing, ox.NamedNode(f"{EX}v"), ox.Literal(f"value, \"{j}\"\n{i}"))
                  for j in range(i % 4)]
        if i % 5 == 0:
            quads.append(ox.Quad(thing, ox.NamedNode(f"{EX}w"), ox.Literal(str(i))))
    store.add(quads)
    return store


@pytest.mark.parametrize("bucket_bytes", [1, 500, 10_000_000])
def test_groups_equal_grouping_in_memory(store: LocalStore, tmp_path: Path,
                                         bucket_bytes: int) -> None:
    expected: dict[str, list[dict[str, str]]] = {}
    for row in table(store, QUERY):
        expected.setdefault(row["this"], []).append(row)
    things = [f"{EX}t{i}" for i in range(300)]
    wanted = {t for i, t in enumerate(things) if i % 3 != 0}  # some with no row at all
    path = tmp_path / "answer.csv"
    spill(store, QUERY, path)
    found = dict(grouped.groups(path, things, wanted.__contains__, bucket_bytes))
    assert set(found) == wanted
    assert found == {t: grouped.ordered(expected.get(t, [])) for t in wanted}
    assert any(len(rows) > 1 for rows in found.values())
    assert list(tmp_path.iterdir()) == []  # the answer and its buckets removed once read


def test_classification_evidence_does_not_depend_on_the_bucket_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's classification graph, its evidence made in one bucket per unit and in as
    many buckets as the grouping makes: the same triples, the same rows."""
    demo = tmp_path / "demo"
    generate(demo, patents=600)
    stores = [LocalStore(), LocalStore()]
    for store in stores:
        reference.ensure(store, DEFAULT_BASE)
        ingest(store, [demo], base=DEFAULT_BASE)
    first = classify(stores[0], date(2024, 12, 31))
    monkeypatch.setattr(grouped, "BUCKET_BYTES", 1)
    second = classify(stores[1], date(2024, 12, 31))
    assert first.rows == second.rows

    def graph(store: LocalStore, name: str) -> set[str]:
        return {str(q.triple) for q in store.quads(graph=ox.NamedNode(name))
                if not q.predicate.value.endswith("/created")}

    triples = graph(stores[0], first.graph)
    assert triples == graph(stores[1], second.graph)
    assert sum("/def#evidence>" in t for t in triples) > 100
