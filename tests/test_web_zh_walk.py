"""Every page in Simplified Chinese over real HTTP: no English sentence of the interface left.
Data is not the interface's: text inside code or marked as English (``lang="en"``), commands in
backquotes, and any text found in the store's literals or the shipped shapes, ontology and
canned queries (titles, names, sources, a unit's comments)."""

from __future__ import annotations

import functools
import re
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kg.store import LocalStore
from tests.conftest import open_ready
from tests.latin_words import english_words

ROOT = Path(__file__).resolve().parents[1]

ZH = {"Accept-Language": "zh-CN,zh;q=0.9", "Accept": "text/html"}
#: Three Latin-script words in a row.
SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ']+[A-Za-z]{2,}){2,}")
#: Elements whose text is data or code, not the interface's words.
DATA = {"script", "style", "code", "pre", "textarea", "option", "data", "samp", "kbd"}

PAGES = ["/", "/indicators?years=2024", "/patents?region=CN-GD&year=2024", "/patent/CN-T01",
         "/region/CN-GD", "/owner/O1", "/sei/1.5", "/sei/", "/award-kind/", "/queries",
         "/queries/high-value-by-criterion", "/queries/top-owners", "/shacl", "/def",
         "/dataset", "/search?q=CN-T01", "/editor", "/population/CN-GD/2024",
         "/criterion/sei", "/patents?region=Shaanxi"]


class _Text(HTMLParser):
    """The text of a page outside data elements and outside elements marked ``translate="no"``
    or ``class="data"`` (and the ``title``, ``placeholder`` and ``aria-label`` attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        lang = a.get("lang") or ""
        skip = tag in DATA or a.get("translate") == "no" or bool(lang and lang[:2] != "zh")
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self.stack.append(skip or bool(self.stack and self.stack[-1]))
        if not (self.stack and self.stack[-1]):
            self.texts += [a[k] or "" for k in ("title", "placeholder", "aria-label") if a.get(k)]

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.texts.append(data)


def english_sentences(html: str, data: str = "") -> list[str]:
    """The English sentences of a page's interface (those not found in ``data``)."""
    parser = _Text()
    parser.feed(html)
    return [m[0] for text in parser.texts for m in SENTENCE.finditer(re.sub(r"`[^`]*`", "", text))
            if m[0] not in data]


@functools.cache
def _shipped() -> str:
    files = [*ROOT.glob("shapes/**/*.ttl"), *ROOT.glob("ontology/*.ttl"),
             *ROOT.glob("kg/queries/*.rq")]
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


@pytest.fixture(scope="module")
def data(small_store: LocalStore) -> str:
    rows = small_store.select("SELECT DISTINCT ?o WHERE { { ?s ?p ?o } UNION "
                              "{ GRAPH ?g { ?s ?p ?o } } FILTER(isLiteral(?o)) }")
    return "\n".join([_shipped(), *(r["o"].value for r in rows)])


def _get(url: str) -> str:
    request = urllib.request.Request(url, headers=ZH)
    try:
        with open_ready(request) as response:
            return response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.read().decode()


@pytest.mark.parametrize("path", PAGES)
def test_no_english_sentence_on_a_chinese_page(live_server, data: str, path: str) -> None:
    html = _get(live_server.url + path)
    assert '<html lang="zh-Hans">' in html
    found = english_sentences(html, data)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", PAGES)
def test_no_english_word_on_a_chinese_page(live_server, data: str, path: str) -> None:
    """Stricter: no Latin word of three letters or more outside data and the names that stay
    Latin (tests/latin_words.py)."""
    parser = _Text()
    parser.feed(_get(live_server.url + path))
    found = {w for text in parser.texts for w in english_words(re.sub(r"`[^`]*`", "", text), path)
             if w not in data}
    assert not found, sorted(found)
