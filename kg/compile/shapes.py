"""Reading the shapes graph: RDF lists, property paths, shape kinds, supported predicates."""

from __future__ import annotations

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL
from rdflib.term import Node

from kg.compile.terms import n3
from kg.errors import CompileError

SH = Namespace("http://www.w3.org/ns/shacl#")

# Predicates that configure a shape or another constraint but are no constraint themselves.
NON_CONSTRAINTS = {
    SH.path, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
    SH.target, SH.deactivated, SH.severity, SH.message, SH.name, SH.description, SH.order,
    SH.group, SH.defaultValue, SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint, SH.prefixes, SH.declare,
}

_PATH_OPERATORS = {
    SH.zeroOrMorePath: "*",
    SH.oneOrMorePath: "+",
    SH.zeroOrOnePath: "?",
}


def rdf_list(g: Graph, head: Node, shape: Node, feature: str) -> list[Node]:
    """The members of a well-formed RDF list, or a CompileError."""
    if head != RDF.nil and (head, RDF.first, None) not in g:
        raise CompileError("%(feature_)s of %(shape_)s is not an RDF list",
                           shape=shape, feature=feature,
                           feature_=feature, shape_=shape)
    return list(Collection(g, head))


def one(g: Graph, shape: Node, pred: URIRef) -> Node | None:
    """The single value of ``pred`` on ``shape`` (None if absent); refuse several."""
    values = list(g.objects(shape, pred))
    if len(values) > 1:
        raise CompileError("%(shape_)s has several %(pred)s", shape=shape, feature=str(pred),
                           shape_=shape, pred=pred)
    return values[0] if values else None


def is_true(g: Graph, shape: Node, pred: URIRef) -> bool:
    """True if ``shape pred true`` is in the graph."""
    value = one(g, shape, pred)
    return isinstance(value, Literal) and value.toPython() is True


def path_sparql(g: Graph, path: Node, shape: Node) -> str:
    """A SHACL property path as a SPARQL 1.1 property path."""
    if isinstance(path, URIRef):
        return n3(path)
    if isinstance(path, BNode):
        if (path, RDF.first, None) in g:
            steps = rdf_list(g, path, shape, "sequence path")
            return "(" + " / ".join(path_sparql(g, s, shape) for s in steps) + ")"
        inverse = one(g, path, SH.inversePath)
        if inverse is not None:
            return f"^({path_sparql(g, inverse, shape)})"
        alternatives = one(g, path, SH.alternativePath)
        if alternatives is not None:
            options = rdf_list(g, alternatives, shape, "sh:alternativePath")
            return "(" + " | ".join(path_sparql(g, s, shape) for s in options) + ")"
        for pred, op in _PATH_OPERATORS.items():
            inner = one(g, path, pred)
            if inner is not None:
                return f"({path_sparql(g, inner, shape)}){op}"
    raise CompileError("unsupported path on %(shape_)s", shape=shape, feature="path",
                       shape_=shape)


def may_be_empty(g: Graph, path: Node) -> bool:
    """True if the path can have length zero (then a node is its own value node)."""
    if isinstance(path, URIRef):
        return False
    if (path, RDF.first, None) in g:
        return all(may_be_empty(g, step) for step in Collection(g, path))
    if (path, SH.zeroOrMorePath, None) in g or (path, SH.zeroOrOnePath, None) in g:
        return True
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return any(may_be_empty(g, step) for step in Collection(g, alternatives))
    inner = g.value(path, SH.inversePath) or g.value(path, SH.oneOrMorePath)
    return inner is not None and may_be_empty(g, inner)


def has_implicit_class_target(g: Graph, shape: Node) -> bool:
    """A shape that is also an rdfs:Class (or owl:Class, or a subclass of rdfs:Class)."""
    if not isinstance(shape, URIRef):
        return False
    for kind in g.objects(shape, RDF.type):
        if kind in (RDFS.Class, OWL.Class):
            return True
        if RDFS.Class in g.transitive_objects(kind, RDFS.subClassOf):
            return True
    return False


def custom_parameters(g: Graph) -> set[Node]:
    """Parameters of constraint components declared in the shapes graph (SHACL-SPARQL)."""
    params: set[Node] = set()
    for component in g.subjects(RDF.type, SH.ConstraintComponent):
        for param in g.objects(component, SH.parameter):
            params.update(g.objects(param, SH.path))
    return params
