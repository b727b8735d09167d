"""The pages of the dashboard, drill-down, canned queries, /shacl, errors and the ontology in
Simplified Chinese over real HTTP: the interface's words from the catalogue, names from the
data's own zh labels; and the language switch keeps a canned query's page working."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.conftest import open_ready

ZH = {"Accept-Language": "zh-CN,zh;q=0.9", "Accept": "text/html"}


def _get(url: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with open_ready(request) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize(("path", "status", "chinese", "english"), [
    ("/indicators?years=2024", 200, ["每万人口高价值发明专利拥有量", "广东省", "占全国比例"],
     ["Provinces, 2024", "Guangdong"]),
    ("/patents?region=CN-GD&year=2024", 200, ["广东省截至2024-12-31的高价值发明专利",
                                              "第一专利权人", "战略性新兴产业的发明专利"],
     ["first owner", "strategic emerging industry"]),
    ("/queries", 200, ["预置查询", "按标准统计的高价值发明专利"],
     ["High-value patents by criterion"]),
    ("/queries/high-value-by-criterion?lang=zh", 200, ["统计日", "永久链接", "运行"],
     ["Permalink", "Download:"]),
    ("/shacl", 200, ["数据（RDF）", "验证"], ["Shapes syntax", "Validate"]),
    ("/patents?region=Shaanxi", 400, ["输入有误", "首页"], ["Bad input"]),
    ("/def", 200, ["术语", "含义"], ["domain → range"]),
    # what the page is, its region and the classes' labels in Chinese; the sentence ends in 。
    ("/patent/CN-T01", 200, ["专利 ·", "广东省</a>", "— 发明专利", "个资源。"],
     ["patent ·", "— invention patent", "个资源."]),
])
def test_pages_in_chinese(live_server, path: str, status: int, chinese: list[str],
                          english: list[str]) -> None:
    got, html = _get(live_server.url + path, ZH)
    assert got == status
    assert '<html lang="zh-Hans">' in html
    for text in chinese:
        assert text in html, text
    for text in english:
        assert text not in html, text


def test_the_switch_on_a_canned_query_keeps_its_answer(live_server) -> None:
    """``?lang=`` is the page's, not a parameter of the query (it was refused with a 400)."""
    got, html = _get(live_server.url + "/queries/high-value-by-criterion?lang=en",
                     {"Accept": "text/html"})
    assert got == 200 and 'id="results"' in html and "has no parameter" not in html


def test_every_kind_of_page_is_named() -> None:
    """Each kind of thing a page is served for says what it is (translated: the catalogue's
    test holds every marked word to a Chinese entry)."""
    from kg import IRI_KINDS
    from web.links import FIXED
    from web.resources import KIND_NAMES

    assert set(IRI_KINDS) | set(FIXED) <= set(KIND_NAMES)
