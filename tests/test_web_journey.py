"""The analyst's journey of issue 17, by clicking in a real headless Chromium, in English and in
Chinese: from the home page, which provinces exceed 14 high-value patents per 10,000 people in
2024; the patents behind Shaanxi's figure; why one of them is high-value. And the pages of the
drill-down fit a phone in both languages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kg import reference
from kg.demo import generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import ServedApp, open_ready
from tests.test_web_browser import ARGS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(apt-get install chromium; CI installs it)"),
]
LOCALES = {"en": "en-GB", "zh": "zh-CN"}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory):
    """A small calibrated demo (every province) on disk, served as `hvp serve` serves it."""
    home = tmp_path_factory.mktemp("journey")
    generate(home / "demo", patents=3_000, seed=11)
    store = LocalStore(home / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [home / "demo"], base=DEFAULT_BASE)
    store.flush()
    del store
    live = ServedApp({"store": str(home / "store"), "workers": 1, "timeout": 30.0})
    yield live
    live.close()


@pytest.fixture(params=sorted(LOCALES))
def browser_page(request, demo_server):
    """A page of a browser whose language is English or Chinese; no request leaves
    127.0.0.1 and no script error or policy violation happens."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(locale=LOCALES[request.param])
        page = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text)
                if "Content Security Policy" in m.text else None)
        page.set_default_timeout(120_000)
        yield request.param, page
        hosts = {urlsplit(u).hostname for u in requests
                 if not u.startswith(("data:", "blob:", "about:"))}
        assert hosts <= {"127.0.0.1"}, f"requests left 127.0.0.1: {hosts}"
        assert not errors, errors
        context.close()
        browser.close()


def _indicators(url: str) -> list[dict]:
    with open_ready(url + "/indicators.json?years=2024&by=province") as answer:
        return json.load(answer)["rows"]  # type: ignore[no-any-return]


def _fits(page, width: int) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def _in_view(locator, width: int) -> bool:
    """The element is within the screen's width where the page shows it (its table not
    scrolled sideways)."""
    box = locator.bounding_box()
    return bool(box and box["x"] >= 0 and box["x"] + box["width"] <= width)


#: The table cells of Chinese text squeezed to less than 2.5 characters a line (a table wider
#: than a phone lets the browser break Chinese between any two characters).
SQUEEZED = """() => Array.from(document.querySelectorAll('main td, main th')).filter((cell) => {
  if (!/[\u3400-\u9fff]{3,}/.test(cell.innerText)) return false;
  const style = getComputedStyle(cell);
  const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return inner < 2.5 * parseFloat(style.fontSize);
}).map((cell) => cell.innerText.trim().slice(0, 20))"""


#: The words (runs of Latin letters and digits) of the page's text that are split over two
#: lines: none may be (a line may break between words and at a hyphen, never inside a word).
BROKEN_WORDS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector('main'),
                                           NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('textarea, pre, select, details:not([open])')) continue;
    const words = /[A-Za-z0-9]{2,}/g;
    let m;
    while ((m = words.exec(n.data))) {
      const range = document.createRange();
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const lines = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0)
        .map((r) => Math.round(r.bottom)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""


@pytest.mark.parametrize("width", [1280, 375])
def test_which_provinces_exceed_14_and_why_shaanxi_counts(demo_server, browser_page, width: int,
                                                          tmp_path: Path) -> None:
    """The walk by clicking, on a desktop and on a phone: on the phone each figure it reads is
    in view without scrolling sideways (the value per 10,000 next to the province's name) and
    no page is wider than the screen."""
    lang, page = browser_page
    page.set_viewport_size({"width": width, "height": 900 if width > 600 else 812})
    page.goto(demo_server.url + "/")
    assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
    page.click("main a[href='/indicators']")
    page.wait_for_selector("#provinces tbody tr")
    page.select_option("select[name=year]", "2024")
    page.click("form.params button[type=submit]")
    page.wait_for_selector("#provinces tbody tr")
    page.screenshot(path=str(tmp_path / f"dashboard-{lang}-{width}.png"), full_page=True)
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('#provinces tbody tr'))
        .map((tr) => [tr.cells[0].querySelector('.muted').textContent,
                      parseFloat(tr.cells[1].textContent.replace(/,/g, ''))])""")
    above = sorted(code for code, value in shown if value > 14)
    expected = sorted(r["region"] for r in _indicators(demo_server.url) if r["per_10k"] > 14)
    assert above == expected and above  # the demo has provinces above and below 14
    assert len(shown) == 31

    shaanxi = page.locator("#provinces tbody tr", has_text="CN-SN")
    named = shaanxi.locator("td").first.inner_text()
    assert ("陕西" in named) if lang == "zh" else ("Shaanxi" in named)
    for figure in (shaanxi.locator("td.per10k"), shaanxi.locator("a.count")):
        assert _in_view(figure, width), (width, figure.inner_text())
    assert _fits(page, width)
    count = int(shaanxi.locator("a.count").inner_text().replace(",", ""))
    assert count > 0
    shaanxi.locator("a.count").click()
    page.wait_for_selector("#patents tbody tr")
    assert ("陕西" in page.inner_text("h1")) if lang == "zh" else (
        "Shaanxi" in page.inner_text("h1"))
    summary = page.inner_text("#summary")
    assert str(count) in summary.replace(",", "")
    assert page.locator("#patents tbody tr").count() == min(count, 50)
    # why each one is high-value: the criteria it meets, named in the reader's language
    met = page.evaluate("""() => Array.from(document.querySelectorAll('#patents tbody tr'))
        .map((tr) => Array.from(tr.querySelectorAll('.badge')).map((b) => b.textContent))""")
    assert all(met), met
    assert all(re.search("[\u4e00-\u9fff]", name) for names in met for name in names) \
        if lang == "zh" else all(ENGLISH.search(name) for names in met for name in names)
    page.screenshot(path=str(tmp_path / f"patents-{lang}-{width}.png"), full_page=True)
    assert _fits(page, width) and page.evaluate(SQUEEZED) == []

    page.locator("#patents tbody tr a[href^='/patent/']").first.click()
    page.wait_for_selector("#verdict")
    assert "as_of=2024-12-31" in page.url
    assert page.locator("#verdict strong .yes").count() == 1  # high-value: yes
    met = page.locator("#criteria tbody tr", has=page.locator(".yes"))
    assert met.count() >= 1 and met.first.locator("td").nth(2).inner_text().strip()
    # the explanation in the reader's language: labels, reasons, shortfalls and fixed words
    rows = page.locator("#criteria tbody tr")
    why = [rows.nth(i).locator("td").nth(j).inner_text() for i in range(rows.count())
           for j in (0, 2)]
    texts = [page.inner_text("#verdict"), page.inner_text("#criteria thead"), *why]
    if lang == "zh":
        english = [t for t in texts if ENGLISH.search(KEYS.sub("", t))]
        assert not english, english  # no English word: every text is the unit's @zh one
        assert "高价值" in texts[0] and "原因" in texts[1]
    else:
        assert "high-value" in texts[0] and "why" in texts[1]
    # what the page is, and its region, named in the reader's language
    assert page.locator("main > p.muted").first.inner_text().startswith(
        "专利 ·" if lang == "zh" else "Patent ·")
    assert ("陕西" in texts[0]) if lang == "zh" else ("Shaanxi" in texts[0])
    page.screenshot(path=str(tmp_path / f"patent-{lang}-{width}.png"), full_page=True)
    assert _fits(page, width) and page.evaluate(SQUEEZED) == []


#: A word of English (ids and codes are upper-case or hold digits: CN, IPC, G06N3/063).
ENGLISH = re.compile(r"[a-z]{3,}")
#: What may stay as written in any language: the criteria's keys, the profile's name.
KEYS = re.compile(r"\b(sei|overseas|maintained|pledge|award)\b|cnipa-[\w-]+")


PAGES = ["/indicators?year=2024", "/patents?region=CN-SN&year=2024",
         "/patents?year=2024&criterion=sei&sort=-filing", "/queries", "/queries/per10k-by-region",
         "/queries/high-value-share-by-region", "/shacl", "/def", "/dataset", "/region/CN-SN",
         "/patents?region=Shaanxi"]  # the last an error page


def test_pages_fit_a_phone_and_break_no_word(demo_server, browser_page, tmp_path: Path
                                             ) -> None:
    """Each page at 375 and 1280 px (one browser for them all: a launch costs seconds)."""
    lang, page = browser_page
    for number, path in enumerate(PAGES):
        for width, height in ((375, 812), (1280, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(demo_server.url + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(tmp_path / f"{number}-{width}-{lang}.png"), full_page=True)
            assert _fits(page, width), (path, width)
            assert page.evaluate(BROKEN_WORDS) == [], (path, width)
            assert page.evaluate(SQUEEZED) == [], (path, width)


def test_a_profile_report_fits_a_phone(demo_server, browser_page, tmp_path: Path) -> None:
    """/shacl against a profile, filled in and sent by clicking: the verdicts at 375 px."""
    lang, page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(demo_server.url + "/shacl")
    page.fill("textarea[name=data]", SHACL_DATA)
    page.select_option("select[name=profile]", "cnipa-2021")
    page.click("main form button[type=submit]")  # not the header's search box
    page.wait_for_selector("#verdicts")
    page.screenshot(path=str(tmp_path / f"shacl-{lang}.png"), full_page=True)
    summary = page.inner_text("#verdict-summary")
    assert ("2 件发明专利中有 1 件" in summary) if lang == "zh" else (
        "1 of 2 invention patents are high-value." in summary)
    assert _fits(page, 375) and page.evaluate(BROKEN_WORDS) == []


SHACL_DATA = """@prefix hvp: <https://w3id.org/hvp/def#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix patent: <http://data.epo.org/linked-data/def/patent/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/hvp/patent/B1> a hvp:Patent, hvp:InventionPatent ; dcterms:identifier "B1" ;
  patent:filingDate "2020-01-01"^^xsd:date ; hvp:grantDate "2022-01-01"^^xsd:date ;
  hvp:ipcCode "H01M10/052" ; hvp:firstOwner <https://w3id.org/hvp/owner/O1> ;
  hvp:owner <https://w3id.org/hvp/owner/O1> .
<https://w3id.org/hvp/patent/P1> a hvp:Patent, hvp:InventionPatent ; dcterms:identifier "P1" ;
  patent:filingDate "2020-01-01"^^xsd:date ; hvp:grantDate "2022-01-01"^^xsd:date ;
  hvp:ipcCode "F04B1/00" ; hvp:firstOwner <https://w3id.org/hvp/owner/O1> ;
  hvp:owner <https://w3id.org/hvp/owner/O1> .
<https://w3id.org/hvp/owner/O1> a hvp:Owner ; dcterms:identifier "O1" ;
  <http://xmlns.com/foaf/0.1/name> "Owner one" ; hvp:country "CN" .
"""
