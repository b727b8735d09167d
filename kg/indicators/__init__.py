"""Per-capita indicators (docs/rules.md §1, §4) and their RDF Data Cube.

API::

    compute(store, years, *, profile, base) -> IndicatorSet   # rows + warnings
    IndicatorSet.select(by)                                    # "all" | "nation" | "province"
    write(result, fmt, out, base)                              # csv | json | ttl
    cube.ensure(store, years, profile, base) -> graph IRI      # materialized cube graph
    cube.materialize(store, result, base) -> graph IRI
    cube.stored(store, profile, base) -> [Triple]              # the materialized cube graph
    integrity.check(triples) -> IntegrityReport                # W3C Data Cube IC-1 .. IC-21
    integrity.normalized(triples) -> bool                      # in the W3C normalized form?
"""

from __future__ import annotations

from kg.indicators import cube, integrity
from kg.indicators.core import (
    NATION,
    SCOPES,
    Indicator,
    IndicatorSet,
    compute,
    parse_years,
    profile_name,
    with_population,
)
from kg.indicators.output import FORMATS, to_csv, to_json, write

__all__ = ["FORMATS", "NATION", "SCOPES", "Indicator", "IndicatorSet", "compute", "cube",
           "integrity", "parse_years", "profile_name", "to_csv", "to_json", "with_population",
           "write"]
