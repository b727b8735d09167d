"""Compile SHACL shapes to set-based SPARQL 1.1 SELECT queries.

``compile_shape(shapes, shape)`` gives one ``SELECT DISTINCT ?focus`` query whose answers are
the focus nodes of ``shape`` (its targets) that conform to it, i.e. for which pySHACL reports
no validation result of any severity. The query is a set expression: the targets, MINUS one
sub-``SELECT DISTINCT`` of violators per constraint; nested shapes are compiled the same way
over the set of value nodes reached by the path. See docs/compiler.md for the supported subset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal
from rdflib.term import Node

from kg.compile.compiler import Compiler
from kg.compile.idioms import negated_subselect, plain_violators
from kg.compile.sets import indent, undistinct
from kg.compile.shapes import SH, is_true
from kg.compile.sparql import Prologue, select_text
from kg.compile.variables import binding_values, substitute
from kg.errors import InputError

__all__ = ["CompiledShape", "compile_conformers", "compile_plain_violators", "compile_shape",
           "compile_violations", "instantiate"]


@dataclass(frozen=True)
class CompiledShape:
    """A compiled shape.

    ``query`` selects ?focus: the conforming focus nodes (compile_shape) or the violating
    ones (compile_violations). For compile_violations ``constraints[i]`` is the
    ``(shape, parameter, value)`` of the constraint that the query reports as ?constraint i.
    """

    shape: Node
    query: str
    constraints: tuple[tuple[Node, Node, Node], ...] = ()


def instantiate(shapes: Graph, bindings: Mapping[str, Node] | None) -> Graph:
    """A copy of ``shapes`` with each ``$name``/``?name`` parameter of every sh:select
    replaced by the N3 of ``bindings[name]``; give the result to pySHACL and the compiler
    alike so both run the same SPARQL text."""
    values = binding_values(bindings)
    out = Graph()
    for prefix, namespace in shapes.namespaces():
        out.bind(prefix, namespace, override=True)
    for s, p, o in shapes:
        if values and p in (SH.select, SH.ask) and isinstance(o, Literal):
            o = Literal(substitute(str(o), values), lang=o.language, datatype=o.datatype)
        out.add((s, p, o))
    return out


def _compiler(shapes: Graph, shape: Node, bindings: Mapping[str, Node] | None,
              leaf_classes: Iterable[Node] = ()) -> Compiler:
    if (shape, None, None) not in shapes:
        raise InputError("no shape %(shape_)s in the shapes graph", shape_=shape)
    return Compiler(instantiate(shapes, bindings) if bindings else shapes,
                    leaf_classes=frozenset(leaf_classes))


def compile_shape(shapes: Graph, shape: Node,
                  bindings: Mapping[str, Node] | None = None) -> CompiledShape:
    """Compile ``shape`` to a SELECT of its conforming focus nodes (raises CompileError)."""
    compiler = _compiler(shapes, shape, bindings)
    where = compiler.conforming(shape, compiler.targets(shape))
    query = f"{compiler.prologue.text()}SELECT DISTINCT ?focus WHERE {{\n{indent(where)}\n}}\n"
    return CompiledShape(shape, query)


def compile_violations(shapes: Graph, shape: Node,
                       bindings: Mapping[str, Node] | None = None, *, as_set: bool = False,
                       leaf_classes: Iterable[Node] = ()) -> CompiledShape:
    """Compile ``shape`` to a SELECT of ``?focus ?constraint``: each violating focus node with
    the index (xsd:integer) into ``constraints`` of each constraint it violates; only focus
    nodes of the shape's targets are reported. Constraints
    of nested shapes are reported as the sh:node/sh:or/... constraint that uses them, and
    property shapes' constraints as their own, as pySHACL reports them.

    ``as_set=True``: the caller reads the answers as a set, so the query may repeat a row
    (no DISTINCT at the top). ``leaf_classes``: target classes that have no subclasses in the
    data graph; their targets are plain ``rdf:type`` triples. Both give the same set of
    answers, faster (docs/compiler.md, "Options for set readers")."""
    compiler = _compiler(shapes, shape, bindings, leaf_classes)
    parts = compiler.violator_parts(shape, compiler.targets(shape), targeted=True)
    sets = [undistinct(p.violators) if as_set else p.violators for p in parts]
    branches = [f"{{ {s}\n  BIND({i} AS ?constraint) }}" for i, s in enumerate(sets)]
    where = "\nUNION\n".join(branches) or "{ VALUES (?focus ?constraint) { } }"
    select = "SELECT" if as_set else "SELECT DISTINCT"
    query = (f"{compiler.prologue.text()}{select} ?focus ?constraint WHERE {{\n"
             f"{indent(where)}\n}}\n")
    constraints = tuple((p.shape, p.parameter, p.value) for p in parts)
    return CompiledShape(shape, query, constraints)


# What a shape may hold besides its one sh:sparql for compile_conformers (no other constraint).
_ANNOTATIONS = {SH.targetClass, SH.sparql, SH.name, SH.description, SH.message, SH.severity,
                SH.order, SH.group}


def _single_sparql(shapes: Graph, shape: Node, bindings: Mapping[str, Node] | None
                   ) -> tuple[str, str] | None:
    """(prologue, select) of the one SHACL-SPARQL constraint of a shape with sh:targetClass and
    nothing else; None for any other shape."""
    g = instantiate(shapes, bindings) if bindings else shapes
    preds = {p for p in g.predicates(shape) if str(p).startswith(str(SH))}
    constraints = list(g.objects(shape, SH.sparql))
    if preds - _ANNOTATIONS or len(constraints) != 1 or is_true(g, shape, SH.deactivated) \
            or (shape, SH.targetClass, None) not in g or is_true(g, constraints[0], SH.deactivated):
        return None
    prologue = Prologue()
    body = select_text(g, constraints[0], shape, prologue)
    return prologue.text(), body


def _wrap(prologue: str, select: str) -> str:
    return (f"{prologue}SELECT ?focus WHERE {{\n  {{ SELECT (?this AS ?focus) WHERE {{\n"
            f"{indent(indent(select))}\n  }} }}\n}}\n")


def compile_conformers(shapes: Graph, shape: Node,
                       bindings: Mapping[str, Node] | None = None) -> CompiledShape | None:
    """A query whose ``?focus`` answers, intersected with the targets, are the conforming focus
    nodes — for a shape with sh:targetClass and one SHACL-SPARQL constraint in the negated
    sub-SELECT idiom (kg.compile.idioms) and nothing else; None for any other shape (use
    :func:`compile_violations`). Same set, without joining every target with the constraint."""
    found = _single_sparql(shapes, shape, bindings)
    inner = negated_subselect(*found) if found else None
    return CompiledShape(shape, _wrap(found[0], inner)) if found and inner else None


def compile_plain_violators(shapes: Graph, shape: Node,
                            bindings: Mapping[str, Node] | None = None) -> CompiledShape | None:
    """A query whose ``?focus`` answers, intersected with the targets, are the violating focus
    nodes — for a shape like :func:`compile_conformers` whose one constraint is filters over a
    basic graph pattern binding ``$this`` (kg.compile.idioms); None for any other shape."""
    found = _single_sparql(shapes, shape, bindings)
    return CompiledShape(shape, _wrap(*found)) if found and plain_violators(*found) else None
