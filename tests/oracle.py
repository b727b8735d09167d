"""An independent, deliberately plain Python implementation of docs/rules.md §2 (profile
cnipa-2021).

It reads an exchange-format folder (docs/rules.md §3) with the ``csv`` module only and shares no
code with ``kg``: tests compare the SPARQL/SHACL implementation and the demo generator against it.

Date arithmetic ("N years after a date")
----------------------------------------
Both year rules are evaluated by comparing (year, month, day) tuples, subtracting the years from
the as-of date D instead of adding them to the filing date F:

* term not ended:   D < F + 20 years   ⇔  (D.year - 20, D.month, D.day) < (F.year, F.month, F.day)
* maintained > 10:  F < D - 10 years   ⇔  (F.year, F.month, F.day) < (D.year - 10, D.month, D.day)

Consequence for 29 February: in a year without 29 February, the anniversary of a 29 February
date falls *between* 28 February and 1 March. On 28 February the period is not yet complete, on
1 March it is exceeded. E.g. filed 2008-02-29: maintained for more than 10 years from 2018-03-01
(not on 2018-02-28); filed 2080-02-29: last valid day 2100-02-28. (20-year terms from a
29 February in 1901-2099 always end on a 29 February.) In SPARQL the same rule is an integer
comparison: ``(year(?D) - 20) * 10000 + month(?D) * 100 + day(?D) < year(?F) * 10000 +
month(?F) * 100 + day(?F)``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

CRITERIA = ("sei", "overseas", "maintained", "pledge", "award")
AWARDS = frozenset({"china-patent-gold", "china-patent-silver", "china-patent-excellence",
                    "state-science-technology"})
NOT_DOMESTIC_REGIONS = frozenset({"CN-HK", "CN-MO", "CN-TW"})
PLEDGE_THRESHOLD = Decimal(10_000_000)
CONCORDANCE_FILE = Path(__file__).resolve().parent.parent / "kg" / "data" / "sei_concordance.csv"

# The minimum built-in concordance (used when kg/data/sei_concordance.csv does not exist).
MINIMAL_CONCORDANCE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("G06N3/*", "1.5", ()), ("G06N5/*", "1.5", ()), ("G06F40*", "1.5", ()),
    ("H04L*", "1.1", ()), ("H04W*", "1.1", ()), ("H01L*", "1.2", ()), ("G06F9/50", "1.4", ()),
    ("B29C64/*", "2.1", ()), ("B64D*", "2.2", ()), ("A61K*", "4.1", ("A61K8/*",)),
    ("C12N*", "4.1", ()), ("B60L*", "5.2", ()), ("H01M*", "5.2", ()), ("F03D*", "6.2", ()),
    ("H02S*", "6.3", ()), ("B01D53/*", "7.2", ()),
)

Concordance = Iterable[tuple[str, str, Iterable[str]]]


@dataclass(frozen=True)
class Result:
    """The classification of one invention patent at an as-of date."""

    valid: bool
    domestic: bool
    region: str
    high_value: bool
    criteria: tuple[str, ...]


@dataclass
class Folder:
    """The parts of an exchange-format folder that the rules use."""

    patents: list[dict[str, str]] = field(default_factory=list)
    owners: dict[str, dict[str, str]] = field(default_factory=dict)
    families: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    pledges: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    awards: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    population: dict[tuple[str, int], int] = field(default_factory=dict)


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _group(rows: list[dict[str, str]], key: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


def load_folder(folder: Path) -> Folder:
    """Read the CSV files of ``folder`` (missing files are empty)."""
    folder = Path(folder)
    data = Folder()
    data.patents = _read(folder / "patents.csv")
    data.owners = {r["owner_id"]: r for r in _read(folder / "owners.csv")}
    data.families = _group(_read(folder / "family_members.csv"), "family_id")
    data.pledges = _group(_read(folder / "pledges.csv"), "patent_id")
    data.awards = _group(_read(folder / "awards.csv"), "patent_id")
    data.population = {(r["region"], int(r["year"])): int(r["population"])
                       for r in _read(folder / "population.csv")}
    return data


def load_concordance(path: Path | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """Rows (pattern, sei_code, exclusions) of a concordance CSV, else the minimal one."""
    path = CONCORDANCE_FILE if path is None else Path(path)
    if not path.exists():
        return list(MINIMAL_CONCORDANCE)
    return [(r["ipc"], r["sei_code"],
             tuple(x.strip() for x in (r.get("exclude") or "").split(";") if x.strip()))
            for r in _read(path)]


def normalize_ipc(code: str) -> str:
    """Remove all white space and upper-case: ``'g06n 3/063'`` -> ``'G06N3/063'``."""
    return re.sub(r"\s+", "", code).upper()


def pattern_matches(pattern: str, code: str) -> bool:
    """docs/rules.md: a trailing ``*`` is a prefix match, otherwise the code must be equal."""
    pattern, code = normalize_ipc(pattern), normalize_ipc(code)
    if pattern.endswith("*"):
        return code.startswith(pattern[:-1])
    return code == pattern


def sei_codes(codes: Iterable[str], concordance: Concordance) -> set[str]:
    """SEI codes of the rows that one of ``codes`` matches without matching an exclusion."""
    found = set()
    for pattern, sei, excludes in concordance:
        for code in codes:
            if pattern_matches(pattern, code) and not any(
                    pattern_matches(x, code) for x in excludes):
                found.add(sei)
    return found


def _d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _ymd(d: date) -> tuple[int, int, int]:
    return (d.year, d.month, d.day)


def term_not_ended(filing: date, as_of: date) -> bool:
    """D < filing + 20 years, by the tuple rule in the module docstring."""
    return (as_of.year - 20, as_of.month, as_of.day) < _ymd(filing)


def maintained_over_10_years(filing: date, as_of: date) -> bool:
    """filing < D - 10 years, by the tuple rule in the module docstring."""
    return _ymd(filing) < (as_of.year - 10, as_of.month, as_of.day)


def is_valid(patent: dict[str, str], as_of: date) -> bool:
    grant, lapse, filing = _d(patent["grant_date"]), _d(patent["lapse_date"]), _d(
        patent["filing_date"])
    if grant is None or grant > as_of:
        return False
    if lapse is not None and lapse <= as_of:
        return False
    return filing is not None and term_not_ended(filing, as_of)


def first_owner(data: Folder, patent: dict[str, str]) -> dict[str, str] | None:
    ids = [x.strip() for x in patent["owners"].split(";") if x.strip()]
    return data.owners.get(ids[0]) if ids else None


def is_domestic(owner: dict[str, str] | None) -> bool:
    return (owner is not None and owner["country"] == "CN"
            and owner["region"] not in NOT_DOMESTIC_REGIONS)


def criteria_met(data: Folder, patent: dict[str, str], as_of: date,
                 concordance: Concordance, sei_cache: dict[str, bool] | None = None
                 ) -> tuple[str, ...]:
    """The criteria (in docs/rules.md order) that hold at ``as_of``, validity aside.

    ``sei_cache`` memoises "does this code match the concordance" for one concordance.
    """
    cache = {} if sei_cache is None else sei_cache
    met = []
    for code in (c for c in patent["ipc"].split(";") if c.strip()):
        if code not in cache:
            cache[code] = bool(sei_codes([code], concordance))
        if cache[code]:
            met.append("sei")
            break
    members = data.families.get(patent["family_id"], []) if patent["family_id"] else []
    if any(m["office"] not in ("CN", "WO") and m["granted_date"]
           and date.fromisoformat(m["granted_date"]) <= as_of for m in members):
        met.append("overseas")
    filing = _d(patent["filing_date"])
    if filing is not None and maintained_over_10_years(filing, as_of):
        met.append("maintained")
    if any(date.fromisoformat(p["registration_date"]) <= as_of
           and Decimal(p["amount_cny"]) >= PLEDGE_THRESHOLD
           for p in data.pledges.get(patent["patent_id"], [])):
        met.append("pledge")
    if any(a["award"] in AWARDS and int(a["year"]) <= as_of.year
           for a in data.awards.get(patent["patent_id"], [])):
        met.append("award")
    return tuple(met)


def classify(data: Folder, as_of: date, concordance: Concordance) -> dict[str, Result]:
    """Classify every invention patent of ``data`` at ``as_of``."""
    concordance = list(concordance)
    sei_cache: dict[str, bool] = {}
    out = {}
    for patent in data.patents:
        if patent["kind"] != "invention":
            continue
        owner = first_owner(data, patent)
        domestic = is_domestic(owner)
        region = owner["region"] if domestic and owner is not None else ""
        valid = is_valid(patent, as_of)
        met = criteria_met(data, patent, as_of, concordance, sei_cache) if valid else ()
        out[patent["patent_id"]] = Result(valid, domestic, region, bool(met), met)
    return out


def classify_folder(folder: Path, as_of: date, concordance_rows: Concordance | None = None
                    ) -> dict[str, Result]:
    """``classify`` over a folder; the concordance defaults to ``load_concordance()``."""
    rows = load_concordance() if concordance_rows is None else concordance_rows
    return classify(load_folder(folder), as_of, rows)


def high_value_counts(results: dict[str, Result]) -> dict[str, int]:
    """Valid, domestic, high-value patents per region; ``CN`` counts all of them."""
    counts: dict[str, int] = {"CN": 0}
    for r in results.values():
        if r.valid and r.domestic and r.high_value:
            counts["CN"] += 1
            if r.region:
                counts[r.region] = counts.get(r.region, 0) + 1
    return counts


def indicators(data: Folder, year: int, concordance: Concordance) -> dict[str, float]:
    """Per-10,000 indicator at year-end for every region with a population row for ``year``."""
    counts = high_value_counts(classify(data, date(year, 12, 31), concordance))
    return {region: counts.get(region, 0) / pop * 10_000
            for (region, y), pop in data.population.items() if y == year}


def national_indicator(folder: Path | Folder, year: int,
                       concordance_rows: Concordance | None = None) -> float:
    """High-value invention patents per 10,000 people for ``CN`` at ``year``-12-31."""
    data = folder if isinstance(folder, Folder) else load_folder(folder)
    rows = load_concordance() if concordance_rows is None else concordance_rows
    return indicators(data, year, rows)["CN"]
