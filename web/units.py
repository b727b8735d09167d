"""Criterion and condition IRIs dereference: ``/criterion/sei`` is
``https://w3id.org/hvp/criterion/sei`` (likewise ``/condition/valid``), whatever the base.

Browsers get a page (:mod:`kg.units`: label, definition, the parameters with each profile's
values, the shapes' SPARQL, messages and reasons in English and Chinese, the profiles that use
the unit); RDF clients the unit's own triples in Turtle, N-Triples, JSON-LD or RDF/XML by
``Accept`` or a ``.ttl`` / ``.nt`` / ``.jsonld`` / ``.rdf`` suffix.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from kg import Profile, Unit, load_profile, load_unit, shipped_profiles
from web import negotiate
from web.i18n import data_language
from web.resources import linked_data
from web.service import service

bp = Blueprint("units", __name__)


@bp.route("/<any(criterion, condition):kind>/<name>")
def page(kind: str, name: str) -> Response:
    name, fmt = _suffixed(name)
    found = _unit(kind, name)
    served = service().profile().name
    return linked_data(found.triples(), fmt, lambda: render_template(
        "unit.html", unit=found, served=served, title=_label(found.shapes[0].labels, found.iri)
        if found.shapes else found.iri,
        alternates={s: f"{request.path}{s}" for s in negotiate.SUFFIXES}))


def _label(labels: dict[str, str], iri: str) -> str:
    """A shape's label in the page's language, else in English, else its IRI."""
    return labels.get(data_language()) or labels.get("en") or iri


def _suffixed(name: str) -> tuple[str, ox.RdfFormat | None]:
    """The unit's name and the format a suffix names (None: negotiated)."""
    for suffix, fmt in negotiate.SUFFIXES.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], fmt
    return name, None


def _unit(kind: str, name: str) -> Unit:
    """The unit with its use by the shipped profiles and the served one, kept in the app's
    cache (reading it and the profiles takes about 0.1 s)."""
    svc = service()
    key = ("unit", kind, name)
    unit: Unit | None = svc.cache.get(key)  # one read: the cache may drop it at any time
    if unit is None:
        unit = svc.cache[key] = load_unit(kind, name, _profiles())
    return unit


def _profiles() -> list[Profile]:
    served = service().profile()
    return [served, *(load_profile(n) for n in shipped_profiles() if n != served.name)]
