"""`hvp serve --endpoint`: the real web app (granian) over real HTTP, its data in a real
`oxigraph serve` filled by `hvp ingest --endpoint`; users' queries stopped by the client's time
limit; the pages as on the embedded store."""

from __future__ import annotations

import csv as csvlib
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from kg.cli import cli

HERE = Path(__file__).parent
SMALL = HERE / "data" / "small"
HVP = Path(sys.executable).parent / "hvp"
sys.path.insert(0, str(HERE))
from engines import free_port, oxigraph_served  # noqa: E402


def _get(url: str, accept: str = "text/html", timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app's base URL, over an oxigraph serve holding the small data."""
    with oxigraph_served(tmp_path_factory.mktemp("engine")) as engine:
        loaded = CliRunner().invoke(cli, ["--endpoint", engine.url, "ingest", "-q", str(SMALL)])
        assert loaded.exit_code == 0, loaded.output
        port = free_port()
        env = {**os.environ, "HVP_TIMEOUT": "2",
               "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.Popen([str(HVP), "--endpoint", engine.url, "serve", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    _get(f"{base}/healthz", "application/json", 2)
                    break
                except OSError:
                    assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                    assert time.monotonic() < deadline, "hvp serve did not start"
                    time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stderr.close()  # type: ignore[union-attr]


def test_sparql_and_pages_over_the_engine(served: str, tmp_path: Path) -> None:
    ask = quote("ASK { ?s a <https://w3id.org/hvp/def#InventionPatent> }")
    status, body = _get(f"{served}/sparql?query={ask}", "application/sparql-results+json")
    assert status == 200 and json.loads(body)["boolean"] is True
    select = quote("SELECT ?p WHERE { ?p a <https://w3id.org/hvp/def#InventionPatent> } "
                   "ORDER BY ?p LIMIT 2")
    status, body = _get(f"{served}/sparql?query={select}", "application/sparql-results+json")
    rows = json.loads(body)["results"]["bindings"]
    assert status == 200 and [r["p"]["value"][-6:] for r in rows] == ["CN-T01", "CN-T02"]
    status, body = _get(f"{served}/patent/CN-T01", "text/html")
    assert status == 200 and b"CN-T01" in body
    status, body = _get(f"{served}/indicators?years=2024", "text/html", 120)
    assert status == 200 and b"CN-GD" in body
    # the indicators' numbers are the embedded store's
    runner = CliRunner()
    here = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here, "ingest", "-q", str(SMALL)]).exit_code == 0
    want = runner.invoke(cli, [*here, "indicators", "--year", "2024", "--format", "csv"])
    status, body = _get(f"{served}/indicators.csv?years=2024", "text/csv", 60)
    # the download's first five columns are docs/rules.md §4's (then the region's name and the
    # official value: web.indicators)
    served_rows = [",".join(line.split(",")[:5]) for line in body.decode().splitlines()[1:]]
    assert status == 200 and served_rows == want.stdout.splitlines()[1:]


def test_bad_and_runaway_queries(served: str) -> None:
    status, body = _get(f"{served}/sparql?query={quote('SELECT ?s WHERE {')}",
                        "application/sparql-results+json")
    assert status == 400 and b"refused the query" in body
    runaway = quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    started = time.monotonic()
    status, body = _get(f"{served}/sparql?query={runaway}", "application/sparql-results+json")
    assert status == 503 and b"time limit" in body
    assert time.monotonic() - started < 10
    status, body = _get(f"{served}/healthz", "application/json")  # still serving
    assert status == 200 and json.loads(body)["store"].endswith("/query")


CANNED = ["criteria-count", "high-value-by-criterion", "top-owners", "region-series",
          "per10k-by-region"]


@pytest.mark.slow
def test_canned_queries_on_the_engine_are_the_embedded_stores(served: str,
                                                               tmp_path: Path) -> None:
    """A canned query reads the data and the derived graphs it needs (oxigraph serve cannot
    name its default graph: they are merged into a scratch graph, dropped after): through
    /queries/NAME over HTTP and through `hvp query`, the embedded store's rows."""
    runner = CliRunner()
    here = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here, "ingest", "-q", str(SMALL)]).exit_code == 0
    engine = json.loads(_get(f"{served}/healthz", "application/json")[1])["store"]
    for name in CANNED:
        want = runner.invoke(cli, [*here, "query", name])
        assert want.exit_code == 0 and len(want.stdout.splitlines()) > 1, (name, want.output)
        there = runner.invoke(cli, ["--endpoint", engine, "query", name])
        assert there.exit_code == 0, (name, there.output)
        assert there.stdout == want.stdout, name
        status, body = _get(f"{served}/queries/{name}?format=csv", "text/csv", 120)
        assert status == 200, (name, body[:300])
        assert _cells(body.decode()) == _cells(want.stdout), name
    status, body = _get(f"{served}/queries/region-series?region=CN-GD", "text/html", 60)
    assert status == 200 and b"CN-GD" in body
    graphs = quote("SELECT ?g WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), 'urn:hvp:merged:')) }")
    status, body = _get(f"{served}/sparql?query={graphs}", "application/sparql-results+json")
    assert status == 200 and json.loads(body)["results"]["bindings"] == []  # scratch dropped


def _cells(csv: str) -> list[list[str]]:
    """Rows of cells (the download may quote or end lines differently than the CLI)."""
    return [row for row in csvlib.reader(io.StringIO(csv)) if row]
