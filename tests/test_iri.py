"""Minting IRIs: the fast path for ids that need no encoding gives what encoding gives."""

from __future__ import annotations

from urllib.parse import quote

from kg.iri import DEFAULT_BASE, mint, parse, segment

SAFE = "-._~:@!$&'()*+,;="


def test_segment_equals_percent_encoding_for_every_character() -> None:
    for code in range(0x300):
        text = chr(code)
        assert segment(text) == quote(text, safe=SAFE), repr(text)
    for text in ("CN-T01", "W0001", "a/b", "x y", "A%20", "广东", "é", "", "CN T01\n",
                 "ZL2020 1 0001234.5", "owner/W0001"):
        assert segment(text) == quote(text, safe=SAFE), repr(text)


def test_minted_iris_parse_back_to_their_ids() -> None:
    for ids in (("CN-T01",), ("a/b",), ("广东", "2024"), ("x y",), ("100%",)):
        assert parse(DEFAULT_BASE, mint(DEFAULT_BASE, "patent", *ids)) == ("patent", ids)
