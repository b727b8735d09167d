"""Organization names, normalized: one module for linking and reconciliation.

A name is compared by its *key*: traditional characters converted to simplified (OpenCC's
``t2s`` table, through the OpenCC project's binding, PyPI ``opencc``), full-width forms folded
(NFKC), case folded, punctuation and spaces dropped, and the legal form at the end
removed (有限公司, 股份有限公司, 有限责任公司, 集团, Co., Ltd., Inc., Corporation, GmbH...).
Words that say what *kind* of organization it is (大学 / University, 研究所 / 研究院 /
Institute) are kept, since 北京华中大学 and 北京华中研究院 are different owners; English
"University of X" is put in the order "X University". :func:`kind` reads that kind for the
type evidence.

:func:`variants` goes the other way: the spellings under which an endpoint may hold a name
(as written, simplified, traditional; a name in capitals or small letters also in title case;
bare and with each common legal form), for an exact label lookup that an endpoint can answer
from its index.
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache
from typing import Any

import opencc  # the OpenCC project's own Python binding (PyPI package opencc)

__all__ = ["key", "core", "kind", "variants", "is_chinese", "simplified", "traditional",
           "traditional_forms"]

#: Legal forms, longest first (a name loses at most one, then 集团 / Group before it).
ZH_FORMS = ("股份有限公司", "有限责任公司", "集团有限公司", "集团股份有限公司", "有限公司",
            "公司")
ZH_GROUP = "集团"
EN_FORMS = ("company limited", "co., ltd.", "co. ltd.", "co.,ltd.", "co ltd", "co., ltd",
            "corporation", "incorporated", "limited", "holdings", "holding", "kabushiki kaisha",
            "k.k.", "corp.", "s.a.",
            "corp", "inc.", "inc", "ltd.", "ltd", "gmbh", "llc", "plc", "ag", "sa", "co.",
            "group")
#: What is added back by :func:`variants`, per script.
ZH_ADD = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "集团")
EN_ADD = (" Co., Ltd.", " Inc.", " Corporation", " Corp.", " Limited", " Ltd.", " Group", " LLC",
          " PLC", " GmbH", " AG", " Holding AG", " SA", " S.A.", " Kabushiki Kaisha", " K.K.")

#: Name endings that say what kind of organization it is.
KINDS = (("university", ("大学", "学院", "university", "college")),
         ("institute", ("研究所", "研究院", "研究中心", "科学院", "institute", "academy")),
         ("company", ("公司", "co., ltd.", "inc.", "corporation", "limited", "gmbh", "ltd.",
                      "kabushiki kaisha", "holdings limited")))

_HAN = re.compile(r"[\u3400-\u9fff]")
_FULL_WIDTH = str.maketrans("()", "\uff08\uff09")
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
_OF = re.compile(r"^(university|institute|academy|college) of (.+)$", re.IGNORECASE)


@lru_cache(maxsize=8)
def _converter(config: str) -> Any:
    return opencc.OpenCC(config)


@lru_cache(maxsize=1 << 16)
def simplified(text: str) -> str:
    """``text`` in simplified characters (OpenCC ``t2s``)."""
    return str(_converter("t2s").convert(text))


@lru_cache(maxsize=1 << 14)
def traditional(text: str) -> str:
    """``text`` in traditional characters (OpenCC ``s2t``, the OpenCC standard)."""
    return str(_converter("s2t").convert(text))


@lru_cache(maxsize=1 << 14)
def traditional_forms(text: str) -> frozenset[str]:
    """``text`` in the traditional characters of the OpenCC standard, of Taiwan (``s2tw``) and
    of Hong Kong (``s2hk``), which differ for some characters (爲 / 為)."""
    return frozenset(str(_converter(c).convert(text)) for c in ("s2t", "s2tw", "s2hk"))


def is_chinese(text: str) -> bool:
    return bool(_HAN.search(text))


def _clean(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split())


def core(name: str) -> str:
    """The name without its legal form, simplified and NFKC-folded, case and spacing kept."""
    text = _clean(name)
    if is_chinese(text):
        text = simplified(text)
        for form in ZH_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                break
        if text.endswith(ZH_GROUP) and len(text) > len(ZH_GROUP):
            text = text[: -len(ZH_GROUP)]
        return text
    text = text.strip(" ,.")
    stripped = True
    while stripped:
        stripped = False
        low = text.lower()
        for form in EN_FORMS:
            if low.endswith(" " + form) or low.endswith("," + form):
                text = text[: -len(form)].rstrip(" ,.")
                stripped = True
                break
    match = _OF.match(text)
    if match:
        text = f"{match.group(2)} {match.group(1)}"
    return text


def key(name: str) -> str:
    """The comparison key of a name: its :func:`core`, case-folded, without punctuation or
    spaces. Two names with one key are the same name for linking and reconciliation."""
    return _DROP.sub("", core(name).casefold())


def kind(name: str) -> str | None:
    """``university``, ``institute`` or ``company`` when the name's ending says so."""
    text = simplified(_clean(name)).casefold()
    for label, endings in KINDS:
        if any(text.endswith(e) or f"{e} of " in text or f"{e}," in text for e in endings):
            return label
    return None


def variants(name: str) -> set[str]:
    """Spellings an endpoint may hold for ``name``: as written; for Chinese also simplified and
    traditional; each bare and with every common legal form."""
    text = _clean(name)
    base = core(text)
    if is_chinese(text):
        out = {text, simplified(text), traditional(text)}
        for stem in {base, simplified(base)}:
            out.add(stem)
            out.update(stem + form for form in ZH_ADD)
        out.update(t for v in list(out) for t in traditional_forms(v))
        # NFKC made the brackets half-width; Chinese text writes them full-width: 西门子（中国）
        out.update(v.translate(_FULL_WIDTH) for v in list(out) if "(" in v or ")" in v)
        out.add(" ".join(name.split()))  # exactly as written
        return out
    stems = {base}
    if text.isupper() or text.islower():  # "HUAWEI TECHNOLOGIES CO LTD", as patent offices
        stems.add(string.capwords(base))  # write names: labels are in title case
    out = {text, *stems}
    out.update(stem + form for stem in stems for form in EN_ADD)
    for stem in stems:
        match = re.match(r"^(.+) (University|Institute|Academy|College)$", stem)
        if match:
            out.add(f"{match.group(2)} of {match.group(1)}")
    return out
