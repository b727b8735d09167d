"""Indicators (docs/rules.md §1, §4) through the real pipeline: ingest -> classify -> indicators."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from test_indicators_data import EXPECTED_2020, EXPECTED_2024, load_fixture, write_fixture

from kg import folders, indicators, reference
from kg.cli import cli
from kg.demo import generate
from kg.errors import InputError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

HVP = "https://w3id.org/hvp/def#"
SOURCE = "http://purl.org/dc/terms/source"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    s = LocalStore()
    reference.ensure(s)
    load_fixture(s, tmp_path_factory.mktemp("ind"))
    return s


@pytest.fixture(scope="module")
def result(store: LocalStore) -> indicators.IndicatorSet:
    return indicators.compute(store, [2020, 2024, 2025])


def _by(result: indicators.IndicatorSet, year: int) -> dict[str, indicators.Indicator]:
    return {r.region: r for r in result.rows if r.year == year}


def test_counts_follow_the_rules(result: indicators.IndicatorSet) -> None:
    for year, expected in ((2024, EXPECTED_2024), (2020, EXPECTED_2020)):
        rows = _by(result, year)
        assert {k: v.high_value_count for k, v in rows.items() if v.high_value_count} == expected
        assert rows["CN"].as_of == date(year, 12, 31)


def test_every_region_with_population_gets_a_row(result: indicators.IndicatorSet) -> None:
    rows = _by(result, 2024)
    assert len(rows) == 32  # CN + 31 provinces in the built-in population
    assert rows["CN-SH"].high_value_count == 0 and rows["CN-SH"].per_10k == 0.0
    assert list(rows)[0] == "CN"  # the nation first, then provinces by code
    assert list(rows)[1:] == sorted(list(rows)[1:])


def test_per_10k_is_exactly_count_over_population(result: indicators.IndicatorSet) -> None:
    for row in result.rows:
        assert row.per_10k == row.high_value_count / row.population * 10000


def test_region_without_population_gets_a_warning_not_a_row(
        result: indicators.IndicatorSet) -> None:
    rows = _by(result, 2025)
    assert set(rows) == {"CN"}  # only CN has a 2025 population in the built-in data
    assert rows["CN"].high_value_count == 5
    assert any(w.startswith("CN-GD 2025: 2 high-value patents but no population")
               for w in result.warnings)
    assert any(w.startswith("CN-BJ 2025") for w in result.warnings)
    assert not any(" 2024:" in w for w in result.warnings)
    assert result.warnings_in(2025) == result.warnings and result.warnings_in(2024) == []
    # a scope keeps its own regions' warnings only
    assert result.select("nation").warnings == []
    assert result.select("province").warnings == result.warnings


def test_scopes(result: indicators.IndicatorSet) -> None:
    assert {r.region for r in result.select("nation").rows} == {"CN"}
    province = result.select("province").rows
    assert province and all(r.region != "CN" for r in province)
    assert len(result.select("all").rows) == len(result.rows)
    with pytest.raises(InputError, match="--by"):
        result.select("city")


def test_csv_json_and_ttl_carry_the_same_numbers(result: indicators.IndicatorSet) -> None:
    text = indicators.to_csv(result)
    assert text.splitlines()[0] == "region,year,high_value_count,population,per_10k"
    rows = list(csv.DictReader(io.StringIO(text)))
    doc = json.loads(indicators.to_json(result))
    assert len(rows) == len(doc["rows"]) == len(result.rows)
    for c, j, r in zip(rows, doc["rows"], result.rows, strict=True):
        assert float(c["per_10k"]) == j["per_10k"] == r.per_10k
        assert int(c["high_value_count"]) == j["high_value_count"] == r.high_value_count
        assert c["per_10k"] == indicators.cube.decimal_text(r.per_10k)
    turtle = indicators.cube.to_turtle(result)
    cube = ox.Store()
    cube.load(turtle, ox.RdfFormat.TURTLE)
    found = {(s["area"].value.rpartition("/")[2], int(s["period"].value[-4:])):
             (int(s["n"].value), int(s["pop"].value), s["v"].value) for s in cube.query(
        f"SELECT ?area ?period ?n ?pop ?v {{ ?o <{HVP}highValueCount> ?n ; <{HVP}population> "
        f"?pop ; <{HVP}per10k> ?v ; <http://purl.org/linked-data/sdmx/2009/dimension#refArea> "
        "?area ; <http://purl.org/linked-data/sdmx/2009/dimension#refPeriod> ?period }")}
    for r in result.rows:
        n, pop, value = found[(r.region, r.year)]
        assert (n, pop) == (r.high_value_count, r.population)
        assert float(value) == r.per_10k
    written = {t.object.value for t in ox.parse(turtle, format=ox.RdfFormat.TURTLE)
               if t.predicate.value == f"{HVP}per10k"}  # the store canonicalizes decimals
    assert written == {c["per_10k"] for c in rows}


def test_significant_digits(result: indicators.IndicatorSet) -> None:
    gd = _by(result, 2024)["CN-GD"]
    digits = repr(gd.per_10k).replace(".", "").replace("e-", "").lstrip("0")
    assert len(digits) >= 6


@pytest.mark.parametrize(("value", "text"), [
    (20.0, "20.0000"), (0.0, "0.000000"), (14.2, "14.2000"), (1 / 3, "0.3333333333333333"),
    (2 / 1_408_280_000 * 10_000, "0.000014201721248615331"), (1e-05, "0.0000100000"),
    (123456.0, "123456.0"), (1234567.0, "1234567.0")])
def test_per_10k_text_is_plain_decimal_with_six_significant_digits(value: float, text: str
                                                                  ) -> None:
    written = indicators.cube.decimal_text(value)
    assert written == text
    assert float(written) == value


def test_user_population_overrides_the_built_in_figure(tmp_path: Path) -> None:
    store = LocalStore()
    reference.ensure(store)
    folder = write_fixture(tmp_path / "data")
    (folder / "population.csv").write_text("region,year,population,source\n"
                                           "CN-GD,2024,1000,GD statistics bureau test\n"
                                           "CN-BJ,2024,4000,\n", encoding="utf-8")
    ingest(store, [folder], base=DEFAULT_BASE)
    gd_iri = ox.NamedNode(f"{DEFAULT_BASE}population/CN-GD/2024")
    figures = [q.object.value for q in store.quads(gd_iri, ox.NamedNode(f"{HVP}population"))]
    assert figures == ["1000"]  # replaced, not added
    rows = _by(indicators.compute(store, [2024]), 2024)
    assert rows["CN-GD"].population == 1000
    assert rows["CN-GD"].per_10k == 2 / 1000 * 10000 == 20.0
    assert rows["CN-GD"].population_reference == "GD statistics bureau test"
    assert rows["CN-BJ"].population_reference == "user-supplied file"  # empty cell: named
    assert rows["CN-SH"].population_reference
    # every population observation names its source
    missing = store.select(
        f"SELECT ?o WHERE {{ ?o a <{HVP}PopulationObservation> "
        f"FILTER NOT EXISTS {{ ?o <{SOURCE}> ?s }} }}")
    assert missing == []


def test_parse_years() -> None:
    assert indicators.parse_years("2020-2024") == [2020, 2021, 2022, 2023, 2024]
    assert indicators.parse_years("2024") == [2024]
    for bad in ("2024-2020", "20x0", "2020-", "1066"):
        with pytest.raises(InputError, match="years"):
            indicators.parse_years(bad)


# --- command line --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("cli")
    path = str(tmp / "store")
    folder = write_fixture(tmp / "data")
    result = CliRunner().invoke(cli, ["--store", path, "ingest", "-q", str(folder)])
    assert result.exit_code == 0, result.output
    return path


def _run(store: str, *args: str) -> object:
    return CliRunner().invoke(cli, ["--store", store, *args], catch_exceptions=False)


def test_compute_reports_its_progress_year_by_year(store: LocalStore) -> None:
    calls: list[tuple[int, int]] = []
    indicators.compute(store, [2023, 2024], progress=lambda *call: calls.append(call))
    assert calls == [(0, 2), (1, 2), (2, 2)]


def test_cli_csv(disk_store: str) -> None:
    out = _run(disk_store, "indicators", "--year", "2024")
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0] == "region,year,high_value_count,population,per_10k"
    assert lines[1].startswith("CN,2024,5,")
    assert len(lines) == 33


def test_cli_scopes_formats_and_warnings(disk_store: str, tmp_path: Path) -> None:
    out = _run(disk_store, "indicators", "--years", "2024-2025", "--by", "nation",
               "--format", "json")
    doc = json.loads(out.stdout)
    assert [(r["region"], r["year"]) for r in doc["rows"]] == [("CN", 2024), ("CN", 2025)]
    assert "warning" not in out.stderr  # a province's, not asked for (issue 17)
    out = _run(disk_store, "indicators", "--years", "2024-2025", "--by", "province",
               "--format", "json")
    assert "CN-GD 2025" in out.stderr and "warning" in out.stderr
    target = tmp_path / "cube.ttl"
    out = _run(disk_store, "indicators", "--year", "2024", "--by", "province", "--format",
               "ttl", "--output", str(target))
    assert out.exit_code == 0
    g = ox.Store()
    g.load(target.read_bytes(), ox.RdfFormat.TURTLE)
    assert len(list(g.quads_for_pattern(None, ox.NamedNode(f"{HVP}per10k"), None))) == 31


def test_cli_materializes_the_cube_graph(disk_store: str) -> None:
    _run(disk_store, "indicators", "--year", "2024")
    store = LocalStore(disk_store, read_only=True)
    graph = ox.NamedNode(f"{DEFAULT_BASE}graph/indicators/cnipa-2021")
    obs = ox.NamedNode(f"{DEFAULT_BASE}observation/cnipa-2021/CN-GD/2024")
    assert any(store.quads(obs, None, None, graph))


@pytest.mark.parametrize("args, message", [
    (("--years", "2024-2020"), "FIRST <= LAST"),
    (("--years", "twenty"), "--years must be"),
    ((), "exactly one of --year"),
    (("--year", "2024", "--years", "2020-2024"), "exactly one of --year"),
])
def test_cli_bad_years_exit_2(disk_store: str, args: tuple[str, ...], message: str) -> None:
    out = _run(disk_store, "indicators", *args)
    assert out.exit_code == 2
    assert message in out.stderr


def test_another_profile_by_name_and_by_file(store: LocalStore) -> None:
    four = indicators.compute(store, [2024], profile="cnipa-2026-four")
    assert four.profile == "cnipa-2026-four"
    assert _by(four, 2024)["CN"].high_value_count == 4  # P8 only met the pledge criterion
    path = Path(folders.SHAPES / "profiles" / "cnipa-2026-four.ttl")
    assert _by(indicators.compute(store, [2024], profile=str(path)), 2024)["CN"] \
        .high_value_count == 4
    graph = indicators.cube.materialize(store, four)
    assert graph.value == f"{DEFAULT_BASE}graph/indicators/cnipa-2026-four"
    with pytest.raises(InputError, match="unknown profile"):
        indicators.compute(store, [2024], profile="no-such-profile")


def test_counting_without_keeping_classifications_gives_the_same_rows(
        result: indicators.IndicatorSet, tmp_path: Path) -> None:
    """keep_classifications=False counts the rows of an unwritten classification in Python;
    the default counts the materialized graph with counts.rq. Same rule, same numbers, and
    nothing is written."""
    fresh = LocalStore()
    reference.ensure(fresh)
    load_fixture(fresh, tmp_path)
    before = len(fresh)
    lean = indicators.compute(fresh, [2020, 2024, 2025], keep_classifications=False)
    assert len(fresh) == before
    assert lean.rows == result.rows and lean.warnings == result.warnings


def test_counting_without_keeping_agrees_on_demo_data(tmp_path: Path) -> None:
    demo_store = LocalStore()
    reference.ensure(demo_store)
    generate(tmp_path / "demo", patents=3_000, seed=11)
    ingest(demo_store, [tmp_path / "demo"], base=DEFAULT_BASE)
    lean = indicators.compute(demo_store, [2022, 2024], keep_classifications=False)
    kept = indicators.compute(demo_store, [2022, 2024])
    assert lean.rows == kept.rows and sum(r.high_value_count for r in kept.rows) > 0
