"""The patents behind an indicator count (kg.indicators.patents): as many as the count, for
every region and year of a demo; filtered, sorted and paged as asked."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kg import answers, canned, indicators, reference
from kg.errors import InputError
from kg.indicators import patents
from kg.indicators.patents import behind, criterion_counts
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.profiles import load
from kg.store import LocalStore
from tests.conftest import SMALL, copy_of, demo_in_memory

YEARS = [2020, 2021, 2022, 2023, 2024]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    return demo_in_memory(tmp_path_factory.mktemp("demo") / "demo", 3_000, seed=11)


@pytest.mark.slow
def test_every_list_is_as_long_as_its_count(demo_store: LocalStore) -> None:
    profile = load("cnipa-2021")
    result = indicators.compute(demo_store, YEARS)
    assert len({r.region for r in result.rows}) == 32  # the nation and 31 provinces
    for row in result.rows:
        listed = behind(demo_store, date(row.year, 12, 31), profile=profile, region=row.region,
                        limit=0)
        assert listed.total == row.high_value_count, (row.region, row.year)
    by_criterion = criterion_counts(demo_store, date(2024, 12, 31), profile=profile)
    for region, counts in by_criterion.items():
        for key, n in counts.items():
            assert behind(demo_store, date(2024, 12, 31), profile=profile, region=region,
                          criterion=key, limit=0).total == n, (region, key)
    assert by_criterion["CN"]["sei"] > 0
    industries = canned.run(demo_store, canned.load("sei-by-industry"), {})
    assert len(industries.rows) > 3
    for row in industries.rows:  # the canned query's counts by industry, listed
        listed = behind(demo_store, date(2024, 12, 31), profile=profile,
                        industry=row["code"].value, limit=0)  # type: ignore[union-attr]
        assert listed.total == int(row["patents"].value), row["code"]  # type: ignore[union-attr]
    assert sum(r.high_value_count for r in result.rows if r.region != "CN") > 0


def test_a_criterion_lists_the_patents_that_meet_it(small_store: LocalStore) -> None:
    store = copy_of(small_store)
    profile = load("cnipa-2021")
    every = behind(store, date(2024, 12, 31), profile=profile)
    sei = behind(store, date(2024, 12, 31), profile=profile, criterion="sei")
    assert every.total == len(every.rows) > sei.total == len(sei.rows) > 0
    assert all("sei" in r.criteria for r in sei.rows)
    assert {r.patent_id for r in sei.rows} == {r.patent_id for r in every.rows
                                               if "sei" in r.criteria}
    not_high = behind(store, date(2024, 12, 31), profile=profile, high_value=False)
    valid = behind(store, date(2024, 12, 31), profile=profile, high_value=None)
    assert valid.total == every.total + not_high.total
    assert all(not r.criteria for r in not_high.rows)


def test_rows_carry_what_a_row_shows(small_store: LocalStore) -> None:
    listed = behind(copy_of(small_store), date(2024, 12, 31), profile=load("cnipa-2021"),
                    region="CN-GD")
    t01 = next(r for r in listed.rows if r.patent_id == "CN-T01")
    assert t01.title == "Neural network accelerator" and t01.filing_date == "2015-03-01"
    assert t01.owner_name == "Shenzhen Example Tech Co." and t01.region == "CN-GD"
    assert t01.criteria and set(t01.criteria) <= {"sei", "overseas", "maintained", "pledge",
                                                   "award"}
    assert all(r.region == "CN-GD" for r in listed.rows)


def test_sorted_and_paged(small_store: LocalStore) -> None:
    store, profile, day = copy_of(small_store), load("cnipa-2021"), date(2024, 12, 31)
    ids = [r.patent_id for r in behind(store, day, profile=profile).rows]
    assert ids == sorted(ids) and len(ids) >= 3
    assert [r.patent_id for r in behind(store, day, profile=profile, descending=True).rows] \
        == ids[::-1]
    titles = [r.title for r in behind(store, day, profile=profile, sort="title").rows]
    assert titles == sorted(titles)
    filed = [r.filing_date for r in behind(store, day, profile=profile, sort="filing",
                                           descending=True).rows]
    assert filed == sorted(filed, reverse=True)
    page = behind(store, day, profile=profile, offset=1, limit=2)
    assert page.total == len(ids) and [r.patent_id for r in page.rows] == ids[1:3]


@pytest.mark.parametrize(("args", "message"), [
    ({"region": "Shaanxi"}, "region must be"), ({"criterion": "fame"}, "criterion must be"),
    ({"sort": "colour"}, "sort must be")])
def test_bad_filters_are_input_errors(small_store: LocalStore, args: dict, message: str
                                      ) -> None:
    with pytest.raises(InputError, match=message):
        behind(copy_of(small_store), date(2024, 12, 31), profile=load("cnipa-2021"), **args)


def test_a_list_reads_the_graph_the_count_reads(small_store: LocalStore, tmp_path: Path
                                                ) -> None:
    store = copy_of(small_store)
    count = {r.region: r.high_value_count
             for r in indicators.compute(store, [2024]).rows}
    for region, n in count.items():
        assert behind(store, date(2024, 12, 31), profile=load("cnipa-2021"),
                      region=region).total == n


@pytest.mark.parametrize("args", [{}, {"region": "CN-GD"}, {"criterion": "sei"},
                                  {"high_value": None, "sort": "title"}])
def test_a_long_list_reads_the_same_rows_in_one_query(small_store: LocalStore, monkeypatch,
                                                      args: dict) -> None:
    """A download's rows come from one query over the list (above BULK rows), a page's
    patent by patent: the same rows."""
    from kg.indicators import patents

    store, profile, day = copy_of(small_store), load("cnipa-2021"), date(2024, 12, 31)
    one_by_one = behind(store, day, profile=profile, **args)
    monkeypatch.setattr(patents, "BULK", 0)
    assert behind(store, day, profile=profile, **args) == one_by_one
    assert one_by_one.rows and any(r.criteria for r in one_by_one.rows)


@pytest.mark.parametrize("args", [{}, {"region": "CN-GD", "high_value": None},
                                  {"criterion": "sei", "sort": "owner"}])
def test_rows_read_from_the_indexes_equal_the_query_of_each_patent(demo_store: LocalStore,
                                                                     args: dict,
                                                                     monkeypatch) -> None:
    """The embedded store's rows are read with quad patterns (no query per patent): the same
    rows as the query each patent had (DETAILS), for every patent of the list, also streamed
    (an owner's name and region read once a list, and again when more owners than kept)."""
    from kg.indicators import patents

    profile, day = load("cnipa-2021"), date(2024, 12, 31)
    found = patents.find(demo_store, day, profile=profile, **args)
    order = {str(c.iri): c.key for c in profile.criteria}
    queried = [patents._listed(demo_store, c, p, found.graph, order) for c, p in found.patents]
    assert patents.page(demo_store, found, profile=profile).rows == queried
    assert list(patents.rows(demo_store, found, profile=profile)) == queried
    assert len(queried) > 100 and any(r.criteria for r in queried) and any(
        r.owner_name for r in queried)
    assert len({r.owner for r in queried}) < len(queried)  # owners with several patents
    monkeypatch.setattr(patents, "OWNERS_KEPT", 3)
    assert list(patents.rows(demo_store, found, profile=profile)) == queried


def test_criterion_counts_are_kept_beside_an_on_disk_store(tmp_path: Path, monkeypatch) -> None:
    """The dashboard's counts by criterion (a GROUP BY over a classification: seconds at a
    million patents) are computed once for the store's data, then read back."""
    from kg.indicators import patents

    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [Path(__file__).resolve().parent / "data" / "small"], base=DEFAULT_BASE)
    profile, day = load("cnipa-2021"), date(2024, 12, 31)
    first = criterion_counts(store, day, profile=profile)
    assert first["CN"] and first == criterion_counts(copy_of(store), day, profile=profile)

    def computed(*args: object) -> None:
        raise AssertionError("computed again")

    monkeypatch.setattr(patents, "_criterion_counts", computed)
    assert criterion_counts(store, day, profile=profile) == first


def test_a_whole_list_read_once_is_kept_and_read_back_the_same(tmp_path: Path,
                                                                monkeypatch) -> None:
    """A download's rows are kept beside an on-disk store: the second reading looks up no
    patent and gives the same rows; a list not read to its end keeps nothing."""
    store = LocalStore(tmp_path / "st")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    profile, day = load("cnipa-2021"), date(2024, 12, 31)
    found = patents.find(store, day, profile=profile, high_value=None)
    partial = patents.rows(store, found, profile=profile)
    next(partial)
    partial.close()
    assert answers.read(store, f"rows-{patents.key(found, profile)}.json") is None
    first = list(patents.rows(store, found, profile=profile))
    assert len(first) > 1 and any(r.criteria for r in first)

    def looked_up(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a patent looked up again")

    monkeypatch.setattr(patents, "_looked_up", looked_up)
    assert list(patents.rows(store, found, profile=profile)) == first
    view = LocalStore(store.path, read_only=True)  # what the holder kept, read beside it
    assert list(patents.rows(view, found, profile=profile)) == first


def test_lists_of_the_same_filters_in_another_order_or_narrower_keep_their_own_rows(
        tmp_path: Path) -> None:
    """The rows kept for a whole list are those of that list: another list of the same region
    and date, sorted otherwise or narrowed by ``met`` or ``criteria`` (filters that the query
    does not bind), read after it gives its own rows in its own order, not the first's."""
    store = LocalStore(tmp_path / "st")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    profile, day = load("cnipa-2021"), date(2024, 12, 31)
    lists = [patents.find(store, day, profile=profile, high_value=None, **args) for args in (
        {}, {"sort": "title", "descending": True}, {"met": "1"}, {"sort": "filing"})]
    assert len({f.patents for f in lists}) == len(lists)  # four different lists
    for found in lists:  # each read to its end: kept
        assert [r.patent for r in patents.rows(store, found, profile=profile)] == \
            [p.value for _, p in found.patents]
    for found in lists:  # read back
        assert [r.patent for r in patents.rows(store, found, profile=profile)] == \
            [p.value for _, p in found.patents]


@pytest.mark.parametrize("args", [{"high_value": None}, {"criterion": "sei", "sort": "-owner"},
                                  {"met": "1+", "sort": "title"}])
def test_a_list_found_once_is_kept_and_found_the_same(tmp_path: Path, monkeypatch,
                                                       args: dict) -> None:
    """The patents of a list found on an on-disk store are kept beside it: found again (the
    web app's page after the writer process found them) they are read back, the same, in the
    same order, and equal to an in-memory store's."""
    store = LocalStore(tmp_path / "st")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    memory = LocalStore()
    reference.ensure(memory, DEFAULT_BASE)
    ingest(memory, [SMALL], base=DEFAULT_BASE)
    profile, day = load("cnipa-2021"), date(2024, 12, 31)
    if args.get("sort", "").startswith("-"):
        args = {**args, "sort": args["sort"][1:], "descending": True}
    first = patents.find(store, day, profile=profile, **args)
    assert first.patents and first == patents.find(memory, day, profile=profile, **args)

    def searched(*a: Any, **k: Any) -> None:
        raise AssertionError("searched again")

    monkeypatch.setattr(patents, "_ordered", searched)
    view = LocalStore(store.path, read_only=True)
    assert patents.find(store, day, profile=profile, **args) == first
    assert patents.find(view, day, profile=profile, **args) == first
