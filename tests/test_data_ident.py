"""The identity of a store's data (kg.generations.ident), which a timeline says it was computed
from: carried by the web app's writer process's staged writes of derived graphs, changed by any
write of data. Before it, a staging generation named no data, so every page that read the
timeline in the writer process (an owner's summary) computed every patent's interval again:
minutes and more than ``write_memory`` at 1,000,000 patents."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import DEFAULT_BASE, LocalStore, generations, load_profile, staged_beside
from kg.classify import timeline as tl
from kg.ingest import ingest
from kg.reference import ensure as ensure_reference
from tests.test_timeline import write_data

PROFILE = "cnipa-2021"
DATA = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
               ox.Literal("data"), ox.DefaultGraph())


def _current(store: LocalStore) -> bool:
    return tl.current(store, load_profile(PROFILE), PROFILE, DEFAULT_BASE)


def _ensure(store: LocalStore) -> None:
    tl.ensure(store, load_profile(PROFILE), PROFILE, DEFAULT_BASE)


def _state(store: LocalStore) -> str:
    graph = tl.graph_iri(DEFAULT_BASE, load_profile(PROFILE).name)
    return str(tl._node(store, graph))


@pytest.fixture(params=["base", "no base"])
def held(request: pytest.FixtureRequest, tmp_path: Path):
    """An on-disk store with its timeline, held read-write as the web app holds it; with its
    base, or with the base removed (data written outside an ingest once)."""
    folder = tmp_path / "data"
    write_data(folder, seed=3, n=40)
    path = tmp_path / "store"
    store = LocalStore(path)
    ensure_reference(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    if request.param == "no base":
        generations.forget_base(path)
        assert generations.base(path) is None
    _ensure(store)
    store.flush()
    assert _current(store)
    yield path, store
    store.close()


def test_a_staged_write_of_derived_graphs_reads_the_timeline_kept(held):
    path, holder = held
    before = _state(holder)
    with staged_beside(path) as stage:
        assert tl.data_state(stage) == tl.data_state(holder) != ""
        assert _current(stage)  # nothing to compute again in the writer process
        _ensure(stage)
        assert _state(stage) == before
    after = LocalStore(path, read_only=True)
    assert generations.current(path) != holder.path  # a new generation was switched in
    assert _current(after) and _state(after) == before
    after.close()


def test_data_written_outside_a_staged_write_makes_the_timeline_stale(held):
    path, holder = held
    identity = tl.data_state(holder)
    holder.add([DATA])
    assert tl.data_state(holder) not in ("", identity)
    assert not _current(holder)
    _ensure(holder)
    assert _current(holder)


def test_a_staged_write_of_data_has_another_identity(held):
    path, holder = held
    identity = tl.data_state(holder)
    holder.close()
    with staged_beside(path, data=True) as stage:
        stage.add([DATA])
    after = LocalStore(path, read_only=True)
    assert tl.data_state(after) not in ("", identity)
    assert not _current(after)
    after.close()


def test_a_failed_staged_write_leaves_no_identity_behind(held):
    path, holder = held
    with pytest.raises(RuntimeError), staged_beside(path) as stage:
        staged = stage.path
        raise RuntimeError("killed")
    assert staged is not None
    assert not (staged.parent / f"ident-{staged.name.split('-')[1]}").exists()
