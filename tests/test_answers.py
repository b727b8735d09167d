"""Canned-query answers kept beside an on-disk store for its data (kg.answers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import answers, canned, generations, reference
from kg.classify.materialize import Loader
from kg.errors import InputError, StoreInUse
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

SMALL = Path(__file__).resolve().parent / "data" / "small"


@pytest.fixture()
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "st")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    return store


def _kept(store: LocalStore) -> list[str]:
    folder = generations.answers(store.path)
    return sorted(p.name for p in folder.iterdir()) if folder and folder.is_dir() else []


def test_an_answer_is_kept_and_read_back_the_same(store: LocalStore) -> None:
    memory = LocalStore()
    reference.ensure(memory, DEFAULT_BASE)
    ingest(memory, [SMALL], base=DEFAULT_BASE)
    first = canned.run(store, "criteria-count", {"date": "2024-12-31"})
    assert len(_kept(store)) == 1
    again = canned.run(store, "criteria-count", {"date": "2024-12-31"})
    assert again.to_csv() == first.to_csv() == canned.run(
        memory, "criteria-count", {"date": "2024-12-31"}).to_csv()
    assert again.to_json() == first.to_json()
    canned.run(store, "criteria-count", {"date": "2023-12-31"})  # other parameters: another
    assert len(_kept(store)) == 2


def test_new_data_is_never_answered_from_the_old(store: LocalStore, tmp_path: Path) -> None:
    before = canned.run(store, "top-owners", {"date": "2024-12-31"}).to_csv()
    assert _kept(store)
    delta = tmp_path / "delta"
    delta.mkdir()
    header, *rows = (SMALL / "patents.csv").read_text(encoding="utf-8").splitlines()
    (delta / "patents.csv").write_text("\n".join(
        [header, *(r.replace(",,", ",2019-01-01,", 1) if r.startswith("CN-T01,") else r
                   for r in rows if r.startswith("CN-T01,"))]) + "\n", encoding="utf-8")
    ingest(store, [delta], base=DEFAULT_BASE)  # CN-T01 lapses in 2019
    assert _kept(store) == []
    after = canned.run(store, "top-owners", {"date": "2024-12-31"}).to_csv()
    assert after != before
    store.update('INSERT DATA { <https://example.org/x> <https://example.org/p> "x" }')
    assert _kept(store) == []  # data written outside an ingest: answers forgotten


def test_the_oldest_answers_go_beyond_the_most_kept(store: LocalStore) -> None:
    from kg import answers

    for year in (2020, 2021, 2022):
        canned.run(store, "criteria-count", {"date": f"{year}-12-31"})
    folder = generations.answers(store.path)
    assert folder is not None
    answers._prune(folder, most=2)
    assert len(_kept(store)) == 2


def test_bad_parameters_are_refused_even_with_an_answer_kept(store: LocalStore) -> None:
    canned.run(store, "region-series", {"region": "CN-GD"})
    with pytest.raises(InputError, match="no region"):
        canned.run(store, "region-series", {"region": "CN-XX"})


def test_indicators_are_kept_and_read_back_the_same(store: LocalStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.indicators import compute, core

    first = compute(store, [2023, 2024])
    assert any(name.startswith("indicators-") for name in _kept(store))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("computed again")

    monkeypatch.setattr(core, "_compute", never)
    again = compute(store, [2023, 2024])  # read back: the computation is not called
    assert again == first and again.rows and again.rows[0].as_of == first.rows[0].as_of
    monkeypatch.undo()
    memory = LocalStore()
    reference.ensure(memory, DEFAULT_BASE)
    ingest(memory, [SMALL], base=DEFAULT_BASE)
    assert compute(memory, [2023, 2024]) == first  # the same rows and warnings as computed


def test_an_answer_computed_across_a_data_write_is_not_kept(store: LocalStore) -> None:
    """Found by a review: an answer that read the data before a write and was saved after it
    was kept for the new data."""
    from kg import answers

    def make() -> bytes:
        store.update('INSERT DATA { <https://example.org/x> <https://example.org/p> "x" }')
        return b"computed before the write landed"

    answers.kept_bytes(store, "probe.json", make)
    assert "probe.json" not in _kept(store)
    assert answers.kept_bytes(store, "probe.json", lambda: b"now") == b"now"
    assert "probe.json" in _kept(store)


def test_a_derived_graph_rewritten_removes_the_answers(store: LocalStore) -> None:
    """Found by a review: `hvp classify` again (say under an edited profile) left the answers
    read from the graph it replaced."""
    from datetime import date

    from kg.classify import classify

    canned.run(store, "criteria-count", {"date": "2024-12-31"})
    assert _kept(store)
    classify(store, date(2024, 12, 31))
    assert _kept(store) == []
    assert generations.base(store.path) is not None  # a derived write keeps the base


def test_a_read_only_view_reads_kept_answers_and_computes_none(store: LocalStore) -> None:
    """What the web app's page workers and its check for a queued computation rely on: a view
    of the store marked read-only answers what is kept, and raises instead of computing (it may
    be behind the data, or may not write the derived graphs an answer needs)."""
    import copy

    from kg.errors import StoreError

    view = copy.copy(store)
    view.read_only = view.defers_unkept = True
    with pytest.raises(StoreError, match="not kept"):
        canned.run(view, "criteria-count", {"date": "2024-12-31"})
    assert _kept(store) == [] and not [g for g in store.oxigraph.named_graphs()
                                       if "/graph/classification/" in g.value]
    first = canned.run(store, "criteria-count", {"date": "2024-12-31"})
    assert canned.run(view, "criteria-count", {"date": "2024-12-31"}).to_csv() == first.to_csv()


def test_a_command_beside_the_server_computes_an_answer_without_keeping_it(
        store: LocalStore) -> None:
    """A read-only view without ``defers_unkept`` (a command run beside `hvp serve`) computes
    an answer that needs no derived graph, and keeps nothing."""
    import copy

    view = copy.copy(store)
    view.read_only = True
    made = answers.kept_bytes(view, "probe.json", lambda: b"[1]")
    assert made == b"[1]" and _kept(store) == []


def test_a_read_only_view_refused_a_derived_write_keeps_the_answers(store: LocalStore) -> None:
    """Regression: a derived graph replaced through a view open read only beside the store's
    holder (a command beside the server) removed the holder's kept answers before the write
    was refused."""
    canned.run(store, "criteria-count", {"date": "2024-12-31"})
    kept = _kept(store)
    graph = canned.graph_iris(canned.load("criteria-count"), {"date": "2024-12-31"})[0]
    view = LocalStore(store.path, read_only=True)
    with pytest.raises(StoreInUse), Loader(view, graph):
        pass
    assert kept and _kept(store) == kept
