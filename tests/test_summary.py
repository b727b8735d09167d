"""Summary pages of a region, an owner and an SEI industry (web.summary): the figures, the raw
triples one click away, pagination, both languages, and data formats unchanged."""

from __future__ import annotations

import re

import pytest

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def client(small_store):
    """One app for the module: its first page computes the classifications and the cube that
    the others read back."""
    from tests.conftest import copy_of
    from web.app import create_app

    application = create_app({"store": copy_of(small_store)})
    yield application.test_client()
    application.extensions["hvp"].close()


def page(client, url: str) -> str:
    answer = client.get(url, headers=HTML)
    assert answer.status_code == 200, answer.get_data(as_text=True)[-500:]
    return answer.get_data(as_text=True)


def rows(html: str, table: str) -> list[list[str]]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                          row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S) if "<td" in row]


def test_region_page(client) -> None:
    html = page(client, "/region/CN-GD?lang=en")
    assert "<h1>Guangdong</h1>" in html
    series = rows(html, "series")
    assert [r[0] for r in series] == ["2020", "2021", "2022", "2023", "2024"]
    assert all(r[2] for r in series)  # the nation beside the region
    criteria = {r[0]: r[1] for r in rows(html, "criteria")}
    assert criteria["strategic emerging industry"] == "1"  # CN-T01, first owner O1 (CN-GD)
    assert "Valid, domestic, high-value invention patents at 2024-12-31: 1" in html
    assert rows(html, "owners")[0] == ["Shenzhen Example Tech Co.", "1"]
    assert 'href="http://www.wikidata.org/entity/Q15175"' in html
    assert 'href="/region/CN-GD?view=triples"' in html


def test_region_page_in_chinese_and_at_a_date(client) -> None:
    html = page(client, "/region/CN-GD?lang=zh&as_of=2010-12-31")
    assert "<h1>广东省</h1>" in html and "高价值发明专利" in html
    assert "2010-12-31" in html and rows(html, "criteria") == []


def test_the_raw_triples_stay_one_click_away(client) -> None:
    html = page(client, "/region/CN-GD?view=triples&lang=en")
    assert 'id="facts"' in html and 'id="series"' not in html
    turtle = client.get("/region/CN-GD", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle" and b"Q15175" in turtle.data


def test_owner_page(client) -> None:
    html = page(client, "/owner/O1?lang=en")
    assert "Shenzhen Example Tech Co." in html and 'href="/region/CN-GD"' in html
    series = rows(html, "series")[0]
    assert len(series) == 5
    patents = {r[0]: r for r in rows(html, "patents")}
    assert patents["CN-T01"][3] == "yes" and "strategic emerging industry" in patents["CN-T01"][4]
    assert patents["CN-T03"][2] == "no"  # lapsed in 2020
    assert 'href="/patent/CN-T01?as_of=2024-12-31"' in html


@pytest.mark.parametrize("query", ["page=0", "page=2", "page=x", "as_of=1900-01-01",
                                   "as_of=nonsense"])
def test_owner_page_bad_parameters(client, query: str) -> None:
    answer = client.get(f"/owner/O1?{query}", headers=HTML)  # the page's parameters
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert "parameter" in answer.get_data(as_text=True)


def test_owner_pages_are_paginated(client, monkeypatch: pytest.MonkeyPatch) -> None:
    from web import summary

    monkeypatch.setattr(summary, "PAGE", 1)
    first = page(client, "/owner/O1?lang=en")
    second = page(client, "/owner/O1?lang=en&page=2")
    assert len(rows(first, "patents")) == len(rows(second, "patents")) == 1
    assert rows(first, "patents") != rows(second, "patents")
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_industry_page(client) -> None:
    html = page(client, "/sei/1.5?lang=en")
    assert "Artificial intelligence" in html or "artificial intelligence" in html.lower()
    regions = rows(html, "regions")
    assert regions and regions[0][0] == "Guangdong" and regions[0][1] == "1"
    assert any(r[1] == "G06N3/*" or r[1].startswith("G06") for r in rows(html, "patterns"))
    assert 'href="/sei/1"' in html  # its broader industry
    scheme = page(client, "/sei/")  # the concept scheme keeps its triples' page
    assert 'id="facts"' in scheme


#: The count an owner's series showed before the timeline: a classification at each year end.
PER_DATE = """SELECT ?owner ?graph (COUNT(DISTINCT ?p) AS ?n) WHERE {
  ?p <https://w3id.org/hvp/def#owner> ?owner .
  GRAPH ?graph { ?c <https://w3id.org/hvp/def#patent> ?p ;
                    <https://w3id.org/hvp/def#highValue> true } } GROUP BY ?owner ?graph"""


@pytest.mark.parametrize("owner", ["O1", "O2", "O3"])
def test_an_owners_series_equals_a_classification_at_each_year_end(client, small_store,
                                                                    owner: str) -> None:
    """The series reads each patent's high-value period (the timeline), not five
    classifications: the same counts as classifying at every year end."""
    from datetime import date

    import pyoxigraph as ox

    from kg import DEFAULT_BASE, ensure_classification
    from tests.conftest import copy_of

    store = copy_of(small_store)
    shown = [int(n) for n in rows(page(client, f"/owner/{owner}?lang=en"), "series")[0]]
    expected = []
    for year in range(2020, 2025):
        graph = ensure_classification(store, date(year, 12, 31))
        found = store.select(PER_DATE, {"owner": ox.NamedNode(f"{DEFAULT_BASE}owner/{owner}"),
                                        "graph": ox.NamedNode(graph)})
        expected.append(int(found[0]["n"].value) if found else 0)
    assert shown == expected
    assert owner == "O3" or any(expected), "the owner holds a high-value patent in some year"


def test_a_summary_page_not_kept_is_queued_on_disk(tmp_path) -> None:
    """On an on-disk store a summary page whose answers are not kept answers at once that it is
    being computed (its queries together, one computation), then reads the kept answers."""
    import time
    from pathlib import Path

    from kg import DEFAULT_BASE, LocalStore, ensure_reference, ingest_files
    from web.app import create_app

    store = LocalStore(tmp_path / "store")  # with generations, as `hvp ingest` makes it
    ensure_reference(store, DEFAULT_BASE)
    ingest_files(store, [Path(__file__).resolve().parent / "data" / "small"], base=DEFAULT_BASE)
    store.close()
    application = create_app({"store": str(tmp_path / "store"), "workers": 0,
                              "page_workers": 0})
    client = application.test_client()
    first = client.get("/region/CN-GD?lang=en", headers=HTML)
    assert first.status_code == 503 and "Refresh" in first.headers
    assert "being computed" in first.get_data(as_text=True)
    deadline = time.monotonic() + 120
    answer = first
    while answer.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = client.get("/region/CN-GD?lang=en", headers=HTML)
    assert answer.status_code == 200
    assert rows(answer.get_data(as_text=True), "owners")[0] == ["Shenzhen Example Tech Co.", "1"]
    # the job's value is given once: asked again, the page reads the answers kept on disk
    kept = client.get("/region/CN-GD?lang=en", headers=HTML)
    assert kept.status_code == 200 and 'id="owners"' in kept.get_data(as_text=True)
    application.extensions["hvp"].close()


def test_an_owners_patent_shows_its_criteria_in_the_profiles_order() -> None:
    """The owner list's criteria come from a GROUP_CONCAT, which has no order (decision 76)."""
    from web.summary import _in_order

    assert _in_order(["award", "", "maintained", "sei"]) == ["sei", "maintained", "award"]
    assert _in_order(["pledge", "overseas"]) == ["overseas", "pledge"]
