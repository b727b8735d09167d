"""`hvp sparql QUERY_FILE|-`: ad-hoc queries on the on-disk store, in every format of /sparql,
under the time limit, with errors that say where a query is wrong."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import cli

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?p a <https://w3id.org/hvp/def#Patent> }"
CONSTRUCT = ("PREFIX hvp: <https://w3id.org/hvp/def#> "
             "CONSTRUCT { ?p a hvp:Patent } WHERE { ?p a hvp:Patent }")
#: Three unconstrained patterns over the whole store: billions of rows, never done in a test.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def hvp(store: Path, *args: str, stdin: str | bytes | None = None,
        env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), "sparql", *args], input=stdin,
                              env=env)


def test_select_in_each_results_format(disk_store_dir: Path) -> None:
    out = hvp(disk_store_dir, "-", stdin=COUNT)
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)  # the default for a SELECT: SPARQL results in JSON
    assert body["results"]["bindings"][0]["n"]["value"] == "10"
    rows = list(csv.reader(io.StringIO(hvp(disk_store_dir, "--format", "csv", "-",
                                           stdin=COUNT).stdout)))
    assert rows == [["n"], ["10"]]
    tsv = hvp(disk_store_dir, "--format", "tsv", "-", stdin=COUNT).stdout
    assert tsv.splitlines() == ["?n", "10"]
    xml = ET.fromstring(hvp(disk_store_dir, "--format", "xml", "-", stdin=COUNT).stdout)
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert xml.find(f".//{ns}literal").text == "10"  # type: ignore[union-attr]


def test_ask_answers_a_boolean(disk_store_dir: Path) -> None:
    out = hvp(disk_store_dir, "-", stdin="ASK { ?s ?p ?o }")
    assert json.loads(out.stdout)["boolean"] is True
    assert hvp(disk_store_dir, "--format", "csv", "-", stdin="ASK {}").stdout.strip() == "true"


@pytest.mark.parametrize(("fmt", "rdf"), [
    (None, ox.RdfFormat.TURTLE), ("turtle", ox.RdfFormat.TURTLE),
    ("ntriples", ox.RdfFormat.N_TRIPLES), ("jsonld", ox.RdfFormat.JSON_LD),
    ("rdfxml", ox.RdfFormat.RDF_XML)])
def test_construct_in_each_graph_format(disk_store_dir: Path, fmt: str | None,
                                        rdf: ox.RdfFormat) -> None:
    out = hvp(disk_store_dir, *(["--format", fmt] if fmt else []), "-", stdin=CONSTRUCT)
    assert out.exit_code == 0, out.output
    assert len(list(ox.parse(out.stdout_bytes, format=rdf))) == 10


def test_a_query_file_and_an_output_file(disk_store_dir: Path, tmp_path: Path) -> None:
    query = tmp_path / "count.rq"
    query.write_text(COUNT, encoding="utf-8")
    target = tmp_path / "answer.csv"
    out = hvp(disk_store_dir, "--format", "csv", "-o", str(target), str(query))
    assert out.exit_code == 0 and out.stdout == ""
    assert target.read_text(encoding="utf-8").splitlines() == ["n", "10"]


def test_a_bad_query_is_placed_by_line_and_column(disk_store_dir: Path, tmp_path: Path) -> None:
    query = tmp_path / "bad.rq"
    query.write_text("SELECT *\nWHERE {\n  ?s ?p\n}\n", encoding="utf-8")
    target = tmp_path / "answer.json"
    out = hvp(disk_store_dir, "-o", str(target), str(query))
    assert out.exit_code == 2
    # the engine's position (where its parser gave up), with the file's name
    assert re.search(rf"{re.escape(str(query))}:[3-5]:\d+: invalid SPARQL: expected", out.stderr)
    assert "Traceback" not in out.output and not target.exists()
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.parametrize(("stdin", "needle"), [
    ("  \n", "the query is empty"),
    (b"SELECT * WHERE { ?s ?p \xe9 }", "<stdin>:1: not UTF-8: byte 0xE9"),
])
def test_unreadable_queries(disk_store_dir: Path, stdin: str | bytes, needle: str) -> None:
    out = hvp(disk_store_dir, "-", stdin=stdin)
    assert out.exit_code == 2 and needle in out.stderr, out.output


def test_a_format_that_does_not_fit_the_query_form(disk_store_dir: Path) -> None:
    out = hvp(disk_store_dir, "--format", "turtle", "-", stdin=COUNT)
    assert out.exit_code == 2 and "a SELECT answers a table" in out.stderr
    out = hvp(disk_store_dir, "--format", "csv", "-", stdin=CONSTRUCT)
    assert out.exit_code == 2 and "answers a graph" in out.stderr


def test_a_missing_query_file(disk_store_dir: Path, tmp_path: Path) -> None:
    out = hvp(disk_store_dir, str(tmp_path / "nope.rq"))
    assert out.exit_code == 2 and "cannot read the query" in out.stderr


def _children() -> set[int]:
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                found.add(int(entry.name))
    return found


@pytest.mark.slow
def test_the_time_limit_stops_a_runaway_query(disk_store_dir: Path) -> None:
    before = _children()
    started = time.monotonic()
    out = hvp(disk_store_dir, "--timeout", "1.5", "-", stdin=RUNAWAY)
    took = time.monotonic() - started
    assert out.exit_code == 2 and "exceeded the 1.5 s time limit" in out.stderr, out.output
    assert took < 15, took  # a worker's start, the limit, the kill
    assert _children() <= before  # the worker is gone, not left running the query
    # the timeout setting is the default limit
    out = hvp(disk_store_dir, "-", stdin=RUNAWAY, env={"HVP_TIMEOUT": "1"})
    assert out.exit_code == 2 and "exceeded the 1 s time limit" in out.stderr


def test_in_memory(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["--store", ":memory:", "sparql", "--format", "csv", "-"],
                             input="SELECT (COUNT(*) > 0 AS ?some) WHERE { ?s ?p ?o }")
    assert out.exit_code == 0 and out.stdout.splitlines() == ["some", "true"]


def test_on_a_remote_endpoint(tmp_path: Path, disk_store_dir: Path) -> None:
    """`--endpoint`: the query goes to the engine (a real `oxigraph serve`), the answer is
    written here in the format asked."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from engines import oxigraph_served

    from kg.endpoint import EndpointStore

    dump = CliRunner().invoke(cli, ["--store", str(disk_store_dir), "export", "--format", "nq"])
    with oxigraph_served(tmp_path / "engine") as engine:
        EndpointStore(engine.url).load(dump.stdout_bytes, ox.RdfFormat.N_QUADS)
        remote = ["--endpoint", engine.url, "sparql"]
        out = CliRunner().invoke(cli, [*remote, "--format", "csv", "-"], input=COUNT)
        assert out.exit_code == 0, out.output
        assert out.stdout.splitlines() == ["n", "10"]
        graph = CliRunner().invoke(cli, [*remote, "--format", "ntriples", "-"], input=CONSTRUCT)
        assert len(list(ox.parse(graph.stdout_bytes, format=ox.RdfFormat.N_TRIPLES))) == 10
        bad = CliRunner().invoke(cli, [*remote, "-"], input="SELECT * WHERE { ?s ?p }")
        assert bad.exit_code == 2 and "the endpoint refused the query" in bad.stderr
