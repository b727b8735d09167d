"""``/patents``: the patents behind a count, the drill-down of the dashboard and canned queries.

``/patents?region=CN-SN&year=2024&high_value=true&criterion=sei&sort=-filing&page=2`` lists the
patents that :func:`kg.indicators.patents.behind` finds (the rules of the indicator's count): a
page of :data:`PAGE` rows for a browser, sortable by each column (``sort=NAME`` or ``-NAME``),
each row linking to the patent's explanation at the as-of date; the whole list, in that order,
as CSV or JSON (``format=`` or ``Accept``). ``year=Y`` is the indicator's as-of date
``Y-12-31``; ``as_of=D`` any date. ``high_value`` is ``true`` (default), ``false`` (valid,
domestic, not high-value) or ``any`` (every valid, domestic invention patent); ``industry=1.5``
those whose SEI evidence falls in that strategic emerging industry (or below it); ``met=2`` (or
``3+``) those meeting that many criteria, ``criteria=award;sei`` those meeting exactly these,
``owner=O1`` those an owner holds in any position, ``domestic=any`` (or ``false``) foreign
patents too: the counts of ``criteria-count``, ``criteria-combinations`` and ``top-owners``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request, url_for

from kg import (
    DEFAULT_AS_OF,
    NATION,
    InputError,
    classification_complete,
    classification_iri,
    find_patents,
    mint,
    parse_date,
    patents_page,
    profile_name,
)
from web import labels, limits, negotiate, spreadsheet
from web.errors import clip
from web.service import service

bp = Blueprint("listing", __name__)

PAGE = 50
DOWNLOADS = {"csv": "text/csv", "json": "application/json"}
HIGH_VALUE = {"true": True, "false": False, "any": None}
FILTERS = ("region", "criterion", "high_value", "industry", "met", "criteria", "owner",
           "domestic")
OWNER_NAME = "SELECT ?owner ?name WHERE { ?owner <http://xmlns.com/foaf/0.1/name> ?name }"
COLUMNS = ("patent_id", "title", "first_owner", "region", "region_label", "filing_date",
           "criteria", "explanation")


def url(**filters: Any) -> str:
    """The list's URL for ``filters`` (region, year or as_of, criterion, high_value, ...)."""
    return url_for("listing.patents", **{k: v for k, v in filters.items() if v not in (None, "")})


@bp.route("/patents")
def patents() -> Response:
    fmt = negotiate.download(request.args.get("format"), request.accept_mimetypes,
                             DOWNLOADS) or "html"
    filters = _filters()
    sort, descending = _sort()
    page = _page()
    listed = _list(filters, sort, descending, None if fmt != "html" else page)
    if fmt == "csv":
        return _download(spreadsheet.write(_cells(listed)), "csv")
    if fmt == "json":
        return _download(json.dumps(_json(listed, filters), ensure_ascii=False, indent=1), "json")
    pages = max(1, -(-listed.total // PAGE))
    args = {k: v for k, v in request.args.items() if k not in ("page", "format", "lang")}
    html = render_template(
        "patents.html", listed=listed, filters=filters, region_name=labels.region(
            filters["region"]), region_names=labels.regions(), criteria=labels.criteria(),
        industries=labels.industries() if filters["industry"] else {},
        owner_name=_owner_name(filters["owner"]), combination=_combination(filters["criteria"]),
        sort=sort, descending=descending, page=page, pages=pages, args=args,
        downloads={f: url_for("listing.patents", **{**args, "format": f})  # type: ignore[arg-type]
                   for f in ("csv", "json")})
    return Response(html, mimetype="text/html")


def _filters() -> dict[str, Any]:
    args = request.args
    region = args.get("region") or NATION
    if args.get("as_of"):
        try:
            day = parse_date(args["as_of"])
        except ValueError as exc:
            raise InputError(f"parameter 'as_of': {exc}") from None
    else:
        raw = args.get("year") or str(date.fromisoformat(DEFAULT_AS_OF).year)
        if not raw.isdigit() or not 1900 <= int(raw) <= 2200:
            raise InputError(f"parameter 'year': {clip(raw)} is not a year")
        day = date(int(raw), 12, 31)
    limits.check_day(day)
    flags = {}
    for name in ("high_value", "domestic"):
        flag = args.get(name, "true")
        if flag not in HIGH_VALUE:
            raise InputError(f"parameter {name!r} must be true, false or any, got {clip(flag)}")
        flags[name] = HIGH_VALUE[flag]
    return {"region": region, "as_of": day, **flags,
            **{name: args.get(name) or None
               for name in ("criterion", "industry", "met", "criteria", "owner")}}


def _sort() -> tuple[str, bool]:
    raw = request.args.get("sort") or "patent"
    return raw.removeprefix("-"), raw.startswith("-")


def _page() -> int:
    raw = request.args.get("page") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise InputError(f"parameter 'page' must be a number from 1, got {clip(raw)}")
    return int(raw)


def _list(filters: dict[str, Any], sort: str, descending: bool, page: int | None) -> Any:
    """A page of the list (all of it with ``page=None``). The list itself is kept in the
    service's cache (dropped when the store changes): the next page, another language or the
    download do not search again."""
    svc = service()
    profile = str(svc.settings["profile"])
    key = ("patent list", profile, filters["as_of"], *(filters[k] for k in FILTERS), sort,
           descending)
    found = svc.cache.get(key)  # one read: another page may clear the cache at any time
    stored = classification_complete(svc.store(), classification_iri(
        svc.base, profile_name(profile), filters["as_of"]))
    if found is None:
        # a date not classified yet is a classification of the whole store: computed first
        # (queued on disk: web.computations), as a patent page's
        found = svc.computed(key, "patent list", lambda store: find_patents(
            store, filters["as_of"], profile=svc.profile(), base=svc.base, sort=sort,
            descending=descending, **{k: filters[k] for k in FILTERS}), computes=not stored)
    with svc.deriving() as store:
        listed = patents_page(store, found, profile=svc.profile(),
                              offset=0 if page is None else (page - 1) * PAGE,
                              limit=None if page is None else PAGE)
    svc.cache[key] = found
    return listed


def _combination(criteria: str | None) -> str:
    """The names of the criteria of a ``criteria=`` filter, in the language of the data."""
    names = labels.criteria()
    return ", ".join(names.get(k, k) for k in (criteria or "").split(";") if k)


def _owner_name(owner: str | None) -> str:
    """The name of the owner a list is filtered by (its id when it has none)."""
    if owner is None:
        return ""
    svc = service()
    rows = svc.store().select(OWNER_NAME, {"owner": ox.NamedNode(mint(svc.base, "owner", owner))})
    return str(rows[0]["name"].value) if rows else owner


def explanation(patent_id: str, as_of: date) -> str:
    """The patent's page with its explanation at ``as_of``."""
    return url_for("patents.resource", kind="patent", rest=patent_id, as_of=as_of.isoformat())


def _cells(listed: Any) -> Any:
    names = labels.regions()
    yield list(COLUMNS)
    for r in listed.rows:
        yield [r.patent_id, r.title, r.owner_name, r.region, names.get(r.region, ""),
               r.filing_date, ";".join(r.criteria),
               request.host_url.rstrip("/") + explanation(r.patent_id, listed.as_of)]


def _json(listed: Any, filters: dict[str, Any]) -> dict[str, Any]:
    rows = [dict(zip(COLUMNS, cells, strict=True)) for cells in list(_cells(listed))[1:]]
    for row in rows:
        row["criteria"] = row["criteria"].split(";") if row["criteria"] else []
    return {"region": filters["region"], "as_of": listed.as_of.isoformat(),
            **{k: filters[k] for k in FILTERS if k != "region"}, "total": listed.total,
            "rows": rows}


def _download(body: str, fmt: str) -> Response:
    response = Response(body, mimetype=DOWNLOADS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="patents.{fmt}"'
    return response
