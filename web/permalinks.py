"""Query permalinks on the web: ``POST /permalinks`` keeps a query and answers its short URL,
``GET /q/ID`` opens the editor with that query and runs it (data clients get the query's text).

The texts are kept by :class:`kg.permalinks.Permalinks` (in the store's home, so they survive a
restart), one per app, on the app (``app.extensions``), closed at exit as the app's service is.
"""

from __future__ import annotations

import re
import weakref

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for

from kg import PERMALINK_LENGTH, InputError, Permalinks, permalinks_file
from web import negotiate
from web.errors import Problem
from web.service import Service
from web.sparql import editor

bp = Blueprint("permalinks", __name__)
KEY = "hvp.permalinks"
_ID = re.compile(rf"[A-Za-z0-9_-]{{{PERMALINK_LENGTH}}}")
QUERY_TYPE = "application/sparql-query"


def permalinks() -> Permalinks:
    found: Permalinks = current_app.extensions[KEY]
    return found


@bp.route("/permalinks", methods=["POST"])
def create() -> tuple[Response, int, dict[str, str]]:
    """Keep the query (form field ``query``, a JSON ``{"query": ...}`` or an
    ``application/sparql-query`` body): 201 with its URL."""
    query: object
    if request.mimetype == QUERY_TYPE:
        query = request.get_data(as_text=True)
    elif request.is_json:
        body = request.get_json(silent=True)
        query = body.get("query") if isinstance(body, dict) else None
    else:
        query = request.form.get("query")
    if not isinstance(query, str):
        raise Problem(400, "Bad request", "give the query to keep: a form field `query`, a JSON "
                      "object {\"query\": ...} or an application/sparql-query body",
                      parameter="query")
    try:
        key = permalinks().save(query)
    except InputError as exc:
        raise Problem(400, "Bad request", exc.template, parameter="query",
                      params=exc.params) from None
    url = url_for("permalinks.show", key=key, _external=True)
    return jsonify(id=key, url=url), 201, {"Location": url}


@bp.route("/q/<key>")
def show(key: str) -> Response:
    """The editor with the kept query, run at once; its text for a client that is no
    browser."""
    query = permalinks().load(key) if _ID.fullmatch(key) else None
    if query is None:
        raise Problem(404, "Not found", "no kept query %(key)r: a permalink is made by the "
                                        "editor's Share button (POST /permalinks)",
                                        params={"key": key[:40]})
    if not negotiate.prefers_html(request.headers.get("Accept", "")):
        return Response(query, content_type=f"{QUERY_TYPE}; charset=utf-8")

    return editor(permalink=query)


def init_app(app: Flask, svc: Service) -> None:
    path = None if svc.path is None else permalinks_file(svc.path)
    kept = Permalinks(path, longest=svc.max_query)
    app.extensions[KEY] = kept
    app.register_blueprint(bp)
    # closed with the app (one exit hook for every finalizer, not one per app: web.service)
    weakref.finalize(app, kept.close)
