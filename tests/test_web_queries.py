"""Canned queries on the web: list, form, typed parameters bound by the engine, downloads."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from tests.conftest import settled

QUERIES = Path(__file__).resolve().parent / "data" / "queries"
T01 = "https://w3id.org/hvp/patent/CN-T01"


@pytest.fixture()
def qclient(small_store):
    from web.app import create_app

    app = create_app({"store": small_store, "queries_dir": QUERIES})
    yield app.test_client()
    app.extensions["hvp"].close()


def test_list(qclient):
    r = qclient.get("/queries")
    assert r.status_code == 200
    assert b"Invention patents granted in a year" in r.data
    assert b'href="/queries/title-of"' in r.data


def test_form_and_table_with_default(qclient, small_store):
    r = qclient.get("/queries/granted-in")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert b'name="year" type="number"' in r.data and b'value="2018"' in r.data
    expected = small_store.select("""PREFIX hvp: <https://w3id.org/hvp/def#>
        SELECT ?p WHERE { ?p a hvp:InventionPatent ; hvp:grantDate ?d
        FILTER(YEAR(?d) = 2018) }""")
    assert expected
    for row in expected:
        assert row["p"].value.rsplit("/", 1)[1].encode() in r.data
    assert b"/queries/granted-in?year=2018&amp;format=csv" in r.data
    assert b'rel="bookmark"' in r.data


def test_parameter_is_bound_by_the_engine(qclient):
    rows = list(csv.DictReader(io.StringIO(
        qclient.get("/queries/granted-in?year=2018&format=csv").text)))
    assert rows and {r["year"] for r in rows} == {"2018"}
    assert T01 in {r["patent"] for r in rows}
    none = qclient.get("/queries/granted-in?year=1950&format=csv").text.splitlines()
    assert none == ["year,patent,title"]


@pytest.mark.parametrize(("fmt", "mime"), [("csv", "text/csv"), ("json", "application/json"),
                                            ("tsv", "text/tab-separated-values")])
def test_downloads(qclient, fmt, mime):
    r = qclient.get(f"/queries/title-of?patent={T01}&format={fmt}")
    assert r.status_code == 200 and r.mimetype == mime
    assert "attachment" in r.headers["Content-Disposition"]
    assert "Neural network accelerator" in r.text
    r = qclient.get(f"/queries/title-of?patent={T01}", headers={"Accept": mime})
    assert r.mimetype == mime


def test_injection_is_impossible(qclient):
    evil = T01 + "> } UNION { ?patent ?x ?title"
    r = qclient.get("/queries/title-of", query_string={"patent": evil, "format": "csv"})
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert r.text.splitlines() == ["patent,title"]


@pytest.mark.parametrize("url", [
    "/queries/granted-in?year=20x4", "/queries/granted-in?year=99999",
    "/queries/title-of?patent=not%20an%20iri", "/queries/title-of",
    "/queries/granted-in?colour=red", "/queries/no-such-query",
    "/queries/granted-in?format=pdf",
])
def test_bad_parameters_are_problems(qclient, url):
    r = qclient.get(url)
    assert r.status_code in (400, 404, 406)
    assert r.mimetype == "application/problem+json"
    assert r.get_json()["status"] == r.status_code


def test_browsers_get_the_form_to_fill_in_or_correct(qclient):
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    first = qclient.get("/queries/title-of", headers=html)
    assert first.status_code == 200 and first.mimetype == "text/html"
    assert 'name="patent"' in first.text and "Fill in" in first.text
    assert 'id="results"' not in first.text
    wrong = qclient.get("/queries/granted-in?year=20x4", headers=html)
    assert wrong.status_code == 400 and wrong.mimetype == "text/html"
    assert 'name="year"' in wrong.text and 'value="20x4"' in wrong.text
    assert "year" in wrong.text and 'role="alert"' in wrong.text
    numbers = qclient.get("/queries/granted-in?year=2018", headers=html)
    assert '<td class="number">2018</td>' in numbers.text  # right-aligned


SAMPLE = {"string": "example", "region": "CN-GD", "year": "2024", "date": "2024-12-31",
          "iri": T01, "int": "1"}


def test_shipped_queries_render(client):
    """Every kg/queries/*.rq renders with its defaults (a sample value for required ones),
    and its CSV download matches kg.canned.run on the same store."""
    import kg.canned

    for q in kg.canned.list_queries():
        params = {p.name: SAMPLE[p.type] for p in q.params if p.required and p.default is None}
        r = client.get(f"/queries/{q.name}", query_string=params)
        if q.name.startswith("wikidata-"):  # federated: its default endpoint is not allowed
            assert r.status_code == 403 and b"federation_allow" in r.data, (q.name, r.data)
            continue
        assert r.status_code == 200, (q.name, r.data[:300])
        csv_text = client.get(f"/queries/{q.name}", query_string={**params, "format": "csv"}).text
        store = client.application.extensions["hvp"].store()
        assert csv_text == kg.canned.run(store, q, params).to_csv(), q.name


def _computed(client, path: str):
    """POST ``path`` until its computation, queued for the writer process (503 Being computed
    with Refresh), is done."""
    deadline = time.monotonic() + 150
    answer = client.post(path)
    while answer.status_code == 503 and "Refresh" in answer.headers \
            and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = client.post(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def test_the_editor_has_an_examples_derived_graphs_computed(disk_app):
    """What the editor asks before it shows an example that reads derived graphs: they are
    computed (also for a query whose required text parameter has no default) and named."""
    from web.pool import DEFAULT_GRAPH

    client = disk_app.test_client()
    before = {g.value for g in disk_app.extensions["hvp"].store().oxigraph.named_graphs()}
    answer = _computed(client, "/queries/owners-named/graphs")
    graphs = answer.get_json()["graphs"]
    assert graphs[0] == DEFAULT_GRAPH and len(graphs) == 2
    assert graphs[1].endswith("/classification/cnipa-2021/2024-12-31")
    store = disk_app.extensions["hvp"].store()  # the generation the writer switched in
    assert graphs[1] not in before and graphs[1] in {g.value for g in store.oxigraph.named_graphs()}
    cube = _computed(client, "/queries/per10k-by-region/graphs").get_json()["graphs"]
    assert cube[0] == DEFAULT_GRAPH and cube[1].endswith("/graph/indicators/cnipa-2021")
    store = disk_app.extensions["hvp"].store()
    assert store.ask(f"ASK {{ GRAPH <{cube[1]}> {{ ?s ?p ?o }} }}")
    assert client.post("/queries/no-such-query/graphs").status_code == 404
    assert client.get("/queries/owners-named/graphs").status_code == 405


def test_a_field_left_empty_takes_its_default(disk_app):
    client = disk_app.test_client()
    emptied = client.get("/queries/region-series?region=&from=2023&to=2024&format=json")
    default = client.get("/queries/region-series?from=2023&to=2024&format=json")
    assert emptied.status_code == default.status_code == 200
    rows = emptied.get_json()["rows"]
    assert rows == default.get_json()["rows"] and {r["region"] for r in rows} == {
        "https://w3id.org/hvp/region/CN"}


@pytest.mark.parametrize(("url", "message"), [
    ("/indicators.csv?years=abc", "parameter 'years' must be YEAR or FIRST-LAST"),
    ("/indicators.csv?by=foo", "parameter 'by' must be one of all, nation, province"),
    ("/queries/per10k-by-region?year=abc&format=json", "'abc' is not a year, e.g. 2024 "
     "(xsd:integer) (not a whole number)"),
])
def test_web_errors_name_the_parameter_in_web_words(client, url, message):
    problem = client.get(url).get_json()
    assert message in problem["detail"]
    assert "--" not in problem["detail"] and "int()" not in problem["detail"]


def test_fractions_in_a_table_are_rounded_as_on_the_dashboard(disk_app):
    """A long fraction shows rounded (here 0.000021302581872923 as 0.00002130), its every
    digit in the title and the downloads."""
    client = disk_app.test_client()
    page = client.get("/queries/region-series?from=2024&to=2024",
                      headers={"Accept": "text/html"}).get_data(as_text=True)
    full = client.get("/queries/region-series?from=2024&to=2024&format=csv").get_data(as_text=True)
    value = next(csv.DictReader(io.StringIO(full)))["per_10k"]
    assert len(value.split(".")[1]) > 2  # the raw value has more digits than shown
    assert value == "0.000021302581872923"  # the small test data's nation: tiny
    assert f'<span title="{value}">0.00002130</span>' in page


@pytest.mark.parametrize(("text", "shown"), [
    ("151.51515151515153", "151.52"), ("14.017088919043855", "14.02"), ("0", "0.00"),
    ("0.012345", "0.01235"), ("-2.5", "-2.50"), ("0.99996", "1.00"), ("2.1E-5", "0.00002100"),
    ("12345678901234567.5", "12345678901234567.50"), ("NaN", None)])
def test_readable_fractions(text, shown):
    import pyoxigraph as ox

    from web.queries import readable

    double = ox.NamedNode("http://www.w3.org/2001/XMLSchema#double")
    assert readable(ox.Literal(text, datatype=double)) == shown
    assert readable(ox.Literal("2024", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))) is None


def test_a_long_year_range_computes_only_the_years_with_figures(disk_app):
    """region-series?from=2000&to=2030 counts (and stores in the cube) the years with a
    population row, not 31 years; and classifies no year (the indicators count each patent's
    high-value interval, kg.classify.timeline)."""
    response = disk_app.test_client().get("/queries/region-series?from=2000&to=2030&format=json")
    assert response.status_code == 200 and response.get_json()["rows"]
    settled(disk_app)
    store = disk_app.extensions["hvp"].store()  # the generation its writer made, opened
    assert not any("/graph/classification/" in g.value for g in store.oxigraph.named_graphs())
    years = {r["period"].value.rsplit("/", 1)[1] for r in store.select(
        "SELECT DISTINCT ?period WHERE { GRAPH ?g { ?o "
        "<http://purl.org/linked-data/sdmx/2009/dimension#refPeriod> ?period } }")}
    figures = {r["year"].value for r in store.select(
        "SELECT DISTINCT ?year WHERE { ?o a <https://w3id.org/hvp/def#PopulationObservation> ; "
        "<https://w3id.org/hvp/def#year> ?year }")}
    assert years and years <= figures


def test_an_accept_naming_nothing_a_canned_query_gives_is_406(qclient):
    r = qclient.get("/queries/granted-in", headers={"Accept": "text/turtle"})
    assert r.status_code == 406 and r.mimetype == "application/problem+json"
    assert "text/csv" in r.get_json()["available"]
    assert qclient.get("/queries/granted-in", headers={"Accept": "text/turtle, */*;q=0.1"}
                      ).status_code == 200
