"""/indicators: dashboard page and downloads over kg.indicators."""

from __future__ import annotations

import csv
import io
import re
import shutil
import urllib.error
import urllib.request

import pytest

from tests.conftest import open_ready, settled, waiting


@pytest.fixture()
def iclient(small_store_dir, tmp_path):
    """The dashboard writes classification graphs: a private on-disk store."""
    from web.app import create_app

    target = tmp_path / "store"
    shutil.copytree(small_store_dir, target)
    app = waiting(create_app({"store": str(target), "workers": 1}))
    yield app.test_client()
    app.extensions["hvp"].close()


def test_dashboard(iclient):
    r = iclient.get("/indicators?year=2024")
    assert r.status_code == 200 and r.mimetype == "text/html"
    assert 'id="provinces-chart"' in r.text and "chart.umd.min.js" in r.text
    assert "CN-GD" in r.text
    assert "<td class=\"num\">14.0</td>" in r.text  # official value beside the computed one


def test_dashboard_opens_on_the_last_year_with_provinces(iclient):
    """2025 has only the national population (built in): the page opens on 2024, and lists
    only the chosen year's warnings."""
    r = iclient.get("/indicators")
    assert r.status_code == 200
    assert "<option selected>2024</option>" in r.text
    assert " 2025:" not in r.text
    assert "Provinces, 2024" in r.text


def test_dashboard_for_years_without_population_says_so(iclient):
    r = iclient.get("/indicators?years=2010-2011")
    assert r.status_code == 200
    assert "Provinces, 2011" in r.text and 'id="no-provinces"' in r.text
    assert 'id="provinces-chart"' not in r.text and 'id="provinces"' not in r.text  # no empty frame
    assert "<option selected>2011</option>" in r.text


def test_downloads_match_kg_indicators(iclient):
    rows = list(csv.DictReader(io.StringIO(iclient.get("/indicators.csv?years=2024").text)))
    assert {"CN", "CN-GD"} <= {r["region"] for r in rows}
    for row in rows:
        assert float(row["per_10k"]) == pytest.approx(
            int(row["high_value_count"]) / int(row["population"]) * 10000)
    data = iclient.get("/indicators.json?years=2024").get_json()
    assert len(data["rows"]) == len(rows)
    # for people: the rules' columns, then the region's name and the official national value
    assert list(rows[0])[-2:] == ["region_label", "official_per_10k"]
    by_region = {r["region"]: r for r in rows}
    assert by_region["CN"]["official_per_10k"] == "14.0" and by_region["CN-GD"][
        "official_per_10k"] == ""
    assert by_region["CN-GD"]["region_label"] == "Guangdong"
    zh = csv.DictReader(io.StringIO(iclient.get("/indicators.csv?years=2024&lang=zh").text))
    assert {r["region"]: r["region_label"] for r in zh}["CN-GD"] == "广东省"
    assert iclient.get("/indicators.ttl?years=2024").mimetype == "text/turtle"


def test_cube_observations_dereference(iclient):
    # a canned query that needs the indicator cube materializes it
    assert iclient.get("/queries/per10k-by-region?year=2024").status_code == 200
    settled(iclient.application)
    store = iclient.application.extensions["hvp"].store()
    rows = store.select("""SELECT ?o WHERE { GRAPH ?g {
        ?o a <http://purl.org/linked-data/cube#Observation> } } LIMIT 1""")
    assert rows
    iri = rows[0]["o"].value
    path = "/" + iri.split("https://w3id.org/hvp/", 1)[1]
    r = iclient.get(path + ".ttl")
    assert r.status_code == 200 and "highValueCount" in r.text


@pytest.mark.parametrize("url", ["/indicators?year=1999", "/indicators?year=abc",
                                 "/indicators?years=2025-2020", "/indicators.pdf"])
def test_bad_requests(iclient, url):
    r = iclient.get(url)
    assert r.status_code in (400, 406) and r.mimetype == "application/problem+json"


def test_the_year_list_offers_years_with_province_figures_and_warns_of_that_year(iclient):
    """2025 has the nation's population alone (no province table): not offered; the warnings
    of a year not shown are not listed, those of the year shown are folded away."""
    r = iclient.get("/indicators")
    assert r.status_code == 200
    years = re.findall(r"<option(?: selected)?>(\d{4})</option>", r.text)
    assert "2025" not in years and "2024" in years and "<option selected>2024</option>" in r.text
    assert "CN-GD 2025" not in r.text
    counts = iclient.get("/indicators.json?years=2025").get_json()
    assert [row["region"] for row in counts["rows"]] == ["CN"]  # its figure is in the series
    assert "<td>2025</td>" in r.text


def test_a_year_asked_for_lists_its_warnings_in_the_readers_language(iclient):
    """2025 asked for: no province has its population, so its warnings are open, each naming
    the province from the data's labels."""
    en = iclient.get("/indicators?year=2025").text
    assert "<details class=\"warnings\" open>" in en
    assert "Guangdong (CN-GD): 1 high-value patent in 2025 but no population" in en
    zh = iclient.get("/indicators?year=2025&lang=zh").text
    assert "广东省（CN-GD）：2025 年有 1 件高价值发明专利，但没有人口数据" in zh
    assert "high-value patents" not in zh


@pytest.mark.parametrize(("accept", "form"), [
    ("text/turtle", "text/turtle"), ("text/n3", "text/turtle"), ("text/csv", "text/csv"),
    ("application/json", "application/json"), ("text/html", "text/html"),
    ("*/*", "text/html")])
def test_the_dashboards_url_answers_what_a_client_accepts(live_server, accept: str,
                                                          form: str) -> None:
    """A client asking ``/indicators`` for data gets it, as ``/patents`` and the resources
    answer (it got the HTML page whatever it asked for); Turtle for ``text/n3`` too."""
    request = urllib.request.Request(live_server.url + "/indicators?years=2024",
                                     headers={"Accept": accept})
    with open_ready(request) as answer:
        body = answer.read().decode()
        assert answer.headers.get_content_type() == form
        assert "Accept" in answer.headers["Vary"]
    if form == "text/turtle":
        assert "qb:Observation" in body or "DataSet" in body
    if form == "text/csv":
        assert body.startswith("region,") and "CN-GD" in body


def test_the_dashboard_refuses_what_it_cannot_answer(live_server) -> None:
    request = urllib.request.Request(live_server.url + "/indicators?years=2024",
                                     headers={"Accept": "application/pdf"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        open_ready(request)
    caught.value.close()
    assert caught.value.code == 406
