"""The tabular exchange format (docs/rules.md §3): a folder of CSV files -> N-Triples lines.

Each file is described by a :class:`Table`: its columns, and a converter that checks one row
and yields its N-Triples lines. A bad cell raises :class:`~kg.errors.RowError` with file, line
and column; nothing is written to the store until every row of every file has passed.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from kg.errors import RowError
from kg.ingest import cells
from kg.ingest.ntriples import P, decimal, integer, iri, string, xsd_date
from kg.iri import mint
from kg.vocab import AWARD_KIND, HVP, SEI


@dataclass
class Context:
    """What converters share while one folder is read."""

    base: str
    known: Callable[[str, str], bool]
    """``known(table, id)``: is the thing already in the store (for references)?"""
    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    """Ids seen in this run, per table, with the line of each, for duplicates and references."""
    source: str = "user-supplied file"
    families: set[str] = field(default_factory=set)
    """Families described in this run (patents and family members both name them)."""
    subject: str = ""
    """The N-Triples IRI of the thing the current row describes (set by its converter)."""

    def unique(self, table: str, key: str, file: str, line: int, column: str) -> None:
        seen = self.ids.setdefault(table, {})
        first = seen.get(key)
        if first is not None:
            raise RowError(file, line, column,
                           "duplicate id %(key)r (first on line %(first)s of %(table)s.csv)",
                           key=key, first=first, table=table)
        seen[key] = line

    def require(self, table: str, key: str, file: str, line: int, column: str) -> None:
        if key in self.ids.get(table, ()) or self.known(table, key):
            return
        raise RowError(file, line, column, "%(key)r is not in %(table)s.csv nor in the store",
                                           key=key, table=table)


#: Columns whose values become a segment of an IRI (:func:`kg.iri.mint`).
MINTED = frozenset({"owner_id", "patent_id", "family_id", "publication_number", "pledge_id",
                    "award_id"})


class Cells:
    """Reads the cells of one file's rows by column name."""

    def __init__(self, file: str, header: list[str], columns: tuple[str, ...]) -> None:
        self.file, self.header = file, header
        self.width = len(header)
        for i, name in enumerate(header):
            if hidden := cells.INVISIBLE.search(name):
                char = hidden.group()
                shown = cells.INVISIBLE.sub("", name) or f"#{i + 1}"
                raise RowError(file, 1, shown, "the column name holds the invisible character "
                                               "U+%(ord)s (%(name)s) at character %(value)s: "
                                               "remove it (a byte-order mark left by joining "
                                               "files, or saving twice, is the usual cause)",
                                               ord=f"{ord(char):04X}",
                                               name=unicodedata.name(char, 'control'),
                                               value=hidden.start() + 1)
        missing = [c for c in columns if c not in header]
        if missing and len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            sep = "semicolons" if ";" in header[0] else "tabs"
            raise RowError(file, 1, missing[0], "the header is one cell with %(sep)s in it: "
                                                "separate the columns with commas (the "
                                                "exchange format is comma-separated)", sep=sep)
        if missing:
            raise RowError(file, 1, missing[0],
                           "missing column; the header must name %(columns)s",
                           columns=', '.join(columns))
        twice = [c for i, c in enumerate(header) if c and c in header[:i]]
        if twice:  # which of the two cells would count is anyone's guess: neither
            raise RowError(file, 1, twice[0], "column named twice in the header; keep one")
        self.index = {name: header.index(name) for name in header}

    def placed(self, error: RowError, row: list[str], line: int) -> RowError:
        """``error`` of the record starting on ``line``, moved to the physical line its cell
        starts on (a quoted cell before it may hold line breaks; outside quotes a line break
        ends the record, so the breaks of the cells before it count the lines)."""
        index = self.index.get(error.column)
        if error.line != line or index is None:
            return error
        shift = sum(cell.count("\n") for cell in row[:index])
        if not shift:
            return error
        return RowError(error.file, line + shift, error.column, error.template, **error.params)

    def check_text(self, row: list[str], line: int) -> None:
        """Refuse a cell that holds a character that is never data (NUL, bidi controls)."""
        if not cells.CONTROLS.search(",".join(row)):  # one scan of the row; cells only on a hit
            return
        for i, value in enumerate(row):
            if problem := cells.controls(value):
                raise RowError.of(self.file, line, column_name(self.header, i), problem)

    def check_width(self, row: list[str], line: int) -> None:
        if len(row) < self.width:
            raise RowError(self.file, line, self.header[len(row)],
                           "row has %(count)s cells where the header has %(width)s: this cell "
                           "and those after it are missing", count=len(row), width=self.width)
        if len(row) > self.width:
            raise RowError(self.file, line, column_name(self.header, self.width),
                           "row has %(count)s cells where the header has %(width)s: cell "
                           "%(value)s and those after it have no column",
                           count=len(row), width=self.width, value=self.width + 1)

    def get(self, row: list[str], line: int, column: str,
            parse: Callable[[str], object] | None = None, *, required: bool = False) -> object:
        value = row[self.index[column]].strip()
        if not value:
            if required:
                raise RowError(self.file, line, column, "must not be empty")
            return None
        if value in (".", "..") and column in MINTED:
            raise RowError(self.file, line, column, "%(value)r cannot be an id: the IRI minted "
                           "from it would end in a dot segment, which browsers and HTTP "
                           "clients remove, so it would not reach its page; choose another",
                           value=value)
        if parse is None:
            return value
        try:
            return parse(value)
        except ValueError as exc:
            raise RowError.of(self.file, line, column, exc) from None


Converter = Callable[[Context, Cells, list[str], int], Iterator[str]]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    convert: Converter
    kind: str
    """The IRI collection of the things a row describes (``patent``, ``owner``...)."""
    owned: tuple[str, ...]
    """Predicates a row gives its subject: cleared first when the thing is ingested again."""
    inbound: tuple[str, ...] = ()
    """Predicates that link other things to the subject, also cleared on re-ingest."""

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


def _t(subject: str, predicate: str, obj: str) -> str:
    return f"{subject} {predicate} {obj} .\n"


def _owners(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    oid = str(c.get(row, line, "owner_id", required=True))
    ctx.unique("owners", oid, c.file, line, "owner_id")
    country = str(c.get(row, line, "country", cells.country, required=True))
    region = c.get(row, line, "region", cells.region)
    if region is not None and not _region_fits(str(region), country):
        raise RowError(c.file, line, "region", "%(region)r is not a region of country "
                                               "%(country)s", region=region, country=country)
    s = iri(mint(ctx.base, "owner", oid))
    ctx.subject = s
    yield _t(s, P.type, P.Owner)
    yield _t(s, P.identifier, string(oid))
    name = c.get(row, line, "name")
    if name is not None:
        yield _t(s, P.name, string(str(name)))
    yield _t(s, P.country, string(country))
    if region is not None:
        yield _t(s, P.region, iri(mint(ctx.base, "region", str(region))))


def _region_fits(region: str, country: str) -> bool:
    return region.startswith(country + "-") or region == f"CN-{country}"


def _patents(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    get, file = c.get, c.file
    pid = str(get(row, line, "patent_id", required=True))
    ctx.unique("patents", pid, file, line, "patent_id")
    kind = str(get(row, line, "kind", cells.kind, required=True))
    filing = get(row, line, "filing_date", cells.iso_date, required=True)
    grant = get(row, line, "grant_date", cells.iso_date)
    lapse = get(row, line, "lapse_date", cells.iso_date)
    if grant is not None and grant < filing:  # type: ignore[operator]
        raise RowError(file, line, "grant_date", "%(grant)s is before the filing date "
                                                 "%(filing)s", grant=grant, filing=filing)
    if lapse is not None and lapse < filing:  # type: ignore[operator]
        raise RowError(file, line, "lapse_date", "%(lapse)s is before the filing date "
                                                 "%(filing)s", lapse=lapse, filing=filing)
    codes = [_ipc(c, code, line) for code in cells.split_list(str(get(row, line, "ipc") or ""))]
    owners = cells.split_list(str(get(row, line, "owners", required=True)))
    for oid in owners:
        ctx.require("owners", oid, file, line, "owners")
    s = iri(mint(ctx.base, "patent", pid))
    ctx.subject = s
    yield _t(s, P.type, P.Patent)
    yield _t(s, P.type, P.KIND_CLASS[kind])
    yield _t(s, P.identifier, string(pid))
    title = get(row, line, "title")
    if title is not None:
        yield _t(s, P.title, string(str(title)))
    yield _t(s, P.filing_date, xsd_date(filing))  # type: ignore[arg-type]
    if grant is not None:
        yield _t(s, P.grant_date, xsd_date(grant))  # type: ignore[arg-type]
    if lapse is not None:
        yield _t(s, P.lapse_date, xsd_date(lapse))  # type: ignore[arg-type]
    for code in codes:
        yield _t(s, P.ipc_code, string(code))
    yield _t(s, P.first_owner, iri(mint(ctx.base, "owner", owners[0])))
    for oid in owners:
        yield _t(s, P.owner, iri(mint(ctx.base, "owner", oid)))
    family = get(row, line, "family_id")
    if family is not None:
        f = iri(mint(ctx.base, "family", str(family)))
        yield _t(s, P.family, f)
        yield from _family(ctx, f, str(family))


def _ipc(c: Cells, code: str, line: int) -> str:
    try:
        return cells.ipc_code(code)
    except ValueError as exc:
        raise RowError.of(c.file, line, "ipc", exc) from None


def _members(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    number = str(c.get(row, line, "publication_number", required=True))
    ctx.unique("family_members", number, c.file, line, "publication_number")
    family = str(c.get(row, line, "family_id", required=True))
    office = str(c.get(row, line, "office", cells.office, required=True))
    granted = c.get(row, line, "granted_date", cells.iso_date)
    s = iri(mint(ctx.base, "publication", number))
    ctx.subject = s
    f = iri(mint(ctx.base, "family", family))
    yield from _family(ctx, f, family)
    yield _t(f, P.member, s)
    yield _t(s, P.type, P.FamilyMember)
    yield _t(s, P.publication_number, string(number))
    yield _t(s, P.office, string(office))
    if granted is not None:
        yield _t(s, P.grant_date, xsd_date(granted))  # type: ignore[arg-type]


def _family(ctx: Context, f: str, family: str) -> Iterator[str]:
    """A family's own triples, once per run (so that the triples counted are distinct)."""
    if f not in ctx.families:
        ctx.families.add(f)
        yield _t(f, P.type, P.Family)
        yield _t(f, P.identifier, string(family))


def _pledges(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    pid = str(c.get(row, line, "pledge_id", required=True))
    ctx.unique("pledges", pid, c.file, line, "pledge_id")
    patent = str(c.get(row, line, "patent_id", required=True))
    ctx.require("patents", patent, c.file, line, "patent_id")
    registered = c.get(row, line, "registration_date", cells.iso_date, required=True)
    amount = c.get(row, line, "amount_cny", cells.amount, required=True)
    s = iri(mint(ctx.base, "pledge", pid))
    ctx.subject = s
    yield _t(iri(mint(ctx.base, "patent", patent)), P.pledge, s)
    yield _t(s, P.type, P.Pledge)
    yield _t(s, P.identifier, string(pid))
    yield _t(s, P.registration_date, xsd_date(registered))  # type: ignore[arg-type]
    yield _t(s, P.amount, decimal(amount))  # type: ignore[arg-type]


def _awards(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    aid = str(c.get(row, line, "award_id", required=True))
    ctx.unique("awards", aid, c.file, line, "award_id")
    patent = str(c.get(row, line, "patent_id", required=True))
    ctx.require("patents", patent, c.file, line, "patent_id")
    award = str(c.get(row, line, "award", cells.award_kind, required=True))
    year = c.get(row, line, "year", cells.past_year, required=True)
    s = iri(mint(ctx.base, "award", aid))
    ctx.subject = s
    yield _t(iri(mint(ctx.base, "patent", patent)), P.award, s)
    yield _t(s, P.type, P.Award)
    yield _t(s, P.identifier, string(aid))
    yield _t(s, P.award_kind, iri(str(AWARD_KIND[award])))
    yield _t(s, P.year, integer(year))  # type: ignore[arg-type]


def _population(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    region = str(c.get(row, line, "region", cells.region, required=True))
    year = c.get(row, line, "year", cells.year, required=True)
    ctx.unique("population", f"{region}/{year}", c.file, line, "region")
    people = c.get(row, line, "population", cells.positive_int, required=True)
    s = iri(mint(ctx.base, "population", region, str(year)))
    ctx.subject = s
    yield _t(s, P.type, P.PopulationObservation)
    yield _t(s, P.region, iri(mint(ctx.base, "region", region)))
    yield _t(s, P.year, integer(year))  # type: ignore[arg-type]
    yield _t(s, P.population, integer(people))  # type: ignore[arg-type]
    source = c.get(row, line, "source") if "source" in c.index else None
    yield _t(s, P.source, string(str(source or ctx.source)))


def _concordance(ctx: Context, c: Cells, row: list[str], line: int) -> Iterator[str]:
    pattern = str(c.get(row, line, "ipc", cells.ipc_pattern, required=True))
    code = str(c.get(row, line, "sei_code", cells.sei_code, required=True))
    ctx.unique("sei_concordance", f"{code}/{pattern}", c.file, line, "ipc")
    excludes = []
    for item in cells.split_list(str(c.get(row, line, "exclude") or "")):
        try:
            excludes.append(cells.ipc_pattern(item))
        except ValueError as exc:
            raise RowError.of(c.file, line, "exclude", exc) from None
    s = iri(concordance_iri(ctx.base, code, pattern))
    ctx.subject = s
    yield _t(s, P.type, P.ConcordanceRow)
    yield _t(s, P.ipc_pattern, string(pattern))
    yield _t(s, P.sei_category, iri(str(SEI[code])))
    for item in excludes:
        yield _t(s, P.exclude_pattern, string(item))
    source = c.get(row, line, "source") if "source" in c.index else None
    yield _t(s, P.source, string(str(source or ctx.source)))


def concordance_iri(base: str, code: str, pattern: str) -> str:
    return mint(base, "concordance", code, pattern.replace("/", "_").replace("*", "-any"))


TABLES: tuple[Table, ...] = (
    Table("owners", ("owner_id", "name", "country", "region"), _owners, "owner",
          (str(HVP.country), str(HVP.region), "http://xmlns.com/foaf/0.1/name")),
    Table("patents", ("patent_id", "kind", "title", "filing_date", "grant_date", "lapse_date",
                      "ipc", "owners", "family_id"), _patents, "patent",
          ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "http://purl.org/dc/terms/title",
           "http://data.epo.org/linked-data/def/patent/filingDate", str(HVP.grantDate),
           str(HVP.lapseDate), str(HVP.ipcCode), str(HVP.owner), str(HVP.firstOwner),
           str(HVP.family))),
    Table("family_members", ("family_id", "publication_number", "office", "granted_date"),
          _members, "publication", (str(HVP.office), str(HVP.grantDate)), (str(HVP.member),)),
    Table("pledges", ("pledge_id", "patent_id", "registration_date", "amount_cny"), _pledges,
          "pledge", (str(HVP.registrationDate), str(HVP.amountCNY)), (str(HVP.pledge),)),
    Table("awards", ("award_id", "patent_id", "award", "year"), _awards, "award",
          (str(HVP.awardKind), str(HVP.year)), (str(HVP.award),)),
    Table("population", ("region", "year", "population"), _population, "population",
          (str(HVP.population), "http://purl.org/dc/terms/source")),
    Table("sei_concordance", ("ipc", "sei_code", "exclude"), _concordance, "concordance", ()),
)


#: The csv module's limit on a cell (process-wide) is the one limit of a cell or a literal:
#: a value too long in RDF is too long in CSV, and the other way round.
csv.field_size_limit(cells.LONGEST)


def read_rows(lines: Iterable[str], file: str) -> Iterator[tuple[list[str], int]]:
    """CSV rows with the line each starts on; the first is the header (line 1). A CSV syntax
    error is located at its line and the column of the cell it is in; a cell longer than
    :data:`kg.ingest.cells.LONGEST` at the line and column where it starts."""
    record: list[str] = []  # the physical lines of the record being read

    def remembered() -> Iterator[str]:
        for text in lines:
            record.append(text)
            yield text

    reader = csv.reader(remembered(), strict=True)
    header: list[str] = []
    line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            text = "".join(record)
            cell, at = _long_cell(text, csv.field_size_limit())
            if at < 0:
                cell, at = _failing_cell(text)
            column = column_name(header, cell) if header else "*"
            if at >= 0 and "field limit" in str(exc):
                raise RowError(file, line + 1 + text.count("\n", 0, at), column,
                               "a cell longer than %(limit)s characters (the most a cell or a "
                               "literal may hold)", limit=f"{cells.LONGEST:,}") from None
            unclosed = at < len(text) and text[at] == '"' and "field limit" not in str(exc)
            reason = "a quoted cell opened here is never closed" if unclosed else str(exc)
            raise RowError(file, line + 1 + text.count("\n", 0, at), column,
                           "not valid CSV: %(reason)s", reason=reason) from None
        record.clear()
        start, line = line + 1, reader.line_num
        if row:
            header = header or [h.strip() for h in row]
            yield row, start


def column_name(header: list[str], cell: int) -> str:
    """The name of a row's ``cell`` (0-based): its header's, or ``#N`` past the header."""
    return header[cell] if cell < len(header) else f"#{cell + 1}"


def _long_cell(text: str, limit: int) -> tuple[int, int]:
    """The index of the first cell of a record longer than ``limit`` characters and the
    position where it starts in ``text``; ``(0, -1)`` if none is (regression: a cell over the
    csv module's limit was reported at the record's last cell, on the line after it)."""
    cell, begin, quoted, i = 0, 0, False, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            quoted = not quoted
        elif not quoted and c in ",\r\n":
            if i - begin > limit:
                return cell, begin
            cell, begin = cell + (c == ","), i + 1
        i += 1
    return (cell, begin) if len(text) - begin > limit else (0, -1)


def _failing_cell(text: str) -> tuple[int, int]:
    """Where a record stops being CSV: the index of the cell and the position in ``text`` of
    a character after a closing quote that is not a comma or a line end, or of the opening
    quote of a cell never closed."""
    cell, quoted, closed, start, opened, i = 0, False, False, True, 0, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"' and text[i + 1:i + 2] == '"':
                i += 1
            elif c == '"':
                quoted, closed = False, True
        elif closed:
            if c not in ",\r\n":
                return cell, i
            closed, start, cell = False, True, cell + (c == ",")
        elif c == '"' and start:
            quoted, start, opened = True, False, i
        elif c == ",":
            cell, start = cell + 1, True
        else:
            start = False
        i += 1
    return cell, opened if quoted else len(text)
