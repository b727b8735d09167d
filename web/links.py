"""Base IRI <-> app URL: ``{base}patent/CN-T01`` is served at ``/patent/CN-T01``."""

from __future__ import annotations

import re

from flask import Flask
from markupsafe import Markup, escape

from kg import HVP_NS, IRI_KINDS, UNIT_NAMESPACES, iri_segment
from web.namespaces import FIXED
from web.service import service

#: The hvp ontology (terms ``ONTOLOGY#name``), served at ``/def`` (web.ontology).
ONTOLOGY = HVP_NS.rstrip("#")
#: Of those, the namespaces that are things themselves (SKOS concept schemes), at ``/{kind}/``.
SCHEMES = ("sei", "award-kind")


def to_path(iri: str) -> str | None:
    """The app path of an IRI the service mints, or None."""
    if iri == ONTOLOGY or iri.startswith(ONTOLOGY + "#"):  # the ontology and its terms
        return "/def" + iri[len(ONTOLOGY):]
    for kind, namespace in FIXED.items():
        if iri.startswith(namespace) and (len(iri) > len(namespace) or kind in SCHEMES):
            return f"/{kind}/{iri[len(namespace):]}"
    for kind, namespace in UNIT_NAMESPACES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"/{kind}/{iri[len(namespace):]}"
    base = service().base
    if iri.startswith(base):
        kind, _, rest = iri[len(base):].partition("/")
        if kind in IRI_KINDS and rest:
            return "/" + iri[len(base):]
    return None


def to_iris(kind: str, rest: str) -> list[str]:
    """The IRIs that may be served at ``/{kind}/{rest}``, ``rest`` as the server decoded it.

    Ids are percent-encoded in IRIs (:func:`kg.iri.mint`), and servers hand the app the decoded
    path (granian has no raw one), where an id's ``%2F`` and the ``/`` between two ids look
    alike: first every ``/`` as a separator, then the whole rest as one id."""
    prefix = FIXED.get(kind) or f"{service().base}{kind}/"
    iris = [prefix + "/".join(iri_segment(part) for part in rest.split("/"))]
    if "/" in rest:
        iris.append(prefix + iri_segment(rest))
    return iris


def local_link(iri: str) -> str:
    return to_path(iri) or iri


def short_iri(iri: str) -> str:
    """``hvp:grantDate``, ``patent/CN-T01``, or the IRI itself."""
    path = None if iri.startswith(ONTOLOGY + "#") else to_path(iri)  # hvp: terms: hvp:name
    if path:
        return path[1:]
    best = max(((p, ns) for p, ns in service().prefixes.items() if iri.startswith(ns)),
               key=lambda item: len(item[1]), default=None)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else iri


def breakable(url: str) -> Markup:
    """A URL shown as text, that a narrow screen may break after each ``/``, ``?`` or ``&``
    (``<wbr>``), not inside a word (``…/licen-ses/…``)."""
    return Markup("<wbr>").join(escape(part) for part in re.split(r"(?<=[/?&])(?!/)", url))


def init_app(app: Flask) -> None:
    app.add_template_filter(local_link, "local_link")
    app.add_template_filter(short_iri, "short_iri")
    app.add_template_filter(breakable, "breakable")


def namespaces() -> dict[str, object]:
    """:func:`to_path` as data, for the editor's script: IRIs served at a path of their own
    (``exact``) and namespaces whose IRIs are served under a path (``under``, longest first)."""
    base = service().base
    exact = {ONTOLOGY: "/def", **{FIXED[k]: f"/{k}/" for k in SCHEMES}}
    under = {f"{base}{k}/": f"/{k}/" for k in IRI_KINDS}
    under.update({ns: f"/{k}/" for k, ns in FIXED.items()})
    under[ONTOLOGY + "#"] = "/def#"
    return {"exact": exact, "under": sorted(under.items(), key=lambda p: -len(p[0]))}
