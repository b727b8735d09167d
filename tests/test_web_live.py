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
