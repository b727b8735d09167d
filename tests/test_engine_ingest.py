"""`hvp ingest --endpoint` into a real `oxigraph serve` (kg.engines.load): the embedded store's
checks, the data switched in one update, the engine's data left as it was on every failure."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.endpoint import EndpointStore
from kg.engines import load
from kg.errors import StoreError
from kg.iri import DEFAULT_BASE

SMALL = Path(__file__).parent / "data" / "small"
sys.path.insert(0, str(Path(__file__).parent))
from engines import oxigraph_served  # noqa: E402


@pytest.fixture()
def url(tmp_path: Path) -> Iterator[str]:
    with oxigraph_served(tmp_path / "engine") as engine:
        yield engine.url


def _all(url: str) -> set[ox.Quad]:
    rows = EndpointStore(url).select("SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION "
                                     "{ GRAPH ?g { ?s ?p ?o } } }")
    return {ox.Quad(r["s"], r["p"], r["o"], r["g"] if "g" in r else ox.DefaultGraph())
            for r in rows}


def test_ingest_then_the_commands_answer_as_the_embedded_store(url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    here = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here, "ingest", "-q", str(SMALL)]).exit_code == 0
    there = runner.invoke(cli, ["--endpoint", url, "ingest", str(SMALL)])
    assert there.exit_code == 0, there.output
    assert "sending 2," in there.stderr and "switching the engine's data" in there.stderr
    for args in (["classify", "--as-of", "2024-12-31"], ["indicators", "--year", "2024"],
                 ["explain", "CN-T01", "--as-of", "2024-12-31"]):
        a, b = runner.invoke(cli, [*here, *args]), runner.invoke(cli, ["--endpoint", url, *args])
        assert a.exit_code == b.exit_code == 0 and b.stdout_bytes == a.stdout_bytes, args
    again = runner.invoke(cli, ["--endpoint", url, "ingest", "-q", str(SMALL)])
    assert again.exit_code == 0 and "1 classification and 1 indicator cube" in again.stderr
    graphs = EndpointStore(url).select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    # derived graphs dropped, no staging graph left: the dataset description's graph only
    assert [g["g"].value for g in graphs] == [f"{DEFAULT_BASE}.well-known/void"]


def test_bad_row_is_refused_and_the_engine_left_as_it_was(url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--endpoint", url, "ingest", "-q", str(SMALL)]).exit_code == 0
    before = _all(url)
    bad = tmp_path / "bad"
    shutil.copytree(SMALL, bad)
    with (bad / "patents.csv").open("a", encoding="utf-8") as f:
        f.write("CN-X1,invention,t,2020-02-30,,,G06N3/04,O1,\n")
    result = runner.invoke(cli, ["--endpoint", url, "ingest", "-q", str(bad)])
    assert result.exit_code == 2 and "patents.csv:12: column 'filing_date'" in result.stderr
    assert _all(url) == before


def test_a_failure_while_sending_leaves_the_data(url: str, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    """The engine stops taking writes after the first batch: the staging graph is dropped and
    the data is what it was."""
    remote = EndpointStore(url)
    load.ingest_remote(remote, [SMALL], base=DEFAULT_BASE)
    before = _all(url)
    sent = []
    real = EndpointStore.load

    def failing(self: EndpointStore, source: bytes, fmt: ox.RdfFormat,
                graph: ox.NamedNode | None = None) -> None:
        if sent:
            raise StoreError("the engine went away")
        sent.append(graph)
        real(self, source, fmt, graph)

    monkeypatch.setattr(EndpointStore, "load", failing)
    with pytest.raises(StoreError, match="went away"):
        load.ingest_remote(remote, [SMALL], base=DEFAULT_BASE, batch=500)
    assert sent and sent[0] is not None and sent[0].value.startswith("urn:hvp:staging:")
    assert _all(url) == before


def test_export_streams_what_the_engine_holds(url: str, tmp_path: Path) -> None:
    """`hvp export --endpoint`: the engine's dataset (N-Quads) and its default graph alone
    (N-Triples), as the embedded store exports the same data."""
    runner = CliRunner()
    here = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here, "ingest", "-q", str(SMALL)]).exit_code == 0
    assert runner.invoke(cli, ["--endpoint", url, "ingest", "-q", str(SMALL)]).exit_code == 0
    for args in (["--format", "nq"], ["--format", "nt", "--graph", "default"]):
        a = runner.invoke(cli, [*here, "export", *args])
        b = runner.invoke(cli, ["--endpoint", url, "export", "--output",
                                str(tmp_path / "out"), *args])
        assert a.exit_code == b.exit_code == 0, b.output
        fmt = ox.RdfFormat.N_QUADS if "nq" in args else ox.RdfFormat.N_TRIPLES
        # the dataset descriptions differ in their times of loading (kg.dataset): left out
        void = ox.NamedNode(f"{DEFAULT_BASE}.well-known/void")
        there = {q for q in ox.parse(path=tmp_path / "out", format=fmt) if q.graph_name != void}
        assert there == {q for q in ox.parse(a.stdout_bytes, format=fmt) if q.graph_name != void}


def test_blank_nodes_are_sent_in_one_piece(url: str, tmp_path: Path) -> None:
    """Data with blank nodes goes in one POST: batches would make one node two."""
    extra = tmp_path / "extra.ttl"
    extra.write_text('<https://w3id.org/hvp/patent/CN-T01> '
                     '<http://www.w3.org/2000/01/rdf-schema#seeAlso> '
                     '[ <http://www.w3.org/2000/01/rdf-schema#label> "note" ] .\n',
                     encoding="utf-8")
    remote = EndpointStore(url)
    load.ingest_remote(remote, [SMALL, extra], base=DEFAULT_BASE, batch=10)
    assert remote.ask("ASK { <https://w3id.org/hvp/patent/CN-T01> "
                      "<http://www.w3.org/2000/01/rdf-schema#seeAlso> ?b . "
                      '?b <http://www.w3.org/2000/01/rdf-schema#label> "note" '
                      "FILTER(isBlank(?b)) }")


def test_stats_after_a_remote_ingest_is_the_embedded_stores(url: str, tmp_path: Path) -> None:
    """The dataset description travels with the data (its own staging graph, moved in the same
    update): `stats` prints what the embedded store prints, but for the times; a second ingest
    keeps the time the dataset was created."""
    runner = CliRunner()
    here = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here, "ingest", "-q", str(SMALL)]).exit_code == 0
    assert runner.invoke(cli, ["--endpoint", url, "ingest", "-q", str(SMALL)]).exit_code == 0

    def lines(target: list[str]) -> dict[str, str]:
        result = runner.invoke(cli, [*target, "stats"])
        assert result.exit_code == 0, result.output
        return {line[:24].strip() + str(i): line[24:].strip()
                for i, line in enumerate(result.stdout.splitlines())}

    want, got = lines(here), lines(["--endpoint", url])
    timeless = {k: v for k, v in want.items() if not k.startswith(("created", "modified"))}
    assert {k: v for k, v in got.items() if k in timeless} == timeless
    assert set(got) == set(want) and any(k.startswith("created") for k in got)
    again = runner.invoke(cli, ["--endpoint", url, "ingest", "-q", str(SMALL)])
    assert again.exit_code == 0
    after = lines(["--endpoint", url])
    created = next(k for k in got if k.startswith("created"))
    assert after[created] == got[created]
    assert not EndpointStore(url).ask("ASK { GRAPH ?g { ?s ?p ?o } "
                                      "FILTER(STRSTARTS(STR(?g), 'urn:hvp:staging:')) }")
