"""Name normalization shared by linking and reconciliation (kg.link.names)."""

from __future__ import annotations

import pytest

from kg.link import names


@pytest.mark.parametrize(("a", "b"), [
    ("广东华中科技有限公司", "广东华中科技股份有限公司"),
    ("广东华中科技有限公司", "廣東華中科技有限公司"),  # traditional characters
    ("上海星光集团有限公司", "上海星光"),
    ("上海星光有限责任公司", "上海星光集团"),
    ("Acme Nordwindtech Inc.", "ACME  Nordwindtech Corporation"),
    ("Hanbit Oriontech Co., Ltd.", "Hanbit Oriontech Company Limited"),
    ("Kestrel Kestreltech Holding AG", "Kestrel Kestreltech GmbH"),
    ("University of Beijing Huazhong", "Beijing Huazhong University"),
    ("ＡＣＭＥ Ｎｏｒｄｗｉｎｄｔｅｃｈ Inc.", "Acme Nordwindtech Inc."),  # full-width forms fold
])
def test_same_key(a: str, b: str) -> None:
    assert names.key(a) == names.key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("北京华中大学", "北京华中研究院"),  # what kind of organization it is stays
    ("北京华中大学", "北京华中科技有限公司"),
    ("广东华中科技有限公司", "广东华中电子有限公司"),
    ("Beijing Huazhong University", "Beijing Huazhong Institute"),
])
def test_different_key(a: str, b: str) -> None:
    assert names.key(a) != names.key(b)


def test_kind() -> None:
    assert names.kind("北京星光大学") == "university"
    assert names.kind("University of Oxford") == "university"
    assert names.kind("浙江天通研究院") == "institute"
    assert names.kind("浙江天通科技有限公司") == "company"
    assert names.kind("个人申请人华3") is None


def test_variants_cover_forms_and_scripts() -> None:
    v = names.variants("广东华中科技有限公司")
    assert {"广东华中科技有限公司", "广东华中科技股份有限公司", "廣東華中科技有限公司",
            "广东华中科技"} <= v
    assert all(names.key(x) == names.key("广东华中科技有限公司") for x in v)
    e = names.variants("Acme Nordwindtech Inc.")
    assert {"Acme Nordwindtech Inc.", "Acme Nordwindtech Corporation",
            "Acme Nordwindtech GmbH"} <= e


def test_variants_cover_the_traditional_standards() -> None:
    # OpenCC's own standard writes 爲, Taiwan's and Hong Kong's 為: both are looked up
    v = names.variants("广东华为科技有限公司")
    assert {"廣東華爲科技有限公司", "廣東華為科技有限公司"} <= v
    assert names.key("廣東華為科技有限公司") == names.key("廣東華爲科技股份有限公司")


def test_variants_of_a_name_in_capitals() -> None:
    """Patent offices (and Google Patents' harmonized assignees) write names in capitals and
    without punctuation; Wikidata's labels are in title case."""
    found = names.variants("VEKTOR ORIONTECH INC")
    assert {"Vektor Oriontech Corporation", "Vektor Oriontech Inc.",
            "VEKTOR ORIONTECH INC"} <= found
    assert "University of Beijing Huazhong" in names.variants("BEIJING HUAZHONG UNIVERSITY")
    assert "Ibm Corporation" not in names.variants("IBM Corporation")  # mixed case: as written


def test_variants_keep_full_width_brackets() -> None:
    """NFKC folds （） to (); Wikidata's Chinese labels keep the full-width brackets."""
    found = names.variants("西门子（中国）有限公司")
    assert {"西门子（中国）有限公司", "西门子(中国)有限公司", "西門子（中國）有限公司",
            "西门子（中国）股份有限公司"} <= found
