"""Compile SHACL shapes to set-based SPARQL 1.1 SELECT queries.

``compile_shape(shapes, shape)`` gives one ``SELECT DISTINCT ?focus`` query whose answers are
the focus nodes of ``shape`` (its targets) that conform to it, i.e. for which pySHACL reports
no validation result of any severity. The query is a set expression: the targets, MINUS one
sub-``SELECT DISTINCT`` of violators per constraint; nested shapes are compiled the same way
over the set of value nodes reached by the path. See docs/compiler.md for the supported subset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal
from rdflib.term import Node

from kg.compile.compiler import Compiler
from kg.compile.shapes import SH
from kg.compile.text import binding_values, indent, substitute

__all__ = ["CompiledShape", "compile_shape", "compile_violations", "instantiate"]


@dataclass(frozen=True)
class CompiledShape:
    """A compiled shape: ``query`` selects ?focus, the conforming focus nodes."""

    shape: Node
    query: str


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


def compile_shape(shapes: Graph, shape: Node,
                  bindings: Mapping[str, Node] | None = None) -> CompiledShape:
    """Compile ``shape`` to a SELECT of its conforming focus nodes (raises CompileError)."""
    if bindings:
        shapes = instantiate(shapes, bindings)
    compiler = Compiler(shapes)
    where = compiler.conforming(shape, compiler.targets(shape))
    query = f"{compiler.prologue.text()}SELECT DISTINCT ?focus WHERE {{\n{indent(where)}\n}}\n"
    return CompiledShape(shape, query)


def compile_violations(shapes: Graph, shape: Node,
                       bindings: Mapping[str, Node] | None = None) -> CompiledShape:
    """Compile ``shape`` to a SELECT of its violating focus nodes (targets that do not conform)."""
    if bindings:
        shapes = instantiate(shapes, bindings)
    compiler = Compiler(shapes)
    bad = compiler.violators(shape, compiler.targets(shape)) or "{ VALUES ?focus { } }"
    query = f"{compiler.prologue.text()}SELECT DISTINCT ?focus WHERE {{\n{indent(bad)}\n}}\n"
    return CompiledShape(shape, query)
