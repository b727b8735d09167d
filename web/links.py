"""Base IRI <-> app URL: ``{base}patent/CN-T01`` is served at ``/patent/CN-T01``."""

from __future__ import annotations

from flask import Flask

from kg.iri import KINDS
from kg.vocab import AWARD_KIND, SEI
from web.service import service

#: Vocabularies with fixed IRIs (independent of the base), served under their kind's path.
FIXED = {"sei": str(SEI), "award-kind": str(AWARD_KIND)}


def to_path(iri: str) -> str | None:
    """The app path of an IRI the service mints, or None."""
    for kind, namespace in FIXED.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"/{kind}/{iri[len(namespace):]}"
    base = service().base
    if iri.startswith(base):
        kind, _, rest = iri[len(base):].partition("/")
        if kind in KINDS and rest:
            return "/" + iri[len(base):]
    return None


def to_iri(kind: str, rest: str) -> str:
    """The IRI served at ``/{kind}/{rest}``."""
    if kind in FIXED:
        return FIXED[kind] + rest
    return f"{service().base}{kind}/{rest}"


def local_link(iri: str) -> str:
    return to_path(iri) or iri


def short_iri(iri: str) -> str:
    """``hvp:grantDate``, ``patent/CN-T01``, or the IRI itself."""
    path = to_path(iri)
    if path:
        return path[1:]
    best = max(((p, ns) for p, ns in service().prefixes.items() if iri.startswith(ns)),
               key=lambda item: len(item[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else iri


def init_app(app: Flask) -> None:
    app.add_template_filter(local_link, "local_link")
    app.add_template_filter(short_iri, "short_iri")
