"""kg.staged_beside: a staged write made by a process that does not hold the store (the web
app's writer process), beside the holder's read-write handle."""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import LocalStore, generations, recover_store, staged_beside
from tests.conftest import _load

GRAPH = ox.NamedNode("https://w3id.org/hvp/graph/classification/test/2020-12-31")
QUAD = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
               ox.Literal("o"), GRAPH)
DATA = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
               ox.Literal("data"), ox.DefaultGraph())


@pytest.fixture()
def held(tmp_path: Path):
    """A store of the generations layout with a base, a kept answer and a text index, held
    open read-write as the web app holds it."""
    path = tmp_path / "store"
    _load(LocalStore(path)).flush()
    home = generations.home(path)
    answers = generations.answers(path)
    assert answers is not None and generations.base(path) is not None
    answers.mkdir(exist_ok=True)
    (answers / "kept.srj").write_text("answer")
    generations.search(path).write_text("index")  # type: ignore[union-attr]
    holder = LocalStore(path)
    yield path, home, holder
    del holder


def _quads(path: Path) -> set[ox.Quad]:
    """What the store at ``path`` holds, read beside its holder (whose compactions may remove
    files while a read-only view opens: LocalStore's view tries again)."""
    view = LocalStore(path, read_only=True)
    return set(view.oxigraph.quads_for_pattern(None, None, None, None))


def test_a_derived_write_beside_the_holder_keeps_base_answers_and_index(held):
    path, home, holder = held
    before = generations.current(path)
    with staged_beside(path) as stage:
        stage.add([QUAD])
    after = generations.current(path)
    assert after is not None and after != before
    assert QUAD in _quads(path)
    assert (generations.answers(path) / "kept.srj").read_text() == "answer"  # type: ignore[operator]
    assert generations.search(path).read_text() == "index"  # type: ignore[union-attr]
    base = generations.base(path)
    assert base is not None and QUAD not in _quads(base)
    assert before is not None and before.is_dir()  # the holder still reads it
    recover_store(path)  # what the holder runs when it opens the new generation
    assert before.is_dir() and len(holder) > 0  # not removed under its reader
    holder.close()  # its last reader lets go: it goes
    assert not before.exists() and not (home / f"lease-{before.name.split('-')[1]}").exists()


def test_a_data_write_beside_the_holder_makes_a_new_base_and_keeps_no_answer(held):
    path, home, holder = held
    with staged_beside(path, data=True) as stage:
        stage.add([DATA])
    assert DATA in _quads(path)
    base = generations.base(path)
    assert base is not None and DATA in _quads(base)
    answers = generations.answers(path)
    assert answers is None or not (answers / "kept.srj").exists()


def test_a_failed_write_beside_the_holder_leaves_the_store_and_nothing_else(held):
    path, home, holder = held
    before, quads, entries = generations.current(path), _quads(path), sorted(os.listdir(home))
    with pytest.raises(RuntimeError), staged_beside(path) as stage:
        stage.add([QUAD])
        raise RuntimeError("killed")
    assert generations.current(path) == before
    assert _quads(path) == quads
    recover_store(path)
    assert sorted(os.listdir(home)) == entries


def test_a_reader_keeps_its_generation_until_it_lets_go(held):
    """What the web app does after its writer process switched a generation in: it opens the
    new one (recovering the store) while a request thread, a page worker or a command beside
    the server still reads the old one; the old one stays until its last reader lets go."""
    path, home, holder = held
    first = generations.current(path)
    reader = LocalStore(path, read_only=True)  # a page worker's view, mid-query
    copy_of_holder = holder
    with staged_beside(path) as stage:
        stage.add([QUAD])
    holder = LocalStore(path)  # the app opens the new generation: recovers the store
    second = generations.current(path)
    with staged_beside(path, data=True) as stage:
        stage.add([DATA])
    holder = LocalStore(path)
    assert first is not None and second is not None and first != second
    assert first.is_dir()  # still read
    assert not second.exists()  # its one reader, the app's handle, moved on to the third
    assert len(reader) > 0 and len(copy_of_holder) > 0
    assert QUAD not in set(reader.oxigraph.quads_for_pattern(None, None, None, None))
    reader.close()
    assert first.is_dir()  # the app's old handle still reads it
    copy_of_holder.close()
    assert not first.exists()
    assert DATA in _quads(path) and len(holder) > 0
    assert sorted(p.name for p in home.iterdir() if p.name.startswith(("gen-", "lease-"))) \
        == sorted([generations.current(path).name,  # type: ignore[union-attr]
                   f"lease-{generations.current(path).name.split('-')[1]}"])  # type: ignore[union-attr]
