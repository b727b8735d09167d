"""Errors in the reader's language: a kg error (or a web problem) carries its message as a
template and values, and the served app says it through the catalogue; the CLI and the English
interface keep the English text word for word."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from kg import InputError, LimitExceeded, NotFound, QueryError, RowError, Word, fill
from kg.ingest import ingest
from kg.iri import DEFAULT_BASE
from kg.store import LocalStore
from tests.conftest import ServedApp
from web.echo import CLIPPED, clip
from web.errors import CLIPPED_SAID, detail_of

SMALL = Path(__file__).parent / "data" / "small"
TOKEN = "zh-token"

#: Three Latin-script words in a row: a sentence left in English (ids, codes and IRIs are not).
SENTENCE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")

#: (name, method, path, body, content type, status, a word of the Chinese detail)
SAMPLES = [
    ("bad SPARQL", "GET", "/sparql?query=" + quote("SELECT * WHERE {"), None, None, 400,
     "SPARQL 语法错误"),
    ("undeclared prefix", "GET", "/sparql?query=" + quote("SELECT * { ?s hvp:x ?o }"), None,
     None, 400, "未声明的前缀"),
    ("bad upload", "POST", "/shacl", b"<a:b> <a:c> .", "text/turtle", 400, "RDF 语法错误"),
    ("unknown profile", "POST", "/shacl?profile=nope", b"<a:b> <a:c> <a:d> .", "text/turtle",
     400, "未知的标准配置"),
    ("bad filter", "GET", "/patents?region=XX-99", None, None, 400, "省级代码"),
    ("bad sort", "GET", "/patents?sort=sideways", None, None, 400, "sort 必须是"),
    ("not a calendar date", "GET", "/patents?as_of=2024-02-30", None, None, 400,
     "不是有效的日历日期"),
    ("federation refused", "GET",
     "/sparql?query=" + quote("SELECT * { SERVICE <http://a.test/q> { ?s ?p ?o } }"), None, None,
     403, "联邦查询"),
    ("unknown canned query", "GET", "/queries/no-such-query", None, None, 404, "没有预设查询"),
    ("format not offered", "GET", "/sparql?query=" + quote("ASK {}") + "&format=pdf", None, None,
     406, "可用的格式"),
    ("empty query", "GET", "/sparql?query=", None, None, 400, "查询为空"),
    ("bad search", "GET", "/search?" + urlencode({"q": "", "format": "json"}), None, None, 400,
     "请输入"),
    ("unknown page", "GET", "/no/such/page", None, None, 404, "服务器上没有"),
]


def _problem(url: str, method: str, body: bytes | None, content_type: str | None,
             language: str) -> tuple[int, dict]:
    # a list's download (CSV) asked for: its errors answer problem+json
    headers = {"Accept": "text/csv, application/problem+json", "Accept-Language": language}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # pragma: no cover
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("name", "method", "path", "body", "content_type", "status", "word"),
                         SAMPLES, ids=[s[0] for s in SAMPLES])
def test_errors_are_said_in_chinese(live_server, name, method, path, body, content_type,
                                    status, word) -> None:
    zh_status, zh = _problem(live_server.url + path, method, body, content_type, "zh-CN")
    en_status, en = _problem(live_server.url + path, method, body, content_type, "en")
    assert zh_status == en_status == status, (zh, en)
    assert word in zh["detail"], zh["detail"]
    assert not SENTENCE.search(zh["detail"]), zh["detail"]
    assert re.search(r"[a-z]{3,} [a-z]{3,}", en["detail"]), en["detail"]  # in English
    assert zh["detail"] != en["detail"]
    # the fields beside the detail and the title do not change with the language
    assert {k: v for k, v in zh.items() if k not in ("detail", "title")} == \
        {k: v for k, v in en.items() if k not in ("detail", "title")}


def test_the_parsers_own_words_are_given_beside_the_detail(live_server) -> None:
    _status, zh = _problem(live_server.url + "/sparql?query=" + quote("SELECT * WHERE {"),
                           "GET", None, None, "zh")
    assert zh["engine"] and zh["line"] == 1
    _status, en = _problem(live_server.url + "/sparql?query=" + quote("SELECT * WHERE {"),
                           "GET", None, None, "en")
    assert en["detail"] == "invalid SPARQL: " + en["engine"]


def test_the_error_page_says_the_detail_in_chinese(live_server) -> None:
    request = urllib.request.Request(live_server.url + "/patents?region=XX-99",
                                     headers={"Accept": "text/html", "Accept-Language": "zh"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    page = caught.value.read().decode()
    assert "region 必须是 CN 或省级代码（如 CN-SN），收到的是 &#39;XX-99&#39;" in page


def test_an_error_keeps_its_english_text_and_its_template() -> None:
    error = InputError("unknown profile %(name)r; shipped: %(names)s", name="x", names="a, b")
    assert str(error) == "unknown profile 'x'; shipped: a, b"
    assert error.template == "unknown profile %(name)r; shipped: %(names)s"
    assert fill(error.template, error.params) == str(error)
    plain = QueryError("50% of nothing")  # no values: the message as it is
    assert str(plain) == "50% of nothing"


def test_a_row_error_places_its_message() -> None:
    error = RowError("patents.csv", 3, "kind", "%(value)r is not a kind", value="gadget")
    assert str(error) == "patents.csv:3: column 'kind': 'gadget' is not a kind"
    assert error.reason == "'gadget' is not a kind"
    assert (error.file, error.line, error.column) == ("patents.csv", 3, "kind")


@pytest.mark.parametrize("error", [
    RowError("patents.csv", 3, "kind", "%(value)r is not a kind", value="gadget"),
    NotFound("no patent %(id)r", id="CN1"),
    InputError("plain"),
])
def test_errors_cross_processes_whole(error) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert (copy.template, copy.params) == (error.template, error.params)


def test_a_csv_cell_error_is_said_in_chinese(app, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    shutil.copytree(SMALL, folder)
    path = folder / "patents.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",invention,", ",petty_patent,", 1),
                    encoding="utf-8")
    with pytest.raises(RowError) as caught:
        ingest(LocalStore(), [folder], base=DEFAULT_BASE)
    error = caught.value
    assert "column 'kind': 'petty_patent' is not one of invention" in str(error)
    # sent back from a worker process whole
    for sent in (error, pickle.loads(pickle.dumps(error))):
        with app.test_request_context("/?lang=zh"):
            zh = detail_of(sent)
        assert "第 2 行" in zh and "'petty_patent' 不是以下之一：invention" in zh, zh
        assert not SENTENCE.search(zh), zh
        with app.test_request_context("/?lang=en"):
            assert detail_of(sent) == str(error)


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory, small_store_dir: Path
             ) -> Iterator[ServedApp]:
    target = tmp_path_factory.mktemp("zh-writes") / "store"
    shutil.copytree(small_store_dir, target)
    live = ServedApp({"store": str(target), "workers": 1, "timeout": 10.0,
                      "write_token": TOKEN, "read_only": False})
    yield live
    live.close()


@pytest.mark.parametrize(("update", "zh_words", "english"), [
    ("INSERT DATA { <https://w3id.org/hvp/patent/CN-T01> hvp:grantDate "
     '"2001-01-01"^^xsd:date }', "授权日 2001-01-01 早于申请日",
     "the grant date 2001-01-01 is before the filing date"),
    ("INSERT DATA { <https://w3id.org/hvp/patent/CN-T01> hvp:owner "
     '"Acme"^^xsd:string }', "的值须是 IRI，而不是字面量", "takes an IRI, not the literal"),
    ("INSERT DATA { <https://w3id.org/hvp/patent/CN-T01> hvp:population "
     '"x"^^xsd:integer }', "hvp:population：'x' 不是 xsd:integer（须为 ASCII 数字）",
     "hvp:population: 'x' is not an xsd:integer (ASCII digits)"),
    ("INSERT { ?p <http://data.epo.org/linked-data/def/patent/filingDate> ?d } WHERE "
     '{ ?p hvp:grantDate ?g BIND(STRDT("soon", xsd:date) AS ?d) }',
     "patent:filingDate：'soon' 不是 YYYY-MM-DD 格式的日期",
     "patent:filingDate: 'soon' is not a date as YYYY-MM-DD"),
], ids=["grant before filing", "literal for an IRI", "ill-typed literal", "bad date bound"])
def test_an_rdf_rule_error_is_said_in_chinese(writable, update, zh_words, english) -> None:
    """A parser's refusal inside a rule's message is said in Chinese too; the writer process
    answers the same refusal twice in a row (the nested error's traceback once kept the staging
    generation's engine open, and the next write answered 500)."""
    body = ("PREFIX hvp: <https://w3id.org/hvp/def#>\n"
            "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n" + update).encode()
    answers = {}
    for language in ("zh", "en"):
        request = urllib.request.Request(
            writable.url + "/update", data=body, method="POST",
            headers={"Content-Type": "application/sparql-update", "Accept-Language": language,
                     "Accept": "application/problem+json", "Authorization": f"Bearer {TOKEN}"})
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=60)
        assert caught.value.code == 400
        answers[language] = json.loads(caught.value.read())
    assert zh_words in answers["zh"]["detail"], answers["zh"]
    assert not SENTENCE.search(answers["zh"]["detail"]), answers["zh"]
    assert english in answers["en"]["detail"], answers["en"]
    assert answers["zh"]["line"] == answers["en"]["line"] == 3


def _page(url: str, data: bytes | None = None, content_type: str | None = None) -> str:
    headers = {"Accept": "text/html", "Accept-Language": "zh-CN"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=60)
    return caught.value.read().decode()


def test_the_error_page_labels_the_engines_words_in_chinese(live_server) -> None:
    # asked for JSON results (not the editor page) by a client that reads HTML
    page = _page(live_server.url + "/sparql?format=json&query=" + quote("SELECT * WHERE {"))
    assert "SPARQL 语法错误（引擎的原话见 engine 一项）" in page
    _label, _, rest = page.partition("原话（engine 一项）：")
    assert rest.startswith(' <code lang="en" translate="no">'), page  # kept as it came
    assert "位于第 1 行第 17 列。" in page


def test_the_validation_form_says_a_bad_upload_in_chinese(live_server) -> None:
    body = urlencode({"data": "<a:b> <a:c> .", "syntax": "turtle"}).encode()
    page = _page(live_server.url + "/shacl", body, "application/x-www-form-urlencoded")
    assert "数据：RDF 语法错误（解析器的原话见 engine 一项）" in page, page
    assert "原话（engine 一项）：" in page and "%(what)s" not in page


def test_a_canned_querys_form_says_its_error_in_chinese(live_server) -> None:
    page = _page(live_server.url + "/queries/top-owners?date=2024-13-01")
    assert "参数 &#39;date&#39;：&#39;2024-13-01&#39; 不是YYYY-MM-DD 格式的日期" in page, page


def test_an_english_word_given_as_a_value_is_said_in_chinese(app) -> None:
    error = LimitExceeded("%(what)s ran out of the writer's %(memory)s MB of memory (setting "
                          "write_memory) or its process stopped: nothing was written",
                          what=Word("the write"), memory=4096)
    sent = pickle.loads(pickle.dumps(error))
    assert type(sent.params["what"]) is Word
    with app.test_request_context("/?lang=zh"):
        assert detail_of(sent).startswith("此次写入 用尽了写入进程的 4096 MB 内存"), detail_of(sent)
    with app.test_request_context("/?lang=en"):
        assert detail_of(sent) == str(error)
        assert str(error).startswith("the write ran out of the writer's 4096 MB")


def test_a_clipped_input_says_its_length_in_chinese(app) -> None:
    error = InputError("syntax %(name)s is not one of %(syntaxes)s", name=clip("x" * 500),
                       syntaxes="turtle")
    with app.test_request_context("/?lang=zh"):
        assert "……（共 500 个字符）" in detail_of(pickle.loads(pickle.dumps(error)))
    assert str(error).endswith("... (500 characters) is not one of turtle")
    assert CLIPPED == CLIPPED_SAID  # the English text and the catalogue's message id


def test_a_phrase_with_values_is_said_in_chinese(live_server) -> None:
    """A reconciliation query named in an error (``query 'q0'``, a ``Word`` with a value)."""
    path = "/reconcile?" + urlencode({"queries": json.dumps({"q0": 5})})
    status, zh = _problem(live_server.url + path, "GET", None, None, "zh-CN")
    _status, en = _problem(live_server.url + path, "GET", None, None, "en")
    assert status == 400
    assert zh["detail"] == "对账查询 'q0' 必须是对象", zh
    assert en["detail"] == "query 'q0' must be an object", en


def test_an_rdf_files_ill_typed_literal_is_said_in_chinese(app, tmp_path: Path) -> None:
    path = tmp_path / "pop.ttl"
    path.write_text("@prefix hvp: <https://w3id.org/hvp/def#> .\n"
                    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                    '<https://w3id.org/hvp/x> hvp:population "12x"^^xsd:integer .\n',
                    encoding="utf-8")
    with pytest.raises(RowError) as caught:
        ingest(LocalStore(), [path], base=DEFAULT_BASE)
    error = caught.value
    assert "hvp:population: '12x' is not an xsd:integer (ASCII digits)" in str(error)
    with app.test_request_context("/?lang=zh"):
        zh = detail_of(pickle.loads(pickle.dumps(error)))
    assert "第 3 行" in zh and "hvp:population：'12x' 不是 xsd:integer（须为 ASCII 数字）" in zh, zh
