"""The base of an on-disk store (kg.generations): an ingest starts from the data as the last
ingest left it, so derived graphs are gone without deleting their quads, and no data is lost."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import generations, reference
from kg.classify import classify
from kg.classify.timeline import graph_iri
from kg.indicators import compute
from kg.indicators.cube import materialize
from kg.ingest import derived_graphs, ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

SMALL = Path(__file__).resolve().parent / "data" / "small"


def _delta(folder: Path) -> Path:
    """A patent row that changes CN-T02 (it lapses) and a new patent."""
    folder.mkdir()
    header, *rows = (SMALL / "patents.csv").read_text(encoding="utf-8").splitlines()
    changed = next(r for r in rows if r.startswith("CN-T02,")).replace(",2013-01-01,,",
                                                                        ",2013-01-01,2020-05-05,")
    new = "CN-NEW1,invention,New thing,2016-01-01,2019-01-01,,H01M10/052,O2,"
    (folder / "patents.csv").write_text("\n".join([header, changed, new]) + "\n",
                                        encoding="utf-8")
    return folder


def _data(store: LocalStore) -> list[str]:
    """The default graph as sorted N-Quads lines."""
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS, ox.DefaultGraph())
    return sorted(out.getvalue().decode().splitlines())


def _new(path: Path) -> LocalStore:
    store = LocalStore(path)
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    return store


def test_an_ingest_after_derived_graphs_starts_from_the_base(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _new(tmp_path / "a")
    assert generations.base(store.path) is not None  # kept by the ingest
    classify(store, date(2024, 12, 31))
    materialize(store, compute(store, [2024]))
    assert generations.base(store.path) is not None  # derived writes keep it
    derived = {g.value for g in derived_graphs(store, DEFAULT_BASE)}
    timeline = graph_iri(DEFAULT_BASE, "cnipa-2021")
    assert len(derived) == 3 and timeline in derived  # classification, cube, timeline
    cleared: list[ox.NamedNode] = []
    monkeypatch.setattr(LocalStore, "clear_graph", lambda self, graph: cleared.append(graph))
    report = ingest(store, [_delta(tmp_path / "delta")], base=DEFAULT_BASE)
    monkeypatch.undo()
    assert cleared == []  # no quad deleted one by one
    assert set(report.dropped) == derived - {timeline}  # said as before
    # the timeline is carried over (copied in bulk, kg.classify.timeline.carry_over)
    assert [g.value for g in derived_graphs(store, DEFAULT_BASE)] == [timeline]
    # the same data as the same ingests without derived graphs in between
    plain = _new(tmp_path / "b")
    ingest(plain, [_delta(tmp_path / "delta2")], base=DEFAULT_BASE)
    assert _data(store) == _data(plain)
    # one generation, its base, its search index, the identity of its data and its readers'
    # lease file in the home, nothing else
    names = sorted(p.name for p in generations.home(store.path).iterdir())
    current = generations.current(store.path)
    assert current is not None
    number = current.name.split("-")[1]
    assert names == sorted([current.name, f"data-{number}", f"search-{number}",
                            f"ident-{number}", f"lease-{number}", "lock"])


def test_data_written_outside_an_ingest_is_never_lost(tmp_path: Path) -> None:
    store = _new(tmp_path / "a")
    store.update('INSERT DATA { <https://example.org/x> <https://example.org/p> "kept" }')
    assert generations.base(store.path) is None  # the base no longer holds the data
    ingest(store, [_delta(tmp_path / "delta")], base=DEFAULT_BASE)
    assert store.ask('ASK { <https://example.org/x> <https://example.org/p> "kept" }')
    assert generations.base(store.path) is not None  # a new one


def test_reopened_store_keeps_its_base_and_recovery_drops_a_killed_one(tmp_path: Path) -> None:
    store = _new(tmp_path / "a")
    path = store.path
    assert path is not None
    kept = generations.base(path)
    store.close()
    home = generations.home(path)
    stale = home / "data-99"  # what a write killed before its switch leaves
    shutil.copytree(kept, stale)
    reopened = LocalStore(path)  # recovers
    assert generations.base(path) == kept and not stale.exists()
    assert reopened.ask("ASK { ?p a <https://w3id.org/hvp/def#InventionPatent> }")


def test_a_named_graph_written_outside_an_ingest_survives_the_next(tmp_path: Path) -> None:
    """Links (kg.link) and a user's own named graphs are data, not derived: found by a review,
    where they were kept out of the base and lost at the next ingest."""
    store = _new(tmp_path / "a")
    mine = ox.NamedNode("urn:example:mine")
    store.add([ox.Quad(ox.NamedNode("urn:example:x"), ox.NamedNode("urn:example:p"),
                       ox.Literal("kept"), mine)])
    assert generations.base(store.path) is None
    classify(store, date(2024, 12, 31))  # derived: needs no base to be right
    ingest(store, [_delta(tmp_path / "delta")], base=DEFAULT_BASE)
    assert len(list(store.quads(None, None, None, mine))) == 1
    assert derived_graphs(store, DEFAULT_BASE) == []
