"""Summary pages of a region, an owner and an SEI industry: what an analyst asks of each, with
the raw triples one click away (``?view=triples``).

* region (``/region/CN-GD``): its indicator series against the nation's, its top owners, its
  high-value patents by criterion and by SEI industry at ``?as_of=``, its links out (Wikidata,
  GeoNames);
* owner (``/owner/O1``): its high-value patents at each year end, its invention patents with their
  status and criteria at ``?as_of=`` (``?page=``, :data:`PAGE` a page), its links;
* SEI industry (``/sei/1.5``): its high-value patents by region at ``?as_of=``, its narrower and
  broader categories, the IPC patterns of the concordance that lead into it.

Every figure comes from a query of ``kg/queries/summary/`` run as the canned queries are
(:func:`kg.canned.run`: parameters bound by the engine, the derived graphs it reads computed on
first use, the answer kept beside the store's generation by :mod:`kg.answers`), so a page asked
again reads its answers back. A page's answers not kept yet are computed together as one
computation (:meth:`web.service.Service.computed`): queued on an on-disk store, the page saying
meanwhile that it is being computed (an aggregate over a province's patents takes seconds at
a million patents), at once in memory. An owner's series reads the profile's timeline (each
patent's high-value period), not a classification per year end.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pyoxigraph as ox
from flask import render_template, request

from kg import (
    HVP_NS,
    OWL,
    QUERY_DIR,
    RDFS,
    SKOS,
    InputError,
    LocalStore,
    QueryResult,
    Word,
    load_query,
    run_query,
)
from web.i18n import data_language
from web.service import service

SUMMARY = QUERY_DIR / "summary"
KINDS = ("region", "owner", "sei")
#: Patents a page of an owner's list shows.
PAGE = 50
#: The year ends of the series (those the indicators are computed for).
YEARS = range(2020, 2025)
_LABELS = (str(SKOS.prefLabel), str(RDFS.label), "http://xmlns.com/foaf/0.1/name")
_CRITERIA = ("sei", "overseas", "maintained", "pledge", "award")
#: The ontology's term of each criterion (its label names it on an owner's page).
_CRITERION_TERMS = {"sei": "SEICriterion", "overseas": "OverseasCriterion",
                    "maintained": "MaintainedCriterion", "pledge": "PledgeCriterion",
                    "award": "AwardCriterion"}


def wanted(kind: str, iri: str) -> bool:
    """Whether the HTML answer at ``iri`` is a summary (else the raw triples' page)."""
    if kind not in KINDS or request.args.get("view") == "triples":
        return False
    return kind != "sei" or not iri.endswith("/")  # the scheme itself: its triples


def page(kind: str, iri: str, triples: list[ox.Triple], as_of: str) -> str:
    subject = ox.NamedNode(iri)
    facts = [(t.predicate.value, t.object) for t in triples if t.subject == subject]
    links_out = sorted(o.value for p, o in facts
                       if p == str(OWL.sameAs) and isinstance(o, ox.NamedNode))
    common = {"iri": iri, "kind": kind, "as_of": as_of, "links_out": links_out,
              "title": labels_in([iri]).get(iri, iri.rsplit("/", 1)[-1]),
              "code": iri.rstrip("/").rsplit("/", 1)[-1],
              "triples_url": f"{request.path}?view=triples"}
    if kind == "region":
        return render_template("region.html", **common, **_region(iri, as_of))
    if kind == "owner":
        return render_template("owner.html", **common, **_owner(iri, facts, as_of))
    return render_template("industry.html", **common, **_industry(iri, facts, as_of))


def _region(iri: str, as_of: str) -> dict[str, Any]:
    code = iri.rsplit("/", 1)[-1]
    params = {"region": code, "date": as_of}
    asks: dict[str, tuple[str, dict[str, str]]] = {
        "nation": ("region-series", {"region": "CN"}),
        "criteria": ("region-criteria", params), "industries": ("region-industries", params),
        "owners": ("region-owners", params)}
    if code != "CN":
        asks["series"] = ("region-series", {"region": code})
    found = _answers("region", iri, asks)
    national = {_int(r["year"]): r for r in found["nation"].rows}
    rows = [{"year": _int(r["year"]), "count": _int(r["high_value_count"]),
             "population": _int(r["population"]), "per_10k": _float(r["per_10k"]),
             "national": _float(national[_int(r["year"])]["per_10k"])
             if _int(r["year"]) in national else None}
            for r in found.get("series", found["nation"]).rows]
    criteria = found["criteria"]
    total = next((_int(r["patents"]) for r in criteria.rows if _value(r["code"]) == "all"), 0)
    mix = [{"iri": _value(r["criterion"]), "code": _value(r["code"]),
            "patents": _int(r["patents"])} for r in criteria.rows if _value(r["code"]) != "all"]
    mix.sort(key=lambda m: (_CRITERIA.index(m["code"]) if m["code"] in _CRITERIA else 9))
    industries = [{"iri": _value(r["industry"]), "code": _value(r["code"]),
                   "patents": _int(r["patents"])} for r in found["industries"].rows]
    owners = [{"iri": _value(r["owner"]), "name": _value(r["name"]),
               "patents": _int(r["high_value"])} for r in found["owners"].rows]
    labels = labels_in([m["iri"] for m in mix] + [i["iri"] for i in industries])
    return {"series": rows, "total": total, "mix": mix, "industries": industries,
            "owners": owners, "labels": labels, "nation": code == "CN"}


def _owner(iri: str, facts: list[tuple[str, Any]], as_of: str) -> dict[str, Any]:
    found = _answers("owner", iri, {
        "periods": ("owner-periods", {"owner": iri}),
        "patents": ("owner-patents", {"owner": iri, "date": as_of})})
    series = [{"year": y, "patents": _held(found["periods"], date(y, 12, 31))} for y in YEARS]
    patents = found["patents"].rows
    number = _page_number(len(patents))
    shown = patents[(number - 1) * PAGE: number * PAGE]
    rows = [{"iri": _value(r["patent"]), "id": _value(r["id"]), "title": _value(r["title"]),
             "valid": _value(r["valid"]) == "true", "high_value": _value(r["high_value"]) == "true",
             "criteria": _in_order((_value(r["criteria"]) or "").split(";"))}
            for r in shown]
    region = next((o.value for p, o in facts if p == "https://w3id.org/hvp/def#region"), None)
    country = next((o.value for p, o in facts if p == "https://w3id.org/hvp/def#country"), None)
    criteria = {code: labels_in([HVP_NS + name]).get(HVP_NS + name, code)
                for code, name in _CRITERION_TERMS.items()}
    return {"series": series, "patents": rows, "count": len(patents), "criteria": criteria,
            "high_value": sum(1 for r in patents if _value(r["high_value"]) == "true"),
            "page": number, "pages": max(1, -(-len(patents) // PAGE)), "region": region,
            "region_label": labels_in([region]).get(region, "") if region else "",
            "country": country}


def _in_order(codes: list[str]) -> list[str]:
    """Criteria in the profile's order (a ``GROUP_CONCAT`` has none)."""
    return sorted((c for c in codes if c),
                  key=lambda c: (_CRITERIA.index(c) if c in _CRITERIA else 9, c))


def _held(periods: QueryResult, day: date) -> int:
    """How many patents of an owner's high-value periods hold ``day`` (from it on, before the
    day the period ends)."""
    when = day.isoformat()
    return len({_value(r["patent"]) for r in periods.rows
                if _value(r["from"]) <= when and (r["until"] is None or when < r["until"].value)})


def _industry(iri: str, facts: list[tuple[str, Any]], as_of: str) -> dict[str, Any]:
    found = _answers("sei", iri, {
        "regions": ("industry-regions", {"industry": iri, "date": as_of}),
        "patterns": ("industry-concordance", {"industry": iri})})
    regions = [{"iri": _value(r["region"]), "code": _value(r["code"]) or "",
                "patents": _int(r["patents"])} for r in found["regions"].rows]
    patterns = [{"code": _value(r["code"]), "pattern": _value(r["pattern"])}
                for r in found["patterns"].rows]
    narrower = sorted(o.value for p, o in facts if p == str(SKOS.narrower))
    broader = sorted(o.value for p, o in facts if p == str(SKOS.broader))
    labels = labels_in([r["iri"] for r in regions if r["iri"]] + narrower + broader)
    return {"regions": regions, "total": sum(r["patents"] for r in regions),
            "patterns": patterns, "narrower": narrower, "broader": broader, "labels": labels}


def labels_in(iris: list[str]) -> dict[str, str]:
    """Each thing's name in the page's data language (``skos:prefLabel``, ``rdfs:label`` or
    ``foaf:name``), else in any language; read through the store's index, one thing at a
    time (a join with every label triple reads them all)."""
    store, language = service().store(), data_language()
    found: dict[str, tuple[int, str]] = {}
    for iri in dict.fromkeys(iris):
        for rank, predicate in enumerate(_LABELS):
            for quad in store.quads(ox.NamedNode(iri), ox.NamedNode(predicate), None, None):
                literal = quad.object
                if not isinstance(literal, ox.Literal):
                    continue
                score = rank + (0 if literal.language == language else 10)
                if iri not in found or score < found[iri][0]:
                    found[iri] = (score, literal.value)
    return {iri: label for iri, (_, label) in found.items()}


def _answers(kind: str, iri: str, asks: Mapping[str, tuple[str, dict[str, str]]]
             ) -> dict[str, QueryResult]:
    """The answers of a page's queries (label -> (query name, parameters)): read back when
    kept; else all computed by one computation, queued on disk (the page says it is being
    computed) and kept, so the page's next request reads them."""
    svc = service()
    profile = str(svc.settings["profile"])
    key = ("summary", profile, kind, iri,
           tuple((label, name, tuple(sorted(params.items())))
                 for label, (name, params) in sorted(asks.items())))
    return svc.computed(key, Word("summary page"), lambda store: {  # type: ignore[no-any-return]
        label: _run(store, name, params, profile, svc.base)
        for label, (name, params) in asks.items()})


def _run(store: LocalStore, name: str, params: dict[str, str], profile: str, base: str
         ) -> QueryResult:
    """A summary query's answer (the region series: the canned query's, over the cube's
    years)."""
    if name == "region-series":
        return run_query(store, load_query(name, QUERY_DIR),
                         {"from": str(YEARS[0]), "to": str(YEARS[-1]), **params},
                         base=base, profile=profile)
    return run_query(store, load_query(name, SUMMARY), params, base=base, profile=profile)


def _page_number(count: int) -> int:
    raw = request.args.get("page") or "1"
    pages = max(1, -(-count // PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= pages:
        raise InputError("parameter 'page': a page from 1 to %(pages)s", pages=pages)
    return int(raw)


def _value(term: Any) -> Any:
    return None if term is None else term.value


def _int(term: Any) -> int:
    return int(term.value) if term is not None else 0


def _float(term: Any) -> float | None:
    return float(term.value) if term is not None else None
