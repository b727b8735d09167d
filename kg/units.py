"""Criterion and condition units as documents: what ``https://w3id.org/hvp/criterion/sei`` (or
``.../condition/valid``) says, for the page that IRI dereferences to.

A unit is one Turtle file (``shapes/criteria/NAME.ttl``, ``shapes/conditions/NAME.ttl``;
docs/criteria.md) whose IRI names the document and whose shapes are ``{IRI}#Name``. :func:`unit`
reads one: each shape's labels, the definition of the criterion it checks (from the ontology),
the parameters it reads, its constraint's SPARQL as written, its evidence query, its messages
and reason templates in English and Chinese; and, for each profile given, whether the profile
uses the unit (active, or imported and ``sh:deactivated``) and its values of those parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.errors import NotFound, Word
from kg.folders import ONTOLOGY
from kg.profiles import UNITS, Profile, prologue
from kg.sparql_functions import local_name
from kg.vocab import HVP, SH, SKOS

#: The kinds of unit and the namespace of their IRIs (``{namespace}{name}``).
NAMESPACES = {"criterion": "https://w3id.org/hvp/criterion/",
              "condition": "https://w3id.org/hvp/condition/"}
LANGUAGES = ("en", "zh")
#: Each kind's name, said in the reader's language in an error.
KINDS = {"criterion": Word("criterion"), "condition": Word("condition")}


@dataclass(frozen=True)
class Parameter:
    """A profile parameter a shape reads: its property, label and meaning."""

    iri: str
    name: str
    label: str
    comment: str


@dataclass(frozen=True)
class Shape:
    """One shape of a unit, as written in its file (functions not inlined)."""

    iri: str
    key: str
    labels: dict[str, str]
    note: str  # the shape's rdfs:comment: how it is written, for a reader of the SPARQL
    checks: str  # the hvp:Criterion it checks, or ""
    definition: dict[str, str]  # that criterion's rdfs:comment per language
    parameters: tuple[Parameter, ...]
    constraint: str  # the sh:select of its SPARQL constraint, with its PREFIX lines, or ""
    members: tuple[tuple[str, str], ...]  # (logical operator, shape IRI) of a composite shape
    messages: dict[str, str]
    evidence: str
    reasons: dict[str, list[str]]
    shortfalls: dict[str, list[str]]


@dataclass(frozen=True)
class Usage:
    """How one profile uses the unit."""

    profile: str
    iri: str
    label: str
    active: bool  # False: imported but sh:deactivated
    values: dict[str, object]  # parameter name -> the profile's value (missing: not set)


@dataclass(frozen=True)
class Unit:
    kind: str
    name: str
    iri: str
    path: Path
    shapes: tuple[Shape, ...]
    usages: tuple[Usage, ...] = field(default=())

    @property
    def parameters(self) -> list[Parameter]:
        """The parameters any of its shapes reads, once each, in order of appearance."""
        seen: dict[str, Parameter] = {}
        for shape in self.shapes:
            for p in shape.parameters:
                seen.setdefault(p.iri, p)
        return list(seen.values())

    def triples(self) -> list[ox.Triple]:
        """The unit's own triples, as its file states them."""
        return [q.triple for q in ox.parse(path=self.path, format=ox.RdfFormat.TURTLE,
                                           base_iri=self.iri)]


def unit(kind: str, name: str, profiles: list[Profile]) -> Unit:
    """The unit ``{NAMESPACES[kind]}{name}`` and its use by ``profiles``; NotFound if there is
    no such shipped unit."""
    namespace = NAMESPACES.get(kind)
    if namespace is None or not name or "/" in name or name.startswith("."):
        raise NotFound("no %(kind)s unit named %(name)r", kind=KINDS.get(kind, kind), name=name)
    iri = namespace + name
    path = UNITS[namespace] / f"{name}.ttl"
    if not path.is_file():
        raise NotFound("no %(kind)s unit <%(iri)s>: the shipped ones are %(names)s",
                       kind=KINDS.get(kind, kind), iri=iri, names=', '.join(names(kind)))
    graph = Graph().parse(path, format="turtle")
    ontology = Graph().parse(ONTOLOGY / "hvp.ttl", format="turtle")
    shapes = tuple(_shape(graph, ontology, s) for s in _shapes(graph, iri))
    return Unit(kind, name, iri, path, shapes, tuple(
        u for p in profiles if (u := _usage(p, shapes)) is not None))


def names(kind: str) -> list[str]:
    """The shipped units of a kind."""
    return sorted(p.stem for p in UNITS[NAMESPACES[kind]].glob("*.ttl"))


def _shapes(graph: Graph, iri: str) -> list[URIRef]:
    """The unit's shapes: the one with ``sh:order`` or composed of others first, then by IRI."""
    found = [s for s in graph.subjects(RDF.type, SH.NodeShape)
             if isinstance(s, URIRef) and str(s).startswith(iri + "#")]
    return sorted(found, key=lambda s: ((s, SH["and"], None) not in graph
                                        and (s, SH.order, None) not in graph, str(s)))


def _texts(graph: Graph, subject: Node | None, link: URIRef) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in graph.objects(subject, link) if subject is not None else ():
        if isinstance(value, Literal):
            out.setdefault(value.language or "en", str(value))
    return out


def _templates(graph: Graph, shape: URIRef, link: URIRef) -> dict[str, list[str]]:
    head = graph.value(shape, link)
    items = list(Collection(graph, head)) if head is not None else []
    return {lang: [str(t) for t in items if isinstance(t, Literal) and (t.language or "en") == lang]
            for lang in LANGUAGES}


def _query(graph: Graph, holder: Node | None) -> str:
    if holder is None:
        return ""
    text = graph.value(holder, SH.select)
    return "" if text is None else prologue(graph, holder) + _dedent(str(text))


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def _shape(graph: Graph, ontology: Graph, shape: URIRef) -> Shape:
    checks = graph.value(shape, HVP.checks)
    constraint = graph.value(shape, SH.sparql)
    members = tuple((op, str(m)) for op in ("and", "or") for head in graph.objects(shape, SH[op])
                    for m in Collection(graph, head))
    params = tuple(Parameter(str(p), local_name(p), _texts(ontology, p, RDFS.label).get("en", ""),
                             _texts(ontology, p, RDFS.comment).get("en", ""))
                   for p in sorted(graph.objects(shape, HVP.parameter), key=str))
    return Shape(
        iri=str(shape), key=str(graph.value(shape, SKOS.notation) or ""),
        labels=_texts(graph, shape, RDFS.label), note=_texts(graph, shape, RDFS.comment).get(
            "en", ""), checks=str(checks or ""),
        definition=_texts(ontology, checks, RDFS.comment) if checks is not None else {},
        parameters=params, constraint=_query(graph, constraint), members=members,
        messages=_texts(graph, constraint, SH.message),
        evidence=_query(graph, graph.value(shape, HVP.evidenceQuery)),
        reasons=_templates(graph, shape, HVP.reasonTemplate),
        shortfalls=_templates(graph, shape, HVP.shortfallTemplate))


def _usage(profile: Profile, shapes: tuple[Shape, ...]) -> Usage | None:
    """Whether ``profile`` imports the unit (one of its shapes is in the merged graph) and, if so,
    whether it is active there and the profile's values of its parameters."""
    iris = {URIRef(s.iri) for s in shapes}
    if not any((s, RDF.type, SH.NodeShape) in profile.graph for s in iris):
        return None
    used = {c.shape for c in profile.criteria} | {profile.valid, profile.domestic} | {
        shape for _, shape in profile.conditions}
    values = {p.name: value for s in shapes for p in s.parameters
              if (value := _value(profile, URIRef(p.iri))) is not None}
    return Usage(profile.name, str(profile.iri), profile.label(profile.iri),
                 bool(iris & used), values)


def _value(profile: Profile, parameter: URIRef) -> object:
    """The profile's value of a parameter (the nearest along its imports), as plain data."""
    for node in profile.chain or (profile.iri,):
        value = profile.graph.value(node, parameter)
        if value is not None:
            if (value, RDF.first, None) in profile.graph or value == RDF.nil:
                return [str(v) for v in Collection(profile.graph, value)]
            return value.toPython() if isinstance(value, Literal) else str(value)
    return None
