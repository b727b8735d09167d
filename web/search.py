"""``/search``: one box on every page finds patents, owners, regions and SEI industries
(:mod:`kg.search`). ``?q=`` the text, ``type=`` a kind (repeatable, or comma-separated),
``limit=`` (1-100, default 20). Browsers get a results page; ``Accept: application/json`` (or
``format=json``) the hits as JSON, each with the URL of its page on this server.

The index is the store generation's (:func:`kg.search.index_path`); a store without one (in
memory, or an index removed by a write) gets it built on the first search, as a queued
computation (:meth:`web.service.Service.computed`: minutes at a million patents, never in a
request thread): on disk in the writer process, into the file beside the generation it switches
in; in memory in the computations' thread, into a file the app keeps while it runs. Meanwhile a
search answers 503 "being computed" with ``Retry-After`` (a browser's page reloads itself).
"""

from __future__ import annotations

import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request

from kg import (
    SEARCH_KINDS,
    SEARCH_MAX_LIMIT,
    InputError,
    StoreError,
    Word,
    ensure_search_index,
    search_checked,
    search_index,
    search_index_path,
)
from web import negotiate
from web.i18n import data_language
from web.links import local_link
from web.service import service

bp = Blueprint("search", __name__)
DEFAULT_LIMIT = 20


class Index:
    """Where the app's searches read the index, built there when missing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    def path(self) -> Path:
        """The index of the served store's data; queued to be built when it is missing
        (:class:`kg.Queued` until it is there)."""
        svc = service()
        path = self._where(svc.store())
        if not path.is_file():
            path = svc.computed(("search index", str(path)), Word("the search index"),
                                self._built, computes=True)
        return path

    def _where(self, store: Any) -> Path:
        """Where the index of ``store`` is: beside its generation, else in the app's folder."""
        path = search_index_path(store)
        if path is None:
            with self._lock:
                if self._scratch is None:
                    self._scratch = tempfile.TemporaryDirectory(prefix="hvp-search-")
            path = Path(self._scratch.name) / "search"
        return path

    def _built(self, store: Any) -> Path:
        """The index of ``store``, built now if it is missing (a computation: in the writer
        process, over the generation it stages; never on a view that computes nothing)."""
        path = self._where(store)
        if not path.is_file():
            if getattr(store, "defers_unkept", False):
                raise StoreError("the search index of %(path)s is not built yet", path=path)
            ensure_search_index(store, path)
        return path

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()


@bp.route("/search")
def find() -> Response | str:
    text = request.args.get("q", "")
    kinds = [k.strip() for value in request.args.getlist("type") for k in value.split(",")
             if k.strip()]
    limit = _limit(request.args.get("limit"))
    as_json = _wants_json()
    if not text.strip() and not as_json:
        return render_template("search.html", q="", kinds=kinds, hits=[], kinds_all=SEARCH_KINDS,
                               limit=limit)
    search_checked(text, kinds or None, limit)  # a bad parameter is 400 before the index
    hits = search_index(_index().path(), text, kinds or None, limit)
    language = data_language()
    if as_json:
        return jsonify(query=text, type=kinds or list(SEARCH_KINDS), limit=limit,
                       results=[{**h.to_dict(language), "url": local_link(h.iri)} for h in hits])
    return render_template("search.html", q=text, kinds=kinds, hits=hits, language=language,
                           kinds_all=SEARCH_KINDS, limit=limit)


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        return int(raw)
    except ValueError:
        raise InputError("parameter 'limit': a whole number from 1 to %(search_max_limit)s"
                         , search_max_limit=SEARCH_MAX_LIMIT) from None


def _wants_json() -> bool:
    given = negotiate.given(request.args)
    if given is not None:
        if given[1] not in ("json", "html"):
            raise InputError("parameter '%(given)s': json or html", given=given[0])
        return given[1] == "json"
    return not negotiate.prefers_html(request.headers.get("Accept", "")) and \
        request.accept_mimetypes.best_match(["application/json"]) is not None


def _index() -> Index:
    return current_app.extensions["hvp-search"]  # type: ignore[no-any-return]


def init_app(app: Flask) -> None:
    index = Index()
    app.extensions["hvp-search"] = index
    app.register_blueprint(bp)
    weakref.finalize(app, index.close)  # one exit hook for all finalizers (web.service)
