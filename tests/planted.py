"""Planted violations: for every constraint of every shape with a target class, a new focus node
of that class whose data violates that constraint (read from the shapes, so a constraint added
to shapes/data/ gets its planted node without a change here)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.compile.results import shapes_with_targets
from kg.vocab import SH

PLANTED = Namespace("https://w3id.org/hvp/test/planted/")
Triple = tuple[Node, Node, Node]


def constraints(shapes: Graph) -> Iterator[tuple[Node, Node, Node, Node]]:
    """(target class, shape, parameter, value) of every constraint of every shape with a
    target class, its property shapes included."""
    for top in shapes_with_targets(shapes):
        for cls in shapes.objects(top, SH.targetClass):
            for shape in [top, *shapes.objects(top, SH.property)]:
                for param, value in sorted(shapes.predicate_objects(shape)):
                    if param not in (SH.path, SH.property, SH.name, SH.message, SH.targetClass,
                                     RDF.type, SH.severity, SH.flags, SH.description):
                        yield cls, shape, param, value


def violation(shapes: Graph, shape: Node, param: Node, value: Node,
              focus: URIRef) -> list[Triple]:
    """Triples (besides the focus node's type) that make ``focus`` violate the constraint."""
    path = shapes.value(shape, SH.path)
    others: list[Node] = []
    if path is not None and not isinstance(path, URIRef):  # sh:alternativePath ( a b )
        others = list(Collection(shapes, shapes.value(path, SH.alternativePath)))
        path = others[-1]
    if param == SH.xone:  # a member of each of two kinds
        kinds = [shapes.value(m, SH["class"]) for m in Collection(shapes, value)]
        return [(focus, RDF.type, k) for k in kinds[:2]]
    if param == SH.minCount:
        return []
    if param == SH.maxCount:
        return [(focus, path, Literal(f"v{i}")) for i in range(value.toPython() + 1)]
    if param == SH.equals:
        return [(focus, path, PLANTED["not-an-owner"])]
    if param == SH.lessThanOrEquals:
        return [(focus, path, Literal("2020-01-02", datatype=XSD.date)),
                (focus, value, Literal("2020-01-01", datatype=XSD.date))]
    bad = {
        SH.nodeKind: PLANTED.iri if value == SH.Literal else Literal("x"),
        SH.minLength: Literal(""),
        SH.datatype: Literal(5) if value == XSD.string else Literal("x"),
        SH.pattern: Literal("!!"),
        SH["class"]: PLANTED.untyped,
        SH.minInclusive: Literal(-1),
        SH.minExclusive: Literal(-1),
        SH.maxInclusive: Literal(999999),
    }[param]
    return [(focus, path, bad)]


def plant(shapes: Graph, rng: random.Random | None = None, nodes: int = 0,
          most: int = 4) -> Graph:
    """A graph of planted violations. Without ``rng``: one focus node per constraint. With
    it: ``nodes`` focus nodes, each of a random class carrying 1..``most`` random violations of
    that class's constraints (mixed on one node)."""
    found = list(constraints(shapes))
    out = Graph()
    if rng is None:
        for i, (cls, shape, param, value) in enumerate(found):
            focus = PLANTED[f"n{i}"]
            out.add((focus, RDF.type, cls))
            for triple in violation(shapes, shape, param, value, focus):
                out.add(triple)
        return out
    classes = sorted({c for c, *_ in found})
    for i in range(nodes):
        cls = rng.choice(classes)
        focus = PLANTED[f"r{i}"]
        out.add((focus, RDF.type, cls))
        mine = [c for c in found if c[0] == cls]
        for _, shape, param, value in rng.sample(mine, min(len(mine), rng.randint(1, most))):
            for triple in violation(shapes, shape, param, value, focus):
                out.add(triple)
    return out
