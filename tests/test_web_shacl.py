"""/shacl: validation reports as Turtle, JSON-LD and HTML; bad RDF located by line and column."""

from __future__ import annotations

import json
import re

import pytest
import rdflib

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
PREFIXES = """@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix patent: <http://data.epo.org/linked-data/def/patent/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
GOOD = PREFIXES + """<https://w3id.org/hvp/patent/X1> a hvp:Patent, hvp:InventionPatent ;
    dcterms:identifier "X1" ; patent:filingDate "2020-01-01"^^xsd:date ;
    hvp:firstOwner <https://w3id.org/hvp/owner/O1> ; hvp:owner <https://w3id.org/hvp/owner/O1> .
<https://w3id.org/hvp/owner/O1> a hvp:Owner ; dcterms:identifier "O1" ;
    <http://xmlns.com/foaf/0.1/name> "Owner one" ; hvp:country "CN" .
"""
BAD = PREFIXES + """<https://w3id.org/hvp/patent/X2> a hvp:Patent, hvp:InventionPatent ;
    patent:filingDate "2020-01-01" .
"""


def _report(data: bytes, fmt: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data, format=fmt)


def test_conforming_data(client):
    r = client.post("/shacl", data=GOOD, content_type="text/turtle")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = _report(r.data, "turtle")
    assert (None, SH.conforms, rdflib.Literal(True)) in g


def test_non_conforming_data_is_a_report(client):
    r = client.post("/shacl", data=BAD, content_type="text/turtle",
                    headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    g = _report(r.data, "json-ld")
    assert (None, SH.conforms, rdflib.Literal(False)) in g
    focus = set(g.objects(None, SH.focusNode))
    assert rdflib.URIRef("https://w3id.org/hvp/patent/X2") in focus
    paths = set(g.objects(None, SH.resultPath))
    assert rdflib.URIRef("http://purl.org/dc/terms/identifier") in paths


def test_ntriples_body(client):
    nt = rdflib.Graph().parse(data=GOOD, format="turtle").serialize(format="nt")
    r = client.post("/shacl", data=nt, content_type="application/n-triples")
    assert (None, SH.conforms, rdflib.Literal(True)) in _report(r.data, "turtle")


def test_html_form_lists_each_result(client):
    assert client.get("/shacl").status_code == 200
    r = client.post("/shacl", data={"data": BAD, "syntax": "turtle", "format": "html"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert "does not conform" in r.text
    assert "https://w3id.org/hvp/patent/X2" in r.text
    assert "dcterms:identifier" in r.text  # the shape's message names the path


def test_html_form_comes_back_filled_with_what_to_correct(client):
    broken = "<https://example.org/a> <https://example.org/p> ."
    r = client.post("/shacl", data={"data": broken, "syntax": "ntriples", "format": "html"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert 'role="alert"' in r.text and "line 1" in r.text
    assert "&lt;https://example.org/a&gt; &lt;https://example.org/p&gt; ." in r.text  # kept
    assert '<option selected>ntriples</option>' in r.text


def test_form_with_jsonld_and_own_shapes(client):
    data = json.dumps({"@id": "https://example.org/a", "https://example.org/p": "x"})
    shapes = """@prefix sh: <http://www.w3.org/ns/shacl#> .
    <https://example.org/S> a sh:NodeShape ; sh:targetNode <https://example.org/a> ;
      sh:property [ sh:path <https://example.org/p> ; sh:minCount 2 ] ."""
    r = client.post("/shacl", data={"data": data, "syntax": "jsonld", "shapes": shapes},
                    headers={"Accept": "text/turtle"})
    g = _report(r.data, "turtle")
    assert (None, SH.conforms, rdflib.Literal(False)) in g
    page = client.post("/shacl", data={"data": data, "syntax": "jsonld", "shapes": shapes,
                                       "format": "html"}).text
    # a blank-node property shape is named by its node shape and path, not a blank node id
    assert "<td>https://example.org/S › https://example.org/p</td>" in page
    assert not re.search(r"<td>[nN][0-9a-f]{16,}", page)
    assert (None, SH.sourceConstraintComponent, SH.MinCountConstraintComponent) in g


@pytest.mark.parametrize(("kwargs", "line"), [
    ({"data": PREFIXES + "<a:b> <a:c> .\n", "content_type": "text/turtle"}, 5),
    ({"data": {"data": "<a:b> <a:c> <a:d> .\n<a:x> <a:y> \"open", "syntax": "ntriples"}}, 2),
])
def test_bad_rdf_is_400_with_position(client, kwargs, line):
    r = client.post("/shacl", **kwargs)
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["line"] == line and "column" in body


@pytest.mark.parametrize("kwargs", [
    {"data": "x", "content_type": "application/pdf"},
    {"data": {"data": GOOD, "syntax": "klingon"}},
    {"data": {"data": GOOD, "profile": "../../etc/passwd"}},
    {"data": {"data": GOOD, "format": "pdf"}},
])
def test_other_bad_requests_are_problems(client, kwargs):
    r = client.post("/shacl", **kwargs)
    assert r.status_code in (400, 406, 415)
    assert r.mimetype == "application/problem+json"


def test_profile_shapes_at_a_date(client):
    from kg.profiles import shipped

    if not shipped():
        pytest.skip("no shipped profile")
    r = client.post("/shacl", data={"data": GOOD, "profile": shipped()[0],
                                    "as_of": "2024-12-31"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert (None, SH.conforms, None) in _report(r.data, "turtle")


def _owned(patent: str, ipc: str) -> str:
    return f"""<https://w3id.org/hvp/patent/{patent}> a hvp:Patent, hvp:InventionPatent ;
    dcterms:identifier "{patent}" ; patent:filingDate "2020-01-01"^^xsd:date ;
    hvp:grantDate "2022-01-01"^^xsd:date ; hvp:ipcCode "{ipc}" ;
    hvp:firstOwner <https://w3id.org/hvp/owner/O1> ; hvp:owner <https://w3id.org/hvp/owner/O1> .
"""


PATENTS = PREFIXES + _owned("B1", "H01M10/052") + _owned("P1", "F04B1/00") + """
<https://w3id.org/hvp/owner/O1> a hvp:Owner ; dcterms:identifier "O1" ;
    <http://xmlns.com/foaf/0.1/name> "Owner one" ; hvp:country "CN" .
"""


def test_a_profile_gives_each_patent_the_verdict_the_engine_gives(client):
    """The criteria read the reference data (here the SEI concordance: H01M* is 5.2), which
    /shacl joins to the data, so a patent's verdict is the one its page would give."""
    from datetime import date

    import pyoxigraph as ox

    from kg import reference
    from kg.explain import explain
    from kg.store import LocalStore

    r = client.post("/shacl", data={"data": PATENTS, "profile": "cnipa-2021",
                                    "as_of": "2024-12-31", "format": "html"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    rows = re.findall(r'<tr><td class="iri">https://w3id.org/hvp/patent/(\w+)</td>'
                      r'<td><span class="\w+">(\w+)</span></td><td><span class="\w+">(\w+)'
                      r'</span></td><td><span class="\w+">(\w+)</span></td>\s*<td>(.*?)</td>',
                      page)
    assert [row[:4] for row in rows] == [("B1", "yes", "yes", "yes"), ("P1", "no", "yes", "yes")]
    assert "strategic emerging industry" in rows[0][4] and "none" in rows[1][4]
    # said plainly: which are high-value, and whether the data itself has faults
    assert "1 of 2 invention patents are high-value." in page
    assert 'class="no">does not conform' not in page and 'id="broken"' not in page
    store = LocalStore()
    reference.ensure(store)
    store.load(PATENTS.encode(), ox.RdfFormat.TURTLE)
    for patent, high_value, *_ in rows:
        assert explain(store, patent, date(2024, 12, 31)).high_value == (high_value == "yes")


def test_a_profile_view_lists_the_faults_of_the_data(client):
    """Data broken against the data-quality shapes: its faults are listed apart from the
    criteria a patent misses, and the patent's verdict is still given."""
    r = client.post("/shacl", data={"data": BAD, "profile": "cnipa-2021",
                                    "as_of": "2024-12-31", "format": "html"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="broken"' in page and 'id="verdicts"' in page
    assert re.search(r"The data has \d+ faults? \(see below\)", page)
    assert "0 of 1 invention patent is high-value." in page


@pytest.mark.parametrize("kwargs", [
    {"data": {"data": "  \n"}},
    {"data": "", "content_type": "text/turtle"},
])
def test_no_data_is_a_bad_request(client, kwargs):
    r = client.post("/shacl", **kwargs)
    assert r.status_code == 400 and "no data to validate" in r.get_json()["detail"]


def test_data_pasted_and_uploaded_is_a_bad_request(client):
    import io

    r = client.post("/shacl", data={"data": GOOD, "file": (io.BytesIO(BAD.encode()), "bad.ttl"),
                                    "format": "ttl"}, headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.mimetype == "text/html"  # the form again, to correct
    assert "paste it or choose a file, not both" in r.get_data(as_text=True)


def test_the_form_offers_the_report_formats_and_the_pages_as_of_date(client):
    page = client.get("/shacl").get_data(as_text=True)
    assert 'name="as_of" value="2024-12-31"' in page
    assert re.findall(r'<option value="(\w+)"', page)[-3:] == ["html", "ttl", "jsonld"]
    r = client.post("/shacl", data={"data": GOOD, "format": "jsonld"},
                    headers={"Accept": "text/html"})
    assert r.mimetype == "application/ld+json"
