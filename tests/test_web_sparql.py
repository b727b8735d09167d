"""The SPARQL 1.1 Protocol through Flask's test client: operations, negotiation, errors."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pyoxigraph as ox
import pytest

HVP = "PREFIX hvp: <https://w3id.org/hvp/def#> PREFIX dcterms: <http://purl.org/dc/terms/> "
SELECT = HVP + "SELECT ?p ?t WHERE { ?p a hvp:InventionPatent ; dcterms:title ?t } ORDER BY ?p"
ASK = HVP + "ASK { <https://w3id.org/hvp/patent/CN-T01> a hvp:InventionPatent }"
CONSTRUCT = HVP + "CONSTRUCT { ?p dcterms:title ?t } WHERE { ?p dcterms:title ?t }"
DESCRIBE = "DESCRIBE <https://w3id.org/hvp/patent/CN-T01>"


def get(client, query, accept=None, **params):
    url = "/sparql?query=" + quote(query) + "".join(f"&{k}={quote(v)}" for k, v in params.items())
    return client.get(url, headers={"Accept": accept} if accept else {})


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_three_operations_give_the_same_answer(client, how):
    if how == "get":
        r = get(client, SELECT)
    elif how == "form":
        r = client.post("/sparql", data={"query": SELECT})
    else:
        r = client.post("/sparql", data=SELECT, content_type="application/sparql-query")
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    rows = r.get_json()["results"]["bindings"]
    assert rows[0]["p"]["value"] == "https://w3id.org/hvp/patent/CN-T01"
    assert rows[0]["t"]["value"] == "Neural network accelerator"


@pytest.mark.parametrize(("accept", "mime"), [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ("text/csv;q=1.0, application/sparql-results+xml;q=0.9", "text/csv"),
    ("*/*", "application/sparql-results+json"),
    ("text/*", "text/csv"),
])
def test_select_negotiation_with_q_values(client, accept, mime):
    r = get(client, SELECT, accept)
    assert r.status_code == 200, r.data
    assert r.mimetype == mime
    assert r.headers["Vary"] == "Accept"  # for HTTP caches: the answer depends on Accept


def test_csv_and_tsv_bodies(client):
    rows = list(csv.DictReader(io.StringIO(get(client, SELECT, "text/csv").text)))
    assert rows[0] == {"p": "https://w3id.org/hvp/patent/CN-T01",
                       "t": "Neural network accelerator"}
    tsv = get(client, SELECT, "text/tab-separated-values").text.splitlines()
    assert tsv[0] == "?p\t?t"
    assert tsv[1].startswith("<https://w3id.org/hvp/patent/CN-T01>\t")


@pytest.mark.parametrize(("accept", "mime"), [
    ("text/turtle", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/rdf+xml;q=0.2, text/turtle;q=0.8", "text/turtle"),
    (None, "text/turtle"),
])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_graph_negotiation(client, query, accept, mime):
    r = get(client, query, accept)
    assert r.status_code == 200, r.data
    assert r.mimetype == mime
    triples = list(ox.parse(r.data, format=ox.RdfFormat.from_media_type(mime),
                            base_iri="http://localhost/"))
    assert triples


def test_ask_in_every_results_format(client):
    assert get(client, ASK).get_json()["boolean"] is True
    assert b"<boolean>true</boolean>" in get(client, ASK, "application/sparql-results+xml").data


@pytest.mark.parametrize(("param", "value", "mime"), [
    ("format", "json", "application/sparql-results+json"),
    ("format", "xml", "application/sparql-results+xml"),
    ("output", "csv", "text/csv"),
    ("output", "tsv", "text/tab-separated-values"),
    ("results", "json", "application/sparql-results+json"),
    ("format", "application/sparql-results+xml", "application/sparql-results+xml"),
])
def test_short_names_override_accept(client, param, value, mime):
    r = get(client, SELECT, "text/csv", **{param: value})
    assert r.mimetype == mime


@pytest.mark.parametrize(("value", "mime"), [
    ("ttl", "text/turtle"), ("turtle", "text/turtle"), ("nt", "application/n-triples"),
    ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml"),
    ("json", "application/ld+json"), ("xml", "application/rdf+xml"),
])
def test_graph_short_names(client, value, mime):
    assert get(client, CONSTRUCT, format=value).mimetype == mime


def test_named_graphs_are_not_in_the_default_graph(app, client):
    store = app.extensions["hvp"].store()
    g = ox.NamedNode("https://example.org/g")
    quad = ox.Quad(ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p"),
                   ox.Literal("in g"), g)
    store.add([quad])
    try:
        q = "SELECT ?o WHERE { ?s <https://example.org/p> ?o }"
        assert get(client, q).get_json()["results"]["bindings"] == []
        r = get(client, q, **{"default-graph-uri": "https://example.org/g"})
        assert r.get_json()["results"]["bindings"][0]["o"]["value"] == "in g"
        q2 = "SELECT ?o WHERE { GRAPH ?g { ?s <https://example.org/p> ?o } }"
        assert len(get(client, q2).get_json()["results"]["bindings"]) == 1
        r = get(client, q2, **{"named-graph-uri": "https://example.org/other"})
        assert r.get_json()["results"]["bindings"] == []
        # Jena's name for the store's default graph joins it with a named graph
        q3 = ("SELECT ?o ?t WHERE { ?s <https://example.org/p> ?o . "
              "<https://w3id.org/hvp/patent/CN-T01> <http://purl.org/dc/terms/title> ?t }")
        both = client.get("/sparql", query_string=[
            ("query", q3), ("default-graph-uri", "urn:x-arq:DefaultGraph"),
            ("default-graph-uri", "https://example.org/g")]).get_json()["results"]["bindings"]
        assert [(b["o"]["value"], b["t"]["value"]) for b in both] == [
            ("in g", "Neural network accelerator")]
    finally:
        store.remove([quad])


def test_service_description(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    sd = "http://www.w3.org/ns/sparql-service-description#"
    void = "http://rdfs.org/ns/void#"
    store = ox.Store()
    store.load(r.data, format=ox.RdfFormat.TURTLE, base_iri="http://localhost/")
    q = f"""SELECT ?e ?t ?n ?c (COUNT(?f) AS ?formats) WHERE {{
        ?s a <{sd}Service> ; <{sd}endpoint> ?e ; <{sd}resultFormat> ?f ;
           <{sd}supportedLanguage> <{sd}SPARQL11Query> ;
           <{sd}defaultDataset>/<{sd}defaultGraph> ?g .
        ?g <{void}triples> ?t ; <{void}entities> ?n ; <{void}classes> ?c }} GROUP BY ?e ?t ?n ?c"""
    (row,) = list(store.query(q))
    assert row["e"].value == "http://localhost/sparql"
    assert int(row["t"].value) > 100 and int(row["n"].value) > 10 and int(row["c"].value) > 5
    assert int(row["formats"].value) == 8
    assert client.get("/sparql").mimetype == "text/turtle"


def test_browser_without_query_gets_the_editor(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.mimetype == "text/html"
    assert b"yasgui.min.js" in r.data
    assert json.loads(r.data.split(b'id="prefixes" type="application/json">')[1]
                      .split(b"</script>")[0])["hvp"] == "https://w3id.org/hvp/def#"


def test_syntax_error_has_its_position(client):
    r = get(client, "SELECT ?s WHERE {\n  ?s ?p \n}")
    assert r.status_code == 400
    body = r.get_json()
    assert r.mimetype == "application/problem+json"
    assert body["line"] == 3 and body["column"] >= 0
    assert "invalid SPARQL" in body["detail"]


def test_results_are_the_engines(client, small_store):
    """Not hard-coded: the endpoint answers what the engine answers."""
    expected = [str(s["p"].value) for s in small_store.engine.query(SELECT)]
    got = [b["p"]["value"] for b in get(client, SELECT).get_json()["results"]["bindings"]]
    assert got == expected and len(got) >= 5


def test_head_answers_the_headers_of_get(client):
    full = get(client, SELECT)
    r = client.head("/sparql?query=" + quote(SELECT))
    assert r.status_code == 200 and r.data == b""
    assert r.mimetype == full.mimetype
    assert int(r.headers["Content-Length"]) == len(full.data) > 0


def test_a_browser_posting_a_bad_query_gets_an_html_error_page(client):
    r = client.post("/sparql", data={"query": "SELECT ?s WHERE {"},
                    headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert b"invalid SPARQL" in r.data and b"Traceback" not in r.data


def test_other_methods_are_not_allowed(client):
    r = client.put("/sparql?query=" + quote(ASK))
    assert r.status_code == 405 and r.mimetype == "application/problem+json"
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "POST"}
