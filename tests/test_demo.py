"""The demo generator: format, determinism, realism, and calibration checked by the oracle."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from kg import official
from kg.demo import _PLAIN_CODES, _SEI_CODES, PROVINCES, YEARS, generate

try:
    from tests import oracle
except ImportError:  # pytest put tests/ itself on sys.path (no tests/__init__.py)
    import oracle  # type: ignore[no-redef]

HEADERS = {
    "patents": ["patent_id", "kind", "title", "filing_date", "grant_date", "lapse_date", "ipc",
                "owners", "family_id"],
    "owners": ["owner_id", "name", "country", "region"],
    "family_members": ["family_id", "publication_number", "office", "granted_date"],
    "pledges": ["pledge_id", "patent_id", "registration_date", "amount_cny"],
    "awards": ["award_id", "patent_id", "award", "year"],
    "population": ["region", "year", "population"],
}
TARGETS = {year: official.per_10k()[year] for year in YEARS}
BIG_FIVE = {"CN-GD", "CN-BJ", "CN-JS", "CN-ZJ", "CN-SH"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out)
    return out


@pytest.fixture(scope="module")
def data(demo: Path) -> oracle.Folder:
    return oracle.load_folder(demo)


@pytest.fixture(scope="module")
def concordance() -> list[tuple[str, str, tuple[str, ...]]]:
    return oracle.load_concordance()


@pytest.fixture(scope="module")
def results(data: oracle.Folder, concordance: list) -> dict[int, dict[str, oracle.Result]]:
    return {y: oracle.classify(data, date(y, 12, 31), concordance) for y in YEARS}


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_same_seed_gives_identical_files(demo: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again")
    generate(tmp_path / "other", seed=1)
    for name in HEADERS:
        assert (tmp_path / "again" / f"{name}.csv").read_bytes() == (
            demo / f"{name}.csv").read_bytes(), name
    assert (tmp_path / "other" / "patents.csv").read_bytes() != (
        demo / "patents.csv").read_bytes()


def test_headers_and_parsing(demo: Path) -> None:
    for name, header in HEADERS.items():
        with (demo / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == header, name
        assert all(len(r) == len(header) for r in rows[1:]), name
    patents = _rows(demo, "patents")
    assert 20_000 <= len(patents) <= 60_000
    assert len({p["patent_id"] for p in patents}) == len(patents)
    owners = {o["owner_id"] for o in _rows(demo, "owners")}
    for p in patents:
        assert p["kind"] in ("invention", "utility_model", "design")
        assert set(p["owners"].split(";")) <= owners
        filing = date.fromisoformat(p["filing_date"])
        if p["grant_date"]:
            assert filing < date.fromisoformat(p["grant_date"]) <= date(2024, 12, 31)
        if p["lapse_date"]:
            assert p["grant_date"] < p["lapse_date"]


def test_national_indicator_is_calibrated(data: oracle.Folder, concordance: list) -> None:
    values = {y: oracle.national_indicator(data, y, concordance) for y in YEARS}
    print("oracle national indicator:", {y: round(v, 4) for y, v in values.items()})
    for year, want in TARGETS.items():
        assert abs(values[year] - want) <= 0.1, (year, values[year])
        assert abs(values[year] - want) <= 0.03, (year, values[year])


def test_summary_matches_oracle(tmp_path: Path, concordance: list) -> None:
    seen: list[tuple[int, int]] = []
    summary = generate(tmp_path, patents=5_000, seed=7,
                       progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 5_000) and seen[-1] == (5_000, 5_000)  # the bar starts and ends
    assert all(done < total for done, total in seen[:-1])
    data = oracle.load_folder(tmp_path)
    assert summary.rows["patents"] == len(data.patents) == 5_000
    for year in YEARS:
        counts = oracle.high_value_counts(oracle.classify(data, date(year, 12, 31), concordance))
        assert counts["CN"] == summary.high_value[year]
        assert abs(summary.indicator[year] - TARGETS[year]) <= 0.1


def test_valid_stock_follows_official_series(results: dict, data: oracle.Folder) -> None:
    # domestic valid invention patents and NBS population, both in 万
    official = {2020: (221.3, 141_212), 2021: (270.4, 141_260), 2022: (328.0, 141_175),
                2023: (401.5, 140_967), 2024: (475.6, 140_828)}
    for year, res in results.items():
        valid = sum(r.valid and r.domestic for r in res.values())
        stock, population = official[year]
        scaled = valid * population / data.population[("CN", year)]  # back to real 万
        assert abs(scaled - stock) / stock < 0.01, (year, scaled)


def test_sei_share_is_about_70_percent(results: dict) -> None:
    res = results[2024]
    high = [r for r in res.values() if r.valid and r.domestic and r.high_value]
    share = sum("sei" in r.criteria for r in high) / len(high)
    assert 0.6 <= share <= 0.8, share
    for criterion in oracle.CRITERIA:
        assert any(criterion in r.criteria for r in high), criterion


def test_demo_codes_agree_with_the_concordance(concordance: list) -> None:
    for code, _, _ in _SEI_CODES:
        assert oracle.sei_codes([code], concordance), code
        assert oracle.sei_codes([code], oracle.MINIMAL_CONCORDANCE), code
    for code, _, _ in _PLAIN_CODES:
        assert not oracle.sei_codes([code], concordance), code
        assert not oracle.sei_codes([code], oracle.MINIMAL_CONCORDANCE), code


def test_provinces(demo: Path, data: oracle.Folder, results: dict) -> None:
    codes = {p[0] for p in PROVINCES}
    assert len(codes) == 31
    counts = oracle.high_value_counts(results[2024])
    assert codes <= set(counts), codes - set(counts)
    top5 = {r for r, _ in Counter({k: v for k, v in counts.items() if k != "CN"}).most_common(5)}
    assert top5 == BIG_FIVE
    pop = {(r["region"], int(r["year"])) for r in _rows(demo, "population")}
    assert pop == {(r, y) for r in codes | {"CN"} for y in YEARS} | {("CN", YEARS[-1] + 1)}


def test_realism(demo: Path, data: oracle.Folder, results: dict) -> None:
    owners = _rows(demo, "owners")
    countries = {o["country"] for o in owners}
    assert {"US", "JP", "DE", "KR", "HK", "TW"} <= countries
    assert {"CN-HK", "CN-MO", "CN-TW"} <= {o["region"] for o in owners}
    assert any(o["country"] == "CN" and not o["region"] for o in owners)
    patents = data.patents
    assert {"utility_model", "design"} <= {p["kind"] for p in patents}
    assert any(p["lapse_date"] for p in patents)
    assert any(not p["grant_date"] for p in patents)
    assert any(";" in p["owners"] for p in patents)
    assert any(" " in p["ipc"] for p in patents)
    members = _rows(demo, "family_members")
    assert any(m["office"] == "WO" for m in members)
    assert all(not m["granted_date"] for m in members if m["office"] == "WO")
    assert any(m["office"] not in ("CN", "WO") and not m["granted_date"] for m in members)
    amounts = [float(p["amount_cny"]) for p in _rows(demo, "pledges")]
    assert min(amounts) < oracle.PLEDGE_THRESHOLD <= max(amounts)
    assert oracle.PLEDGE_THRESHOLD in amounts
    assert {a["award"] for a in _rows(demo, "awards")} <= oracle.AWARDS
    res = results[2024]
    assert any(r.valid and not r.domestic for r in res.values())
    for p in patents:
        if p["kind"] != "invention":
            assert p["patent_id"] not in res


def test_oracle_edge_rules() -> None:
    assert not oracle.maintained_over_10_years(date(2014, 12, 31), date(2024, 12, 31))
    assert oracle.maintained_over_10_years(date(2014, 12, 30), date(2024, 12, 31))
    assert not oracle.maintained_over_10_years(date(2008, 2, 29), date(2018, 2, 28))
    assert oracle.maintained_over_10_years(date(2008, 2, 29), date(2018, 3, 1))
    assert oracle.term_not_ended(date(2004, 12, 31), date(2024, 12, 30))
    assert not oracle.term_not_ended(date(2004, 12, 31), date(2024, 12, 31))
    assert oracle.term_not_ended(date(2080, 2, 29), date(2100, 2, 28))
    assert not oracle.term_not_ended(date(2080, 2, 29), date(2100, 3, 1))
    assert oracle.pattern_matches("G06N3/*", "G06N 3/04")
    assert not oracle.pattern_matches("G06N3/*", "G06N30/00")
    assert oracle.pattern_matches("A01B*", "a01b1/00")
    assert not oracle.pattern_matches("G06F9/44", "G06F9/445")
    assert oracle.sei_codes(["A61K31/00"], oracle.MINIMAL_CONCORDANCE) == {"4.1"}
    assert not oracle.sei_codes(["A61K8/02"], oracle.MINIMAL_CONCORDANCE)
