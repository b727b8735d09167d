"""`hvp ingest --format google-patents`: Google Patents Public Data publications (JSON lines,
shaped as the public schema: tests/fixtures/google-patents/) through the CSV pipeline: the
same checks, errors by file, line and field, all or nothing."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "google-patents"
PUBLICATIONS = FIXTURE / "publications.jsonl"
COMPLETE = FIXTURE / "complete.csv"
CLASSIFIED = """patent_id,valid,domestic,region,high_value,criteria
CN-102000003,true,true,,true,maintained
CN-108000002,false,true,CN-BJ,false,
CN-112000001,true,true,CN-GD,true,sei;overseas
CN-114000007,true,true,CN-GD,false,
CN-115000006,true,false,,false,
"""


def hvp(store: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), *args])


def ingest(store: Path, *files: Path | str, complete: Path | None = None) -> Result:
    extra = ["--complete", str(complete)] if complete else []
    return hvp(store, "ingest", "-q", "--format", "google-patents", *map(str, files), *extra)


def test_publications_load_and_classify(tmp_path: Path) -> None:
    store = tmp_path / "store"
    out = ingest(store, PUBLICATIONS, complete=COMPLETE)
    assert out.exit_code == 0, out.output
    assert "5 owners, 5 patents, 3 family members" in out.stderr
    classified = hvp(store, "classify", "--as-of", "2024-12-31")
    assert classified.exit_code == 0, classified.output
    # kind C counts as a grant; the lapse date and the regions come from the completing CSV;
    # the US grant of the family makes CN-112000001 `overseas`, not its WO and EP applications
    assert classified.stdout == CLASSIFIED


def test_what_each_publication_becomes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert ingest(store, PUBLICATIONS).exit_code == 0
    rows = _select(store, """PREFIX hvp: <https://w3id.org/hvp/def#>
        PREFIX patent: <http://data.epo.org/linked-data/def/patent/>
        SELECT ?number ?office ?granted WHERE { ?m patent:publicationNumber ?number ;
          hvp:office ?office . OPTIONAL { ?m hvp:grantDate ?granted } } ORDER BY ?number""")
    assert rows == [["EP-4000001-A1", "EP", ""], ["US-11000001-B2", "US", "2022-03-01"],
                    ["WO-2021000001-A1", "WO", ""]]
    owners = _select(store, """PREFIX hvp: <https://w3id.org/hvp/def#>
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?name ?country WHERE { ?o a hvp:Owner ; foaf:name ?name ; hvp:country ?country }
        ORDER BY ?name""")
    assert owners == [["APPLE INC", "US"], ["SIEMENS AG", "DE"], ["中国石油化工股份有限公司", "CN"],
                      ["华为技术有限公司", "CN"], ["清华大学", "CN"]]
    titles = _select(store, """PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?t WHERE { <https://w3id.org/hvp/patent/CN-115000006> dcterms:title ?t }""")
    assert titles == [["触摸屏"]]  # the Chinese title first
    first = _select(store, """PREFIX hvp: <https://w3id.org/hvp/def#>
        PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        SELECT ?name WHERE { <https://w3id.org/hvp/patent/CN-108000002> hvp:firstOwner ?o .
        ?o foaf:name ?name }""")
    assert first == [["清华大学"]]


def test_gzipped_is_the_same(tmp_path: Path) -> None:
    packed = tmp_path / "publications.jsonl.gz"
    packed.write_bytes(gzip.compress(PUBLICATIONS.read_bytes()))
    assert ingest(tmp_path / "a", PUBLICATIONS).exit_code == 0
    assert ingest(tmp_path / "b", packed).exit_code == 0
    dumps = [hvp(tmp_path / s, "export", "--format", "nt", "--graph", "default").stdout
             for s in ("a", "b")]
    assert sorted(dumps[0].splitlines()) == sorted(dumps[1].splitlines())


def _edited(tmp_path: Path, line: int, change: dict[str, object] | str) -> Path:
    lines = PUBLICATIONS.read_text(encoding="utf-8").splitlines()
    if isinstance(change, str):
        lines[line - 1] = change
    else:
        record = json.loads(lines[line - 1])
        record.update(change)
        lines[line - 1] = json.dumps(record, ensure_ascii=False)
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "change", "needle"), [
    (1, {"filing_date": 20201340}, ":1: column 'filing_date': 20201340 is not a date"),
    (6, {"grant_date": "2016-03-01"}, ":6: column 'grant_date': '2016-03-01' is not a date as "
                                      "YYYYMMDD"),
    (10, {"ipc": [{"code": "XYZ", "inventive": True, "first": True, "tree": []}]},
     ":10: column 'ipc[].code': "),
    (11, {"assignee_harmonized": [{"name": "华为技术有限公司", "country_code": ""}]},
     ":11: column 'assignee_harmonized[0].country_code': missing or empty"),
    (7, "{not json", ":7: column '(line)': not JSON"),
    (11, {"publication_number": "CN-112000001-B"}, ":11: column 'publication_number': "
                                                   "duplicate id 'CN-112000001' (first on line 1)"),
    (6, {"filing_date": 20170101}, ":6: column 'grant_date': 2016-03-01 is before the filing "
                                   "date 2017-01-01"),
])
def test_bad_rows_are_named_and_nothing_is_written(tmp_path: Path, line: int,
                                                   change: dict[str, object] | str,
                                                   needle: str) -> None:
    store = tmp_path / "store"
    assert ingest(store, PUBLICATIONS).exit_code == 0
    before = hvp(store, "export").stdout
    bad = _edited(tmp_path, line, change)
    out = ingest(store, bad)
    assert out.exit_code == 2, out.output
    assert f"{bad}{needle}" in out.stderr, out.stderr
    assert "Traceback" not in out.output
    assert hvp(store, "export").stdout == before  # the store is left exactly as it was


@pytest.mark.parametrize(("text", "needle"), [
    ("patent_id,lapse_date,region\nCN-999,,CN-GD\n", ":2: column 'patent_id': 'CN-999' is not "
                                                     "a CN invention grant"),
    ("patent_id,lapse_date,region\nCN-115000006,,CN-GD\n", ":2: column 'region': 'CN-GD' is "
                                                           "not a region of country US"),
    ("patent_id,lapse_date,region\nCN-112000001,2023-02-30,\n", ":2: column 'lapse_date'"),
    ("patent_id,region\nCN-112000001,CN-GD\n", ":1: column 'lapse_date': missing column"),
])
def test_bad_completing_rows(tmp_path: Path, text: str, needle: str) -> None:
    complete = tmp_path / "complete.csv"
    complete.write_text(text, encoding="utf-8")
    out = ingest(tmp_path / "store", PUBLICATIONS, complete=complete)
    assert out.exit_code == 2 and f"{complete}{needle}" in out.stderr, out.stderr
    assert not (tmp_path / "store").exists()  # a store the command would have created


def test_usage_errors(tmp_path: Path) -> None:
    out = hvp(tmp_path / "s", "ingest", "--complete", str(COMPLETE), str(FIXTURE))
    assert out.exit_code == 2 and "--complete goes with --format google-patents" in out.output
    folder = ingest(tmp_path / "s", FIXTURE)
    assert folder.exit_code == 2 and "a folder, not a file of JSON lines" in folder.stderr
    nothing = tmp_path / "none.jsonl"
    shutil.copy(PUBLICATIONS, nothing)
    nothing.write_text("\n".join(line for line in PUBLICATIONS.read_text().splitlines()
                                 if '"country_code": "CN", "kind_code": "B"' not in line
                                 and '"kind_code": "C"' not in line) + "\n")
    out = ingest(tmp_path / "s", nothing)
    assert out.exit_code == 2 and "no CN invention grant" in out.stderr
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(b"not gzip")
    out = ingest(tmp_path / "s", broken)
    assert out.exit_code == 2 and f"{broken}:1: column '(file)': cannot read it" in out.stderr


def _select(store: Path, query: str) -> list[list[str]]:
    import csv
    import io

    out = CliRunner().invoke(cli, ["--store", str(store), "sparql", "--format", "csv", "-"],
                             input=query)
    assert out.exit_code == 0, out.output
    return list(csv.reader(io.StringIO(out.stdout)))[1:]


def test_an_export_in_several_files_is_one_export(tmp_path: Path) -> None:
    """BigQuery splits a large export: a family member before its CN grant's file, an assignee
    in both, a completing row for a patent of the second file."""
    lines = PUBLICATIONS.read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "part-0.jsonl", tmp_path / "part-1.jsonl.gz"
    first.write_text("\n".join(lines[2:]) + "\n", encoding="utf-8")  # US, WO, EP members first
    second.write_bytes(gzip.compress(("\n".join(lines[:2]) + "\n").encode()))  # their CN grant
    out = ingest(tmp_path / "split", first, second, complete=COMPLETE)
    assert out.exit_code == 0, out.output
    assert "5 owners, 5 patents, 3 family members" in out.stderr
    assert ingest(tmp_path / "whole", PUBLICATIONS, complete=COMPLETE).exit_code == 0
    dumps = [hvp(tmp_path / s, "export", "--format", "nt", "--graph", "default").stdout
             for s in ("split", "whole")]
    assert sorted(dumps[0].splitlines()) == sorted(dumps[1].splitlines())
