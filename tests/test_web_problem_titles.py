"""A problem's ``title`` in the reader's language: every title the app can give (the kg errors'
statuses, the web layer's own problems, werkzeug's errors) is listed in one place and has a
Chinese translation, and the served app says it in Chinese or English, with
``Content-Language``, in problem+json and on the error page; ``type`` does not change."""

from __future__ import annotations

import ast
import json
import re
import urllib.error
import urllib.request
from email.message import Message
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.messages.pofile import read_po
from werkzeug.exceptions import default_exceptions

from web.errors import STATUS, TITLES

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
KNOWN = {title for _status, title in STATUS.values()} | set(TITLES)


def _chinese() -> dict[str, str]:
    with PO.open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale="zh") if isinstance(m.id, str)}


def _titles_in_the_code() -> dict[str, str]:
    """Every title written in a ``Problem(status, title, ...)`` or ``problem(status, title,
    ...)`` call of ``web`` and ``kg``: title -> where."""
    found = {}
    for path in [*(ROOT / "web").rglob("*.py"), *(ROOT / "kg").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                    "Problem", "problem") and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant):
                found[node.args[1].value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_title_the_code_writes_is_listed() -> None:
    found = _titles_in_the_code()
    assert len(found) >= 8, found  # the scan sees the calls
    unlisted = {title: where for title, where in found.items() if title not in KNOWN}
    assert not unlisted, f"add to web.errors.TITLES: {unlisted}"


def test_every_werkzeug_error_is_listed() -> None:
    names = {cls().name for cls in default_exceptions.values()}
    assert not names - set(TITLES), f"add to web.errors.TITLES: {sorted(names - set(TITLES))}"


def test_every_title_has_a_chinese_translation() -> None:
    chinese = _chinese()
    missing = sorted(t for t in KNOWN if not chinese.get(t))
    assert not missing, f"untranslated titles (run `make messages`, then translate): {missing}"
    assert all(re.search(r"[\u4e00-\u9fff]", chinese[t]) for t in KNOWN)


#: (name, method, path, body, content type, status, English title)
SAMPLES = [
    ("unknown page (werkzeug)", "GET", "/no/such/page", None, None, 404, "Not Found"),
    ("method not allowed (werkzeug)", "DELETE", "/queries", None, None, 405,
     "Method Not Allowed"),
    ("bad SPARQL (QueryError)", "GET", "/sparql?query=" + quote("SELECT * WHERE {"), None, None,
     400, "Bad query"),
    ("bad filter (InputError)", "GET", "/patents?region=XX-99", None, None, 400, "Bad input"),
    ("format not offered (Problem)", "GET", "/sparql?query=" + quote("ASK {}") + "&format=pdf",
     None, None, 406, "Not Acceptable"),
    ("empty query (Problem)", "GET", "/sparql?query=", None, None, 400, "Bad request"),
    ("bad upload (Problem)", "POST", "/shacl", b"<a:b> <a:c> .", "text/turtle", 400, "Bad RDF"),
    ("federation refused (Refused)", "GET",
     "/sparql?query=" + quote("SELECT * { SERVICE <http://a.test/q> { ?s ?p ?o } }"), None, None,
     403, "Forbidden"),
    ("unknown canned query (NotFound)", "GET", "/queries/no-such-query", None, None, 404,
     "Not found"),
]


def _send(url: str, method: str, body: bytes | None, content_type: str | None, accept: str,
          language: str) -> tuple[int, Message, str]:
    headers = {"Accept": accept, "Accept-Language": language}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # pragma: no cover
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode()


@pytest.mark.parametrize(("name", "method", "path", "body", "content_type", "status", "title"),
                         SAMPLES, ids=[s[0] for s in SAMPLES])
def test_a_problems_title_is_said_in_the_readers_language(live_server, name, method, path, body,
                                                         content_type, status,
                                                         title) -> None:
    chinese = _chinese()[title]
    answers = {}
    for language, tag in (("zh-CN,zh;q=0.9", "zh-Hans"), ("en-GB", "en")):
        got, headers, text = _send(live_server.url + path, method, body, content_type,
                                   "text/csv, application/problem+json", language)
        assert got == status, text
        assert headers["Content-Type"].startswith("application/problem+json")
        assert headers["Content-Language"] == tag
        assert "Accept-Language" in headers["Vary"]
        answers[tag] = json.loads(text)
    zh, en = answers["zh-Hans"], answers["en"]
    assert zh["title"] == chinese and en["title"] == title
    assert zh["type"] == en["type"] == "about:blank" and zh["status"] == en["status"] == status


def test_the_error_page_heads_with_the_translated_title(live_server) -> None:
    for language, tag, title in (("zh", "zh-Hans", "未找到"), ("en", "en", "Not Found")):
        got, headers, page = _send(live_server.url + "/no/such/page", "GET", None, None,
                                   "text/html", language)
        assert got == 404 and headers["Content-Language"] == tag
        h1 = re.search(r"<h1>(.*?)</h1>", page, re.S)
        assert h1 and unescape(h1[1]) == f"404 · {title}", page[:500]
        assert f"<title>404 {title}" in unescape(page)
