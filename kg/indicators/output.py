"""Writing indicator rows as CSV, JSON or Turtle (a Data Cube); all carry the same numbers.

``per_10k`` is never rounded for display: the CSV text and the cube's ``xsd:decimal`` are the
float's shortest round-tripping form as a plain decimal, padded with zeros to at least 6
significant digits (:func:`kg.indicators.cube.decimal_text`); the JSON number is the same float.

Every JSON row names its ``population_source`` (``official`` or ``wikidata``). The CSV has
docs/rules.md §4's five columns exactly when the populations are the official ones (the figures
that section defines); computed from Wikidata's, it adds a sixth, ``population_source``, so that
such a file can never pass for the official indicator.
"""

from __future__ import annotations

import csv
import io
import json
from typing import IO

from kg.indicators import cube
from kg.indicators.core import IndicatorSet
from kg.indicators.population import OFFICIAL
from kg.iri import DEFAULT_BASE

FORMATS = ("csv", "json", "ttl")
HEADER = ("region", "year", "high_value_count", "population", "per_10k")
SOURCE_COLUMN = "population_source"


def to_csv(result: IndicatorSet) -> str:
    """docs/rules.md §4: ``region,year,high_value_count,population,per_10k``, and
    ``population_source`` when that is not ``official``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    extra = () if result.population_source == OFFICIAL else (result.population_source,)
    writer.writerow(HEADER + ((SOURCE_COLUMN,) if extra else ()))
    for r in result.rows:
        writer.writerow((r.region, r.year, r.high_value_count, r.population,
                         cube.decimal_text(r.per_10k), *extra))
    return buffer.getvalue()


def to_json(result: IndicatorSet) -> str:
    """The CSV columns plus provenance (as-of date; the population's source, observation and
    the observation's own reference: a file, a bureau, a Wikidata statement)."""
    rows = [{"region": r.region, "year": r.year, "high_value_count": r.high_value_count,
             "population": r.population, "per_10k": r.per_10k, "as_of": r.as_of.isoformat(),
             "population_source": result.population_source,
             "population_observation": r.population_observation,
             "population_reference": r.population_reference} for r in result.rows]
    return json.dumps({"profile": result.profile, "population_source": result.population_source,
                       "rows": rows, "warnings": result.warnings},
                      ensure_ascii=False, indent=2) + "\n"


def write(result: IndicatorSet, fmt: str, out: IO[bytes], base: str = DEFAULT_BASE) -> None:
    """Write the result to a binary stream in one of :data:`FORMATS`."""
    if fmt == "ttl":
        out.write(cube.to_turtle(result, base))
    else:
        out.write((to_csv(result) if fmt == "csv" else to_json(result)).encode("utf-8"))
