"""Ingest of the exchange format and RDF files: checks, all-or-nothing, idempotence, round trip."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import dataset, generations
from kg.cli import cli
from kg.errors import InputError, RowError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

DATA = Path(__file__).parent / "data"
SMALL = DATA / "small"
RDF_FILES = sorted((DATA / "rdf").glob("patent.*"))


def dump(store: LocalStore) -> bytes:
    out = io.BytesIO()
    store.dump(out, ox.RdfFormat.N_QUADS)
    return b"".join(sorted(out.getvalue().splitlines(keepends=True)))


def hvp(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args])
    return result.exit_code, result.output


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "in"
    shutil.copytree(SMALL, target)
    return target


def edit(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell (row 0 = first data row) of a CSV file."""
    path = folder / file
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
        fields = list(rows[0])
    rows[row][column] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)


def test_ingest_small_folder_counts(tmp_path: Path) -> None:
    code, out = hvp(tmp_path / "s", "ingest", "-q", str(SMALL))
    assert code == 0, out
    code, out = hvp(tmp_path / "s", "stats")
    lines = dict(line.rsplit(None, 1) for line in out.strip().splitlines())
    assert lines["invention patents"] == "8"
    assert lines["utility models"] == "1"
    assert lines["designs"] == "1"
    assert lines["family members"] == "4"
    assert lines["concordance rows"] == "3"


def test_ingest_writes_the_model() -> None:
    store = LocalStore()
    ingest(store, [SMALL], base=DEFAULT_BASE)
    rows = store.select("""
        PREFIX hvp: <https://w3id.org/hvp/def#>
        PREFIX patent: <http://data.epo.org/linked-data/def/patent/>
        SELECT ?code ?first ?filed WHERE {
          <https://w3id.org/hvp/patent/CN-T01> hvp:ipcCode ?code ; hvp:firstOwner ?first ;
             patent:filingDate ?filed .
        } ORDER BY ?code""")
    assert [r["code"].value for r in rows] == ["G06F9/44", "G06N3/063"]  # normalized
    assert rows[0]["first"].value == "https://w3id.org/hvp/owner/O1"
    assert rows[0]["filed"] == ox.Literal("2015-03-01", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"))
    title = store.select("""SELECT ?t WHERE { <https://w3id.org/hvp/patent/CN-T02>
                            <http://purl.org/dc/terms/title> ?t }""")
    assert title[0]["t"].value == 'Battery electrode, with "quotes"'


BAD_CELLS = [
    ("patents.csv", 2, "filing_date", "2015-02-30", "not a calendar date"),
    ("patents.csv", 0, "grant_date", "01/06/2018", "not a date as YYYY-MM-DD"),
    ("patents.csv", 1, "kind", "petty_patent", "not one of invention"),
    ("patents.csv", 3, "owners", "O1;O99", "'O99' is not in owners.csv"),
    ("patents.csv", 0, "ipc", "G06N3/063;XYZ", "not an IPC code"),
    ("patents.csv", 1, "patent_id", "CN-T01", "duplicate id 'CN-T01'"),
    ("patents.csv", 0, "owners", "", "must not be empty"),
    ("owners.csv", 0, "country", "China", "not an ISO 3166-1"),
    ("owners.csv", 0, "region", "CN-XX", "not an ISO 3166-2"),
    ("owners.csv", 1, "owner_id", "O1", "duplicate id 'O1' (first on line 2 of owners.csv)"),
    ("pledges.csv", 0, "amount_cny", "-5", "at least 0"),
    ("pledges.csv", 1, "amount_cny", "ten million", "not a number"),
    ("pledges.csv", 0, "patent_id", "CN-NOPE", "'CN-NOPE' is not in patents.csv"),
    ("pledges.csv", 1, "pledge_id", "PL1", "duplicate id 'PL1'"),
    ("awards.csv", 0, "year", "21", "not a year"),
    ("awards.csv", 0, "patent_id", "CN-NOPE", "not in patents.csv"),
    ("family_members.csv", 0, "granted_date", "2018-13-01", "not a calendar date"),
    ("family_members.csv", 1, "publication_number", "CN100000001B", "duplicate id"),
    ("population.csv", 0, "population", "-1", "above 0"),
    ("sei_concordance.csv", 0, "exclude", "G06N3/12;??", "not an IPC code or pattern"),
    ("sei_concordance.csv", 0, "sei_code", "9.99.99", "not in the NBS 2018"),
    ("sei_concordance.csv", 1, "sei_code", "1.6", "not in the NBS 2018"),
    # ASCII digits only: Python's int() and Decimal() read full-width ones
    ("awards.csv", 0, "year", "２０２０", "not a year"),
    ("pledges.csv", 0, "amount_cny", "２０００００００", "not a number"),
    ("population.csv", 0, "population", "１０００", "above 0"),
    ("patents.csv", 0, "filing_date", "20150301", "not a date as YYYY-MM-DD"),
]


@pytest.mark.parametrize(("file", "row", "column", "value", "message"), BAD_CELLS,
                         ids=[f"{c[0]}:{c[2]}:{c[3]}" for c in BAD_CELLS])
def test_bad_cell_is_located_and_nothing_is_written(folder: Path, tmp_path: Path, file: str,
                                                    row: int, column: str, value: str,
                                                    message: str) -> None:
    store_dir = tmp_path / "store"
    assert hvp(store_dir, "ingest", "-q", str(DATA / "rdf" / "patent.ttl"))[0] == 0
    before = dump(LocalStore(store_dir))
    edit(folder, file, row, column, value)
    code, out = hvp(store_dir, "ingest", "-q", str(folder))
    assert code == 2
    flat = " ".join(out.split())
    assert f"{file}:{row + 2}:" in flat  # header is line 1
    assert f"column '{column}'" in flat
    assert message in flat
    assert "Traceback" not in out
    assert dump(LocalStore(store_dir)) == before


def test_failed_ingest_into_a_new_store_leaves_no_store(folder: Path, tmp_path: Path) -> None:
    """docs/rules.md §3: the store is left exactly as it was: here, not there at all (the reference
    data a first use loads is not left behind either)."""
    edit(folder, "patents.csv", 0, "filing_date", "2015-02-30")
    store_dir = tmp_path / "new-store"
    code, out = hvp(store_dir, "ingest", "-q", str(folder))
    assert code == 2 and "not a calendar date" in " ".join(out.split())
    assert not os.path.lexists(store_dir) and sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out = hvp(empty, "ingest", "-q", str(folder))
    assert code == 2 and empty.is_dir() and not empty.is_symlink() and not any(empty.iterdir())
    assert not generations.home(empty).exists()
    shutil.copytree(SMALL, tmp_path / "good")
    assert hvp(store_dir, "ingest", "-q", str(tmp_path / "good"))[0] == 0  # the name is free
    assert store_dir.is_dir()


def test_errors_are_collected_across_files(folder: Path) -> None:
    edit(folder, "patents.csv", 0, "kind", "bogus")
    edit(folder, "pledges.csv", 0, "amount_cny", "-1")
    with pytest.raises(InputError) as info:
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)
    text = str(info.value)
    assert "2 errors" in text and "patents.csv:2" in text and "pledges.csv:2" in text


def test_missing_column_and_ragged_row(folder: Path) -> None:
    (folder / "awards.csv").write_text("award_id,patent_id,award\nA,CN-T01,x\n")
    with pytest.raises(RowError, match=r"awards.csv:1: column 'year': missing column"):
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)
    (folder / "awards.csv").write_text("award_id,patent_id,award,year\nA,CN-T01,x\n")
    with pytest.raises(RowError, match=r"awards.csv:2: column 'year': row has 3 cells"):
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)
    (folder / "awards.csv").write_text("award_id,patent_id,award,year\nA,CN-T01,x,2020,y\n")
    with pytest.raises(RowError, match=r"awards.csv:2: column '#5': row has 5 cells"):
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)


@pytest.mark.parametrize(("text", "message"), [
    ("award_id;patent_id;award;year\nA;CN-T01;x;2020\n",
     r"column 'award_id': the header is one cell with semicolons in it: separate the columns "
     "with commas"),
    ("award_id,patent_id,award,year,award\nA,CN-T01,x,2020,y\n",
     r"column 'award': column named twice in the header"),
])
def test_a_header_that_cannot_be_read_one_way_is_refused(folder: Path, text: str,
                                                         message: str) -> None:
    (folder / "awards.csv").write_text(text)
    with pytest.raises(RowError, match=r"awards.csv:1: " + message):
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)


@pytest.mark.parametrize(("tail", "line", "column", "message"), [
    ('PX,"Name"x,CN,CN-GD\n', 0, "name", "',' expected after '\"'"),
    ('PX,Name,CN,"CN-GD\nPY,Other,CN,CN-BJ\n', 0, "region", "never closed"),
    ('PX,"Two\nlines"!,CN,CN-GD\n', 1, "name", "expected after"),
])
def test_csv_syntax_errors_are_located(folder: Path, tail: str, line: int, column: str,
                                       message: str) -> None:
    path = folder / "owners.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + tail, encoding="utf-8")
    first = text.count("\n") + 1 + line
    with pytest.raises(RowError, match=rf"owners.csv:{first}: column '{column}': not valid CSV: "
                                       rf".*{re.escape(message)}"):
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)


def test_text_that_is_not_utf8_is_located(folder: Path) -> None:
    """The line and column of the first byte that is not UTF-8, far past the decoder's first
    chunk (whose own offsets count from the chunk)."""
    owners = (folder / "owners.csv").read_text(encoding="utf-8").splitlines()
    rows = [f"P{i},某公司{i},CN,CN-GD" for i in range(2000)]  # > 8 KiB of UTF-8 first
    bad = "广州某大学".encode("gbk")
    data = ("\n".join([owners[0], *owners[1:], *rows]) + "\n").encode("utf-8")
    at = len(data) + len(b"PX,")
    data += b"PX," + bad + b",CN,CN-GD\n"
    (folder / "owners.csv").write_bytes(data)
    line = len(owners) + len(rows) + 1
    with pytest.raises(RowError, match=rf"owners.csv:{line}: column 'name': not UTF-8 text "
                                       rf".* at byte {at} of the file, "
                                       r"character 4 of the line"):
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)


def test_line_numbers_count_multiline_cells(folder: Path) -> None:
    text = (folder / "owners.csv").read_text()
    text = text.replace("O2,Beijing Example University", 'O2,"Beijing\nExample University"')
    text += "O7,Bad,ZZ,\n"
    (folder / "owners.csv").write_text(text)
    with pytest.raises(RowError) as info:
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)
    assert (info.value.line, info.value.column) == (9, "country")


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "s")
    ingest(store, [SMALL], base=DEFAULT_BASE)
    once = dump(store)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    # but the dataset description, whose time of change is the second of each ingest
    void = f"<{dataset.graph_iri(DEFAULT_BASE)}> .\n".encode()
    assert [line for line in dump(store).splitlines(keepends=True) if not line.endswith(void)] \
        == [line for line in once.splitlines(keepends=True) if not line.endswith(void)]


def test_reingest_replaces_changed_values(folder: Path) -> None:
    store = LocalStore()
    ingest(store, [SMALL], base=DEFAULT_BASE)
    edit(folder, "patents.csv", 0, "title", "Renamed")
    edit(folder, "patents.csv", 0, "ipc", "H04L9/32")
    ingest(store, [folder], base=DEFAULT_BASE)
    rows = store.select("""SELECT ?t ?c WHERE { <https://w3id.org/hvp/patent/CN-T01>
        <http://purl.org/dc/terms/title> ?t ; <https://w3id.org/hvp/def#ipcCode> ?c }""")
    assert [(r["t"].value, r["c"].value) for r in rows] == [("Renamed", "H04L9/32")]
    pledges = store.select("""SELECT ?x WHERE { <https://w3id.org/hvp/patent/CN-T09>
        <https://w3id.org/hvp/def#pledge> ?x }""")
    assert len(pledges) == 2  # links from pledges.csv survive a re-ingest of patents.csv


def test_references_to_things_already_in_the_store(tmp_path: Path) -> None:
    store = LocalStore()
    ingest(store, [SMALL], base=DEFAULT_BASE)
    later = tmp_path / "later"
    later.mkdir()
    (later / "pledges.csv").write_text(
        "pledge_id,patent_id,registration_date,amount_cny\nPL9,CN-T01,2023-01-01,20000000\n")
    ingest(store, [later], base=DEFAULT_BASE)
    assert store.ask("ASK { <https://w3id.org/hvp/patent/CN-T01> "
                     "<https://w3id.org/hvp/def#pledge> <https://w3id.org/hvp/pledge/PL9> }")


def test_user_population_overrides_shipped_figure() -> None:
    store = LocalStore()
    from kg import reference

    reference.ensure(store)
    query = """SELECT ?n WHERE { <https://w3id.org/hvp/population/CN-GD/2024>
               <https://w3id.org/hvp/def#population> ?n }"""
    shipped = [r["n"].value for r in store.select(query)]
    assert shipped and shipped != ["127812345"]
    ingest(store, [SMALL], base=DEFAULT_BASE)
    assert [r["n"].value for r in store.select(query)] == ["127812345"]


def test_user_concordance_replaces_the_builtin_one() -> None:
    store = LocalStore()
    from kg import reference

    reference.ensure(store)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?r a <https://w3id.org/hvp/def#ConcordanceRow> }"
    assert int(store.select(count)[0]["n"].value) > 3
    ingest(store, [SMALL], base=DEFAULT_BASE)
    assert int(store.select(count)[0]["n"].value) == 3


def test_concordance_patterns_are_normalized(folder: Path) -> None:
    (folder / "sei_concordance.csv").write_text("ipc,sei_code,exclude\n"
                                                " g06n 3/* ,1.5,g06n 3/12; a61k8/*\n"
                                                "h01m*,5.2,\n", encoding="utf-8")
    store = LocalStore()
    ingest(store, [folder], base=DEFAULT_BASE)
    rows = store.select("""SELECT ?p ?x WHERE { ?r <https://w3id.org/hvp/def#ipcPattern> ?p
        OPTIONAL { ?r <https://w3id.org/hvp/def#excludePattern> ?x } }""")
    found = {(r["p"].value, r.get("x").value if r.get("x") else None) for r in rows}
    assert found == {("G06N3/*", "G06N3/12"), ("G06N3/*", "A61K8/*"), ("H01M*", None)}


@pytest.mark.parametrize("path", RDF_FILES, ids=[p.suffix for p in RDF_FILES])
def test_ingest_each_rdf_syntax(path: Path) -> None:
    store = LocalStore()
    ingest(store, [path], base=DEFAULT_BASE)
    rows = store.select("""SELECT ?t WHERE { GRAPH ?g { <https://w3id.org/hvp/patent/RDF-1>
        <http://purl.org/dc/terms/title> ?t } }""") or store.select(
        """SELECT ?t WHERE { <https://w3id.org/hvp/patent/RDF-1>
        <http://purl.org/dc/terms/title> ?t }""")
    assert [r["t"].value for r in rows] == ["专利 from Turtle"]


def test_rdf_syntax_error_is_located(tmp_path: Path) -> None:
    code, out = hvp(tmp_path / "s", "ingest", "-q", str(SMALL), str(DATA / "rdf" / "broken.ttl"))
    assert code == 2
    assert "broken.ttl:3:" in " ".join(out.split())
    assert not (tmp_path / "s").exists()  # the good folder was not loaded either


def test_unknown_file_type(tmp_path: Path) -> None:
    bad = tmp_path / "data.xlsx"
    bad.write_text("x")
    code, out = hvp(tmp_path / "s", "ingest", str(bad))
    assert code == 2 and "unknown RDF file type '.xlsx'" in out


def test_round_trip_through_export(tmp_path: Path) -> None:
    first = tmp_path / "a"
    assert hvp(first, "ingest", "-q", str(SMALL))[0] == 0
    exported = tmp_path / "out.nq"
    assert hvp(first, "export", "--format", "nq", "--output", str(exported))[0] == 0
    second = tmp_path / "b"
    assert hvp(second, "ingest", "-q", str(exported))[0] == 0
    again = tmp_path / "again.nq"
    assert hvp(second, "export", "--format", "nq", "--output", str(again))[0] == 0
    assert _data(exported) == _data(again)
    assert len(exported.read_bytes().splitlines()) > 1000


def _data(exported: Path) -> list[bytes]:
    """The lines of an export but the dataset description's, which each ingest rewrites (its
    time of change, its sources: kg.dataset)."""
    void = f"<{dataset.graph_iri(DEFAULT_BASE)}> .".encode()
    return sorted(line for line in exported.read_bytes().splitlines() if not line.endswith(void))


@pytest.mark.parametrize("fmt", ["nt", "ttl", "nq", "jsonld"])
def test_export_formats_parse(tmp_path: Path, fmt: str) -> None:
    assert hvp(tmp_path / "s", "ingest", "-q", str(SMALL))[0] == 0
    code, out = hvp(tmp_path / "s", "export", "--format", fmt, "--graph", "default")
    assert code == 0
    formats = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE,
               "nq": ox.RdfFormat.N_QUADS, "jsonld": ox.RdfFormat.JSON_LD}
    quads = list(ox.parse(out.encode(), format=formats[fmt]))
    assert any(q.subject.value.endswith("/patent/CN-T01") for q in quads)


def test_validate_conforming_and_not(tmp_path: Path, folder: Path) -> None:
    assert hvp(tmp_path / "s", "ingest", "-q", str(SMALL))[0] == 0
    code, out = hvp(tmp_path / "s", "validate")
    assert code == 0, out
    bad = tmp_path / "bad.ttl"
    bad.write_text('<https://w3id.org/hvp/patent/X> a <https://w3id.org/hvp/def#Patent> ; '
                   '<https://w3id.org/hvp/def#ipcCode> "not an ipc" .\n')
    code, out = hvp(tmp_path / "s", "ingest", "-q", str(bad))  # ingest checks values...
    assert code == 2 and "'not an ipc' is not an IPC code" in out
    bad.write_text('<https://w3id.org/hvp/patent/X> a <https://w3id.org/hvp/def#Patent> .\n')
    assert hvp(tmp_path / "s", "ingest", "-q", str(bad))[0] == 0  # ...the shapes, whole things
    code, out = hvp(tmp_path / "s", "validate")
    assert code == 1
    assert "patent/X" in out
    code, out = hvp(tmp_path / "s", "validate", "--format", "ttl")
    assert code == 1 and "sh:ValidationReport" in out


def test_csv_and_turtle_with_relative_iris_ingest_together(folder: Path, tmp_path: Path) -> None:
    """Relative IRIs resolve against the file's own URL, when checked and when loaded (the
    load once ran without a base and failed after the CSV half was written)."""
    ttl = tmp_path / "extra.ttl"
    ttl.write_text('<patent/X> <https://w3id.org/hvp/def#ipcCode> "G06N3/063" .\n')
    code, out = hvp(tmp_path / "s", "ingest", "-q", str(folder), str(ttl))
    assert code == 0, out
    store = LocalStore(tmp_path / "s")
    iri = ox.NamedNode((tmp_path / "patent" / "X").as_uri())
    assert len(list(store.quads(iri, None, None))) == 1
    assert len(list(store.quads(ox.NamedNode("https://w3id.org/hvp/patent/CN-T01"))))


def test_award_kinds_are_those_of_the_ontology() -> None:
    from kg.ingest import cells

    kinds = cells.award_kinds()
    assert "china-patent-gold" in kinds and "china-design-excellence" in kinds
    assert len(kinds) == 7


def test_a_value_at_the_length_limit_is_taken_in_both_formats(folder: Path, tmp_path: Path
                                                              ) -> None:
    """One limit for a cell and a literal (kg.ingest.cells.LONGEST): a value of exactly that
    many characters is ingested from CSV and from Turtle alike; one more is refused by both
    (tests/bad/csv/cell-one-over-the-limit, tests/bad/rdf/literal-too-long)."""
    from kg.ingest.cells import LONGEST

    edit(folder, "patents.csv", 0, "title", "x" * LONGEST)
    ttl = tmp_path / "long.ttl"
    ttl.write_text('<https://w3id.org/hvp/patent/CN-T02> <http://purl.org/dc/terms/title> "'
                   + "y" * LONGEST + '" .\n')
    code, out = hvp(tmp_path / "s", "ingest", "-q", str(folder), str(ttl))
    assert code == 0, out
    titles = {q.object.value for q in LocalStore(tmp_path / "s").quads(
        None, ox.NamedNode("http://purl.org/dc/terms/title"), None)}
    assert "x" * LONGEST in titles and "y" * LONGEST in titles
