"""The analyst's journey of issue 17, by clicking in a real headless Chromium, in English and in
Chinese: from the home page, which provinces exceed 14 high-value patents per 10,000 people in
2024; the patents behind Shaanxi's figure; why one of them is high-value. And the pages of the
drill-down fit a phone in both languages."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kg import reference
from kg.demo import generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import ServedApp
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
    with urllib.request.urlopen(url + "/indicators.json?years=2024&by=province",
                                timeout=300) as answer:
        return json.load(answer)["rows"]  # type: ignore[no-any-return]


def _fits(page, width: int) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)


def test_which_provinces_exceed_14_and_why_shaanxi_counts(demo_server, browser_page,
                                                          tmp_path: Path) -> None:
    lang, page = browser_page
    page.goto(demo_server.url + "/")
    assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
    page.click("main a[href='/indicators']")
    page.wait_for_selector("#provinces tbody tr")
    page.select_option("select[name=year]", "2024")
    page.click("form.params button[type=submit]")
    page.wait_for_selector("#provinces tbody tr")
    page.screenshot(path=str(tmp_path / f"dashboard-{lang}.png"), full_page=True)
    shown = page.evaluate("""() => Array.from(document.querySelectorAll('#provinces tbody tr'))
        .map((tr) => [tr.cells[0].querySelector('.muted').textContent,
                      parseFloat(tr.cells[6].textContent.replace(/,/g, ''))])""")
    above = sorted(code for code, value in shown if value > 14)
    expected = sorted(r["region"] for r in _indicators(demo_server.url) if r["per_10k"] > 14)
    assert above == expected and above  # the demo has provinces above and below 14
    assert len(shown) == 31

    shaanxi = page.locator("#provinces tbody tr", has_text="CN-SN")
    named = shaanxi.locator("td").first.inner_text()
    assert ("陕西" in named) if lang == "zh" else ("Shaanxi" in named)
    count = int(shaanxi.locator("a.count").inner_text().replace(",", ""))
    assert count > 0
    shaanxi.locator("a.count").click()
    page.wait_for_selector("#patents tbody tr")
    assert ("陕西" in page.inner_text("h1")) if lang == "zh" else (
        "Shaanxi" in page.inner_text("h1"))
    summary = page.inner_text("#summary")
    assert str(count) in summary.replace(",", "")
    assert page.locator("#patents tbody tr").count() == min(count, 50)
    page.screenshot(path=str(tmp_path / f"patents-{lang}.png"), full_page=True)

    page.locator("#patents tbody tr a[href^='/patent/']").first.click()
    page.wait_for_selector("#verdict")
    assert "as_of=2024-12-31" in page.url
    assert page.locator("#verdict strong .yes").count() == 1  # high-value: yes
    met = page.locator("#criteria tbody tr", has=page.locator(".yes"))
    assert met.count() >= 1 and met.first.locator("td").nth(2).inner_text().strip()
    page.screenshot(path=str(tmp_path / f"patent-{lang}.png"), full_page=True)


@pytest.mark.parametrize("path", ["/indicators?year=2024", "/patents?region=CN-SN&year=2024",
                                  "/patents?year=2024&criterion=sei&sort=-filing"])
def test_drill_down_pages_fit_a_phone(demo_server, browser_page, path: str,
                                      tmp_path: Path) -> None:
    lang, page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(demo_server.url + path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / f"phone-{lang}.png"), full_page=True)
    assert _fits(page, 375)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert _fits(page, 1280)
