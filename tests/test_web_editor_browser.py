"""The SPARQL editor in a real headless Chromium: results that link to this server and show
literals readably, the chart view, permalinks, the model beside the editor and the history, at
desktop and phone width, in English and Chinese (screenshots under each test's tmp dir)."""

from __future__ import annotations

import re

import pytest

from tests.test_web_browser import page, server  # noqa: F401 - fixtures
from tests.test_web_browser import pytestmark as browser_marks

pytestmark = browser_marks

SIZES = {"desktop": (1280, 900), "phone": (375, 800)}
HVP = "PREFIX hvp: <https://w3id.org/hvp/def#>\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
ROWS = HVP + """SELECT ?patent ?title ?label (12345 AS ?count) (1.5 AS ?share) WHERE {
  ?patent a hvp:InventionPatent ; dcterms:title ?title .
  BIND(STRLANG("专利", "zh") AS ?label)
} ORDER BY ?patent LIMIT 5"""
PER_OWNER = HVP + """SELECT ?owner (COUNT(?patent) AS ?patents) WHERE {
  ?patent a hvp:InventionPatent ; hvp:firstOwner ?owner .
} GROUP BY ?owner ORDER BY DESC(?patents) ?owner"""


def _open(pg, url: str, size: str, lang: str) -> None:
    width, height = SIZES[size]
    pg.set_viewport_size({"width": width, "height": height})
    pg.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    pg.wait_for_selector(".yasqe .CodeMirror:visible")


def _run(pg, query: str) -> None:
    pg.evaluate("(q) => window.hvpYasgui.getTab().getYasqe().setValue(q)", query)
    pg.click(".yasqe_queryButton")
    pg.wait_for_selector(".yasr table tbody tr:visible")


def _fits(pg, tmp_path, name: str) -> None:
    pg.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    width = pg.evaluate("window.innerWidth")
    assert pg.evaluate("document.documentElement.scrollWidth") <= width, name


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_editor_page_in_both_languages_fits(server, page, tmp_path, size, lang):  # noqa: F811
    _open(page, server.url + "/editor", size, lang)
    assert page.inner_text("h1") == {"en": "SPARQL editor", "zh": "SPARQL 编辑器"}[lang]
    assert page.inner_text("#permalink") == {"en": "Permalink", "zh": "永久链接"}[lang]
    assert page.locator("aside.model button[data-prefix='hvp']").count() == 1
    _fits(page, tmp_path, f"editor-{size}-{lang}")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_results_link_here_and_show_literals_readably(server, page, tmp_path, size,  # noqa: F811
                                                      lang):
    _open(page, server.url + "/editor", size, lang)
    _run(page, ROWS)
    first = page.locator(".yasr table tbody tr").first
    link = first.locator("a.iri").first
    assert link.get_attribute("href") == "/patent/CN-T01"  # this server, not w3id.org
    assert link.inner_text() == "patent/CN-T01"
    assert link.get_attribute("title") == "https://w3id.org/hvp/patent/CN-T01"
    cells = first.locator("td").all_inner_texts()
    assert "Neural network accelerator" in cells[2]
    assert re.fullmatch(r"专利\s*zh", cells[3].strip()), cells  # the language as a badge
    assert re.fullmatch(r"12,345\s*xsd:integer", cells[4].strip()), cells  # grouped by locale
    assert re.fullmatch(r"1\.5\s*xsd:decimal", cells[5].strip()), cells
    views = page.locator(".yasr_btnGroup button").evaluate_all("bs => bs.map(b => b.title)")
    assert all(v in views for v in {"en": ["Table", "Chart", "Response"],
                                     "zh": ["表格", "图表", "原始响应"]}[lang])
    badge = first.locator(".badge.type").first
    assert badge.get_attribute("title") == "http://www.w3.org/2001/XMLSchema#integer"
    _fits(page, tmp_path, f"results-{size}-{lang}")
    link.click()
    page.wait_for_url("**/patent/CN-T01")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_chart_view_draws_a_column_against_another(server, page, tmp_path, size,  # noqa: F811
                                                   lang):
    _open(page, server.url + "/editor", size, lang)
    _run(page, PER_OWNER)
    rows = page.locator(".yasr table tbody tr").count()
    page.click(".yasr .select_chart")
    page.wait_for_function("() => window.Chart && Chart.getChart('results-chart')")
    chart = page.evaluate("""() => { const c = Chart.getChart('results-chart');
        return {type: c.config.type, labels: c.data.labels, data: c.data.datasets[0].data}; }""")
    assert chart["type"] == "bar" and len(chart["labels"]) == rows
    assert chart["labels"][0].startswith("owner/") and all(
        isinstance(n, (int, float)) and n > 0 for n in chart["data"])
    assert page.input_value("#chart-labels") == "owner"
    assert page.input_value("#chart-values") == "patents"
    label = {"en": "Chart type", "zh": "图表类型"}[lang]
    assert label in page.inner_text(".hvp-chart-controls")
    page.select_option("#chart-type", "pie")
    page.wait_for_function("() => Chart.getChart('results-chart').config.type === 'pie'")
    painted = page.evaluate("""() => {
        const c = document.getElementById('results-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n; }""")
    assert painted > 500
    _fits(page, tmp_path, f"chart-{size}-{lang}")


def test_numbers_sort_as_numbers(server, page):  # noqa: F811
    _open(page, server.url + "/editor", "desktop", "en")
    _run(page, "SELECT ?n ?s WHERE { VALUES (?n ?s) { (9 'a') (10 'b') (100 'c') (2 'd') } }")
    header = page.locator(".yasr table thead th").nth(1)
    sorted_ = "(o) => document.querySelectorAll('.yasr table thead th')[1]" \
        ".getAttribute('aria-sort') === o"
    header.click()
    page.wait_for_function(sorted_, arg="ascending")
    shown = page.locator(".yasr table tbody tr td:nth-child(2) .literal").all_inner_texts()
    assert shown == ["2", "9", "10", "100"]
    page.wait_for_timeout(600)  # not a double click
    header.click()
    page.wait_for_function(sorted_, arg="descending")
    assert page.locator(".yasr table tbody tr td:nth-child(2) .literal").all_inner_texts() == [
        "100", "10", "9", "2"]


def test_only_web_iris_become_links(server, page):  # noqa: F811
    _open(page, server.url + "/editor", "desktop", "en")
    _run(page, "SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <urn:x:y> "
               "<http://example.org/a> } }")
    links = page.locator(".yasr table tbody a").evaluate_all("as => as.map(a => a.href)")
    assert links == ["http://example.org/a"]
    assert "javascript:alert(1)" in page.inner_text(".yasr table")


def test_chart_view_says_when_no_column_holds_numbers(server, page):  # noqa: F811
    _open(page, server.url + "/editor", "desktop", "en")
    _run(page, HVP + "SELECT ?patent WHERE { ?patent a hvp:InventionPatent } LIMIT 3")
    page.click(".yasr .select_chart")
    page.wait_for_selector(".hvp-chart .hint")
    assert "holds numbers" in page.inner_text(".hvp-chart")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_a_permalink_opens_the_editor_and_runs_its_query(server, page, tmp_path, size,  # noqa: F811
                                                         lang):
    query = HVP + f"# {size} {lang}\nSELECT ?patent WHERE {{ ?patent a hvp:InventionPatent }}"
    _open(page, server.url + "/editor", size, lang)
    page.evaluate("(q) => window.hvpYasgui.getTab().getYasqe().setValue(q)", query)
    page.click("#permalink")
    page.wait_for_selector("#permalink-url:not([hidden])")
    url = page.input_value("#permalink-url")
    assert re.fullmatch(re.escape(server.url) + r"/q/[A-Za-z0-9_-]{11}", url), url
    _fits(page, tmp_path, f"permalink-made-{size}-{lang}")
    page.context.clear_cookies()
    page.evaluate("() => window.localStorage.clear()")  # another browser, as it were
    _open(page, url, size, lang)
    page.wait_for_selector(".yasr table tbody tr td a:visible")
    assert page.evaluate("window.hvpYasgui.getTab().getYasqe().getValue()") == query
    assert "patent/CN-T01" in page.inner_text(".yasr table")
    _fits(page, tmp_path, f"permalink-opened-{size}-{lang}")
    tabs = page.locator(".tabsList .tab").count()
    assert tabs == 2  # the one YASGUI starts with, and the permalink's
    _open(page, url, size, lang)  # again: the same tab, not one more
    assert page.locator(".tabsList .tab").count() == tabs
    assert page.evaluate("window.hvpYasgui.getTab().getYasqe().getValue()") == query


def test_yasgui_share_pop_up_shortens_to_a_permalink(server, page):  # noqa: F811
    _open(page, server.url + "/editor", "desktop", "en")
    query = "ASK { ?s ?p ?o } # shortened"
    page.evaluate("(q) => window.hvpYasgui.getTab().getYasqe().setValue(q)", query)
    page.click(".yasqe_share")
    page.click(".yasqe_sharePopup button.shorten")
    page.wait_for_function("() => document.querySelector('.yasqe_sharePopup input')"
                           ".value.includes('/q/')")
    url = page.input_value(".yasqe_sharePopup input")
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.read().decode() == query


def test_the_model_inserts_and_the_history_keeps_queries(server, page):  # noqa: F811
    _open(page, server.url + "/editor", "desktop", "en")
    value = "window.hvpYasgui.getTab().getYasqe().getValue()"
    page.evaluate("() => window.hvpYasgui.getTab().getYasqe().setValue('SELECT * { ?s ?p ?o }')")
    page.click("aside.model button[data-prefix='foaf']")
    assert page.evaluate(value).startswith("PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n")
    page.click("aside.model summary:has-text('Classes')")
    page.click("aside.model button[data-text='hvp:InventionPatent']")
    text = page.evaluate(value)
    assert "hvp:InventionPatent" in text and "PREFIX hvp: <https://w3id.org/hvp/def#>" in text
    page.click("aside.model summary:has-text('History')")
    assert "kept in this browser" in page.inner_text("#history")
    _run(page, HVP + "SELECT ?patent WHERE { ?patent a hvp:InventionPatent } LIMIT 2")
    _run(page, HVP + "SELECT ?owner WHERE { ?owner a hvp:Owner } LIMIT 2")
    entries = page.locator("#history ol li button").all_inner_texts()
    assert entries[0].startswith("SELECT ?owner") and entries[1].startswith("SELECT ?patent")
    page.reload()
    page.wait_for_selector(".yasqe .CodeMirror:visible")
    page.click("aside.model summary:has-text('History')")
    page.click("#history ol li button >> nth=1")
    assert "SELECT ?patent" in page.evaluate(value)
    page.click("#history-clear")
    assert page.locator("#history ol li").count() == 0


#: YASGUI's own words (buttons, titles, the results' summary) by language.
YASGUI_WORDS = {
    "en": {"run": "Run query", "share": "Share query", "filter": "Filter query results",
           "tab": "Query", "summary": r"5 results in [\d.]+ seconds?", "view": "Shows Table view"},
    "zh": {"run": "运行查询", "share": "分享查询", "filter": "筛选查询结果", "tab": "查询",
           "summary": r"5 条结果，用时 [\d.]+ 秒", "view": "显示“表格”视图"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
def test_yasguis_own_words_in_the_pages_language(server, page, tmp_path, size,  # noqa: F811
                                                  lang):
    words = YASGUI_WORDS[lang]
    _open(page, server.url + "/editor", size, lang)
    _run(page, ROWS)
    assert page.get_attribute(".yasqe_queryButton", "title") == words["run"]
    assert page.get_attribute(".yasqe_queryButton", "aria-label") == words["run"]
    assert page.get_attribute(".yasqe_share", "title") == words["share"]
    assert page.get_attribute(".tableFilter", "placeholder") == words["filter"]
    tabs = page.locator(".tabsList .tab").all_inner_texts()
    assert any(t.strip().startswith(words["tab"]) for t in tabs), tabs
    summary = page.locator(".yasr_response_chip").inner_text().strip()
    assert re.fullmatch(words["summary"], summary), summary
    views = page.locator(".yasr_btnGroup button").evaluate_all(
        "bs => bs.map(b => b.getAttribute('aria-label'))")
    assert words["view"] in views, views
    # the results themselves are data: left as they are
    assert "Neural network accelerator" in page.locator(".yasr table tbody").inner_text()
    if lang == "zh":
        english = page.evaluate("""() => [...document.querySelectorAll(
            '#yasgui button, #yasgui [title], #yasgui [placeholder], .tabsList .tab')]
            .filter(e => !e.closest('table.dataTable tbody'))  // data
            .flatMap(e => [e.innerText, e.title, e.placeholder || ''])
            .filter(t => /[A-Za-z]{2,} [A-Za-z]{2,}/.test(t || ''))""")
        assert not english, english
    _fits(page, tmp_path, f"yasgui-words-{size}-{lang}")
