"""The interface every store follows (:class:`Store`), and the terms and rows it answers with.

Both :class:`kg.store.LocalStore` (embedded pyoxigraph) and :class:`kg.endpoint.EndpointStore`
(a remote SPARQL 1.1 engine) implement it; neither module imports the other for it.
Terms are pyoxigraph terms (``NamedNode``, ``Literal``, ``BlankNode``) everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Protocol

import pyoxigraph as ox

from kg.errors import QueryError

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]


class Store(Protocol):
    """What ingest, classification and indicators need from an engine."""

    def query(self, query: str, bindings: Mapping[str, Term] | None = None
              ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple]: ...
    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[Row]: ...
    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool: ...
    def construct(self, query: str,
                  bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]: ...
    def update(self, update: str) -> None: ...
    def load(self, source: IO[bytes] | bytes | Path, fmt: ox.RdfFormat,
             graph: ox.NamedNode | None = None) -> None: ...
    def dump(self, out: IO[bytes], fmt: ox.RdfFormat,
             graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None: ...
    def add(self, quads: Iterable[ox.Quad]) -> None: ...
    def remove(self, quads: Iterable[ox.Quad]) -> None: ...
    def flush(self) -> None: ...
    def named_graphs(self) -> list[ox.NamedNode]: ...
    def __len__(self) -> int: ...


def rows_of(result: object) -> list[Row]:
    """The solutions of a SELECT result as dicts of bound variables."""
    if not isinstance(result, ox.QuerySolutions):
        raise QueryError("expected a SELECT query")
    names = [v.value for v in result.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in result]


def boolean_of(result: object) -> bool:
    """The answer of an ASK result."""
    if not isinstance(result, ox.QueryBoolean):
        raise QueryError("expected an ASK query")
    return bool(result)
