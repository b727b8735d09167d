"""Scoring candidates, and deciding what an owner links to.

The score adds up evidence (weights in :data:`WEIGHTS`, kept in [0, 1] by construction):

- **name**: the owner's name is a label or alias of the item, as written or in the other
  script (0.6); or only their keys agree (:func:`kg.link.names.key`: another legal form, 0.5);
- **country**: the item's P17 is the owner's country (+0.25), or another one (−0.4);
- **province**: the item lies in (P131, any depth) the province the owner is registered in
  (+0.1), or in another province (−0.4); nothing when either is unknown;
- **type**: the item is an organization of a known class (+0.05); the owner's name says
  university / institute / company and the item's classes say otherwise (−0.2).

An owner is *matched* when exactly one candidate reaches the threshold and leads the next by at
least :data:`MARGIN`; *ambiguous* when several reach it (homonyms that the evidence cannot tell
apart); else *unmatched* (possibly with candidates below the threshold). Only a match becomes
``owl:sameAs``; every other candidate is a ``skos:closeMatch``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.link import names
from kg.link.candidates import Candidate, Owner

__all__ = ["WEIGHTS", "MARGIN", "METHOD", "Scored", "Decision", "score", "decide", "COUNTRIES"]

#: Name and version of the method, written into the provenance of every link.
METHOD = "hvp-link-owners/1"
WEIGHTS = {"name": 0.6, "key": 0.5, "country": 0.25, "country-other": -0.4, "province": 0.1,
           "province-other": -0.4, "type": 0.05, "type-other": -0.2}
MARGIN = 0.1
#: ISO 3166-1 alpha-2 -> Wikidata item, for the countries owners come from.
COUNTRIES = {"CN": "Q148", "US": "Q30", "JP": "Q17", "DE": "Q183", "KR": "Q884", "FR": "Q142",
             "CH": "Q39", "GB": "Q145", "NL": "Q55", "SE": "Q34", "FI": "Q33", "IT": "Q38",
             "CA": "Q16", "AU": "Q408", "IN": "Q668", "SG": "Q334", "IL": "Q801", "TW": "Q865",
             "HK": "Q8646", "MO": "Q14773"}
KIND_CLASSES = {
    "university": {"Q3918", "Q875538", "Q902104", "Q23002054", "Q189004"},
    "institute": {"Q31855", "Q1664720", "Q7315155", "Q483242"},
    "company": {"Q4830453", "Q6881511", "Q891723", "Q783794", "Q167037", "Q1589009",
                "Q658255"},
}
ORGANIZATION = set().union(*KIND_CLASSES.values()) | {"Q43229", "Q163740"}


@dataclass
class Scored:
    candidate: Candidate
    score: float
    evidence: list[str]


@dataclass
class Decision:
    owner: Owner
    status: str  # matched | ambiguous | unmatched
    scored: list[Scored]  # best first

    @property
    def match(self) -> Scored | None:
        return self.scored[0] if self.status == "matched" else None


def score(owner: Owner, cand: Candidate) -> Scored:
    evidence: list[str] = []
    total = 0.0

    def add(what: str, why: str) -> None:
        nonlocal total
        total += WEIGHTS[what]
        evidence.append(f"{why} ({WEIGHTS[what]:+.2f})")

    if names.simplified(cand.matched) == names.simplified(owner.name):
        add("name", f"{cand.how} {cand.matched!r} is the name")
    else:
        add("key", f"{cand.how} {cand.matched!r} differs only in legal form or script")
    country = COUNTRIES.get(owner.country)
    if country and cand.countries:
        if country in cand.countries:
            add("country", f"country {country}")
        else:
            add("country-other", f"country {'/'.join(sorted(cand.countries))}, not {country}")
    if owner.region_qid and cand.provinces:
        if owner.region_qid in cand.provinces:
            add("province", f"in {owner.region} ({owner.region_qid})")
        else:
            add("province-other", f"in {'/'.join(sorted(cand.provinces))}, not {owner.region}")
    kind = names.kind(owner.name)
    if kind and cand.classes and kind != "company" and not cand.classes & KIND_CLASSES[kind]:
        add("type-other", f"a {kind} by name, not by class")
    elif cand.classes & ORGANIZATION:
        add("type", "an organization")
    return Scored(cand, round(max(0.0, min(1.0, total)), 4), evidence)


def decide(owner: Owner, cands: list[Candidate], threshold: float) -> Decision:
    scored = sorted((score(owner, c) for c in cands), key=lambda s: (-s.score, s.candidate.qid))
    above = [s for s in scored if s.score >= threshold]
    if not above:
        return Decision(owner, "unmatched", scored)
    if len(above) == 1 and (len(scored) == 1 or scored[0].score - scored[1].score >= MARGIN):
        return Decision(owner, "matched", scored)
    return Decision(owner, "ambiguous", scored)
