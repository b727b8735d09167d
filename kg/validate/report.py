"""Validation results as records, written as they come (text or Turtle), and compared.

A :class:`Result` is one ``sh:ValidationResult``. The writers take results one at a time, so a
report of any size is written without holding it: :class:`TextReport` prints the first
``max_results`` and counts the rest; :class:`TurtleReport` writes every result as a Turtle
statement, and the report node with ``sh:conforms`` (and the description of every blank-node
shape or path that a result names, as pySHACL copies them) at the end.

:func:`canonical` turns a report into a set of comparable tuples: what "identical to pySHACL's
report" means (docs/compiler.md, "Validation reports").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile.shapes import path_sparql
from kg.vocab import SH

_LABEL = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class Result:
    """One validation result (``sh:ValidationResult``)."""

    focus: Node
    source_shape: Node
    component: URIRef
    severity: Node
    path: Node | None = None
    value: Node | None = None
    messages: tuple[Literal, ...] = ()
    source_constraint: Node | None = None


def is_violation(result: Result) -> bool:
    """A result that makes the data non-conforming (sh:Warning and sh:Info do not, as with
    pySHACL's ``allow_warnings=True``)."""
    return result.severity not in (SH.Warning, SH.Info)


# --- text ---------------------------------------------------------------------------------

@dataclass
class TextReport:
    """A text report: one block per result up to ``max_results``, then a count of the rest."""

    out: IO[str]
    shapes: Graph
    max_results: int | None = 100
    count: int = 0
    violations: int = 0

    def write(self, result: Result) -> None:
        self.count += 1
        self.violations += is_violation(result)
        if self.max_results is None or self.count <= self.max_results:
            self.out.write(self._block(result))

    def close(self) -> bool:
        """Write the summary; True if the data conforms."""
        shown = self.count if self.max_results is None else min(self.count, self.max_results)
        more = self.count - shown
        self.out.write(f"Conforms: {self.violations == 0}\n")
        self.out.write(f"Results: {self.count:,}")
        if more:
            self.out.write(f" ({shown:,} shown, {more:,} more: raise --max-results, or write "
                           "them all with --format ttl)")
        self.out.write("\n")
        return self.violations == 0

    def _block(self, r: Result) -> str:
        severity = str(r.severity).removeprefix(str(SH))
        component = str(r.component).removeprefix(str(SH))
        lines = [f"{severity} ({component}) on {r.focus.n3()}",
                 f"  shape: {shape_name(self.shapes, r.source_shape)}"]
        if r.path is not None:
            lines.append(f"  path: {_path_text(self.shapes, r.path)}")
        if r.value is not None:
            lines.append(f"  value: {r.value.n3(self.shapes.namespace_manager)}")
        lines += [f"  message: {m}" for m in r.messages]
        return "\n".join(lines) + "\n"


def shape_name(shapes: Graph, shape: Node) -> str:
    """A shape's prefixed name (or IRI; a blank node by its sh:name)."""
    if isinstance(shape, URIRef):
        try:
            return shapes.namespace_manager.normalizeUri(shape)
        except Exception:  # noqa: BLE001 - rdflib raises several types for odd IRIs
            return shape.n3()
    return f"[{shapes.value(shape, SH.name) or 'blank node'}]"


def _path_text(shapes: Graph, path: Node) -> str:
    if isinstance(path, URIRef):
        return shapes.namespace_manager.normalizeUri(path)

    try:
        return path_sparql(shapes, path, path)
    except Exception:  # noqa: BLE001 - a path the compiler cannot write: show its node
        return path.n3()


# --- Turtle ---------------------------------------------------------------------------------

@dataclass
class TurtleReport:
    """A Turtle ``sh:ValidationReport`` written one result at a time."""

    out: IO[str]
    shapes: Graph
    count: int = 0
    violations: int = 0
    described: set[Node] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.out.write(f"@prefix sh: <{SH}> .\n")
        self.out.write(f"@prefix rdf: <{RDF}> .\n\n")

    def write(self, result: Result) -> None:
        self.count += 1
        self.violations += is_violation(result)
        node = f"_:r{self.count}"
        pairs: list[tuple[str, Node | None]] = [
            ("sh:focusNode", result.focus), ("sh:resultPath", result.path),
            ("sh:value", result.value), ("sh:sourceShape", result.source_shape),
            ("sh:sourceConstraintComponent", result.component),
            ("sh:sourceConstraint", result.source_constraint),
            ("sh:resultSeverity", result.severity)]
        pairs += [("sh:resultMessage", m) for m in result.messages]
        body = " ;\n    ".join(f"{p} {self._term(o)}" for p, o in pairs if o is not None)
        self.out.write(f"{node} a sh:ValidationResult ;\n    {body} .\n"
                       f"_:report sh:result {node} .\n")

    def close(self) -> bool:
        """Write the report node and the blank nodes results name; True if conforming."""
        conforms = self.violations == 0
        self.out.write(f"_:report a sh:ValidationReport ;\n    sh:conforms "
                       f"{'true' if conforms else 'false'} .\n")
        todo, seen = list(self.described), set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for p, o in sorted(self.shapes.predicate_objects(node)):
                self.out.write(f"{self._label(node)} {p.n3()} {self._term(o, todo)} .\n")
        return conforms

    def _label(self, node: Node) -> str:
        return "_:s" + _LABEL.sub("_", str(node))

    def _term(self, term: Node, todo: list[Node] | None = None) -> str:
        if isinstance(term, BNode):
            if (term, None, None) in self.shapes:  # a shape or a path: described at the end
                if todo is None:
                    self.described.add(term)
                else:
                    todo.append(term)
                return self._label(term)
            return "_:d" + _LABEL.sub("_", str(term))  # a blank node of the data
        return term.n3()


# --- comparison -----------------------------------------------------------------------------

Canonical = tuple


def canonical_term(graph: Graph, node: Node | None, depth: int = 0) -> object:
    """A comparable form of a result's term: an IRI as it is; a literal by its value where it
    is well-formed (Oxigraph keeps numbers in canonical form); a blank node of the shapes by
    what it says (its description, recursively)."""
    if node is None or isinstance(node, URIRef):
        return node
    if isinstance(node, Literal):
        datatype = None if node.datatype == XSD.string else node.datatype
        if node.ill_typed or node.value is None:
            return ("literal", str(node), datatype, node.language)
        return ("literal", node.value, datatype, node.language)
    if depth > 20:
        return ("blank",)
    return frozenset((p, canonical_term(graph, o, depth + 1))
                     for p, o in graph.predicate_objects(node) if p != RDF.type)


def canonical(results: Iterable[Result], graph: Graph,
              messages: bool = True) -> set[Canonical]:
    """The set of results as comparable tuples: blank-node shapes and paths resolved in
    ``graph`` (the shapes graph, or the report graph that holds copies of them); a blank node
    of the data (focus node or value) only as "a blank node", as the two engines label them
    differently. ``messages=False`` leaves messages out."""
    def data(term: Node | None) -> object:
        return ("blank",) if isinstance(term, BNode) else canonical_term(graph, term)

    return {(data(r.focus), canonical_term(graph, r.path), data(r.value),
             canonical_term(graph, r.source_shape), r.component, r.severity,
             canonical_term(graph, r.source_constraint),
             frozenset(str(m) for m in r.messages) if messages else None)
            for r in results}
