"""The summary pages' queries rewritten for speed at a million patents (decision 76) answer what
they answered before: each new query of ``kg/queries/summary/`` against its earlier text
(``tests/data/queries_before/``) on a calibrated demo, at two dates, for every owner, region
and industry that has patents. A ``GROUP_CONCAT`` has no guaranteed order in SPARQL: the
criteria of an owner's patent compare as sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.canned import QUERY_DIR, load, run
from kg.store import LocalStore
from tests.conftest import demo_in_memory

BEFORE = Path(__file__).resolve().parent / "data" / "queries_before"
DATES = ("2024-12-31", "2016-12-31")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    return demo_in_memory(tmp_path_factory.mktemp("demo") / "demo", 1_500, seed=11)


def _answers(store: LocalStore, name: str, params: dict[str, str]) -> tuple[list, list]:
    """The rows of the query before and now, each row a tuple of its values (the criteria
    column as a set)."""
    found = []
    for query in (load(name, BEFORE), load(name, QUERY_DIR / "summary")):
        result = run(store, query, params)
        found.append([tuple(frozenset((row[c].value if row[c] else "").split(";"))
                            if c == "criteria" else (row[c].value if row[c] else None)
                            for c in result.columns) for row in result.rows])
    return found[0], found[1]


def _iris(store: LocalStore, query: str) -> list[str]:
    return sorted({row["x"].value for row in store.select(query)})


@pytest.mark.slow
def test_owner_patents_answer_as_before(demo_store: LocalStore) -> None:
    owners = _iris(demo_store,
                   "SELECT DISTINCT ?x WHERE { ?p <https://w3id.org/hvp/def#owner> ?x }")
    assert len(owners) > 50
    compared = 0
    for day in DATES:
        for owner in owners[:25]:
            before, now = _answers(demo_store, "owner-patents", {"owner": owner, "date": day})
            assert now == before, (owner, day)
            compared += bool(now)
    assert compared > 12


@pytest.mark.slow
def test_region_criteria_answer_as_before(demo_store: LocalStore) -> None:
    regions = [r.rsplit("/", 1)[-1] for r in _iris(
        demo_store, "SELECT DISTINCT ?x WHERE { ?o <https://w3id.org/hvp/def#region> ?x }")]
    assert len(regions) > 20
    for day in DATES:
        for region in regions:
            before, now = _answers(demo_store, "region-criteria", {"region": region, "date": day})
            assert now == before, (region, day)
            assert any(row[3] == "all" for row in now) == bool(now)


@pytest.mark.slow
def test_industry_regions_answer_as_before(demo_store: LocalStore) -> None:
    industries = _iris(demo_store, "SELECT DISTINCT ?x WHERE { ?x "
                       "<http://www.w3.org/2004/02/skos/core#inScheme> "
                       "<https://w3id.org/hvp/sei/> }")
    assert len(industries) > 5
    found = 0
    for day in DATES:
        for industry in industries[:12]:
            before, now = _answers(demo_store, "industry-regions",
                                   {"industry": industry, "date": day})
            assert now == before, (industry, day)
            found += bool(now)
    assert found > 5


@pytest.mark.slow
def test_owners_named_lists_the_first_hundred_of_before(demo_store: LocalStore) -> None:
    """Bounded (thousands of rows at a million patents): the first 100 rows of its answer."""
    names = [row["n"].value for row in demo_store.select(
        "SELECT ?n WHERE { ?o a <https://w3id.org/hvp/def#Owner> ; "
        "<http://xmlns.com/foaf/0.1/name> ?n }")]
    common = max("科技公司大学研究院有限", key=lambda ch: sum(ch in n for n in names))
    before = run(demo_store, load("owners-named", BEFORE), {"text": common})
    now = run(demo_store, load("owners-named", QUERY_DIR), {"text": common})
    assert len(before.rows) > 100
    assert now.rows == before.rows[:100]
