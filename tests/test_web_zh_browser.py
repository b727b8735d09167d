"""The pages this work translated, in a real headless Chromium at desktop and phone width, in
both languages: a criterion's page, an error page with its detail, and a patent's explanation
naming its award by label (screenshots under each test's tmp dir, checked for overflow)."""

from __future__ import annotations

import pytest

from tests.test_web_browser import page, server  # noqa: F401 - fixtures
from tests.test_web_browser import pytestmark as browser_marks

pytestmark = browser_marks

SIZES = {"desktop": (1280, 900), "phone": (375, 800)}

#: path -> language -> texts the page shows
PAGES = {
    "/criterion/sei": {
        "en": ["Parameters", "Profiles that use it", "When it does not hold", "Evidence query"],
        "zh": ["参数", "使用它的标准配置", "不成立时", "证据查询"]},
    "/patents?region=XX-99": {
        "en": ["region must be CN or a province code such as CN-SN, got 'XX-99'"],
        "zh": ["region 必须是 CN 或省级代码（如 CN-SN），收到的是 'XX-99'"]},
    "/patent/CN-T10": {
        "en": ["award China Patent Silver Award in 2021"],
        "zh": ["2021 年获中国专利银奖"]},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", list(PAGES))
def test_translated_pages_fit_in_both_languages(server, page, tmp_path, path, size,  # noqa: F811
                                                lang):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
    # a patent's first page is computed in the background: "being computed" first, and the
    # page reloads itself (its Refresh header), as a browser does
    page.wait_for_function("t => document.querySelector('main')?.innerText.includes(t)",
                           arg=PAGES[path][lang][0], timeout=180_000)
    text = page.inner_text("main")
    for expected in PAGES[path][lang]:
        assert expected in text, (expected, text[:2000])
    name = path.strip("/").replace("/", "-").replace("?", "-")
    page.screenshot(path=str(tmp_path / f"{name}-{size}-{lang}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= \
        page.evaluate("window.innerWidth"), (path, size, lang)
