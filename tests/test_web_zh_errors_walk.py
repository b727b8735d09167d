"""Every error path in Simplified Chinese over real HTTP: no English word left around the data.

The bad-request corpus (``tests/bad/{http,sparql,shacl}``) and a few more error paths are sent
to the app as ``hvp serve`` runs it, asking for Chinese, as problem+json and as the HTML error
page; any Latin-script word of three letters or more in the answer's title, detail or page text
is English left over, unless it is data or a name that stays Latin: text the request itself
sent (a query, a parameter, a file), an IRI, a prefixed name, a media type, a quoted value, a
name with ``_`` or a digit (a setting, a code), or one of :data:`LATIN` (SPARQL, SHACL, ...).
The parser's or engine's own words are the ``engine`` field, apart, and not checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote_plus

import pytest

from tests.conftest import ServedApp
from tests.latin_words import english_words
from tests.test_bad_http import CASES, _request, _send, served_copy

pytestmark = pytest.mark.slow

ZH = "zh-CN,zh;q=0.9"
#: More error paths than the corpus: (name, method, path, body, content type).
MORE = [
    ("unknown page", "GET", "/no/such/page", None, None),
    ("bad region", "GET", "/patents?region=XX-99", None, None),
    ("bad sort", "GET", "/patents?sort=sideways", None, None),
    ("bad date", "GET", "/patents?as_of=2024-02-30", None, None),
    ("bad year", "GET", "/indicators?years=20x4", None, None),
    ("unknown owner", "GET", "/owner/NO-SUCH-OWNER", None, None),
    ("unknown region", "GET", "/region/CN-XX", None, None),
    ("unknown industry", "GET", "/sei/99.9", None, None),
    ("unknown criterion", "GET", "/criterion/nope", None, None),
    ("unknown canned query", "GET", "/queries/no-such-query", None, None),
    ("canned query bad parameter", "GET", "/queries/top-owners?year=abc", None, None),
    ("search without words", "GET", "/search?q=&format=json", None, None),
    ("sparql bad format", "GET", "/sparql?query=" + quote("ASK {}") + "&format=pdf", None, None),
    ("sparql unknown graph type", "GET", "/sparql?query=" + quote("CONSTRUCT WHERE { ?s ?p ?o }")
     + "&format=csv", None, None),
    ("update without token", "POST", "/update", b"CLEAR ALL", "application/sparql-update"),
    ("store unknown graph", "GET", "/store?graph=" + quote("https://example.org/none"), None,
     None),
    ("shacl empty", "POST", "/shacl", b"", "text/turtle"),
    ("permalink unknown", "GET", "/q/0000000000", None, None),
    ("canned query bad date", "GET", "/queries/top-owners?date=2024-13-01", None, None),
    ("canned query unknown parameter", "GET", "/queries/top-owners?colour=red", None, None),
    ("being computed", "GET", "/patents?region=CN-GD&as_of=2023-06-30", None, None),
    ("store put no body", "PUT", "/store?default", b"", "text/turtle"),
    ("sparql function the engine lacks", "GET", "/sparql?query=" + quote(
        'SELECT ?x WHERE { BIND(<http://www.w3.org/2001/XMLSchema#int>("7") AS ?x) }'), None,
     None),
    ("sparql answer json-ld cannot hold", "GET", "/sparql?format=jsonld&query=" + quote(
        "CONSTRUCT { <http://a.test/s> <http://a.test/p> ?t } WHERE { "
        "BIND(<<( <http://a.test/s> <http://a.test/p> <http://a.test/o> )>> AS ?t) }"), None,
     None),
]


class _Visible(HTMLParser):
    """The text of the error page's ``main`` element (the header and footer are the pages')."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main" or self.depth:
            self.depth += 1
        if self.depth and (tag in ("code", "pre", "samp", "option", "textarea")
                           or dict(attrs).get("translate") == "no"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in ("code", "pre", "samp", "option", "textarea"):
            self.skip = max(0, self.skip - 1)
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and not self.skip:
            self.texts.append(data)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, small_store_dir: Path
           ) -> Iterator[ServedApp]:
    live = served_copy(tmp_path_factory, small_store_dir, "zh-walk")
    yield live
    live.close()


def _around(text: str, word: str) -> str:
    at = text.find(word)
    return " ".join(text[max(0, at - 60):at + 60].split())


def _requests() -> list[tuple[str, str, str, dict[str, str], bytes | None]]:
    found = [(f"{p.parent.name}/{p.name}", *_request(p)) for p in CASES]
    for name, method, path, body, content_type in MORE:
        found.append((name, method, path, {"Content-Type": content_type} if content_type else {},
                      body))
    return found


REQUESTS = _requests()


def _sent(path: str, headers: dict[str, str], body: bytes | None) -> str:
    return " ".join([unquote_plus(path), *headers.values(),
                     unquote_plus((body or b"")[:200_000].decode("utf-8", "replace"))])


@pytest.mark.parametrize(("name", "method", "path", "headers", "body"), REQUESTS,
                         ids=[r[0] for r in REQUESTS])
def test_an_error_says_no_english_in_chinese(server: ServedApp, name: str, method: str,
                                             path: str, headers: dict[str, str],
                                             body: bytes | None) -> None:
    sent = _sent(path, headers, body)
    found = []
    as_json = {**headers, "Accept": "application/problem+json", "Accept-Language": ZH}
    status, got, answer = _send(server.url, method, path, as_json, body)
    if status >= 400 and answer and got.get("content-type", "").startswith(
            "application/problem+json"):
        problem = json.loads(answer)
        text = f'{problem.get("title", "")} {problem.get("detail", "")}'
        found += [(w, text) for w in english_words(text, sent)]
    as_html = {**headers, "Accept": "text/html", "Accept-Language": ZH}
    status, got, answer = _send(server.url, method, path, as_html, body)
    if status >= 400 and got.get("content-type", "").startswith("text/html"):
        parser = _Visible()
        parser.feed(answer.decode("utf-8", "replace"))
        text = " ".join(parser.texts)
        found += [(w, "HTML " + _around(text, w)) for w in english_words(text, sent)]
    assert not found, found


@pytest.mark.parametrize(("text", "words"), [
    ("此次写入 超过了 300 秒的时间上限", []),
    ("the write 超过了 300 秒的时间上限", ["the", "write"]),
    ("参数 'year'：'x' 不是年份，如 2024（xsd:integer）", []),
    ("无法以 format='pdf' 作答；可用的格式：text/csv；简称：json, srj, rdf+xml", []),
    ("SPARQL 语法错误：第 1 行第 42 列：未声明的前缀 hvp:（请声明：PREFIX hvp: <https://w3id.org/hvp/def#>）",
     []),
    ("没有criterion单元 <https://w3id.org/hvp/criterion/nope>", ["criterion"]),
    ("'abc'... (300 characters)", ["characters"]),
])
def test_the_walk_tells_english_from_data(text: str, words: list[str]) -> None:
    assert english_words(text, sent="") == words
