"""The two engines: per-shape sets of conforming invention patents.

``sparql``: every leaf shape (one with constraints of its own) is compiled by kg.compile into one
set-based SELECT of its violating focus nodes, run in the store; composite shapes (``sh:and``,
``sh:or``, ``sh:node`` of other shapes) are evaluated by set algebra over those sets, exactly as
their SHACL definition reads. ``pyshacl``: the same instantiated shapes graph validated by
pySHACL against an rdflib copy of the store; every shape with a target gets its set from the
report (targets minus the focus nodes of results whose sh:sourceShape is that shape).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from kg.classify.result_sets import focus_set
from kg.compile import (
    compile_conformers,
    compile_plain_violators,
    compile_shape,
    compile_violations,
)
from kg.parser_lock import SPARQL_PARSER
from kg.store import Store
from kg.validate import data_graph
from kg.vocab import RDF, SH

_LOGICAL = {SH["and"], SH["or"], SH.node}
_IGNORED = {SH.targetClass, RDF.type, SH.name, SH.description, SH.message, SH.severity}


def is_composite(shapes: Graph, shape: Node) -> bool:
    """True for a shape made only of sh:and / sh:or / sh:node of other shapes."""
    preds = {p for p in shapes.predicates(shape) if str(p).startswith(str(SH))} - _IGNORED
    return bool(preds) and preds <= _LOGICAL


def sparql_sets(store: Store, shapes: Graph, wanted: Iterable[URIRef],
                targets: set[str], workers: int | None = None) -> dict[URIRef, set[str]]:
    """Conforming sets of ``wanted`` shapes, one compiled query per leaf shape.

    The leaf queries run concurrently, ``workers`` at a time (default: one per CPU; the engine
    releases the GIL while it evaluates).
    """
    wanted = list(wanted)
    return combine(shapes, wanted, leaf_answers(store, shapes, wanted, workers), targets)


#: leaf shape -> ("conforming" | "violating", the focus nodes its query answered)
Answers = dict[Node, tuple[str, set[str]]]


def leaf_answers(store: Store, shapes: Graph, wanted: Iterable[URIRef],
                 workers: int | None = None,
                 done: Callable[[int, int], None] | None = None) -> Answers:
    """Run the query of every leaf shape under ``wanted`` (needs no targets yet); ``done``
    hears (queries answered, queries) as they are answered."""
    leaves = sorted({leaf for shape in wanted for leaf in _leaves(shapes, shape)}, key=str)
    classes = {c for leaf in leaves for c in shapes.objects(leaf, SH.targetClass)}
    plain = leaf_classes(store, classes)
    # Compiled here, one after the other: rdflib's SPARQL parser (used by compile_conformers)
    # is not thread-safe. Only the engine's evaluation runs in the threads, each query sent as
    # soon as it is compiled (compiling all of them first kept the engine idle for seconds).
    workers = workers or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=min(len(leaves), workers) or 1) as pool:
        sent = []
        for leaf in leaves:
            query, how = _leaf_query(shapes, leaf, plain)
            sent.append((leaf, how, pool.submit(focus_set, store, query)))
        if done:
            done(0, len(sent))
            for count, _ in enumerate(as_completed([future for _, _, future in sent]), 1):
                done(count, len(sent))
        return {leaf: (how, future.result()) for leaf, how, future in sent}


def combine(shapes: Graph, wanted: Iterable[URIRef], answers: Answers,
            targets: set[str]) -> dict[URIRef, set[str]]:
    """The conforming sets of ``wanted``: leaves from their answers, composites by set algebra."""
    cache: dict[Node, set[str]] = {
        leaf: targets & found if how == "conforming" else targets - found
        for leaf, (how, found) in answers.items()}

    def conforming(shape: Node) -> set[str]:
        if shape not in cache:
            cache[shape] = _compose(shapes, shape, conforming, targets)
        return cache[shape]

    return {shape: conforming(shape) for shape in wanted}


def _leaves(shapes: Graph, shape: Node) -> Iterator[Node]:
    """The leaf shapes under ``shape`` (itself if it is a leaf)."""
    if not is_composite(shapes, shape):
        yield shape
        return
    for pred, value in shapes.predicate_objects(shape):
        members = list(Collection(shapes, value)) if pred in (SH["and"], SH["or"]) else \
            [value] if pred == SH.node else []
        for member in members:
            yield from _leaves(shapes, member)


def leaf_classes(store: Store, classes: Iterable[Node]) -> frozenset[Node]:
    """The classes that have no subclass in the store's default graph (one ASK each)."""
    return frozenset(c for c in classes if not store.ask(
        f"ASK {{ ?sub <http://www.w3.org/2000/01/rdf-schema#subClassOf>+ <{c}> }}"))


def _leaf_query(shapes: Graph, shape: Node, plain: frozenset[Node]) -> tuple[str, str]:
    """The query of a leaf shape and how its answers give the conforming set."""
    if (shape, SH.targetClass, None) in shapes:
        conformers = compile_conformers(shapes, shape)
        if conformers is not None:  # the negated sub-SELECT idiom: run the sub-SELECT alone
            return conformers.query, "conforming"
        violators = compile_plain_violators(shapes, shape)
        if violators is not None:  # filters over a pattern: run the pattern alone
            return violators.query, "violating"
        return compile_violations(shapes, shape, as_set=True, leaf_classes=plain).query, \
            "violating"
    return compile_shape(shapes, shape).query, "conforming"


def _compose(shapes: Graph, shape: Node, conforming, targets: set[str]) -> set[str]:
    result = set(targets)
    for pred, value in shapes.predicate_objects(shape):
        if pred == SH["and"]:
            for member in Collection(shapes, value):
                result &= conforming(member)
        elif pred == SH["or"]:
            union: set[str] = set()
            for member in Collection(shapes, value):
                union |= conforming(member)
            result &= union
        elif pred == SH.node:
            result &= conforming(value)
    return result


def pyshacl_sets(store: Store, shapes: Graph, wanted: Iterable[URIRef],
                 targets: set[str]) -> dict[URIRef, set[str]]:
    """Conforming sets of ``wanted`` shapes (each must have a target) from one pySHACL run."""
    import pyshacl


    data = data_graph(store, PreparedGraph())
    with SPARQL_PARSER:  # pySHACL parses SHACL-SPARQL with rdflib (kg.parser_lock)
        _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none",
                                        advanced=False, allow_warnings=True, inplace=True)
    violators: dict[Node, set[str]] = {}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        source, focus = report.value(result, SH.sourceShape), report.value(result, SH.focusNode)
        violators.setdefault(source, set()).add(str(focus))
    return {shape: targets - violators.get(shape, set()) for shape in wanted}


class PreparedGraph(Graph):
    """An rdflib graph that parses each distinct query text once.

    pySHACL sends the text of a SPARQL constraint once per focus node; rdflib would parse it
    every time (several milliseconds, more than evaluating it). Caching the prepared query
    changes nothing else: initBindings still pre-bind $this.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, object] = {}

    def query(self, query_object, *args, **kwargs):  # type: ignore[override]
        if isinstance(query_object, str):
            if query_object not in self._prepared:
                self._prepared[query_object] = prepareQuery(query_object)
            query_object = self._prepared[query_object]
        return super().query(query_object, *args, **kwargs)

