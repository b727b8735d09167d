"""Candidate Wikidata items for owners, found in batches.

One query per batch of owners looks every spelling of their names up as an exact label or alias
(a ``VALUES`` block of language-tagged literals, which an endpoint answers from its index: the
spellings come from :func:`kg.link.names.variants`); a second query per batch of items found
reads the evidence: classes (P31), countries (P17), the provinces the item lies in (P131, any
number of steps, among the provinces the store links to Wikidata), labels and an English
description. Literals and IRIs are written into the query by pyoxigraph's term serialization
(N-Triples escaping), never pasted as raw text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph as ox

from kg.link import names
from kg.link.client import Endpoint

__all__ = ["WD", "Owner", "Candidate", "find", "label_query", "facts_query"]

WD = "http://www.wikidata.org/entity/"
ZH_SIMPLIFIED = ("zh", "zh-hans", "zh-cn")
ZH_TRADITIONAL = ("zh", "zh-hant", "zh-tw", "zh-hk")
EN = ("en",)
PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
"""

T = TypeVar("T")


@dataclass(frozen=True)
class Owner:
    """An owner of the store, with what linking compares."""

    iri: str
    id: str
    name: str
    country: str
    region: str | None = None  # ISO 3166-2
    region_qid: str | None = None  # the region's Wikidata item (owl:sameAs in the store)


@dataclass
class Candidate:
    """A Wikidata item whose label or alias is a spelling of an owner's name."""

    qid: str
    matched: str  # the label or alias that matched
    how: str  # "label" or "alias"
    labels: list[tuple[str, str]] = field(default_factory=list)  # (text, language)
    classes: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    provinces: set[str] = field(default_factory=set)
    description: str = ""

    @property
    def iri(self) -> str:
        return WD + self.qid

    @property
    def name(self) -> str:
        """A label to show: Chinese first, then English, else the one that matched."""
        for lang in ("zh", "zh-hans", "zh-cn", "en", "zh-hant"):
            for text, tag in self.labels:
                if tag == lang:
                    return text
        return self.matched


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + max(1, size)]


def spellings(name: str) -> Iterator[ox.Literal]:
    """Every (text, language) under which ``name`` is looked up."""
    for text in sorted(names.variants(name)):
        if not names.is_chinese(text):
            tags: tuple[str, ...] = EN
        elif names.simplified(text) == text:
            # a name written the same in both scripts may be under either tag
            same = names.traditional(text) == text
            tags = ZH_SIMPLIFIED + ("zh-hant",) if same else ZH_SIMPLIFIED
        else:
            tags = ZH_TRADITIONAL
        for tag in tags:
            yield ox.Literal(text, language=tag)


def label_query(literals: Iterable[ox.Literal]) -> str:
    values = " ".join(str(lit) for lit in literals)
    return (PREFIXES + "SELECT ?item ?label ?how WHERE {\n  VALUES ?label { " + values + " }\n"
            '  { ?item rdfs:label ?label . BIND("label" AS ?how) }\n'
            '  UNION { ?item skos:altLabel ?label . BIND("alias" AS ?how) }\n}')


def facts_query(qids: Iterable[str], provinces: Iterable[str]) -> str:
    items = " ".join(str(ox.NamedNode(WD + q)) for q in qids)
    places = " ".join(str(ox.NamedNode(WD + q)) for q in sorted(provinces)) or "UNDEF"
    return (PREFIXES + "SELECT ?item ?what ?value WHERE {\n  VALUES ?item { " + items + " }\n"
            '  { ?item wdt:P31 ?value . BIND("P31" AS ?what) }\n'
            '  UNION { ?item wdt:P17 ?value . BIND("P17" AS ?what) }\n'
            "  UNION { VALUES ?value { " + places + " } ?item wdt:P131+ ?value . "
            'BIND("P131" AS ?what) }\n'
            '  UNION { ?item rdfs:label ?value . BIND("label" AS ?what) '
            'FILTER(LANG(?value) IN ("zh", "zh-hans", "zh-cn", "zh-hant", "en")) }\n'
            '  UNION { ?item schema:description ?value . BIND("description" AS ?what) '
            'FILTER(LANG(?value) = "en") }\n}')


def find(endpoint: Endpoint, owners: Sequence[Owner], provinces: Iterable[str], *,
         batch: int = 50) -> dict[str, list[Candidate]]:
    """Candidates per owner IRI (owners without any are left out)."""
    provinces = sorted(set(provinces))
    found: dict[str, dict[str, Candidate]] = {}
    for group in batches(owners, batch):
        wanted: dict[ox.Literal, list[Owner]] = {}
        for owner in group:
            for lit in spellings(owner.name):
                wanted.setdefault(lit, []).append(owner)
        new: list[Candidate] = []
        for row in endpoint.select(label_query(wanted)):
            qid = _qid(row["item"]["value"])
            if qid is None:
                continue
            lit = ox.Literal(row["label"]["value"], language=row["label"].get("xml:lang", ""))
            for owner in wanted.get(lit, []):
                per = found.setdefault(owner.iri, {})
                cand = Candidate(qid, lit.value, row["how"]["value"])
                if qid not in per or _rank(owner, cand) > _rank(owner, per[qid]):
                    per[qid] = cand
                    new.append(cand)
        _facts(endpoint, new, provinces, batch)
    return {iri: list(per.values()) for iri, per in found.items()}


def _rank(owner: Owner, cand: Candidate) -> tuple[bool, bool]:
    """Which of two spellings of one item to keep: the owner's own name, then a label."""
    return names.simplified(cand.matched) == names.simplified(owner.name), cand.how == "label"


def _facts(endpoint: Endpoint, cands: list[Candidate], provinces: list[str],
           batch: int) -> None:
    by_qid: dict[str, list[Candidate]] = {}
    for cand in cands:
        by_qid.setdefault(cand.qid, []).append(cand)
    for group in batches(sorted(by_qid), batch):
        for row in endpoint.select(facts_query(group, provinces)):
            qid = _qid(row["item"]["value"])
            what, value = row["what"]["value"], row["value"]
            for cand in by_qid.get(qid or "", []):
                _add(cand, what, value)


def _add(cand: Candidate, what: str, value: dict[str, str]) -> None:
    if what == "label":
        cand.labels.append((value["value"], value.get("xml:lang", "")))
    elif what == "description":
        cand.description = value["value"]
    else:
        qid = _qid(value["value"])
        if qid is not None:
            {"P31": cand.classes, "P17": cand.countries, "P131": cand.provinces}[what].add(qid)


def _qid(iri: str) -> str | None:
    return iri[len(WD):] if iri.startswith(WD) else None
