"""EndpointStore against a real `oxigraph serve` process on loopback: same answers as LocalStore."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import reference
from kg.endpoint import EndpointStore
from kg.errors import QueryError, StoreError
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore

SMALL = Path(__file__).parent / "data" / "small"
sys.path.insert(0, str(Path(__file__).parent))
from engines import free_port, oxigraph_served  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_served(tmp_path_factory.mktemp("oxigraph")) as engine:
        yield engine.url.rsplit("/", 1)[0]


@pytest.fixture(scope="module")
def pair(server: str) -> tuple[LocalStore, EndpointStore]:
    local = LocalStore()
    reference.ensure(local)
    ingest(local, [SMALL], base=DEFAULT_BASE)
    buffer = io.BytesIO()
    local.dump(buffer, ox.RdfFormat.N_QUADS)
    remote = EndpointStore(f"{server}/query")
    remote.load(buffer.getvalue(), ox.RdfFormat.N_QUADS)
    return local, remote


QUERIES = [
    """PREFIX hvp: <https://w3id.org/hvp/def#>
       SELECT ?p ?code WHERE { ?p hvp:ipcCode ?code } ORDER BY ?p ?code""",
    """PREFIX hvp: <https://w3id.org/hvp/def#>
       SELECT ?r (COUNT(?p) AS ?n) WHERE { ?p hvp:firstOwner/hvp:region ?r }
       GROUP BY ?r ORDER BY ?r""",
    """SELECT ?s WHERE {
         ?s <http://purl.org/dc/terms/title> "Battery electrode, with \\"quotes\\"" }""",
]


@pytest.mark.parametrize("query", QUERIES)
def test_select_same_as_local(pair: tuple[LocalStore, EndpointStore], query: str) -> None:
    local, remote = pair
    assert remote.select(query) == local.select(query)
    assert remote.select(query)


def test_bindings_become_values(pair: tuple[LocalStore, EndpointStore]) -> None:
    local, remote = pair
    query = "SELECT ?p ?t WHERE { ?p <http://purl.org/dc/terms/title> ?t }"
    bindings = {"p": ox.NamedNode("https://w3id.org/hvp/patent/CN-T03")}
    assert remote.select(query, bindings) == local.select(query, bindings) != []
    evil = {"t": ox.Literal('x" } . ?a ?b ?c . FILTER("1')}
    assert remote.select(query, evil) == []


def test_ask_construct_count(pair: tuple[LocalStore, EndpointStore]) -> None:
    local, remote = pair
    assert remote.ask("ASK { ?s a <https://w3id.org/hvp/def#Pledge> }")
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/hvp/def#Award> ; ?p ?o }"
    assert sorted(map(str, remote.construct(construct))) == \
        sorted(map(str, local.construct(construct)))
    assert len(remote) == len(local)


def test_update_and_graphs(pair: tuple[LocalStore, EndpointStore]) -> None:
    _, remote = pair
    graph = ox.NamedNode("https://w3id.org/hvp/graph/test")
    remote.update(f"INSERT DATA {{ GRAPH {graph} {{ <http://e/a> <http://e/b> 1 }} }}")
    out = io.BytesIO()
    remote.dump(out, ox.RdfFormat.N_TRIPLES, graph)
    assert out.getvalue().strip() == (b'<http://e/a> <http://e/b> '
                                      b'"1"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    remote.clear_graph(graph)
    assert not remote.ask(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}")


def test_errors(pair: tuple[LocalStore, EndpointStore], server: str) -> None:
    _, remote = pair
    with pytest.raises(QueryError):
        remote.select("SELECT WHERE {")
    with pytest.raises(StoreError):
        EndpointStore(f"http://127.0.0.1:{free_port()}/query", timeout=2).ask("ASK {}")


def test_classify_and_indicators_on_the_remote_engine(server: str, tmp_path: Path) -> None:
    """The compiled queries run in a real `oxigraph serve`: same rows as the embedded store,
    the graph with its evidence is written there, explain and the indicators read it."""
    from datetime import date

    from kg import classify, explain, indicators
    from kg.demo import generate

    local = LocalStore()
    reference.ensure(local)
    generate(tmp_path / "demo", patents=2_000, seed=5)
    ingest(local, [tmp_path / "demo"], base=DEFAULT_BASE)
    buffer = io.BytesIO()
    local.dump(buffer, ox.RdfFormat.N_QUADS)
    remote = EndpointStore(f"{server}/query")
    remote.update("DROP ALL")
    remote.load(buffer.getvalue(), ox.RdfFormat.N_QUADS)
    as_of = date(2024, 12, 31)
    here, there = classify.classify(local, as_of), classify.classify(remote, as_of)
    assert there.rows == here.rows and any(r.high_value for r in there.rows)
    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{there.graph}> {{ ?s ?p ?o }} }}"
    assert remote.select(count)[0]["n"].value == local.select(count)[0]["n"].value
    patent = next(r.patent_id for r in there.rows if r.high_value)
    assert explain.explain(remote, patent, as_of).to_dict() == \
        explain.explain(local, patent, as_of).to_dict()
    remote_rows = indicators.compute(remote, [2024]).rows  # type: ignore[arg-type]
    assert remote_rows == indicators.compute(local, [2024]).rows


def test_cli_honours_the_endpoint_setting(server: str, tmp_path: Path) -> None:
    """`--endpoint` sends the commands that can run on any engine there, refuses the ones that
    need the embedded store by name, and never falls back to a local store silently (`hvp
    ingest` on an endpoint: tests/test_engine_ingest.py)."""
    from click.testing import CliRunner

    from kg.cli import cli

    runner = CliRunner()
    url = f"{server}/query"
    remote = EndpointStore(url)
    remote.update("DROP ALL")
    bare = runner.invoke(cli, ["--endpoint", url, "stats"])
    assert bare.exit_code == 2 and "no hvp-kg reference data" in bare.output
    assert not (Path.cwd() / "hvp-store").exists()

    local_dir = str(tmp_path / "local")
    assert runner.invoke(cli, ["--store", local_dir, "ingest", "-q", str(SMALL)]).exit_code == 0
    dump = runner.invoke(cli, ["--store", local_dir, "export", "--format", "nq"])
    remote.load(dump.stdout_bytes, ox.RdfFormat.N_QUADS)
    for args in (["classify", "--as-of", "2024-12-31"],
                 ["indicators", "--year", "2024", "--by", "all"],
                 ["explain", "CN-T01", "--as-of", "2024-12-31", "--format", "json"]):
        here = runner.invoke(cli, ["--store", local_dir, *args])
        there = runner.invoke(cli, ["--endpoint", url, *args])
        assert here.exit_code == there.exit_code == 0, there.output
        assert there.stdout == here.stdout
    stats = runner.invoke(cli, ["--endpoint", url, "stats"])
    assert stats.exit_code == 0 and "invention patents" in stats.output
    query = runner.invoke(cli, ["--endpoint", url, "query", "criteria-count"])
    here = runner.invoke(cli, ["--store", local_dir, "query", "criteria-count"])
    assert query.exit_code == here.exit_code == 0, query.output
    assert query.stdout == here.stdout  # the default graph merged with the classification's


def test_a_result_at_the_row_limit_is_refused(server: str) -> None:
    """A result with as many rows as the engine's known cap may be cut: an error naming the
    settings, never a silent partial answer."""
    query = "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }"
    assert len(EndpointStore(f"{server}/query", row_limit=4).select(query)) == 3
    with pytest.raises(StoreError, match="ResultSetMaxRows.*endpoint_row_limit"):
        EndpointStore(f"{server}/query", row_limit=3).select(query)


def test_settings_build_the_store() -> None:
    from kg import settings
    from kg.store import open_store

    values = settings.load({"endpoint": "http://127.0.0.1:1/sparql"}, env={
        "HVP_UPDATE_ENDPOINT": "http://127.0.0.1:1/sparql-auth", "HVP_ENDPOINT_USER": "dba",
        "HVP_ENDPOINT_PASSWORD": "x", "HVP_ENDPOINT_AUTH": "digest",
        "HVP_ENDPOINT_TIMEOUT": "7", "HVP_ENDPOINT_ROW_LIMIT": "10000"})
    store = open_store(values)
    assert isinstance(store, EndpointStore)
    assert (store.update_url, store.graph_store_url) == ("http://127.0.0.1:1/sparql-auth",
                                                         "http://127.0.0.1:1/store")
    assert (store.user, store.auth, store.timeout, store.row_limit) == ("dba", "digest", 7.0,
                                                                        10_000)
    with pytest.raises(StoreError, match="basic or digest"):
        EndpointStore("http://127.0.0.1:1/q", auth="ntlm")


@pytest.mark.parametrize(("engine", "query", "update", "store"), [
    ("oxigraph", "http://h:7878/query", "http://h:7878/update", "http://h:7878/store"),
    ("virtuoso", "http://h:8890/sparql", "http://h:8890/sparql",
     "http://h:8890/sparql-graph-crud"),
    ("fuseki", "http://h:3030/ds/sparql", "http://h:3030/ds/update", "http://h:3030/ds/data"),
    ("graphdb", "http://h:7200/repositories/r", "http://h:7200/repositories/r/statements",
     "http://h:7200/repositories/r/rdf-graphs/service"),
])
def test_engine_presets(engine: str, query: str, update: str, store: str) -> None:
    from kg import settings

    values = settings.load({"endpoint": query}, env={"HVP_ENDPOINT_ENGINE": engine})
    made = EndpointStore.from_settings(values)
    assert (made.update_url, made.graph_store_url) == (update, store)
    values["gsp_endpoint"] = "http://h/other"
    assert EndpointStore.from_settings(values).graph_store_url == "http://h/other"


def test_unknown_engine_preset() -> None:
    from kg import settings
    from kg.errors import InputError

    values = settings.load({"endpoint": "http://h/q"}, env={"HVP_ENDPOINT_ENGINE": "blazegraph"})
    with pytest.raises(InputError, match="endpoint_engine 'blazegraph': expected one of"):
        EndpointStore.from_settings(values)
