"""Criteria profiles: SHACL shapes plus the parameters they are instantiated with.

A profile is a Turtle file (``shapes/profiles/NAME.ttl`` or any file a user passes) holding one
``hvp:Profile`` node. It ``owl:imports`` its parts by IRI: each criterion is one unit under
``shapes/criteria/`` (the shape, the parameters it reads, its evidence, facts and shortfall
queries, its reasons in English and Chinese: docs/criteria.md), the validity and domestic
conditions are units under ``shapes/conditions/``, and the SPARQL they share (prefixes and
functions such as "held for more than N years") is ``shapes/components/sparql.ttl``. A profile
may import another profile and change it: its own parameter values win over the imported
ones, ``sh:deactivated true`` on a criterion shape drops it, and ``hvp:criterionShape`` adds
one (shapes/profiles/cnipa-2026-four.ttl is cnipa-2021 without pledge).

Loading (:func:`load`) merges the imports, inlines every call of a shared SPARQL function
(``hvpfn:name(arg, ...)``, a SHACL-AF ``sh:SPARQLFunction``) into the text of each
``sh:select`` — neither Oxigraph nor kg.compile runs custom functions, so both engines get the
same plain SPARQL — and builds the high-value shape: valid and at least one active criterion.
:meth:`Profile.instantiate` then substitutes every ``$name`` of every ``sh:select`` by the RDF
term of a parameter (and ``$asOf`` by the as-of date). An RDF list parameter becomes the string
``"|a|b|"`` (IRIs by their text), tested in SPARQL with ``hvpfn:listed``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyoxigraph as ox
from rdflib import OWL, RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg import fork_safe
from kg.compile import instantiate
from kg.errors import InputError
from kg.folders import SHAPES
from kg.sparql_functions import inline_all, local_name
from kg.vocab import HVP, HVP_NS, SH, SKOS

PROFILES = SHAPES / "profiles"
DEFAULT_PROFILE = "cnipa-2021"
#: Where an imported IRI's file is: namespace -> folder (a ``file:`` IRI is the file itself).
UNITS = {"https://w3id.org/hvp/profile/": PROFILES,
         "https://w3id.org/hvp/criterion/": SHAPES / "criteria",
         "https://w3id.org/hvp/condition/": SHAPES / "conditions",
         "https://w3id.org/hvp/components/": SHAPES / "components"}
_SHAPE_LINKS = {HVP.validShape, HVP.domesticShape, HVP.highValueShape, HVP.criterionShape,
                HVP.parameter}
#: Parameters that profiles written before them lack, with the value that keeps their meaning.
DEFAULTS: dict[str, Node] = {"leapDayAnniversary": Literal("march-1")}
LEAP_DAY_VALUES = ("march-1", "february-28")


@dataclass(frozen=True)
class Criterion:
    """One criterion of a profile: its output key, its hvp:Criterion and its shape."""

    key: str
    iri: URIRef
    shape: URIRef


#: Instantiated shapes graphs a :class:`Profile` keeps (:meth:`Profile.instantiated`).
KEPT_INSTANCES = 16
#: Guards every profile's kept instances, a moment each (free in a forked child).
_INSTANCES = fork_safe.lock()


@dataclass(frozen=True)
class Profile:
    """A loaded profile; ``graph`` is the merged shapes graph before instantiation (imports
    merged, functions inlined, the high-value shape built); ``chain`` the profile's IRI and
    those of the profiles it imports, nearest first."""

    name: str
    iri: URIRef
    graph: Graph
    path: Path
    chain: tuple[URIRef, ...] = ()

    @cached_property
    def parameters(self) -> dict[str, Node]:
        """Parameter name (local name of the property) -> RDF term: the values on the profile
        nodes of the chain, the nearest winning; a parameter added after a user copied a
        profile has its default (:data:`DEFAULTS`)."""
        return {name: self._term(value) for name, value in self._raw().items()}

    def _units(self) -> Iterator[URIRef]:
        yield from (c.shape for c in self.criteria)
        yield self.domestic
        yield from (shape for _, shape in self.conditions)

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

    def instantiated(self, as_of: date) -> Graph:
        """:meth:`instantiate`'s graph kept per date (the latest :data:`KEPT_INSTANCES`), for
        readers that never change it: a patent page's explanation instantiated the shapes
        again at each request (18 ms, a third of the page; bench/pages.py)."""
        lock, kept = self._instances
        with lock:
            graph = kept.pop(as_of, None)
        graph = graph or self.instantiate(as_of)
        with lock:
            kept[as_of] = graph  # the latest last: the oldest goes first
            while len(kept) > KEPT_INSTANCES:
                kept.pop(next(iter(kept)))
        return graph

    @cached_property
    def _instances(self) -> tuple[threading.Lock, dict[date, Graph]]:
        return _INSTANCES, {}

    def shape(self, link: URIRef) -> URIRef:
        for node in self.chain or (self.iri,):
            value = self.graph.value(node, link)
            if isinstance(value, URIRef):
                return value
        raise InputError("profile %(path)s: %(iri)s has no %(link)s (an IRI)",
                         path=self.path, iri=self.iri, link=link)

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
        """The profile's active criteria in their ``sh:order`` (then notation)."""
        return active_criteria(self.graph, self.chain or (self.iri,), self.path)

    def text(self, shape: URIRef, link: URIRef, lang: str = "en") -> list[str]:
        """The templates of ``shape`` under ``link`` (an RDF list) in ``lang``, in order."""
        head = self.graph.value(shape, link)
        items = list(Collection(self.graph, head)) if head is not None else []
        return [str(t) for t in items if isinstance(t, Literal)
                and (t.language or "en") == lang]

    def label(self, shape: URIRef, lang: str = "en") -> str:
        labels = {getattr(lit, "language", None): str(lit)
                  for lit in self.graph.objects(shape, RDFS_LABEL)}
        return labels.get(lang) or labels.get("en") or next(iter(labels.values()), str(shape))

    def message(self, shape: URIRef, lang: str = "en") -> str:
        """The ``sh:message`` of the shape's constraint in ``lang`` (an untagged one is English)."""
        constraint = self.graph.value(shape, SH.sparql)
        messages = {getattr(m, "language", None) or "en": str(m)
                    for m in self.graph.objects(constraint, SH.message)} if constraint else {}
        return messages.get(lang) or messages.get("en") or f"does not conform to {shape}"

    def query(self, shapes: Graph, shape: URIRef, link: URIRef = HVP.evidenceQuery) -> str | None:
        """The instantiated query of ``shape`` under ``link`` (evidence, facts, shortfall) from
        ``instantiate``'s graph, with the PREFIX lines of its ``sh:prefixes``."""
        holder = shapes.value(shape, link)
        if holder is None:
            return None
        text = shapes.value(holder, SH.select)
        return None if text is None else prologue(shapes, holder) + str(text)

    def summary(self) -> dict:
        """What ``hvp profiles`` lists: the profile, what it imports, its criteria in order
        with the parameters each reads, and every parameter's value (lists as lists)."""
        read = {local_name(p) for s in self._units() for p in self.graph.objects(s, HVP.parameter)}
        values = {name: _plain(self.graph, node) for name, node in self._raw().items()
                  if name in read}

        def unit(shape: URIRef) -> list[str]:
            return sorted(local_name(p) for p in self.graph.objects(shape, HVP.parameter))

        return {"name": self.name, "iri": str(self.iri), "label": self.label(self.iri),
                "label_zh": self.label(self.iri, "zh"),
                "imports": [str(n) for n in self.chain[1:]],
                "criteria": [{"key": c.key, "criterion": str(c.iri), "shape": str(c.shape),
                              "label": self.label(c.shape), "label_zh": self.label(c.shape, "zh"),
                              "parameters": unit(c.shape)} for c in self.criteria],
                "conditions": [{"key": k, "shape": str(s), "label": self.label(s),
                                "parameters": unit(s)} for k, s in self.conditions],
                "parameters": values}  # those the active criteria and conditions read

    def _raw(self) -> dict[str, Node]:
        """Parameter name -> its RDF value as written (lists not joined)."""
        raw: dict[str, Node] = dict(DEFAULTS)
        declared = {p for s in self._units() for p in self.graph.objects(s, HVP.parameter)}
        for node in reversed(self.chain or (self.iri,)):
            for pred, value in self.graph.predicate_objects(node):
                if (str(pred).startswith(HVP_NS) and pred not in _SHAPE_LINKS) \
                        or pred in declared:
                    raw[local_name(pred)] = value
        return dict(sorted(raw.items()))


def _plain(graph: Graph, value: Node) -> object:
    """A parameter's value as JSON: a list, a number, a boolean, a text or an IRI's text."""
    if (value, RDF.first, None) in graph or value == RDF.nil:
        return [_plain(graph, v) for v in Collection(graph, value)]
    if isinstance(value, Literal):
        python = value.toPython()
        return python if isinstance(python, bool | int | float | str) else str(value)
    return str(value)


RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


def prologue(graph: Graph, holder: Node) -> str:
    """PREFIX lines of the ``sh:declare`` of the node's ``sh:prefixes``."""
    lines = set()
    for source in graph.objects(holder, SH.prefixes):
        for decl in graph.objects(source, SH.declare):
            prefix, ns = graph.value(decl, SH.prefix), graph.value(decl, SH.namespace)
            lines.add(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(sorted(lines))


def active_criteria(graph: Graph, chain: tuple[URIRef, ...], path: Path) -> tuple[Criterion, ...]:
    """The criterion shapes named along the chain, minus those ``sh:deactivated``, in order."""
    found: dict[str, tuple[float, Criterion]] = {}
    for node in chain:
        for shape in graph.objects(node, HVP.criterionShape):
            if (shape, SH.deactivated, Literal(True)) in graph:
                continue
            key = str(graph.value(shape, SKOS.notation) or "")
            criterion = graph.value(shape, HVP.checks)
            if not key or not isinstance(shape, URIRef) or not isinstance(criterion, URIRef):
                raise InputError("profile %(path)s: criterion shape %(shape_)s needs an IRI, "
                                 "skos:notation (its output key) and hvp:checks (an "
                                 "hvp:Criterion)", path=path, shape_=shape)
            order = graph.value(shape, SH.order)
            found[key] = (float(order) if isinstance(order, Literal) else float("inf"),
                          Criterion(key, criterion, shape))
    return tuple(c for _, c in sorted(found.values(), key=lambda oc: (oc[0], oc[1].key)))


def shipped() -> list[str]:
    """Names of the profiles under shapes/profiles/."""
    return sorted(p.stem for p in PROFILES.glob("*.ttl"))


def resolve(profile: str | Path) -> Path:
    """A profile name (``cnipa-2021``) or a Turtle file path -> the file."""
    path = Path(profile)
    if path.suffix == ".ttl" or path.exists():
        if not path.is_file():
            raise InputError("profile file %(path)s does not exist", path=path)
        return path
    candidate = PROFILES / f"{profile}.ttl"
    if not candidate.is_file():
        raise InputError("unknown profile %(profile)r; shipped profiles: %(shipped)s (or give "
                         "a .ttl file)", profile=str(profile), shipped=', '.join(shipped()))
    return candidate


def unit_file(iri: str, importer: Path) -> Path:
    """The file of an imported IRI: a shipped unit, profile, or a ``file:`` IRI."""
    for namespace, folder in UNITS.items():
        if iri.startswith(namespace) and "/" not in iri[len(namespace):]:
            path = folder / f"{iri[len(namespace):]}.ttl"
            if path.is_file():
                return path
    if iri.startswith("file:"):
        path = Path(unquote(urlparse(iri).path))
        if path.is_file():
            return path
    raise InputError("profile %(importer)s: owl:imports <%(iri)s> is neither a shipped "
                     "profile, criterion, condition or component nor an existing file",
                     importer=importer, iri=iri)


def _parse(path: Path) -> Graph:
    """A Turtle file as an rdflib graph, parsed by Oxigraph (about 10x faster than rdflib's
    parser, which took most of a profile's load time); relative IRIs against the file."""
    graph, nodes = Graph(), dict[str, BNode]()
    try:
        triples = list(ox.parse(path=path, format=ox.RdfFormat.TURTLE,
                                base_iri=path.resolve().as_uri()))
    except (SyntaxError, ValueError) as exc:
        raise InputError("profile %(path)s: not valid Turtle: %(engine)s",
                         path=path, engine=exc) from None
    for t in triples:
        graph.add((_term(t.subject, nodes), _term(t.predicate, nodes),
                   _term(t.object, nodes)))
    return graph


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple,
          nodes: dict[str, BNode]) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return nodes.setdefault(term.value, BNode())
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        return Literal(term.value, lang=term.language,
                       datatype=None if term.language or datatype == str(XSD.string)
                       else URIRef(datatype))
    raise InputError("RDF-star triple terms are not supported in a profile: %(term)s", term=term)


def _merged(path: Path) -> tuple[Graph, Graph]:
    """The file and everything it imports, transitively, merged; and the file's own graph.

    A file imported by its location (a relative or ``file:`` IRI) rather than by its profile's
    IRI: the importer is said to import the profile node of that file too."""
    own = _parse(path)
    merged, parsed, todo = Graph(), {path.resolve(): own}, [(path, own)]
    while todo:
        current, graph = todo.pop()
        merged += graph
        for importer, target in sorted(graph.subject_objects(OWL.imports), key=str):
            file = unit_file(str(target), current)
            if file.resolve() not in parsed:
                parsed[file.resolve()] = _parse(file)
                todo.append((file, parsed[file.resolve()]))
            for node in parsed[file.resolve()].subjects(RDF.type, HVP.Profile):
                if node != target:
                    merged.add((importer, OWL.imports, node))
    return merged, own


def _chain(graph: Graph, node: URIRef) -> tuple[URIRef, ...]:
    """The profile and the profiles it imports (depth first, nearest first)."""
    out: list[URIRef] = []

    def walk(n: URIRef) -> None:
        if n in out:
            return
        out.append(n)
        for target in sorted(graph.objects(n, OWL.imports), key=str):
            if isinstance(target, URIRef) and (target, RDF.type, HVP.Profile) in graph:
                walk(target)

    walk(node)
    return tuple(out)


def _high_value(graph: Graph, profile: URIRef, chain: tuple[URIRef, ...], path: Path) -> None:
    """The high-value shape: valid and at least one active criterion (sh:and, sh:or)."""
    shape = URIRef(f"{profile}#HighValueShape")
    valid = next((v for n in chain if isinstance(v := graph.value(n, HVP.validShape), URIRef)),
                 None)
    if valid is None:
        raise InputError("profile %(path)s: %(profile)s has no %(hvp_validshape)s (an IRI)",
                         path=path, profile=profile, hvp_validshape=HVP.validShape)
    either, both = BNode(), Graph()
    Collection(both, either, [c.shape for c in active_criteria(graph, chain, path)])
    members = BNode()
    any_of = BNode()
    Collection(both, members, [valid, any_of])
    both.add((any_of, SH["or"], either))
    graph += both
    graph.add((shape, RDF.type, SH.NodeShape))
    graph.add((shape, SH.targetClass, HVP.InventionPatent))
    graph.add((shape, RDFS_LABEL, Literal("high-value invention patent", lang="en")))
    graph.add((shape, RDFS_LABEL, Literal("高价值发明专利", lang="zh")))
    graph.add((shape, SH["and"], members))
    graph.set((profile, HVP.highValueShape, shape))


def load(profile: str | Path = DEFAULT_PROFILE) -> Profile:
    """Load a profile by name or file (raises InputError naming what to fix)."""
    path = resolve(profile)
    graph, own = _merged(path)
    nodes = [n for n in own.subjects(RDF.type, HVP.Profile) if isinstance(n, URIRef)]
    if len(nodes) != 1:
        raise InputError("profile %(path)s: expected one hvp:Profile node (an IRI), found "
                         "%(count)s", path=path, count=len(nodes))
    inline_all(graph)
    chain = _chain(graph, nodes[0])
    _high_value(graph, nodes[0], chain, path)
    loaded = Profile(path.stem, nodes[0], graph, path, chain)
    leap = str(loaded.parameters["leapDayAnniversary"])
    if leap not in LEAP_DAY_VALUES:
        raise InputError("profile %(path)s: hvp:leapDayAnniversary is %(leap)r; use one of "
                         "%(value)s",
                         path=path, leap=leap, value=', '.join(repr(v) for v in LEAP_DAY_VALUES))
    missing = sorted({local_name(p) for s in loaded._units()
                      for p in graph.objects(s, HVP.parameter)} - set(loaded.parameters))
    if missing:
        raise InputError("profile %(path)s: no value for the parameter(s) %(missing)s (set "
                         "them on the hvp:Profile node)", path=path, missing=', '.join(missing))
    return loaded
