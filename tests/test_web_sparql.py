"""The SPARQL 1.1 Protocol through Flask's test client: operations, negotiation, errors."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from tests.conftest import copy_of

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
    expected = [str(s["p"].value) for s in small_store.oxigraph.query(SELECT)]
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


# --- found by a protocol review (2026-11-26) ---------------------------------------------------
def test_service_clauses_are_refused_and_nothing_is_fetched(client):
    import socket
    import threading

    calls = []

    def answer(listener: socket.socket) -> None:  # records a call and hangs up at once
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            calls.append(conn.recv(100))
            conn.close()

    with socket.socket() as listener:  # a host the query names: it must never be called
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        threading.Thread(target=answer, args=(listener,), daemon=True).start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        ex = "PREFIX ex: <https://example.org/> SELECT * WHERE { VALUES ?v { "
        for query in (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                      f"select * {{ ?a ?b ?c .service silent <{url}>{{ ?s ?p ?o }} }}",
                      # escapes that a tokenizer may take for a comment or a string opening
                      ex + f"ex:a\\# }} SERVICE <{url}> {{ ?s ?p ?o }} }}",
                      ex + f"ex:a\\' }} SERVICE <{url}> {{ ?s ?p ?o }} }} # '",
                      ex + f"<https://x/\\u0041#> }} SERVICE <{url}> {{ ?s ?p ?o }} }}"):
            r = get(client, query)
            assert r.status_code == 403 and "SERVICE" in r.get_json()["detail"], r.data
    assert calls == []
    # the word elsewhere is not the keyword
    q = ('PREFIX ex: <https://example.org/> SELECT ?service WHERE { '
         'BIND("SERVICE <x> {}" AS ?service) } # SERVICE <x>')
    assert get(client, q).status_code == 200


def _dataset(app):
    store = app.extensions["hvp"].store()
    g1, g2 = ox.NamedNode("https://example.org/g1"), ox.NamedNode("https://example.org/g2")
    p = ox.NamedNode("https://example.org/p")
    store.add([ox.Quad(ox.NamedNode("https://example.org/s"), p, ox.Literal(g.value[-2:]), g)
               for g in (g1, g2)])
    return g1.value, g2.value


def _values(r) -> list[str]:
    assert r.status_code == 200, r.data
    return sorted(v["value"] for b in r.get_json()["results"]["bindings"] for v in b.values())


def test_a_dataset_given_with_the_request_replaces_the_querys_whole(app, client):
    """SPARQL 1.1 Protocol 2.1.4: named graphs only mean an empty default graph, and a default
    graph only means no named graphs; either replaces FROM and FROM NAMED."""
    g1, g2 = _dataset(app)
    in_default = "SELECT ?o WHERE { ?s <https://example.org/p> ?o }"
    in_named = "SELECT ?g WHERE { GRAPH ?g { ?s <https://example.org/p> ?o } }"
    assert _values(get(client, in_named)) == [g1, g2]
    assert _values(get(client, in_default, **{"default-graph-uri": g1})) == ["g1"]
    assert _values(get(client, in_named, **{"default-graph-uri": g1})) == []
    assert _values(get(client, in_named, **{"named-graph-uri": g2})) == [g2]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert _values(get(client, count, **{"named-graph-uri": g2})) == ["0"]
    from_g1 = f"SELECT ?o FROM <{g1}> WHERE {{ ?s <https://example.org/p> ?o }}"
    assert _values(get(client, from_g1)) == ["g1"]
    assert _values(get(client, from_g1, **{"default-graph-uri": g2})) == ["g2"]
    assert _values(get(client, from_g1, **{"named-graph-uri": g2})) == []


@pytest.mark.parametrize(("query", "accept", "mime"), [
    (SELECT, "*/*, application/sparql-results+json;q=0", "application/sparql-results+xml"),
    (CONSTRUCT, "text/turtle;q=0, */*", "application/n-triples"),
    (SELECT, "application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
    (CONSTRUCT, "text/turtle; charset=utf-8;q=0.9", "text/turtle"),
])
def test_q_zero_is_kept_and_parameters_do_not_stop_a_match(client, query, accept, mime):
    r = get(client, query, accept)
    assert r.status_code == 200 and r.mimetype == mime, (r.status_code, r.mimetype)


@pytest.mark.parametrize("accept", ["text/csv", "text/tab-separated-values"])
def test_one_charset_in_the_content_type(client, accept):
    assert get(client, SELECT, accept).headers["Content-Type"] == f"{accept}; charset=utf-8"


def test_sparqlwrapper_n3_gets_turtle(client):
    r = get(client, CONSTRUCT, "application/turtle,text/turtle", format="n3")
    assert r.status_code == 200 and r.mimetype == "text/turtle"


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_accept_n3_gets_turtle(client, query):
    r = get(client, query, "text/n3")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    assert len(rdflib.Graph().parse(data=r.data, format="turtle")) > 0


@pytest.mark.parametrize(("accept", "mime", "syntax"), [
    ("application/sparql-results+json", "application/ld+json", "json-ld"),
    ("application/sparql-results+xml", "application/rdf+xml", "xml"),
    ("text/xml", "application/rdf+xml", "xml"),
    ("text/csv", "text/turtle", "turtle"),
    ("text/tab-separated-values;q=0.5, application/sparql-results+xml;q=0.9",
     "application/rdf+xml", "xml"),
])
def test_a_graph_asked_in_a_results_type_gets_its_rdf_counterpart(client, accept, mime, syntax):
    """As Fuseki answers: a CONSTRUCT asked with only results media types is RDF, not a 406."""
    r = get(client, CONSTRUCT, accept)
    assert r.status_code == 200 and r.mimetype == mime, (r.status_code, r.data[:200])
    turtle = rdflib.Graph().parse(data=get(client, CONSTRUCT, "text/turtle").data, format="ttl")
    assert len(turtle) > 0
    assert isomorphic(rdflib.Graph().parse(data=r.data, format=syntax), turtle)


def test_a_graph_asked_in_a_refused_or_unknown_type_is_still_406(client):
    assert get(client, CONSTRUCT, "application/sparql-results+json;q=0").status_code == 406
    assert get(client, CONSTRUCT, "image/png").status_code == 406
    assert get(client, SELECT, "text/n3").status_code == 406


@pytest.mark.parametrize("request_", [
    lambda c: c.get("/sparql?query="),
    lambda c: c.get("/sparql?query=%20%0A"),
    lambda c: c.post("/sparql", data={"query": ""}),
    lambda c: c.post("/sparql", data={"format": "json"}),
    lambda c: c.post("/sparql", data=b"  ", content_type="application/sparql-query"),
])
def test_an_empty_query_is_a_bad_request(client, request_):
    r = request_(client)
    assert r.status_code == 400 and r.mimetype == "application/problem+json", r.data
    assert "query" in r.get_json()["detail"]


def test_exactly_one_query(client):
    r = client.get("/sparql", query_string=[("query", ASK), ("query", SELECT)])
    assert r.status_code == 400 and "exactly one query, not 2" in r.get_json()["detail"]
    r = client.post("/sparql?query=" + quote(ASK), data={"query": SELECT})
    assert r.status_code == 400
    r = client.post("/sparql?query=" + quote(ASK), data=SELECT,
                    content_type="application/sparql-query")
    assert r.status_code == 400


def test_relative_iris_resolve_against_the_endpoint(client):
    r = client.post("/sparql", data="CONSTRUCT { <s> <p> 1 } WHERE {}",
                    content_type="application/sparql-query", headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.data
    (triple,) = ox.parse(r.data, format=ox.RdfFormat.TURTLE)
    assert triple.subject == ox.NamedNode("http://localhost/s")


@pytest.mark.parametrize(("request_", "where"), [
    (lambda c: c.get("/sparql?query=SELECT%20(%22caf%E9%22%20AS%20?x)%20%7B%7D"), "URL"),
    (lambda c: c.post("/sparql", data=b"query=SELECT+(%22caf%E9%22+AS+?x)+{}",
                      content_type="application/x-www-form-urlencoded"), "form"),
    (lambda c: c.post("/sparql", data='SELECT ("caf\xe9" AS ?x) {}'.encode("latin-1"),
                      content_type="application/sparql-query"), "request body"),
])
def test_a_query_that_is_not_utf8_is_a_bad_request(client, request_, where):
    r = request_(client)
    assert r.status_code == 400, r.data
    detail = r.get_json()["detail"]
    assert where in detail and "not UTF-8: byte 0xE9" in detail


def test_utf8_text_in_every_operation(client):
    q = 'SELECT ?x WHERE { BIND("专利 café" AS ?x) }'
    for r in (get(client, q), client.post("/sparql", data={"query": q}),
              client.post("/sparql", data=q.encode(), content_type="application/sparql-query")):
        assert _values(r) == ["专利 café"]


def test_every_negotiated_answer_varies_on_accept(client):
    for r in (client.get("/sparql"), client.get("/sparql", headers={"Accept": "text/html"}),
              get(client, "SELECT ?s WHERE {"), client.get("/patent/CN-T01"),
              client.get("/queries/top-owners", headers={"Accept": "application/json"})):
        assert "Accept" in r.headers.get("Vary", ""), r.request.path


def test_service_description_names_the_named_graphs(app, client):
    sd = "http://www.w3.org/ns/sparql-service-description#"
    names = f"SELECT ?g WHERE {{ ?d <{sd}namedGraph>/<{sd}name> ?g }} ORDER BY ?g"

    def listed() -> list[str]:
        store = ox.Store()
        store.load(client.get("/sparql", headers={"Accept": "text/turtle"}).data,
                   format=ox.RdfFormat.TURTLE, base_iri="http://localhost/")
        return [r["g"].value for r in store.query(names)]

    void = "https://w3id.org/hvp/.well-known/void"  # the dataset description (kg.dataset)
    assert listed() == [void]
    g1, g2 = _dataset(app)
    assert listed() == sorted([void, g1, g2])


def test_service_description_names_formats_by_their_w3c_iris(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert b"<http://www.w3.org/ns/formats/JSON-LD>" in r.data
    assert b"formats/data/" not in r.data


def test_any_web_page_may_read_the_answers(client):
    origin = {"Origin": "https://example.org"}
    for r in (get(client, ASK), get(client, "SELECT ?s WHERE {"),
              client.get("/sparql", headers=origin), client.get("/patent/CN-T01.ttl")):
        assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in r.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(("setting", "header"), [("", None),
                                                  ("https://example.org", "https://example.org")])
def test_cors_setting(small_store, setting, header):
    from web.app import create_app

    app = create_app({"store": copy_of(small_store), "cors": setting})
    try:
        for r in (get(app.test_client(), ASK), app.test_client().get("/sparql")):
            assert r.headers.get("Access-Control-Allow-Origin") == header
    finally:
        app.extensions["hvp"].close()


def test_an_undeclared_prefix_is_named_with_its_declaration(client):
    r = get(client, 'PREFIX ex: <https://example.org/> SELECT * WHERE {\n'
                    '  ?s hvp:title ex:a . ?s nope:x "a:b" }')
    body = r.get_json()
    assert r.status_code == 400 and body["line"] == 2, body
    assert "undeclared prefix hvp:, nope:" in body["detail"]
    assert "PREFIX hvp: <https://w3id.org/hvp/def#>" in body["detail"]
    r = get(client, "PREFIX # a comment\n ex: <https://example.org/> SELECT * { ?s hvp:title ?t . "
                    "?s ex:p _:b }")
    assert "undeclared prefix hvp: (" in r.get_json()["detail"]  # not ex:, not _:
    assert "'\\u{" not in body["detail"]  # not the engine's list of expected characters
