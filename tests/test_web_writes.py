"""Writes behind a token: /update (SPARQL 1.1 Update) and the Graph Store Protocol on /store."""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
import pytest

from tests.conftest import copy_of

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW = "https://example.org/new"
INSERT = f'INSERT DATA {{ <{NEW}> <http://purl.org/dc/terms/title> "new" }}'
HAS_NEW = f"ASK {{ <{NEW}> ?p ?o }}"
DERIVED = "https://w3id.org/hvp/graph/"


def _ask(client, query: str) -> bool:
    answer = client.get("/sparql?query=" + quote(query),
                        headers={"Accept": "application/sparql-results+json"})
    assert "boolean" in answer.get_json(), answer.get_json()
    return bool(answer.get_json()["boolean"])


def _derived(app) -> list[str]:
    store = app.extensions["hvp"].store()
    return [g.value for g in store.oxigraph.named_graphs() if g.value.startswith(DERIVED)]


@pytest.fixture()
def writable(small_store):
    from web.app import create_app

    app = create_app({"store": copy_of(small_store), "write_token": TOKEN, "read_only": False})
    yield app
    app.extensions["hvp"].close()


def test_writes_are_refused_without_a_write_token(client):
    for answer in (client.post("/update", data=INSERT, content_type="application/sparql-update",
                               headers=AUTH),
                   client.put("/store?default", data="<a:b> <a:c> <a:d> .",
                              content_type="application/n-triples", headers=AUTH),
                   client.post("/sparql", data={"update": INSERT})):
        assert answer.status_code == 403
        assert answer.mimetype == "application/problem+json"
    assert not _ask(client, HAS_NEW)


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", "Bearer "])
def test_a_missing_or_wrong_token_is_401(writable, header):
    client = writable.test_client()
    answer = client.post("/update", data=INSERT, content_type="application/sparql-update",
                         headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert not _ask(client, HAS_NEW)


def test_an_update_with_the_token_writes_and_drops_the_derived_graphs(writable):
    client = writable.test_client()
    page = client.get("/patent/CN-T01?as_of=2024-12-31")
    assert page.status_code == 200, page.get_data(as_text=True)[:3000]
    assert _derived(writable)
    answer = client.post("/update", data=INSERT, content_type="application/sparql-update",
                         headers=AUTH)
    assert answer.status_code == 204, answer.get_data(as_text=True)
    assert _ask(client, HAS_NEW)
    assert _derived(writable) == []
    form = client.post("/update", data={"update": f"DELETE DATA {{ <{NEW}> "
                                        '<http://purl.org/dc/terms/title> "new" }'},
                       headers=AUTH)
    assert form.status_code == 204 and not _ask(client, HAS_NEW)


@pytest.mark.parametrize("update,status", [
    (f"INSERT DATA {{ GRAPH <{DERIVED}classification/x> {{ <a:b> <a:c> <a:d> }} }}", 403),
    (f"PREFIX g: <{DERIVED}> INSERT DATA {{ GRAPH g:indicators {{ <a:b> <a:c> <a:d> }} }}",
     403),
    (f"DROP GRAPH <{DERIVED}indicators/cnipa-2021>", 403),
    ("LOAD <http://127.0.0.1:9/data.ttl>", 403),
    (f"INSERT {{ <{NEW}> <a:p> ?o }} WHERE {{ SERVICE <http://127.0.0.1:9/sparql> "
     "{ ?s ?p ?o } }", 403),
    (INSERT + " ; INSERT DATA { <a:b> <a:c> }", 400),
])
def test_refused_updates_write_nothing(writable, update, status):
    client = writable.test_client()
    before = len(writable.extensions["hvp"].store().oxigraph)
    answer = client.post("/update", data=update, content_type="application/sparql-update",
                         headers=AUTH)
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert len(writable.extensions["hvp"].store().oxigraph) == before
    assert not _ask(client, HAS_NEW)


def test_graph_store_put_post_get_delete(writable):
    client = writable.test_client()
    graph = quote("https://example.org/g1")
    put = client.put(f"/store?graph={graph}", data=f'<{NEW}> <a:p> "one" .',
                     content_type="text/turtle", headers=AUTH)
    assert put.status_code == 204, put.get_data(as_text=True)
    post = client.post(f"/store?graph={graph}", data=f'<{NEW}> <a:p> "two" .',
                       content_type="application/n-triples", headers=AUTH)
    assert post.status_code == 204
    got = client.get(f"/store?graph={graph}", headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and sorted(got.get_data(as_text=True).splitlines()) == [
        f'<{NEW}> <a:p> "one" .', f'<{NEW}> <a:p> "two" .']
    again = client.put(f"/store?graph={graph}", data=f'<{NEW}> <a:p> "three" .',
                       content_type="text/turtle", headers=AUTH)
    assert again.status_code == 204
    got = client.get(f"/store?graph={graph}", headers={"Accept": "application/n-triples"})
    assert got.get_data(as_text=True).strip() == f'<{NEW}> <a:p> "three" .'
    assert client.delete(f"/store?graph={graph}", headers=AUTH).status_code == 204
    assert client.get(f"/store?graph={graph}").status_code == 404
    assert client.delete(f"/store?graph={graph}", headers=AUTH).status_code == 404


def test_graph_store_bad_rdf_or_derived_graph_writes_nothing(writable):
    client = writable.test_client()
    before = len(writable.extensions["hvp"].store().oxigraph)
    bad = client.post("/store?default", data=f'<{NEW}> <a:p> "one" .\n<{NEW}> <a:p> .',
                      content_type="text/turtle", headers=AUTH)
    assert bad.status_code == 400 and bad.get_json()["line"] == 2
    derived = client.put("/store?graph=" + quote(DERIVED + "classification/x"),
                         data="<a:b> <a:c> <a:d> .", content_type="text/turtle", headers=AUTH)
    assert derived.status_code == 403
    quads = client.post("/store?default", data="<a:b> <a:c> <a:d> <a:g> .",
                        content_type="application/n-quads", headers=AUTH)
    assert quads.status_code == 415
    assert len(writable.extensions["hvp"].store().oxigraph) == before


def test_workers_see_a_write(disk_store_dir):
    """On disk, /sparql queries that are not lookups run in the workers: they see the write."""
    from web.app import create_app

    app = create_app({"store": str(disk_store_dir), "workers": 1, "timeout": 5.0,
                      "write_token": TOKEN, "read_only": False})
    try:
        client = app.test_client()
        query = f"ASK {{ ?s <http://purl.org/dc/terms/title> \"new\" FILTER(?s = <{NEW}>) }}"
        assert not _ask(client, query)
        assert client.post("/update", data=INSERT, content_type="application/sparql-update",
                           headers=AUTH).status_code == 204
        assert _ask(client, query)
    finally:
        app.extensions["hvp"].close()


@pytest.mark.parametrize("update", [
    f"INSERT DATA {{ <{NEW}> <a:p> <<( <a:x> <a:y> <a:z> )>> }}",  # an RDF 1.2 triple term
    f'INSERT DATA {{ <{NEW}> <a:p> "x"@en--ltr }}',  # a base direction
    f"INSERT {{ <{NEW}> <a:p> ?o }} WHERE {{ LATERAL {{ BIND(1 AS ?o) }} }}",
])
def test_an_update_only_oxigraph_parses_is_written(writable, update):
    """Regression: the check of derived graphs parsed updates with rdflib, which refused these
    with a 400 although the engine that runs them takes them."""
    client = writable.test_client()
    answer = client.post("/update", data=update, content_type="application/sparql-update",
                         headers=AUTH)
    assert answer.status_code == 204, answer.get_data(as_text=True)
    assert _ask(client, HAS_NEW)


@pytest.mark.parametrize("update", [
    f"PREFIX g: <{DERIVED[:-1]}> INSERT DATA {{ GRAPH <{DERIVED}\\u0063lassification/x> "
    "{ <a:b> <a:c> <a:d> } }",  # an escape in the IRI
    "PREFIX h: <https://w3id.org/hvp/> INSERT DATA { GRAPH h:graph\\/cube { <a:b> <a:c> <a:d> } }",
    "# a comment: LOAD\nINSERT { <a:b> <a:c> ?s } WHERE { SERVICE <http://127.0.0.1:9/> {} }",
])
def test_derived_graphs_and_service_are_found_however_written(writable, update):
    answer = writable.test_client().post("/update", data=update,
                                         content_type="application/sparql-update", headers=AUTH)
    assert answer.status_code == 403, answer.get_data(as_text=True)


def test_words_in_strings_comments_and_variables_are_not_refused(writable):
    update = (f'# LOAD <{DERIVED}x> in a comment\n'
              f'INSERT {{ <{NEW}> <a:p> "LOAD SERVICE <{DERIVED}x>" }} '
              "WHERE { BIND(1 AS ?service) }")
    answer = writable.test_client().post("/update", data=update,
                                         content_type="application/sparql-update", headers=AUTH)
    assert answer.status_code == 204, answer.get_data(as_text=True)


def test_an_update_whose_work_is_unbounded_without_data_is_cut_at_the_limit(small_store):
    """A cartesian product of VALUES needs no data: the dry run on an empty store in the
    sandbox is killed at the time limit (503) or its memory limit (413), and the store is never
    touched."""
    import time

    from web.app import create_app

    app = create_app({"store": copy_of(small_store), "write_token": TOKEN, "read_only": False,
                      "timeout": 3.0})
    try:
        values = " ".join(str(i) for i in range(1000))
        update = (f"INSERT {{ <{NEW}> <a:p> ?a }} WHERE {{ VALUES ?a {{ {values} }} "
                  f"VALUES ?b {{ {values} }} VALUES ?c {{ {values} }} }}")
        client = app.test_client()
        client.post("/update", data="INSERT DATA { <a:warm> <a:up> <a:sandbox> }",
                    content_type="application/sparql-update", headers=AUTH)
        began = time.monotonic()
        answer = client.post("/update", data=update, content_type="application/sparql-update",
                             headers=AUTH)
        # cut at whichever limit it reaches first: the time (503) or the sandbox's memory (413)
        assert answer.status_code in (503, 413) and time.monotonic() - began < 10
        assert not _ask(client, HAS_NEW)
    finally:
        app.extensions["hvp"].close()


HVP_PREFIXES = ("PREFIX hvp: <https://w3id.org/hvp/def#>\n"
                "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
                "PREFIX patent: <http://data.epo.org/linked-data/def/patent/>\n")
T01 = "<https://w3id.org/hvp/patent/CN-T01>"


def _checksum(store) -> list[str]:
    return sorted(str(q) for q in store.oxigraph.quads_for_pattern(None, None, None, None))


@pytest.mark.parametrize("update,detail,line", [
    (f'INSERT DATA {{ {T01} hvp:population "x"^^xsd:integer }}',
     "hvp:population: 'x' is not an xsd:integer", 4),
    (f'INSERT DATA {{ {T01}\n  patent:filingDate "2015-03-01" }}',
     "patent:filingDate takes xsd:date literals", 5),
    (f'INSERT DATA {{ {T01} hvp:grantDate "2001-01-01"^^xsd:date }}',
     "the grant date 2001-01-01 is before the filing date 2015-03-01", 4),
    (f'DELETE {{ {T01} patent:filingDate ?d }} INSERT {{ {T01} patent:filingDate '
     f'"2019-01-01"^^xsd:date }} WHERE {{ {T01} patent:filingDate ?d }}',
     "the grant date 2018-06-01 is before the filing date 2019-01-01", 4),
    ('INSERT { ?p patent:filingDate ?d } WHERE { ?p hvp:grantDate ?g '
     'BIND(STRDT("soon", xsd:date) AS ?d) }', "'soon' is not a date as YYYY-MM-DD", 4),
    (f'INSERT DATA {{ {T01} patent:filingDate "2014-01-01"^^xsd:date }}',
     "2014-01-01 besides 2015-03-01, which it has already", 4),  # a second filing date
    (f'INSERT DATA {{ {T01} hvp:amountCNY "-5"^^xsd:decimal }}', "hvp:amountCNY", 4),
    (f'INSERT DATA {{ {T01} hvp:awardKind <https://w3id.org/hvp/awardkind/nobel> }}',
     "not a known award kind", None),
    ('INSERT { GRAPH ?g { <a:b> <a:c> "d" } } WHERE { BIND(IRI(CONCAT('
     '"https://w3id.org/hvp/gr", "aph/x")) AS ?g) }', "writes into the derived graph", None),
])
def test_an_update_is_checked_as_ingested_rdf_and_writes_nothing(writable, update, detail,
                                                                    line):
    """What an update adds passes the checks of ingested RDF (kg.update_checked): ill-typed
    literals, bad lexical forms, dates out of order with those stored, graphs built at run
    time under the derived namespace: 400 naming it, located in the update, nothing written."""
    client = writable.test_client()
    before = _checksum(writable.extensions["hvp"].store())
    answer = client.post("/update", data=HVP_PREFIXES + update,
                         content_type="application/sparql-update", headers=AUTH)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    problem = answer.get_json()
    assert problem["title"] == "Bad input" and detail in problem["detail"], problem
    if line is not None:
        assert problem["file"] == "update" and problem["line"] == line, problem
    assert _checksum(writable.extensions["hvp"].store()) == before


def test_a_graph_store_body_is_checked_and_located_in_the_body(writable):
    client = writable.test_client()
    before = _checksum(writable.extensions["hvp"].store())
    body = ("@prefix hvp: <https://w3id.org/hvp/def#> .\n<a:b>\n"
            '  hvp:population "12x"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    answer = client.put("/store?graph=https://example.org/g", data=body,
                        content_type="text/turtle", headers=AUTH)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    problem = answer.get_json()
    assert (problem["file"], problem["line"]) == ("body", 3), problem
    assert "'12x' is not an xsd:integer" in problem["detail"]
    assert _checksum(writable.extensions["hvp"].store()) == before
    good = body.replace("12x", "12")
    assert client.put("/store?graph=https://example.org/g", data=good,
                      content_type="text/turtle", headers=AUTH).status_code == 204


def test_on_disk_an_ill_typed_update_is_refused_by_the_writer(disk_store_dir):
    """On disk the writer process checks what the update added in its staging generation
    before the switch: refused, the store's every quad unchanged; a good update then works."""
    from kg import LocalStore
    from web.app import create_app

    app = create_app({"store": str(disk_store_dir), "workers": 0, "page_workers": 0,
                      "write_token": TOKEN, "read_only": False})
    try:
        client = app.test_client()
        before = _checksum(app.extensions["hvp"].store())
        answer = client.post("/update", data=HVP_PREFIXES + f'INSERT DATA {{ {T01} '
                             'hvp:population "x"^^xsd:integer }',
                             content_type="application/sparql-update", headers=AUTH)
        assert answer.status_code == 400, answer.get_data(as_text=True)
        assert "'x' is not an xsd:integer" in answer.get_json()["detail"]
        assert _checksum(app.extensions["hvp"].store()) == before
        assert client.post("/update", data=INSERT, content_type="application/sparql-update",
                           headers=AUTH).status_code == 204
        assert _ask(client, HAS_NEW)
    finally:
        app.extensions["hvp"].close()
    reopened = LocalStore(disk_store_dir, read_only=True)
    population = ox.NamedNode("https://w3id.org/hvp/def#population")
    assert list(reopened.quads(ox.NamedNode(T01[1:-1]), population, None, None)) == []
    assert list(reopened.quads(ox.NamedNode(NEW), None, None, None))
