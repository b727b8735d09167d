"""``/def``: the hvp ontology, where its IRI and its terms' IRIs (``hvp:``, hash IRIs such as
``https://w3id.org/hvp/def#InventionPatent``) dereference.

A browser asking for a term asks for ``/def`` (the fragment stays in the browser) and lands
on the term's row of an HTML page listing every class, property and individual with its label,
comment, domain and range. Data clients get the ontology file (``ontology/hvp.ttl``) as Turtle,
N-Triples, JSON-LD or RDF/XML by ``Accept`` or a ``.ttl``/``.nt``/``.jsonld``/``.rdf`` suffix.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template

from kg import DCTERMS, ONTOLOGY_DIR, OWL, RDF, RDFS, Term
from web import negotiate
from web.i18n import data_language
from web.links import ONTOLOGY
from web.resources import linked_data

bp = Blueprint("ontology", __name__)

#: The ontology's IRI; its terms are ``IRI#name``.
IRI = ONTOLOGY
KINDS = {str(OWL.Class): "class", str(RDFS.Class): "class", str(OWL.ObjectProperty): "property",
         str(OWL.DatatypeProperty): "property", str(RDF.Property): "property",
         str(OWL.AnnotationProperty): "property", str(OWL.NamedIndividual): "individual"}


@lru_cache(maxsize=1)
def triples() -> tuple[ox.Triple, ...]:
    """The ontology file's triples (as shipped; not the store's copy)."""
    return tuple(q.triple for q in ox.parse(path=ONTOLOGY_DIR / "hvp.ttl",
                                           format=ox.RdfFormat.TURTLE))


@bp.route("/def")
@bp.route("/def<any({}):suffix>".format(", ".join(f"'{s}'" for s in negotiate.SUFFIXES)))
def ontology(suffix: str = "") -> Response:
    return linked_data(list(triples()), negotiate.SUFFIXES.get(suffix), lambda: render_template(
        "ontology.html", iri=IRI, header=_about(ox.NamedNode(IRI)), terms=terms(),
        alternates={s: f"/def{s}" for s in negotiate.SUFFIXES}))


def terms() -> list[dict[str, Any]]:
    """Every term of the ontology (its hash IRIs), classes first, then properties, then
    individuals, each by name."""
    names = sorted({t.subject.value for t in triples() if isinstance(t.subject, ox.NamedNode)
                    and t.subject.value.startswith(IRI + "#")})
    found = [{"name": n.partition("#")[2], "iri": n, **_about(ox.NamedNode(n))} for n in names]
    order = {"class": 0, "property": 1, "individual": 2}
    return sorted(found, key=lambda t: (order.get(t["kind"], 3), t["name"]))


def _about(node: ox.NamedNode) -> dict[str, Any]:
    facts: dict[str, list[Term]] = {}
    for t in triples():
        if t.subject == node and not isinstance(t.object, ox.Triple):
            facts.setdefault(t.predicate.value, []).append(t.object)
    kinds = [KINDS[o.value] for o in facts.get(str(RDF.type), []) if o.value in KINDS]
    return {"kind": kinds[0] if kinds else "",
            "label": _preferred(facts.get(str(RDFS.label)) or facts.get(str(DCTERMS.title))),
            "comment": _preferred(facts.get(str(RDFS.comment))
                                  or facts.get(str(DCTERMS.description))),
            "domain": [o.value for o in facts.get(str(RDFS.domain), [])],
            "range": [o.value for o in facts.get(str(RDFS.range), [])],
            "types": [o.value for o in facts.get(str(RDF.type), [])]}


def _preferred(values: list[Term] | None) -> str:
    """The text in the reader's language (``web.i18n.data_language``), else English, else
    one without a language tag."""
    literals = [v for v in values or [] if isinstance(v, ox.Literal)]
    for lang in (data_language(), "en", None):
        best = next((v for v in literals if v.language == lang), None)
        if best is not None:
            return best.value
    return ""
