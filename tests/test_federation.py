"""Federated queries: SERVICE only to the endpoints of federation_allow, in /sparql, `hvp sparql`
and the canned queries, against the Wikidata-shaped fixture served by a real `oxigraph serve`;
the time limit covers the SERVICE calls."""

from __future__ import annotations

import csv
import http.server
import io
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from kg.federation import allowed, parse_allowed, refusal, services
from kg.iri import DEFAULT_BASE
from kg.link.client import Endpoint
from kg.link.owners import link
from tests.conftest import handler_served
from tests.test_link_owners import FIXTURE, owner_store, wikidata  # noqa: F401 - a fixture

LINKED = f"""PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?owner ?item ?label WHERE {{
  GRAPH <{DEFAULT_BASE}links/wikidata> {{ ?owner owl:sameAs ?item }}
  SERVICE <ENDPOINT> {{ ?item rdfs:label ?label FILTER (LANG(?label) = "en") }}
}} ORDER BY ?owner"""


# --- which endpoints a query calls -----------------------------------------------------------
@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * { SERVICE <http://a/q> { ?s ?p ?o } }", ["http://a/q"]),
    ("select * { service silent <http://a/q> { ?s ?p ?o } }", ["http://a/q"]),
    ("PREFIX e: <http://a/> SELECT * { SERVICE e:q { ?s ?p ?o } }", ["http://a/q"]),
    ("SELECT * { SERVICE ?where { ?s ?p ?o } }", ["?where"]),
    ("SELECT * { SERVICE <http://a/\\u0071> { } SERVICE <http://b/> { } }",
     ["http://a/q", "http://b/"]),
    ('SELECT ?service { BIND("SERVICE <http://x/>" AS ?service) } # SERVICE <http://y/>', []),
])
def test_services_read_from_the_query(query: str, expected: list[str]) -> None:
    assert services(query) == expected


def test_the_allow_list_decides() -> None:
    query = "SELECT * { SERVICE <http://a/q> { ?s ?p ?o } }"
    assert "federation_allow setting is empty" in str(refusal(query, ()) or "")
    assert refusal(query, ("http://a/q",)) is None
    assert "<http://a/q> is refused" in str(refusal(query, ("http://b/q",)) or "")
    free = "SELECT ?e * { SERVICE ?e { ?s ?p ?o } }"
    assert "variable" in str(refusal(free, ("http://a/q",)) or "")
    assert refusal(free, ("http://a/q",), {"e": ox.NamedNode("http://a/q")}) is None
    assert refusal(free, ("http://a/q",), {"e": ox.NamedNode("http://b/q")}) is not None
    assert refusal("SELECT * { ?s ?p ?o }", ()) is None


def test_the_setting_parses_lists_and_text() -> None:
    assert parse_allowed("http://a/q, https://b/sparql") == ("http://a/q", "https://b/sparql")
    assert allowed(["http://a/q"]) == ("http://a/q",) and allowed("") == ()
    with pytest.raises(ValueError, match="not an http"):
        parse_allowed("ftp://a/q")


# --- against the fixture endpoint ------------------------------------------------------------
@pytest.fixture(scope="module")
def linked_dir(tmp_path_factory: pytest.TempPathFactory, wikidata: str  # noqa: F811
               ) -> Path:
    """An on-disk store of the fixture's owners, linked to the fixture endpoint."""
    path = tmp_path_factory.mktemp("federated") / "store"
    store = owner_store(path)
    link(store, DEFAULT_BASE, Endpoint(wikidata, rate=0), threshold=0.75, batch=50)
    store.flush()
    store.close()
    return path


def expected_links() -> dict[str, str]:
    with (FIXTURE / "expected.csv").open(encoding="utf-8") as f:
        return {DEFAULT_BASE + "owner/" + r["owner_id"]: "http://www.wikidata.org/entity/"
                + r["qid"] for r in csv.DictReader(f) if r["qid"]}


class _Slow(http.server.BaseHTTPRequestHandler):
    """An endpoint that takes 60 s to answer (and counts its calls)."""

    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        time.sleep(60)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def slow() -> Iterator[str]:
    with handler_served(_Slow) as url:
        yield url


def hvp(store: Path, *args: str, allow: str = "", stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), *args], input=stdin,
                              env={"HVP_FEDERATION_ALLOW": allow})


def test_hvp_sparql_joins_local_links_with_the_endpoint(linked_dir: Path,
                                                         wikidata: str) -> None:  # noqa: F811
    query = LINKED.replace("ENDPOINT", wikidata)
    refused = hvp(linked_dir, "sparql", "-", stdin=query)
    assert refused.exit_code == 2 and "federation_allow" in refused.stderr
    out = hvp(linked_dir, "sparql", "--format", "json", "-", stdin=query, allow=wikidata)
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["results"]["bindings"]
    expected = expected_links()
    assert len(rows) > 100
    for row in rows:  # every link found is an expected one, and its label came from the endpoint
        assert expected[row["owner"]["value"]] == row["item"]["value"]
        assert row["label"]["xml:lang"] == "en" and row["label"]["value"]


def test_canned_federated_queries(linked_dir: Path, wikidata: str) -> None:  # noqa: F811
    for name in ("wikidata-universities", "wikidata-listed-companies"):
        refused = hvp(linked_dir, "query", name, "-p", f"endpoint={wikidata}")
        assert refused.exit_code == 2 and "federation_allow" in refused.stderr
        out = hvp(linked_dir, "query", name, "-p", f"endpoint={wikidata}", "--format", "json",
                  allow=wikidata)
        assert out.exit_code == 0, out.output
        result = json.loads(out.stdout)
        assert result["rows"], name
        expected = expected_links()
        for row in result["rows"]:
            assert expected[row["owner"]] == row["item"]
            assert row["label_zh"] or row["label_en"]
        if name == "wikidata-universities":
            types = {row["type"] for row in result["rows"]}
            assert types == {"http://www.wikidata.org/entity/Q3918",
                             "http://www.wikidata.org/entity/Q31855"}


def test_web_sparql_within_the_allow_list(linked_dir: Path, wikidata: str,  # noqa: F811
                                          slow: str, tmp_path: Path) -> None:
    from tests.conftest import waiting
    from web.app import create_app

    copy = tmp_path / "store"  # the app holds its store until the process ends
    shutil.copytree(linked_dir, copy)
    # a limit a page with a classification to compute meets on a loaded machine, far below the
    # slow endpoint's 60 s
    app = waiting(create_app({"store": str(copy), "workers": 1, "timeout": 10.0,
                              "federation_allow": f"{wikidata} {slow}"}))
    try:
        client = app.test_client()
        ok = client.get("/sparql", query_string={"query": LINKED.replace("ENDPOINT", wikidata)},
                        headers={"Accept": "application/sparql-results+json"})
        assert ok.status_code == 200, ok.data
        assert len(ok.get_json()["results"]["bindings"]) > 100
        other = LINKED.replace("ENDPOINT", "http://127.0.0.1:9/sparql")
        refused = client.get("/sparql", query_string={"query": other})
        assert refused.status_code == 403
        assert "not on the federation_allow" in refused.get_json()["detail"]
        # the time limit covers the SERVICE call: cut at 10 s, not left waiting for 60
        started = time.monotonic()
        cut = client.get("/sparql", query_string={"query": LINKED.replace("ENDPOINT", slow)})
        assert cut.status_code == 503 and time.monotonic() - started < 40
        assert _Slow.calls >= 1
        # a canned federated query on the web
        page = client.get("/queries/wikidata-universities",
                          query_string={"endpoint": wikidata, "format": "json"})
        assert page.status_code == 200 and page.get_json()["rows"], page.data
        refused = client.get("/queries/wikidata-universities",
                             query_string={"endpoint": "http://127.0.0.1:9/q", "format": "json"})
        assert refused.status_code == 403
    finally:
        app.extensions["hvp"].close()


def test_hvp_sparql_time_limit_covers_the_service_call(linked_dir: Path, slow: str) -> None:
    started = time.monotonic()
    out = hvp(linked_dir, "sparql", "--timeout", "2", "-",
              stdin=LINKED.replace("ENDPOINT", slow), allow=slow)
    assert out.exit_code == 2 and "exceeded the 2 s time limit" in out.stderr, out.output
    assert time.monotonic() - started < 15


def test_the_federated_query_of_the_docs(linked_dir: Path, wikidata: str) -> None:  # noqa: F811
    text = (Path(__file__).resolve().parents[1] / "docs" / "linking.md").read_text("utf-8")
    (query,) = re.findall(r"```sparql federated\n(.*?)```", text, re.DOTALL)
    query = query.replace("https://query.wikidata.org/sparql", wikidata)
    out = hvp(linked_dir, "sparql", "--format", "csv", "-", stdin=query, allow=wikidata)
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    expected = expected_links()
    assert len(rows) > 50 and all(expected[r["owner"]] == r["item"] for r in rows)


def test_the_editor_lists_no_federated_example(client) -> None:
    """Their endpoint is a parameter, which /sparql refuses as a variable: they run from their
    pages (/queries/NAME), not as editor examples."""
    from web.queries import catalogue

    with client.application.test_request_context("/editor"):
        names = {e.name for e in catalogue()}
    assert "top-owners" in names and not {n for n in names if n.startswith("wikidata-")}


def test_canned_federated_queries_on_the_web_stop_at_the_time_limit(
        linked_dir: Path, wikidata: str, slow: str, tmp_path: Path) -> None:  # noqa: F811
    """The app runs a federated canned query itself (no page workers here; with them, it does
    when the page needs a graph computed first) in a query worker killed at the limit."""
    from tests.conftest import waiting
    from web.app import create_app

    copy = tmp_path / "store"
    shutil.copytree(linked_dir, copy)
    app = waiting(create_app({"store": str(copy), "workers": 1, "page_workers": 0,
                              "timeout": 10.0, "federation_allow": f"{wikidata} {slow}"}))
    try:
        client = app.test_client()
        page = client.get("/queries/wikidata-universities",
                          query_string={"endpoint": wikidata, "format": "json"})
        assert page.status_code == 200 and page.get_json()["rows"], page.data
        calls = _Slow.calls
        started = time.monotonic()
        cut = client.get("/queries/wikidata-universities",
                         query_string={"endpoint": slow, "format": "json"})
        assert cut.status_code == 503, cut.data  # not left waiting 60 s for the endpoint
        assert "time limit" in cut.get_json()["detail"]
        assert time.monotonic() - started < 45 and _Slow.calls > calls  # the endpoint: 60 s
        # the worker was replaced: the next query is answered
        again = client.get("/queries/wikidata-universities",
                           query_string={"endpoint": wikidata, "format": "json"})
        assert again.status_code == 200 and again.get_json()["rows"]
    finally:
        app.extensions["hvp"].close()


def test_service_variable_is_refused_with_the_reason(linked_dir: Path, wikidata: str,  # noqa: F811
                                                     client) -> None:
    """Even when every value the text gives the variable is allowed: the endpoints are known
    only while the query runs."""
    query = (f"SELECT * WHERE {{ VALUES ?e {{ <{wikidata}> }} SERVICE ?e {{ ?s ?p ?o }} }} "
             "LIMIT 1")
    reason = str(refusal(query, (wikidata,)) or "")
    assert "known only while the query runs" in reason and "Write the endpoint's IRI" in reason
    out = hvp(linked_dir, "sparql", "-", stdin=query, allow=wikidata)
    assert out.exit_code == 2 and "known only while the query runs" in out.stderr
    client.application.extensions["hvp"].settings["federation_allow"] = wikidata
    refused = client.get("/sparql", query_string={"query": query})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert "known only while the query runs" in refused.get_json()["detail"]
