"""Google Patents Public Data -> the exchange format's rows (docs/import.md).

Reads rows of the ``patents-public-data.patents.publications`` table exported as JSON lines
(optionally gzipped): one publication per line, dates as ``YYYYMMDD`` integers (``0``: none),
``ipc[].code``, ``assignee_harmonized[].name`` / ``.country_code``, ``title_localized[]``,
``family_id``. Each publication becomes rows of the CSV tables (``owners``, ``patents``,
``family_members``), which :mod:`kg.ingest` checks and converts exactly as it does a CSV folder:

* a CN **invention grant** (``country_code`` CN, ``kind_code`` B or C) is a patent, its id the
  publication number without the kind code (``CN-112345678-B`` -> ``CN-112345678``), its kind
  ``invention``; CN applications (A), utility models (U, Y) and designs (S) are left out;
* a publication at another office whose family holds such a patent is a family member (granted
  when its ``grant_date`` is not 0; a ``WO`` publication never is);
* each assignee is an owner (in order: the first is the first patentee), its id ``gp-`` and a
  digest of country and name, so that one assignee is one owner across the file.

The source has no lapse dates, regions, pledges or awards. ``complete`` names a CSV of
``patent_id, lapse_date, region`` rows, merged by patent id: the lapse date of the patent and the
region of its first owner. A bad value is a :class:`RowError` naming the file, line and field.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from kg.errors import RowError
from kg.ingest import cells
from kg.ingest.tabular import Cells, read_rows

FORMAT = "google-patents"
#: Kind codes of a granted CN invention patent (C before the 2010 renumbering, B after).
GRANT_KINDS = ("B", "C")
#: The exchange format's column -> the source field it comes from (for errors).
FIELDS = {
    "patent_id": "publication_number", "kind": "kind_code", "title": "title_localized",
    "filing_date": "filing_date", "grant_date": "grant_date", "lapse_date": "lapse_date",
    "ipc": "ipc[].code", "owners": "assignee_harmonized", "family_id": "family_id",
    "owner_id": "assignee_harmonized[].name", "name": "assignee_harmonized[].name",
    "country": "assignee_harmonized[].country_code", "region": "region",
    "publication_number": "publication_number", "office": "country_code",
    "granted_date": "grant_date",
}
COMPLETE_COLUMNS = ("patent_id", "lapse_date", "region")


@dataclass
class Completion:
    """A row of the completing CSV: its line, lapse date and region (``""`` for none)."""

    line: int
    lapse: str
    region: str


@dataclass
class _Survey:
    """What the first pass learns: the families of CN invention grants, owners' regions."""

    families: set[str] = field(default_factory=set)
    regions: dict[str, tuple[str, int]] = field(default_factory=dict)
    patents: set[str] = field(default_factory=set)


Row = tuple[Path, str, list[str], int]  # file, table, cells in the table's column order, line


def rows(paths: list[Path], columns: dict[str, tuple[str, ...]],
         complete: Path | None = None) -> Iterator[Row | RowError]:
    """The exchange-format rows of the publications in ``paths`` (and the errors met, in place
    of the rows they spoil). ``columns``: each table's columns, in order. The files are read as
    one export (a family, an assignee may be in several)."""
    completions = read_complete(complete) if complete is not None else {}
    survey = _Survey()
    errors = [e for path in paths for e in _survey(path, completions, survey, str(complete))]
    if errors:
        yield from errors
        return
    if complete is not None:
        missing = sorted(set(completions) - survey.patents)
        for pid in missing[:5]:
            yield RowError(str(complete), completions[pid].line, "patent_id",
                           "%(pid)r is not a CN invention grant of %(map)s",
                           pid=pid, map=', '.join(map(str, paths)))
        if missing:
            return
    owners_seen: set[str] = set()
    for path in paths:
        for line, record in _records(path):
            if isinstance(record, RowError):
                yield record
                continue
            try:
                for table, cells_, at in _rows_of(str(path), line, record, columns, survey,
                                                  completions, owners_seen):
                    yield path, table, cells_, at
            except RowError as exc:
                yield exc


def located(error: RowError, table: str) -> RowError:
    """A row error of the CSV pipeline said in the source's terms: its field, not its column."""
    field = FIELDS.get(error.column, error.column)
    reason = error.reason.replace(f" of {table}.csv", "")
    if reason == error.reason:  # its template and values kept: said in the reader's language
        return RowError(error.file, error.line, field, error.template, **error.params)
    return RowError(error.file, error.line, field, reason)


# --- the source ------------------------------------------------------------------------------
def _open(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8-sig")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    try:
        with _open(path) as f:
            for line, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield line, RowError(str(path), line, "(line)",
                                         "not JSON: %(msg)s at character %(colno)s",
                                         msg=exc.msg, colno=exc.colno)
                    continue
                if not isinstance(record, dict):
                    yield line, RowError(str(path), line, "(line)",
                                         "not a JSON object (one publication per line)")
                    continue
                yield line, record
    except UnicodeDecodeError as exc:
        yield 0, RowError(str(path), 1, "(file)", "not UTF-8 text: %(reason)s", reason=exc.reason)
    except (OSError, EOFError) as exc:  # gzip: not a gzip file, or cut short
        yield 0, RowError(str(path), 1, "(file)", "cannot read it: %(exc)s", exc=exc)


def _text(record: dict[str, Any], name: str, file: str, line: int, *,
          required: bool = False) -> str:
    value = record.get(name)
    if value is None or value == "":
        if required:
            raise RowError(file, line, name, "missing or empty")
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise RowError(file, line, name, "expected text, got %(name)s", name=type(value).__name__)
    return str(value).strip()


def _date(record: dict[str, Any], name: str, file: str, line: int) -> str:
    """A ``YYYYMMDD`` integer (or digits as text) as an ISO date; ``""`` for 0 or none."""
    value = record.get(name)
    if value in (None, 0, "0", ""):
        return ""
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or len(text) != 8:
        raise RowError(file, line, name, "%(value)r is not a date as YYYYMMDD", value=value)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError as exc:
        raise RowError(file, line, name, "%(value)r is not a date: %(exc)s",
                       value=value, exc=exc) from None


def _list(record: dict[str, Any], name: str, file: str, line: int) -> list[dict[str, Any]]:
    value = record.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RowError(file, line, name, "expected a list of objects")
    return value


def _is_grant(record: dict[str, Any], file: str, line: int) -> bool:
    office = _text(record, "country_code", file, line, required=True)
    kind = _text(record, "kind_code", file, line, required=True)
    return office == "CN" and kind[:1] in GRANT_KINDS


def _family(record: dict[str, Any], file: str, line: int) -> str:
    family = _text(record, "family_id", file, line)
    return "" if family in ("", "-1") else family


def _patent_id(record: dict[str, Any], file: str, line: int) -> str:
    number = _text(record, "publication_number", file, line, required=True)
    parts = number.split("-")
    if len(parts) != 3 or not all(parts):
        raise RowError(file, line, "publication_number",
                       "%(number)r is not COUNTRY-NUMBER-KIND (e.g. CN-112345678-B)",
                       number=number)
    return f"{parts[0]}-{parts[1]}"


def _assignees(record: dict[str, Any], file: str, line: int) -> list[tuple[str, str, str]]:
    """The assignees in order: (owner id, name, country)."""
    found = []
    for i, a in enumerate(_list(record, "assignee_harmonized", file, line)):
        name = a.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RowError(file, line, f"assignee_harmonized[{i}].name", "missing or empty")
        country = a.get("country_code")
        if not isinstance(country, str) or not country.strip():
            raise RowError(file, line, f"assignee_harmonized[{i}].country_code",
                           "missing or empty for %(owner)r: the exchange format needs each "
                           "owner's country (docs/import.md)", owner=name.strip())
        digest = hashlib.sha1(f"{country.strip()}|{name.strip()}".encode()).hexdigest()[:12]
        found.append((f"gp-{digest}", name.strip(), country.strip()))
    return found


def _survey(path: Path, completions: dict[str, Completion], survey: _Survey,
            complete: str) -> Iterator[RowError]:
    """First pass: the families of the CN invention grants, the regions of their first owners."""
    file = str(path)
    for line, record in _records(path):
        if isinstance(record, RowError):
            yield record
            continue
        try:
            if not _is_grant(record, file, line):
                continue
            pid = _patent_id(record, file, line)
            survey.patents.add(pid)
            family = _family(record, file, line)
            if family:
                survey.families.add(family)
            done = completions.get(pid)
            if done is None or not done.region:
                continue
            assignees = _assignees(record, file, line)
            if not assignees:
                continue
            oid, name, country = assignees[0]
            earlier = survey.regions.get(oid)
            if not done.region.startswith(country + "-"):
                yield RowError(complete, done.line, "region",
                               "%(region)r is not a region of country %(country)s, the first "
                               "owner's (%(name)r) of %(pid)s",
                               region=done.region, country=country, name=name, pid=pid)
                continue
            if earlier is not None and earlier[0] != done.region:
                yield RowError(complete, done.line, "region",
                               "the first owner %(name)r of %(pid)s is given region "
                               "%(region)s here and %(earlier)s on line %(earlier_line)s",
                               name=name, pid=pid, region=done.region, earlier=earlier[0],
                               earlier_line=earlier[1])
                continue
            survey.regions[oid] = (done.region, done.line)
        except RowError as exc:
            yield exc


def _rows_of(file: str, line: int, record: dict[str, Any],
             columns: dict[str, tuple[str, ...]], survey: _Survey,
             completions: dict[str, Completion], owners_seen: set[str]
             ) -> Iterator[tuple[str, list[str], int]]:
    family = _family(record, file, line)
    if not _is_grant(record, file, line):
        if family in survey.families and _text(record, "country_code", file, line) != "CN":
            granted = _date(record, "grant_date", file, line)
            office = _text(record, "country_code", file, line)
            yield "family_members", _ordered(columns["family_members"], {
                "family_id": family, "office": office,
                "publication_number": _text(record, "publication_number", file, line,
                                            required=True),
                "granted_date": "" if office == "WO" else granted}), line
        return
    pid = _patent_id(record, file, line)
    assignees = _assignees(record, file, line)
    for oid, name, country in assignees:
        if oid not in owners_seen:
            owners_seen.add(oid)
            region = survey.regions.get(oid, ("", 0))[0]
            yield "owners", _ordered(columns["owners"], {
                "owner_id": oid, "name": name, "country": country, "region": region}), line
    codes = []
    for i, item in enumerate(_list(record, "ipc", file, line)):
        code = item.get("code")
        if not isinstance(code, str) or not code.strip():
            raise RowError(file, line, f"ipc[{i}].code", "missing or empty")
        codes.append(code.strip())
    done = completions.get(pid)
    yield "patents", _ordered(columns["patents"], {
        "patent_id": pid, "kind": "invention", "title": _title(record, file, line),
        "filing_date": _date(record, "filing_date", file, line),
        "grant_date": _date(record, "grant_date", file, line),
        "lapse_date": done.lapse if done else "",
        "ipc": ";".join(codes), "owners": ";".join(oid for oid, _, _ in assignees),
        "family_id": family}), line


def _title(record: dict[str, Any], file: str, line: int) -> str:
    """The Chinese title, else the English one, else the first."""
    titles = {str(t.get("language") or ""): str(t.get("text") or "").strip()
              for t in _list(record, "title_localized", file, line)}
    for language in ("zh", "en", *titles):
        if titles.get(language):
            return titles[language]
    return ""


def _ordered(columns: tuple[str, ...], values: dict[str, str]) -> list[str]:
    return [values.get(c, "") for c in columns]


# --- the completing CSV ----------------------------------------------------------------------
def read_complete(path: Path) -> dict[str, Completion]:
    """``patent_id, lapse_date, region`` rows by patent id (dates and regions checked)."""
    found: dict[str, Completion] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            records = read_rows(f, str(path))
            header, _ = next(records, ([], 1))
            c = Cells(str(path), [h.strip() for h in header], COMPLETE_COLUMNS)
            for row, line in records:
                c.check_width(row, line)
                c.check_text(row, line)
                pid = str(c.get(row, line, "patent_id", required=True))
                if pid in found:
                    raise RowError(str(path), line, "patent_id", "duplicate id %(pid)r (first "
                                                                 "on line %(line_)s)",
                                                                 pid=pid, line_=found[pid].line)
                lapse = c.get(row, line, "lapse_date", cells.iso_date)
                region = c.get(row, line, "region", cells.region)
                found[pid] = Completion(line, "" if lapse is None else str(lapse),
                                        "" if region is None else str(region))
    except UnicodeDecodeError:
        raise RowError(str(path), 1, "(file)", "not UTF-8 text") from None
    except OSError as exc:
        raise RowError(str(path), 1, "(file)", "cannot read it: %(value)s",
                                               value=exc.strerror or exc) from None
    return found
