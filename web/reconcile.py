"""``/reconcile``: the W3C Entity Reconciliation CG's Reconciliation Service API, version 0.2.

What OpenRefine speaks: ``GET /reconcile`` (no parameters) is the service manifest;
``queries=`` (a JSON reconciliation query batch, in the query string or a form-encoded POST)
gets a result batch; ``/reconcile/suggest/entity?prefix=&cursor=`` auto-completes;
``/reconcile/preview?id=`` is an HTML summary for an ``<iframe>``; ``/reconcile/view/{id}``
goes to the thing's own page; ``extend=`` and ``/reconcile/properties`` are the data extension
service (:mod:`web.extension`: patent counts, high-value patent counts at a date, region,
Wikidata item). Every answer allows cross-origin reads (the app's ``cors``
setting, ``*`` by default, as the spec asks) and takes a ``callback=`` for JSONP.

Entities are owners and patents. An entity's id is its IRI without the base (``owner/O0000001``,
``patent/CN-T01``), so the manifest's ``identifierSpace`` (the base) followed by the id is the
IRI. Owners are found by name through an in-process index built from the store once per app and
again after a write of data through the app, not after a computation's derived graphs
(:class:`kg.link.index.OwnerIndex`, the same name normalization as ``hvp link``); patents by
number, or by exact title through a bounded, indexed lookup (``LIMIT``). Constraints:
``properties`` with ``pid`` ``region`` (``CN-GD``) or ``country`` (``CN``) for owners.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from kg import (
    InputError,
    NotFound,
    OwnerEntry,
    OwnerIndex,
    Word,
    data_ident,
    mint,
    name_key,
    parse_iri,
    simplified_name,
)
from web import extension
from web.errors import Problem
from web.extension import ALIASES, OWNER, PATENT
from web.service import service

bp = Blueprint("reconcile", __name__, url_prefix="/reconcile")

TYPES = {OWNER: "Owner (patent holder)", PATENT: "Patent"}
BATCH_SIZE = 100
DEFAULT_LIMIT = 5
MAX_LIMIT = 50
EXACT, SAME_KEY, PREFIX = 100.0, 90.0, 50.0
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
_PATENT_BY_TITLE = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?p ?title WHERE { ?p dcterms:title ?title } LIMIT 50"""
_PATENT_FACTS = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?p ?id ?title WHERE { ?p dcterms:identifier ?id OPTIONAL { ?p dcterms:title ?title } }
LIMIT 1"""
_OWNER_PATENTS = """PREFIX hvp: <https://w3id.org/hvp/def#>
SELECT ?o (COUNT(?p) AS ?n) WHERE { ?p hvp:owner ?o } GROUP BY ?o"""
_SAME_AS = """PREFIX owl: <http://www.w3.org/2002/07/owl#>
SELECT ?o ?wd WHERE { GRAPH ?g { ?o owl:sameAs ?wd } } LIMIT 5"""


@dataclass
class Query:
    text: str
    types: list[str]
    limit: int
    properties: dict[str, list[str]]


# --- the app's index -------------------------------------------------------------------------
def owner_index() -> OwnerIndex:
    """The app's owner index, kept in ``app.extensions`` with the data it was built from
    (:func:`_built_from`): built on first use, and again on the first use after the data
    changed while the app runs (``/update``, ``/store``: in the app, or switched in by its
    writer process as a new generation). Building it reads every owner (seconds at a million
    patents): it is a queued computation (:mod:`web.computations`), which the request waits
    for at most ``compute_wait`` seconds (while fewer than ``computing`` others wait) before it
    answers 503 "being computed" with ``Retry-After``, on disk as in memory."""
    svc = service()
    store = svc.store()
    version = _built_from(store)  # read before: a write meanwhile builds again
    kept = current_app.extensions.get("hvp-reconcile")
    if kept is not None and kept[0] == version:
        return kept[1]  # type: ignore[no-any-return]
    extensions = current_app.extensions

    def build() -> OwnerIndex:
        index = OwnerIndex.build(store)
        extensions["hvp-reconcile"] = (version, index)
        return index

    with svc.computing.held() as free:  # as a page of an in-memory store waits (web.service)
        wait = float(svc.settings.get("compute_wait", 0.0)) if free else 0.0
        return svc.computations.result(  # type: ignore[no-any-return]
            ("owner index", version), Word("the owner index"), build, wait=wait)


def _built_from(store: Any) -> tuple[str, int]:
    """What the owner index was built from: the identity of the data of the generation opened
    (:func:`kg.data_ident`: kept by the generations that a computation switches in, which
    write derived graphs only; a store without generations: its path) and its data writes.
    Building it reads every owner (seconds at a million patents)."""
    if store.path is None:
        return "", store.data_writes
    return data_ident(store.path) or os.path.realpath(store.path), store.data_writes


# --- answers ---------------------------------------------------------------------------------
def _answer(body: Any) -> Response:
    """JSON, or JSONP when the request has ``callback``."""
    text = json.dumps(body, ensure_ascii=False)
    callback = request.values.get("callback")
    if callback is None:
        return Response(text, mimetype="application/json")
    if not _CALLBACK.match(callback) or len(callback) > 100:
        raise InputError("callback %(callback)r is not a JavaScript function name",
                         callback=callback[:100])
    return Response(f"/**/{callback}({text});", mimetype="application/javascript")


def _root() -> str:
    return request.url_root.rstrip("/")


@bp.route("", methods=["GET", "POST"], strict_slashes=False)
def reconcile() -> Response:
    extend = request.values.get("extend")
    if extend is not None:
        return _answer(extension.extend(_json(extend, "extend")))
    raw = request.values.get("queries")
    if raw is None:
        return _answer(manifest())
    return _answer(run_batch(raw))


@bp.route("/properties")
def properties() -> Response:
    """Data extension property proposals for a type."""
    limit = request.args.get("limit")
    if limit is not None and not (limit.isdigit() and int(limit) > 0):
        raise InputError("limit must be a positive integer")
    return _answer(extension.propose(request.args.get("type", ""),
                                     int(limit) if limit else None))


def _json(raw: str, name: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InputError("%(name)s is not JSON: %(engine)s", name=name, engine=str(exc)) from None


def manifest() -> dict[str, Any]:
    root = _root()
    return {
        "versions": ["0.2"],
        "name": "hvp-kg: owners and patents",
        "identifierSpace": service().base,
        "schemaSpace": "https://w3id.org/hvp/def#",
        "documentation": f"{root}/",
        "serviceVersion": _version(),
        "defaultTypes": [{"id": t, "name": n} for t, n in TYPES.items()],
        "view": {"url": f"{root}/reconcile/view/{{{{id}}}}"},
        "preview": {"url": f"{root}/reconcile/preview?id={{{{id}}}}", "width": 400,
                    "height": 160},
        "suggest": {"entity": {"service_url": root,
                               "service_path": "/reconcile/suggest/entity"}},
        "extend": extension.metadata(root),
        "batchSize": BATCH_SIZE,
    }


def _version() -> str:
    try:
        return version("hvp-kg")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


# --- reconciliation queries ------------------------------------------------------------------
def run_batch(raw: str) -> dict[str, Any]:
    batch = _json(raw, "queries")
    if not isinstance(batch, dict):
        raise InputError("queries must be a JSON object of reconciliation queries by key")
    if len(batch) > BATCH_SIZE:
        raise Problem(413, "Batch too large", "%(count)s queries in one batch; the manifest's "
                                              "batchSize is %(batch_size)s",
            params={"count": len(batch), "batch_size": BATCH_SIZE})
    queries = {str(k): _query(str(k), v) for k, v in batch.items()}
    return {k: {"result": candidates(q)} for k, q in queries.items()}


def _query(key: str, body: object) -> Query:
    where = Word("query %(key)r", key=key)
    if not isinstance(body, dict):
        raise InputError("%(where)s must be an object", where=where)
    unknown = set(body) - {"query", "type", "limit", "properties", "type_strict"}
    if unknown:
        raise InputError("%(where)s: unknown fields %(unknown)s",
                         where=where, unknown=sorted(unknown))
    text = body.get("query", "")
    if not isinstance(text, str):
        raise InputError("%(where)s: query must be a string", where=where)
    types = body.get("type", [])
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise InputError("%(where)s: type must be a string or a list of strings", where=where)
    limit = body.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 1 \
            or int(limit) != limit:
        raise InputError("%(where)s: limit must be a positive integer", where=where)
    props = _properties(where, body.get("properties", []))
    if not text.strip() and not props:
        raise InputError("%(where)s: give a non-empty query or properties", where=where)
    return Query(text.strip(), [ALIASES.get(t, t) for t in types], min(int(limit), MAX_LIMIT),
                 props)


def _properties(where: str, props: object) -> dict[str, list[str]]:
    if not isinstance(props, list):
        raise InputError("%(where)s: properties must be a list", where=where)
    out: dict[str, list[str]] = {}
    for p in props:
        if not isinstance(p, dict) or "pid" not in p or "v" not in p:
            raise InputError("%(where)s: each property needs pid and v", where=where)
        if p["pid"] not in ("region", "country"):
            raise InputError("%(where)s: unknown property %(p)r (region, country)",
                             where=where, p=p['pid'])
        values = p["v"] if isinstance(p["v"], list) else [p["v"]]
        for v in values:
            value = v.get("id") if isinstance(v, dict) else v
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise InputError("%(where)s: a value of %(p)s must be a string or an id",
                                 where=where, p=p['pid'])
            out.setdefault(p["pid"], []).append(_region_code(str(value)))
    return out


def _region_code(value: str) -> str:
    """``CN-GD`` from ``CN-GD``, ``region/CN-GD`` or the region's IRI."""
    value = value.strip()
    return value.rsplit("/", 1)[-1].upper()


def candidates(q: Query) -> list[dict[str, Any]]:
    want_owner = not q.types or OWNER in q.types
    want_patent = not q.types or PATENT in q.types
    out: list[dict[str, Any]] = []
    if want_owner:
        out += _owner_candidates(q)
    if want_patent and q.text:
        out += _patent_candidates(q)
    out.sort(key=lambda c: (-c["score"], c["id"]))
    return out[: q.limit]


def _owner_candidates(q: Query) -> list[dict[str, Any]]:
    index = owner_index()
    scored: list[tuple[float, OwnerEntry, list[dict[str, Any]]]] = []
    given = q.text
    by_id = index.by_id.get(given.removeprefix("owner/"))
    found = [by_id] if by_id else index.exact(given) if given else []
    for e in found:
        exact = e.name == given or simplified_name(e.name) == simplified_name(given) \
            or e is by_id
        scored.append((EXACT if exact else SAME_KEY, e,
                       [{"id": "name_exact", "value": bool(exact)}]))
    if given and not found:
        qkey = name_key(given)
        for e in index.prefixed(given, q.limit):
            scored.append((round(PREFIX * len(qkey) / max(len(e.key), 1), 2), e,
                           [{"id": "name_exact", "value": False}]))
    out: list[dict[str, Any]] = []
    for score, e, features in scored:
        score = _constrain(q, e, score, features)
        out.append({"id": _id(e.iri), "name": e.name, "score": score,
                    "description": " · ".join(x for x in (e.region or "", e.country) if x),
                    "type": [{"id": OWNER, "name": TYPES[OWNER]}], "features": features,
                    "match": False})
    top = [c for c in out if c["score"] >= SAME_KEY]
    if len(top) == 1:
        top[0]["match"] = True
    return out


def _constrain(q: Query, e: OwnerEntry, score: float,
               features: list[dict[str, Any]]) -> float:
    for pid, actual in (("region", e.region), ("country", e.country)):
        if pid in q.properties:
            ok = (actual or "").upper() in q.properties[pid]
            features.append({"id": pid, "value": ok})
            if not ok:
                score -= 40
    return max(score, 0.0)


def _patent_candidates(q: Query) -> list[dict[str, Any]]:
    store = service().store()
    base = service().base
    hits: list[tuple[float, str]] = []
    number = q.text.removeprefix("patent/")
    iri = ox.NamedNode(mint(base, "patent", number))
    if store.ask("ASK { ?p a ?t }", {"p": iri}):
        hits.append((EXACT, iri.value))
    else:
        for row in store.select(_PATENT_BY_TITLE, {"title": ox.Literal(q.text)}):
            hits.append((SAME_KEY, row["p"].value))
    out = []
    for score, p in hits[: q.limit]:
        facts = store.select(_PATENT_FACTS, {"p": ox.NamedNode(p)})
        name = facts[0]["title"].value if facts and "title" in facts[0] else _id(p)
        ident = facts[0]["id"].value if facts and "id" in facts[0] else _id(p)
        out.append({"id": _id(p), "name": name, "description": ident, "score": score,
                    "type": [{"id": PATENT, "name": TYPES[PATENT]}],
                    "features": [{"id": "number" if score == EXACT else "title",
                                  "value": True}],
                    "match": score == EXACT or len(hits) == 1})
    return out


def _id(iri: str) -> str:
    return iri[len(service().base):] if iri.startswith(service().base) else iri


# --- suggest, preview, view ------------------------------------------------------------------
@bp.route("/suggest/entity")
def suggest_entity() -> Response:
    prefix = request.args.get("prefix", "")
    try:
        cursor = int(request.args.get("cursor", "0") or 0)
    except ValueError:
        raise InputError("cursor must be an integer") from None
    if cursor < 0:
        raise InputError("cursor must not be negative")
    index = owner_index()
    entries = index.prefixed(prefix, 10, cursor)
    by_id = index.by_id.get(prefix.strip().removeprefix("owner/"))
    if by_id and cursor == 0 and by_id not in entries:
        entries.insert(0, by_id)
    return _answer({"result": [
        {"id": _id(e.iri), "name": e.name,
         "description": " · ".join(x for x in (e.region or "", e.country) if x),
         "notable": [{"id": OWNER, "name": TYPES[OWNER]}]} for e in entries]})


def _thing(entity: str) -> tuple[str, str, str]:
    """``(kind, local id, IRI)`` of an entity id (``owner/O1``), or 404."""
    base = service().base
    parsed = parse_iri(base, entity if entity.startswith(base) else base + entity)
    if parsed is None or parsed[0] not in ("owner", "patent") or len(parsed[1]) != 1:
        raise NotFound("%(entity)r is not an owner or patent id of this service", entity=entity)
    kind, (local,) = parsed
    return kind, local, mint(base, kind, local)


@bp.route("/preview")
def preview() -> Response:
    entity = request.args.get("id", "")
    kind, local, iri = _thing(entity)
    store = service().store()
    if kind == "owner":
        e = owner_index().by_id.get(local)
        if e is None or e.iri != iri:
            raise NotFound("no owner %(entity)r", entity=entity)
        rows = store.select(_OWNER_PATENTS, {"o": ox.NamedNode(iri)})
        links = [r["wd"].value for r in store.select(_SAME_AS, {"o": ox.NamedNode(iri)})]
        html = render_template("reconcile_preview.html", kind=kind, name=e.name, id=e.id,
                               facts=[("country", e.country), ("region", e.region or "")],
                               patents=int(rows[0]["n"].value) if rows else 0, links=links,
                               page=iri)
    else:
        facts = store.select(_PATENT_FACTS, {"p": ox.NamedNode(iri)})
        if not facts:
            raise NotFound("no patent %(entity)r", entity=entity)
        html = render_template("reconcile_preview.html", kind=kind,
                               name=facts[0]["title"].value if "title" in facts[0] else "",
                               id=facts[0]["id"].value, facts=[], patents=None, links=[],
                               page=iri)
    return Response(html, mimetype="text/html")


@bp.route("/view/<path:entity>")
def view(entity: str) -> Any:
    _, _, iri = _thing(entity)
    return redirect(url_for("home") + iri[len(service().base):], code=303)
