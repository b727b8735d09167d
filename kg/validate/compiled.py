"""Validation compiled to SPARQL: every shape with targets, one query per constraint, run in
the store (nothing copied out of it), results streamed as :class:`~kg.validate.report.Result`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile.results import ResultQuery, compile_results, shapes_with_targets
from kg.errors import CompileError, InputError
from kg.progress import Progress
from kg.store import Store
from kg.validate.report import Result, shape_name

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def compile_all(shapes: Graph) -> list[tuple[Node, list[ResultQuery]]]:
    """The result queries of every shape with targets; a shape the compiler cannot compile is
    an input error naming it (nothing has run yet)."""
    compiled = []
    for shape in shapes_with_targets(shapes):
        try:
            compiled.append((shape, compile_results(shapes, shape)))
        except CompileError as exc:
            raise InputError(
                f"shape {shape} cannot be compiled to SPARQL: {exc}; validate with "
                "`hvp validate --engine pyshacl` (the reference engine), or leave the shape "
                "out (--shapes)") from exc
    return compiled


def results(store: Store, shapes: Graph, progress: Progress | None = None) -> Iterator[Result]:
    """Every validation result of the store's default graph against ``shapes``, one
    constraint query at a time, rows streamed from the engine. ``progress`` hears, per shape
    (label ``shape NAME``), the constraint queries done of its total and the results found."""
    for shape, queries in compile_all(shapes):
        label = f"shape {shape_name(shapes, shape)}"
        found = 0
        if progress:
            progress(label, 0, len(queries), 0)
        for done, q in enumerate(queries, 1):
            for result in run(store, q):
                found += 1
                yield result
            if progress:
                progress(label, done, len(queries), found)


def run(store: Store | ox.Store, q: ResultQuery) -> Iterator[Result]:
    """The results of one constraint's query, streamed."""
    for focus, value, extra in _rows(store, q.query):
        yield _result(q, focus, value, extra)


def _result(q: ResultQuery, focus: Node, value: Node | None, extra: dict[str, Node]) -> Result:
    """The result of one row; for SHACL-SPARQL, as pySHACL makes it: ?path overrides the
    shape's path, a node shape's result names the focus node when ?value is unbound, and
    ``{?name}``/``{$name}`` in a message is the text of that variable's binding."""
    if q.source_constraint is None:
        return Result(focus=focus, source_shape=q.source_shape, component=q.component,
                      severity=q.severity, path=q.path, value=value, messages=q.messages)
    path = extra.get("path")
    if value is None and q.path is None:
        value = focus
    names: dict[str, Node | None] = {
        k: v for k, v in extra.items() if k not in ("this", "path", "value")}
    names.update({"this": focus, "value": value, "path": path})
    messages = tuple(Literal(_TEMPLATE.sub(lambda m: _bound(names, m), str(msg)))
                     for msg in q.messages)
    return Result(focus=focus, source_shape=q.source_shape, component=q.component,
                  severity=q.severity, path=path or q.path, value=value, messages=messages,
                  source_constraint=q.source_constraint)


def _bound(names: dict[str, Node | None], match: re.Match[str]) -> str:
    term = names.get(match.group(1))
    return match.group(0) if term is None else str(term)


Row = tuple[Node, Node | None, dict[str, Node]]


def _rows(store: Store | ox.Store, query: str) -> Iterator[Row]:
    engine_query = getattr(store, "query", None)
    solutions = engine_query(query) if engine_query else store.select(query)  # type: ignore[union-attr]
    names = [v.value for v in getattr(solutions, "variables", [])]
    for row in solutions:  # engine solutions (unbound: None) or an endpoint's dicts
        pairs = row.items() if isinstance(row, dict) else ((n, row[n]) for n in names)
        bound = {k: to_rdflib(v) for k, v in pairs if v is not None}
        focus = bound.pop("focus")
        yield focus, bound.pop("value", None), bound


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """An Oxigraph term as an rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:  # a plain literal, as rdflib reads one
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))
