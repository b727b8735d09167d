"""Virtuoso Open Source 7 (Debian's virtuoso-opensource), started privately on loopback: as
packaged (row limit 10,000, no anonymous updates) and configured for hvp-kg. What it answers
wrong is caught by `hvp doctor`'s probes, and every command that depends on one refuses."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg import reference
from kg.cli import cli
from kg.endpoint import EndpointStore
from kg.engines import doctor
from kg.engines.dialect import VIRTUOSO as VIRTUOSO_FORMS
from kg.errors import StoreError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.stats import counts as store_counts
from kg.store import LocalStore

sys.path.insert(0, str(Path(__file__).parent))
from engines import ISQL, VIRTUOSO, Virtuoso  # noqa: E402

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (VIRTUOSO and ISQL), reason="virtuoso-opensource is not "
                                 "installed (apt-get install virtuoso-opensource; CI does)")]
SMALL = Path(__file__).parent / "data" / "small"


@pytest.fixture(scope="module")
def local() -> LocalStore:
    store = LocalStore()
    reference.ensure(store)
    ingest(store, [SMALL], base=DEFAULT_BASE)
    return store


def _start(folder: Path, configured: bool, local: LocalStore) -> Virtuoso:
    engine = Virtuoso(folder, configured=configured)
    buffer = io.BytesIO()
    local.dump(buffer, ox.RdfFormat.N_QUADS)
    engine.load_nquads(buffer.getvalue(), "urn:hvp:data")
    return engine


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory, local: LocalStore) -> Iterator[Virtuoso]:
    engine = _start(tmp_path_factory.mktemp("virtuoso-packaged"), False, local)
    yield engine
    engine.stop()


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory,
               local: LocalStore) -> Iterator[Virtuoso]:
    engine = _start(tmp_path_factory.mktemp("virtuoso-configured"), True, local)
    yield engine
    engine.stop()


def store_of(engine: Virtuoso, **kwargs: object) -> EndpointStore:
    return EndpointStore(engine.url, update=engine.url, graph_store=engine.gsp,
                         **kwargs)  # type: ignore[arg-type]


def verdicts(store: EndpointStore) -> dict[str, bool]:
    return {v.probe.name: v.passed for v in doctor.run(store)}


def test_packaged_virtuoso_fails_the_probes_its_settings_cause(packaged: Virtuoso) -> None:
    got = verdicts(store_of(packaged))
    assert got["query"] and not got["update"] and not got["row-limit"]
    assert not any(got[n] for n in ("graph-store", "dates-in-filter", "unbound-comparison",
                                    "values-with-bind", "distinct-union"))  # not run
    assert not got["default-graph"]


def test_doctor_command_on_packaged_virtuoso(packaged: Virtuoso) -> None:
    result = CliRunner().invoke(cli, ["--update-endpoint", packaged.url, "--gsp-endpoint",
                                      packaged.gsp, "doctor", "--endpoint", packaged.url])
    assert result.exit_code == 1
    assert "ResultSetMaxRows" in result.stdout and "GRANT SPARQL_UPDATE" in result.stdout
    assert "row-limit" in result.stderr and "update" in result.stderr


def test_truncation_is_an_error_never_a_partial_result(packaged: Virtuoso) -> None:
    digits = "{ 0 1 2 3 4 5 6 7 8 9 }"
    query = f"SELECT * {{ VALUES ?a {digits} VALUES ?b {digits} VALUES ?c {digits} }}"
    assert len(store_of(packaged).select(query)) == 1_000
    query = query[:-1] + f" VALUES ?d {digits} VALUES ?e {{ 0 1 }} }}"
    with pytest.raises(StoreError, match="cut the result at 10000 rows.*ResultSetMaxRows"):
        store_of(packaged).select(query)


def test_virtuoso_blank_nodes_are_read(packaged: Virtuoso) -> None:
    rows = store_of(packaged).select("SELECT ?b WHERE { ?b ?p ?o FILTER(isBlank(?b)) } LIMIT 2")
    assert len(rows) == 2 and all(isinstance(r["b"], ox.BlankNode) for r in rows)


def test_a_write_answered_by_an_html_page_is_a_failure(packaged: Virtuoso) -> None:
    """Virtuoso answers a Graph Store POST of N-Quads without a graph with 200 and an HTML page,
    storing nothing; anonymous writes with 403."""
    store = store_of(packaged)
    quad = b"<http://e/a> <http://e/b> <http://e/c> <http://e/g> .\n"
    with pytest.raises(StoreError, match="answered 200 with text/html"):
        store._http("POST", packaged.gsp, quad, {"Content-Type": "application/n-quads"})
    with pytest.raises(StoreError, match="403"):
        store.load(quad, ox.RdfFormat.N_QUADS)


def test_digest_credentials_on_sparql_auth(packaged: Virtuoso) -> None:
    """The packaged engine takes updates from a user over digest authentication."""
    auth = packaged.url + "-auth"
    store = EndpointStore(packaged.url, update=auth, graph_store=packaged.gsp + "-auth",
                          user="dba", password="dba", auth="digest")
    graph = ox.NamedNode("urn:hvp:digest")
    store.update(f"INSERT DATA {{ GRAPH {graph} {{ {graph} {graph} 1 }} }}")
    assert store.ask(f"ASK {{ GRAPH {graph} {{ ?s ?p 1 }} }}")
    store.add([ox.Quad(graph, graph, ox.Literal("gsp"), graph)])
    assert store.ask(f'ASK {{ GRAPH {graph} {{ ?s ?p "gsp" }} }}')
    store.clear_graph(graph)
    refused = EndpointStore(packaged.url, update=auth, user="dba", password="wrong",
                            auth="digest")
    with pytest.raises(StoreError):
        refused.update(f"INSERT DATA {{ GRAPH {graph} {{ {graph} {graph} 2 }} }}")


def test_configured_virtuoso_passes_in_its_dialect(configured: Virtuoso) -> None:
    """Configured and in the Virtuoso dialect, every probe the commands need passes; its own
    faults are reported where hvp-kg's forms avoid them (the unbound comparison inside
    COALESCE; date literals, on some runs only; MINUS over a sub-SELECT: validate runs on a
    copy)."""
    store = store_of(configured, dialect=VIRTUOSO_FORMS)
    got = {v.probe.name: v for v in doctor.run(store)}
    needed = {n for command in doctor.NEEDS for n in doctor.needs(store, command)}
    assert all(got[n].passed for n in needed - {"default-graph"}), got
    assert not got["coalesce-unbound"].passed and not got["default-graph"].passed
    assert not got["minus-subselect"].passed and got["minus-subselect"].avoided
    assert all(p.avoided for p in doctor.PROBES if p.name in ("coalesce-unbound",
                                                               "date-literals"))


def test_date_constants_as_casts_are_right(configured: Virtuoso, local: LocalStore) -> None:
    """Grant dates on or before each year's end, counted on Virtuoso in its dialect, as the
    embedded store counts them."""
    remote = store_of(configured, dialect=VIRTUOSO_FORMS)
    for day in doctor.YEAR_ENDS:
        query = ("SELECT (COUNT(*) AS ?n) WHERE { ?p <https://w3id.org/hvp/def#grantDate> ?d "
                 f'FILTER(?d <= "{day}"^^<http://www.w3.org/2001/XMLSchema#date>) }}')
        assert remote.select(query)[0]["n"].value == local.select(query)[0]["n"].value, day


CLI_OUTPUTS = [["classify", "--as-of", "2024-12-31"], ["classify", "--as-of", "2019-12-31"],
               ["indicators", "--years", "2020-2024", "--by", "all"],
               ["indicators", "--year", "2024", "--format", "json"],
               ["indicators", "--year", "2024", "--format", "ttl"],
               ["explain", "CN-T01", "--as-of", "2024-12-31", "--format", "json"],
               ["explain", "CN-T05", "--as-of", "2019-12-31"],
               ["query", "criteria-count"]]


def test_cli_outputs_on_virtuoso_are_the_embedded_stores(configured: Virtuoso,
                                                         tmp_path: Path) -> None:
    """ingest -> classify -> indicators -> explain: byte for byte the embedded store's output,
    with the virtuoso preset (its dialect, its update and graph store URLs)."""
    runner = CliRunner(env={"HVP_ENDPOINT_ENGINE": "virtuoso"})
    here_store = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here_store, "ingest", "-q", str(SMALL)]).exit_code == 0
    loaded = runner.invoke(cli, ["--endpoint", configured.url, "ingest", "-q", str(SMALL)])
    assert loaded.exit_code == 0, loaded.output  # replaces the data graph bulk-loaded first
    for args in CLI_OUTPUTS:
        here = runner.invoke(cli, [*here_store, *args])
        there = runner.invoke(cli, ["--endpoint", configured.url, *args])
        assert here.exit_code == there.exit_code == 0, (args, there.output)
        assert there.stdout_bytes == here.stdout_bytes, args
    # Virtuoso keeps an xsd:decimal to 15 decimal places: a stored ratio read back (the
    # cube's per_10k, 12 significant digits there) is equal to 11, not to the 20 written
    args = ["query", "region-series", "--param", "region=CN-GD", "--param", "from=2020"]
    here, there = (runner.invoke(cli, [*target, *args]) for target in
                   (here_store, ["--endpoint", configured.url]))
    assert here.exit_code == there.exit_code == 0
    assert _rounded(there.stdout) == _rounded(here.stdout) and len(here.stdout) > 100


def _rounded(csv: str) -> list[list[str]]:
    def cell(text: str) -> str:
        return f"{float(text):.10e}" if "." in text and text.replace(".", "").isdigit() else text
    return [[cell(c) for c in line.split(",")] for line in csv.splitlines()]


@pytest.mark.parametrize("args", [["classify", "--as-of", "2024-12-31"],
                                  ["indicators", "--year", "2024"],
                                  ["explain", "CN-T01", "--as-of", "2024-12-31"]])
def test_commands_refuse_packaged_virtuoso(packaged: Virtuoso, args: list[str]) -> None:
    """As Debian packages it (anonymous updates refused, 10,000 rows), even in its dialect."""
    runner = CliRunner(env={"HVP_ENDPOINT_ENGINE": "virtuoso"})
    result = runner.invoke(cli, ["--endpoint", packaged.url, *args])
    assert result.exit_code == 2, result.output
    assert f"hvp {args[0]} refused" in result.stderr and "'row-limit'" in result.stderr
    assert "ResultSetMaxRows" in result.stderr and result.stdout == ""


def test_stats_and_export_read_the_data_graph(configured: Virtuoso, local: LocalStore) -> None:
    """With the virtuoso preset: `export` writes the data graph as the default graph, the
    embedded store's quads, and the derived graphs, without Virtuoso's own graphs; `stats`
    counts what the export holds (the data graph by name: Virtuoso's default graph is the
    union of all its graphs), as the embedded store counts it."""
    runner = CliRunner(env={"HVP_ENDPOINT_ENGINE": "virtuoso"})
    base = ["--endpoint", configured.url]
    export = runner.invoke(cli, [*base, "export", "--format", "nq"])
    assert export.exit_code == 0, export.stderr
    quads = set(ox.parse(export.stdout_bytes, format=ox.RdfFormat.N_QUADS))
    buffer = io.BytesIO()
    local.dump(buffer, ox.RdfFormat.N_QUADS, ox.DefaultGraph())
    want = set(ox.parse(buffer.getvalue(), format=ox.RdfFormat.N_QUADS))
    assert {q for q in quads if q.graph_name == ox.DefaultGraph()} == want
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert not any(g.startswith(("http://www.openlinksw.com/", "http://localhost:8890/"))
                   for g in graphs)
    exported = LocalStore()
    exported.load(export.stdout_bytes, ox.RdfFormat.N_QUADS)
    stats = runner.invoke(cli, [*base, "stats"])
    assert stats.exit_code == 0, stats.output
    counted = store_counts(exported)
    assert counted["invention patents"] > 0 and counted["named graphs"] == len(graphs) > 0
    for name, n in counted.items():
        assert f"{name:<24}{n:>12,}" in stats.stdout, name
    assert store_counts(EndpointStore(configured.url, update=configured.url,
                                      graph_store=configured.gsp, engine="virtuoso")) == counted


def test_validate_refused_naming_the_fault_without_the_dialect(configured: Virtuoso) -> None:
    """Without endpoint_engine = virtuoso, validate would run in the engine: refused (in the
    dialect it runs on a copy: tests/test_engine_validate.py)."""
    result = CliRunner().invoke(cli, ["--update-endpoint", configured.url, "--gsp-endpoint",
                                      configured.gsp, "--endpoint", configured.url, "validate"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "hvp validate refused" in result.stderr and "'minus-subselect'" in result.stderr


def test_the_web_app_over_virtuoso(configured: Virtuoso, tmp_path: Path) -> None:
    """`hvp serve --endpoint` (granian) over real HTTP: a patent page, a canned query's page,
    and the indicators as CSV equal to the embedded store's."""
    import json
    import os
    import subprocess
    import time
    import urllib.request

    from engines import free_port

    runner = CliRunner(env={"HVP_ENDPOINT_ENGINE": "virtuoso"})
    assert runner.invoke(cli, ["--endpoint", configured.url, "ingest", "-q",
                               str(SMALL)]).exit_code == 0
    here = ["--store", str(tmp_path / "here")]
    assert runner.invoke(cli, [*here, "ingest", "-q", str(SMALL)]).exit_code == 0
    want = runner.invoke(cli, [*here, "indicators", "--year", "2024", "--format", "csv"]).stdout
    port = free_port()
    env = {**os.environ, "HVP_ENDPOINT_ENGINE": "virtuoso",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent.parent),
                                          os.environ.get("PYTHONPATH", "")])}
    hvp = Path(sys.executable).parent / "hvp"
    proc = subprocess.Popen([str(hvp), "--endpoint", configured.url, "serve", "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env)
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> tuple[int, bytes]:
        with urllib.request.urlopen(base + path, timeout=120) as response:
            return response.status, response.read()

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = get("/healthz")
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "hvp serve did not start"
                time.sleep(0.5)
        assert json.loads(body)["store"] == configured.url
        status, body = get("/patent/CN-T01")
        assert status == 200 and b"Neural network accelerator" in body
        status, body = get("/queries/region-series?region=CN-GD&from=2020&to=2024")
        assert status == 200 and b"CN-GD" in body
        status, body = get("/indicators.csv?years=2024")
        # docs/rules.md §4's five columns first (then the region's name, the official value)
        rows = [",".join(line.split(",")[:5]) for line in body.decode().splitlines()[1:]]
        assert status == 200 and rows == want.splitlines()[1:]
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stderr.close()  # type: ignore[union-attr]
