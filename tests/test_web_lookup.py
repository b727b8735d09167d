"""Lookups (web.lookup): the queries of one resource's triples, answered in the app's process
even where every other query goes to a killable worker."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import pytest

from web.lookup import LONGEST, is_lookup
from web.pool import DEFAULT_GRAPH, Request

PATENT = "https://w3id.org/hvp/patent/CN-T01"
HVP = "PREFIX hvp: <https://w3id.org/hvp/def#> PREFIX p: <https://w3id.org/hvp/patent/> "
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.mark.parametrize("query", [
    f"SELECT ?p ?o WHERE {{ <{PATENT}> ?p ?o }}",
    f"select * {{ <{PATENT}> ?p ?o . }} LIMIT 10 OFFSET 2",
    f"SELECT DISTINCT ?o WHERE {{ <{PATENT}> a ?o }}",
    HVP + "SELECT ?o WHERE { p:CN-T01 hvp:applicationDate ?o }",
    f"BASE <https://w3id.org/hvp/> ASK {{ <{PATENT}> ?p ?o }}",
    f"ASK {{ <{PATENT}> a <https://w3id.org/hvp/def#InventionPatent> }}",
    f"CONSTRUCT WHERE {{ <{PATENT}> ?p ?o }}",
    f"DESCRIBE <{PATENT}>",
    HVP + "\n  DESCRIBE p:CN-T01\n",
])
def test_lookups(query):
    assert is_lookup(Request(query))


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ?o }",  # a variable subject: the whole store
    "SELECT * WHERE { _:b ?p ?o }",  # a blank node is a variable
    f"SELECT * WHERE {{ <{PATENT}> ?p ?o . ?o ?q ?r }}",  # a join
    f"SELECT * WHERE {{ <{PATENT}> <https://example.org/p>* ?o }}",  # a path: unbounded
    f"SELECT * WHERE {{ <{PATENT}> <https://example.org/p>/<https://example.org/q> ?o }}",
    f"SELECT * WHERE {{ <{PATENT}> ?p ?o FILTER(regex(str(?o), 'x')) }}",
    f"SELECT * WHERE {{ GRAPH ?g {{ <{PATENT}> ?p ?o }} }}",
    f"SELECT * FROM <https://example.org/g> WHERE {{ <{PATENT}> ?p ?o }}",
    f"SELECT * WHERE {{ <{PATENT}> ?p ?o }} ORDER BY ?o",
    f"SELECT (COUNT(*) AS ?n) WHERE {{ <{PATENT}> ?p ?o }}",
    f"SELECT * WHERE {{ <{PATENT}> ?p ?o }} # a comment",
    "SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } } }",
    f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:1/> {{ <{PATENT}> ?p ?o }} }}",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ <{PATENT}> ?x ?y . ?s ?p ?o }}",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
    f"SELECT * WHERE {{ <{PATENT}> ?p ?o }} garbage",
])
def test_not_lookups(query):
    assert not is_lookup(Request(query))


def test_a_request_naming_its_dataset_is_not_a_lookup():
    query = f"SELECT * WHERE {{ <{PATENT}> ?p ?o }}"
    assert not is_lookup(Request(query, default_graph=[DEFAULT_GRAPH]))
    assert not is_lookup(Request(query, named_graphs=["https://example.org/g"]))


def test_recognizing_a_near_miss_takes_no_time():
    """The recognizer reads users' text in the app's process, holding the GIL: no text may keep
    it busy (runs of white space once made it backtrack quadratically)."""
    room = LONGEST - 100
    for text in ["SELECT ?s" + " " * room + "!", f"ASK {{ <{PATENT}> ?p ?o" + " \n\t" * (room // 3)
                 + "!", "SELECT * { <x> ?p ?o }" + " " * room + "!", "SELECT " + "?v " * (room // 3)
                 + "WHERE { ?s ?p ?o }", "PREFIX a: <x> " * (room // 14) + "ASK { ?s ?p ?o }",
                 f"SELECT * WHERE {{ <{PATENT}> " + "?p " * (room // 3) + "}",
                 "SELECT * WHERE { " + "<x" * (room // 2) + " ?p ?o }",
                 "SELECT ?s" + " " * 1_000_000 + "!"]:
        start = time.process_time()
        assert not is_lookup(Request(text))
        # linear: well under a millisecond; the quadratic regex took 135 ms on the first text
        assert time.process_time() - start < 0.03, text[:40]


def test_a_long_text_is_not_a_lookup():
    """The engine's parser takes seconds for a projection of many variables: such a text goes to
    a worker, under the time limit."""
    pattern = f"{{ <{PATENT}> ?p ?o }}"
    short = "SELECT " + " ".join(f"?v{i}" for i in range(100)) + " ?o " + pattern
    assert is_lookup(Request(short))
    assert not is_lookup(Request("SELECT " + " ".join(f"?v{i}" for i in range(1000)) + " ?o "
                                 + pattern))


@pytest.fixture()
def one_worker_app(disk_store_dir):
    from web.app import create_app

    app = create_app({"store": str(disk_store_dir), "workers": 1, "timeout": 2.0})
    yield app
    app.extensions["hvp"].close()


def test_a_lookup_is_answered_while_every_worker_is_busy(one_worker_app):
    """A patent's page of data never waits behind another user's long query; a query that is
    not a lookup is refused with 503 and Retry-After while every worker is at one
    (web.admission), rather than waiting in a request thread."""
    done: list[str] = []

    def fetch(name: str, query: str) -> None:
        response = one_worker_app.test_client().get("/sparql?query=" + quote(query))
        done.append(f"{name} {response.status_code} {response.headers.get('Retry-After')}")

    runaway = threading.Thread(target=fetch, args=("runaway", RUNAWAY))
    runaway.start()
    time.sleep(0.3)  # the only worker is at it
    other = threading.Thread(target=fetch, args=("other", "ASK { ?s ?p ?o }"))
    other.start()
    time.sleep(0.1)
    lookup = one_worker_app.test_client().get(
        "/sparql?query=" + quote(f"SELECT ?p ?o WHERE {{ <{PATENT}> ?p ?o }}"),
        headers={"Accept": "application/sparql-results+json"})
    done.append(f"lookup {lookup.status_code}")
    assert len(lookup.get_json()["results"]["bindings"]) > 5
    runaway.join(10)
    other.join(10)
    assert done == ["other 503 2", "lookup 200", "runaway 503 None"]


@pytest.mark.parametrize("query,accept", [
    (f"SELECT ?p ?o WHERE {{ <{PATENT}> ?p ?o }}", "application/sparql-results+json"),
    (f"SELECT ?p ?o WHERE {{ <{PATENT}> ?p ?o }}", "application/sparql-results+xml"),
    (f"SELECT ?p ?o WHERE {{ <{PATENT}> ?p ?o }}", "text/csv"),
    (f"SELECT ?p ?o WHERE {{ <{PATENT}> ?p ?o }}", "text/tab-separated-values"),
    (f"ASK {{ <{PATENT}> ?p ?o }}", "application/sparql-results+json"),
    (f"CONSTRUCT WHERE {{ <{PATENT}> ?p ?o }}", "text/turtle"),
    (f"DESCRIBE <{PATENT}>", "application/n-triples"),
    (f"DESCRIBE <{PATENT}>", "application/ld+json"),
    (f"DESCRIBE <{PATENT}>", "application/rdf+xml"),
])
def test_a_lookup_answers_as_a_worker_does(disk_app, query, accept):
    """The same bytes in the app's process as from a worker (which the request's dataset, the
    default graph named, sends it to)."""
    client = disk_app.test_client()
    here = client.get("/sparql?query=" + quote(query), headers={"Accept": accept})
    worker = client.get("/sparql?query=" + quote(query) + "&default-graph-uri="
                        + quote(DEFAULT_GRAPH), headers={"Accept": accept})
    assert here.status_code == worker.status_code == 200
    assert here.headers["Content-Type"] == worker.headers["Content-Type"]
    assert here.data == worker.data and len(here.data) > 20


def test_a_lookup_with_an_undeclared_prefix_is_told_so(disk_app):
    response = disk_app.test_client().get("/sparql?query=" + quote("DESCRIBE p:CN-T01"))
    assert response.status_code == 400
    assert "undeclared prefix p:" in response.get_json()["detail"]


def test_pages_write_no_triple_to_the_default_graph(disk_app):
    """What lets a lookup run beside the pages' writes: they write named graphs only."""
    store = disk_app.extensions["hvp"].store()
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = store.select(count)
    named = len(list(store.oxigraph.named_graphs()))
    client = disk_app.test_client()
    assert client.get("/queries/criteria-count?date=2019-12-31",
                      headers={"Accept": "application/json"}).status_code == 200
    assert client.get("/indicators").status_code == 200
    assert client.get("/patent/CN-T01?as_of=2020-12-31").status_code == 200
    store = disk_app.extensions["hvp"].store()  # the generation the app's writer switched in
    assert len(list(store.oxigraph.named_graphs())) > named
    assert store.select(count) == before
