"""Validation compiled to SPARQL: every shape with targets, one query per constraint, run in
the store (nothing copied out of it), results streamed as :class:`~kg.validate.report.Result`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile.results import ResultQuery, compile_results, shapes_with_targets
from kg.errors import CompileError, InputError
from kg.ingest import Progress
from kg.store import Store
from kg.validate.report import Result, shape_name

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


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
            for focus, value in _rows(store, q.query):
                found += 1
                yield Result(focus=focus, source_shape=q.source_shape, component=q.component,
                             severity=q.severity, path=q.path, value=value,
                             messages=q.messages)
            if progress:
                progress(label, done, len(queries), found)


def _rows(store: Store, query: str) -> Iterator[tuple[Node, Node | None]]:
    engine_query = getattr(store, "query", None)
    solutions = engine_query(query) if engine_query else store.select(query)
    for row in solutions:
        focus, value = row["focus"], row["value"]
        yield to_rdflib(focus), (None if value is None else to_rdflib(value))


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
