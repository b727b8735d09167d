"""Validation compiled to SPARQL: every shape with targets, one query per shape (its targets
evaluated once, every constraint in the same pass; a SHACL-SPARQL constraint in a query of its
own: kg.compile.results), run in the store (nothing copied out of it), results streamed as
:class:`~kg.validate.report.Result`.

On a local store the queries run ``workers`` at a time (default: one per CPU; the engine
releases the GIL while it evaluates), each answer serialized by the engine as SPARQL TSV in its
worker and parsed back in order by the caller's thread (a solution iterator of pyoxigraph
cannot cross threads). The results come in the same order as one query at a time: the order of
the shapes, then of their queries.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.compile.results import (
    CONSTRAINT_VAR,
    ResultQuery,
    ShapeQuery,
    compile_shape_results,
    shapes_with_targets,
)
from kg.errors import CompileError, InputError
from kg.progress import Progress
from kg.store import LocalStore, Store
from kg.validate.report import Result, shape_name

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def compile_all(shapes: Graph) -> list[tuple[Node, list[ShapeQuery]]]:
    """The queries of every shape with targets; a shape the compiler cannot compile is an
    input error naming it (nothing has run yet)."""
    compiled = []
    for shape in shapes_with_targets(shapes):
        try:
            compiled.append((shape, compile_shape_results(shapes, shape)))
        except CompileError as exc:
            raise InputError(
                "shape %(shape_)s cannot be compiled to SPARQL: %(exc)s; validate with `hvp "
                "validate --engine pyshacl` (the reference engine), or leave the shape out "
                "(--shapes)", shape_=shape, exc=exc) from exc
    return compiled


def results(store: Store, shapes: Graph, progress: Progress | None = None,
            workers: int | None = None) -> Iterator[Result]:
    """Every validation result of the store's default graph against ``shapes``, query by
    query (one per shape, see the module's docstring), rows streamed from the engine (on a
    local store ``workers`` queries run at once). ``progress`` hears, per shape (label
    ``shape NAME``), its queries done of their total and the results found."""
    compiled = compile_all(shapes)
    jobs = [q for _, queries in compiled for q in queries]
    answers = _answers(store, jobs, workers or os.cpu_count() or 1)
    for shape, queries in compiled:
        label = f"shape {shape_name(shapes, shape)}"
        found = 0
        if progress:
            progress(label, 0, len(queries), 0)
        for done, q in enumerate(queries, 1):
            for focus, value, extra in next(answers):
                found += 1
                yield _result(_constraint(q, extra), focus, value, extra)
            if progress:
                progress(label, done, len(queries), found)


#: Queries sent ahead of the one whose answer is read, per worker: a long query at the head
#: does not leave the other workers idle once they have answered the one query each behind it
#: (with one query per worker sent, the 5,000,000-patent validation used 1.14 cores of 2).
AHEAD = 4


def _answers(store: Store, jobs: list[ShapeQuery], workers: int) -> Iterator[Iterator[Row]]:
    """The rows of each job's query, in order: on a local store ``workers`` queries evaluated
    at once in threads (at most ``AHEAD * workers`` sent before the answer read, finished
    answers waiting as TSV, no more sent beyond one per worker while those hold
    :data:`WAITING_BYTES`), elsewhere one after the other."""
    if not isinstance(store, LocalStore) or workers < 2:
        for q in jobs:
            yield _rows(store, q.query)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hvp-validate") as pool:
        ahead: deque[Future[bytes]] = deque()
        todo = iter(jobs)
        try:
            for q in todo:
                while len(ahead) >= workers and (len(ahead) >= AHEAD * workers
                                                 or _waiting(ahead) >= WAITING_BYTES):
                    yield _rows(_parsed(ahead.popleft().result()))
                ahead.append(pool.submit(_tsv, store, q.query))
            while ahead:
                yield _rows(_parsed(ahead.popleft().result()))
        finally:
            for future in ahead:
                future.cancel()


#: Bytes of finished answers (violations) waiting to be read past which no more queries are
#: sent ahead than one per worker.
WAITING_BYTES = 64 * 1024 * 1024


def _waiting(ahead: deque[Future[bytes]]) -> int:
    """The bytes of the answers sent ahead that are finished."""
    return sum(len(future.result()) for future in ahead
               if future.done() and future.exception() is None)


_TSV = ox.QueryResultsFormat.TSV


def _parsed(data: bytes) -> ox.QuerySolutions:
    solutions = ox.parse_query_results(data, _TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    return solutions


def _tsv(store: LocalStore, query: str) -> bytes:
    """The answer of a SELECT serialized by the engine as SPARQL TSV (in a worker thread)."""
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    data = solutions.serialize(format=_TSV)
    assert data is not None
    del solutions
    _give_back()
    return data


def _give_back() -> None:
    """Return the memory the engine freed to the system (glibc's ``malloc_trim``): each
    worker thread allocates from a heap of its own, which keeps the high-water mark of the
    largest query it ran, so without it the peak is the sum of the workers' largest queries,
    not the largest two at once (at 250,000 patents 532 MB against 441 MB)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def run(store: Store | ox.Store, q: ResultQuery | ShapeQuery) -> Iterator[Result]:
    """The results of one constraint's query, or of a shape's, streamed."""
    for focus, value, extra in _rows(store, q.query):
        yield _result(_constraint(q, extra) if isinstance(q, ShapeQuery) else q,
                      focus, value, extra)


def _constraint(q: ShapeQuery, extra: dict[str, Node]) -> ResultQuery:
    """The constraint that a row of a shape's query violates (its ``?hvpConstraint``, taken
    out of ``extra``, unless the query is one SHACL-SPARQL constraint's)."""
    first = q.constraints[0]
    if len(q.constraints) == 1:
        return first
    return q.constraints[int(str(extra.pop(CONSTRAINT_VAR)))]


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


def _rows(source: Store | ox.Store | ox.QuerySolutions, query: str = "") -> Iterator[Row]:
    """The rows of ``query`` run on ``source``, or of solutions already answered."""
    solutions: ox.QuerySolutions | list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]
    if isinstance(source, ox.QuerySolutions):
        solutions = source
    else:
        engine_query = getattr(source, "query", None)
        solutions = engine_query(query) if engine_query else source.select(query)  # type: ignore[union-attr]
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
