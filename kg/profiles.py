"""Criteria profiles: SHACL shapes plus the parameters they are instantiated with.

A profile is a Turtle file (``shapes/profiles/NAME.ttl`` or any file a user passes) holding one
``hvp:Profile`` node. Its ``hvp:*`` values are the parameters (years, thresholds, lists of offices
or awards...); its ``hvp:validShape``, ``hvp:domesticShape``, ``hvp:highValueShape`` and
``hvp:criterionShape`` values are SHACL shapes. :meth:`Profile.instantiate` substitutes every
``$name`` of every ``sh:select`` by the RDF term of a parameter (and ``$asOf`` by the as-of
date), so pySHACL and the compiled SPARQL see the same text. An RDF list parameter becomes the
string ``"|a|b|"`` (IRIs by their text), tested in SPARQL with ``CONTAINS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.compile import instantiate
from kg.errors import InputError
from kg.reference import SHAPES
from kg.vocab import HVP, HVP_NS, SH, SKOS

PROFILES = SHAPES / "profiles"
DEFAULT_PROFILE = "cnipa-2021"
#: Output order of the criteria (RULES.md §4); a profile may ship a subset.
CRITERIA_ORDER = ("sei", "overseas", "maintained", "pledge", "award")
_SHAPE_LINKS = {HVP.validShape, HVP.domesticShape, HVP.highValueShape, HVP.criterionShape}
#: Parameters that profiles written before them lack, with the value that keeps their meaning.
DEFAULTS: dict[str, Node] = {"leapDayAnniversary": Literal("march-1")}
LEAP_DAY_VALUES = ("march-1", "february-28")


@dataclass(frozen=True)
class Criterion:
    """One criterion of a profile: its output key, its hvp:Criterion and its shape."""

    key: str
    iri: URIRef
    shape: URIRef


@dataclass(frozen=True)
class Profile:
    """A loaded profile; ``graph`` is the shapes graph before instantiation."""

    name: str
    iri: URIRef
    graph: Graph
    path: Path

    @cached_property
    def parameters(self) -> dict[str, Node]:
        """Parameter name (local name of the hvp: property) -> RDF term; a parameter added
        after a user copied a profile has its default (:data:`DEFAULTS`)."""
        params: dict[str, Node] = dict(DEFAULTS)
        for pred, value in self.graph.predicate_objects(self.iri):
            if str(pred).startswith(HVP_NS) and pred not in _SHAPE_LINKS:
                params[str(pred)[len(HVP_NS):]] = self._term(value)
        return params

    def _term(self, value: Node) -> Node:
        if (value, RDF.first, None) in self.graph or value == RDF.nil:
            items = [str(v) for v in Collection(self.graph, value)]
            return Literal("|" + "|".join(items) + "|")
        return value

    def bindings(self, as_of: date) -> dict[str, Node]:
        """Every parameter plus ``asOf``, as the compiler's ``instantiate`` wants them."""
        return {**self.parameters, "asOf": Literal(as_of.isoformat(), datatype=XSD.date)}

    def instantiate(self, as_of: date) -> Graph:
        """The shapes graph with every parameter substituted."""
        return instantiate(self.graph, self.bindings(as_of))

    def shape(self, link: URIRef) -> URIRef:
        value = self.graph.value(self.iri, link)
        if not isinstance(value, URIRef):
            raise InputError(f"profile {self.path}: {self.iri} has no {link} (an IRI)")
        return value

    @property
    def valid(self) -> URIRef:
        return self.shape(HVP.validShape)

    @property
    def domestic(self) -> URIRef:
        return self.shape(HVP.domesticShape)

    @property
    def high_value(self) -> URIRef:
        return self.shape(HVP.highValueShape)

    @cached_property
    def conditions(self) -> tuple[tuple[str, URIRef], ...]:
        """The validity conditions (``sh:and`` members of the valid shape) with their notation."""
        head = self.graph.value(self.valid, SH["and"])
        members = list(Collection(self.graph, head)) if head is not None else []
        return tuple((str(self.graph.value(m, SKOS.notation) or m), m) for m in members
                     if isinstance(m, URIRef))

    @cached_property
    def criteria(self) -> tuple[Criterion, ...]:
        """The profile's criteria in output order."""
        found = {}
        for shape in self.graph.objects(self.iri, HVP.criterionShape):
            key = str(self.graph.value(shape, SKOS.notation) or "")
            if key not in CRITERIA_ORDER:
                raise InputError(f"profile {self.path}: criterion shape {shape} needs "
                                 f"skos:notation, one of {', '.join(CRITERIA_ORDER)}")
            criterion = self.graph.value(shape, HVP.checks)
            if not isinstance(shape, URIRef) or not isinstance(criterion, URIRef):
                raise InputError(f"profile {self.path}: criterion shape {shape} needs an IRI "
                                 "and hvp:checks (an hvp:Criterion)")
            found[key] = Criterion(key, criterion, shape)
        return tuple(found[k] for k in CRITERIA_ORDER if k in found)

    def prologue(self) -> str:
        """PREFIX lines of the profile's sh:declare (for evidence queries)."""
        lines = []
        for decl in self.graph.objects(self.iri, SH.declare):
            prefix, ns = self.graph.value(decl, SH.prefix), self.graph.value(decl, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{ns}>\n")
        return "".join(sorted(lines))

    def evidence_query(self, shapes: Graph, shape: URIRef) -> str | None:
        """The instantiated evidence query of ``shape`` (from ``instantiate``'s graph)."""
        holder = shapes.value(shape, HVP.evidenceQuery)
        text = shapes.value(holder, SH.select) if holder is not None else None
        return None if text is None else self.prologue() + str(text)


def shipped() -> list[str]:
    """Names of the profiles under shapes/profiles/."""
    return sorted(p.stem for p in PROFILES.glob("*.ttl"))


def resolve(profile: str | Path) -> Path:
    """A profile name (``cnipa-2021``) or a Turtle file path -> the file."""
    path = Path(profile)
    if path.suffix == ".ttl" or path.exists():
        if not path.is_file():
            raise InputError(f"profile file {path} does not exist")
        return path
    candidate = PROFILES / f"{profile}.ttl"
    if not candidate.is_file():
        raise InputError(f"unknown profile {str(profile)!r}; shipped profiles: "
                         f"{', '.join(shipped())} (or give a .ttl file)")
    return candidate


def load(profile: str | Path = DEFAULT_PROFILE) -> Profile:
    """Load a profile by name or file (raises InputError naming what to fix)."""
    path = resolve(profile)
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises many parser exception types
        raise InputError(f"profile {path}: not valid Turtle: {exc}") from exc
    nodes = [n for n in graph.subjects(RDF.type, HVP.Profile) if isinstance(n, URIRef)]
    if len(nodes) != 1:
        raise InputError(f"profile {path}: expected one hvp:Profile node (an IRI), "
                         f"found {len(nodes)}")
    loaded = Profile(path.stem, nodes[0], graph, path)
    leap = str(loaded.parameters["leapDayAnniversary"])
    if leap not in LEAP_DAY_VALUES:
        raise InputError(f"profile {path}: hvp:leapDayAnniversary is {leap!r}; use one of "
                         f"{', '.join(repr(v) for v in LEAP_DAY_VALUES)}")
    return loaded
