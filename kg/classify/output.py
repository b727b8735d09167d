"""Rendering a classification: CSV exactly as docs/rules.md §4, JSON with the same values."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.classify import Classification, ClassRow

HEADER = ("patent_id", "valid", "domestic", "region", "high_value", "criteria")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def to_csv(rows: list[ClassRow]) -> str:
    """``patent_id,valid,domestic,region,high_value,criteria`` with ``\\n`` line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow((r.patent_id, _bool(r.valid), _bool(r.domestic), r.region,
                         _bool(r.high_value), ";".join(r.criteria)))
    return out.getvalue()


def to_json(result: Classification) -> str:
    """The rows as JSON objects, with the profile, date and graph."""
    return json.dumps({
        "profile": result.profile,
        "as_of": result.as_of.isoformat(),
        "graph": result.graph,
        "patents": [{"patent_id": r.patent_id, "valid": r.valid, "domestic": r.domestic,
                     "region": r.region, "high_value": r.high_value,
                     "criteria": list(r.criteria)} for r in result.rows],
    }, ensure_ascii=False, indent=1) + "\n"
