"""Explanations: why one patent is (or is not) high-value at an as-of date.

``explain(store, patent_id, as_of, profile, base) -> Explanation`` reads the materialized
classification graph (computing it first if needed, see :func:`kg.classify.ensure`): whether the
patent is valid, domestic and high-value, and for each criterion of the profile whether it is met,
with the evidence stored in the graph. For a criterion that is not met (or a patent that is not
valid) it adds the shape's ``sh:message`` and the patent's own facts (its IPC codes and any
concordance exclusion that stopped a match, family members, the date the years count from and
the years held, pledges, awards). All of it comes from the criterion's unit (docs/criteria.md):
its label, its ``sh:message``, its ``hvp:factsQuery`` and its ``hvp:shortfallQuery`` (or
evidence query) with ``hvp:shortfallTemplate``, instantiated with the profile's parameters like
the shape itself.

Every text is in the asked language (``lang``: ``en`` or ``zh``, :data:`LANGUAGES`): labels,
messages and reasons from the unit's texts in that language. The graph records which criteria
are met and which validity conditions are broken; the reason for each is the unit's evidence
row for this patent (its evidence query bound to the patent, the row the classification chose)
through the unit's template in ``lang``, so the stored English reason never decides the language
shown. ``Explanation.to_dict()`` is what the web page and ``hvp explain --format json`` show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kg.classify import ensure
from kg.classify.evidence import Reasons
from kg.classify.evidence import labels as evidence_labels
from kg.classify.result_sets import table
from kg.compile.sparql import prebind_this
from kg.errors import InputError, NotFound
from kg.iri import DEFAULT_BASE, mint
from kg.profiles import DEFAULT_PROFILE, Profile, load
from kg.store import Store
from kg.units import LANGUAGES
from kg.vocab import HVP

_PREFIXES = """PREFIX hvp: <https://w3id.org/hvp/def#>
PREFIX patent: <http://data.epo.org/linked-data/def/patent/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
_KIND = _PREFIXES + "SELECT ?patent ?kind WHERE { ?patent a ?kind . FILTER(?kind != hvp:Patent) }"
_RESULT = _PREFIXES + """SELECT ?patent ?g ?valid ?domestic ?high ?region WHERE {
  GRAPH ?g {
    ?c hvp:patent ?patent ; hvp:valid ?valid ; hvp:domestic ?domestic ; hvp:highValue ?high .
  }
  OPTIONAL { ?patent hvp:firstOwner/hvp:region ?region FILTER(?domestic) }
}"""
_EVIDENCE = _PREFIXES + """SELECT DISTINCT ?patent ?g ?key WHERE {
  GRAPH ?g { ?c hvp:patent ?patent . ?c hvp:evidence|hvp:validityEvidence ?e . }
  BIND(STRAFTER(STR(?e), CONCAT(STR(?c), "/")) AS ?key)
} ORDER BY ?key"""
#: The words of :meth:`Explanation.to_text` that are not the data's or a unit's.
_WORDS = {"en": {"at": "at", "profile": "profile", "valid": "valid", "domestic": "domestic",
                 "high-value": "high-value", True: "yes", False: "no", ";": "; "},
          "zh": {"at": "统计日", "profile": "指标口径", "valid": "有效", "domestic": "国内",
                 "high-value": "高价值", True: "是", False: "否", ";": "；"}}
@dataclass(frozen=True)
class CriterionCheck:
    """One criterion: met or not, why, and the facts looked at."""

    key: str
    label: str
    met: bool
    reasons: list[str]
    facts: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Explanation:
    """Everything ``hvp explain`` and the patent web page show."""

    patent_id: str
    patent: str
    as_of: str
    profile: str
    graph: str
    valid: bool
    domestic: bool
    region: str
    high_value: bool
    validity: list[str]
    criteria: list[CriterionCheck]
    lang: str = "en"

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)

    def to_text(self) -> str:
        """A short human-readable report in the explanation's language."""
        w = _WORDS[self.lang]
        lines = [f"{self.patent_id} {w['at']} {self.as_of} ({w['profile']} {self.profile})",
                 f"  {w['valid']}: {w[self.valid]}" + "".join(f"{w[';']}{r}"
                                                               for r in self.validity),
                 f"  {w['domestic']}: {w[self.domestic]}" + (f" ({self.region})" if self.region
                                                               else ""),
                 f"  {w['high-value']}: {w[self.high_value]}"]
        for check in self.criteria:
            lines.append(f"  [{'x' if check.met else ' '}] {check.key}: {check.label}")
            lines += [f"      {reason}" for reason in check.reasons]
        return "\n".join(lines)


def explain(store: Store, patent_id: str, as_of: date, profile: str | Profile = DEFAULT_PROFILE,
            base: str = DEFAULT_BASE, lang: str = "en") -> Explanation:
    """Explain one patent in ``lang`` (NotFound if the store has no such patent).

    A utility model or design is never high-value: its explanation says so and has no criteria.
    """
    if lang not in LANGUAGES:
        raise InputError("no explanations in %(lang)r: the languages are %(languages)s",
                         lang=lang, languages=', '.join(LANGUAGES))
    prof = profile if isinstance(profile, Profile) else load(profile)
    patent = mint(base, "patent", patent_id)
    kind = _kind(store, patent, patent_id)
    graph = ensure(store, as_of, prof, base)
    labels = evidence_labels(store, lang)
    if kind != HVP.InventionPatent:
        why = Reasons(prof, prof.valid, as_of, HVP.shortfallTemplate, lang).render(
            {"kind": labels.get(str(kind)) or kind.rsplit("#", 1)[-1]})
        return Explanation(patent_id, patent, as_of.isoformat(), prof.name, graph, False, False,
                           "", False, [why or str(kind)], [], lang)
    bound = {"patent": ox.NamedNode(patent), "g": ox.NamedNode(graph)}
    result = table(store, _RESULT, bound)[0]
    stored = {row["key"] for row in table(store, _EVIDENCE, bound)}
    valid = result["valid"] == "true"
    shapes = prof.instantiated(as_of)
    told = _Telling(store, prof, shapes, as_of, patent, lang, labels)
    checks = [told.check(c.key, c.shape, c.key in stored, valid) for c in prof.criteria]
    validity = [told.evidence(key, shape) for key, shape in prof.conditions if key in stored]
    region = result["region"].rsplit("/", 1)[-1] if result["region"] else ""
    return Explanation(patent_id, patent, as_of.isoformat(), prof.name, graph, valid,
                       result["domestic"] == "true", region, result["high"] == "true",
                       validity, checks, lang)


def _kind(store: Store, patent: str, patent_id: str) -> URIRef:
    """hvp:InventionPatent, hvp:UtilityModel or hvp:DesignPatent (NotFound for an unknown
    patent)."""
    kinds = {row["kind"] for row in table(store, _KIND, {"patent": ox.NamedNode(patent)})}
    if not kinds:
        raise NotFound("no patent %(patent_id)r in the store", patent_id=patent_id)
    for kind in (HVP.InventionPatent, HVP.UtilityModel, HVP.DesignPatent):
        if str(kind) in kinds:
            return kind
    raise NotFound("%(patent_id)r is not a patent of the store", patent_id=patent_id)


class _Telling:
    """The texts of one patent's explanation in one language, from the profile's units."""

    def __init__(self, store: Store, prof: Profile, shapes: Graph, as_of: date, patent: str,
                 lang: str, labels: dict[str, str]) -> None:
        self.store, self.prof, self.shapes, self.as_of = store, prof, shapes, as_of
        self.this = {"this": ox.NamedNode(patent)}
        self.lang, self.labels = lang, labels

    def rows(self, shape: URIRef, *links: URIRef) -> list[dict[str, str]]:
        """The rows for this patent of the first of the unit's queries ``links`` it has (default
        its evidence query), in an order of their own, not the engine's."""
        query = next((q for link in links or (HVP.evidenceQuery,)
                      if (q := self.prof.query(self.shapes, shape, link))), None)
        rows = table(self.store, prebind_this(query, str(self.this["this"])), self.this) \
            if query else []
        return sorted(rows, key=lambda r: tuple(sorted(r.items())))

    def reasons(self, shape: URIRef, link: URIRef = HVP.reasonTemplate) -> Reasons:
        return Reasons(self.prof, shape, self.as_of, link, self.lang, self.labels)

    def evidence(self, key: str, shape: URIRef) -> str:
        """The reason of a met criterion (or a broken condition): the evidence row the
        classification describes (:meth:`Reasons.supporting` in English, as it ran) in
        ``lang``; the key when no row supports it (a unit without evidence query)."""
        rows = Reasons(self.prof, shape, self.as_of).supporting(self.rows(shape))
        return (self.reasons(shape).render(rows[0]) if rows else None) or key

    def check(self, key: str, shape: URIRef, met: bool, valid: bool) -> CriterionCheck:
        label = self.prof.label(shape, self.lang)
        facts = sorted(({k: v for k, v in row.items() if k != "this" and v}
                        for row in self.rows(shape, HVP.factsQuery)),
                       key=lambda fact: sorted(fact.items()))
        if met:
            return CriterionCheck(key, label, True, [self.evidence(key, shape)], facts)
        if not valid:
            return CriterionCheck(key, label, False, [
                self.reasons(self.prof.valid, HVP.shortfallTemplate).render({}) or ""], facts)
        return CriterionCheck(key, label, False, [self.prof.message(shape, self.lang),
                                                  *self.shortfall(shape)], facts)

    def shortfall(self, shape: URIRef) -> list[str]:
        """Why a criterion is not met, beyond its message: its shortfall query's rows (else its
        evidence query's, e.g. SEI matches an exclusion stopped) through its shortfall
        templates."""
        reasons = self.reasons(shape, HVP.shortfallTemplate)
        if not reasons.templates:
            return []
        rows = self.rows(shape, HVP.shortfallQuery, HVP.evidenceQuery)
        texts = (reasons.render(row) for row in rows)
        return list(dict.fromkeys(t for t in texts if t))
