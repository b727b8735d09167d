"""``/patents``: the patents behind a count, as a page, CSV and JSON; the dashboard's counts link
to it and say as many as it lists."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from typing import Any

import pytest

from tests.conftest import demo_in_memory
from web.app import create_app


def _links(html: str, cls: str = "count") -> list[tuple[str, int]]:
    return [(unescape(href), int(n.replace(",", ""))) for href, n in re.findall(
        rf'<a class="{cls}" href="([^"]+)">([\d,]+)</a>', html)]


def test_every_count_of_the_dashboard_links_to_as_many_patents(client) -> None:
    page = client.get("/indicators?years=2024&year=2024")
    assert page.status_code == 200
    links = _links(page.text)
    assert len(links) == 32 and any(n > 0 for _, n in links)  # 31 provinces and the nation
    for href, n in links:
        listed = client.get(href, headers={"Accept": "application/json"})
        assert listed.status_code == 200 and listed.json["total"] == n, href
        assert len(listed.json["rows"]) == n


def test_the_page_links_each_patent_to_its_explanation(client) -> None:
    page = client.get("/patents?region=CN-GD&year=2024")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "High-value invention patents of Guangdong at 2024-12-31" in page.text
    assert 'href="/patent/CN-T01?as_of=2024-12-31"' in page.text
    assert "strategic emerging industry" in page.text  # the criterion's label from the data
    explained = client.get("/patent/CN-T01?as_of=2024-12-31")
    assert explained.status_code == 200


def test_the_page_in_chinese_names_things_from_the_data(client) -> None:
    page = client.get("/patents?region=CN-GD&year=2024&lang=zh")
    assert "广东省" in page.text and "战略性新兴产业的发明专利" in page.text
    assert "High-value" not in page.text


def test_csv_and_json_downloads(client) -> None:
    got = client.get("/patents?year=2024&format=csv")
    assert got.mimetype == "text/csv" and "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text)))
    as_json = client.get("/patents?year=2024", headers={"Accept": "application/json"}).json
    assert [r["patent_id"] for r in rows] == [r["patent_id"] for r in as_json["rows"]]
    t01 = next(r for r in rows if r["patent_id"] == "CN-T01")
    assert t01["region_label"] == "Guangdong" and t01["criteria"] == "sei;overseas"
    assert t01["explanation"].endswith("/patent/CN-T01?as_of=2024-12-31")
    assert as_json["total"] == len(rows) and as_json["region"] == "CN"


def test_sorted_paged_and_filtered(client) -> None:
    every = client.get("/patents?year=2024&format=json").json
    by_title = client.get("/patents?year=2024&format=json&sort=-title").json
    titles = [r["title"] for r in by_title["rows"]]
    assert titles == sorted(titles, reverse=True) and len(titles) == every["total"]
    sei = client.get("/patents?year=2024&format=json&criterion=sei").json
    assert 0 < sei["total"] < every["total"]
    assert all("sei" in r["criteria"] for r in sei["rows"])
    rest = client.get("/patents?year=2024&format=json&high_value=false").json
    valid = client.get("/patents?year=2024&format=json&high_value=any").json
    assert valid["total"] == every["total"] + rest["total"]
    page = client.get("/patents?year=2024&sort=title")
    assert 'aria-sort="ascending"' in page.text and "sort=-title" in page.text


def test_pages_of_fifty(client, monkeypatch) -> None:
    from web import listing

    monkeypatch.setattr(listing, "PAGE", 1)
    first = client.get("/patents?year=2024")
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/patents?year=2024&page=2")
    assert 'rel="prev"' in second.text
    ids = re.findall(r'href="/patent/([^?"]+)\?as_of', first.text + second.text)
    assert len(ids) == 2 and ids[0] < ids[1]


@pytest.mark.parametrize(("query", "status"), [
    ("region=Shaanxi", 400), ("year=20x4", 400), ("as_of=2024-02-30", 400),
    ("high_value=maybe", 400), ("criterion=fame", 400), ("sort=colour", 400), ("page=0", 400),
    ("format=xlsx", 406), ("met=two", 400), ("met=0", 400), ("criteria=sei;fame", 400),
    ("domestic=maybe", 400), ("owner=a/b", 400)])
def test_bad_parameters_are_problems(client, query: str, status: int) -> None:
    got = client.get(f"/patents?{query}", headers={"Accept": "application/json"})
    assert got.status_code == status and got.mimetype == "application/problem+json"
    assert got.json["status"] == status


DRILLED = ["per10k-by-region?year=2024", "high-value-by-criterion", "high-value-share-by-region",
           "region-series?region=CN-GD", "province-series?from=2024&to=2024",
           "sei-by-industry", "criteria-count", "criteria-combinations", "top-owners"]


@pytest.mark.parametrize("query", DRILLED)
def test_every_count_of_a_canned_query_links_to_as_many_patents(client, query: str) -> None:
    page = client.get(f"/queries/{query}")
    assert page.status_code == 200
    links = _links(page.text)
    assert links and any(n > 0 for _, n in links)
    for href, n in links:
        assert client.get(href, headers={"Accept": "application/json"}).json["total"] == n, href


def test_a_list_is_found_once_for_its_pages_and_download(client, monkeypatch, tmp_path) -> None:
    from web import listing

    # counted in a file: an in-memory store's computation runs in a forked child (web.forked)
    calls = tmp_path / "calls"
    calls.touch()
    real = listing.find_patents

    def counted(*a: Any, **k: Any) -> Any:
        with calls.open("a") as out:
            out.write("call\n")
        return real(*a, **k)

    monkeypatch.setattr(listing, "find_patents", counted)
    for query in ("year=2024", "year=2024&page=1&lang=zh", "year=2024&format=csv",
                  "year=2024&sort=title"):
        assert client.get(f"/patents?{query}").status_code == 200
    assert len(calls.read_text().splitlines()) == 2  # the second sort is another list


def test_counts_are_written_for_the_language(app) -> None:
    """``ngettext`` in a template takes the number written out (Jinja fills the placeholders
    once: the callable it is given returns the bare translation)."""
    template = app.jinja_env.from_string(
        '{{ ngettext("%(num)s patent", "%(num)s patents", n, num=n | number) }} '
        '{{ x | number(2) }}')
    with app.test_request_context("/?lang=en"):
        assert template.render(n=12345, x=0.5) == "12,345 patents 0.50"
    with app.test_request_context("/?lang=zh"):
        assert template.render(n=1, x=14) == "1 件专利 14.00"


def test_an_industry_lists_the_patents_whose_sei_evidence_is_in_it(client) -> None:
    sei = client.get("/patents?year=2024&criterion=sei&format=json").json
    one = client.get("/patents?year=2024&industry=1&format=json").json
    five = client.get("/patents?year=2024&industry=5&format=json").json
    assert one["total"] == five["total"] == 1 and one["rows"] != five["rows"]
    assert {r["patent_id"] for r in one["rows"] + five["rows"]} <= {
        r["patent_id"] for r in sei["rows"]}
    page = client.get("/patents?year=2024&industry=1&lang=zh").text
    assert "新一代信息技术产业" in page
    bad = client.get("/patents?industry=ai&lang=en", headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "industry must be" in bad.json["detail"]


def test_a_combination_a_number_and_an_owner_list_their_patents(client) -> None:
    """The three lists the queries' counts link to, on tests/data/small at 2024-12-31."""
    def ids(query: str) -> set[str]:
        got = client.get(f"/patents?{query}", headers={"Accept": "application/json"}).json
        return {r["patent_id"] for r in got["rows"]}

    every = client.get("/patents?format=json").json["rows"]
    met = {r["patent_id"]: set(r["criteria"]) for r in every}
    assert ids("met=1") == {p for p, c in met.items() if len(c) == 1}
    assert ids("met=2%2B") == {p for p, c in met.items() if len(c) >= 2} != set()
    assert ids("criteria=sei;maintained") == ids("criteria=maintained;sei") == {
        p for p, c in met.items() if c == {"sei", "maintained"}}
    owned = ids("owner=O1&domestic=any")
    assert owned and owned >= ids("owner=O1")
    page = client.get("/patents?criteria=maintained;sei&lang=zh").text
    assert "恰好满足" in page


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory):
    """An app over a small calibrated demo (every province, every criterion)."""
    store = demo_in_memory(tmp_path_factory.mktemp("demo") / "demo", 2_000, seed=5)
    application = create_app({"store": store})
    yield application.test_client()
    application.extensions["hvp"].close()


@pytest.mark.slow
@pytest.mark.parametrize("query", ["criteria-count", "criteria-combinations", "top-owners"])
def test_on_demo_data_each_count_lists_as_many_patents(demo_client, query: str) -> None:
    page = demo_client.get(f"/queries/{query}")
    links = _links(page.text)
    rows = page.text.count("<tr") - 1
    assert len(links) == rows > 2  # every row's count links to its list
    for href, n in links:
        assert demo_client.get(href, headers={"Accept": "application/json"}).json["total"] \
            == n, href


@pytest.mark.parametrize("path", ["/patents", "/queries/criteria-count"])
@pytest.mark.parametrize(("args", "accept", "expected"), [
    ("", None, "text/html"), ("", "text/html,*/*;q=0.8", "text/html"),
    ("", "text/csv", "text/csv"), ("", "application/json;q=0.9, text/csv;q=0.5", "json"),
    ("?format=csv", "application/json", "text/csv"), ("?format=html", "text/csv", "text/html"),
    ("", "image/png", 406), ("?format=xlsx", None, 406)])
def test_a_list_and_a_canned_query_negotiate_alike(client, path: str, args: str,
                                                   accept: str | None, expected) -> None:
    """One negotiation (web.negotiate.download) for every page with downloads."""
    got = client.get(path + args, headers={"Accept": accept} if accept else {})
    if expected == 406:
        assert got.status_code == 406 and got.mimetype == "application/problem+json"
        assert "text/csv" in got.json["available"] or "csv" in got.json["available"]
    else:
        assert got.status_code == 200 and expected in got.mimetype


def test_a_download_is_streamed(client) -> None:
    """The whole list goes out row by row (its first bytes before the last row is read), and
    the streamed JSON is one object with every row."""
    got = client.get("/patents?year=2024&format=csv", buffered=False)
    assert got.is_streamed and got.status_code == 200
    first = next(iter(got.response))
    assert (first.decode() if isinstance(first, bytes) else first).startswith("patent_id,title")
    got.close()
    as_json = client.get("/patents?year=2024&format=json", buffered=False)
    assert as_json.is_streamed
    body = json.loads(as_json.get_data(as_text=True))
    assert body["total"] == len(body["rows"]) > 0 and body["rows"][0]["patent_id"]


def test_the_download_links_each_patent_as_its_route_writes_it(client) -> None:
    """The explanation URL built once per list, each id put in by the route's converter: the
    URL url_for gives, for every row (ids with a space, a slash or Chinese included)."""
    from datetime import date

    from flask import url_for

    from web.listing import _MARK, _cells

    rows = list(csv.DictReader(io.StringIO(client.get("/patents?year=2024&format=csv").text)))
    assert rows
    odd = ["CN 12/3", "专利-1", "A%B?C"]
    with client.application.test_request_context("/patents"):
        day = date(2024, 12, 31)
        fake = [type("Row", (), {"patent_id": i, "title": "", "owner_name": "", "region": "",
                                 "filing_date": "", "criteria": ()})() for i in odd]
        written = [cells[-1] for cells in list(_cells(day, fake))[1:]]
        expected = ["http://localhost" + url_for("resources.resource", kind="patent", rest=i,
                                                 as_of="2024-12-31") for i in odd]
    assert written == expected and _MARK not in "".join(written)


def test_a_download_is_kept_beside_an_on_disk_store_and_read_back_for_any_host(
        disk_store_dir, monkeypatch) -> None:
    """A whole list's CSV or JSON is kept beside the store for the list, format and language
    (a province at a million patents is tens of thousands of rows): asked again, from another
    host name or in another language, it is the same text, its rows not written again, each
    explanation URL on the host asked."""
    import time

    from kg import generations
    from web import listing

    application = create_app({"store": str(disk_store_dir), "workers": 0, "page_workers": 0})
    client = application.test_client()
    try:
        def got(path: str, **kwargs) -> str:
            deadline = time.monotonic() + 120
            while True:
                answer = client.get(path, **kwargs)
                if answer.status_code != 503 or time.monotonic() > deadline:
                    assert answer.status_code == 200, answer.text
                    return answer.text
                time.sleep(0.2)

        paths = ["/patents?year=2024&high_value=any&format=csv&lang=en",
                 "/patents?year=2024&high_value=any&format=json&lang=en",
                 "/patents?year=2024&high_value=any&format=csv&lang=zh"]
        first = [got(path) for path in paths]
        assert "http://localhost/patent/CN-T01?as_of=2024-12-31" in first[0]
        assert "Guangdong" in first[0] and "广东省" in first[2]
        folder = generations.answers(disk_store_dir)
        assert folder is not None and len(list(folder.glob("download-*"))) == 3

        def written(*args, **kwargs):
            raise AssertionError("a kept download written again")

        monkeypatch.setattr(listing, "_cells", written)
        assert [got(path) for path in paths] == first
        elsewhere = got(paths[0], headers={"Host": "hvp.example.org:8080"})
        assert elsewhere == first[0].replace("http://localhost/", "http://hvp.example.org:8080/")
        as_json = json.loads(got(paths[1], base_url="https://hvp.example.org"))
        assert as_json["rows"][0]["explanation"].startswith("https://hvp.example.org/patent/")
        assert len(as_json["rows"]) == as_json["total"] == len(first[0].splitlines()) - 1
    finally:
        application.extensions["hvp"].close()


def test_a_download_not_kept_yet_takes_a_computing_slot(disk_store_dir) -> None:
    """A whole list's first download looks each row up as it streams (minutes for the nation's
    list at a million patents) in a request thread: it takes one of the ``computing`` slots
    until its last byte went or its client went away; one more such download answers 503
    with Retry-After at once, so that such downloads cannot hold every request thread. A
    download kept beside the store (read back) takes none, nor do pages."""
    import time

    application = create_app({"store": str(disk_store_dir), "workers": 0, "page_workers": 0,
                              "computing": 1})
    client = application.test_client()
    csv_en = "/patents?year=2024&high_value=any&format=csv&lang=en"
    json_en = "/patents?year=2024&high_value=any&format=json&lang=en"
    try:
        deadline = time.monotonic() + 120  # the classification at this date: a queued job
        while client.get("/patents?year=2024&high_value=any").status_code == 503:
            assert time.monotonic() < deadline, "the classification still computed"
            time.sleep(0.2)
        first = client.get(csv_en, buffered=False)
        assert first.status_code == 200
        assert next(iter(first.response))  # streaming, its slot held
        refused = client.get(json_en)
        assert refused.status_code == 503, refused.text[:300]
        assert refused.headers["Retry-After"] and "computations" in refused.get_json()["detail"]
        assert client.get("/patents?year=2024&high_value=any").status_code == 200
        first.close()  # the client went away: the slot is free
        whole = client.get(json_en)
        assert whole.status_code == 200 and json.loads(whole.text)["rows"]
        # (one language throughout: the test client runs a request held open and the next in
        # one thread, where the next shares the first's application context)
        held = client.get(csv_en, buffered=False)  # not kept: its first client went away
        assert held.status_code == 200 and next(iter(held.response))
        again = client.get(json_en)  # kept when read to its end: read back, no slot
        assert again.status_code == 200 and again.text == whole.text
        held.close()
        assert client.get(csv_en).status_code == 200
    finally:
        application.extensions["hvp"].close()
