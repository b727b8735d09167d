"""The compiler: conforming focus nodes of a shape as MINUS-combined sets of violators."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile import sparql
from kg.compile.constraints import BUILDERS, qualified_sets
from kg.compile.scope import Scope
from kg.compile.sets import EMPTY, select_focus, union
from kg.compile.shapes import (
    NON_CONSTRAINTS,
    SH,
    custom_parameters,
    has_implicit_class_target,
    is_true,
    may_be_empty,
    path_sparql,
)
from kg.compile.terms import n3
from kg.errors import CompileError

_RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
_TYPE_PATH = f"{_RDF_TYPE}/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"
# What a node shape may say besides sh:class for Compiler.instances.
_INSTANCE_ONLY = {SH["class"], SH.name, SH.description, SH.message}

# Features refused by name, with the reason given in the error.
REFUSED: dict[Node, str] = {
    SH.closed: "sh:closed", SH.ignoredProperties: "sh:closed", SH.languageIn: "sh:languageIn",
    SH.uniqueLang: "sh:uniqueLang", SH.js: "SHACL-JS", SH.jsFunctionName: "SHACL-JS",
    SH.rule: "SHACL rules",
}


def _by_text(pair: tuple[Node, Node]) -> tuple[str, str]:
    """Sort key giving a stable constraint order (and so a stable query text)."""
    return str(pair[0]), pair[1].n3()


class Part(NamedTuple):
    """One constraint (``shape parameter value``) and the set of its violators."""

    shape: Node
    parameter: Node
    value: Node
    violators: str
    #: The constraint component, where the parameter alone does not say it (the qualified
    #: counts reported apart, in rows mode).
    component: URIRef | None = None


@dataclass
class Compiler:
    """Compiles the shapes of one shapes graph; collects the prefixes the query needs."""

    g: Graph
    prologue: sparql.Prologue = field(default_factory=sparql.Prologue)
    stack: tuple = ()
    # Target classes that the caller knows to have no subclasses in the data graph: their
    # focus nodes are plain ``rdf:type`` triples, unique, so no path and no DISTINCT is needed.
    leaf_classes: frozenset = frozenset()

    @cached_property
    def custom_parameters(self) -> set[Node]:
        """Parameters of constraint components declared in the shapes graph."""
        return custom_parameters(self.g)

    def conforming(self, shape: Node, candidates: str) -> str:
        """The candidates that conform to ``shape``: candidates MINUS each violator set."""
        sets = self.violator_sets(shape, candidates)
        if not sets:
            return candidates
        return select_focus(candidates + "".join(f"\nMINUS {s}" for s in sets))

    def instances(self, shape: Node) -> str | None:
        """The nodes that conform to a node shape whose constraints are sh:class only: the
        instances of its classes, a set that needs no candidates (a caller cuts it to its
        own); None for any other shape. What sh:xone and sh:not build on: the candidates
        minus each member's violators evaluated the candidates twice per member."""
        preds = {p for p in self.g.predicates(shape) if str(p).startswith(str(SH))}
        classes = sorted(self.g.objects(shape, SH["class"]), key=str)
        if not classes or preds - _INSTANCE_ONLY or is_true(self.g, shape, SH.deactivated):
            return None
        return select_focus("\n".join(f"?focus {_TYPE_PATH} {n3(c)} ." for c in classes))

    def violators(self, shape: Node, candidates: str) -> str | None:
        """One set of the candidates that violate ``shape`` (None if none can)."""
        sets = self.violator_sets(shape, candidates)
        return union(sets) if sets else None

    def violator_sets(self, shape: Node, candidates: str) -> list[str]:
        """One violator set per constraint of ``shape`` and of its property shapes."""
        return [part.violators for part in self.violator_parts(shape, candidates)]

    def violator_parts(self, shape: Node, candidates: str, *, targeted: bool = False,
                       rows: bool = False) -> list[Part]:
        """The violator set of each constraint, with the constraint it comes from.

        ``targeted``: each set holds candidates only (else it may hold other nodes, which a
        caller that joins or subtracts from the candidates does not see). ``rows``: each set
        is rows of ``?focus ?value`` where a value node violates (kg.compile.results)."""
        if is_true(self.g, shape, SH.deactivated):
            return []
        if shape in self.stack:
            raise CompileError("recursive shape %(shape_)s", shape=shape,
                               feature="recursive shapes", shape_=shape)
        self.stack += (shape,)
        try:
            return self._constraint_parts(shape, candidates, targeted, rows)
        finally:
            self.stack = self.stack[:-1]

    def _constraint_parts(self, shape: Node, candidates: str, targeted: bool,
                          rows: bool) -> list[Part]:
        path = self.g.value(shape, SH.path)
        if path is None:
            scope = Scope(shape, None, candidates, targeted=targeted, rows=rows)
        else:
            scope = Scope(shape, path_sparql(self.g, path, shape), candidates,
                          may_be_empty(self.g, path), targeted=targeted, rows=rows,
                          plain_path=isinstance(path, URIRef))
        parts = []
        for pred, value in sorted(self.g.predicate_objects(shape), key=_by_text):
            self._check_supported(shape, pred)
            if pred == SH.property:
                if rows and path is not None:
                    raise scope.refuse("sh:property", "a property shape inside a property "
                                       "shape is not compiled to validation results")
                parts += self.violator_parts(value, candidates, targeted=targeted, rows=rows)
            elif pred == SH.qualifiedValueShape and rows:
                parts += [Part(shape, pred, value, found, component)
                          for component, found in qualified_sets(self, scope, value)]
            elif pred in BUILDERS:
                built = BUILDERS[pred](self, scope, value)
                parts += [Part(shape, pred, value, built)] if built is not None else []
        return parts

    def _check_supported(self, shape: Node, pred: Node) -> None:
        if pred in REFUSED:
            raise CompileError("%(refused)s on %(shape_)s is not supported", shape=shape,
                               feature=REFUSED[pred], refused=REFUSED[pred], shape_=shape)
        if pred in self.custom_parameters:
            raise CompileError("custom constraint component parameter %(pred)s on %(shape_)s",
                               shape=shape, feature="custom constraint components",
                               pred=pred, shape_=shape)
        known = pred in BUILDERS or pred in NON_CONSTRAINTS or pred == SH.property
        if str(pred).startswith(str(SH)) and not known:
            raise CompileError("%(pred)s on %(shape_)s is not supported", shape=shape,
                               feature=str(pred), pred=pred, shape_=shape)

    def targets(self, shape: Node) -> str:
        """The set of focus nodes of ``shape``'s targets."""
        sets, nodes = [], sorted(self.g.objects(shape, SH.targetNode), key=str)
        if nodes:
            sets.append("{ VALUES ?focus { " + " ".join(n3(n) for n in nodes) + " } }")
        classes = sorted(self.g.objects(shape, SH.targetClass), key=str)
        if has_implicit_class_target(self.g, shape):
            classes.append(shape)
        sets += [f"{{ ?focus {_RDF_TYPE} {n3(c)} }}" if c in self.leaf_classes
                 else select_focus(f"?focus {_TYPE_PATH} {n3(c)} .") for c in classes]
        sets += [select_focus(f"?focus {n3(p)} ?object .")
                 for p in sorted(self.g.objects(shape, SH.targetSubjectsOf), key=str)]
        sets += [select_focus(f"?subject {n3(p)} ?focus .")
                 for p in sorted(self.g.objects(shape, SH.targetObjectsOf), key=str)]
        sets += [self._custom_target(shape, t) for t in self.g.objects(shape, SH.target)]
        return union(sets) if sets else EMPTY

    def target_test(self, shape: Node) -> str | None:
        """A pattern that holds for a bound ``?focus`` exactly when it is a focus node of
        ``shape``'s targets, for ``FILTER EXISTS``: triple patterns and paths only (the engine
        evaluates a sub-SELECT inside EXISTS without the outer binding, once per row); None
        when a target cannot be written so (a SPARQL target) or the shape has none."""
        if any(True for _ in self.g.objects(shape, SH.target)):
            return None
        tests = []
        nodes = sorted(self.g.objects(shape, SH.targetNode), key=str)
        if nodes:
            tests.append("VALUES ?focus { " + " ".join(n3(n) for n in nodes) + " }")
        classes = sorted(self.g.objects(shape, SH.targetClass), key=str)
        if has_implicit_class_target(self.g, shape):
            classes.append(shape)
        tests += [f"?focus {_RDF_TYPE if c in self.leaf_classes else _TYPE_PATH} {n3(c)} ."
                  for c in classes]
        tests += [f"?focus {n3(p)} ?object ."
                  for p in sorted(self.g.objects(shape, SH.targetSubjectsOf), key=str)]
        tests += [f"?subject {n3(p)} ?focus ."
                  for p in sorted(self.g.objects(shape, SH.targetObjectsOf), key=str)]
        if not tests:
            return None
        return "{ " + " }\nUNION { ".join(tests) + " }"

    def _custom_target(self, shape: Node, target: Node) -> str:
        if isinstance(target, (URIRef, Literal)) or (target, SH.select, None) not in self.g:
            raise CompileError("sh:target of %(shape_)s is not a SPARQL target", shape=shape,
                               feature="custom targets", shape_=shape)
        return sparql.target_set(self.g, target, shape, self.prologue)
