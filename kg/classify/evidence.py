"""Evidence: the data items behind each met criterion and each broken validity condition.

Each criterion shape and validity condition of a profile carries an ``hvp:evidenceQuery`` (an
``sh:select`` instantiated with the same parameters as the shapes). It runs once, set-based,
in the store; per patent the smallest row (a stable choice) becomes the evidence, with a
human-readable reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from rdflib import Graph, URIRef

from kg.classify.results import table
from kg.profiles import Profile
from kg.store import Store
from kg.vocab import HVP, SEI

_FROM_LABEL = {"http://data.epo.org/linked-data/def/patent/filingDate": "filed",
               str(HVP.grantDate): "granted"}


class Evidence(NamedTuple):
    """Why one criterion holds (or one validity condition fails) for one patent (immutable; a
    named tuple, as hundreds of thousands are made per run)."""

    key: str
    reason: str
    items: Mapping[str, str] = MappingProxyType({})


def run(store: Store, profile: Profile, shapes: Graph, shape: URIRef,
        bindings: dict | None = None) -> dict[str, list[dict[str, str]]]:
    """Rows of a shape's evidence query grouped by patent IRI (sorted, smallest first)."""
    query = profile.evidence_query(shapes, shape)
    if query is None:
        return {}
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in table(store, query, bindings):
        grouped.setdefault(row["this"], []).append(row)
    for rows in grouped.values():
        if len(rows) > 1:
            rows.sort(key=lambda r: tuple(sorted(r.items())))
    return grouped


def supporting(key: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows that support a criterion (SEI rows stopped by an exclusion do not)."""
    if key == "sei":
        return [r for r in rows if not r.get("exclude")]
    if key == "pledge":
        return sorted(rows, key=lambda r: (-float(r["amount"]), r["pledge"]))
    return rows


def describe(key: str, rows: list[dict[str, str]], profile: Profile, as_of: date) -> Evidence:
    """The evidence for criterion or condition ``key`` from the supporting rows of its query:
    the first one, and for ``sei`` the categories of them all (space-separated IRIs), so that
    a patent counts in each industry its codes are in."""
    items = {k: v for k, v in rows[0].items() if v and k != "this"}
    if key == "sei" and len(rows) > 1:
        items["category"] = " ".join(sorted({r["category"] for r in rows}))
    return Evidence(key, _REASONS[key](rows[0], profile, as_of), items)


def _sei(row: dict[str, str], profile: Profile, as_of: date) -> str:
    code = row["category"].removeprefix(str(SEI))
    return f"IPC {row['code']} matches {row['pattern']} (SEI {code})"


def _overseas(row: dict[str, str], profile: Profile, as_of: date) -> str:
    number = row["member"].rsplit("/", 1)[-1]
    if row.get("granted"):
        return f"family member {number} at {row['office']} granted {row['granted']}"
    return f"family member {number} at {row['office']}, pending (pending members count)"


def _maintained(row: dict[str, str], profile: Profile, as_of: date) -> str:
    years = profile.parameters["maintenanceYears"]
    label = _FROM_LABEL.get(str(profile.parameters["maintenanceFrom"]), "from")
    return f"{label} {row['start']}: more than {years} years before {as_of.isoformat()}"


def _pledge(row: dict[str, str], profile: Profile, as_of: date) -> str:
    threshold = _cny(str(profile.parameters["pledgeThreshold"]))
    if str(profile.parameters["sumPledges"]) == "true":
        return (f"pledges registered by {as_of.isoformat()} total {_cny(row['total'])} "
                f"(threshold {threshold})")
    number = row["pledge"].rsplit("/", 1)[-1]
    return (f"pledge {number} of {_cny(row['amount'])} registered {row['registered']} "
            f"(threshold {threshold})")


def _cny(amount: str) -> str:
    """An amount as people read it: ``10,000,000 CNY``; cents only when there are some."""
    value = Decimal(amount)
    return f"{value:,.0f} CNY" if value == value.to_integral_value() else f"{value:,.2f} CNY"


def _award(row: dict[str, str], profile: Profile, as_of: date) -> str:
    return f"award {row['kind'].rsplit('/', 1)[-1]} in {row['year']}"


def _granted(row: dict[str, str], profile: Profile, as_of: date) -> str:
    if row.get("grant"):
        return f"not granted on or before {as_of.isoformat()} (granted {row['grant']})"
    return "not granted"


def _lapsed(row: dict[str, str], profile: Profile, as_of: date) -> str:
    return f"lapsed on {row['lapse']}"


def _term(row: dict[str, str], profile: Profile, as_of: date) -> str:
    return f"term ended on {term_end(row['filing'], int(str(profile.parameters['termYears'])))}"


def term_end(filing: str, years: int) -> str:
    """The first day outside the term: filing + years, as a (year, month, day) text.

    For a 29 February filing whose anniversary year has no 29 February the text is
    ``YYYY-02-29``, meaning "after 28 February" (the tuple rule of docs/classification.md).
    """
    year, month, day = filing.split("-")
    return f"{int(year) + years:04d}-{month}-{day}"


_REASONS = {"sei": _sei, "overseas": _overseas, "maintained": _maintained, "pledge": _pledge,
            "award": _award, "granted": _granted, "lapsed": _lapsed, "term": _term}
