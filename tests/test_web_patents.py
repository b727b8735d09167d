"""Linked data: every IRI the service mints dereferences at the same path on the app."""

from __future__ import annotations

from datetime import date

import pyoxigraph as ox
import pytest

from kg.iri import DEFAULT_BASE, PROFILE_NS, parse

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def minted(store) -> dict[str, str]:
    """One IRI of each kind the store holds under the base (and the fixed vocabularies)."""
    found: dict[str, str] = {}
    for quad in store.oxigraph.quads_for_pattern(None, None, None, None):
        s = quad.subject
        if isinstance(s, ox.NamedNode):
            hit = parse(DEFAULT_BASE, s.value)
            if hit and hit[0] not in found:
                found[hit[0]] = s.value
    return found


def test_every_minted_kind_dereferences(client, small_store):
    kinds = minted(small_store)
    assert {"patent", "owner", "region", "family", "publication", "pledge", "award",
            "population", "concordance", "sei", "award-kind"} <= set(kinds)
    for kind, iri in kinds.items():
        path = iri[len(DEFAULT_BASE) - 1:]
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, (kind, path, page.data[:300])
        assert page.mimetype == "text/html"
        ttl = client.get(path + ".ttl")
        assert ttl.status_code == 200 and ttl.mimetype == "text/turtle", (kind, path)
        triples = list(ox.parse(ttl.data, format=ox.RdfFormat.TURTLE))
        assert ox.NamedNode(iri) in {t.subject for t in triples}, kind


def test_linked_from_lists_each_link_once_with_the_count(client, small_store):
    owner = ox.NamedNode(DEFAULT_BASE + "owner/O1")
    links = {(q.subject, q.predicate) for q in small_store.oxigraph.quads_for_pattern(
        None, None, owner, None)}
    page = client.get("/owner/O1?view=triples", headers=HTML).text  # the triples' page
    table = page.split('id="incoming"')[1].split("</table>")[0]
    things = {s for s, _ in links}
    assert table.count("<tr><td>") == len(things) > 1  # one row per thing, its properties listed
    assert f"{len(links)} links from {len(things)} things" in page
    # CN-T01 links by hvp:owner and hvp:firstOwner: one row, its title once
    assert table.count('/patent/CN-T01"') == 1 and table.count("Neural network accelerator") == 1
    assert "hvp:firstOwner" in table and "hvp:owner" in table


def test_odd_ids_derived_graphs_profiles_and_genids_dereference(tmp_path):
    """Ids with '/', a space or Chinese (percent-encoded in their IRIs, decoded by the server),
    the derived graphs, the criteria profiles and the reference data's skolem IRIs."""
    from kg import reference
    from kg.classify import ensure
    from kg.indicators import cube
    from kg.ingest import ingest
    from kg.iri import mint
    from kg.store import LocalStore
    from web.app import create_app

    store = LocalStore()
    reference.ensure(store)
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "owners.csv").write_text("owner_id,name,country,region\n"
                                       "甲 1/2,某公司,CN,CN-GD\n", encoding="utf-8")
    (folder / "patents.csv").write_text(
        "patent_id,kind,title,filing_date,grant_date,lapse_date,ipc,owners,family_id\n"
        "CN 1/2,invention,Slash and space,2010-01-01,2012-01-01,,G06N3/04,甲 1/2,\n"
        "CN 1,invention,Its prefix,2010-01-01,2012-01-01,,G06N3/04,甲 1/2,\n", encoding="utf-8")
    ingest(store, [folder], base=DEFAULT_BASE)
    classification = ensure(store, date(2024, 12, 31))
    indicators = cube.ensure(store, [2024]).value
    genid = next(q.subject.value for q in store.oxigraph.quads_for_pattern(None, None, None)
                 if q.subject.value.startswith(reference.GENID))
    app = create_app({"store": store})
    client = app.test_client()
    iris = [mint(DEFAULT_BASE, "patent", "CN 1/2"), mint(DEFAULT_BASE, "patent", "CN 1"),
            mint(DEFAULT_BASE, "owner", "甲 1/2"), classification, indicators,
            PROFILE_NS + "cnipa-2021", PROFILE_NS + "cnipa-2026-four", genid]
    for iri in iris:
        path = iri[len(DEFAULT_BASE) - 1:]
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, (iri, page.data[:300])
        assert iri in page.text
        ttl = client.get(path + ".ttl")
        assert ttl.status_code == 200, iri
        subjects = {q.subject for q in ox.parse(ttl.data, format=ox.RdfFormat.TURTLE)}
        assert ox.NamedNode(iri) in subjects, iri
    profile = client.get("/profile/cnipa-2021.ttl").data
    assert b"SEIShape" in profile and b"maintenanceYears" in profile
    assert client.get("/profile/cnipa-1999", headers=HTML).status_code == 404
    app.extensions["hvp"].close()


@pytest.mark.parametrize(("how", "mime"), [
    ({"Accept": "text/turtle"}, "text/turtle"),
    ({"Accept": "application/n-triples"}, "application/n-triples"),
    ({"Accept": "application/ld+json"}, "application/ld+json"),
    ({"Accept": "application/rdf+xml"}, "application/rdf+xml"),
    (".nt", "application/n-triples"), (".jsonld", "application/ld+json"),
    (".rdf", "application/rdf+xml"), (HTML, "text/html"), ({}, "text/html"),
])
def test_negotiation(client, how, mime):
    path = "/patent/CN-T01"
    r = client.get(path + how) if isinstance(how, str) else client.get(path, headers=how)
    assert r.status_code == 200 and r.mimetype == mime
    # for HTTP caches: the bare IRI's answer depends on Accept, a suffixed URL's does not
    assert ("Accept" in r.headers.get("Vary", "")) is not isinstance(how, str)
    if mime != "text/html":
        graph = list(ox.parse(r.data, format=ox.RdfFormat.from_media_type(mime),
                              base_iri="http://localhost/"))
        titles = [t.object.value for t in graph
                  if t.predicate.value == "http://purl.org/dc/terms/title"]
        assert "Neural network accelerator" in titles


def test_patent_page_shows_facts_family_owners_and_labels(client):
    r = client.get("/patent/CN-T01", headers=HTML)
    text = r.text
    assert "<h1>Neural network accelerator</h1>" in text
    assert 'href="/family/F1"' in text and 'href="/owner/O1"' in text
    assert "Shenzhen Example Tech Co." in text  # label of a linked thing
    assert "G06N3/063" in text and "2018-06-01" in text
    assert 'name="as_of" value="2024-12-31"' in text


def test_owner_page_lists_its_patents(client):
    text = client.get("/owner/O1?view=triples", headers=HTML).text
    assert 'href="/patent/CN-T01"' in text and "Linked from" in text
    summary = client.get("/owner/O1", headers=HTML).text  # the summary: with their status
    assert 'href="/patent/CN-T01?as_of=2024-12-31"' in summary


def test_describe_includes_labels_of_linked_things(client):
    r = client.get("/patent/CN-T01.nt")
    assert '<https://w3id.org/hvp/owner/O1> <http://xmlns.com/foaf/0.1/name>' in r.text


@pytest.mark.parametrize("path", ["/patent/NO-SUCH", "/owner/nobody.ttl", "/region/XX-YY"])
def test_unknown_is_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    page = client.get(path, headers=HTML)
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.mark.parametrize("as_of", ["2024-13-45", "20241231", "2024-W52-2", "２０２４-12-31"])
def test_bad_as_of_is_400(client, as_of):
    r = client.get("/patent/CN-T01", query_string={"as_of": as_of})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert repr(as_of) in r.get_json()["detail"]


def test_patent_page_explains_high_value(client):
    from kg.explain import explain

    r = client.get("/patent/CN-T01?as_of=2024-12-31", headers=HTML)
    assert r.status_code == 200
    expected = explain(client.application.extensions["hvp"].store(), "CN-T01",
                       date(2024, 12, 31), "cnipa-2021",
                       DEFAULT_BASE).to_dict()
    verdict = r.text.split('id="verdict"')[1].split("</p>")[0]
    assert ("high-value <span class=\"yes\">yes" in verdict) == bool(expected["high_value"])
    for criterion in expected["criteria"]:
        for reason in criterion["reasons"]:
            assert reason in r.text
    older = client.get("/patent/CN-T01?as_of=2016-12-31", headers=HTML).text
    assert "high-value <span class=\"no\">no" in older.split('id="verdict"')[1]


@pytest.mark.parametrize(("path", "title"), [
    ("/", "hvp-kg"), ("/shacl", "SHACL validation · hvp-kg"),
    ("/patent/CN-T01", "Neural network accelerator · hvp-kg")])
def test_page_titles(client, path, title):
    page = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f"<title>{title}</title>" in page
    assert '<link rel="icon" href="data:,">' in page  # no request for /favicon.ico (a 404)


@pytest.mark.parametrize(("path", "label"), [("/sei/", "Strategic"), ("/award-kind/", "ward")])
def test_the_concept_schemes_dereference(client, path, label):
    """The SEI classification and the award kinds are concept schemes whose IRIs end in `/`:
    pages link to them, and they are served here (not only their concepts)."""
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and label in page.get_data(as_text=True)
    turtle = client.get(path + ".ttl")
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    assert "skos:ConceptScheme" in turtle.get_data(as_text=True)



def test_a_concept_links_to_its_scheme_here(client):
    concept = client.get("/sei/5.2", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/sei/"' in concept


def test_the_ontology_and_its_terms_dereference(client):
    """hvp: terms are hash IRIs of https://w3id.org/hvp/def, served at /def: a page with a row
    per term (the fragment's target), and the ontology file as data."""
    import re

    page = client.get("/def", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "hvp-kg ontology" in page
    rows = re.findall(r'<tr id="(\w+)">', page)
    assert {"InventionPatent", "firstOwner", "highValue"} <= set(rows)
    patent = client.get("/patent/CN-T01", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/def#InventionPatent"' in patent  # links stay on this site
    turtle = client.get("/def.ttl")
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    graph = ox.Store()
    graph.load(turtle.data, format=ox.RdfFormat.TURTLE)
    assert graph.query("ASK { <https://w3id.org/hvp/def> a "
                       "<http://www.w3.org/2002/07/owl#Ontology> }")
    negotiated = client.get("/def", headers={"Accept": "application/ld+json"})
    assert negotiated.mimetype == "application/ld+json" and negotiated.headers["Vary"] == "Accept"


def test_a_resource_page_shows_its_literals_as_they_are(client):
    """Rounding is for results tables: a pledge's amount is shown with every digit."""
    page = client.get("/pledge/PL2", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "6000000.5" in page and "6000000.50" not in page
