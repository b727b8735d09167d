"""The timelines' year tallies (kg.classify.year_tally) and the timelines kept in the store's base.

A delta reaches few patents, so the indicators after it read the tally the delta kept up to
date instead of counting every patent, and the ingest finds the timeline in the base it starts
from instead of copying it. Checked against a full run (every interval computed and counted,
nothing kept) on an on-disk store, with deltas aimed at what changes a count: a patent moved to
another region, an owner moved, a lapse, a new award, in years at both ends of the range.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import generations, reference
from kg.classify import timeline as tl
from kg.classify import year_tally
from kg.indicators import compute, core
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE, mint
from kg.store import LocalStore
from kg.vocab import HVP
from tests.test_timeline import write_data

YEARS = [2020, 2021, 2022, 2023, 2024]
GRAPH = tl.graph_iri(DEFAULT_BASE, "cnipa-2021")


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(out: Path, name: str, rows: list[dict[str, str]], header: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _entries(store: LocalStore, graph: str = GRAPH) -> dict[str, year_tally.Entry]:
    patents = [r["p"].value for r in store.select(
        f"SELECT ?p WHERE {{ GRAPH <{graph}> {{ ?p <{HVP.highValueFrom}> ?f }} }}")]
    return {entry[0]: entry for entry in year_tally.entries(store, graph, patents)}


def _counted(entry: year_tally.Entry, year: int) -> bool:
    _, start, until, domestic = entry
    return domestic and int(start[:4]) <= year < (int(until[:4]) if until else 9999)


def _full(store: LocalStore) -> list:
    return core._compute(store, YEARS, keep_classifications=False).rows


def _region_of(store: LocalStore, patent: str) -> set[str]:
    return year_tally.regions(store, [patent]).get(patent, set())


@pytest.fixture
def kept(tmp_path: Path) -> tuple[LocalStore, Path]:
    folder = tmp_path / "data"
    write_data(folder, seed=5, n=120)
    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [folder], base=DEFAULT_BASE)
    compute(store, YEARS)
    return store, folder


def _ingest_aimed_delta(store: LocalStore, folder: Path, delta: Path) -> None:
    """Write the aimed delta into ``delta`` and ingest it."""
    _aimed_delta(store, folder, delta)
    ingest(store, [delta], base=DEFAULT_BASE)


def _aimed_delta(store: LocalStore, folder: Path, out: Path) -> dict[str, str]:
    """A delta that moves a patent counted in 2020 from CN-GD to CN-BJ (another first owner),
    lapses one counted in 2024 on 2024-06-30, gives an award of 2020 to a granted invention
    that is not high-value in 2020, and moves the owner of CN-BJ to CN-SH. Returns what it
    aimed at."""
    entries = _entries(store)
    gd = mint(DEFAULT_BASE, "region", "CN-GD")
    patents = {mint(DEFAULT_BASE, "patent", r["patent_id"]): r for r in _rows(folder, "patents")}
    moved = next(p for p, e in sorted(entries.items())
                 if _counted(e, 2020) and _region_of(store, p) == {gd})
    lapsed = next(p for p, e in sorted(entries.items())
                  if _counted(e, 2024) and p != moved)
    awarded = next(p for p, r in sorted(patents.items())
                   if r["kind"] == "invention" and r["grant_date"] and r["grant_date"] < "2019"
                   and not r["lapse_date"] and not (p in entries and _counted(entries[p], 2020))
                   and p not in (moved, lapsed))
    rows = [dict(patents[moved], owners="OBJ"),
            dict(patents[lapsed], lapse_date="2024-06-30")]
    _write(out, "patents", rows, list(rows[0]))
    row = {"award_id": "AIMED-AW", "patent_id": patents[awarded]["patent_id"],
           "award": "china-patent-gold", "year": "2020"}
    _write(out, "awards", [row], list(row))
    row = {"owner_id": "OBJ", "name": "Owner OBJ", "country": "CN", "region": "CN-SH"}
    _write(out, "owners", [row], list(row))
    return {"moved": moved, "lapsed": lapsed, "awarded": awarded}


def _base(store: LocalStore) -> LocalStore:
    assert store.path is not None
    found = generations.base(store.path)
    assert found is not None
    return LocalStore(found, read_only=True)


@pytest.mark.slow
def test_an_aimed_delta_counts_as_a_full_run_and_copies_no_timeline(
        kept: tuple[LocalStore, Path], tmp_path: Path) -> None:
    store, folder = kept
    before = {(r.region, r.year): r.high_value_count for r in compute(store, YEARS).rows}
    aimed = _aimed_delta(store, folder, tmp_path / "delta")
    labels: list[str] = []
    ingest(store, [tmp_path / "delta"], base=DEFAULT_BASE,
           progress=lambda label, *_: labels.append(label))
    assert not any("copying" in label for label in labels), labels  # the base kept it
    assert set(aimed.values()) <= set(tl.stale(store, GRAPH))
    base = _base(store)
    assert tl.stale(base, GRAPH) == tl.stale(store, GRAPH)  # the base holds the marks too
    del base
    lines: list[str] = []
    result = compute(store, YEARS, steps=lambda label, *_: lines.append(label))
    assert any("patents the data changed" in line for line in lines)
    assert not any("every patent" in line for line in lines), lines
    assert result.rows == _full(store)
    after = {(r.region, r.year): r.high_value_count for r in result.rows}
    assert after != before
    assert after["CN-SH", 2020] > before.get(("CN-SH", 2020), 0)  # the owner moved there
    assert after["CN-BJ", 2020] == 0  # its patents moved with it, the moved one too
    # the tally kept equals the tally counted again, and the base is as up to date
    assert year_tally.read(store, GRAPH) == year_tally.full(store, GRAPH)
    base = _base(store)
    assert not tl.stale(base, GRAPH)
    assert year_tally.read(base, GRAPH) == year_tally.read(store, GRAPH)
    assert _entries(base) == _entries(store)


@pytest.mark.slow
def test_two_deltas_before_the_indicators_count_each_patent_once(
        kept: tuple[LocalStore, Path], tmp_path: Path) -> None:
    store, folder = kept
    _ingest_aimed_delta(store, folder, tmp_path / "one")
    patents = _rows(folder, "patents")
    again = [dict(r, lapse_date="2021-03-01") for r in patents
             if r["kind"] == "invention" and r["grant_date"] and r["grant_date"] < "2020"
             and not r["lapse_date"]][:5]
    _write(tmp_path / "two", "patents", again, list(patents[0]))
    ingest(store, [tmp_path / "two"], base=DEFAULT_BASE)
    assert compute(store, YEARS).rows == _full(store)
    assert year_tally.read(store, GRAPH) == year_tally.full(store, GRAPH)


@pytest.mark.slow
def test_a_base_held_by_another_writer_stays_behind_and_stays_right(
        kept: tuple[LocalStore, Path], tmp_path: Path) -> None:
    store, folder = kept
    _ingest_aimed_delta(store, folder, tmp_path / "one")
    marked = tl.stale(store, GRAPH)
    assert store.path is not None
    with generations.locked(store.path) as mine:  # as a staged write of another process
        assert mine
        assert compute(store, YEARS).rows == _full(store)
    base = _base(store)
    assert tl.stale(base, GRAPH) == marked  # not brought up to date: its marks stay
    del base
    patents = _rows(folder, "patents")
    row = next(r for r in patents if r["kind"] == "invention" and r["grant_date"]
               and not r["lapse_date"])
    _write(tmp_path / "two", "patents", [dict(row, owners="OCN")], list(row))
    ingest(store, [tmp_path / "two"], base=DEFAULT_BASE)
    assert set(marked) <= set(tl.stale(store, GRAPH))  # computed again with the new ones
    assert compute(store, YEARS).rows == _full(store)
    assert year_tally.read(store, GRAPH) == year_tally.full(store, GRAPH)


def test_the_tally_steps_at_the_years_of_from_and_until() -> None:
    entries: list[year_tally.Entry] = [
        ("p1", "2019-12-31", "2023-12-31", True),  # counted 2019-2022
        ("p2", "2021-01-01", None, True),  # from 2021 on
        ("p3", "2020-06-30", "2020-11-01", True),  # never at a year's end
        ("p4", "2018-01-01", None, False)]  # not domestic: never
    counted = year_tally.changed({}, entries, {"p1": {"R"}, "p2": {"R", "S"}}, 1)
    assert year_tally.counts(counted, [2018, 2019, 2020, 2021, 2023]) == {
        2018: {}, 2019: {"": 1, "R": 1}, 2020: {"": 1, "R": 1},
        2021: {"": 2, "R": 2, "S": 1}, 2023: {"": 1, "R": 1, "S": 1}}
    assert year_tally.changed(counted, entries, {"p1": {"R"}, "p2": {"R", "S"}}, -1) == {}
    assert year_tally.read(LocalStore(), GRAPH) is None
    store = LocalStore()
    node = ox.NamedNode(GRAPH)
    store.add([ox.Quad(node, year_tally.TALLY, year_tally.literal(counted), node)])
    assert year_tally.read(store, GRAPH) == counted

