"""The interface in English and Simplified Chinese: the catalogue is complete and well-formed,
and the served app picks the language from ``?lang=``, the cookie and ``Accept-Language``."""

from __future__ import annotations

import re
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from web import i18n

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="zh")


def _error_keywords() -> dict[str, tuple[int, ...] | None]:
    """The error classes whose messages `make messages` extracts (``-k NAME[:ARGUMENT]``)."""
    text = (ROOT / "Makefile").read_text()
    block = re.search(r"^ERROR_KEYWORDS = (.*?[^\\])$", text, re.M | re.S)
    assert block, "Makefile: ERROR_KEYWORDS"
    found = re.findall(r"-k (\w+)(?::(\d))?", block[1])
    return {name: (int(arg),) if arg else None for name, arg in found}


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, **_error_keywords()}
    found = set()
    for folder in ("web", "kg"):  # as `make messages`
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / folder), method_map, options_map, keywords=keywords):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_interface_has_a_chinese_translation() -> None:
    catalogue = _catalogue()
    missing = sorted(m for m in _extracted()
                     if not (catalogue.get(m) and catalogue.get(m).string))
    assert not missing, f"untranslated (run `make messages`, then translate): {missing}"


def test_translations_keep_their_placeholders() -> None:
    for message in _catalogue():
        if message.id and message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(PLACEHOLDER.findall(ids[-1]))
            for text in strings:
                # ``engine`` (a parser's own English words) may be left out: the web layer
                # returns them beside the detail
                assert set(PLACEHOLDER.findall(text)) in (wanted, wanted - {"engine"}), message.id


def test_the_errors_messages_are_extracted() -> None:
    keywords = _error_keywords()
    assert {"InputError", "QueryError", "StoreError", "NotFound", "Problem"} <= set(keywords)
    assert keywords["RowError"] == (4,) and keywords["Problem"] == (3,)
    extracted = _extracted()
    assert "unknown profile %(profile)r; shipped profiles: %(shipped)s (or give a .ttl file)" \
        in extracted
    assert "invalid SPARQL: %(engine)s" in extracted


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    (None, None, "", "en"),
    (None, None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    (None, None, "en-GB,en;q=0.9,zh;q=0.5", "en"),
    (None, None, "fr, zh-Hans;q=0.5", "zh"),
    (None, "zh", "en", "zh"),
    ("en", "zh", "zh-CN", "en"),
    ("xx", None, "zh-TW", "zh"),
])
def test_the_language_is_negotiated(query, cookie, accept, expected) -> None:
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    assert i18n.negotiate(query, cookie, parse_accept_header(accept, LanguageAccept)) == expected


def _get(url: str, **headers: str) -> tuple[str, object]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode(), response.headers


def test_the_served_home_page_in_both_languages(live_server) -> None:
    en, en_headers = _get(live_server.url + "/", **{"Accept-Language": "en-US"})
    zh, zh_headers = _get(live_server.url + "/", **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="en">' in en and "Canned queries" in en
    assert '<html lang="zh-Hans">' in zh and "预置查询" in zh and "Canned queries" not in zh
    assert "Accept-Language" in zh_headers["Vary"]
    assert 'href="/?lang=en"' in zh and 'href="/?lang=zh"' in en


def test_the_switch_is_remembered_in_a_cookie(live_server) -> None:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(live_server.url + "/queries?lang=zh", timeout=30) as response:
        assert "lang=zh" in response.headers["Set-Cookie"]
        assert "HttpOnly" in response.headers["Set-Cookie"]
    with opener.open(live_server.url + "/", timeout=30) as response:
        assert "预置查询" in response.read().decode()
