"""A real headless Chromium: the editor runs a canned query, a patent page, the dashboard; and no
request leaves 127.0.0.1."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import ServedApp

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
QUERIES = Path(__file__).resolve().parent / "data" / "queries"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(apt-get install chromium; CI installs it)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory, small_store_dir):
    """The app served by granian, as `hvp serve` runs it."""
    target = tmp_path_factory.mktemp("browser") / "store"
    shutil.copytree(small_store_dir, target)
    live = ServedApp({"store": str(target), "workers": 2, "timeout": 10.0,
                      "queries_dir": str(QUERIES)})
    yield live
    live.close()


@pytest.fixture()
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.requests.append(r.url))  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
        # a Content-Security-Policy violation is reported on the console (wait_for_function
        # takes a function's text: a bare expression is run with eval, which the policy refuses)
        page.on("console", lambda m: page.errors.append(m.text)  # type: ignore[attr-defined]
                if "Content Security Policy" in m.text else None)
        yield page
        hosts = {urlsplit(u).hostname for u in page.requests  # type: ignore[attr-defined]
                 if not u.startswith(("data:", "blob:", "about:"))}
        assert hosts <= {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
        assert not page.errors, page.errors  # type: ignore[attr-defined]
        context.close()
        browser.close()


def test_pages_carry_a_content_security_policy(server, page):
    """The headers are there (and the page fixture fails on any violation they cause)."""
    answer = page.goto(server.url + "/editor")
    assert answer is not None
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    page.wait_for_selector(".yasqe .CodeMirror")


def test_editor_runs_a_canned_query(server, page):
    page.goto(server.url + "/editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    completers = page.evaluate("window.hvpYasgui.getTab().getYasqe().config.autocompleters")
    assert "class" not in completers and "property" not in completers
    page.select_option("#examples", "granted-in")
    assert "VALUES (?year)" in page.evaluate("window.hvpYasgui.getTab().getYasqe().getValue()")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table tbody tr")
    table = page.inner_text(".yasr table")
    assert "CN-T01" in table and "Neural network accelerator" in table


def test_editor_example_on_a_derived_graph_finds_what_its_canned_query_finds(
        tmp_path, small_store_dir, page):
    """An example that reads a classification has the app compute it first (a fresh store
    holds none), sends the dataset (the store's default graph and the derived graph) with the
    query, and keeps it when the page is loaded again."""
    import json

    target = tmp_path / "store"
    shutil.copytree(small_store_dir, target)
    live = ServedApp({"store": str(target), "workers": 2, "timeout": 10.0,
                      "queries_dir": str(QUERIES)})
    try:
        page.goto(live.url + "/editor")
        page.wait_for_selector(".yasqe .CodeMirror")
        page.select_option("#examples", "high-value-at")
        page.wait_for_function("() => window.hvpYasgui.getTab().getEndpoint()"
                               ".includes('classification')", timeout=60_000)
        counts = []
        for _ in range(2):  # the second time after a reload
            page.click(".yasqe_queryButton")
            page.wait_for_selector(".yasr table tbody tr")
            assert "No data available" not in page.inner_text(".yasr table")
            counts.append(page.locator(".yasr table tbody tr").count())
            page.reload()
            page.wait_for_selector(".yasqe .CodeMirror")
        expected = json.loads(_computed(live.url + "/queries/high-value-at?format=json"))
        assert counts == [len(expected["rows"])] * 2 and expected["rows"]
    finally:
        live.close()


def _computed(url: str) -> bytes:
    """The answer once its computation is done (queued: 503 with Refresh meanwhile)."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return response.read()  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or not exc.headers.get("Refresh") \
                    or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.parametrize("path", ["/editor", "/queries/granted-in?year=2018", "/region/CN-GD",
                                  "/patent/CN-T01", "/indicators?year=2024", "/shacl",
                                  "/population/CN-GD/2024"])  # a heading that is an address
def test_pages_fit_a_phone(server, page, path):
    """At 390 px the page itself does not scroll sideways (wide tables scroll in their box)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_editor_shows_a_syntax_error_whole(server, page):
    page.goto(server.url + "/editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate("window.hvpYasgui.getTab().getYasqe().setValue('SELECT garbage WHERE { }')")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr .errorResult")
    shown = page.inner_text(".yasr .errorResult")
    assert "invalid SPARQL" in shown and '"line": 1' in shown and '"column"' in shown
    # the problem document is indented: no line runs out of the box
    assert page.evaluate("""() => { const e = document.querySelector('.yasr .errorResult pre');
        return e.scrollWidth <= e.clientWidth; }""")


def test_editor_permalink_from_url(server, page):
    from urllib.parse import quote

    query = "SELECT ?s WHERE { ?s a <https://w3id.org/hvp/def#Owner> }"
    page.goto(server.url + "/sparql?query=" + quote(query))
    page.wait_for_selector(".yasqe .CodeMirror")
    assert "def#Owner" in page.evaluate("window.hvpYasgui.getTab().getYasqe().getValue()")


def _heading(page, text: str) -> None:
    """Wait for the page's h1 to read ``text``: a page whose computation is queued says "Being
    computed" first and reloads itself (its Refresh header), as a browser does."""
    page.wait_for_function("t => (document.querySelector('h1') || {}).innerText?.includes(t)",
                           arg=text, timeout=180_000)


def test_patent_page(server, page):
    page.goto(server.url + "/patent/CN-T01")
    _heading(page, "Neural network accelerator")
    assert page.inner_text("h1") == "Neural network accelerator"
    page.click("a[href='/owner/O1']")
    page.wait_for_url("**/owner/O1")
    _heading(page, "Shenzhen Example Tech Co.")


def test_dashboard_draws_charts(server, page):
    page.goto(server.url + "/indicators?years=2024")
    page.wait_for_selector("#provinces-chart")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length >= 2")
    painted = page.evaluate("""() => {
        const c = document.getElementById('national-chart');
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return n; }""")
    assert painted > 500


def test_dashboard_names_provinces_and_sorts_as_asked(server, page):
    page.goto(server.url + "/indicators?years=2024")
    page.wait_for_selector("#provinces tbody tr")
    names = page.locator("#provinces tbody tr td:first-child a").all_inner_texts()
    assert "Guangdong" in names  # the region's name, its code beside it
    headings = page.locator("#provinces thead th")
    region, per10k = headings.nth(0), headings.nth(1)  # the indicator beside the name
    assert per10k.get_attribute("aria-sort") == "descending"  # as the server sorted it
    region.click()  # names A to Z first
    assert region.get_attribute("aria-sort") == "ascending" and per10k.get_attribute(
        "aria-sort") is None
    shown = page.locator("#provinces tbody tr td:first-child a").all_inner_texts()
    assert shown == sorted(names)
    region.press("Enter")  # the keyboard too; again: Z to A
    assert region.get_attribute("aria-sort") == "descending"
    assert page.locator("#provinces tbody tr td:first-child a").all_inner_texts() == sorted(
        names, reverse=True)
    options = page.locator("#province-select option").all_inner_texts()
    assert "Guangdong (CN-GD)" in options


def test_province_series_puts_the_nation_beside_the_same_years(tmp_path, page):
    """A province lacking a year the nation has: each national point is the nation's value
    for the province's year (it was the nation's series by position, one year late)."""
    import json
    import urllib.request

    from kg import reference
    from kg.ingest import ingest
    from kg.iri import DEFAULT_BASE
    from kg.store import LocalStore

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parent / "data" / "small", data)
    (data / "population.csv").write_text(  # the nation in 2019 too, no province then
        "region,year,population\nCN,2019,1400050000\nCN,2024,1408280000\nCN-GD,2024,127812345\n")
    store = LocalStore(tmp_path / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [data], base=DEFAULT_BASE)
    store.flush()
    del store
    live = ServedApp({"store": str(tmp_path / "store"), "workers": 1})
    try:
        page.goto(live.url + "/indicators?years=2019-2024")
        page.wait_for_function("() => window.Chart && Chart.getChart('province-chart')")
        page.select_option("#province-select", "CN-GD")
        chart = page.evaluate("""() => { const c = Chart.getChart('province-chart');
            return {labels: c.data.labels, national: c.data.datasets[1].data}; }""")
        with urllib.request.urlopen(live.url + "/indicators.json?years=2019-2024&by=nation",
                                    timeout=60) as response:
            nation = {r["year"]: r["per_10k"] for r in json.load(response)["rows"]}
        assert 2019 in nation and 2019 not in chart["labels"] and chart["labels"]
        assert chart["national"] == [nation[year] for year in chart["labels"]]
    finally:
        live.close()


UNNAMED = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter((e) => e.type !== 'hidden' && !(e.closest('label') || e.getAttribute('aria-label')
    || e.getAttribute('aria-labelledby') || e.title
    || (e.id && document.querySelector(`label[for="${e.id}"]`))
    || (e.tagName === 'BUTTON' && e.textContent.trim())))
  .map((e) => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("path", ["/editor", "/queries/granted-in", "/shacl",
                                  "/indicators?years=2024", "/patent/CN-T01"])
def test_every_control_has_a_name(server, page, path):
    """Screen readers name every input, select and button (YASGUI's own ones included)."""
    page.goto(server.url + path)
    page.wait_for_load_state("networkidle")
    if path == "/editor":
        page.wait_for_selector(".yasqe .CodeMirror")
    assert page.evaluate(UNNAMED) == []


def test_editor_buttons_leave_the_query_readable_on_a_phone(server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/editor")
    page.wait_for_selector(".yasqe .CodeMirror")
    overlap = page.evaluate("""() => {
        const b = document.querySelector('.yasqe_buttons').getBoundingClientRect();
        const l = document.querySelector('.yasqe .CodeMirror-code .CodeMirror-line')
          .getBoundingClientRect();
        return b.left < l.right && l.left < b.right && b.top < l.bottom && l.top < b.bottom; }""")
    assert overlap is False
