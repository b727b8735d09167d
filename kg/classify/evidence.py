"""Evidence: the data items behind each met criterion and each broken validity condition.

Each criterion and validity condition of a profile is one unit (docs/criteria.md) that carries
an ``hvp:evidenceQuery`` (an ``sh:select`` instantiated with the same parameters as the shapes)
and its reasons as templates (``hvp:reasonTemplate``). The query runs once, set-based, in the
store; per patent the smallest row (or the one with the largest ``hvp:evidenceRank`` column)
that a template can describe becomes the evidence, with its reason.

A template is text with ``{name}`` fields, each a column of the row, a profile parameter or
``asOf``; ``{name:local}`` is the last segment of an IRI, ``{name:label}`` the IRI's label in
the template's language (:func:`labels`; an IRI without one: its last segment), ``{name:cny}`` an
amount in CNY (``10,000,000 CNY``; in Chinese ``10,000,000 元``), ``{name:if}`` /
``{name:unless}`` print nothing and require the value to be true (present and not ``false``) /
not. A template applies to a row when all its fields are present; the first template that
applies, in the list's order, gives the reason.

Templates come in each language of the unit (``@en``, ``@zh``) with the same fields, so a row
described in one language is described in the other with the same facts: the classification
stores the English reason (a literal tagged ``@en``) with the evidence, and ``kg.explain`` renders
the row again in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from string import Formatter
from types import MappingProxyType
from typing import NamedTuple

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kg.classify.grouped import ordered
from kg.classify.result_sets import table
from kg.profiles import Profile
from kg.store import Store
from kg.vocab import HVP


class Evidence(NamedTuple):
    """Why one criterion holds (or one validity condition fails) for one patent (immutable; a
    named tuple, as hundreds of thousands are made per run)."""

    key: str
    reason: str
    items: Mapping[str, str] = MappingProxyType({})


def run(store: Store, profile: Profile, shapes: Graph, shape: URIRef,
        bindings: dict | None = None,
        link: URIRef = HVP.evidenceQuery) -> dict[str, list[dict[str, str]]]:
    """Rows of a shape's evidence query (or another query of the unit, ``link``) grouped by
    patent IRI (sorted, smallest first)."""
    query = profile.query(shapes, shape, link)
    if query is None:
        return {}
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in table(store, query, bindings):
        grouped.setdefault(row["this"], []).append(row)
    for rows in grouped.values():
        ordered(rows)
    return grouped


class Reasons:
    """The reason templates of one unit, filled in for one profile at one as-of date."""

    def __init__(self, profile: Profile, shape: URIRef, as_of: date,
                 link: URIRef = HVP.reasonTemplate, lang: str = "en",
                 labels: Mapping[str, str] = MappingProxyType({})) -> None:
        self.lang = lang
        self.templates = [_parsed(t) for t in profile.text(shape, link, lang)]
        self.values = {name: str(v) for name, v in profile.parameters.items()}
        self.values["asOf"] = as_of.isoformat()
        self.labels: Mapping[str, str] = labels  # IRI -> label in ``lang``: ``{name:label}``
        rank = profile.graph.value(shape, HVP.evidenceRank)
        self.rank = str(rank) if rank is not None else None

    def render(self, row: Mapping[str, str]) -> str | None:
        """The reason for one row: the first template whose fields are all present."""
        for parts in self.templates:
            text = _fill(parts, row, self.values, self)
            if text is not None:
                return text
        return None

    def supporting(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """The rows a template describes (a match stopped by an exclusion is not), the one with
        the largest rank column first."""
        kept = [r for r in rows if self.render(r) is not None] if self.templates else rows
        rank = self.rank
        if rank:
            kept.sort(key=lambda r: -Decimal(r[rank] or "0"))
        return kept


@lru_cache(maxsize=256)
def _parsed(template: str) -> tuple[tuple[str, str | None, str], ...]:
    return tuple((literal, field, spec or "")
                 for literal, field, spec, _ in Formatter().parse(template))


def _truthy(value: str | None) -> bool:
    return bool(value) and value != "false"


def _fill(parts: tuple[tuple[str, str | None, str], ...], row: Mapping[str, str],
          values: Mapping[str, str], reasons: Reasons) -> str | None:
    out = []
    for literal, field, spec in parts:
        out.append(literal)
        if field is None:
            continue
        value = row.get(field) or values.get(field) or ""
        if spec == "unless":
            if _truthy(value):
                return None
            continue
        if not value or (spec == "if" and not _truthy(value)):
            return None
        out.append(_FORMATS[spec](value, reasons))
    return "".join(out)


#: The unit of an amount in CNY, by the template's language.
_CURRENCY = {"zh": "元"}


def _cny(amount: str, reasons: Reasons) -> str:
    """An amount as people read it: ``10,000,000 CNY``; cents only when there are some."""
    value = Decimal(amount)
    unit = _CURRENCY.get(reasons.lang, "CNY")
    return f"{value:,.0f} {unit}" if value == value.to_integral_value() \
        else f"{value:,.2f} {unit}"


def _local(iri: str, reasons: Reasons) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


#: The labels of the things a reason names (``{name:label}``: award kinds, SEI industries) and
#: of the kinds of patent, from the store's reference data (a few hundred rows).
_LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?thing ?label ?lang WHERE {
  ?thing skos:prefLabel|rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), ?lang)) }"""


def labels(store: Store, lang: str) -> dict[str, str]:
    """IRI -> its label in ``lang`` (``en``, ``zh``) for :class:`Reasons`."""
    return {row["thing"]: row["label"]
            for row in table(store, _LABELS, {"lang": ox.Literal(lang)})}


def _label(iri: str, reasons: Reasons) -> str:
    return reasons.labels.get(iri) or _local(iri, reasons)


_FORMATS: dict[str, Callable[[str, Reasons], str]] = {
    "": lambda v, r: v, "if": lambda v, r: "", "cny": _cny, "local": _local, "label": _label}


def describe(key: str, rows: list[dict[str, str]], reasons: Reasons) -> Evidence:
    """The evidence for criterion or condition ``key`` from the supporting rows of its query:
    the first one, and when the rows have a ``category`` (SEI) the categories of them all
    (space-separated IRIs), so that a patent counts in each industry its codes are in."""
    items = {k: v for k, v in rows[0].items() if v and k != "this"}
    if "category" in items and len(rows) > 1:
        items["category"] = " ".join(sorted({r["category"] for r in rows}))
    return Evidence(key, reasons.render(rows[0]) or key, items)
