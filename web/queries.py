"""Canned queries: ``/queries`` and ``/queries/NAME`` (form, results table, downloads, permalink).

The queries, their typed parameters and the runner are :mod:`kg.canned` (``kg/queries/*.rq``).
Parameters come from the URL (a GET form, so every result has a permalink), are parsed into RDF
terms and bound by the engine; a bad value is a 400 problem. Canned queries are the project's own
text, so they run in the app's process (they may first materialize the derived graphs they need);
only free SPARQL from users goes to the time-limited workers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from kg import (
    InputError,
    KGError,
    Refused,
    Word,
    ensure_query_graphs,
    federation_allowed,
    is_federated,
    list_queries,
    load_query,
    query_graph_iris,
    run_query,
)
from web import federated, limits, listing, negotiate, spreadsheet
from web.errors import detail_of
from web.i18n import gettext
from web.pool import DEFAULT_GRAPH
from web.service import service

bp = Blueprint("queries", __name__)

DOWNLOADS = {"csv": "text/csv", "json": "application/json", "tsv": "text/tab-separated-values"}
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
INPUTS = {"year": "number", "int": "number", "date": "date"}


@dataclass
class Example:
    name: str
    title: str
    editor_text: str
    graphs: list[str]
    """The dataset's default graph (``default-graph-uri``): none, or the store's default graph
    and the derived graphs the canned query reads."""


def _directory() -> Path | None:
    """The canned queries' folder if the app was given one (``queries_dir``; JSON gives str)."""
    folder = current_app.config.get("QUERIES_DIR")
    return Path(folder) if folder else None


def _all() -> list[Any]:
    directory = _directory()
    return list_queries(directory) if directory else list_queries()


def _one(name: str) -> Any:
    directory = _directory()
    return load_query(name, directory) if directory else load_query(name)


def catalogue() -> list[Example]:
    """The canned queries as editor examples (parameters listed in a leading comment). Not
    the federated ones: their endpoint is a parameter (``SERVICE ?endpoint``), which /sparql
    refuses; they run from their own pages."""
    examples = []
    for q in _all():
        if is_federated(q.text):
            continue
        graphs = _graphs(q)
        examples.append(Example(q.name, q.title, _editor_text(q, graphs), graphs))
    return examples


def _graphs(q: Any) -> list[str]:
    """What the canned query reads with its defaults: the store's default graph and the
    derived graphs (by ``default-graph-uri``, as :func:`kg.canned.run` does)."""
    svc = service()
    try:
        derived = query_graph_iris(q, base=svc.base, profile=str(svc.settings["profile"]))
    except KGError:  # a required parameter without a default
        return []
    return [DEFAULT_GRAPH, *derived] if derived else []


def _editor_text(q: Any, graphs: list[str]) -> str:
    """The query for a human to edit: the defaults of its parameters as a leading ``VALUES``
    (terms written by the engine's serializer, from the project's own front matter)."""
    lines = [f"# {q.title}"]
    for p in q.params:
        default = f" (default {p.default})" if p.default is not None else ""
        lines.append(f"# ?{p.name}: {p.label}, {p.type}{default}; form: /queries/{q.name}")
    if graphs:
        lines.append("# Dataset (default-graph-uri, in the endpoint's URL): the store's default "
                     "graph and")
        lines += [f"#   <{g}>" for g in graphs[1:]]
        lines.append("# (derived graphs: computed when the example is chosen in the editor; on a "
                     f"store that lost them, POST /queries/{q.name}/graphs)")
    body = "\n".join(line for line in q.text.splitlines() if not line.startswith("#+"))
    defaults = [(p.name, p.parse(p.default, service().base)) for p in q.params
                if p.default is not None]
    if defaults:
        names = " ".join(f"?{n}" for n, _ in defaults)
        terms = " ".join(str(t) for _, t in defaults)
        body = _WHERE.sub(lambda m: f"{m[0]}\n  VALUES ({names}) {{ ({terms}) }}", body, count=1)
    return "\n".join(lines) + "\n" + body.lstrip("\n")


_NUMBERS = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in (
    "integer", "decimal", "double", "float", "long", "int", "nonNegativeInteger")}


@bp.app_template_test("numeric_term")
def numeric_term(term: Any) -> bool:
    """A literal of a numeric datatype (right-aligned in result tables)."""
    datatype = getattr(term, "datatype", None)
    return datatype is not None and datatype.value in _NUMBERS


_FRACTIONS = {f"http://www.w3.org/2001/XMLSchema#{t}" for t in ("decimal", "double", "float")}


@bp.app_template_filter("readable")
def readable(term: Any) -> str | None:
    """A fraction in a results table as the dashboard shows it (2 decimals; 4 significant
    digits below 1, never in exponent notation), or ``None`` for any other term (shown as it
    is; downloads, and the linked-data pages, always have every digit)."""
    datatype = getattr(term, "datatype", None)
    if datatype is None or datatype.value not in _FRACTIONS:
        return None
    try:
        value = Decimal(term.value)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP  # as people round (and as the dashboard shows)
        if value != 0 and abs(value) < 1:
            small = f"{value:.{3 - value.adjusted()}f}"  # 4 significant digits
            if abs(Decimal(small)) < 1:  # else it rounded up to 1: shown as below
                return small
        return f"{value:.2f}"


@bp.route("/queries")
def index() -> str:
    return render_template("queries.html", queries=_all())


@bp.route("/queries/<name>")
def show(name: str) -> Response:
    query = _one(name)
    # the page's own parameters (format, lang: the language switch) are not the query's
    values = {k: v for k, v in request.args.items() if k not in ("format", "lang")}
    svc = service()
    fmt = negotiate.download(request.args.get("format"), request.accept_mimetypes,
                             DOWNLOADS)
    shown = {p.name: values.get(p.name) or p.default or "" for p in query.params}
    missing = [gettext(p.label) for p in query.params if p.required and p.default is None
               and not values.get(p.name)]
    page = fmt is None and negotiate.prefers_html(request.headers.get("Accept", ""))
    result, error, status = None, "", 200
    if not (page and missing):  # a browser gets the form to fill in first
        try:
            limits.check_dates(query, values)
            result = svc.computed(
                ("query", name, tuple(sorted(values.items()))), Word("canned query"),
                lambda store: run_query(store, query, values, base=svc.base,
                                        profile=str(svc.settings["profile"]),
                                        allow=federation_allowed(
                                            svc.settings.get("federation_allow")),
                                        federated=federated.runner(svc)))
        except (InputError, Refused) as exc:
            if not page:
                raise
            # the page again, with the form to correct (403: SERVICE off federation_allow)
            error, status = detail_of(exc), 403 if isinstance(exc, Refused) else 400
    if fmt:
        return _download(name, result, fmt)
    links = {f: _url(name, {**shown, "format": f}) for f in DOWNLOADS}
    html = render_template("query.html", query=query, result=result, values=shown,
                           drill=lambda column, row: _drill(query, column, row),
                           inputs=INPUTS, cap=svc.row_cap, downloads=links, error=error,
                           missing=missing, permalink=_url(name, shown, external=True))
    return Response(html, status=status, mimetype="text/html")


def _drill(query: Any, column: str, row: dict[str, Any]) -> str | None:
    """The list of the patents behind a row's count (``drill`` in the front matter)."""

    filters = query.drill(column, row)
    return None if filters is None else listing.url(**filters)


@bp.route("/queries/<name>/graphs", methods=["POST"])
def graphs(name: str) -> Response:
    """Compute the derived graphs a canned query reads with its defaults (what the editor asks
    before it runs the query as an example) and name the dataset: ``{"graphs": [...]}``, the
    store's default graph first, or an empty list for a query that reads no derived graph.
    On disk a computation is queued for the writer process (503 ``Being computed`` with
    ``Retry-After`` until it is done: the editor asks again), never run in the app's process."""
    query = _one(name)
    svc = service()
    profile = str(svc.settings["profile"])
    iris = svc.computed(("query graphs", name, profile), Word("the graphs of a canned query"),
                        lambda store: ensure_query_graphs(store, query, base=svc.base,
                                                          profile=profile), computes=True)
    return jsonify({"graphs": [DEFAULT_GRAPH, *iris] if iris else []})


def _url(name: str, params: dict[str, str], external: bool = False) -> str:
    return url_for("queries.show", name=name, _external=external, **params)  # type: ignore[arg-type]


def _download(name: str, result: Any, fmt: str) -> Response:
    if fmt == "json":
        body = result.to_json()
    else:
        body = spreadsheet.write(_cells(result), "," if fmt == "csv" else "\t")
    response = Response(body, mimetype=DOWNLOADS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _cells(result: Any) -> Iterator[list[str]]:
    """The header and the rows' values, as text (a CSV or TSV download)."""
    yield list(result.columns)
    for row in result.rows:
        yield ["" if row[c] is None else row[c].value for c in result.columns]
