"""The official national series of the indicator, as CNIPA and NBS publish it.

One definition, read from ``kg/data/reference/official-series.csv`` (each row names its source;
``kg/data/reference/official-indicator.md`` has the full notes): the published value per 10,000
people, the domestic high-value and valid invention patent counts. The year-end national
population beside them is NBS's, the ``CN`` rows of ``kg/data/population.csv`` (the denominators
that reproduce the published values); :func:`population` gives every row of that file. The
dashboard shows the values beside the computed ones, the demo data is calibrated to them and the
tests compare the pipeline with them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SERIES = DATA / "reference" / "official-series.csv"
POPULATION = DATA / "population.csv"


@dataclass(frozen=True)
class OfficialYear:
    """One year-end of the official series."""

    year: int
    per_10k: float
    high_value_count: int
    valid_invention_count: int
    population: int  # persons, NBS year-end national population
    source: str


@cache
def series() -> dict[int, OfficialYear]:
    """Every published year, by year (read once)."""
    population = national_population()
    with SERIES.open(encoding="utf-8", newline="") as f:
        return {int(r["year"]): OfficialYear(
            int(r["year"]), float(r["per_10k"]), int(r["high_value_count"]),
            int(r["valid_invention_count"]), population[int(r["year"])], r["source"])
            for r in csv.DictReader(f)}


def per_10k() -> dict[int, float]:
    """The published value per 10,000 people, by year."""
    return {year: row.per_10k for year, row in series().items()}


def national_population() -> dict[int, int]:
    """NBS year-end national population in persons, by year (the ``CN`` rows of the built-in
    ``population.csv``)."""
    return {year: n for (region, year), n in population().items() if region == "CN"}


@cache
def population() -> dict[tuple[str, int], int]:
    """NBS year-end resident population in persons by (region, year): the built-in
    ``population.csv`` (the nation ``CN`` and the 31 provinces)."""
    with POPULATION.open(encoding="utf-8", newline="") as f:
        return {(r["region"], int(r["year"])): int(r["population"]) for r in csv.DictReader(f)}
