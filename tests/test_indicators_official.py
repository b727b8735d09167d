"""The official national series as a test: demo -> ingest -> classify -> indicators.

Official values (docs/rules.md §1; kg.official, from kg/data/reference/official-series.csv):
high-value invention patents per 10,000 people, 2020-2024. The demo data (kg.demo, default scale)
is calibrated to them; the pipeline must reproduce them within ±0.1, and every region must agree
exactly with the independent pure-Python evaluator tests/oracle.py.
"""

from __future__ import annotations

from pathlib import Path

import oracle
import pytest

from kg import indicators, official, reference
from kg.demo import YEARS, generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

pytestmark = pytest.mark.slow

OFFICIAL = {year: official.per_10k()[year] for year in YEARS}  # the years the demo calibrates


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, indicators.IndicatorSet]:
    folder = tmp_path_factory.mktemp("demo") / "data"
    generate(folder)
    store = LocalStore()
    reference.ensure(store)
    ingest(store, [folder], base=DEFAULT_BASE)
    return folder, indicators.compute(store, sorted(OFFICIAL))


def test_national_series_matches_the_official_values(
        demo: tuple[Path, indicators.IndicatorSet]) -> None:
    national = {r.year: r.per_10k for r in demo[1].select("nation").rows}
    assert set(national) == set(OFFICIAL)
    for year, published in OFFICIAL.items():
        assert abs(national[year] - published) <= 0.1, (year, national[year], published)


def test_every_region_agrees_with_the_oracle(
        demo: tuple[Path, indicators.IndicatorSet]) -> None:
    folder, result = demo
    data = oracle.load_folder(folder)
    concordance = oracle.load_concordance()
    for year in OFFICIAL:
        expected = oracle.indicators(data, year, concordance)
        got = {r.region: r.per_10k for r in result.rows if r.year == year}
        assert got == expected, year
    assert not result.warnings
