"""Data extension for ``/reconcile`` (Reconciliation Service API 0.2, "Data Extension Service").

After reconciling a column against owners, OpenRefine's *Add columns from reconciled values*
asks ``/reconcile/properties?type=`` for the properties it may fetch, then POSTs
``extend={"ids": [...], "properties": [{"id": ..., "settings": {...}}]}`` to ``/reconcile``.
Owners offer: ``high_value_patents`` (valid high-value invention patents owned at the setting
``as_of``, default the end of the last complete year of the official series: the classification
at that date is computed once, as the patent pages do), ``patents`` (all patents owned, any kind),
``country``, ``region`` and ``wikidata`` (the items of ``owl:sameAs`` in the links graph, as
text: they are not entities of this service). Patents offer ``title``, ``filing_date`` and
``grant_date``. Values are read by one query per property for all the ids asked (at most
:data:`MAX_IDS`), each id bound as an IRI term, never pasted as text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyoxigraph as ox

from kg import (
    DEFAULT_AS_OF,
    HVP,
    InputError,
    Word,
    classification_complete,
    classification_iri,
    ensure_classification,
    links_graph,
    mint,
    parse_date,
    parse_iri,
    profile_name,
)
from web.errors import Problem
from web.service import service

#: The types of entity the service reconciles (owners and patents), and their short names.
OWNER, PATENT = str(HVP.Owner), str(HVP.Patent)
ALIASES = {"owner": OWNER, "patent": PATENT, "hvp:Owner": OWNER, "hvp:Patent": PATENT}
MAX_IDS = 200
OWNER_PROPERTIES = {
    "high_value_patents": "High-value invention patents (at as_of)",
    "patents": "Patents (all kinds)",
    "country": "Country (ISO 3166-1)",
    "region": "Region (ISO 3166-2)",
    "wikidata": "Wikidata item (owl:sameAs)",
}
PATENT_PROPERTIES = {"title": "Title", "filing_date": "Filing date", "grant_date": "Grant date"}
SETTINGS = [{"name": "as_of", "label": "As of (YYYY-MM-DD)", "type": "text",
             "default": DEFAULT_AS_OF,
             "help_text": "The date at which high-value patents are counted"}]
_PREFIXES = """PREFIX hvp: <https://w3id.org/hvp/def#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX patent: <http://data.epo.org/linked-data/def/patent/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""
QUERIES = {
    "patents": "SELECT ?s (COUNT(?p) AS ?v) WHERE { #S# ?p hvp:owner ?s } GROUP BY ?s",
    "high_value_patents": "SELECT ?s (COUNT(DISTINCT ?p) AS ?v) WHERE { #S# ?p hvp:owner ?s "
                          "GRAPH #G# { ?c hvp:patent ?p ; hvp:highValue true } } GROUP BY ?s",
    "country": "SELECT ?s ?v WHERE { #S# ?s hvp:country ?v }",
    "region": "SELECT ?s ?v WHERE { #S# ?s hvp:region ?r . BIND(STRAFTER(STR(?r), "
              "\"/region/\") AS ?v) }",
    "wikidata": "SELECT ?s ?v WHERE { #S# GRAPH #L# { ?s owl:sameAs ?item } "
                "BIND(STRAFTER(STR(?item), \"http://www.wikidata.org/entity/\") AS ?v) "
                "FILTER(?v != \"\") }",
    "title": "SELECT ?s ?v WHERE { #S# ?s dcterms:title ?v }",
    "filing_date": "SELECT ?s ?v WHERE { #S# ?s patent:filingDate ?v }",
    "grant_date": "SELECT ?s ?v WHERE { #S# ?s hvp:grantDate ?v }",
}
INTEGER = {"patents", "high_value_patents"}
DATES = {"filing_date", "grant_date"}


def metadata(root: str) -> dict[str, Any]:
    """The manifest's ``extend`` field."""
    return {"propose_properties": {"service_url": root, "service_path": "/reconcile/properties"},
            "property_settings": SETTINGS}


def propose(type_id: str, limit: int | None) -> dict[str, Any]:
    kind = ALIASES.get(type_id, type_id)
    table = {OWNER: OWNER_PROPERTIES, PATENT: PATENT_PROPERTIES}.get(kind)
    if table is None:
        raise InputError("type %(type_id)r is not a type of this service (%(owner)s, "
                         "%(patent)s)", type_id=type_id, owner=OWNER, patent=PATENT)
    props = [{"id": k, "name": v} for k, v in table.items()][:limit]
    return {"type": type_id, "properties": props, **({"limit": limit} if limit else {})}


def extend(body: object) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list) \
            or not isinstance(body.get("properties"), list):
        raise InputError("extend must be an object with the lists ids and properties")
    ids = [str(i) for i in body["ids"]]
    if len(ids) > MAX_IDS:
        raise Problem(413, "Too many ids", "%(count)s ids in one extend query; at most "
                                           "%(max_ids)s",
                                           params={"count": len(ids), "max_ids": MAX_IDS})
    props = body["properties"]
    for p in props:
        if not isinstance(p, dict) or p.get("id") not in QUERIES:
            raise InputError("unknown property %(p)r: one of %(queries)s",
                             p=p, queries=sorted(QUERIES))
    subjects = {i: _subject(i) for i in ids}
    rows: dict[str, dict[str, list[dict[str, Any]]]] = {i: {} for i in ids}
    meta = []
    for p in props:
        pid = p["id"]
        meta.append({"id": pid, "name": {**OWNER_PROPERTIES, **PATENT_PROPERTIES}[pid]})
        values = _values(pid, [s for s in subjects.values() if s is not None],
                         p.get("settings") or {})
        for i, s in subjects.items():
            found = values.get(s.value, []) if s is not None else []
            if pid in INTEGER and not found and s is not None:
                found = [0]
            rows[i][pid] = [_cell(pid, v) for v in found]
    return {"meta": meta, "rows": rows}


def _subject(entity: str) -> ox.NamedNode | None:
    """The IRI of an owner or patent id; None for an id this service does not mint."""
    base = service().base
    parsed = parse_iri(base, base + entity)
    if parsed is None or parsed[0] not in ("owner", "patent") or len(parsed[1]) != 1:
        return None
    return ox.NamedNode(mint(base, parsed[0], parsed[1][0]))


def _values(pid: str, subjects: list[ox.NamedNode], settings: dict[str, Any]
            ) -> dict[str, list[Any]]:
    if not subjects:
        return {}

    svc = service()
    text = _PREFIXES + QUERIES[pid].replace(
        "#S#", "VALUES ?s { " + " ".join(str(s) for s in subjects) + " }").replace(
        "#L#", str(links_graph(svc.base)))
    if pid == "high_value_patents":
        as_of = _as_of(settings)
        profile = profile_name(str(svc.settings["profile"]))
        key, graph = ("classification", profile, as_of), classification_iri(svc.base, profile,
                                                                             as_of)
        if not classification_complete(svc.store(), graph) or svc.computations.pending(key):
            # on disk queued for the writer process (503 Being computed), as a patent page's
            svc.computed(key, Word("classification"), lambda store: ensure_classification(
                store, as_of, svc.profile(), svc.base), computes=True)
        text = text.replace("#G#", str(ox.NamedNode(str(graph))))
    out: dict[str, list[Any]] = {}
    for row in svc.store().select(text):
        if "v" in row:
            out.setdefault(row["s"].value, []).append(row["v"].value)
    return out


def _as_of(settings: dict[str, Any]) -> date:
    raw = str(settings.get("as_of") or DEFAULT_AS_OF)
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise InputError("setting as_of: %(exc)s", exc=exc) from None


def _cell(pid: str, value: Any) -> dict[str, Any]:
    if pid in INTEGER:
        return {"int": int(value)}
    if pid in DATES:
        return {"date": f"{value}T00:00:00Z"}
    return {"str": str(value)}
