"""Validation results compiled: one SELECT of ``?focus ?value`` rows per constraint of a shape.

``compile_results(shapes, shape)`` compiles a shape with targets (and its property shapes) into
one query per constraint, each answering the focus nodes of the shape's targets that violate
that constraint, with the value node that violates it where SHACL (and pySHACL) names one in
``sh:value``. Each row is one ``sh:ValidationResult``; the query carries the rest of the result
(source shape, path, component, severity, messages). See docs/compiler.md, "Validation
reports".

``compile_shape_results(shapes, shape)`` gives the same results as ``hvp validate`` runs them:
each constraint compiled without the targets where it does not need them, and each of its rows
tested for the targets (``FILTER EXISTS``), one query per constraint; where a target cannot be
written as such a test (a SPARQL target), one query per shape whose targets are evaluated once
and joined with the UNION of every constraint's violators, each naming its constraint in
``?hvpConstraint`` (SHACL-SPARQL constraints keep a query each). Decisions 77 and 94.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile import instantiate
from kg.compile.compiler import Compiler, Part
from kg.compile.sets import indent
from kg.compile.shapes import SH, has_implicit_class_target
from kg.errors import InputError

__all__ = ["CONSTRAINT_VAR", "ResultQuery", "ShapeQuery", "compile_results",
           "compile_shape_results", "component_of", "shapes_with_targets"]

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


@dataclass(frozen=True)
class ResultQuery:
    """The results of one constraint: ``query`` selects ``?focus`` and, where a value node
    violates, ``?value``; every other field of the results is fixed."""

    source_shape: Node
    component: URIRef
    parameter: Node
    value: Node
    path: Node | None
    severity: Node
    messages: tuple[Literal, ...]
    query: str
    #: SHACL-SPARQL: the constraint node (sh:sourceConstraint); its rows may bind ?path and
    #: the variables that ``{?name}`` in a message names; a node shape's result without
    #: ?value names the focus node.
    source_constraint: Node | None = None


#: The variable of a shape's query (:class:`ShapeQuery`) that names the constraint a row
#: violates: its index in ``ShapeQuery.constraints``.
CONSTRAINT_VAR = "hvpConstraint"


@dataclass(frozen=True)
class ShapeQuery:
    """The results of one or more constraints of a shape in one query over its targets:
    ``query`` selects ``?focus``, ``?value`` where a value node violates and, when it holds
    more than one constraint, ``?hvpConstraint`` (:data:`CONSTRAINT_VAR`), the index into
    ``constraints`` of the constraint the row violates (with one, every row is of that one
    and may bind what a SHACL-SPARQL constraint projects)."""

    shape: Node
    constraints: tuple[ResultQuery, ...]
    query: str


def shapes_with_targets(shapes: Graph) -> list[Node]:
    """Every shape that declares a target (or is an implicit class target), not deactivated,
    in a stable order: the shapes a validator starts from."""
    found = {s for pred in _TARGETS for s in shapes.subjects(pred, None)}
    found |= {s for s in set(shapes.subjects()) if has_implicit_class_target(shapes, s)
              and any(str(p).startswith(str(SH)) for p in shapes.predicates(s))}
    return sorted(found, key=lambda s: (isinstance(s, URIRef) is False, str(s)))


def component_of(shapes: Graph, part: Part) -> URIRef:
    """The sh:sourceConstraintComponent of a constraint (``shape parameter value``)."""
    if part.component is not None:
        return part.component
    if part.parameter == SH.sparql:
        return SH.SPARQLConstraintComponent
    name = str(part.parameter).removeprefix(str(SH))
    return SH[name[0].upper() + name[1:] + "ConstraintComponent"]


def compile_results(shapes: Graph, shape: Node,
                    bindings: Mapping[str, Node] | None = None) -> list[ResultQuery]:
    """One :class:`ResultQuery` per constraint of ``shape`` and of its property shapes, over
    the shape's targets (raises CompileError for what is not compiled)."""
    if (shape, None, None) not in shapes:
        raise InputError("no shape %(shape_)s in the shapes graph", shape_=shape)
    if bindings:
        shapes = instantiate(shapes, bindings)
    compiler = Compiler(shapes)
    parts = compiler.violator_parts(shape, compiler.targets(shape), targeted=True, rows=True)
    prologue = compiler.prologue.text()
    return [_result_query(shapes, part, prologue) for part in parts]


def _result_query(shapes: Graph, part: Part, prologue: str,
                  where: str | None = None) -> ResultQuery:
    sparql = part.parameter == SH.sparql
    messages = [m for m in shapes.objects(part.shape, SH.message) if isinstance(m, Literal)]
    if sparql:  # the constraint's own messages, then the shape's (as pySHACL gives them)
        messages = [m for m in shapes.objects(part.value, SH.message)
                    if isinstance(m, Literal) and m not in messages] + messages
    return ResultQuery(
        source_shape=part.shape, component=component_of(shapes, part),
        parameter=part.parameter, value=part.value, path=shapes.value(part.shape, SH.path),
        severity=shapes.value(part.shape, SH.severity) or SH.Violation,
        messages=tuple(messages),
        query=f"{prologue}SELECT * WHERE {{\n{indent(where or part.violators)}\n}}\n",
        source_constraint=part.value if sparql else None)


def compile_shape_results(shapes: Graph, shape: Node,
                          bindings: Mapping[str, Node] | None = None) -> list[ShapeQuery]:
    """The results of every constraint of ``shape`` and of its property shapes: a
    :class:`ShapeQuery` per constraint whose rows are tested for the targets, or one for them
    all joined with the targets (see the module's docstring); each SHACL-SPARQL constraint in
    a query of its own (its rows bind variables of its own choosing). The same results as
    :func:`compile_results` (raises CompileError for what is not compiled)."""
    if (shape, None, None) not in shapes:
        raise InputError(f"no shape {shape} in the shapes graph")
    if bindings:
        shapes = instantiate(shapes, bindings)
    compiler = Compiler(shapes)
    targets = compiler.targets(shape)
    # Not ``targeted``: a constraint's set may then hold nodes outside the targets (and the
    # targets are left out of it where it does not need them); the one join with the targets
    # below cuts them, as it would any candidate set (kg.compile.scope.Scope).
    parts = compiler.violator_parts(shape, targets, rows=True)
    prologue = compiler.prologue.text()
    core = [p for p in parts if p.parameter != SH.sparql]
    queries = []
    test = compiler.target_test(shape)
    if core and test is not None:
        # The targets as a test of each row (a few index lookups), not a set joined with the
        # rows: the engine hashed every focus node of the targets for that join (at 250,000
        # patents a quarter of the patent shape's memory and of its CPU), where the rows are
        # a constraint's violators, nodes outside the targets included (decision 77: few
        # where the data is good). With nothing to share, each constraint is a query of its
        # own: the engine's memory is one constraint's, and a shape's bar moves per
        # constraint. In a sub-SELECT, so that the engine does not push the test down into
        # the constraint's pattern (once per triple it reads).
        exists = f"FILTER EXISTS {{\n{indent(test)}\n}}"
        for p in core:
            where = f"{{ SELECT * WHERE {{\n{indent(p.violators)}\n}} }}\n{exists}"
            q = _result_query(shapes, p, prologue, f"{targets}\n{p.violators}")
            queries.append(ShapeQuery(
                shape, (q,),
                f"{prologue}SELECT * WHERE {{\n{indent(where)}\n}}\n{_ORDER_ONE}\n"))
    elif core:
        branches = [f"{{ {p.violators}\n  BIND({i} AS ?{CONSTRAINT_VAR}) }}"
                    for i, p in enumerate(core)]
        where = f"{targets}\n{{\n{indent(_union(branches))}\n}}"
        queries.append(ShapeQuery(
            shape, tuple(_result_query(shapes, p, prologue, f"{targets}\n{p.violators}")
                         for p in core),
            f"{prologue}SELECT * WHERE {{\n{indent(where)}\n}}\n{_ORDER}\n"))
    for part in parts:
        if part.parameter == SH.sparql:  # its candidates are the targets already
            q = _result_query(shapes, part, prologue)
            queries.append(ShapeQuery(shape, (q,), q.query))
    return queries


# The engine's hash join gives the rows of a UNION in an order of its own, another each run:
# the rows sorted (only the results: none for conforming data) keep a report the same.
_ORDER = f"ORDER BY ?{CONSTRAINT_VAR} ?focus ?value"
_ORDER_ONE = "ORDER BY ?focus ?value"


def _union(branches: list[str]) -> str:
    return "\nUNION ".join(branches)
