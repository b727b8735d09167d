"""The paths that cannot bring a kept timeline up to the new data (kg.classify.timeline).

An ingest of RDF files, of more than ``MAX_TRACED`` things or of a new concordance, a write
outside an ingest and a token holder's SPARQL update on the web leave the profile's timeline in
the store (and in its base) as it was, stale by its ``hvp:sourceState``, instead of deleting it
quad by quad; the next indicators compute every patent again and rewrite only the entries that
changed. Each path must leave the timeline, its year tally and the indicators equal to a full
computation on the new data, in the generation and in its base alike.
"""

from __future__ import annotations

import gc
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.ingest
from kg import generations, reference
from kg.classify import timeline as tl
from kg.classify import year_tally
from kg.indicators import compute, core
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import load
from kg.store import LocalStore
from kg.vocab import DCTERMS, HVP
from tests.test_timeline import _full_rows, _graph_rows, write_data

YEARS = [2020, 2022, 2024]
GRAPH = tl.graph_iri(DEFAULT_BASE, "cnipa-2021")
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
TOKEN = "s3cret-token"


def _store(tmp_path: Path) -> LocalStore:
    folder = tmp_path / "data"
    write_data(folder, seed=5, n=80)
    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    compute(store, YEARS)  # the timeline, kept in the generation and in its base
    assert store.ask(f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")
    return store


def _rdf(store: LocalStore, tmp_path: Path) -> LocalStore:
    rdf = tmp_path / "extra.nt"
    rdf.write_text(f"<{DEFAULT_BASE}patent/P001> <{HVP.lapseDate}> "
                   f'"2021-03-01"^^<{XSD_DATE}> .\n', encoding="utf-8")
    ingest(store, [rdf], base=DEFAULT_BASE)
    return store


def _untraced(store: LocalStore, tmp_path: Path) -> LocalStore:
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "awards.csv").write_text("award_id,patent_id,award,year\n"
                                      "FB1,P002,china-patent-gold,2019\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kg.ingest, "MAX_TRACED", 0)
        ingest(store, [delta], base=DEFAULT_BASE)
    return store


def _concordance(store: LocalStore, tmp_path: Path) -> LocalStore:
    delta = tmp_path / "delta"
    delta.mkdir()
    (delta / "sei_concordance.csv").write_text("ipc,sei_code,exclude\nF16H*,2.1,\n",
                                               encoding="utf-8")
    ingest(store, [delta], base=DEFAULT_BASE)
    return store


def _outside(store: LocalStore, tmp_path: Path) -> LocalStore:
    store.update(f"INSERT DATA {{ <{DEFAULT_BASE}patent/P003> <{HVP.lapseDate}> "
                 f'"2020-06-01"^^<{XSD_DATE}> }}')
    assert generations.base(store.path) is None  # its data is no longer the base's
    return store


def _collect() -> None:
    """A collection in this thread may drop pyoxigraph results that an earlier test's request
    threads left in reference cycles; pyo3 reports each as an unraisable "unsendable ... dropped
    on another thread" (harmless: it is only the drop). That report alone is let pass."""
    previous = sys.unraisablehook

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not (isinstance(unraisable.exc_value, RuntimeError)
                and "unsendable" in str(unraisable.exc_value)):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous


def _web_update(store: LocalStore, tmp_path: Path) -> LocalStore:
    """Through the served app's /update, which writes in its writer process."""
    from web.app import create_app

    path = store.path
    store.close()
    _collect()  # the engine's last references go, and with them its lock
    app = create_app({"store": str(path), "write_token": TOKEN, "read_only": False})
    try:
        answer = app.test_client().post(
            "/update", data=f"INSERT DATA {{ <{DEFAULT_BASE}patent/P004> <{HVP.lapseDate}> "
                            f'"2019-09-09"^^<{XSD_DATE}> }}',
            content_type="application/sparql-update",
            headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 204, answer.get_data(as_text=True)
    finally:
        app.extensions["hvp"].close()
    del app
    _collect()  # the app's own view of the store closed
    return LocalStore(path)


@pytest.mark.parametrize("change", [_rdf, _untraced, _concordance, _outside, _web_update],
                         ids=["rdf", "untraced", "concordance", "outside", "web-update"])
def test_a_path_that_cannot_keep_the_timeline_leaves_results_equal_to_a_full_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        change: Callable[[LocalStore, Path], LocalStore]) -> None:
    store = _store(tmp_path)
    before = _graph_rows(store, GRAPH)
    cleared: list[str] = []
    clear = LocalStore.clear_graph
    monkeypatch.setattr(LocalStore, "clear_graph",
                        lambda self, graph: (cleared.append(graph.value), clear(self, graph)))
    store = change(store, tmp_path)
    assert GRAPH not in cleared  # never deleted quad by quad
    prof = load("cnipa-2021")
    assert _graph_rows(store, GRAPH) == before  # kept as it was, stale by its state
    assert not tl.current(store, prof, "cnipa-2021", DEFAULT_BASE)
    lines: list[str] = []
    kept = compute(store, YEARS, steps=lambda label, *_: lines.append(label))
    assert any("every patent (the data changed since)" in line
               or "every patent (the store names no data generation" in line
               for line in lines), lines
    written = [line for line in lines if "entries written" in line]
    assert written and all(" kept" in line for line in written), lines
    assert _graph_rows(store, GRAPH) == _full_rows(store, prof)
    assert year_tally.read(store, GRAPH) == year_tally.full(store, GRAPH)
    full = core._compute(store, YEARS, keep_classifications=False)
    assert kept.rows == full.rows and kept.warnings == full.warnings
    base = generations.base(store.path) if store.path is not None else None
    if base is not None:  # the base was brought up to date with the generation
        store.close()
        held = LocalStore(base)
        assert _graph_rows(held, GRAPH) == _full_rows(held, prof)
        assert year_tally.read(held, GRAPH) == year_tally.full(held, GRAPH)
        held.close()


def test_a_timeline_rewritten_keeps_the_entries_that_did_not_change(tmp_path: Path) -> None:
    """Only the entries that changed are removed and written again: one patent lapsed."""
    store = _store(tmp_path)
    patent = sorted(p for p, start, until, _ in _graph_rows(store, GRAPH)
                    if start < "2020-06-01" and (until is None or until > "2020-06-01"))[0]
    store.update(f"INSERT DATA {{ <{patent}> <{HVP.lapseDate}> \"2020-06-01\"^^<{XSD_DATE}> }}")
    removed: list[ox.Quad] = []
    remove = LocalStore.remove

    def counting(self: LocalStore, quads) -> None:  # type: ignore[no-untyped-def]
        quads = list(quads)
        removed.extend(q for q in quads if q.graph_name == ox.NamedNode(GRAPH))
        remove(self, quads)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalStore, "remove", counting)
        compute(store, YEARS)
    assert {q.subject for q in removed if q.subject != ox.NamedNode(GRAPH)} \
        == {ox.NamedNode(patent)}
    assert _graph_rows(store, GRAPH) == _full_rows(store, load("cnipa-2021"))


def test_the_base_behind_the_generation_gets_its_own_comparison(tmp_path: Path) -> None:
    """A base whose timeline differs from the generation's (left incomplete there) is compared
    with the generation's new graph, not given the same changes."""
    store = _store(tmp_path)
    base = generations.base(store.path)
    assert base is not None
    held = LocalStore.__new__(LocalStore)
    held.path, held.writes, held.data_writes, held.staging = base, 0, 0, True
    held.oxigraph = ox.Store(str(base))
    held.update(f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?p <{HVP.domesticFirstOwner}> ?d }} }} ;"
                f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{GRAPH}> <{DCTERMS.created}> ?t }} }}")
    held.flush()
    held.close()
    prof = load("cnipa-2021")
    tl.write_all(store, prof, GRAPH, tl.source_state("cnipa-2021", store))
    expected = _full_rows(store, prof)
    store.close()
    copy = tmp_path / "base-copy"
    shutil.copytree(base, copy)
    reopened = LocalStore(copy)
    assert _graph_rows(reopened, GRAPH) == expected
    assert year_tally.read(reopened, GRAPH) == year_tally.full(reopened, GRAPH)
