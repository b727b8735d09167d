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
the shape itself. ``Explanation.to_dict()`` is what the web page and ``hvp explain --format
json`` show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kg.classify import ensure
from kg.classify.evidence import Reasons
from kg.classify.results import table
from kg.errors import NotFound
from kg.iri import DEFAULT_BASE, mint
from kg.profiles import DEFAULT_PROFILE, Profile, load
from kg.store import Store
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
_EVIDENCE = _PREFIXES + """SELECT ?patent ?g ?key ?reason WHERE {
  GRAPH ?g { ?c hvp:patent ?patent . ?c hvp:evidence|hvp:validityEvidence ?e .
             ?e hvp:reason ?reason }
  BIND(STRAFTER(STR(?e), CONCAT(STR(?c), "/")) AS ?key)
} ORDER BY ?key ?reason"""
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

    def to_dict(self) -> dict:
        """Plain JSON-ready data."""
        return asdict(self)

    def to_text(self) -> str:
        """A short human-readable report."""
        flag = {True: "yes", False: "no"}
        lines = [f"{self.patent_id} at {self.as_of} (profile {self.profile})",
                 f"  valid: {flag[self.valid]}" + "".join(f"; {r}" for r in self.validity),
                 f"  domestic: {flag[self.domestic]}" + (f" ({self.region})" if self.region
                                                          else ""),
                 f"  high-value: {flag[self.high_value]}"]
        for check in self.criteria:
            lines.append(f"  [{'x' if check.met else ' '}] {check.key}: {check.label}")
            lines += [f"      {reason}" for reason in check.reasons]
        return "\n".join(lines)


def explain(store: Store, patent_id: str, as_of: date, profile: str | Profile = DEFAULT_PROFILE,
            base: str = DEFAULT_BASE) -> Explanation:
    """Explain one patent (NotFound if the store has no such patent).

    A utility model or design is never high-value: its explanation says so and has no criteria.
    """
    prof = profile if isinstance(profile, Profile) else load(profile)
    patent = mint(base, "patent", patent_id)
    kind = _kind(store, patent, patent_id)
    graph = ensure(store, as_of, prof, base)
    if kind != "InventionPatent":
        return Explanation(patent_id, patent, as_of.isoformat(), prof.name, graph, False, False,
                           "", False, [f"not an invention patent ({kind}): never high-value, "
                                       "not classified"], [])
    bound = {"patent": ox.NamedNode(patent), "g": ox.NamedNode(graph)}
    result = table(store, _RESULT, bound)[0]
    reasons: dict[str, list[str]] = {}
    for row in table(store, _EVIDENCE, bound):
        reasons.setdefault(row["key"], []).append(row["reason"])
    valid = result["valid"] == "true"
    shapes = prof.instantiated(as_of)
    checks = [_check(store, prof, shapes, as_of, patent, c.key, c.shape, reasons.get(c.key),
                     valid) for c in prof.criteria]
    validity = [r for key, _ in prof.conditions for r in reasons.get(key, [])]
    region = result["region"].rsplit("/", 1)[-1] if result["region"] else ""
    return Explanation(patent_id, patent, as_of.isoformat(), prof.name, graph, valid,
                       result["domestic"] == "true", region, result["high"] == "true",
                       validity, checks)


def _kind(store: Store, patent: str, patent_id: str) -> str:
    """InventionPatent, UtilityModel or DesignPatent (NotFound for an unknown patent)."""
    kinds = {row["kind"].rsplit("#", 1)[-1]
             for row in table(store, _KIND, {"patent": ox.NamedNode(patent)})}
    if not kinds:
        raise NotFound(f"no patent {patent_id!r} in the store")
    for kind in ("InventionPatent", "UtilityModel", "DesignPatent"):
        if kind in kinds:
            return kind
    raise NotFound(f"{patent_id!r} is not a patent of the store")


def _check(store: Store, prof: Profile, shapes: Graph, as_of: date, patent: str, key: str,
           shape: URIRef, stored: list[str] | None, valid: bool) -> CriterionCheck:
    label = prof.label(shape)
    this = {"this": ox.NamedNode(patent)}
    query = prof.query(shapes, shape, HVP.factsQuery)
    facts = sorted(({k: v for k, v in row.items() if k != "this" and v}  # in an order of
                    for row in (table(store, query, this) if query else [])),  # their own, not
                   key=lambda fact: sorted(fact.items()))  # the engine's
    if stored:
        return CriterionCheck(key, label, True, stored, facts)
    if not valid:
        return CriterionCheck(key, label, False, ["not counted: the patent is not valid at "
                                                  f"{as_of.isoformat()}"], facts)
    return CriterionCheck(key, label, False, [prof.message(shape), *_shortfall(
        store, prof, shapes, as_of, shape, this)], facts)


def _shortfall(store: Store, prof: Profile, shapes: Graph, as_of: date, shape: URIRef,
               this: dict[str, ox.NamedNode]) -> list[str]:
    """Why a criterion is not met, beyond its message: its shortfall query's rows (else its
    evidence query's, e.g. SEI matches an exclusion stopped) through its shortfall templates."""
    reasons = Reasons(prof, shape, as_of, HVP.shortfallTemplate)
    if not reasons.templates:
        return []
    query = prof.query(shapes, shape, HVP.shortfallQuery) or prof.query(shapes, shape)
    rows = sorted(table(store, query, this), key=lambda r: tuple(sorted(r.items()))) \
        if query else []
    texts = (reasons.render(row) for row in rows)
    return list(dict.fromkeys(t for t in texts if t))
