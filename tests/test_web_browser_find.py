"""Headless Chromium on the pages of issue 17's find work: search (the header's box and the
results), the dataset description and its banner, the region, owner and SEI industry summaries;
at desktop and phone width, in English and Chinese, with a screenshot of each and no sideways
scrolling of the page itself."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import pytest

from kg import reference
from kg.demo import generate
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import ServedApp, open_ready
from tests.test_web_browser import CHROMIUM, page  # noqa: F401 - the page fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium "
                       "(apt-get install chromium; CI installs it)"),
]
WIDTHS = {"desktop": 1280, "phone": 375}
PAGES = ["/search?q=Example", "/dataset", "/region/CN-GD", "/owner/O1", "/sei/1.5", "/sei/1"]


@pytest.fixture(scope="module")
def server(tmp_path_factory, small_store_dir):
    target = tmp_path_factory.mktemp("browser-find") / "store"
    shutil.copytree(small_store_dir, target)
    live = ServedApp({"store": str(target), "workers": 2, "timeout": 20.0})
    warm(live.url)
    yield live
    live.close()


def warm(url: str) -> None:
    """The first summary page computes the classifications and the cube, the first search the
    text index (queued: tens of seconds on a loaded machine): asked until ready, without the
    browser's time limit."""
    for path in ("/search?q=Example", "/region/CN-GD", "/owner/O1", "/sei/1.5", "/sei/1"):
        request = urllib.request.Request(url + path, headers={"Accept": "text/html"})
        with open_ready(request, timeout=600) as answer:
            assert answer.status == 200


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The app over a small synthetic demo (its dataset description says so)."""
    work = tmp_path_factory.mktemp("browser-demo")
    generate(work / "demo", patents=1200)
    store = LocalStore(work / "store")
    reference.ensure(store, DEFAULT_BASE)
    ingest(store, [work / "demo"], base=DEFAULT_BASE)
    store.close()
    del store
    live = ServedApp({"store": str(work / "store"), "workers": 1, "timeout": 20.0})
    yield live
    live.close()


def fits(page, width: int) -> None:  # noqa: F811
    assert page.evaluate("document.documentElement.scrollWidth") <= width, \
        page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_pages_in_both_languages_and_widths(server, page, tmp_path: Path, width: str,  # noqa: F811
                                            lang: str) -> None:
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    for path in PAGES:
        joiner = "&" if "?" in path else "?"
        answer = page.goto(f"{server.url}{path}{joiner}lang={lang}")
        assert answer is not None and answer.status == 200, path
        page.wait_for_load_state("networkidle")
        assert page.get_attribute("html", "lang") == ("zh-Hans" if lang == "zh" else "en")
        fits(page, WIDTHS[width])
        name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-")
        page.screenshot(path=str(tmp_path / f"{name}-{width}-{lang}.png"), full_page=True)
        assert (tmp_path / f"{name}-{width}-{lang}.png").stat().st_size > 1000


def test_the_header_box_finds_a_patent_and_its_page(server, page) -> None:  # noqa: F811
    page.goto(server.url + "/?lang=en")
    page.fill("header form.search input[name=q]", "accelerator")
    page.press("header form.search input[name=q]", "Enter")
    page.wait_for_selector("#hits")
    assert "Neural network accelerator" in page.inner_text("#hits")
    page.click("#hits a")
    page.wait_for_selector("#verdict")
    assert page.url.endswith("/patent/CN-T01")


def test_search_in_chinese_finds_a_region(server, page) -> None:  # noqa: F811
    page.goto(server.url + "/search?q=%E5%B9%BF%E4%B8%9C&lang=zh")  # 广东
    assert page.inner_text("#hits tbody tr:first-child").count("广东省") == 1
    page.click("#hits tbody tr:first-child a")
    page.wait_for_selector("#series")
    assert page.inner_text("h1") == "广东省"


def test_region_page_leads_to_its_owner_and_the_raw_triples(server, page) -> None:  # noqa: F811
    page.goto(server.url + "/region/CN-GD?lang=en")
    page.click("#owners a")
    page.wait_for_selector("#patents")
    assert "CN-T01" in page.inner_text("#patents")
    page.click("#raw")
    page.wait_for_selector("#facts")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_demo_banner(demo_server, page, tmp_path: Path, width: str) -> None:  # noqa: F811
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    for lang, words in (("en", "not official figures"), ("zh", "不是官方数据")):
        page.goto(f"{demo_server.url}/queries?lang={lang}")
        assert words in page.inner_text("#demo-banner")
        fits(page, WIDTHS[width])
        page.screenshot(path=str(tmp_path / f"banner-{width}-{lang}.png"))
    page.click("#demo-banner a")
    page.wait_for_selector("#classes")
    assert page.url.endswith("/dataset")
