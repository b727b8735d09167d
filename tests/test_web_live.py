"""SPARQLWrapper against the app served by granian (as `hvp serve` runs it) on a real loopback
port."""

from __future__ import annotations

import pytest
import rdflib
from SPARQLWrapper import CSV, GET, JSON, JSONLD, POST, TSV, TURTLE, XML, SPARQLWrapper

from tests.test_web_sparql import ASK, CONSTRUCT, DESCRIBE, SELECT

# SPARQLWrapper converts RDF/XML through rdflib's deprecated ConjunctiveGraph (not our code).
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

CASES = [
    (SELECT, JSON), (SELECT, XML), (SELECT, CSV), (SELECT, TSV),
    (ASK, JSON), (ASK, XML),
    (CONSTRUCT, TURTLE), (CONSTRUCT, XML), (CONSTRUCT, JSONLD),
    (DESCRIBE, TURTLE), (DESCRIBE, XML),
]


def _check(query: str, fmt: str, result: object) -> None:
    if query is SELECT:
        if fmt == JSON:
            rows = result["results"]["bindings"]  # type: ignore[index]
            assert rows[0]["t"]["value"] == "Neural network accelerator"
        elif fmt == XML:
            assert result.getElementsByTagName("result")  # type: ignore[attr-defined]
        else:
            text = result.decode() if isinstance(result, bytes) else str(result)
            assert "Neural network accelerator" in text
    elif query is ASK:
        if fmt == JSON:
            assert result["boolean"] is True  # type: ignore[index]
        else:
            assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore
    else:
        graph = result if isinstance(result, rdflib.Graph) else rdflib.Graph().parse(
            data=result, format="json-ld" if fmt == JSONLD else "turtle")
        assert len(graph) > 0


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize(("query", "fmt"), CASES)
def test_sparqlwrapper_matrix(live_server, query, fmt, method):
    client = SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    _check(query, fmt, client.query().convert())


def test_sparqlwrapper_sees_a_bad_query_as_400(live_server):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = SPARQLWrapper(live_server.url + "/sparql")
    client.setQuery("SELECT * WHERE {")
    with pytest.raises(QueryBadFormed):
        client.query()


@pytest.mark.parametrize("content_type", ["text/turtle", "application/sparql-query"])
def test_request_bodies_reach_the_app_through_the_server(live_server, content_type):
    """POSTed bodies (a SHACL upload; a direct SPARQL query) arrive whole through granian."""
    import urllib.request

    from tests.test_web_shacl import BAD, SH

    if content_type == "text/turtle":
        url, body, accept = live_server.url + "/shacl", BAD.encode(), "text/turtle"
    else:
        url, body, accept = live_server.url + "/sparql", ASK.encode(), "application/json"
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": content_type, "Accept": accept})
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
    if content_type == "text/turtle":
        report = rdflib.Graph().parse(data=data, format="turtle")
        assert (None, SH.conforms, rdflib.Literal(False)) in report
    else:
        assert b'"boolean":true' in data.replace(b" ", b"")


def test_a_bad_query_is_problem_json_through_the_server(live_server):
    import json
    import urllib.error
    import urllib.request
    from urllib.parse import quote

    url = live_server.url + "/sparql?query=" + quote("SELECT ?s\nWHERE {\n  ?s ?p")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/json"}),
                               timeout=30)
    assert caught.value.code == 400
    assert caught.value.headers["Content-Type"].startswith("application/problem+json")
    body = json.loads(caught.value.read())
    assert body["status"] == 400 and body["line"] == 3


@pytest.mark.parametrize("return_format", ["json", "xml"])
def test_rdflib_sparqlstore_constructs_and_selects(live_server, return_format):
    """rdflib's SPARQLStore asks every query in one results format (``returnFormat``): a
    CONSTRUCT asked for in application/sparql-results+json gets JSON-LD, as from Fuseki."""
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(live_server.url + "/sparql",
                                           returnFormat=return_format))
    built = graph.query(CONSTRUCT).graph
    assert built is not None and len(built) > 0
    assert (rdflib.URIRef("https://w3id.org/hvp/patent/CN-T01"),
            rdflib.URIRef("http://purl.org/dc/terms/title"),
            rdflib.Literal("Neural network accelerator")) in built
    titles = {str(row[1]) for row in graph.query(SELECT)}  # type: ignore[index]
    assert "Neural network accelerator" in titles
