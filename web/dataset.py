"""The dataset description (:mod:`kg.dataset`) on the web: ``/dataset`` and ``/.well-known/void``
(HTML for browsers; Turtle, N-Triples, JSON-LD or RDF/XML by ``Accept`` or a suffix), and the
banner every page shows when the data is the synthetic demo."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, render_template

from kg import (
    DATASET_PREFIXES,
    RDFS,
    VOID,
    DatasetDescription,
    KGError,
    NotFound,
    dataset_graph_iri,
    dataset_iri,
    dataset_quads,
    read_dataset,
)
from web import negotiate
from web.i18n import data_language
from web.resources import linked_data
from web.service import service

bp = Blueprint("dataset", __name__)
_SUFFIXES = "any(" + ", ".join(f'"{s[1:]}"' for s in negotiate.SUFFIXES) + ")"


@bp.route("/.well-known/void")
def void() -> Response:
    """VoID's well-known address (VoID §7.2): the same description."""
    return description()


@bp.route("/dataset")
@bp.route(f"/dataset.<{_SUFFIXES}:suffix>")
def description(suffix: str | None = None) -> Response:
    svc = service()
    triples = dataset_quads(svc.store(), svc.base)
    described = current()
    if not triples or described is None:
        raise NotFound("this store has no dataset description: ingest data first (hvp ingest)")
    fmt = negotiate.SUFFIXES[f".{suffix}"] if suffix else None
    return linked_data(triples, fmt, lambda: _page(described), prefixes=DATASET_PREFIXES)


def _page(described: DatasetDescription) -> str:
    labels = _class_labels(list(described.classes))
    subsets = _subsets()
    return render_template("dataset.html", d=described, labels=labels, subsets=subsets,
                           alternates={s: f"/dataset{s}" for s in negotiate.SUFFIXES})


def current() -> DatasetDescription | None:
    """The store's description, read once per publication of the store's writes."""
    svc = service()
    if "dataset" in svc.cache:
        return svc.cache.get("dataset")  # type: ignore[no-any-return]
    found = read_dataset(svc.store(), svc.base)
    if found is not None:  # most numerous first
        found.classes = dict(sorted(found.classes.items(), key=lambda c: -c[1]))
    svc.cache["dataset"] = found
    return found


def _class_labels(classes: list[str]) -> dict[str, str]:
    """The ontology's label of each class, in the page's language if it has one."""
    store, language = service().store(), data_language()
    out: dict[str, str] = {}
    for cls in classes:
        for quad in store.quads(ox.NamedNode(cls), ox.NamedNode(str(RDFS.label)), None, None):
            literal = quad.object
            if isinstance(literal, ox.Literal) and (literal.language == language
                                                    or cls not in out):
                out[cls] = literal.value
    return out


def _subsets() -> list[dict[str, object]]:
    """The subsets (population, concordance): rows and sources."""
    svc = service()
    found: dict[str, dict[str, object]] = {}
    graph = ox.NamedNode(dataset_graph_iri(svc.base))
    subject = ox.NamedNode(dataset_iri(svc.base))
    text = f"""SELECT ?part ?n ?source WHERE {{ GRAPH {graph} {{
        {subject} <{VOID}subset> ?part . ?part <{VOID}entities> ?n
        OPTIONAL {{ ?part <http://purl.org/dc/terms/source> ?source }} }} }}
        ORDER BY ?part ?source"""
    for row in svc.store().select(text):
        part = found.setdefault(row["part"].value, {"name": row["part"].value.rsplit("#", 1)[1],
                                                    "rows": int(row["n"].value), "sources": []})
        if "source" in row:
            part["sources"].append(row["source"].value)  # type: ignore[attr-defined]
    return list(found.values())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def _banner() -> dict[str, object]:
        return {"dataset_banner": _banner_of}


def _banner_of() -> DatasetDescription | None:
    """The description, when the data is synthetic (the banner), else None."""
    try:
        described = current()
    except KGError:  # an error page renders even when the store cannot be read
        return None
    return described if described is not None and described.synthetic else None
