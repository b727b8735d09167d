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

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

import pyoxigraph as ox
from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from kg import (
    DEFAULT_AS_OF,
    NATION,
    InputError,
    Word,
    check_patent_filters,
    classification_complete,
    classification_iri,
    find_patents,
    is_kept,
    kept_text,
    mint,
    parse_date,
    patents_key,
    patents_page,
    patents_rows,
    profile_name,
)
from web import labels, limits, negotiate, spreadsheet
from web.echo import clip
from web.i18n import data_language
from web.renderer import Elsewhere
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
    if fmt != "html" and service().rendering:  # streamed by the app, not buffered in a worker
        raise Elsewhere("a download of a list: the app's")
    found = _found(filters, sort, descending)
    if fmt != "html":
        return _download(found, filters, fmt)
    listed = _list(found, page)
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


#: The longest value of a parameter of the list (an id, a code, a date: far shorter); the list
#: repeats its parameters (its links, a download's filters), so a longer one is refused.
LONGEST = 200


def _filters() -> dict[str, Any]:
    args = request.args
    for name, value in args.items(multi=True):
        if len(value) > LONGEST:
            raise InputError("parameter %(name)s: at most %(longest)s characters",
                             name=clip(name), longest=LONGEST)
    region = args.get("region") or NATION
    if args.get("as_of"):
        try:
            day = parse_date(args["as_of"])
        except ValueError as exc:
            raise InputError("parameter 'as_of': %(exc)s", exc=exc) from None
    else:
        raw = args.get("year") or str(date.fromisoformat(DEFAULT_AS_OF).year)
        if not raw.isdigit() or not 1900 <= int(raw) <= 2200:
            raise InputError("parameter 'year': %(raw)s is not a year", raw=clip(raw))
        day = date(int(raw), 12, 31)
    limits.check_day(day)
    flags = {}
    for name in ("high_value", "domestic"):
        flag = args.get(name, "true")
        if flag not in HIGH_VALUE:
            raise InputError("parameter %(name)r must be true, false or any, got %(flag)s",
                             name=name, flag=clip(flag))
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
        raise InputError("parameter 'page' must be a number from 1, got %(raw)s", raw=clip(raw))
    return int(raw)


def _found(filters: dict[str, Any], sort: str, descending: bool) -> Any:
    """The list's patents in order (:func:`kg.find_patents`), kept in the service's cache
    (dropped when the store changes) and, on disk, beside the store: the next page, another
    language or the download do not search again. Finding them reads every patent of the
    count (minutes for a province at a million patents, a classification first at a date not
    classified yet): on disk it is a queued computation, the page saying meanwhile that it is
    being computed."""
    svc = service()
    # a wrong filter is a 400 at once, not a queued computation that fails
    check_patent_filters(svc.profile(), sort=sort, **{k: filters[k] for k in FILTERS
                                                      if k not in ("high_value", "domestic")})
    profile = str(svc.settings["profile"])
    key = ("patent list", profile, filters["as_of"], *(filters[k] for k in FILTERS), sort,
           descending)
    found = svc.cache.get(key)  # one read: another page may clear the cache at any time
    if found is None:
        classified = classification_complete(svc.store(), classification_iri(
            svc.base, profile_name(profile), filters["as_of"]))
        if svc.rendering and not classified:
            raise Elsewhere("a list at a date not classified yet: the app's")
        # a list found before is kept beside the store (kg.find_patents) and read back on a
        # read-only view, by a page worker or the app; one not found yet is queued
        found = svc.computed(key, Word("patent list"), lambda store: find_patents(
            store, filters["as_of"], profile=svc.profile(), base=svc.base, sort=sort,
            descending=descending, **{k: filters[k] for k in FILTERS}),
            computes=not svc.rendering and not classified)
    svc.cache[key] = found
    return found


def _list(found: Any, page: int) -> Any:
    """One page of the list: its rows' facts read patent by patent."""
    svc = service()
    with svc.deriving() as store:
        return patents_page(store, found, profile=svc.profile(), offset=(page - 1) * PAGE,
                            limit=PAGE)


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
    return url_for("resources.resource", kind="patent", rest=patent_id, as_of=as_of.isoformat())


def _cells(as_of: date, rows: Iterable[Any], head: str | None = None
           ) -> Iterator[list[str]]:
    """The header and each row's values, as text; ``head``: what the explanation URLs start
    with (by default this server's address as the request names it)."""
    names = labels.regions()
    # the explanation's URL built once, the id put in as the route's converter writes it (a
    # url_for per row was a third of a download's time)
    start, tail = _explanation(as_of)
    head = start if head is None else head
    to_url = current_app.url_map.converters["path"](current_app.url_map).to_url
    yield list(COLUMNS)
    for r in rows:
        yield [r.patent_id, r.title, r.owner_name, r.region, names.get(r.region, ""),
               r.filing_date, ";".join(r.criteria), head + to_url(r.patent_id) + tail]


def _explanation(as_of: date) -> tuple[str, str]:
    """A patent's explanation URL, absolute, before and after its id."""
    head, _, tail = (request.host_url.rstrip("/") + explanation(_MARK, as_of)).partition(_MARK)
    return head, tail


#: A stand-in patent id, replaced in the URL built once for a whole list.
_MARK = "HVP-ID-MARK"
#: What stands for the start of every explanation URL (this server's address as a request
#: names it) in a download kept beside the store: private-use characters, which no writer
#: escapes (a kept download is checked to hold it once a row).
_HEAD = "\ue000hvp-server\ue000"


def _json(found: Any, filters: dict[str, Any], cells: Iterator[list[str]]) -> Iterator[str]:
    """The list as one JSON object, written row by row."""
    yield _json_head(found, filters)
    next(cells)  # the header
    for n, values in enumerate(cells):
        row: dict[str, Any] = dict(zip(COLUMNS, values, strict=True))
        row["criteria"] = row["criteria"].split(";") if row["criteria"] else []
        yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]}\n"


def _json_head(found: Any, filters: dict[str, Any]) -> str:
    head = {"region": filters["region"], "as_of": found.as_of.isoformat(),
            **{k: filters[k] for k in FILTERS if k != "region"}, "total": len(found.patents)}
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['


def _download(found: Any, filters: dict[str, Any], fmt: str) -> Response:
    """The whole list, streamed: the first rows go out while the others are read. On disk the
    text is kept beside the store (:func:`kg.kept_text`) for the list, format and language,
    the server's address left out: the same download again is its file read back (a
    province's list at a million patents is tens of thousands of rows, half a second or more
    to write again, 0.1 ms a row in Python)."""
    svc = service()
    store = svc.store()
    head, tail = _explanation(found.as_of)

    def text(start: str) -> Iterator[str]:
        cells = _cells(found.as_of, patents_rows(store, found, profile=svc.profile()), start)
        return spreadsheet.lines(cells) if fmt == "csv" else _json(found, filters, cells)

    gate = ExitStack()
    if not _plain(head):  # written as it is: kept, it would not read back the same
        body, writes = text(head), True
    else:
        name = hashlib.sha256("\x00".join([
            patents_key(found, svc.profile()), fmt, data_language(), tail,
            _json_head(found, filters)]).encode("utf-8")).hexdigest()
        name = f"download-{name}.{fmt}"
        writes = not is_kept(store, name)
        kept = kept_text(store, name, lambda: text(_HEAD),
                         lambda whole: whole.count(_HEAD) == len(found.patents))
        body = (piece.replace(_HEAD, head) for piece in kept)
    if writes:  # each row looked up as it streams: minutes for a nation at a million patents
        gate.enter_context(svc.computing.enter())  # one too many: Busy, 503 with Retry-After
    response = Response(stream_with_context(_released(body, gate)), mimetype=DOWNLOADS[fmt])
    response.call_on_close(gate.close)  # the client went away before the last byte
    response.headers["Content-Disposition"] = f'attachment; filename="patents.{fmt}"'
    return response


def _released(body: Iterable[str], held: ExitStack) -> Iterator[str]:
    """``body``'s pieces, ``held`` let go after the last."""
    try:
        yield from body
    finally:
        held.close()


def _plain(head: str) -> bool:
    """Whether a URL's start is written as it is in a CSV cell and a JSON string (no quoting,
    escaping or formula guard), as :data:`_HEAD` is."""
    return not head.startswith(spreadsheet.FORMULA) and not any(c in head for c in ',"\n\r') \
        and json.dumps(head, ensure_ascii=False)[1:-1] == head
